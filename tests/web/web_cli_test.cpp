// The web flags (app/web_wiring.cpp), HTTPS/WSS with a throwaway certificate, and the binary's
// refusal to serve a non-loopback address without a token.
#include <sys/wait.h>

#include <fstream>

#include "../../app/web_wiring.hpp"
#include "smppscope/analysis/diag/diagnostics.hpp"
#include "web_test_util.hpp"

namespace web_test {
namespace {

namespace app = smppscope::app;

struct parsed {
  app::web_cli_options opt;
  std::string error;
};

parsed parse(std::vector<std::string> args) {
  CLI::App cli{"test"};
  parsed p;
  app::add_web_options(cli, p.opt);
  std::vector<const char*> argv{"test"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    p.error = e.what();
  }
  return p;
}

std::string options_error(const app::web_cli_options& o) {
  try {
    (void)app::make_server_options(o);
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

TEST(web_cli, flags_parse_and_validate) {
  parsed p = parse({"--web", "127.0.0.1:8080", "--web-token", "t0k", "--web-threads", "2"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.opt.web, "127.0.0.1:8080");
  EXPECT_EQ(p.opt.token, "t0k");
  EXPECT_EQ(p.opt.threads, 2u);
  const auto so = app::make_server_options(p.opt);
  EXPECT_EQ(so.host, "127.0.0.1");
  EXPECT_EQ(so.port, 8080);
  EXPECT_EQ(so.token, "t0k");

  EXPECT_NE(parse({"--web", "8080"}).error.find("HOST:PORT"), std::string::npos);
  EXPECT_NE(parse({"--web", "::1:8080"}).error.find("HOST:PORT"), std::string::npos);
  EXPECT_NE(parse({"--web", "127.0.0.1:70000"}).error, "");
  EXPECT_EQ(parse({"--web", "[::1]:8080"}).error, "");
  EXPECT_NE(parse({"--web-cert", "/nonexistent/cert.pem"}).error, "");
}

TEST(web_cli, non_loopback_needs_a_token_or_insecure) {
  parsed p = parse({"--web", "0.0.0.0:8080"});
  ASSERT_EQ(p.error, "");
  const std::string e = options_error(p.opt);
  EXPECT_NE(e.find("--web-token"), std::string::npos) << e;
  EXPECT_NE(e.find("--web-insecure"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  EXPECT_NE(options_error(parse({"--web", "[::]:8080"}).opt), "");
  EXPECT_NE(options_error(parse({"--web", "192.0.2.7:8080"}).opt), "");
  EXPECT_EQ(options_error(parse({"--web", "0.0.0.0:8080", "--web-token", "x"}).opt), "");
  EXPECT_EQ(options_error(parse({"--web", "0.0.0.0:8080", "--web-insecure"}).opt), "");
  EXPECT_EQ(options_error(parse({"--web", "127.0.0.5:8080"}).opt), "");
  EXPECT_EQ(options_error(parse({"--web", "[::1]:8080"}).opt), "");
}

TEST(web_cli, token_from_the_environment) {
  ::setenv("SMPPSCOPE_WEB_TOKEN", "from-env", 1);
  parsed p = parse({"--web", "127.0.0.1:0"});
  ::unsetenv("SMPPSCOPE_WEB_TOKEN");
  EXPECT_EQ(p.opt.token, "from-env");
}

struct pki {
  std::filesystem::path dir = temp_dir("pki");
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  pki() {
    int status = 0;
    const std::string out = run_command(
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -addext "
        "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " + key + " -out " + cert + " 2>&1",
        &status);
    EXPECT_EQ(status, 0) << out;
  }
  ~pki() { std::filesystem::remove_all(dir); }
};

TEST(web_cli, tls_files_are_checked) {
  pki p;
  EXPECT_NE(options_error(parse({"--web", "127.0.0.1:0", "--web-cert", p.cert}).opt).find("--web-key"),
            std::string::npos);
  const std::string wrong = options_error(parse({"--web", "127.0.0.1:0", "--web-cert", p.key, "--web-key", p.key}).opt);
  EXPECT_NE(wrong.find("--web-cert"), std::string::npos) << wrong;
  EXPECT_EQ(options_error(parse({"--web", "127.0.0.1:0", "--web-cert", p.cert, "--web-key", p.key}).opt), "");
}

// HTTPS and WSS end to end; TLS below 1.2 is refused.
TEST(web_cli, https_and_wss) {
  pki p;
  capture_rig rig;
  rig.open(1);
  rig.send(1, rig.up, submit_sm(1, "over tls"));
  app::web_cli_options o = parse({"--web", "127.0.0.1:0", "--web-cert", p.cert, "--web-key", p.key}).opt;
  app::web_frontend front(o, rig.ring, rig.sessions, rig.analyzer);
  front.start();
  ASSERT_TRUE(front.enabled());
  const std::uint16_t port = front.server()->port();
  EXPECT_EQ(front.url(), "https://127.0.0.1:" + std::to_string(port) + "/");

  net::ssl::context client(net::ssl::context::tls_client);
  client.load_verify_file(p.cert);
  client.set_verify_mode(net::ssl::verify_peer);
  const http_result r = http_do(port, "/api/pdus", {}, http::verb::get, &client);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("over tls"), std::string::npos);

  net::ssl::context old(net::ssl::context::tls_client);
  old.set_verify_mode(net::ssl::verify_none);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  const http_result refused = http_do(port, "/healthz", {}, http::verb::get, &old);
  EXPECT_NE(refused.error, "");
  EXPECT_EQ(refused.status, 0u);

  // wss: hello, then a live event.
  net::io_context ioc;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, client);
  std::string hello, live;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        co_await beast::get_lowest_layer(ws).async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                                                           net::use_awaitable);
        co_await ws.next_layer().async_handshake(net::ssl::stream_base::client, net::use_awaitable);
        co_await ws.async_handshake("127.0.0.1:" + std::to_string(port), "/ws", net::use_awaitable);
        beast::flat_buffer b;
        co_await ws.async_read(b, net::use_awaitable);
        hello = beast::buffers_to_string(b.data());
        b.consume(b.size());
        rig.send(1, rig.up, submit_sm(2, "live over wss"));
        co_await ws.async_read(b, net::use_awaitable);
        live = beast::buffers_to_string(b.data());
      },
      net::detached);
  ioc.run_for(15s);
  EXPECT_NE(hello.find("\"hello\""), std::string::npos);
  EXPECT_NE(live.find("live over wss"), std::string::npos);
  front.stop();
}

TEST(web_cli, frontend_counts_pdus_for_metrics) {
  capture_rig rig;
  app::web_cli_options o;
  o.web = "127.0.0.1:0";
  app::web_frontend front(o, rig.ring, rig.sessions, rig.analyzer);
  front.start();
  rig.open(1);
  rig.send(1, rig.up, submit_sm(1, "count me"));
  const http_result r = http_get(front.server()->port(), "/metrics");
  EXPECT_NE(r.body.find("smppscope_pdus_total{command=\"submit_sm\",direction=\"esme_to_smsc\"} 1\n"),
            std::string::npos)
      << r.body;
  app::web_cli_options none;
  app::web_frontend off(none, rig.ring, rig.sessions, rig.analyzer);
  off.start();
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(off.url(), "");
}

TEST(web_cli, frontend_serves_diagnostics_metrics_and_timelines) {
  capture_rig rig;
  smppscope::analysis::diag::diagnostics diag({}, smppscope::analysis::diag::null_alert_logger());
  rig.analyzer.add_observer(diag);
  app::web_cli_options o;
  o.web = "127.0.0.1:0";
  app::web_frontend front(o, rig.ring, rig.sessions, rig.analyzer);
  front.add_diagnostics(diag);
  front.start();
  rig.open(1);
  rig.send(1, rig.up, bind_trx(1, "diag", "pw"));
  rig.send(1, rig.down, bind_trx_resp(1));
  rig.send(1, rig.up, submit_sm(2, "x"));
  rig.analyzer.tick(sc::now_us());
  const std::uint16_t port = front.server()->port();
  const http_result t = http_get(port, "/api/sessions/1/timeline");
  EXPECT_EQ(t.status, 200u) << t.body;
  EXPECT_TRUE(json::parse(t.body).is_object()) << t.body;
  EXPECT_EQ(http_get(port, "/api/sessions/9/timeline").status, 404u);
  EXPECT_NE(http_get(port, "/metrics").body.find("smppscope_diag_"), std::string::npos);
}

// The real binary: one line on stderr and a non-zero exit for --web 0.0.0.0 without a token.
TEST(web_cli, binary_refuses_non_loopback_without_token) {
  int status = 0;
  const std::string help = run_command(std::string(SMPPSCOPE_BINARY) + " proxy --help 2>&1", &status);
  ASSERT_NE(help.find("--web-token"), std::string::npos) << help;
  const std::string out = run_command(std::string(SMPPSCOPE_BINARY) +
                                          " proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:9 --web 0.0.0.0:0"
                                          " 2>&1 >/dev/null",
                                      &status);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(out.find("--web-token"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

}  // namespace
}  // namespace web_test
