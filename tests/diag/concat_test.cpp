// concat_incomplete: concatenated messages (UDH 8/16-bit, SAR TLVs) followed per session and
// direction; a message whose parts stop coming is reported after concat_timeout (injected time),
// a completed one raises nothing, and the pending state stays within its bounds.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "diag_test_util.hpp"

using namespace diag_test;
using sc::event_type;

namespace {

enum class numbering { udh8, udh16, sar };

bytes part(std::uint32_t seq, std::uint16_t ref, std::uint8_t total, std::uint8_t n, numbering how = numbering::udh8,
           sd::command_id cmd = sd::command_id::submit_sm) {
  const std::string text = "part " + std::to_string(n) + " of a long message ";
  bytes ud;
  if (how == numbering::udh8) ud = {0x05, 0x00, 0x03, static_cast<std::uint8_t>(ref), total, n};
  if (how == numbering::udh16)
    ud = {0x06, 0x08, 0x04, static_cast<std::uint8_t>(ref >> 8), static_cast<std::uint8_t>(ref), total, n};
  ud.insert(ud.end(), text.begin(), text.end());
  sd::pdu_builder b(cmd, seq);
  b.set("source_addr", "1234").set("destination_addr", "5678");
  if (how != numbering::sar) b.set("esm_class", 0x40);
  b.short_message(ud);
  if (how == numbering::sar) {
    b.tlv_int(sd::tlv_tag::sar_msg_ref_num, ref);
    b.tlv_int(sd::tlv_tag::sar_total_segments, total);
    b.tlv_int(sd::tlv_tag::sar_segment_seqnum, n);
  }
  return b.bytes();
}

long long metric(const std::string& text, const std::string& sample) {
  const std::string needle = "\n" + sample + " ";
  const auto at = text.find(needle);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + needle.size()));
}

std::string prometheus(const harness& h) {
  std::string m;
  h.diag.append_prometheus(m);
  return m;
}

boost::json::object extra_of(const sc::session_alert& a) {
  return boost::json::parse("{" + a.extra_json + "}").as_object();
}

std::vector<std::int64_t> ints(const boost::json::value& v) {
  std::vector<std::int64_t> out;
  for (const auto& x : v.as_array()) out.push_back(x.as_int64());
  return out;
}

}  // namespace

TEST(Concat, CompletedMessageRaisesNothing) {
  harness h;
  h.send(e2s, t0, part(2, 7, 3, 3));  // out of order
  h.send(e2s, t0 + 10 * ms, part(3, 7, 3, 1));
  EXPECT_EQ(h.diag.totals().concat_pending, 1u);
  h.send(e2s, t0 + 20 * ms, part(4, 7, 3, 2));
  h.send(e2s, t0 + 30 * ms, part(5, 9, 2, 1, numbering::sar));
  h.send(e2s, t0 + 40 * ms, part(6, 9, 2, 2, numbering::sar));
  h.tick_until(t0, t0 + 200 * sec);
  EXPECT_FALSE(h.alert("concat_incomplete"));
  EXPECT_EQ(h.count_events(event_type::alert, "concat_incomplete"), 0u);
  const auto t = h.diag.totals();
  EXPECT_EQ(t.concat_parts, 5u);
  EXPECT_EQ(t.concat_completed, 2u);
  EXPECT_EQ(t.concat_incomplete, 0u);
  EXPECT_EQ(t.concat_pending, 0u);
  EXPECT_EQ(t.concat_buffered_bytes, 0u);
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_concat_messages_total{result=\"completed\"}"), 2);
}

TEST(Concat, MissingPartIsReportedAfterTheTimeoutWithThePartsSeenAndMissing) {
  dg::diag_options o;
  o.concat_timeout_us = 60 * sec;
  o.quiet_period_us = 30 * sec;
  harness h(o);
  h.send(e2s, t0 + 1 * sec, part(2, 42, 4, 1));
  h.send(e2s, t0 + 2 * sec, part(3, 42, 4, 3));
  h.send(e2s, t0 + 2 * sec, part(4, 42, 4, 3));  // a retransmitted part counts once
  h.tick_until(t0, t0 + 61 * sec);  // 59 s after the last part: not yet
  EXPECT_FALSE(h.alert("concat_incomplete"));
  h.tick_until(t0 + 61 * sec, t0 + 64 * sec);
  const auto a = h.alert("concat_incomplete");
  ASSERT_TRUE(a);
  EXPECT_NE(a->message.find("from the ESME"), std::string::npos) << a->message;
  EXPECT_NE(a->message.find("ref 42"), std::string::npos) << a->message;
  EXPECT_NE(a->message.find("2 of 4 parts (1,3), missing 2,4"), std::string::npos) << a->message;
  const auto x = extra_of(*a);
  EXPECT_EQ(x.at("side").as_string(), "esme");
  EXPECT_EQ(x.at("direction").as_string(), "esme_to_smsc");
  EXPECT_EQ(x.at("numbering").as_string(), "udh_8bit");
  EXPECT_EQ(x.at("ref").as_int64(), 42);
  EXPECT_EQ(x.at("total").as_int64(), 4);
  EXPECT_EQ(ints(x.at("parts_seen")), (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(ints(x.at("parts_missing")), (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(x.at("source_addr").as_string(), "1234");
  EXPECT_EQ(x.at("destination_addr").as_string(), "5678");
  // The WebSocket event, /metrics and the stderr line say the same.
  EXPECT_EQ(h.count_events(event_type::alert, "concat_incomplete"), 1u);
  const std::string m = prometheus(h);
  EXPECT_EQ(metric(m, "smppscope_diag_concat_messages_total{result=\"incomplete\"}"), 1) << m;
  EXPECT_EQ(metric(m, "smppscope_diag_alerts_raised_total{kind=\"concat_incomplete\"}"), 1) << m;
  EXPECT_EQ(metric(m, "smppscope_diag_alerts_active{kind=\"concat_incomplete\"}"), 1) << m;
  EXPECT_EQ(metric(m, "smppscope_diag_concat_pending"), 0) << m;
  ASSERT_FALSE(h.log.empty());
  EXPECT_TRUE(h.log.back().ends_with("[side esme, direction esme_to_smsc]")) << h.log.back();
  // The late part starts a new message rather than completing the reported one.
  h.send(e2s, t0 + 65 * sec, part(5, 42, 4, 2));
  EXPECT_EQ(h.diag.totals().concat_completed, 0u);
  // Cleared once the quiet period passes without another incomplete message (the late part
  // itself is reported again 60 s on, so look before that).
  h.tick_until(t0 + 64 * sec, t0 + 95 * sec);
  EXPECT_FALSE(h.alert("concat_incomplete"));
  EXPECT_EQ(h.count_events(event_type::alert_cleared, "concat_incomplete"), 1u);
}

TEST(Concat, SixteenBitAndSarPartsFromTheSmscBlameTheSmsc) {
  dg::diag_options o;
  o.concat_timeout_us = 10 * sec;
  harness h(o);
  h.send(s2e, t0, part(2, 0x1234, 2, 2, numbering::udh16, sd::command_id::deliver_sm));
  h.send(s2e, t0 + 3 * sec, part(3, 300, 3, 1, numbering::sar, sd::command_id::deliver_sm));
  h.tick_until(t0, t0 + 12 * sec);
  auto a = h.alert("concat_incomplete");
  ASSERT_TRUE(a);
  auto x = extra_of(*a);
  EXPECT_EQ(x.at("side").as_string(), "smsc");
  EXPECT_EQ(x.at("direction").as_string(), "smsc_to_esme");
  EXPECT_EQ(x.at("numbering").as_string(), "udh_16bit");
  EXPECT_NE(a->message.find("udh_16bit ref 4660"), std::string::npos) << a->message;
  EXPECT_EQ(ints(x.at("parts_missing")), (std::vector<std::int64_t>{1}));
  h.tick_until(t0 + 12 * sec, t0 + 15 * sec);
  a = h.alert("concat_incomplete");
  ASSERT_TRUE(a);
  x = extra_of(*a);
  EXPECT_EQ(x.at("numbering").as_string(), "sar");
  EXPECT_NE(a->message.find("sar ref 300"), std::string::npos) << a->message;
  EXPECT_EQ(ints(x.at("parts_missing")), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(x.at("count").as_int64(), 2);
  EXPECT_EQ(h.diag.totals().concat_incomplete, 2u);
  EXPECT_EQ(h.count_events(event_type::alert, "concat_incomplete"), 1u);  // one alert, updated
}

TEST(Concat, PartsOfOtherSessionsOrDirectionsDoNotJoin) {
  dg::diag_options o;
  o.concat_timeout_us = 5 * sec;
  harness h(o);
  h.open(2, t0);
  h.send(e2s, t0, part(2, 5, 2, 1), 1);
  h.send(e2s, t0, part(2, 5, 2, 2), 2);
  h.send(s2e, t0, part(3, 5, 2, 2, numbering::udh8, sd::command_id::deliver_sm), 1);
  h.tick_until(t0, t0 + 7 * sec);
  EXPECT_EQ(h.diag.totals().concat_completed, 0u);
  EXPECT_EQ(h.diag.totals().concat_incomplete, 3u);
  ASSERT_TRUE(h.alert("concat_incomplete", 1));
  ASSERT_TRUE(h.alert("concat_incomplete", 2));
  const auto x = extra_of(*h.alert("concat_incomplete", 1));
  EXPECT_EQ(x.at("side").as_string(), "both");  // both directions of session 1 are missing parts
}

TEST(Concat, PendingMessagesAreBoundedAndEvictionsCounted) {
  dg::diag_options o;
  o.concat_max_pending = 3;
  o.concat_timeout_us = 5 * sec;
  harness h(o);
  for (std::uint16_t ref = 1; ref <= 10; ++ref) h.send(e2s, t0 + ref * ms, part(ref, ref, 2, 1));
  auto t = h.diag.totals();
  EXPECT_EQ(t.concat_pending, 3u);
  EXPECT_EQ(t.concat_evicted, 7u);
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_concat_messages_total{result=\"evicted\"}"), 7);
  // The newest three are the ones reported.
  h.send(e2s, t0 + 1 * sec, part(20, 10, 2, 2));
  EXPECT_EQ(h.diag.totals().concat_completed, 1u);
  h.tick_until(t0, t0 + 8 * sec);
  EXPECT_EQ(h.diag.totals().concat_incomplete, 2u);

  dg::diag_options b;
  b.concat_max_bytes = 100;  // each part carries ~30 octets of text
  harness hb(b);
  for (std::uint16_t ref = 1; ref <= 10; ++ref) hb.send(e2s, t0 + ref * ms, part(ref, ref, 2, 1));
  t = hb.diag.totals();
  EXPECT_LE(t.concat_buffered_bytes, 100u);
  EXPECT_EQ(t.concat_pending + t.concat_evicted, 10u);
  EXPECT_GT(t.concat_evicted, 0u);
}

TEST(Concat, SessionEndReportsItsIncompleteMessagesOnTheClosedSession) {
  harness h;
  h.send(e2s, t0, part(2, 77, 3, 1));
  h.close(1, t0 + 1 * sec);
  const auto a = h.alert("concat_incomplete");
  ASSERT_TRUE(a);  // the closed session still shows it
  EXPECT_NE(a->message.find("missing 2,3"), std::string::npos) << a->message;
  const auto t = h.diag.totals();
  EXPECT_EQ(t.concat_incomplete, 1u);
  EXPECT_EQ(t.concat_pending, 0u);
  EXPECT_EQ(t.alerts_raised[static_cast<std::size_t>(dg::alert_kind::concat_incomplete)], 1u);
  EXPECT_EQ(t.alerts_active[static_cast<std::size_t>(dg::alert_kind::concat_incomplete)], 0u);
  h.tick_until(t0 + 1 * sec, t0 + 70 * sec);  // nothing more for it
  EXPECT_EQ(h.count_events(event_type::alert, "concat_incomplete"), 1u);
}
