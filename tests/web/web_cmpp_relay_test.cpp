// CMPP through the real relay, loopback: a scripted SP (client) and ISMG (server) talk CMPP 2.0
// through the proxy; both sides receive exactly the octets the other sent, and /api/pdus shows the
// PDUs as CMPP events (protocol, version, the spec's field names, GBK text, the three parts of a
// UCS2 message with their concatenation numbering, the status report) with the relayed octets as hex.
#include <algorithm>
#include <atomic>

#include "smppscope/cmpp_auth/authenticator.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "web_test_util.hpp"

using namespace web_test;
namespace cmpp = smppscope::decoder::cmpp;

namespace {

constexpr cmpp::version v20 = cmpp::version::v20;

std::string hex_of(const bytes& b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

// A tiny CMPP 2.0 ISMG: answers CONNECT and SUBMIT (with Msg_Ids), sends a status report for the
// first SUBMIT. Keeps every octet it received and every octet it sent.
class test_ismg {
 public:
  test_ismg() : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { run(); });
  }
  ~test_ismg() {
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  bytes received, sent;  // read after the thread ended (join in finish())
  void finish() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    boost::system::error_code ec;
    tcp::socket s = acceptor_.accept(ec);
    if (ec) return;
    std::uint16_t seq = 0x1234;
    for (;;) {
      std::uint8_t head[12];
      net::read(s, net::buffer(head), ec);
      if (ec) return;
      const cmpp::header h = cmpp::read_header({head, 12});
      if (h.total_length < 12 || h.total_length > cmpp::max_pdu_size) return;
      bytes frame(head, head + 12);
      frame.resize(h.total_length);
      net::read(s, net::buffer(frame.data() + 12, frame.size() - 12), ec);
      if (ec) return;
      received.insert(received.end(), frame.begin(), frame.end());
      bytes reply;
      if (h.command_id == static_cast<std::uint32_t>(cmpp::command_id::connect)) {
        reply = cmpp::pdu_builder(cmpp::command_id::connect_resp, v20, h.sequence_id).set("Status", 0).set("Version", 0x20).bytes();
      } else if (h.command_id == static_cast<std::uint32_t>(cmpp::command_id::submit)) {
        const std::uint64_t id = cmpp::pack_msg_id({11, 22, 13, 45, 30, 123456, seq++});
        reply = cmpp::pdu_builder(cmpp::command_id::submit_resp, v20, h.sequence_id).set("Msg_Id", id).set("Result", 0).bytes();
        if (!reported_) {
          reported_ = true;
          cmpp::status_report r{id, "DELIVRD", "2311221345", "2311221346", "13800138000", 42};
          const bytes d = cmpp::pdu_builder(cmpp::command_id::deliver, v20, 900)
                              .set("Msg_Id", cmpp::pack_msg_id({11, 22, 13, 46, 1, 123456, 0x1235}))
                              .set("Dest_Id", "1066888")
                              .set("Src_terminal_Id", "13800138000")
                              .set("Registered_Delivery", 1)
                              .set_bytes("Msg_Content", cmpp::format_status_report(r, v20))
                              .bytes();
          reply.insert(reply.end(), d.begin(), d.end());
        }
      } else if (h.command_id == static_cast<std::uint32_t>(cmpp::command_id::terminate)) {
        reply = cmpp::pdu_builder(cmpp::command_id::terminate_resp, v20, h.sequence_id).bytes();
      }
      if (reply.empty()) continue;
      sent.insert(sent.end(), reply.begin(), reply.end());
      net::write(s, net::buffer(reply), ec);
      if (ec) return;
      if (h.command_id == static_cast<std::uint32_t>(cmpp::command_id::terminate)) return;
    }
  }
  bool reported_ = false;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

bytes sp_submit(std::uint32_t seq, std::uint8_t fmt, const bytes& content, bool udhi) {
  const std::string_view dest[] = {"13800138000"};
  return cmpp::pdu_builder(cmpp::command_id::submit, v20, seq)
      .set("Registered_Delivery", 1)
      .set("TP_udhi", udhi ? 1 : 0)
      .set("Msg_Fmt", fmt)
      .set("Msg_src", "901234")
      .set("FeeType", "02")
      .set("FeeCode", "000010")
      .set("Src_Id", "1066888")
      .destinations(dest)
      .set_bytes("Msg_Content", content)
      .bytes();
}

}  // namespace

TEST(web_cmpp_relay, cmpp20_session_relayed_byte_for_byte_and_shown_as_cmpp) {
  test_ismg ismg;
  sc::event_ring ring;
  sc::session_table sessions;
  sc::tap_queue tap(4u << 20);
  sc::analyzer analyzer(ring, sessions);
  analyzer.add_queue(tap);
  sw::metrics_registry registry;
  analyzer.start();

  smppscope::proxy::proxy_options po;
  po.listen = {"127.0.0.1", 0};
  po.upstream = {"127.0.0.1", ismg.port()};
  po.taps = {&tap};
  po.log = [](std::string_view) {};
  smppscope::proxy::proxy relay(po);
  relay.start();
  sw::server_options wo;
  sw::server web(wo, ring, sessions, registry);
  web.start();

  // The SP: CONNECT, a GBK SUBMIT, a three-part UCS2 SUBMIT, TERMINATE; one write each.
  const auto auth = smppscope::cmpp_auth::authenticator_source("901234", "secret", 1122134530u).value();
  std::vector<bytes> frames;
  frames.push_back(cmpp::pdu_builder(cmpp::command_id::connect, v20, 1)
                       .set("Source_Addr", "901234")
                       .set_bytes("AuthenticatorSource", auth)
                       .set("Version", 0x20)
                       .set("Timestamp", 1122134530u)
                       .bytes());
  frames.push_back(sp_submit(2, 15, *cmpp::utf8_to_gbk("中国移动欢迎您"), false));
  const std::string whole = "第一部分。第二部分。第三部分。";
  const bytes ucs2 = sd::utf8_to_ucs2(whole);
  const std::size_t per = ucs2.size() / 3;
  for (std::uint8_t part = 1; part <= 3; ++part) {
    bytes content = {0x05, 0x00, 0x03, 0x7A, 0x03, part};
    const std::size_t from = (part - 1) * per, to = part == 3 ? ucs2.size() : from + per;
    content.insert(content.end(), ucs2.begin() + long(from), ucs2.begin() + long(to));
    frames.push_back(sp_submit(2 + part, 8, content, true));
  }
  frames.push_back({0, 0, 0, 12, 0, 0, 0, 2, 0, 0, 0, 6});  // CMPP_TERMINATE
  bytes sp_sent;
  net::io_context ioc;
  tcp::socket sp(ioc);
  sp.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), relay.port()));
  for (const bytes& f : frames) {
    net::write(sp, net::buffer(f));
    sp_sent.insert(sp_sent.end(), f.begin(), f.end());
  }
  // Read until the ISMG closes after TERMINATE_RESP.
  bytes sp_received;
  boost::system::error_code ec;
  for (;;) {
    std::uint8_t buf[4096];
    const std::size_t n = sp.read_some(net::buffer(buf), ec);
    if (ec) break;
    sp_received.insert(sp_received.end(), buf, buf + n);
  }
  ismg.finish();
  EXPECT_EQ(hex_of(ismg.received), hex_of(sp_sent));   // SP -> ISMG, octet for octet
  EXPECT_EQ(hex_of(sp_received), hex_of(ismg.sent));   // ISMG -> SP, octet for octet

  // 7 requests from the SP + 7 PDUs from the ISMG (CONNECT_RESP, 4 SUBMIT_RESP, a report, TERMINATE_RESP).
  json::array pdus;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    pdus = json::parse(http_get(web.port(), "/api/pdus?type=pdu&hex=1&limit=100").body).as_array();
    if (pdus.size() >= 13) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(pdus.size(), 13u);
  bytes up, down;
  int parts = 0;
  for (const auto& v : pdus) {
    const json::object& e = v.as_object();
    EXPECT_EQ(e.at("protocol").as_string(), "cmpp");
    EXPECT_EQ(e.at("protocol_version").as_string(), "2.0");
    EXPECT_FALSE(e.contains("error")) << json::serialize(e);
    const std::string hex(e.at("hex").as_string());
    bytes& side = e.at("direction").as_string() == "esme_to_smsc" ? up : down;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) side.push_back(std::uint8_t(std::stoul(hex.substr(i, 2), nullptr, 16)));
    const std::string cmd(e.at("command").as_string());
    if (cmd == "CMPP_SUBMIT" && e.at("encoding").as_string() == "gbk") {
      EXPECT_EQ(e.at("text").as_string(), "中国移动欢迎您");
    }
    if (cmd == "CMPP_SUBMIT" && e.contains("concat")) {
      ++parts;
      EXPECT_EQ(e.at("concat").at("total").as_int64(), 3);
      EXPECT_EQ(e.at("concat").at("ref").as_int64(), 0x7A);
      EXPECT_EQ(e.at("encoding").as_string(), "ucs2");
    }
    if (cmd == "CMPP_DELIVER") {
      EXPECT_EQ(e.at("report").at("Stat").as_string(), "DELIVRD");
      EXPECT_EQ(e.at("report").at("msg_id").at("sequence").as_int64(), 0x1234);
    }
  }
  EXPECT_EQ(parts, 3);
  EXPECT_EQ(hex_of(up), hex_of(sp_sent));     // the events hold the relayed octets
  EXPECT_EQ(hex_of(down), hex_of(ismg.sent));

  const json::array ss = json::parse(http_get(web.port(), "/api/sessions").body).as_array();
  ASSERT_EQ(ss.size(), 1u);
  EXPECT_EQ(ss[0].at("protocol").as_string(), "cmpp");
  EXPECT_EQ(ss[0].at("protocol_version").as_string(), "2.0");
  EXPECT_EQ(ss[0].at("system_id").as_string(), "901234");

  sp.close();
  relay.stop();
  analyzer.stop();
}
