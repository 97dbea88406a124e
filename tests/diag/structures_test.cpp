// The building blocks: ordered_table, histograms, message ids and receipts.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "../decoder/vector_pcap.hpp"
#include "diag_test_util.hpp"
#include "smppscope/analysis/diag/detail/ordered_table.hpp"
#include "smppscope/analysis/diag/histogram.hpp"
#include "smppscope/analysis/diag/receipt.hpp"
#include "smppscope/decoder/dlr.hpp"

using namespace diag_test;
using dg::detail::ordered_table;

TEST(OrderedTable, KeepsInsertionOrderAndFindsKeys) {
  ordered_table<int> t(100, 2);
  for (int i = 0; i < 10; ++i) ASSERT_NE(t.push_back(std::uint64_t(1000 - i), i), t.npos);
  EXPECT_EQ(t.size(), 10u);
  std::vector<int> order;
  for (auto i = t.front(); i != t.npos; i = t.next(i)) order.push_back(t[i].value);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  t.erase(t.find(995));
  t.erase(t.front());
  EXPECT_EQ(t.find(995), t.npos);
  EXPECT_EQ(t.find(1000), t.npos);
  EXPECT_EQ(t[t.front()].value, 1);
  EXPECT_EQ(t[t.find(991)].value, 9);
  EXPECT_EQ(t.size(), 8u);
}

TEST(OrderedTable, StopsAtMaxSize) {
  ordered_table<int> t(5, 1);
  for (int i = 0; i < 5; ++i) ASSERT_NE(t.push_back(std::uint64_t(i), i), t.npos);
  EXPECT_EQ(t.push_back(99, 99), t.npos);
  EXPECT_EQ(t.allocated(), 5u);
  t.erase(t.find(2));
  EXPECT_NE(t.push_back(99, 99), t.npos);
  EXPECT_EQ(t[t.back()].value, 99);
}

// An idle session's tables hold no memory until a request arrives.
TEST(OrderedTable, AllocatesNothingUntilTheFirstPush) {
  ordered_table<int> t(100, 8);
  EXPECT_EQ(t.allocated(), 0u);
  EXPECT_EQ(t.find(7), t.npos);
  EXPECT_EQ(t.front(), t.npos);
  ASSERT_NE(t.push_back(7, 1), t.npos);
  EXPECT_EQ(t.allocated(), 8u);
  EXPECT_EQ(t[t.find(7)].value, 1);
}

// Random operations against std::map + a list: exercises probing, backward-shift deletion and growth.
TEST(OrderedTable, MatchesReferenceUnderRandomOperations) {
  std::mt19937_64 rng(42);
  ordered_table<std::uint64_t> t(4096, 4);
  std::map<std::uint64_t, std::uint64_t> ref;  // key -> insertion stamp
  std::uint64_t stamp = 0;
  for (int op = 0; op < 200000; ++op) {
    const std::uint64_t key = rng() % 3000;  // small key space: many collisions and reuse
    const std::uint32_t at = t.find(key);
    ASSERT_EQ(at != t.npos, ref.count(key) == 1) << "op " << op;
    if (at != t.npos) {
      ASSERT_EQ(t[at].value, ref[key]);
      if (rng() % 2) {
        t.erase(at);
        ref.erase(key);
      }
    } else if (t.push_back(key, ++stamp) != t.npos) {
      ref[key] = stamp;
    } else {
      ASSERT_EQ(ref.size(), 4096u);
    }
    if (op % 5000 == 0) {  // order check: stamps strictly increase front to back
      std::uint64_t last = 0;
      std::size_t n = 0;
      for (auto i = t.front(); i != t.npos; i = t.next(i), ++n) {
        ASSERT_GT(t[i].value, last);
        last = t[i].value;
      }
      ASSERT_EQ(n, ref.size());
    }
  }
  EXPECT_EQ(t.size(), ref.size());
}

TEST(Histogram, BucketsFollowPrometheusLe) {
  EXPECT_EQ(dg::bucket_of(dg::latency_bounds_us, 0), 0u);
  EXPECT_EQ(dg::bucket_of(dg::latency_bounds_us, 1000), 0u);  // le="0.001" includes 1 ms
  EXPECT_EQ(dg::bucket_of(dg::latency_bounds_us, 1001), 1u);
  EXPECT_EQ(dg::bucket_of(dg::latency_bounds_us, 60'000'001), dg::latency_bounds_us.size());
}

TEST(Histogram, QuantilesStayInsideTheBucketAndObservedRange) {
  dg::histogram<dg::latency_bounds_us> h;
  for (int i = 0; i < 90; ++i) h.add(4'000);   // bucket (2.5 ms, 5 ms]
  for (int i = 0; i < 10; ++i) h.add(700'000);  // bucket (500 ms, 1 s]
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.min(), 4'000);
  EXPECT_EQ(h.max(), 700'000);
  const auto p50 = h.quantile(0.5);
  EXPECT_GE(p50, 2'500);
  EXPECT_LE(p50, 5'000);
  const auto p99 = h.quantile(0.99);
  EXPECT_GT(p99, 500'000);
  EXPECT_LE(p99, 700'000);
  EXPECT_EQ(h.quantile(1.0), 700'000);
  dg::histogram<dg::latency_bounds_us> one;
  one.add(12'345);
  EXPECT_EQ(one.quantile(0.5), 12'345);  // clamped to the only value
  EXPECT_EQ(dg::histogram<dg::latency_bounds_us>().quantile(0.5), 0);
}

bool same_message(std::string_view a, std::string_view b) {
  const auto ka = dg::keys_of_message_id(a);
  const auto kb = dg::keys_of_message_id(b);
  if (kb.count == 0) return false;
  for (std::uint8_t i = 0; i < ka.count; ++i)
    if (ka.key[i] == kb.key[0]) return true;
  return false;
}

TEST(MessageId, MatchesAcrossPaddingCaseAndBase) {
  EXPECT_TRUE(same_message("0123456789", "123456789"));
  EXPECT_TRUE(same_message("0123456789", "75BCD15"));  // receipt decimal, submit_sm_resp hex
  EXPECT_TRUE(same_message("75bcd15", "123456789"));   // and the other way round
  EXPECT_TRUE(same_message("ABCDEF", "abcdef"));
  EXPECT_TRUE(same_message("00ff", "255"));
  EXPECT_FALSE(same_message("123456789", "123456788"));
  EXPECT_FALSE(same_message("msg-1", "msg-2"));
  EXPECT_TRUE(same_message("msg-1", "MSG-1"));
  EXPECT_TRUE(same_message(" 000ABCdef ", "abcdef"));
  EXPECT_TRUE(same_message(std::string_view("12\0", 3), "12"));
  EXPECT_EQ(dg::keys_of_message_id("").count, 0);
  EXPECT_EQ(dg::keys_of_message_id("xyz").count, 1);
}

// Cross-check against the decoder's pairwise rule (decoder::message_ids_match) on random ids:
// the hashed keys must find exactly the pairs it calls equal.
TEST(MessageId, AgreesWithTheDecodersMatchRule) {
  std::mt19937_64 rng(5);
  const std::string alphabet = "0123456789abcdefABCDEF";
  auto random_id = [&] {
    std::string s(rng() % 4, '0');
    const std::size_t len = 1 + rng() % 20;
    for (std::size_t i = 0; i < len; ++i) s += alphabet[rng() % (rng() % 3 == 0 ? 10 : alphabet.size())];
    return s;
  };
  std::size_t equal = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string a = random_id();
    std::string b;
    switch (rng() % 4) {  // related pairs often, random ones otherwise
      case 0: {
        char buf[32];
        std::uint64_t v = rng() % 100000000;
        std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
        b = buf;
        std::snprintf(buf, sizeof buf, "%0*llX", static_cast<int>(rng() % 12), static_cast<unsigned long long>(v));
        EXPECT_TRUE(same_message(b, buf)) << b << " " << buf;
        EXPECT_TRUE(same_message(buf, b)) << b << " " << buf;
        b = buf;
        break;
      }
      case 1: b = "00" + a; break;
      default: b = random_id();
    }
    const bool want = sd::message_ids_match(a, b);
    equal += want;
    EXPECT_EQ(same_message(a, b), want) << a << " vs " << b;  // whichever side came first
    EXPECT_EQ(same_message(b, a), want) << b << " vs " << a;
  }
  EXPECT_GT(equal, 4000u);
  EXPECT_FALSE(same_message("18446744073709551616", "10000000000000000"));  // 20 digits: text only
}

TEST(Receipt, FromTheSharedVectorPrefersTheTlv) {
  const bytes frame = smppscope::test::vector_pdu("smpp_deliver_sm_dlr");
  sd::pdu p;
  ASSERT_FALSE(sd::decode(frame, p));
  const auto r = dg::find_receipt(p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "0123456789");
  EXPECT_EQ(r->message_state, 2);  // the TLV; the text was not needed
  EXPECT_FALSE(r->intermediate);
}

TEST(Receipt, TextOnlyIntermediateAndNonReceipts) {
  sd::pdu p;
  bytes b = receipt(3, "0A1B", std::nullopt, "UNDELIV");
  ASSERT_FALSE(sd::decode(b, p));
  auto r = dg::find_receipt(p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "0A1B");
  EXPECT_EQ(r->stat, "UNDELIV");
  EXPECT_EQ(r->message_state, 5);  // from the text's stat:

  b = receipt(8, "text-id", std::string("tlv-id"), "EXPIRED");  // TLV id wins, state from the text
  ASSERT_FALSE(sd::decode(b, p));
  r = dg::find_receipt(p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "tlv-id");
  EXPECT_EQ(r->message_state, 3);

  b = receipt(4, "77", std::nullopt, "ENROUTE");
  ASSERT_FALSE(sd::decode(b, p));
  r = dg::find_receipt(p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->intermediate);

  b = receipt(5, "78", std::nullopt, "DELIVRD", 0x20);  // intermediate delivery notification
  ASSERT_FALSE(sd::decode(b, p));
  r = dg::find_receipt(p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->intermediate);

  b = deliver(6);  // a plain MO message
  ASSERT_FALSE(sd::decode(b, p));
  EXPECT_FALSE(dg::find_receipt(p));

  b = submit(7);
  ASSERT_FALSE(sd::decode(b, p));
  EXPECT_FALSE(dg::find_receipt(p));
}

TEST(Options, ValidateNamesTheOption) {
  dg::diag_options o;
  EXPECT_EQ(dg::validate(o), "");
  o.window = 0;
  EXPECT_NE(dg::validate(o).find("--window"), std::string::npos);
  o = {};
  o.request_expiry_us = o.response_timeout_us - 1;
  EXPECT_NE(dg::validate(o).find("--request-expiry"), std::string::npos);
  o = {};
  o.congestion_threshold = 101;
  EXPECT_NE(dg::validate(o).find("--congestion-threshold"), std::string::npos);
}

TEST(AlertKind, NamesRoundTrip) {
  for (std::size_t k = 0; k < dg::alert_kind_count; ++k) {
    const auto kind = static_cast<dg::alert_kind>(k);
    EXPECT_EQ(dg::parse_alert_kind(dg::alert_kind_name(kind)), kind);
  }
  EXPECT_EQ(dg::alert_kind_name(dg::alert_kind::enquire_link_timeout), "enquire_link_timeout");
  EXPECT_FALSE(dg::parse_alert_kind("nope"));
}
