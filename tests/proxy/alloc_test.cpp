// The relay's steady state allocates nothing: every operator new in this process is counted
// while PDUs flow through an established session. (Own binary: it replaces operator new.)
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "smppscope/analysis/tap.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "test_support.hpp"

namespace {
std::atomic<std::uint64_t> g_news{0};
}

void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace smppscope::proxy::test {
namespace {

void steady_state_allocations(bool tls) {
  // The SMSC answers every 16-octet PDU with the same 16 octets.
  auto sctx = server_ctx(test_pki().leaf_cert, test_pki().leaf_key);
  server smsc([](conn& c) {
    std::uint8_t b[16];
    while (c.read_exact(b, 16) && c.write_all(b, 16)) {
    }
  }, "127.0.0.1", tls ? sctx.get() : nullptr);
  analysis::tap_queue q(64u << 20);
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.taps = {&q};
  if (tls) {
    tls_client_options t;
    t.ca_file = test_pki().ca_cert.string();
    opt.upstream_tls = t;
    opt.listen_tls = tls_server_options{test_pki().leaf_cert.string(), test_pki().leaf_key.string(), tls_version::v1_2};
  }
  proxy p(opt);
  p.start();
  auto cctx = client_ctx(test_pki().ca_cert);
  conn c = tls ? connect_tls(cctx.get(), "127.0.0.1", p.port()) : connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(c.valid());
  const bytes e = pdu(0x15, 7);
  std::uint8_t back[16];
  auto round_trips = [&](int n) {
    for (int i = 0; i < n; ++i)
      if (!c.write_all(e.data(), e.size()) || !c.read_exact(back, 16)) return false;
    return true;
  };
  const std::uint64_t at_start = g_news.load();
  ASSERT_TRUE(round_trips(200));  // warm-up: handler memory caches fill
  std::printf("warm-up allocations: %llu\n", static_cast<unsigned long long>(g_news.load() - at_start));
  const std::uint64_t before = g_news.load();
  constexpr int n = 5000;
  ASSERT_TRUE(round_trips(n));
  const std::uint64_t during = g_news.load() - before;
  // 4 reads and 4 writes per round trip on the proxy; anything per operation would show as >= n.
  std::printf("steady-state allocations: %llu\n", static_cast<unsigned long long>(during));
  EXPECT_LT(during, 20u) << during << " allocations over " << n << " round trips";
}

TEST(relay_allocations, none_per_pdu_over_tcp) { steady_state_allocations(false); }
TEST(relay_allocations, none_per_pdu_over_tls) { steady_state_allocations(true); }

}  // namespace
}  // namespace smppscope::proxy::test
