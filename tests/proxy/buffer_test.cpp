// Relay buffers are lent per chunk, not held per session: an idle plain-TCP session holds none,
// the pool keeps a bounded few for reuse, and bytes still go through unchanged.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "smppscope/analysis/tap.hpp"
#include "smppscope/proxy/detail/buffer_pool.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "test_support.hpp"

namespace smppscope::proxy::test {
namespace {

using namespace std::chrono_literals;
using detail::buffer_pool;
using detail::pooled_buffer;

server::handler echo_server() {
  return [](conn& c) {
    std::uint8_t b[4096];
    long n = 0;
    while ((n = c.read_some(b, sizeof b)) > 0 && c.write_all(b, static_cast<std::size_t>(n))) {
    }
  };
}

TEST(buffer_pool, lends_reuses_and_keeps_at_most_max_free) {
  buffer_pool pool(1024, 2);
  {
    pooled_buffer a = pool.take();
    ASSERT_TRUE(a);
    EXPECT_EQ(a.span().size(), 1024u);
    EXPECT_EQ(pool.in_use(), 1u);
    const std::uint8_t* first = a.span().data();
    a.reset();
    EXPECT_FALSE(a);
    EXPECT_EQ(pool.in_use(), 0u);
    EXPECT_EQ(pool.allocated(), 1u);
    pooled_buffer b = pool.take();  // the same memory again, nothing new allocated
    EXPECT_EQ(b.span().data(), first);
    EXPECT_EQ(pool.allocated(), 1u);
  }
  EXPECT_EQ(pool.in_use(), 0u);
  {
    std::vector<pooled_buffer> many;
    for (int i = 0; i < 5; ++i) many.push_back(pool.take());
    EXPECT_EQ(pool.in_use(), 5u);
    EXPECT_EQ(pool.allocated(), 5u);
    pooled_buffer moved = std::move(many[0]);
    EXPECT_FALSE(many[0]);
    EXPECT_EQ(pool.in_use(), 5u);
  }
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.allocated(), 2u);  // three freed, two kept for reuse
}

TEST(relay_buffers, idle_plain_tcp_sessions_hold_none_and_bytes_stay_exact) {
  server smsc(echo_server());
  analysis::tap_queue q(16u << 20);
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.taps = {&q};
  proxy p(opt);
  p.start();

  constexpr int sessions = 50;
  std::vector<conn> clients;
  std::mt19937_64 rng(5);
  auto round_trip = [&](conn& c, std::uint32_t seq) {
    bytes out = pdu(0x15, seq);
    for (int i = 0; i < 200; ++i) out.push_back(static_cast<std::uint8_t>(rng()));  // not a PDU: bytes are bytes
    if (!c.write_all(out)) return false;
    bytes back(out.size());
    return c.read_exact(back.data(), back.size()) && back == out;
  };
  for (int i = 0; i < sessions; ++i) {
    clients.push_back(connect_tcp("127.0.0.1", p.port()));
    ASSERT_TRUE(clients.back().valid()) << i;
    ASSERT_TRUE(round_trip(clients.back(), static_cast<std::uint32_t>(i))) << i;
  }
  ASSERT_TRUE(eventually([&] { return p.stats().opened == sessions; }));
  // Every session has relayed in both directions and now waits for readability holding nothing.
  EXPECT_TRUE(eventually([&] { return p.stats().relay_buffers_lent == 0; })) << p.stats().relay_buffers_lent;
  EXPECT_LE(p.stats().relay_buffers_allocated, 16u);  // what the pool keeps for reuse, not per session

  // Woken again, each still relays byte for byte, and goes back to holding nothing.
  for (int i = 0; i < sessions; ++i) ASSERT_TRUE(round_trip(clients[i], 1000u + i)) << i;
  EXPECT_TRUE(eventually([&] { return p.stats().relay_buffers_lent == 0; })) << p.stats().relay_buffers_lent;
  EXPECT_LE(p.stats().relay_buffers_allocated, 16u);
  EXPECT_EQ(p.stats().bytes_esme_to_smsc, 2u * sessions * 216u);
  EXPECT_EQ(p.stats().bytes_smsc_to_esme, 2u * sessions * 216u);
  EXPECT_EQ(q.dropped_records(), 0u);
  for (auto& c : clients) c.close();
  EXPECT_TRUE(eventually([&] { return p.stats().active == 0; }));
  EXPECT_EQ(p.stats().relay_buffers_lent, 0u);
}

TEST(relay_buffers, tls_sessions_keep_one_buffer_per_direction) {
  server smsc(echo_server());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.listen_tls = tls_server_options{test_pki().leaf_cert.string(), test_pki().leaf_key.string(), tls_version::v1_2};
  proxy p(opt);
  p.start();
  auto cctx = client_ctx(test_pki().ca_cert);
  conn c = connect_tls(cctx.get(), "127.0.0.1", p.port());
  ASSERT_TRUE(c.valid());
  const bytes e = pdu(0x15, 3);
  ASSERT_TRUE(c.write_all(e));
  bytes back(e.size());
  ASSERT_TRUE(c.read_exact(back.data(), back.size()));
  EXPECT_EQ(back, e);
  // The TLS source (client -> SMSC) keeps its buffer; the plain upstream source lends its own.
  EXPECT_TRUE(eventually([&] { return p.stats().relay_buffers_lent == 1; })) << p.stats().relay_buffers_lent;
  c.close();
  EXPECT_TRUE(eventually([&] { return p.stats().active == 0; }));
  EXPECT_EQ(p.stats().relay_buffers_lent, 0u);
}

}  // namespace
}  // namespace smppscope::proxy::test
