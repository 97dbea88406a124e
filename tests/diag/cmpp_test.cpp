// CMPP sessions through the session diagnostics: the same alert kinds as SMPP, mapped
// (ACTIVE_TEST plays enquire_link, CONNECT plays bind, SUBMIT_RESP Result 8 is throttling, status
// reports match SUBMIT_RESP Msg_Ids), plus version_mismatch and cmpp_auth_mismatch. A real
// analyzer fed hand-built PDUs with injected time.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "diag_test_util.hpp"
#include "smppscope/cmpp_auth/authenticator.hpp"
#include "smppscope/decoder/cmpp.hpp"

using namespace diag_test;
namespace cmpp = smppscope::decoder::cmpp;
namespace auth = smppscope::cmpp_auth;

namespace {

constexpr auto v30 = cmpp::version::v30;
constexpr auto v20 = cmpp::version::v20;
constexpr std::uint32_t stamp = 1122134530u;  // 11/22 13:45:30

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

bytes c_connect(std::uint32_t seq, cmpp::version v = v30, std::string_view secret = "Pa55-w0rd",
                std::uint8_t version_byte = 0) {
  const auto a = auth::authenticator_source("901234", secret, stamp).value();
  return cmpp::pdu_builder(cmpp::command_id::connect, v, seq)
      .set("Source_Addr", "901234")
      .set_bytes("AuthenticatorSource", a)
      .set("Version", version_byte ? version_byte : cmpp::version_byte(v))
      .set("Timestamp", stamp)
      .bytes();
}
bytes c_connect_resp(std::uint32_t seq, std::uint32_t status, cmpp::version v = v30, std::uint8_t offered = 0,
                     std::string_view secret = "Pa55-w0rd") {
  cmpp::pdu_builder b(cmpp::command_id::connect_resp, v, seq);
  b.set("Status", status).set("Version", offered ? offered : cmpp::version_byte(v));
  if (status == 0) {
    const auto src = auth::authenticator_source("901234", "Pa55-w0rd", stamp).value();
    const auto w = v == v20 ? auth::status_width::cmpp2 : auth::status_width::cmpp3;
    b.set_bytes("AuthenticatorISMG", auth::authenticator_ismg(0, src, secret, w).value());
  }
  return b.bytes();
}
bytes c_submit(std::uint32_t seq, std::uint8_t registered_delivery = 1, cmpp::version v = v30) {
  const std::string_view dest[] = {"13800138000"};
  const std::string text = "hi";
  return cmpp::pdu_builder(cmpp::command_id::submit, v, seq)
      .set("Pk_total", 1)
      .set("Pk_number", 1)
      .set("Registered_Delivery", registered_delivery)
      .set("Msg_src", "901234")
      .set("Src_Id", "1066888")
      .destinations(dest)
      .set("Msg_Content", text)
      .bytes();
}
bytes c_submit_resp(std::uint32_t seq, std::uint64_t msg_id, std::uint32_t result, cmpp::version v = v30) {
  return cmpp::pdu_builder(cmpp::command_id::submit_resp, v, seq).set("Msg_Id", msg_id).set("Result", result).bytes();
}
bytes c_report(std::uint32_t seq, std::uint64_t msg_id, std::string_view stat = "DELIVRD", cmpp::version v = v30) {
  cmpp::status_report r;
  r.msg_id = msg_id;
  r.stat = stat;
  r.submit_time = "2311221345";
  r.done_time = "2311221346";
  r.dest_terminal_id = "13800138000";
  const auto content = cmpp::format_status_report(r, v);
  return cmpp::pdu_builder(cmpp::command_id::deliver, v, seq)
      .set("Msg_Id", 0x1234)
      .set("Dest_Id", "1066888")
      .set("Src_terminal_Id", "13800138000")
      .set("Registered_Delivery", 1)
      .set_bytes("Msg_Content", content)
      .bytes();
}
bytes c_active_test(std::uint32_t seq) { return cmpp::pdu_builder(cmpp::command_id::active_test, v30, seq).bytes(); }
bytes c_active_test_resp(std::uint32_t seq) {
  return cmpp::pdu_builder(cmpp::command_id::active_test_resp, v30, seq).bytes();
}

// CONNECT at t0, CONNECT_RESP Status 0 at t0 + 5 ms.
void login(harness& h, cmpp::version v = v30) {
  h.send(e2s, t0, c_connect(1, v));
  h.send(s2e, t0 + 5 * ms, c_connect_resp(1, 0, v));
}

std::shared_ptr<const std::map<std::string, std::string, std::less<>>> secrets() {
  return std::make_shared<const std::map<std::string, std::string, std::less<>>>(
      std::map<std::string, std::string, std::less<>>{{"901234", "Pa55-w0rd"}});
}

}  // namespace

TEST(CmppDiag, UnansweredActiveTestTimesOutAfterTheSpecificationsSixtySeconds) {
  harness h;
  login(h);
  EXPECT_EQ(h.sessions.get(1)->state, sc::session_state::bound_trx);
  const std::int64_t at = t0 + 1 * sec;
  h.send(e2s, at, c_active_test(2));
  h.tick_until(at, at + 59 * sec);
  EXPECT_FALSE(h.alert("enquire_link_timeout")) << "CMPP answers within T = 60 s";
  h.tick_until(at + 59 * sec, at + 61 * sec);
  const auto a = h.alert("enquire_link_timeout");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "CMPP_ACTIVE_TEST (seq 2) within 60.0 s")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"command\":\"CMPP_ACTIVE_TEST\"")) << a->extra_json;
  EXPECT_TRUE(contains(a->extra_json, "\"side\":\"smsc\"")) << a->extra_json;
  EXPECT_EQ(h.diag.totals().enquire_link_timeouts[0], 1u);
  // A late answer clears it and counts as late.
  h.send(s2e, at + 62 * sec, c_active_test_resp(2));
  EXPECT_FALSE(h.alert("enquire_link_timeout"));
  EXPECT_EQ(h.diag.totals().late_responses[0], 1u);
}

TEST(CmppDiag, OneSetOfFlagsAGivenEnquireLinkTimeoutAndWindowApplyToCmppToo) {
  dg::diag_options o;
  o.enquire_link_timeout_us = 5 * sec;
  o.enquire_link_timeout_given = true;
  harness h(o);
  login(h);
  const std::int64_t at = t0 + 1 * sec;
  h.send(e2s, at, c_active_test(2));
  h.tick_until(at, at + 6 * sec);
  ASSERT_TRUE(h.alert("enquire_link_timeout"));
  EXPECT_TRUE(contains(h.alert("enquire_link_timeout")->message, "within 5.0 s"));
}

TEST(CmppDiag, WindowDefaultsToSixteenForCmppAndTenForSmpp) {
  harness h;
  login(h);
  const std::int64_t at = t0 + 1 * sec;
  for (std::uint32_t k = 0; k < 15; ++k) h.send(e2s, at, c_submit(10 + k));
  h.tick_until(at, at + 3 * sec);
  EXPECT_FALSE(h.alert("window_full")) << "15 of 16";
  h.send(e2s, at + 3 * sec, c_submit(25));
  h.tick_until(at + 3 * sec, at + 6 * sec);
  const auto a = h.alert("window_full");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "16 CMPP_SUBMIT")) << a->message;
  EXPECT_TRUE(contains(a->message, "(16/16)")) << a->message;
  const auto tl = h.diag.timeline_json(1);
  ASSERT_TRUE(tl);
  EXPECT_TRUE(contains(*tl, "\"window\":16")) << *tl;
  EXPECT_TRUE(contains(*tl, "\"protocol\":\"cmpp\"")) << *tl;
}

TEST(CmppDiag, ConnectRespWithAnErrorStatusIsBindFailedNamingTheReason) {
  harness h;
  h.send(e2s, t0, c_connect(1));
  h.send(s2e, t0 + 5 * ms, c_connect_resp(1, 3));
  const auto a = h.alert("bind_failed");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "CMPP_CONNECT refused by the SMSC: Status 3 (")) << a->message;
  EXPECT_TRUE(contains(a->message, "uthentic")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"command_status\":3")) << a->extra_json;
  EXPECT_TRUE(contains(a->extra_json, "\"bind\":\"CMPP_CONNECT\"")) << a->extra_json;
  EXPECT_EQ(h.diag.totals().binds_failed, 1u);
  EXPECT_EQ(h.sessions.get(1)->state, sc::session_state::open);
  h.tick(t0 + 2 * sec);
  const auto tl = h.diag.timeline_json(1);
  ASSERT_TRUE(tl);
  EXPECT_TRUE(contains(*tl, "\"bind_state\":\"unbound\"")) << *tl;
  EXPECT_TRUE(contains(*tl, "\"bind\":\"CMPP_CONNECT\"")) << *tl;
  EXPECT_TRUE(contains(*tl, "\"bind_status\":3")) << *tl;
  // A later successful login clears it.
  h.send(e2s, t0 + 3 * sec, c_connect(2));
  h.send(s2e, t0 + 3 * sec + 5 * ms, c_connect_resp(2, 0));
  EXPECT_FALSE(h.alert("bind_failed"));
  EXPECT_EQ(h.diag.totals().binds_ok, 1u);
}

TEST(CmppDiag, VersionMismatchBetweenConnectAndConnectRespIsReported) {
  harness h;
  h.send(e2s, t0, c_connect(1, v30));
  h.send(s2e, t0 + 5 * ms, c_connect_resp(1, 4, v30, 0x20));  // version too high, ISMG speaks 2.0
  const auto a = h.alert("version_mismatch");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "asked for 3.0, the SMSC answered 2.0")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"requested_version\":\"3.0\"")) << a->extra_json;
  ASSERT_TRUE(h.alert("bind_failed"));
  // Reconnecting as 2.0, both sides agree: cleared.
  h.send(e2s, t0 + 1 * sec, c_connect(2, v20));
  h.send(s2e, t0 + 1 * sec + 5 * ms, c_connect_resp(2, 0, v20));
  EXPECT_FALSE(h.alert("version_mismatch"));
  EXPECT_FALSE(h.alert("bind_failed"));
  h.tick(t0 + 2 * sec);
  const auto tl = h.diag.timeline_json(1);
  EXPECT_TRUE(contains(*tl, "\"cmpp_requested_version\":32")) << *tl;
  EXPECT_TRUE(contains(*tl, "\"cmpp_answered_version\":32")) << *tl;
}

TEST(CmppDiag, SubmitRespResultEightIsThrottling) {
  harness h;
  login(h);
  for (std::uint32_t k = 0; k < 3; ++k) {
    h.send(e2s, t0 + 1 * sec + k * ms, c_submit(10 + k));
    h.send(s2e, t0 + 1 * sec + k * ms + 1, c_submit_resp(10 + k, 0, 8));
  }
  const auto a = h.alert("throttled");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "SMSC is throttling the ESME (Result 8 (flow control))")) << a->message;
  EXPECT_EQ(h.diag.totals().throttled_responses[0], 3u);
  // Quiet for the quiet period: cleared.
  h.tick_until(t0 + 1 * sec, t0 + 32 * sec);
  EXPECT_FALSE(h.alert("throttled"));
}

TEST(CmppDiag, StatusReportsMatchSubmitRespMsgIdsAndStrangersAreUnmatched) {
  harness h;
  login(h);
  const std::uint64_t id = 0xBB36D781E2401234u;
  h.send(e2s, t0 + 1 * sec, c_submit(2));
  h.send(s2e, t0 + 1 * sec + 10 * ms, c_submit_resp(2, id, 0));
  EXPECT_EQ(h.diag.totals().dlr_tracked, 1u);
  h.send(s2e, t0 + 3 * sec, c_report(3, id));
  EXPECT_EQ(h.diag.totals().dlr_matched, 1u);
  EXPECT_EQ(h.diag.totals().dlr_pending, 0u);
  // A report for a Msg_Id no SUBMIT_RESP returned: unmatched after the grace period.
  h.send(s2e, t0 + 4 * sec, c_report(4, 0x1111222233334444u));
  h.tick_until(t0 + 4 * sec, t0 + 16 * sec);
  const auto a = h.alert("dlr_unmatched");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, std::to_string(0x1111222233334444u))) << a->message;
  EXPECT_EQ(h.diag.totals().dlr_unmatched, 1u);
  // Latency per CMPP command on /metrics.
  std::string m;
  h.diag.append_prometheus(m);
  EXPECT_TRUE(contains(m, "command=\"CMPP_SUBMIT\",direction=\"esme_to_smsc\"")) << m;
  EXPECT_TRUE(contains(m, "command=\"CMPP_CONNECT\"")) << m;
}

TEST(CmppDiag, UnansweredSubmitAndAnUnmatchedResponseUseCmppNames) {
  harness h;
  login(h);
  h.send(e2s, t0 + 1 * sec, c_submit(7));
  h.tick_until(t0 + 1 * sec, t0 + 12 * sec);
  const auto a = h.alert("response_timeout");
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "did not answer CMPP_SUBMIT (seq 7) within 10.0 s")) << a->message;
  h.send(s2e, t0 + 13 * sec, c_submit_resp(99, 1, 0));
  const auto u = h.alert("unmatched_response");
  ASSERT_TRUE(u);
  EXPECT_TRUE(contains(u->message, "CMPP_SUBMIT_RESP (seq 99)")) << u->message;
}

TEST(CmppDiag, AuthenticatorsAreCheckedAgainstTheConfiguredSecretWithoutDroppingAnything) {
  dg::diag_options o;
  o.cmpp_secrets = secrets();
  {
    harness h(o);
    login(h);  // signed with the configured secret: fine
    EXPECT_FALSE(h.alert("cmpp_auth_mismatch"));
    h.tick(t0 + 2 * sec);
    EXPECT_TRUE(contains(*h.diag.timeline_json(1), "\"cmpp_auth\":\"ok\""));
  }
  {
    harness h(o);
    h.send(e2s, t0, c_connect(1, v30, "wrong-password"));
    const auto a = h.alert("cmpp_auth_mismatch");
    ASSERT_TRUE(a);
    EXPECT_TRUE(contains(a->message, "AuthenticatorSource does not match")) << a->message;
    EXPECT_TRUE(contains(a->extra_json, "\"side\":\"esme\"")) << a->extra_json;
    EXPECT_TRUE(contains(a->extra_json, "\"pdu_event_id\":")) << a->extra_json;
    EXPECT_FALSE(contains(a->message + a->extra_json, "Pa55-w0rd")) << "the secret is never shown";
    for (const auto& line : h.log) EXPECT_FALSE(contains(line, "wrong-password") || contains(line, "Pa55-w0rd"));
    // Analysis only: the session goes on (the ISMG decides).
    h.send(s2e, t0 + 5 * ms, c_connect_resp(1, 3));
    EXPECT_TRUE(h.alert("bind_failed"));
  }
  {
    harness h(o);
    h.send(e2s, t0, c_connect(1));
    h.send(s2e, t0 + 5 * ms, c_connect_resp(1, 0, v30, 0, "not-the-secret"));
    const auto a = h.alert("cmpp_auth_mismatch");
    ASSERT_TRUE(a);
    EXPECT_TRUE(contains(a->message, "AuthenticatorISMG does not match")) << a->message;
    EXPECT_TRUE(contains(a->extra_json, "\"side\":\"smsc\"")) << a->extra_json;
  }
}

TEST(CmppDiag, Cmpp20SessionsUseTheirOwnLayouts) {
  harness h;
  login(h, v20);
  h.send(e2s, t0 + 1 * sec, c_submit(2, 1, v20));
  h.send(s2e, t0 + 1 * sec + 3 * ms, c_submit_resp(2, 42, 8, v20));
  EXPECT_TRUE(h.alert("throttled"));
  EXPECT_FALSE(h.alert("malformed"));
  EXPECT_EQ(h.diag.totals().responses_matched[0], 2u);
}
