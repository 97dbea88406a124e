// Uploaded captures: POST /api/captures streams a pcap into a private temp file, the app's loader
// (analyse_capture: the analysis pipeline fed from the file) turns it into a workspace, and every
// endpoint reads it with workspace=ID. The capture is written by the pcap writer from traffic with
// known timestamps, so what the workspace shows is compared with what went in.
#include <sys/stat.h>

#include "../../app/web_wiring.hpp"
#include "smppscope/analysis/pcap_writer.hpp"
#include "web_test_util.hpp"

namespace web_test {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t t0 = 1'700'000'000'000'000;  // capture time of the first packet (us)

// A capture of one session: bind, two submits (the first never answered), and a keep-alive 15 s
// later, by which time the unanswered submit has passed the 10 s response timeout.
struct capture_file {
  std::string bytes;
  std::vector<sc::event> pdus;  // what went in, in order
};

capture_file make_capture() {
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer analyzer(ring, sessions);
  auto rec = [&](sc::record_kind k, std::int64_t ts, sc::direction d = sc::direction::esme_to_smsc,
                 const bytes& b = {}) {
    sc::tap_record r;
    r.kind = k;
    r.session = 1;
    r.ts_us = ts;
    r.dir = d;
    r.bytes = b;
    if (k == sc::record_kind::session_open) {
      r.client = v4(10, 0, 0, 1, 40001);
      r.proxy_client_side = v4(10, 0, 0, 2, 2775);
      r.proxy_upstream_side = v4(10, 0, 0, 2, 50001);
      r.upstream = v4(10, 0, 0, 3, 2776);
    }
    analyzer.process(r);
  };
  const auto up = sc::direction::esme_to_smsc, down = sc::direction::smsc_to_esme;
  rec(sc::record_kind::session_open, t0);
  rec(sc::record_kind::data, t0 + 1'000, up, bind_trx(1, "acme", "secret"));
  rec(sc::record_kind::data, t0 + 2'000, down, bind_trx_resp(1));
  rec(sc::record_kind::data, t0 + 100'000, up, submit_sm(2, "never answered"));
  rec(sc::record_kind::data, t0 + 200'000, up, submit_sm(3, "hello"));
  rec(sc::record_kind::data, t0 + 250'000, down, submit_sm_resp(3, 0));
  rec(sc::record_kind::data, t0 + 15'000'000, up, sd::pdu_builder(sd::command_id::enquire_link, 4).bytes());
  rec(sc::record_kind::data, t0 + 15'001'000, down, sd::pdu_builder(sd::command_id::enquire_link_resp, 4).bytes());
  capture_file f;
  f.pdus = ring.read_since(0, 1000, [](const sc::event_info& e) { return e.type == sc::event_type::pdu; });
  f.bytes = sc::write_pcap(f.pdus, sc::endpoints_from(sessions));
  return f;
}

// One request with a body on a new connection.
http_result http_body(std::uint16_t port, http::verb method, std::string target, std::string body,
                      const header_list& headers = {}) {
  net::io_context ioc;
  http_result out;
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::move(body);
  req.prepare_payload();
  bool done = false;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        beast::tcp_stream s(ioc);
        co_await s.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), net::use_awaitable);
        co_await http_exchange(s, req, out);
      },
      [&](std::exception_ptr e) {
        done = true;
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            out.error = x.what();
          }
        }
      });
  ioc.run_for(60s);
  if (!done) out.error = "timed out";
  return out;
}

http_result upload(std::uint16_t port, const std::string& name, std::string body, const header_list& headers = {}) {
  return http_body(port, http::verb::post, "/api/captures?name=" + name, std::move(body), headers);
}

struct rig {
  sc::event_ring ring;  // the live traffic: stays empty
  sc::session_table sessions;
  sw::metrics_registry registry;
  fs::path temp = fs::temp_directory_path() /
                  ("smppscope-web-capture-test-" + std::to_string(::getpid()) + "-" +
                   std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::unique_ptr<sw::server> server;

  explicit rig(std::function<void(sw::server_options&)> tune = {}) {
    fs::create_directories(temp);
    sw::server_options o;
    o.capture_temp_parent = temp.string();
    sc::pipeline_options base;
    base.diagnostics = sc::diag::diag_options{};
    o.load_capture = [base](const std::string& path, std::string& error) {
      return smppscope::app::analyse_capture(base, path, error);
    };
    if (tune) tune(o);
    server = std::make_unique<sw::server>(o, ring, sessions, registry);
    server->start();
  }
  ~rig() {
    server.reset();
    std::error_code ignored;
    fs::remove_all(temp, ignored);
  }
  std::uint16_t port() const { return server->port(); }
  std::size_t files_in_temp() const {
    std::size_t n = 0;
    for (const auto& d : fs::recursive_directory_iterator(temp))
      if (d.is_regular_file()) ++n;
    return n;
  }
};

TEST(web_capture, upload_becomes_a_workspace_read_like_the_live_one) {
  const capture_file cap = make_capture();
  ASSERT_EQ(cap.pdus.size(), 7u);
  rig r([](sw::server_options& o) { o.max_workspaces = 1; });

  const auto res = upload(r.port(), "night%20shift.pcap", cap.bytes);
  ASSERT_EQ(res.status, 201u) << res.body << res.error;
  const auto w = res.json_body().as_object();
  const std::string id(w.at("id").as_string());
  EXPECT_EQ(w.at("name").as_string(), "night shift.pcap");
  EXPECT_EQ(w.at("bytes").as_int64(), static_cast<std::int64_t>(cap.bytes.size()));
  EXPECT_LE(w.at("capture").at("first_us").as_int64(), t0 + 1'000);
  EXPECT_GE(w.at("capture").at("last_us").as_int64(), t0 + 15'001'000);
  EXPECT_EQ(res.header("location"), "/api/workspaces/" + id);

  // The list names Live and the capture; the file sits 0600 in a 0700 directory of its own.
  const auto list = http_get(r.port(), "/api/workspaces").json_body().as_object();
  const auto& items = list.at("workspaces").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("id").as_string(), "live");
  EXPECT_EQ(items[1].at("id").as_string(), id);
  EXPECT_EQ(list.at("max_workspaces").as_int64(), 1);
  const fs::path dir = r.server->capture_dir();
  ASSERT_FALSE(dir.empty());
  EXPECT_EQ(dir.parent_path(), r.temp);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(r.files_in_temp(), 1u);
  const fs::path file = fs::directory_iterator(dir)->path();
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), cap.bytes.size());

  // PDUs: the same commands, sequence numbers and capture times as went in.
  const auto got = http_get(r.port(), "/api/pdus?type=pdu&workspace=" + id).json_body().as_array();
  ASSERT_EQ(got.size(), cap.pdus.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& e = got[i].as_object();
    const auto& p = cap.pdus[i].payload;
    const std::uint32_t seq = (std::uint32_t(std::uint8_t(p[12])) << 24) | (std::uint32_t(std::uint8_t(p[13])) << 16) |
                              (std::uint32_t(std::uint8_t(p[14])) << 8) | std::uint8_t(p[15]);
    EXPECT_EQ(e.at("sequence_number").as_int64(), seq) << i;
    EXPECT_EQ(e.at("ts_us").as_int64(), cap.pdus[i].ts_us) << i;
    EXPECT_EQ(e.at("direction").as_string(),
              cap.pdus[i].dir == std::optional(sc::direction::esme_to_smsc) ? "esme_to_smsc" : "smsc_to_esme") << i;
  }
  EXPECT_EQ(got[0].at("command").as_string(), "bind_transceiver");
  EXPECT_EQ(got[6].at("command").as_string(), "enquire_link_resp");

  // The session, and the alert the unanswered submit raised in capture time.
  const auto sess = http_get(r.port(), "/api/sessions?workspace=" + id).json_body().as_array();
  ASSERT_EQ(sess.size(), 1u);
  EXPECT_EQ(sess[0].at("system_id").as_string(), "acme");
  const auto alerts = http_get(r.port(), "/api/pdus?type=alert&workspace=" + id).json_body().as_array();
  bool timeout = false;
  for (const auto& a : alerts) {
    const std::string text = json::serialize(a);
    if (text.find("response_timeout") != std::string::npos) {
      timeout = true;
      EXPECT_GE(a.at("ts_us").as_int64(), t0 + 10'100'000);
      EXPECT_LE(a.at("ts_us").as_int64(), t0 + 15'001'000);
    }
  }
  EXPECT_TRUE(timeout) << json::serialize(alerts);
  const auto tl = http_get(r.port(), "/api/sessions/" + std::to_string(sess[0].at("id").as_int64()) +
                                         "/timeline?workspace=" + id);
  EXPECT_EQ(tl.status, 200u) << tl.body;

  // The live workspace is untouched; the pcap export reads the capture.
  EXPECT_EQ(http_get(r.port(), "/api/pdus").body, "[]");
  EXPECT_EQ(http_get(r.port(), "/api/pdus?workspace=live").body, "[]");
  const auto pcap = http_get(r.port(), "/api/pcap?workspace=" + id);
  EXPECT_EQ(pcap.status, 200u);
  EXPECT_GT(pcap.body.size(), 24u + 7 * 54);

  // The WebSocket hello of a capture names it and its last event; nothing follows (it is static).
  {
    ws_client ws;
    ASSERT_TRUE(ws.connect(r.port(), {}, 0, "/ws?workspace=" + id)) << ws.error();
    const auto msg = ws.next(10s);
    ASSERT_TRUE(msg);
    const auto hello = json::parse(*msg).as_object();
    EXPECT_EQ(hello.at("type").as_string(), "hello");
    EXPECT_EQ(hello.at("workspace").as_string(), id);
    EXPECT_GE(hello.at("last_id").as_int64(), 7);
  }

  // No room for a second capture (max_workspaces 1): 429, and nothing is kept of it.
  const auto second = upload(r.port(), "b.pcap", cap.bytes);
  EXPECT_EQ(second.status, 429u) << second.body;
  EXPECT_EQ(r.files_in_temp(), 1u);

  // Closing removes the file; the workspace is gone from every endpoint.
  const auto del = http_body(r.port(), http::verb::delete_, "/api/workspaces/" + id, "");
  EXPECT_EQ(del.status, 200u) << del.body;
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(http_get(r.port(), "/api/pdus?workspace=" + id).status, 404u);
  EXPECT_EQ(http_body(r.port(), http::verb::delete_, "/api/workspaces/" + id, "").status, 404u);
  EXPECT_EQ(http_body(r.port(), http::verb::delete_, "/api/workspaces/live", "").status, 400u);
  EXPECT_EQ(upload(r.port(), "c.pcap", cap.bytes).status, 201u);
  EXPECT_EQ(r.server->stats().captures_loaded, 2u);
  EXPECT_EQ(r.server->stats().captures_refused, 1u);

  // Stopping the server removes the files; destroying it, their directory.
  r.server->stop();
  EXPECT_EQ(r.files_in_temp(), 0u);
  r.server.reset();
  EXPECT_FALSE(fs::exists(dir));
}

TEST(web_capture, a_file_that_is_not_a_capture_gets_400_with_the_readers_message) {
  rig r;
  const auto res = upload(r.port(), "notes.txt", "these are my notes, not a capture\n");
  ASSERT_EQ(res.status, 400u) << res.body;
  const std::string err(res.json_body().at("error").as_string());
  EXPECT_NE(err.find("notes.txt"), std::string::npos) << err;
  EXPECT_NE(err.find("pcap or pcapng"), std::string::npos) << err;
  EXPECT_EQ(err.find(r.temp.string()), std::string::npos) << err;  // no server path in the answer
  EXPECT_EQ(r.files_in_temp(), 0u);
  EXPECT_EQ(r.server->stats().workspaces, 0u);
  EXPECT_EQ(r.server->stats().captures_bad, 1u);
}

TEST(web_capture, over_the_limit_is_413_while_streaming_without_holding_the_body) {
  rig r([](sw::server_options& o) { o.capture_max_bytes = 1u << 20; });
  // Announced too large: refused before any of the body is read.
  {
    raw_conn c(r.port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send("POST /api/captures?name=big.pcap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4194304\r\n\r\n"));
    std::string got;
    c.read_until_closed(20s, &got);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 413")) << got.substr(0, 200);
  }
  // Chunked, so the size shows only while streaming: 24 MiB against a 1 MiB limit.
  const std::size_t before = rss_bytes();
  {
    raw_conn c(r.port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send("POST /api/captures?name=big.pcap HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string piece(256u << 10, 'x');
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
    const std::string chunk = size_line + piece + "\r\n";
    for (int i = 0; i < 96; ++i) {
      std::string_view rest = chunk;
      bool ok = true;
      while (!rest.empty()) {
        const ssize_t n = ::send(c.fd(), rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n <= 0) {
          ok = false;
          break;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
      }
      if (!ok) break;  // the server stopped reading: it has answered
    }
    std::string got;
    c.read_until_closed(20s, &got);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 413")) << got.substr(0, 200);
    EXPECT_NE(got.find("too large"), std::string::npos);
  }
  EXPECT_LT(rss_bytes(), before + (12u << 20));
  EXPECT_EQ(r.files_in_temp(), 0u);
  EXPECT_EQ(r.server->stats().captures_too_large, 2u);
  EXPECT_EQ(r.server->stats().workspaces, 0u);
  // Every other endpoint keeps its small body limit.
  const auto big = http_body(r.port(), http::verb::post, "/api/sessions", std::string(64u << 10, 'x'));
  EXPECT_EQ(big.status, 413u);
}

TEST(web_capture, upload_needs_the_token_and_the_pages_own_origin) {
  const capture_file cap = make_capture();
  rig r([](sw::server_options& o) { o.token = "s3cret"; });
  EXPECT_EQ(upload(r.port(), "a.pcap", cap.bytes).status, 401u);
  EXPECT_EQ(upload(r.port(), "a.pcap", cap.bytes, {{"Authorization", "Bearer wrong"}}).status, 401u);
  EXPECT_EQ(r.files_in_temp(), 0u);
  const header_list auth = {{"Authorization", "Bearer s3cret"}};
  header_list foreign = auth;
  foreign.emplace_back("Origin", "http://evil.example");
  EXPECT_EQ(upload(r.port(), "a.pcap", cap.bytes, foreign).status, 403u);
  header_list own = auth;
  own.emplace_back("Origin", "http://127.0.0.1:" + std::to_string(r.port()));
  const auto ok = upload(r.port(), "a.pcap", cap.bytes, own);
  ASSERT_EQ(ok.status, 201u) << ok.body;
  const std::string id(ok.json_body().at("id").as_string());
  EXPECT_EQ(http_get(r.port(), "/api/pdus?workspace=" + id).status, 401u);
  EXPECT_EQ(http_get(r.port(), "/api/pdus?workspace=" + id, auth).status, 200u);
  EXPECT_EQ(http_body(r.port(), http::verb::delete_, "/api/workspaces/" + id, "").status, 401u);
  EXPECT_EQ(http_body(r.port(), http::verb::delete_, "/api/workspaces/" + id, "", foreign).status, 403u);
  EXPECT_EQ(http_body(r.port(), http::verb::delete_, "/api/workspaces/" + id, "", auth).status, 200u);
  EXPECT_EQ(r.files_in_temp(), 0u);
}

}  // namespace
}  // namespace web_test
