// The relay reports the TLS version each leg negotiated in the session_open record, and the
// compliance check judges it against a provider profile: through the real proxy on loopback,
// an SMSC capped at TLS 1.2 breaks OVHcloud's "TLS 1.3 minimum", one at TLS 1.3 keeps it.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/compliance.hpp"
#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/analysis/tap.hpp"
#include "smppscope/profile/loader.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "test_support.hpp"

namespace smppscope::proxy::test {
namespace {

using namespace std::chrono_literals;

struct result {
  std::string open_text;
  std::uint64_t tls_breaches = 0;
};

result run_through_proxy(int smsc_max_version) {
  auto sctx = server_ctx(test_pki().leaf_cert, test_pki().leaf_key, smsc_max_version);
  server smsc(echo_handler(), "127.0.0.1", sctx.get());
  analysis::tap_queue q(1u << 20);
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  tls_client_options up;
  up.ca_file = test_pki().ca_cert.string();
  opt.upstream_tls = up;
  opt.taps = {&q};
  proxy p(opt);
  p.start();

  analysis::event_ring ring;
  analysis::session_table sessions;
  analysis::analyzer an(ring, sessions);
  analysis::compliance_checker check(analysis::compliance_options{.profile = profile::find_builtin("ovhcloud")});
  an.add_observer(check);

  conn c = connect_tcp("127.0.0.1", p.port());
  EXPECT_TRUE(c.valid());
  const bytes enquire = pdu(0x00000015, 1);
  EXPECT_TRUE(c.write_all(enquire));
  std::uint8_t buf[64];
  EXPECT_EQ(c.read_some(buf, sizeof buf), static_cast<long>(enquire.size()));  // echoed: relayed both ways

  result r;
  std::uint64_t session = 0;
  EXPECT_TRUE(eventually([&] {
    q.drain([&](const analysis::tap_record& rec) {
      if (rec.kind == analysis::record_kind::session_open) {
        r.open_text.assign(rec.bytes.begin(), rec.bytes.end());
        session = rec.session;
      }
      an.process(rec);
    });
    return session != 0;
  }));
  const auto b = check.breaches(session);
  if (const auto it = b.find("tls"); it != b.end()) r.tls_breaches = it->second;
  return r;
}

TEST(tls_version, smsc_at_tls_1_2_breaks_ovhcloud_minimum) {
  const result r = run_through_proxy(TLS1_2_VERSION);
  EXPECT_EQ(r.open_text, "upstream_tls_version=TLSv1.2");  // the client leg is plain TCP
  EXPECT_EQ(r.tls_breaches, 1u);
}

TEST(tls_version, smsc_at_tls_1_3_keeps_it) {
  const result r = run_through_proxy(0);
  EXPECT_EQ(r.open_text, "upstream_tls_version=TLSv1.3");
  EXPECT_EQ(r.tls_breaches, 0u);
}

}  // namespace
}  // namespace smppscope::proxy::test
