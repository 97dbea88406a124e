// Each detector, driven through a real analyzer with injected time.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "diag_test_util.hpp"

using namespace diag_test;
using sc::event_type;

namespace {

void bind_ok(harness& h, std::int64_t ts) {
  h.send(e2s, ts, bind_trx(1));
  h.send(s2e, ts + 2 * ms, bind_resp(1));
}

bool contains(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST(Bind, FailedBindRaisesWithStatusNameAndSuccessClears) {
  harness h;
  h.send(e2s, t0, bind_trx(1));
  h.send(s2e, t0 + 3 * ms, bind_resp(1, 0x0E));
  const auto a = h.alert("bind_failed");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "bind_transceiver")) << a->message;
  EXPECT_TRUE(contains(a->message, "ESME_RINVPASWD")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"command_status\":14")) << a->extra_json;
  EXPECT_EQ(h.count_events(event_type::alert, "bind_failed"), 1u);
  ASSERT_EQ(h.log.size(), 1u);
  EXPECT_TRUE(contains(h.log[0], "session 1 alert bind_failed")) << h.log[0];

  h.send(e2s, t0 + 1 * sec, bind_trx(2));
  h.send(s2e, t0 + 1 * sec + 2 * ms, bind_resp(2));
  EXPECT_FALSE(h.alert("bind_failed"));
  EXPECT_EQ(h.count_events(event_type::alert_cleared, "bind_failed"), 1u);
  h.tick(t0 + 2 * sec);  // the summary is published once per second
  const auto tl = h.diag.timeline_json(1);
  ASSERT_TRUE(tl);
  EXPECT_TRUE(contains(*tl, "\"bind_state\":\"bound\"")) << *tl;
  EXPECT_TRUE(contains(*tl, "\"interface_version\":52"));
  EXPECT_TRUE(contains(*tl, "\"sc_interface_version\":52"));
  EXPECT_EQ(h.diag.totals().binds_failed, 1u);
  EXPECT_EQ(h.diag.totals().binds_ok, 1u);
}

TEST(Bind, GenericNackToABindIsAFailedBind) {
  harness h;
  h.send(e2s, t0, bind_trx(9));
  h.send(s2e, t0 + 1 * ms, nack(9, 0x03));
  const auto a = h.alert("bind_failed");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "generic_nack")) << a->message;
  EXPECT_EQ(h.sessions.get(1)->outstanding_esme_to_smsc, 0u);
}

TEST(Outstanding, MatchesResponsesAndGenericNackBySequence) {
  harness h;
  bind_ok(h, t0);
  h.send(e2s, t0 + 10 * ms, submit(2));
  h.send(e2s, t0 + 11 * ms, submit(3));
  h.send(e2s, t0 + 12 * ms, submit(4));
  EXPECT_EQ(h.sessions.get(1)->outstanding_esme_to_smsc, 3u);
  h.send(s2e, t0 + 20 * ms, submit_resp(3, 0, "a"));
  h.send(s2e, t0 + 21 * ms, nack(2, 0x01));
  EXPECT_EQ(h.sessions.get(1)->outstanding_esme_to_smsc, 1u);
  h.send(s2e, t0 + 40 * ms, submit_resp(4, 0, "b"));
  EXPECT_EQ(h.sessions.get(1)->outstanding_esme_to_smsc, 0u);
  // SMSC -> ESME requests are their own direction.
  h.send(s2e, t0 + 50 * ms, deliver(77));
  EXPECT_EQ(h.sessions.get(1)->outstanding_smsc_to_esme, 1u);
  h.send(e2s, t0 + 52 * ms, deliver_resp(77));
  EXPECT_EQ(h.sessions.get(1)->outstanding_smsc_to_esme, 0u);

  const auto t = h.diag.totals();
  EXPECT_EQ(t.responses_matched[0], 4u);  // bind + 3 submits (one by generic_nack)
  EXPECT_EQ(t.responses_matched[1], 1u);
  EXPECT_EQ(t.responses_unmatched[0] + t.responses_unmatched[1], 0u);
  EXPECT_TRUE(h.alerts().empty());

  std::string m;
  h.diag.append_prometheus(m);
  EXPECT_TRUE(contains(m, "smppscope_diag_response_latency_seconds_count{command=\"submit_sm\",direction=\"esme_to_smsc\"} 3"))
      << m;
  // 10, 10 (nack at +21-11=10 ms) and 28 ms: all <= 50 ms, none <= 5 ms.
  EXPECT_TRUE(contains(m, "smppscope_diag_response_latency_seconds_bucket{command=\"submit_sm\",direction=\"esme_to_smsc\",le=\"0.005\"} 0"));
  EXPECT_TRUE(contains(m, "smppscope_diag_response_latency_seconds_bucket{command=\"submit_sm\",direction=\"esme_to_smsc\",le=\"0.05\"} 3"));
  EXPECT_TRUE(contains(m, "smppscope_diag_response_latency_seconds_count{command=\"deliver_sm\",direction=\"smsc_to_esme\"} 1"));
}

TEST(Outstanding, CapCountsOverflowAndDuplicates) {
  dg::diag_options o;
  o.max_outstanding = 4;
  o.window = 100;
  harness h(o);
  for (std::uint32_t s = 1; s <= 6; ++s) h.send(e2s, t0 + s * ms, submit(s));
  EXPECT_EQ(h.sessions.get(1)->outstanding_esme_to_smsc, 4u);
  EXPECT_EQ(h.diag.totals().outstanding_overflow[0], 2u);
  h.send(e2s, t0 + 10 * ms, submit(2));  // seq 2 reused while outstanding
  EXPECT_EQ(h.diag.totals().duplicate_sequence[0], 1u);
  EXPECT_EQ(h.sessions.get(1)->outstanding_esme_to_smsc, 4u);
  // Responses for the untracked requests are unmatched; tracked ones still match.
  h.send(s2e, t0 + 20 * ms, submit_resp(1, 0, "x"));
  h.send(s2e, t0 + 21 * ms, submit_resp(6, 0, "y"));
  EXPECT_EQ(h.diag.totals().responses_matched[0], 1u);
  EXPECT_EQ(h.diag.totals().responses_unmatched[0], 1u);
}

TEST(UnmatchedResponse, RateLimitedAndClearedAfterQuietPeriod) {
  dg::diag_options o;
  o.quiet_period_us = 5 * sec;
  harness h(o);
  bind_ok(h, t0);
  for (std::uint32_t i = 0; i < 50; ++i) h.send(s2e, t0 + 1 * sec + i * ms, submit_resp(1000 + i, 0, "z"));
  auto a = h.alert("unmatched_response");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "from the SMSC")) << a->message;
  EXPECT_EQ(h.count_events(event_type::alert, "unmatched_response"), 1u);  // one event for 50
  // A second later the message is refreshed with the count (no new event).
  h.send(s2e, t0 + 2100 * ms, submit_resp(2000, 0, "z"));
  a = h.alert("unmatched_response");
  EXPECT_TRUE(contains(a->message, "51 response(s)")) << a->message;
  EXPECT_EQ(h.count_events(event_type::alert, "unmatched_response"), 1u);
  h.tick_until(t0 + 2100 * ms, t0 + 7000 * ms);
  EXPECT_TRUE(h.alert("unmatched_response"));
  h.tick_until(t0 + 7000 * ms, t0 + 7200 * ms);
  EXPECT_FALSE(h.alert("unmatched_response"));
  EXPECT_EQ(h.count_events(event_type::alert_cleared, "unmatched_response"), 1u);
  EXPECT_EQ(h.diag.totals().responses_unmatched[0], 51u);
}

TEST(WindowFull, RaisedWhenStuckAtTheWindowAndClearedWhenItDrains) {
  dg::diag_options o;  // window 10, stall 2 s, response timeout 10 s
  harness h(o);
  bind_ok(h, t0);
  const std::int64_t t1 = t0 + 1 * sec;
  for (std::uint32_t s = 0; s < 10; ++s) h.send(e2s, t1 + s * ms, submit(100 + s));
  // Full since t1 + 9 ms (the 10th submit): not yet stalled 2 s at the t1 + 2.0 s tick.
  h.tick_until(t1, t1 + 2000 * ms);
  EXPECT_FALSE(h.alert("window_full"));
  h.tick(t1 + 2100 * ms);
  auto a = h.alert("window_full");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->message, "SMSC has not answered 10 submit_sm for 2.1 s - window full (10/10)");
  EXPECT_TRUE(contains(a->extra_json, "\"side\":\"smsc\"")) << a->extra_json;
  EXPECT_EQ(a->since_us, t1 + 2100 * ms);
  h.tick_until(t1 + 2100 * ms, t1 + 5000 * ms);
  a = h.alert("window_full");
  EXPECT_TRUE(contains(a->message, "for 4.1 s")) << a->message;  // refreshed once a second
  h.tick(t1 + 5100 * ms);
  a = h.alert("window_full");
  EXPECT_TRUE(contains(a->message, "for 5.1 s")) << a->message;
  EXPECT_EQ(a->since_us, t1 + 2100 * ms);
  EXPECT_EQ(h.count_events(event_type::alert, "window_full"), 1u);
  h.send(s2e, t1 + 5150 * ms, submit_resp(100, 0, "m1"));
  EXPECT_FALSE(h.alert("window_full"));
  EXPECT_EQ(h.count_events(event_type::alert_cleared, "window_full"), 1u);
  EXPECT_FALSE(h.alert("response_timeout"));
}

TEST(WindowFull, SaturatedButFlowingWindowIsHealthy) {
  harness h;
  bind_ok(h, t0);
  // The client keeps 10 in flight; the SMSC answers each in 50 ms, so it sits at 10/10 all along.
  std::uint32_t seq = 2;
  std::int64_t t = t0 + 1 * sec;
  std::vector<std::pair<std::int64_t, std::uint32_t>> pending;
  for (int i = 0; i < 10; ++i) {
    h.send(e2s, t, submit(seq));
    pending.emplace_back(t, seq++);
  }
  const std::int64_t end = t + 30 * sec;
  for (; t < end; t += 5 * ms) {
    while (!pending.empty() && t - pending.front().first >= 50 * ms) {
      h.send(s2e, t, submit_resp(pending.front().second, 0, std::to_string(pending.front().second)));
      pending.erase(pending.begin());
      h.send(e2s, t, submit(seq));
      pending.emplace_back(t, seq++);
    }
    if ((t - t0) % (100 * ms) == 0) h.tick(t);
  }
  EXPECT_TRUE(h.alerts().empty()) << h.alerts().front().message;
  EXPECT_GE(h.sessions.get(1)->outstanding_esme_to_smsc, 9u);
}

TEST(ResponseTimeout, NamesTheSideCommandAndSeqAndClearsWhenTheOverdueAreAnswered) {
  dg::diag_options o;
  o.response_timeout_us = 10 * sec;
  harness h(o);
  bind_ok(h, t0);
  const std::int64_t t1 = t0 + 1 * sec;
  h.send(e2s, t1, submit(42));
  h.tick_until(t1, t1 + 9900 * ms);
  EXPECT_FALSE(h.alert("response_timeout"));
  h.tick_until(t1 + 9900 * ms, t1 + 10 * sec);
  auto a = h.alert("response_timeout");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->message, "SMSC did not answer submit_sm (seq 42) within 10.0 s");
  EXPECT_TRUE(contains(a->extra_json, "\"sequence_number\":42"));
  EXPECT_TRUE(contains(a->extra_json, "\"direction\":\"esme_to_smsc\""));
  EXPECT_EQ(h.diag.totals().response_timeouts[0], 1u);
  // Not raised again for the same request.
  h.tick_until(t1 + 10 * sec, t1 + 15 * sec);
  EXPECT_EQ(h.count_events(event_type::alert, "response_timeout"), 1u);
  EXPECT_EQ(h.diag.totals().response_timeouts[0], 1u);
  // A later request answered (or an unbind): 42 is still unanswered, the alert stays.
  h.send(e2s, t1 + 15 * sec, submit(43));
  h.send(s2e, t1 + 15 * sec + 5 * ms, submit_resp(43, 0, "ok"));
  EXPECT_TRUE(h.alert("response_timeout"));
  h.send(e2s, t1 + 15 * sec + 10 * ms, unbind(44));
  h.send(s2e, t1 + 15 * sec + 15 * ms, unbind_resp(44));
  EXPECT_TRUE(h.alert("response_timeout"));
  EXPECT_EQ(h.count_events(event_type::alert_cleared, "response_timeout"), 0u);
  // The late answer to 42 is matched, counted late, and clears the alert.
  h.send(s2e, t1 + 16 * sec, submit_resp(42, 0, "late"));
  EXPECT_EQ(h.diag.totals().late_responses[0], 1u);
  EXPECT_FALSE(h.alert("unmatched_response"));
  EXPECT_FALSE(h.alert("response_timeout"));
  EXPECT_EQ(h.count_events(event_type::alert_cleared, "response_timeout"), 1u);
}

TEST(ResponseTimeout, MoreOverdueRequestsUpdateTheAlertWhichKeepsNamingTheOldest) {
  dg::diag_options o;
  o.response_timeout_us = 10 * sec;
  harness h(o);
  bind_ok(h, t0);
  const std::int64_t t1 = t0 + 1 * sec;
  h.send(e2s, t1, submit(5));
  h.send(e2s, t1 + 2 * sec, submit(6));
  h.send(e2s, t1 + 3 * sec, submit(7));
  h.send(s2e, t1 + 3 * sec + 5 * ms, submit_resp(7, 0, "ok"));  // 7 is answered, 5 and 6 never
  h.tick_until(t1, t1 + 10 * sec);
  auto a = h.alert("response_timeout");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->message, "SMSC did not answer submit_sm (seq 5) within 10.0 s");
  h.tick_until(t1 + 10 * sec, t1 + 13 * sec);
  a = h.alert("response_timeout");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->message, "SMSC did not answer submit_sm (seq 5) within 10.0 s (2 requests overdue)");
  EXPECT_TRUE(contains(a->extra_json, "\"sequence_number\":5")) << a->extra_json;
  EXPECT_TRUE(contains(a->extra_json, "\"overdue\":2")) << a->extra_json;
  EXPECT_EQ(h.count_events(event_type::alert, "response_timeout"), 1u);  // updated, not raised again
  EXPECT_EQ(h.diag.totals().response_timeouts[0], 2u);
  // 5 answered late: 6 is still overdue, the alert stays.
  h.send(s2e, t1 + 14 * sec, submit_resp(5, 0, "late"));
  EXPECT_TRUE(h.alert("response_timeout"));
  h.send(s2e, t1 + 15 * sec, submit_resp(6, 0, "late"));
  EXPECT_FALSE(h.alert("response_timeout"));
}

TEST(ResponseTimeout, ExpiredRequestsAreForgottenAndTheAlertClears) {
  dg::diag_options o;
  o.response_timeout_us = 1 * sec;
  o.request_expiry_us = 3 * sec;
  harness h(o);
  bind_ok(h, t0);
  h.send(s2e, t0 + 100 * ms, deliver(5));  // the ESME never answers
  h.tick_until(t0 + 100 * ms, t0 + 1200 * ms);
  auto a = h.alert("response_timeout");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->message, "ESME did not answer deliver_sm (seq 5) within 1.0 s");
  EXPECT_TRUE(contains(a->extra_json, "\"side\":\"esme\""));
  h.tick_until(t0 + 1200 * ms, t0 + 3200 * ms);
  EXPECT_FALSE(h.alert("response_timeout"));
  EXPECT_EQ(h.sessions.get(1)->outstanding_smsc_to_esme, 0u);
  EXPECT_EQ(h.diag.totals().expired_requests[1], 1u);
  // Now an answer to it is unmatched.
  h.send(e2s, t0 + 3300 * ms, deliver_resp(5));
  EXPECT_TRUE(h.alert("unmatched_response"));
}

TEST(EnquireLink, TimeoutMessageNamesTheSilentSide) {
  harness h;  // enquire_link timeout 5 s
  bind_ok(h, t0);
  const std::int64_t t1 = t0 + 30 * sec;
  h.send(s2e, t1, enquire(42));
  h.tick_until(t0, t1 + 4900 * ms);
  EXPECT_FALSE(h.alert("enquire_link_timeout"));
  h.tick_until(t1 + 4900 * ms, t1 + 5100 * ms);
  auto a = h.alert("enquire_link_timeout");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->message, "ESME did not answer the SMSC's enquire_link (seq 42) within 5.0 s");
  EXPECT_FALSE(h.alert("response_timeout"));  // enquire_link has its own
  h.send(s2e, t1 + 30 * sec, enquire(43));
  h.send(e2s, t1 + 30 * sec + 1 * ms, enquire_resp(43));
  EXPECT_FALSE(h.alert("enquire_link_timeout"));
  h.tick(t1 + 31 * sec);
  const auto tl = *h.diag.timeline_json(1);
  EXPECT_TRUE(contains(tl, "\"interval_s\":30")) << tl;
  EXPECT_TRUE(contains(tl, "\"rtt_us\":1000")) << tl;
}

TEST(EnquireLink, BothSidesSilentJoinsOneAlert) {
  harness h;
  bind_ok(h, t0);
  h.send(s2e, t0 + 1 * sec, enquire(7));
  h.send(e2s, t0 + 1 * sec, enquire(8));
  h.tick_until(t0 + 1 * sec, t0 + 6200 * ms);
  auto a = h.alert("enquire_link_timeout");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "SMSC did not answer the ESME's enquire_link (seq 8)")) << a->message;
  EXPECT_TRUE(contains(a->message, "ESME did not answer the SMSC's enquire_link (seq 7)")) << a->message;
  EXPECT_EQ(h.count_events(event_type::alert, "enquire_link_timeout"), 1u);
  h.send(s2e, t0 + 7 * sec, enquire_resp(8));  // SMSC answers: only the ESME part remains
  a = h.alert("enquire_link_timeout");
  ASSERT_TRUE(a);
  EXPECT_FALSE(contains(a->message, "SMSC did not answer")) << a->message;
  h.send(e2s, t0 + 8 * sec, enquire_resp(7));
  EXPECT_FALSE(h.alert("enquire_link_timeout"));
  EXPECT_EQ(h.count_events(event_type::alert_cleared, "enquire_link_timeout"), 1u);
}

TEST(Silence, BoundSessionWithoutPdusInOneDirection) {
  dg::diag_options o;
  o.silence_us = 90 * sec;
  harness h(o);
  bind_ok(h, t0);
  const std::int64_t bound = t0 + 2 * ms;
  // The ESME keeps talking (enquire_link answered each time), the SMSC says nothing else... it
  // answers, so it is not silent. Then the SMSC stops answering and sending.
  h.tick_until(t0, bound + 89 * sec);
  EXPECT_FALSE(h.alert("silence"));
  h.tick_until(bound + 89 * sec, bound + 90100 * ms);
  auto a = h.alert("silence");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "no PDU from the ESME for 90.")) << a->message;
  EXPECT_TRUE(contains(a->message, "no PDU from the SMSC for 90.")) << a->message;
  h.send(e2s, bound + 91 * sec, enquire(5));
  a = h.alert("silence");
  ASSERT_TRUE(a);
  EXPECT_FALSE(contains(a->message, "from the ESME")) << a->message;
  h.send(s2e, bound + 91 * sec + 3 * ms, enquire_resp(5));
  EXPECT_FALSE(h.alert("silence"));
}

TEST(Silence, SlowEnquireLinkIntervalIsNotSilence) {
  harness h;  // silence 90 s
  bind_ok(h, t0);
  // A receiver whose SMSC sends enquire_link every 120 s; nothing else either way.
  std::uint32_t seq = 10;
  std::int64_t prev = t0;
  for (std::int64_t t = t0 + 1 * sec; t < t0 + 1000 * sec; t += 120 * sec, ++seq) {
    h.tick_until(prev, t);
    h.send(s2e, t, enquire(seq));
    h.send(e2s, t + 5 * ms, enquire_resp(seq));
    prev = t;
  }
  h.tick_until(prev, t0 + 1000 * sec);
  EXPECT_EQ(h.count_events(event_type::alert, "silence"), 1u);  // once, before the interval was known
  EXPECT_FALSE(h.alert("silence"));
  // But 1.5 x 120 s without anything is silence.
  h.tick_until(t0 + 1000 * sec, t0 + 1200 * sec);
  const auto a = h.alert("silence");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "no PDU from the SMSC for 18")) << a->message;
}

TEST(Silence, NotOnUnboundSessions) {
  harness h;
  h.tick_until(t0, t0 + 200 * sec);
  EXPECT_FALSE(h.alert("silence"));
  bind_ok(h, t0 + 200 * sec);
  h.send(e2s, t0 + 201 * sec, unbind(9));
  h.send(s2e, t0 + 201 * sec + 1 * ms, unbind_resp(9));
  h.tick_until(t0 + 201 * sec, t0 + 400 * sec);
  EXPECT_FALSE(h.alert("silence"));
}

TEST(Throttled, ThrottlingResponsesRaiseWithTheEffectiveRateAndQuietClears) {
  dg::diag_options o;
  o.quiet_period_us = 10 * sec;
  harness h(o);
  bind_ok(h, t0);
  std::uint32_t seq = 10;
  std::int64_t t = t0 + 1 * sec;
  // 5 s at 20 submits/s accepted, then every other one throttled.
  for (int i = 0; i < 100; ++i, t += 50 * ms) {
    h.send(e2s, t, submit(seq));
    h.send(s2e, t + 2 * ms, submit_resp(seq, 0, std::to_string(seq)));
    ++seq;
    if (i % 2 == 0) h.tick(t);
  }
  EXPECT_FALSE(h.alert("throttled"));
  h.send(e2s, t, submit(seq));
  h.send(s2e, t + 2 * ms, submit_resp(seq, 0x58));
  const auto a = h.alert("throttled");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "SMSC is throttling the ESME (ESME_RTHROTTLED)")) << a->message;
  EXPECT_TRUE(contains(a->message, "effective rate 1")) << a->message;  // ~20/s over the last seconds
  EXPECT_TRUE(contains(a->extra_json, "\"effective_rate\":")) << a->extra_json;
  EXPECT_EQ(h.diag.totals().throttled_responses[0], 1u);
  h.send(e2s, t + 100 * ms, submit(seq + 1));
  h.send(s2e, t + 102 * ms, submit_resp(seq + 1, 0x14));  // ESME_RMSGQFUL counts too
  EXPECT_EQ(h.diag.totals().throttled_responses[0], 2u);
  h.tick_until(t, t + 100 * ms + 9 * sec);
  EXPECT_TRUE(h.alert("throttled"));
  h.tick_until(t + 100 * ms + 9 * sec, t + 100 * ms + 10200 * ms);
  EXPECT_FALSE(h.alert("throttled"));
  EXPECT_EQ(h.count_events(event_type::alert, "throttled"), 1u);
}

TEST(Throttled, CongestionStateAtOrAboveTheThreshold) {
  harness h;
  bind_ok(h, t0);
  auto resp_with_congestion = [](std::uint32_t seq, std::uint32_t level) {
    return sd::pdu_builder(sd::command_id::submit_sm_resp, seq)
        .set("message_id", "c" + std::to_string(seq))
        .tlv_int(sd::tlv_tag::congestion_state, level)
        .bytes();
  };
  h.send(e2s, t0 + 1 * sec, submit(2));
  h.send(s2e, t0 + 1 * sec + 1 * ms, resp_with_congestion(2, 79));
  EXPECT_FALSE(h.alert("throttled"));
  h.send(e2s, t0 + 2 * sec, submit(3));
  h.send(s2e, t0 + 2 * sec + 1 * ms, resp_with_congestion(3, 85));
  const auto a = h.alert("throttled");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "congestion_state 85")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"congestion_state\":85")) << a->extra_json;
  EXPECT_EQ(h.diag.totals().throttled_responses[0], 0u);  // not a throttling status
}

TEST(Malformed, DecodeErrorsRaiseWithCoolDown) {
  dg::diag_options o;
  o.quiet_period_us = 5 * sec;
  harness h(o);
  bind_ok(h, t0);
  // submit_sm whose destination_addr has no NUL within 21 octets.
  bytes bad = submit(5);
  const std::string long_addr(30, '9');
  bad = sd::pdu_builder(sd::command_id::submit_sm, 5).set("destination_addr", long_addr).bytes();
  h.send(e2s, t0 + 1 * sec, bad);
  const auto a = h.alert("malformed");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "from the ESME")) << a->message;
  EXPECT_TRUE(contains(a->message, "destination_addr")) << a->message;
  EXPECT_EQ(h.diag.totals().malformed_pdus, 1u);
  // Still a request: its response matches.
  h.send(s2e, t0 + 1 * sec + 2 * ms, submit_resp(5, 0x0B));
  EXPECT_EQ(h.diag.totals().responses_unmatched[0], 0u);
  h.tick_until(t0 + 1 * sec, t0 + 6100 * ms);
  EXPECT_FALSE(h.alert("malformed"));
}

TEST(Malformed, OutOfSyncStaysUntilTheSessionEnds) {
  dg::diag_options o;
  o.quiet_period_us = 1 * sec;
  harness h(o);
  const bytes garbage = {0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4};  // command_length 5 < 16
  h.send(e2s, t0, garbage);
  ASSERT_TRUE(h.alert("malformed"));
  h.tick_until(t0, t0 + 5 * sec);
  EXPECT_TRUE(h.alert("malformed"));
  EXPECT_EQ(h.diag.totals().alerts_raised[static_cast<std::size_t>(dg::alert_kind::malformed)], 1u);
}

TEST(Dlr, JoinsSubmitResponseAndReceiptAcrossSessionsAndBases) {
  harness h;
  h.open(2, t0);  // the receiver session gets the receipts
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, submit(2, 1));
  h.send(s2e, t0 + 1 * sec + 5 * ms, submit_resp(2, 0, "75BCD15"));  // hex
  EXPECT_EQ(h.diag.totals().dlr_pending, 1u);
  h.send(s2e, t0 + 31 * sec, receipt(1, "0123456789"), 2);  // decimal, zero padded, other session
  EXPECT_EQ(h.diag.totals().dlr_matched, 1u);
  EXPECT_EQ(h.diag.totals().dlr_pending, 0u);
  std::string m;
  h.diag.append_prometheus(m);
  // 30 s from submit to receipt: in le="30", not in le="10".
  EXPECT_TRUE(contains(m, "smppscope_diag_dlr_receipt_seconds_bucket{le=\"10\"} 0")) << m;
  EXPECT_TRUE(contains(m, "smppscope_diag_dlr_receipt_seconds_bucket{le=\"30\"} 1")) << m;
  EXPECT_TRUE(h.alerts(2).empty());
}

TEST(Dlr, ReceiptOvertakingItsSubmitResponseStillMatches) {
  harness h;
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, submit(2, 1));
  h.send(s2e, t0 + 1 * sec + 1 * ms, receipt(1, "AbC-9", std::string("abc-9")));
  h.send(s2e, t0 + 1 * sec + 3 * ms, submit_resp(2, 0, "ABC-9"));
  h.tick_until(t0 + 1 * sec, t0 + 20 * sec);
  EXPECT_EQ(h.diag.totals().dlr_matched, 1u);
  EXPECT_EQ(h.diag.totals().dlr_unmatched, 0u);
  EXPECT_FALSE(h.alert("dlr_unmatched"));
}

TEST(Dlr, UnknownReceiptRaisesWithTheIdAfterTheGrace) {
  dg::diag_options o;
  o.dlr_grace_us = 2 * sec;
  o.quiet_period_us = 10 * sec;
  harness h(o);
  bind_ok(h, t0);
  h.send(s2e, t0 + 1 * sec, receipt(1, "DEAD01"));
  h.send(e2s, t0 + 1 * sec + 1 * ms, deliver_resp(1));
  h.tick_until(t0 + 1 * sec, t0 + 2900 * ms);
  EXPECT_FALSE(h.alert("dlr_unmatched"));
  h.tick_until(t0 + 2900 * ms, t0 + 3100 * ms);
  const auto a = h.alert("dlr_unmatched");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "\"DEAD01\"")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"message_id\":\"DEAD01\"")) << a->extra_json;
  h.tick_until(t0 + 3100 * ms, t0 + 13200 * ms);
  EXPECT_FALSE(h.alert("dlr_unmatched"));
}

TEST(Dlr, MissingReceiptsAreCountedAfterTheTimeout) {
  dg::diag_options o;
  o.dlr_timeout_us = 60 * sec;
  harness h(o);
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, submit(2, 1));  // wants a receipt
  h.send(s2e, t0 + 1 * sec + 1 * ms, submit_resp(2, 0, "m2"));
  h.send(e2s, t0 + 1 * sec, submit(3, 2));  // only on failure: silence is success
  h.send(s2e, t0 + 1 * sec + 1 * ms, submit_resp(3, 0, "m3"));
  h.send(e2s, t0 + 1 * sec, submit(4, 0));  // none asked
  h.send(s2e, t0 + 1 * sec + 1 * ms, submit_resp(4, 0, "m4"));
  h.send(e2s, t0 + 1 * sec, submit(5, 1));  // refused: nothing to track
  h.send(s2e, t0 + 1 * sec + 1 * ms, submit_resp(5, 0x45));
  EXPECT_EQ(h.diag.totals().dlr_pending, 3u);
  h.tick_until(t0, t0 + 60 * sec);
  EXPECT_EQ(h.diag.totals().dlr_missing, 0u);
  h.tick_until(t0 + 60 * sec, t0 + 62 * sec);
  EXPECT_EQ(h.diag.totals().dlr_missing, 1u);
  EXPECT_EQ(h.diag.totals().dlr_pending, 0u);
}

TEST(Dlr, PendingIsBoundedAndEvictionsCounted) {
  dg::diag_options o;
  o.max_dlr_pending = 3;
  o.window = 100;
  harness h(o);
  bind_ok(h, t0);
  for (std::uint32_t s = 2; s < 7; ++s) {
    h.send(e2s, t0 + s * ms, submit(s, 1));
    h.send(s2e, t0 + s * ms + 1, submit_resp(s, 0, "id" + std::to_string(s)));
  }
  EXPECT_EQ(h.diag.totals().dlr_pending, 3u);
  EXPECT_EQ(h.diag.totals().dlr_evicted, 2u);
  h.send(s2e, t0 + 1 * sec, receipt(9, "id6"));
  EXPECT_EQ(h.diag.totals().dlr_matched, 1u);
}

TEST(Alerts, LoggerGetsOneLinePerRaiseAndClear) {
  harness h;
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, enquire(3));
  h.tick_until(t0 + 1 * sec, t0 + 6100 * ms);
  h.send(s2e, t0 + 7 * sec, enquire_resp(3));
  ASSERT_EQ(h.log.size(), 2u);
  EXPECT_EQ(h.log[0],
            "session 1 alert enquire_link_timeout: SMSC did not answer the ESME's enquire_link (seq 3) within 5.0 s"
            " [side smsc, direction esme_to_smsc]");
  EXPECT_EQ(h.log[1], "session 1 alert enquire_link_timeout cleared [side smsc, direction esme_to_smsc]");
  // Raised and active counters follow.
  const auto t = h.diag.totals();
  EXPECT_EQ(t.alerts_raised[static_cast<std::size_t>(dg::alert_kind::enquire_link_timeout)], 1u);
  EXPECT_EQ(t.alerts_active[static_cast<std::size_t>(dg::alert_kind::enquire_link_timeout)], 0u);
}

TEST(Alerts, ClosedSessionsKeepTheirAlertsButAreNotActive) {
  harness h;
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, submit(5));
  h.tick_until(t0, t0 + 12 * sec);
  ASSERT_TRUE(h.alert("response_timeout"));
  EXPECT_EQ(h.diag.totals().alerts_active[static_cast<std::size_t>(dg::alert_kind::response_timeout)], 1u);
  EXPECT_EQ(h.diag.totals().outstanding[0], 1u);
  h.close(1, t0 + 13 * sec);
  EXPECT_TRUE(h.alert("response_timeout"));  // the closed session still shows why
  EXPECT_EQ(h.diag.totals().alerts_active[static_cast<std::size_t>(dg::alert_kind::response_timeout)], 0u);
  EXPECT_EQ(h.diag.totals().outstanding[0], 0u);
  EXPECT_TRUE(h.diag.timeline_json(1));  // still served
  h.tick_until(t0 + 13 * sec, t0 + 20 * sec);  // no crash, nothing for the closed session
  EXPECT_EQ(h.count_events(event_type::alert, "response_timeout"), 1u);
}

TEST(Timeline, RingsKeepTheNewestSamplesAndAlertMarks) {
  dg::diag_options o;
  o.timeline_seconds = 5;
  o.timeline_alerts = 2;
  o.quiet_period_us = 1 * sec;
  harness h(o);
  bind_ok(h, t0);
  for (int i = 0; i < 3; ++i) {  // three unmatched_response raise/clear cycles: 6 marks
    h.send(s2e, t0 + (1 + 3 * i) * sec, submit_resp(500 + i, 0, "x"));
    h.tick_until(t0 + (1 + 3 * i) * sec, t0 + (3 + 3 * i) * sec);
  }
  h.tick(t0 + 20 * sec + 500 * ms);
  const auto v = *h.diag.timeline_json(1);
  // Samples for seconds 15..19 only, oldest first.
  EXPECT_TRUE(contains(v, "\"samples\":[{\"t\":" + std::to_string(t0 / sec + 15) + ",")) << v;
  EXPECT_TRUE(contains(v, "{\"t\":" + std::to_string(t0 / sec + 19) + ",")) << v;
  EXPECT_FALSE(contains(v, "{\"t\":" + std::to_string(t0 / sec + 14) + ",")) << v;
  EXPECT_FALSE(contains(v, "{\"t\":" + std::to_string(t0 / sec + 20) + ",")) << v;  // not complete yet
  // The last raise and clear.
  const auto alerts = v.substr(v.find("\"alerts\":["));
  EXPECT_TRUE(contains(alerts, "\"ts_us\":" + std::to_string(t0 + 7 * sec) + ",\"kind\":\"unmatched_response\",\"state\":\"raised\""))
      << alerts;
  EXPECT_TRUE(contains(alerts, "\"state\":\"cleared\"")) << alerts;
  EXPECT_FALSE(contains(alerts, "\"ts_us\":" + std::to_string(t0 + 4 * sec))) << alerts;
}

TEST(Alerts, EventsAndSessionsJsonCarryKindMessageSinceAndSide) {
  harness h;
  bind_ok(h, t0);
  for (std::uint32_t s = 0; s < 10; ++s) h.send(e2s, t0 + 1 * sec, submit(100 + s));
  h.tick_until(t0 + 1 * sec, t0 + 12 * sec);
  const auto events = h.events(event_type::alert);
  ASSERT_EQ(events.size(), 2u);  // window_full, response_timeout
  for (const auto& text : events) {
    const auto v = boost::json::parse(text).as_object();
    EXPECT_EQ(v.at("type").as_string(), "alert");
    EXPECT_EQ(v.at("session").as_int64(), 1);
    EXPECT_TRUE(v.at("kind").is_string());
    EXPECT_TRUE(v.at("message").is_string());
    EXPECT_EQ(v.at("since_us").as_int64(), v.at("ts_us").as_int64());
    EXPECT_EQ(v.at("side").as_string(), "smsc");
    EXPECT_EQ(v.at("direction").as_string(), "esme_to_smsc");
  }
  // /api/sessions: the session's active alerts with the same members.
  const auto sessions = boost::json::parse(h.sessions.json()).as_array();
  ASSERT_EQ(sessions.size(), 1u);
  const auto& s = sessions[0].as_object();
  EXPECT_EQ(s.at("outstanding").as_object().at("esme_to_smsc").as_int64(), 10);
  const auto& alerts = s.at("alerts").as_array();
  ASSERT_EQ(alerts.size(), 2u);
  for (const auto& a : alerts) {
    EXPECT_TRUE(a.as_object().contains("kind"));
    EXPECT_TRUE(a.as_object().contains("since_us"));
    EXPECT_EQ(a.as_object().at("side").as_string(), "smsc");
  }
}

// Answers hidden in octets skipped to resynchronise: their requests become unknown (not
// outstanding, never overdue), a late answer still matches, and the SMSC is not blamed.
TEST(Resync, AnswersInSkippedOctetsAreUnknownNotOverdue) {
  dg::diag_options o;
  o.window = 3;
  o.window_stall_us = 300 * ms;
  o.response_timeout_us = 500 * ms;
  o.enquire_link_timeout_us = 500 * ms;
  o.quiet_period_us = 60 * sec;
  harness h(o);
  h.send(e2s, t0, bind_trx(1));
  h.send(s2e, t0 + 1 * ms, bind_resp(1));
  for (std::uint32_t s = 2; s <= 6; ++s) h.send(e2s, t0 + 2 * ms, s == 3 ? enquire(s) : submit(s));
  EXPECT_EQ(h.sessions.get(1)->outstanding_esme_to_smsc, 5u);
  // The SMSC's answers to 2 and 3 sat behind a header claiming command_length 8.
  const bytes bad = {0, 0, 0, 8, 0x80, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 2};
  bytes stream = bad;
  for (const bytes& b : {submit_resp(4), submit_resp(5)}) stream.insert(stream.end(), b.begin(), b.end());
  h.send(s2e, t0 + 10 * ms, stream);
  EXPECT_EQ(h.sessions.get(1)->outstanding_esme_to_smsc, 0u);  // 2, 3, 6: unknown now
  h.send(s2e, t0 + 20 * ms, submit_resp(6));                   // a late answer still matches
  h.tick_until(t0, t0 + 3 * sec);
  EXPECT_FALSE(h.alert("response_timeout"));
  EXPECT_FALSE(h.alert("enquire_link_timeout"));
  EXPECT_FALSE(h.alert("window_full"));
  EXPECT_FALSE(h.alert("unmatched_response"));
  ASSERT_TRUE(h.alert("malformed"));
  EXPECT_EQ(h.diag.totals().responses_unmatched[0], 0u);
  // Requests after the resync are tracked as before: an unanswered one is overdue.
  h.send(e2s, t0 + 3 * sec, submit(7));
  h.tick_until(t0 + 3 * sec, t0 + 4 * sec);
  const auto rt = h.alert("response_timeout");
  ASSERT_TRUE(rt);
  EXPECT_NE(rt->message.find("seq 7"), std::string::npos) << rt->message;
}
