// Every alert kind, raised by its real cause: the alert carries the side at fault and the direction
// (event, /api/sessions, stderr line), and the counters on /metrics agree with the alert events.
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

std::size_t kind_index(std::string_view kind) {
  const auto k = dg::parse_alert_kind(kind);
  EXPECT_TRUE(k) << kind;
  return k ? static_cast<std::size_t>(*k) : 0;
}

// The value of an unlabelled or labelled sample in the exposition text, or -1.
long long metric(const std::string& text, const std::string& sample) {
  const std::string needle = "\n" + sample + " ";
  const auto at = text.find(needle);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + needle.size()));
}

// Checks the alert events of `kind`, the session's alert of that kind (when still active), the
// stderr lines, and that alerts_raised on /metrics counts exactly the events.
void expect_alert(const harness& h, std::string_view kind, std::string_view side, std::string_view dir,
                  std::size_t events = 1, std::uint64_t session = 1) {
  SCOPED_TRACE(std::string(kind));
  std::size_t seen = 0;
  for (const std::string& text : h.events(event_type::alert)) {
    const auto v = boost::json::parse(text).as_object();
    if (v.at("kind").as_string() != kind) continue;
    ++seen;
    EXPECT_EQ(v.at("session").as_int64(), static_cast<std::int64_t>(session));
    ASSERT_TRUE(v.contains("side")) << text;
    ASSERT_TRUE(v.contains("direction")) << text;
    EXPECT_EQ(v.at("side").as_string(), side) << text;
    EXPECT_EQ(v.at("direction").as_string(), dir) << text;
  }
  EXPECT_EQ(seen, events);
  if (const auto a = h.alert(kind, session)) {
    const auto extra = boost::json::parse("{" + a->extra_json + "}").as_object();
    EXPECT_EQ(extra.at("side").as_string(), side) << a->extra_json;
    EXPECT_EQ(extra.at("direction").as_string(), dir) << a->extra_json;
  }
  const std::string head = "session " + std::to_string(session) + " alert " + std::string(kind) + ": ";
  const std::string tail = " [side " + std::string(side) + ", direction " + std::string(dir) + "]";
  std::size_t lines = 0;
  for (const std::string& l : h.log)
    if (l.starts_with(head)) {
      ++lines;
      EXPECT_TRUE(l.ends_with(tail)) << l;
    }
  EXPECT_GE(lines, events);
  std::string m;
  h.diag.append_prometheus(m);
  EXPECT_EQ(metric(m, "smppscope_diag_alerts_raised_total{kind=\"" + std::string(kind) + "\"}"),
            static_cast<long long>(h.count_events(event_type::alert, kind)))
      << m;
  EXPECT_EQ(h.diag.totals().alerts_raised[kind_index(kind)], h.count_events(event_type::alert, kind));
}

std::string prometheus(const harness& h) {
  std::string m;
  h.diag.append_prometheus(m);
  return m;
}

}  // namespace

TEST(Consistency, BindFailed) {
  harness h;
  h.send(e2s, t0, bind_trx(1));
  h.send(s2e, t0 + 3 * ms, bind_resp(1, 0x0E));
  expect_alert(h, "bind_failed", "smsc", "esme_to_smsc");
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_binds_total{result=\"failed\"}"), 1);
}

TEST(Consistency, UnmatchedResponse) {
  harness h;
  bind_ok(h, t0);
  h.send(s2e, t0 + 1 * sec, submit_resp(500, 0, "x"));
  expect_alert(h, "unmatched_response", "smsc", "esme_to_smsc");
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_responses_unmatched_total{direction=\"esme_to_smsc\"}"), 1);
  // The ESME answering a request the SMSC never sent is the ESME's doing.
  h.send(e2s, t0 + 1 * sec, deliver_resp(600));
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_responses_unmatched_total{direction=\"smsc_to_esme\"}"), 1);
  EXPECT_EQ(h.count_events(event_type::alert, "unmatched_response"), 1u);  // one alert, updated
}

TEST(Consistency, WindowFullAndResponseTimeout) {
  dg::diag_options o;
  o.window = 2;
  harness h(o);
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, submit(2));
  h.send(e2s, t0 + 1 * sec, submit(3));
  h.tick_until(t0 + 1 * sec, t0 + 12 * sec);
  expect_alert(h, "window_full", "smsc", "esme_to_smsc");
  expect_alert(h, "response_timeout", "smsc", "esme_to_smsc");
  const std::string m = prometheus(h);
  EXPECT_EQ(metric(m, "smppscope_diag_response_timeouts_total{direction=\"esme_to_smsc\"}"), 2) << m;
  EXPECT_EQ(metric(m, "smppscope_diag_enquire_link_timeouts_total{direction=\"esme_to_smsc\"}"), 0) << m;
}

TEST(Consistency, EnquireLinkTimeoutIsNotCountedAsAResponseTimeout) {
  harness h;
  bind_ok(h, t0);
  h.send(s2e, t0 + 1 * sec, enquire(7));
  h.tick_until(t0 + 1 * sec, t0 + 7 * sec);
  expect_alert(h, "enquire_link_timeout", "esme", "smsc_to_esme");
  const std::string m = prometheus(h);
  EXPECT_EQ(metric(m, "smppscope_diag_enquire_link_timeouts_total{direction=\"smsc_to_esme\"}"), 1) << m;
  EXPECT_EQ(metric(m, "smppscope_diag_response_timeouts_total{direction=\"smsc_to_esme\"}"), 0) << m;
  EXPECT_EQ(h.count_events(event_type::alert, "response_timeout"), 0u);
}

TEST(Consistency, EnquireLinkTimeoutOnBothSidesIsBlamedOnBoth) {
  harness h;
  bind_ok(h, t0);
  h.send(s2e, t0 + 1 * sec, enquire(7));
  h.send(e2s, t0 + 1 * sec, enquire(8));
  h.tick_until(t0 + 1 * sec, t0 + 7 * sec);
  const auto a = h.alert("enquire_link_timeout");
  ASSERT_TRUE(a);
  EXPECT_NE(a->extra_json.find("\"side\":\"both\",\"direction\":\"both\""), std::string::npos) << a->extra_json;
  h.send(e2s, t0 + 8 * sec, enquire_resp(7));  // the ESME answers: only the SMSC is left to blame
  EXPECT_NE(h.alert("enquire_link_timeout")->extra_json.find("\"side\":\"smsc\",\"direction\":\"esme_to_smsc\""),
            std::string::npos);
}

TEST(Consistency, Silence) {
  dg::diag_options o;
  o.silence_us = 5 * sec;
  o.window = 100;
  o.response_timeout_us = 60 * sec;
  harness h(o);
  bind_ok(h, t0);
  for (int i = 1; i <= 8; ++i) {  // the SMSC keeps talking, the ESME says nothing
    h.send(s2e, t0 + i * sec, deliver(100 + i));
    h.tick_until(t0 + (i - 1) * sec, t0 + i * sec);
  }
  expect_alert(h, "silence", "esme", "esme_to_smsc");
}

TEST(Consistency, ThrottledByStatusAndByCongestionState) {
  harness h;
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, submit(2));
  h.send(s2e, t0 + 1 * sec + 1 * ms, submit_resp(2, 0x58));
  expect_alert(h, "throttled", "smsc", "esme_to_smsc");
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_throttled_responses_total{direction=\"esme_to_smsc\"}"), 1);

  // congestion_state alone raises it too, and has its own counter.
  harness c;
  bind_ok(c, t0);
  c.send(e2s, t0 + 1 * sec, submit(2));
  c.send(s2e, t0 + 1 * sec + 1 * ms,
         sd::pdu_builder(sd::command_id::submit_sm_resp, 2)
             .set("message_id", "c2")
             .tlv_int(sd::tlv_tag::congestion_state, 90)
             .bytes());
  expect_alert(c, "throttled", "smsc", "esme_to_smsc");
  const std::string m = prometheus(c);
  EXPECT_EQ(metric(m, "smppscope_diag_throttled_responses_total{direction=\"esme_to_smsc\"}"), 0) << m;
  EXPECT_EQ(metric(m, "smppscope_diag_congestion_reports_total{direction=\"esme_to_smsc\"}"), 1) << m;
}

TEST(Consistency, DlrUnmatchedBlamesTheSenderOfTheReceipt) {
  dg::diag_options o;
  o.dlr_grace_us = 1 * sec;
  harness h(o);
  bind_ok(h, t0);
  h.send(s2e, t0 + 1 * sec, receipt(1, "DEAD01"));
  h.tick_until(t0 + 1 * sec, t0 + 3 * sec);
  expect_alert(h, "dlr_unmatched", "smsc", "smsc_to_esme");
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_dlr_receipts_total{result=\"unmatched\"}"), 1);
}

TEST(Consistency, MalformedPduIsCounted) {
  harness h;
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, sd::pdu_builder(sd::command_id::submit_sm, 5).set("destination_addr", std::string(30, '9')).bytes());
  expect_alert(h, "malformed", "esme", "esme_to_smsc");
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_malformed_pdus_total"), 1);
}

TEST(Consistency, OutOfSyncIsAMalformedPduOnMetricsToo) {
  harness h;
  bind_ok(h, t0);
  const bytes garbage = {0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4};  // command_length 5 < 16
  h.send(s2e, t0 + 1 * sec, garbage);
  expect_alert(h, "malformed", "smsc", "smsc_to_esme");
  const std::string m = prometheus(h);
  EXPECT_EQ(metric(m, "smppscope_diag_malformed_pdus_total"), 1) << m;
  EXPECT_EQ(metric(m, "smppscope_diag_out_of_sync_total{direction=\"smsc_to_esme\"}"), 1) << m;
  EXPECT_EQ(metric(m, "smppscope_diag_alerts_active{kind=\"malformed\"}"), 1) << m;
  EXPECT_EQ(h.sessions.get(1)->malformed, 1u);  // the session table agrees
}

TEST(Consistency, OutOfSyncAfterADecodeErrorUpdatesTheSameAlert) {
  harness h;
  bind_ok(h, t0);
  h.send(e2s, t0 + 1 * sec, sd::pdu_builder(sd::command_id::submit_sm, 5).set("destination_addr", std::string(30, '9')).bytes());
  h.send(s2e, t0 + 2 * sec, bytes{0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4});
  ASSERT_EQ(h.count_events(event_type::alert, "malformed"), 1u);  // the one event, from the first cause
  const auto ev = boost::json::parse(h.events(event_type::alert).at(0)).as_object();
  EXPECT_EQ(ev.at("side").as_string(), "esme");
  EXPECT_EQ(ev.at("direction").as_string(), "esme_to_smsc");
  EXPECT_EQ(h.diag.totals().alerts_raised[kind_index("malformed")], 1u);
  const auto a = h.alert("malformed");
  ASSERT_TRUE(a);
  EXPECT_NE(a->message.find("out of sync"), std::string::npos) << a->message;
  EXPECT_NE(a->extra_json.find("\"side\":\"smsc\",\"direction\":\"smsc_to_esme\""), std::string::npos)
      << a->extra_json;
  EXPECT_EQ(metric(prometheus(h), "smppscope_diag_malformed_pdus_total"), 2);
  EXPECT_EQ(h.sessions.get(1)->malformed, 2u);
}
