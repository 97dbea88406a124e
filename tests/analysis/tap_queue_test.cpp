#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "smppscope/analysis/tap.hpp"

namespace sc = smppscope::analysis;

namespace {

// Record k: length and contents are a function of k, so the consumer can check each one.
std::size_t len_of(std::uint64_t k) { return (k * 7919) % 3001; }
std::uint8_t byte_of(std::uint64_t k, std::size_t i) { return std::uint8_t(k * 31 + i * 7); }

void fill(std::vector<std::uint8_t>& buf, std::uint64_t k) {
  buf.resize(len_of(k));
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = byte_of(k, i);
}

sc::endpoint ep(std::uint8_t last, std::uint16_t port, bool v6 = false) {
  sc::endpoint e;
  e.v6 = v6;
  if (v6) {
    e.addr[15] = last;
  } else {
    e.addr[0] = 127;
    e.addr[3] = last;
  }
  e.port = port;
  return e;
}

}  // namespace

TEST(TapQueue, RoundTripsDataAndEventRecords) {
  sc::tap_queue q(8192);
  const std::uint8_t data[] = {1, 2, 3, 4, 5};
  ASSERT_TRUE(q.push_data(7, sc::direction::smsc_to_esme, 123, data));
  sc::tap_record open;
  open.kind = sc::record_kind::session_open;
  open.session = 7;
  open.ts_us = 100;
  open.client = ep(1, 40000);
  open.proxy_client_side = ep(2, 2775);
  open.proxy_upstream_side = ep(3, 50000, true);
  open.upstream = ep(4, 2776, true);
  open.client_tls = true;
  const std::string why = "peer reset";
  open.bytes = {reinterpret_cast<const std::uint8_t*>(why.data()), why.size()};
  ASSERT_TRUE(q.push_event(open));

  std::vector<sc::tap_record> got;
  std::vector<std::vector<std::uint8_t>> bytes;
  EXPECT_EQ(q.drain([&](const sc::tap_record& r) {
    got.push_back(r);
    bytes.emplace_back(r.bytes.begin(), r.bytes.end());
  }), 2u);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].kind, sc::record_kind::data);
  EXPECT_EQ(got[0].dir, sc::direction::smsc_to_esme);
  EXPECT_EQ(got[0].session, 7u);
  EXPECT_EQ(got[0].ts_us, 123);
  EXPECT_EQ(bytes[0], std::vector<std::uint8_t>(data, data + 5));
  EXPECT_EQ(got[1].kind, sc::record_kind::session_open);
  EXPECT_EQ(got[1].client, open.client);
  EXPECT_EQ(got[1].proxy_upstream_side, open.proxy_upstream_side);
  EXPECT_EQ(got[1].upstream, open.upstream);
  EXPECT_TRUE(got[1].client_tls);
  EXPECT_FALSE(got[1].upstream_tls);
  EXPECT_EQ(std::string(bytes[1].begin(), bytes[1].end()), why);
  EXPECT_EQ(got[1].upstream.to_string(), "[::4]:2776");
  EXPECT_EQ(got[1].client.to_string(), "127.0.0.1:40000");
  EXPECT_EQ(q.drain([](const sc::tap_record&) {}), 0u);
}

TEST(TapQueue, FullQueueDropsAndCounts) {
  sc::tap_queue q(4096);
  std::vector<std::uint8_t> chunk(1000, 0xAB);
  std::size_t accepted = 0, refused = 0;
  for (int i = 0; i < 10; ++i) (q.push_data(1, sc::direction::esme_to_smsc, i, chunk) ? accepted : refused)++;
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(q.dropped_records(), refused);
  EXPECT_EQ(q.dropped_bytes(), refused * chunk.size());
  // Oversized records are refused outright (more than half the ring).
  std::vector<std::uint8_t> huge(3000);
  std::size_t n = 0;
  q.drain([&](const sc::tap_record&) { ++n; });
  EXPECT_EQ(n, accepted);
  EXPECT_FALSE(q.push_data(1, sc::direction::esme_to_smsc, 0, huge));
  // After draining there is room again, also across the wrap point.
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(q.push_data(2, sc::direction::esme_to_smsc, i, chunk)) << i;
    std::size_t m = 0;
    q.drain([&](const sc::tap_record& r) {
      EXPECT_EQ(r.ts_us, i);
      EXPECT_EQ(r.bytes.size(), chunk.size());
      ++m;
    });
    ASSERT_EQ(m, 1u);
  }
}

// One producer, one consumer, a small ring: every record arrives intact and in order, or it is
// counted as dropped (records and bytes add up exactly).
TEST(TapQueue, TwoThreadStressEveryByteInOrderOrCounted) {
  constexpr std::uint64_t total = 300000;
  sc::tap_queue q(64 * 1024);
  std::atomic<bool> done{false};
  std::uint64_t expected_dropped_bytes = 0;  // computed by the consumer from the gaps

  std::thread producer([&] {
    std::vector<std::uint8_t> buf;
    sc::tap_record ev;
    ev.kind = sc::record_kind::session_close;
    ev.client = ep(9, 1234);
    for (std::uint64_t k = 0; k < total; ++k) {
      fill(buf, k);
      if (k % 1000 == 999) {
        ev.session = k;
        ev.ts_us = std::int64_t(k);
        ev.bytes = buf;
        q.push_event(ev);
      } else {
        q.push_data(k, sc::direction(k & 1), std::int64_t(k), buf);
      }
    }
    done.store(true, std::memory_order_release);
  });

  std::uint64_t next = 0, received = 0, bad = 0;
  auto check = [&](const sc::tap_record& r) {
    const std::uint64_t k = r.session;
    if (k < next) ++bad;  // out of order / duplicated
    for (; next < k; ++next) expected_dropped_bytes += len_of(next);
    next = k + 1;
    ++received;
    const bool is_event = k % 1000 == 999;
    if (r.kind != (is_event ? sc::record_kind::session_close : sc::record_kind::data)) ++bad;
    if (!is_event && r.dir != sc::direction(k & 1)) ++bad;
    if (is_event && r.client.port != 1234) ++bad;
    if (r.ts_us != std::int64_t(k) || r.bytes.size() != len_of(k)) {
      ++bad;
      return;
    }
    for (std::size_t i = 0; i < r.bytes.size(); ++i)
      if (r.bytes[i] != byte_of(k, i)) {
        ++bad;
        break;
      }
  };
  for (;;) {
    const bool finished = done.load(std::memory_order_acquire);
    const std::size_t n = q.drain(check, 64);
    if (n == 0 && finished) break;
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  for (; next < total; ++next) expected_dropped_bytes += len_of(next);

  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(received + q.dropped_records(), total);
  EXPECT_EQ(q.dropped_bytes(), expected_dropped_bytes);
  EXPECT_EQ(q.pushed_records(), received);
  EXPECT_GT(received, total / 100);  // the consumer did keep up with a fair share
  EXPECT_EQ(q.used_bytes(), 0u);
}

// A consumer that keeps up keeps the queue in its first few MiB (no fresh pages for the relay
// to fault in); a backlog still gets the whole capacity, and every record arrives intact.
TEST(TapQueue, WrapsEarlyWhenTheConsumerKeepsUp) {
  sc::tap_queue q(64u << 20);
  std::vector<std::uint8_t> buf(1000);
  std::uint64_t pushed = 0, seen = 0;
  bool intact = true;
  auto check = [&](const sc::tap_record& r) {
    intact = intact && r.session == seen && r.bytes.size() == buf.size() && r.bytes[0] == std::uint8_t(seen);
    ++seen;
  };
  for (int i = 0; i < 40000; ++i) {  // 40 MB through, drained every 100 records
    buf[0] = std::uint8_t(pushed);
    ASSERT_TRUE(q.push_data(pushed++, sc::direction::esme_to_smsc, 0, buf));
    if (i % 100 == 99) q.drain(check);
  }
  q.drain(check);
  EXPECT_TRUE(intact);
  EXPECT_EQ(seen, pushed);
  EXPECT_LE(q.touched_bytes(), (4u << 20) + 200000u);
  EXPECT_EQ(q.used_bytes(), 0u);

  for (int i = 0; i < 20000; ++i) {  // 20 MB backlog: it goes past the early-wrap point
    buf[0] = std::uint8_t(pushed);
    ASSERT_TRUE(q.push_data(pushed++, sc::direction::esme_to_smsc, 0, buf)) << i;
    // The consumer runs once early on (passing any wrap marker), then not at all.
    if (i == 1000) q.drain(check);
  }
  EXPECT_GT(q.touched_bytes(), 16u << 20);
  q.drain(check);
  EXPECT_TRUE(intact);
  EXPECT_EQ(seen, pushed);
  EXPECT_EQ(q.dropped_records(), 0u);
}
