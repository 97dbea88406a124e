// TLS on the client leg, the upstream leg and both, with certificates made for the test.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <random>
#include <thread>

#include "smppscope/analysis/tap.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "test_support.hpp"

namespace smppscope::proxy::test {
namespace {

using namespace std::chrono_literals;

tls_server_options listen_tls() {
  return {test_pki().leaf_cert.string(), test_pki().leaf_key.string(), tls_version::v1_2};
}
tls_client_options upstream_tls(bool insecure = false) {
  tls_client_options o;
  o.ca_file = test_pki().ca_cert.string();
  o.insecure = insecure;
  return o;
}

// Both directions at once, then both ends check what they got.

server::handler duplex_server(const bytes& to_client, const bytes& from_client, bool& ok) {
  return [&to_client, &from_client, &ok](conn& c) {
    std::mt19937_64 rng(8);
    bytes got;
    ok = c.duplex(to_client, rng, got) && got == from_client;
  };
}

bool duplex_client(conn& c, const bytes& to_server, const bytes& from_server) {
  std::mt19937_64 rng(9);
  bytes got;
  return c.duplex(to_server, rng, got) && got == from_server;
}

TEST(tls, client_leg) {
  const bytes up = make_pdu_stream(5000, 1), down = make_pdu_stream(5000, 2);
  bool server_ok = false;
  server smsc(duplex_server(down, up, server_ok));
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.listen_tls = listen_tls();
  proxy p(opt);
  p.start();
  auto ctx = client_ctx(test_pki().ca_cert);
  conn c = connect_tls(ctx.get(), "127.0.0.1", p.port());
  ASSERT_TRUE(c.valid());
  EXPECT_TRUE(duplex_client(c, up, down));
  smsc.wait_handlers();
  EXPECT_TRUE(server_ok);
  EXPECT_STREQ(SSL_get_version(c.ssl()), "TLSv1.3");
}

TEST(tls, upstream_leg_verified_by_ca_for_ip_and_name) {
  const bytes up = make_pdu_stream(5000, 3), down = make_pdu_stream(5000, 4);
  auto sctx = server_ctx(test_pki().leaf_cert, test_pki().leaf_key);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    bool server_ok = false;
    server smsc(duplex_server(down, up, server_ok), "127.0.0.1", sctx.get());
    log_sink logs;
    auto opt = local_options(smsc.port(), logs);
    opt.upstream.host = host;
    opt.upstream_tls = upstream_tls();
    proxy p(opt);
    p.start();
    conn c = connect_tcp("127.0.0.1", p.port());
    EXPECT_TRUE(duplex_client(c, up, down)) << host;
    smsc.wait_handlers();
    EXPECT_TRUE(server_ok) << host;
    EXPECT_EQ(smsc.handshake_failures(), 0);
  }
}

TEST(tls, both_legs_with_half_close_each_way) {
  auto sctx = server_ctx(test_pki().leaf_cert, test_pki().leaf_key);
  auto cctx = client_ctx(test_pki().ca_cert);
  const bytes request = make_pdu_stream(3000, 5), response = make_pdu_stream(3000, 6);

  // Client closes first: its close_notify must reach the SMSC as close_notify, and the SMSC's
  // answer (sent after that) must still reach the client.
  {
    bool server_ok = false;
    server smsc([&](conn& c) {
      bool clean = false;
      server_ok = c.read_to_eof(&clean) == request && clean;
      c.write_all(response);
      c.shutdown_send();
    }, "127.0.0.1", sctx.get());
    log_sink logs;
    auto opt = local_options(smsc.port(), logs);
    opt.listen_tls = listen_tls();
    opt.upstream_tls = upstream_tls();
    proxy p(opt);
    p.start();
    conn c = connect_tls(cctx.get(), "127.0.0.1", p.port());
    ASSERT_TRUE(c.valid());
    ASSERT_TRUE(c.write_all(request));
    c.shutdown_send();
    bool clean = false;
    EXPECT_TRUE(c.read_to_eof(&clean) == response);
    EXPECT_TRUE(clean) << "no close_notify from the proxy";
    smsc.wait_handlers();
    EXPECT_TRUE(server_ok) << "SMSC did not see all data then close_notify";
  }
  // SMSC closes first.
  {
    bool server_ok = false;
    server smsc([&](conn& c) {
      c.write_all(response);
      c.shutdown_send();
      bool clean = false;
      server_ok = c.read_to_eof(&clean) == request && clean;
    }, "127.0.0.1", sctx.get());
    log_sink logs;
    auto opt = local_options(smsc.port(), logs);
    opt.listen_tls = listen_tls();
    opt.upstream_tls = upstream_tls();
    proxy p(opt);
    p.start();
    conn c = connect_tls(cctx.get(), "127.0.0.1", p.port());
    ASSERT_TRUE(c.valid());
    bool clean = false;
    EXPECT_TRUE(c.read_to_eof(&clean) == response);
    EXPECT_TRUE(clean);
    ASSERT_TRUE(c.write_all(request));
    c.shutdown_send();
    smsc.wait_handlers();
    EXPECT_TRUE(server_ok);
  }
}

TEST(tls, tls_1_1_client_is_refused) {
  server smsc([](conn&) {});
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.listen_tls = listen_tls();
  proxy p(opt);
  p.start();
  auto old = client_ctx({}, TLS1_1_VERSION);
  conn c = connect_tls(old.get(), "127.0.0.1", p.port(), "");
  EXPECT_FALSE(c.valid());
  EXPECT_NE(logs.wait_for("client TLS handshake failed: unsupported protocol"), "") << logs.lines().size();
  EXPECT_EQ(smsc.accepted(), 0);  // never went upstream
  // A TLS 1.2 client is fine.
  auto v12 = client_ctx(test_pki().ca_cert, TLS1_2_VERSION);
  conn ok = connect_tls(v12.get(), "127.0.0.1", p.port());
  EXPECT_TRUE(ok.valid());
}

TEST(tls, tls_min_1_3_refuses_1_2) {
  server smsc([](conn&) {});
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.listen_tls = listen_tls();
  opt.listen_tls->min_version = tls_version::v1_3;
  proxy p(opt);
  p.start();
  auto v12 = client_ctx(test_pki().ca_cert, TLS1_2_VERSION);
  EXPECT_FALSE(connect_tls(v12.get(), "127.0.0.1", p.port()).valid());
  auto v13 = client_ctx(test_pki().ca_cert);
  EXPECT_TRUE(connect_tls(v13.get(), "127.0.0.1", p.port()).valid());
}

TEST(tls, wrong_ca_is_reported_clearly_and_insecure_passes) {
  auto sctx = server_ctx(test_pki().other_leaf_cert, test_pki().other_leaf_key);
  server smsc([](conn& c) {
    std::uint8_t buf[4096];
    for (long n; (n = c.read_some(buf, sizeof buf)) > 0;) c.write_all(buf, static_cast<std::size_t>(n));
    c.shutdown_send();
  }, "127.0.0.1", sctx.get());

  analysis::tap_queue q(1u << 20);
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.upstream_tls = upstream_tls();
  opt.taps = {&q};
  proxy p(opt);
  p.start();
  const auto t0 = std::chrono::steady_clock::now();
  conn c = connect_tcp("127.0.0.1", p.port());
  std::uint8_t b[16];
  EXPECT_LE(c.read_some(b, sizeof b), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  const std::string want =
      "upstream TLS handshake failed: certificate verify failed (unable to get local issuer certificate)";
  EXPECT_NE(logs.wait_for(want), "");
  std::string tapped;
  q.drain([&](const analysis::tap_record& r) {
    if (r.kind == analysis::record_kind::upstream_failure) tapped.assign(r.bytes.begin(), r.bytes.end());
  });
  EXPECT_EQ(tapped, want);

  log_sink logs2;
  auto opt2 = local_options(smsc.port(), logs2);
  opt2.upstream_tls = upstream_tls(/*insecure=*/true);
  proxy p2(opt2);
  p2.start();
  conn c2 = connect_tcp("127.0.0.1", p2.port());
  const bytes data = make_pdu_stream(100, 1);
  ASSERT_TRUE(c2.write_all(data));
  bytes back(data.size());
  ASSERT_TRUE(c2.read_exact(back.data(), back.size()));
  EXPECT_EQ(back, data);
}

TEST(tls, host_name_mismatch_is_refused) {
  auto sctx = server_ctx(test_pki().leaf_cert, test_pki().leaf_key);
  server smsc([](conn&) {}, "127.0.0.1", sctx.get());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.upstream_tls = upstream_tls();
  opt.upstream_tls->sni = "smsc.example.net";
  proxy p(opt);
  p.start();
  conn c = connect_tcp("127.0.0.1", p.port());
  std::uint8_t b[16];
  EXPECT_LE(c.read_some(b, sizeof b), 0);
  EXPECT_NE(logs.wait_for("upstream TLS handshake failed: certificate verify failed (hostname mismatch)"), "");
}

TEST(tls, silent_client_times_out_in_handshake) {
  server smsc([](conn&) {});
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.listen_tls = listen_tls();
  opt.connect_timeout = 300ms;
  proxy p(opt);
  p.start();
  conn c = connect_tcp("127.0.0.1", p.port());
  std::uint8_t b[16];
  EXPECT_LE(c.read_some(b, sizeof b), 0);
  EXPECT_NE(logs.wait_for("client TLS handshake failed: timed out after 0.3 s"), "");
  EXPECT_EQ(p.stats().client_tls_failures, 1u);
}

TEST(tls, plain_smsc_behind_upstream_tls_fails_cleanly) {
  server smsc([](conn& c) {
    const bytes junk = pdu(0x80000009, 1, bytes{'s', 'm', 's', 'c', 0});
    c.write_all(junk);
  });
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.upstream_tls = upstream_tls();
  proxy p(opt);
  p.start();
  conn c = connect_tcp("127.0.0.1", p.port());
  std::uint8_t b[16];
  EXPECT_LE(c.read_some(b, sizeof b), 0);
  EXPECT_NE(logs.wait_for("upstream TLS handshake failed: "), "");
  EXPECT_EQ(p.stats().upstream_failures, 1u);
}

TEST(tls, unreadable_certificate_is_a_clear_error) {
  log_sink logs;
  auto opt = local_options(1, logs);
  opt.listen_tls = tls_server_options{"/nonexistent/cert.pem", test_pki().leaf_key.string(), tls_version::v1_2};
  try {
    proxy p(opt);
    FAIL() << "should throw";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--cert: cannot load certificate from /nonexistent/cert.pem: ", 0), 0u)
        << e.what();
  }
  opt.listen_tls = tls_server_options{test_pki().leaf_cert.string(), test_pki().other_leaf_key.string(), tls_version::v1_2};
  EXPECT_THROW(proxy{opt}, std::runtime_error);
}

}  // namespace
}  // namespace smppscope::proxy::test
