// The load generator against the simulator over loopback: counts, receipts, errors, timeouts,
// binds, TLS, and the JSON report (parsed with Boost.JSON).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstring>

#include "sim_test_util.hpp"
#include "smppscope/sim/load_generator.hpp"

namespace smppscope::sim::test {
namespace {

namespace json = boost::json;

load_options to(const running_sim& s, std::uint64_t count, unsigned window) {
  load_options o;
  o.port = s.port();
  o.system_id = "load";
  o.password = "pw";
  o.count = count;
  o.window = window;
  o.timeout = 5000ms;
  return o;
}

std::uint64_t u(const json::value& v, std::string_view key) { return v.as_object().at(key).to_number<std::uint64_t>(); }

TEST(LoadGenerator, CountsAndReceiptsMatchTheSimulator) {
  simulator_options so;
  so.dlr_delay = 20ms;
  so.window = 0;
  running_sim s(so);  // default mix DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2
  auto o = to(s, 1000, 20);
  o.registered_delivery = true;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << r.failure;
  EXPECT_EQ(r.messages, 1000u);
  EXPECT_EQ(r.sent, 1000u);
  EXPECT_EQ(r.acknowledged, 1000u);
  EXPECT_EQ(r.errors_total, 0u);
  EXPECT_EQ(r.timed_out, 0u);
  EXPECT_EQ(r.dlrs_expected, 1000u);
  EXPECT_EQ(r.dlrs_received, 1000u);
  EXPECT_EQ(r.dlrs_matched, 1000u);
  EXPECT_EQ(r.submit_latency.count(), 1000u);
  EXPECT_EQ(r.dlr_latency.count(), 1000u);
  EXPECT_GE(r.dlr_latency.percentile(0.5), 19'000'000u);  // the simulator's 20 ms delay
  EXPECT_EQ(s.sim().stats().submits, 1000u);
  EXPECT_EQ(s.sim().stats().dlrs_sent, 1000u);

  const json::value j = json::parse(to_json(r));
  EXPECT_EQ(j.at("ok").as_bool(), true);
  EXPECT_EQ(u(j, "sent"), 1000u);
  EXPECT_EQ(u(j, "acknowledged"), 1000u);
  EXPECT_EQ(u(j, "errors_total"), 0u);
  const auto& dlr = j.at("dlr");
  EXPECT_EQ(u(dlr, "received"), 1000u);
  EXPECT_EQ(u(dlr, "matched"), 1000u);
  const auto& states = dlr.at("by_state");
  EXPECT_EQ(u(states, "DELIVRD"), 900u);
  EXPECT_EQ(u(states, "UNDELIV"), 50u);
  EXPECT_EQ(u(states, "EXPIRED"), 30u);
  EXPECT_EQ(u(states, "REJECTD"), 20u);
  EXPECT_GT(j.at("submit_resp_latency_us").at("p99").as_double(), 0.0);
  EXPECT_GT(j.at("throughput_per_s").as_double(), 0.0);
}

TEST(LoadGenerator, ErrorRateShowsUpByStatusName) {
  simulator_options so;
  so.error_rate = 0.1;
  so.window = 0;
  running_sim s(so);
  load_generator g(to(s, 500, 10));
  const load_report r = g.run();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.sent, 500u);
  EXPECT_EQ(r.acknowledged, 450u);
  EXPECT_EQ(r.errors_total, 50u);
  const json::value j = json::parse(to_json(r));
  EXPECT_EQ(j.at("ok").as_bool(), false);
  EXPECT_EQ(u(j.at("errors"), "ESME_RSUBMITFAIL"), 50u);
}

TEST(LoadGenerator, SessionsAndMessageMix) {
  simulator_options so;
  so.window = 0;
  so.dlr_delay = 5ms;
  running_sim s(so);
  auto o = to(s, 300, 8);
  o.sessions = 4;
  o.mix = {message_kind::gsm7, message_kind::ucs2, message_kind::long_gsm7};
  o.registered_delivery = true;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << r.failure;
  EXPECT_EQ(r.messages, 300u);
  EXPECT_EQ(r.sent, 500u);  // 100 x (1 + 1 + 3 parts)
  EXPECT_EQ(r.acknowledged, 500u);
  EXPECT_EQ(r.dlrs_received, 500u);
  EXPECT_EQ(s.sim().stats().sessions_bound, 4u);
}

TEST(LoadGenerator, TransmitterBindsAReceiverForReceipts) {
  simulator_options so;
  so.dlr_delay = 5ms;
  running_sim s(so);
  auto o = to(s, 200, 10);
  o.bind = bind_mode::transmitter;
  o.sessions = 2;
  o.registered_delivery = true;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << r.failure;
  EXPECT_EQ(r.acknowledged, 200u);
  EXPECT_EQ(r.dlrs_received, 200u);
  EXPECT_EQ(r.dlrs_matched, 200u);
  EXPECT_EQ(s.sim().stats().sessions_bound, 3u);
}

TEST(LoadGenerator, BindFailureIsReported) {
  simulator_options so;
  so.credentials = {{"load", "right"}};
  running_sim s(so);
  auto o = to(s, 10, 1);
  o.password = "wrong";
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.bind_failed);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.failure.find("ESME_RINVPASWD"), std::string::npos) << r.failure;
  EXPECT_EQ(r.sent, 0u);
}

TEST(LoadGenerator, ConnectionRefusedIsReported) {
  std::uint16_t port;
  {
    running_sim s;
    port = s.port();
  }
  load_options o;
  o.port = port;
  o.system_id = "x";
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.failure.find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos) << r.failure;
}

TEST(LoadGenerator, UnansweredSubmitsTimeOut) {
  simulator_options so;
  so.stop_submit_after = 30;
  running_sim s(so);
  auto o = to(s, 100, 10);
  o.timeout = 400ms;
  load_generator g(o);
  const auto t0 = std::chrono::steady_clock::now();
  const load_report r = g.run();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.acknowledged, 30u);
  EXPECT_EQ(r.timed_out, 10u);  // one window's worth was in flight
  EXPECT_EQ(r.sent, 40u);
}

TEST(LoadGenerator, ReceiptIdFormats) {
  for (auto fmt : {dlr_id_format::decimal, dlr_id_format::mismatch}) {
    simulator_options so;
    so.dlr_delay = 5ms;
    so.dlr_ids = fmt;
    so.window = 0;
    running_sim s(so);
    auto o = to(s, 100, 10);
    o.registered_delivery = true;
    load_generator g(o);
    const load_report r = g.run();
    EXPECT_TRUE(r.ok()) << r.failure;
    EXPECT_EQ(r.dlrs_received, 100u);
    if (fmt == dlr_id_format::decimal) {
      EXPECT_EQ(r.dlrs_matched_decimal, 100u);
      EXPECT_EQ(r.dlrs_unmatched, 0u);
    } else {
      EXPECT_EQ(r.dlrs_unmatched, 100u);
      EXPECT_EQ(r.dlr_latency.count(), 0u);
    }
  }
}

TEST(LoadGenerator, PackedGsm7ReceiptsAreRead) {
  simulator_options so;
  so.dlr_delay = 5ms;
  so.gsm7 = decoder::gsm7_packing::packed;
  running_sim s(so);
  auto o = to(s, 50, 5);
  o.registered_delivery = true;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_EQ(r.dlrs_matched, 50u);
}

TEST(LoadGenerator, WithoutRetriesThrottlingIsAFailure) {
  simulator_options so;
  so.window = 4;
  so.latency = 5ms;
  running_sim s(so);
  auto o = to(s, 200, 20);
  o.retry_max = 0;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_EQ(r.throttled_total, 0u);
  EXPECT_EQ(r.retries, 0u);
  EXPECT_FALSE(r.ok());
  ASSERT_TRUE(r.errors.count("ESME_RTHROTTLED")) << to_json(r);
  EXPECT_GT(r.errors.at("ESME_RTHROTTLED"), 0u);
  EXPECT_EQ(r.acknowledged + r.errors_total, 200u);
}

// A window five times the simulator's (10): the excess is answered ESME_RTHROTTLED, retried after
// a pause, and every message is accepted in the end.
TEST(LoadGenerator, ThrottledSubmitsAreRetriedUntilAccepted) {
  running_sim s;  // window 10
  auto o = to(s, 400, 50);
  o.registered_delivery = true;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << to_json(r);
  EXPECT_EQ(r.messages, 400u);
  EXPECT_EQ(r.acknowledged, 400u);
  EXPECT_EQ(r.errors_total, 0u);
  EXPECT_GT(r.throttled_total, 0u);
  EXPECT_EQ(r.throttled.at("ESME_RTHROTTLED"), r.throttled_total);
  EXPECT_EQ(r.retries, r.throttled_total);
  EXPECT_EQ(r.sent, 400u + r.retries);
  EXPECT_EQ(r.dlrs_received, 400u);
  EXPECT_EQ(r.dlrs_matched, 400u);
  const auto st = s.sim().stats();
  EXPECT_EQ(st.submits, r.sent);
  EXPECT_EQ(st.throttled, r.throttled_total);
  EXPECT_EQ(st.submits_ok, 400u);

  const json::value j = json::parse(to_json(r));
  EXPECT_EQ(j.at("ok").as_bool(), true);
  EXPECT_EQ(u(j, "throttled_total"), r.throttled_total);
  EXPECT_EQ(u(j, "retries"), r.retries);
  EXPECT_EQ(u(j.at("throttled"), "ESME_RTHROTTLED"), r.throttled_total);
  EXPECT_EQ(u(j, "errors_total"), 0u);
  const std::string text = to_text(r);
  EXPECT_NE(text.find("throttled       " + std::to_string(r.throttled_total) + " (retried"), std::string::npos) << text;
}

TEST(LoadGenerator, QueueFullIsRetriedToo) {
  simulator_options so;
  so.window = 0;
  so.error_rate = 0.2;
  so.error_status = 0x14;  // ESME_RMSGQFUL
  running_sim s(so);
  load_generator g(to(s, 200, 10));
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << to_json(r);
  EXPECT_EQ(r.acknowledged, 200u);
  ASSERT_TRUE(r.throttled.count("ESME_RMSGQFUL")) << to_json(r);
  EXPECT_EQ(r.throttled.at("ESME_RMSGQFUL"), r.throttled_total);
  EXPECT_EQ(r.sent, 200u + r.retries);
}

TEST(LoadGenerator, RetriesRunOutIntoErrors) {
  simulator_options so;
  so.window = 0;
  so.error_rate = 1.0;  // every submit: ESME_RTHROTTLED, forever
  so.error_status = 0x58;
  running_sim s(so);
  auto o = to(s, 20, 5);
  o.retry_max = 2;
  o.retry_backoff = 1ms;
  o.retry_backoff_max = 4ms;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.acknowledged, 0u);
  EXPECT_EQ(r.errors_total, 20u);
  EXPECT_EQ(r.errors.at("ESME_RTHROTTLED"), 20u);
  EXPECT_EQ(r.throttled_total, 40u);  // two retried answers per message, the third is the error
  EXPECT_EQ(r.retries, 40u);
  EXPECT_EQ(r.sent, 60u);
}

TEST(LoadGenerator, BackOffGrowsWhileOnlyThrottledAnswersCome) {
  simulator_options so;
  so.window = 0;
  so.error_rate = 1.0;
  so.error_status = 0x58;
  running_sim s(so);
  auto o = to(s, 1, 1);
  o.retry_max = 5;
  o.retry_backoff = 20ms;
  o.retry_backoff_max = 80ms;
  load_generator g(o);
  const auto t0 = std::chrono::steady_clock::now();
  const load_report r = g.run();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.throttled_total, 5u);
  // Pauses 20 + 40 + 80 + 80 + 80 ms (capped) before the five retries.
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
}

// --window auto: halves on throttling, grows by one per clean window; it ends near the
// simulator's window of 10 and far fewer submits are throttled than with a fixed window of 50.
TEST(LoadGenerator, WindowAutoConvergesOnTheSmscWindow) {
  simulator_options so;
  so.latency = 2ms;  // responses stay in the simulator's window for a while
  running_sim s(so);
  auto o = to(s, 1500, 50);
  o.window_auto = true;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << to_json(r);
  EXPECT_EQ(r.acknowledged, 1500u);
  EXPECT_TRUE(r.window_auto);
  EXPECT_GE(r.window_final_min, 1u);
  EXPECT_LE(r.window_final_max, 11u) << to_json(r);
  EXPECT_LT(r.throttled_total, 1500u / 5) << to_json(r);
  const json::value j = json::parse(to_json(r));
  EXPECT_LE(u(j, "window_final_max"), 11u);
}

TEST(LoadGenerator, WindowAutoGrowsWhereTheSmscAllowsMore) {
  simulator_options so;
  so.window = 0;
  so.latency = 1ms;
  running_sim s(so);
  auto o = to(s, 1500, 2);
  o.window_auto = true;
  o.window_max = 40;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << to_json(r);
  EXPECT_EQ(r.throttled_total, 0u);
  EXPECT_GT(r.window_final_max, 10u) << to_json(r);
  EXPECT_LE(r.window_final_max, 40u);
}

TEST(LoadGenerator, RateIsKept) {
  running_sim s;
  auto o = to(s, 100, 10);
  o.rate = 400;
  load_generator g(o);
  const auto t0 = std::chrono::steady_clock::now();
  const load_report r = g.run();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.ok()) << to_json(r);
  EXPECT_GE(took, 200ms);  // 100 at 400/s: 250 ms, less the first burst
  EXPECT_LT(took, 2s);
}

TEST(LoadGenerator, RateIsSharedBySessions) {
  std::FILE* log = std::tmpfile();
  simulator_options so;
  so.log = log;
  running_sim s(so);
  auto o = to(s, 90, 5);
  o.rate = 300;
  o.sessions = 3;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << r.failure;
  EXPECT_EQ(s.sim().stats().submits, 90u);
  // Each session's close line says how many PDUs it carried: bind + submits + unbind.
  for (int i = 0; i < 200 && s.sim().stats().sessions_closed < 3; ++i) std::this_thread::sleep_for(10ms);
  std::fflush(log);
  std::rewind(log);
  char line[256];
  std::vector<int> pdus;
  while (std::fgets(line, sizeof line, log))
    if (const char* p = std::strstr(line, "(pdus in ")) pdus.push_back(std::atoi(p + 9));
  std::fclose(log);
  ASSERT_EQ(pdus.size(), 3u);
  for (int n : pdus) {  // 90 messages shared out about evenly
    EXPECT_GE(n, 2 + 20);
    EXPECT_LE(n, 2 + 40);
  }
}

TEST(LoadGenerator, StopEndsAnUnlimitedRunCleanly) {
  running_sim s;
  auto o = to(s, 0, 5);
  o.rate = 200;
  load_generator g(o);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    g.stop();
  });
  const load_report r = g.run();
  stopper.join();
  EXPECT_TRUE(r.ok()) << r.failure;
  EXPECT_GT(r.acknowledged, 10u);
  EXPECT_EQ(r.acknowledged, r.sent);
  EXPECT_EQ(s.sim().stats().unbinds, 1u);  // unbound, not dropped
}

TEST(LoadGenerator, AnswersEnquireLinkAndMo) {
  simulator_options so;
  so.enquire_link_interval = 1s;
  so.mo_rate = 50;
  running_sim s(so);
  auto o = to(s, 150, 1);
  o.rate = 100;  // about 1.5 s
  o.enquire_link_interval = 1s;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << r.failure;
  EXPECT_GE(r.enquire_links_answered, 1u);
  EXPECT_GE(r.enquire_links_sent, 1u);
  EXPECT_GT(r.mo_received, 20u);
  // Everything the simulator received: bind, submits, unbind, our answers and our enquire_links.
  // The simulator counts on its own thread, so wait for it to catch up with the report. An MO or
  // enquire_link that crossed our unbind is answered after it and may never be read: at most 2.
  const std::uint64_t want = 2 + r.sent + r.mo_received + r.enquire_links_answered + r.enquire_links_sent;
  for (int i = 0; i < 200 && s.sim().stats().pdus_in < want; ++i) std::this_thread::sleep_for(10ms);
  const std::uint64_t got = s.sim().stats().pdus_in;
  EXPECT_LE(got, want);
  EXPECT_GE(got + 2, want);
}

TEST(LoadGenerator, OverTls) {
  temp_cert cert;
  simulator_options so;
  so.tls = true;
  so.cert_file = cert.cert.string();
  so.key_file = cert.key.string();
  so.dlr_delay = 5ms;
  running_sim s(so);
  {
    auto o = to(s, 100, 10);
    o.tls = true;
    o.host = "localhost";
    o.ca_file = cert.cert.string();
    o.registered_delivery = true;
    load_generator g(o);
    const load_report r = g.run();
    EXPECT_TRUE(r.ok()) << r.failure;
    EXPECT_EQ(r.dlrs_matched, 100u);
  }
  {
    auto o = to(s, 10, 10);
    o.tls = true;  // the system trust store does not know this certificate
    load_generator g(o);
    const load_report r = g.run();
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.failure.find("TLS handshake"), std::string::npos) << r.failure;
  }
  {
    auto o = to(s, 10, 10);
    o.tls = true;
    o.insecure = true;
    load_generator g(o);
    EXPECT_TRUE(g.run().ok());
  }
}

}  // namespace
}  // namespace smppscope::sim::test
