#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "smppscope/analysis/event_ring.hpp"

namespace sc = smppscope::analysis;

namespace {

// Event `id` always gets the same payload, so readers can detect torn or mixed-up copies.
std::string payload_of(std::uint64_t id) {
  std::string s(5 + (id * 37) % 300, '\0');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = char('a' + (id + i) % 26);
  return s;
}

std::uint64_t append_n(sc::event_ring& r, std::uint64_t n) {
  std::uint64_t last = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t id = r.last_id() + 1;
    last = r.append(sc::event_type::alert, id * 3, sc::direction::smsc_to_esme, std::int64_t(id), payload_of(id));
    EXPECT_EQ(last, id);
  }
  return last;
}

}  // namespace

TEST(EventRing, AppendsAndReadsBack) {
  sc::event_ring r;
  EXPECT_EQ(r.last_id(), 0u);
  EXPECT_EQ(r.first_id(), 0u);
  EXPECT_TRUE(r.read_last(10).empty());
  const std::string json = sc::make_event_json(sc::event_type::session_open, 5, std::nullopt, 42, "\"client\":\"1.2.3.4:5\"");
  EXPECT_EQ(r.append(sc::event_type::session_open, 5, std::nullopt, 42, json), 1u);
  const std::uint8_t pdu[16] = {0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 9};
  EXPECT_EQ(r.append(sc::event_type::pdu, 5, sc::direction::esme_to_smsc, 43, pdu), 2u);

  const auto all = r.read_since(0, 100);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, 1u);
  EXPECT_EQ(all[0].type, sc::event_type::session_open);
  EXPECT_FALSE(all[0].dir.has_value());
  EXPECT_EQ(all[0].payload, json);
  EXPECT_EQ(sc::event_json(all[0]),
            "{\"id\":1,\"type\":\"session_open\",\"session\":5,\"ts_us\":42,\"client\":\"1.2.3.4:5\"}");
  EXPECT_EQ(all[1].id, 2u);
  EXPECT_EQ(all[1].dir, sc::direction::esme_to_smsc);
  EXPECT_EQ(all[1].ts_us, 43);
  EXPECT_EQ(all[1].payload, std::string(reinterpret_cast<const char*>(pdu), 16));

  EXPECT_EQ(r.read_since(1, 100).size(), 1u);
  EXPECT_EQ(r.read_since(2, 100).size(), 0u);
  const auto pdus = r.read_last(10, [](const sc::event_info& e) { return e.type == sc::event_type::pdu; });
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].id, 2u);
  EXPECT_TRUE(r.get(1).has_value());
  EXPECT_FALSE(r.get(3).has_value());
  EXPECT_FALSE(r.get(0).has_value());
}

TEST(EventRing, BoundedByCountOldestDroppedFirst) {
  sc::event_ring r({.max_events = 16, .max_bytes = 1 << 20});
  append_n(r, 100);
  const auto st = r.stats();
  EXPECT_EQ(st.appended, 100u);
  EXPECT_EQ(st.events, 16u);
  EXPECT_EQ(st.overwritten, 84u);
  EXPECT_EQ(st.first_id, 85u);
  EXPECT_EQ(st.last_id, 100u);
  const auto all = r.read_since(0, 1000);
  ASSERT_EQ(all.size(), 16u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].id, 85 + i);
    EXPECT_EQ(all[i].payload, payload_of(all[i].id));
    EXPECT_EQ(all[i].session, all[i].id * 3);
  }
  const auto last3 = r.read_last(3);
  ASSERT_EQ(last3.size(), 3u);
  EXPECT_EQ(last3[0].id, 98u);
  EXPECT_EQ(last3[2].id, 100u);
  EXPECT_FALSE(r.get(84).has_value());
}

TEST(EventRing, BoundedByBytes) {
  sc::event_ring r({.max_events = 1000, .max_bytes = 8192});
  const std::string big(1000, 'x');
  for (int i = 0; i < 50; ++i) {
    std::string p = big;
    p[0] = char('A' + i % 26);
    ASSERT_NE(r.append(sc::event_type::alert, 1, std::nullopt, i, p), 0u);
    const auto st = r.stats();
    EXPECT_LE(st.bytes, 8192u);
  }
  const auto st = r.stats();
  EXPECT_GE(st.events, 7u);  // 8 slots of 1000 octets fit; one may be lost to the wrap gap
  EXPECT_LE(st.events, 8u);
  EXPECT_EQ(st.overwritten, 50u - st.events);
  const auto all = r.read_since(0, 100);
  ASSERT_EQ(all.size(), st.events);
  for (const auto& e : all) {
    EXPECT_EQ(e.payload.size(), 1000u);
    EXPECT_EQ(e.payload[0], char('A' + (e.id - 1) % 26));
  }
  // A payload larger than a quarter of the arena is refused, not stored.
  EXPECT_EQ(r.append(sc::event_type::alert, 1, std::nullopt, 0, std::string(3000, 'y')), 0u);
  EXPECT_EQ(r.stats().rejected, 1u);
}

TEST(EventRing, ReadSinceAfterFallingBehindStartsAtOldest) {
  sc::event_ring r({.max_events = 32, .max_bytes = 1 << 20});
  append_n(r, 10);
  auto first = r.read_since(0, 5);
  ASSERT_EQ(first.size(), 5u);
  append_n(r, 100);  // reader fell behind: ids 6..78 are gone
  const auto next = r.read_since(first.back().id, 1000);
  ASSERT_EQ(next.size(), 32u);
  EXPECT_EQ(next.front().id, 79u);
  EXPECT_EQ(next.back().id, 110u);
}

// One writer, three readers hammering read_since / read_last / get: no reader ever sees a torn
// event (payload, session and timestamp always belong to the id), ids only go up, and the
// writer is never blocked (it finishes its fixed amount of work).
TEST(EventRing, ConcurrentReadersNeverSeeTornEvents) {
  sc::event_ring r({.max_events = 512, .max_bytes = 64 * 1024});
  constexpr std::uint64_t total = 200000;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> bad{0}, seen{0};

  auto verify = [&](const sc::event& e) {
    if (e.payload != payload_of(e.id) || e.session != e.id * 3 || e.ts_us != std::int64_t(e.id) ||
        e.type != sc::event_type::alert || e.dir != sc::direction::smsc_to_esme)
      bad.fetch_add(1);
    seen.fetch_add(1, std::memory_order_relaxed);
  };
  std::vector<std::thread> readers;
  readers.emplace_back([&] {
    std::uint64_t after = 0;
    while (!done.load()) {
      const auto v = r.read_since(after, 64);
      for (const auto& e : v) {
        if (e.id <= after) bad.fetch_add(1);
        after = e.id;
        verify(e);
      }
    }
  });
  readers.emplace_back([&] {
    while (!done.load()) {
      const auto v = r.read_last(50, [](const sc::event_info& i) { return i.id % 2 == 0; });
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i].id % 2 != 0 || (i && v[i].id <= v[i - 1].id)) bad.fetch_add(1);
        verify(v[i]);
      }
    }
  });
  readers.emplace_back([&] {
    while (!done.load()) {
      const std::uint64_t last = r.last_id();
      for (std::uint64_t id = last; id > 0 && id + 600 > last; id -= 7)
        if (auto e = r.get(id)) verify(*e);
    }
  });
  for (std::uint64_t id = 1; id <= total; ++id)
    r.append(sc::event_type::alert, id * 3, sc::direction::smsc_to_esme, std::int64_t(id), payload_of(id));
  done.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(seen.load(), 0u);
  EXPECT_EQ(r.last_id(), total);
  const auto st = r.stats();
  EXPECT_EQ(st.appended, total);
  EXPECT_EQ(st.appended - st.overwritten, st.events);
}
