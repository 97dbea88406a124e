// The simulator standing in for a provider (sim --profile): bind limits and bind types, window and
// rate with the provider's statuses, unsupported PDUs and data_codings answered as documented,
// receipts in the provider's format with its TLVs and err: codes, and the periodic forced unbind,
// all over loopback sockets; then the load generator keeping to the same profile.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "sim_test_util.hpp"
#include "smppscope/decoder/dlr.hpp"
#include "smppscope/profile/loader.hpp"
#include "smppscope/sim/load_generator.hpp"

namespace smppscope::sim::test {
namespace {

constexpr std::uint32_t ok = 0x00, invcmdid = 0x03, bindfail = 0x0D, throttled = 0x58;
constexpr std::uint32_t bindthrottled = 0x400, unsdatacoding = 0x401, invgsm7coding = 0x402;

std::uint32_t resp(command_id c) { return cid(c) | decoder::response_bit; }

profile::profile_ptr shipped(std::string_view name) {
  auto p = profile::find_builtin(name);
  if (!p) throw std::runtime_error("no shipped profile " + std::string(name));
  return p;
}

simulator_options like(std::string_view name) {
  simulator_options o;
  o.profile = shipped(name);
  apply_profile_limits(o, *o.profile);
  return o;
}

TEST(SimulatorProfile, LimitsComeFromTheProfile) {
  const auto o = like("ovhcloud");
  EXPECT_EQ(o.window, 10u);
  EXPECT_DOUBLE_EQ(o.rate, 20.0);
}

TEST(SimulatorProfile, OvhcloudRefusesASecondTransceiverWithBindThrottled) {
  running_sim s(like("ovhcloud"));
  smpp_client first(s.port());
  EXPECT_EQ(first.bind(command_id::bind_transceiver, "smpp-ab12345-1").status(), ok);
  smpp_client second(s.port());
  const auto r = second.bind(command_id::bind_transceiver, "smpp-ab12345-1");
  EXPECT_EQ(r.id(), resp(command_id::bind_transceiver));
  EXPECT_EQ(r.status(), bindthrottled);
  // A transmitter is refused too: the transceiver uses up the account's TX/RX pair.
  smpp_client tx(s.port());
  EXPECT_EQ(tx.bind(command_id::bind_transmitter, "smpp-ab12345-1").status(), bindthrottled);
  // Another account is not affected.
  smpp_client other(s.port());
  EXPECT_EQ(other.bind(command_id::bind_transceiver, "smpp-zz99999-1").status(), ok);
  EXPECT_EQ(s.sim().stats().binds_refused, 2u);
  // Once the first unbinds, its place is free again.
  first.send(decoder::pdu_builder(command_id::unbind, first.next_seq()));
  ASSERT_TRUE(first.read_until(resp(command_id::unbind)));
  bool bound = false;
  for (int i = 0; i < 100 && !bound; ++i) {  // the simulator releases the place on its own thread
    smpp_client again(s.port());
    bound = again.bind(command_id::bind_transceiver, "smpp-ab12345-1").status() == ok;
    if (!bound) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(bound);
}

TEST(SimulatorProfile, OvhcloudAllowsOneTransmitterReceiverPair) {
  running_sim s(like("ovhcloud"));
  smpp_client tx(s.port()), rx(s.port()), tx2(s.port());
  EXPECT_EQ(tx.bind(command_id::bind_transmitter, "smpp-pair").status(), ok);
  EXPECT_EQ(rx.bind(command_id::bind_receiver, "smpp-pair").status(), ok);
  EXPECT_EQ(tx2.bind(command_id::bind_transmitter, "smpp-pair").status(), bindthrottled);
}

TEST(SimulatorProfile, MensatekAllowsTransceiverOnly) {
  running_sim s(like("mensatek"));
  smpp_client tx(s.port());
  EXPECT_EQ(tx.bind(command_id::bind_transmitter, "acct").status(), bindfail);
  smpp_client trx(s.port());
  EXPECT_EQ(trx.bind(command_id::bind_transceiver, "acct").status(), ok);
}

TEST(SimulatorProfile, WindowAboveTenIsThrottled) {
  auto o = like("ovhcloud");
  o.rate = 0;  // the window alone
  o.latency = 200ms;  // answers stay unanswered long enough to fill the window
  running_sim s(o);
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  bytes burst;
  for (std::uint32_t i = 0; i < 12; ++i) {
    const auto b = submit(c.next_seq()).bytes();
    burst.insert(burst.end(), b.begin(), b.end());
  }
  c.send(burst);
  std::size_t oks = 0, throttles = 0;
  for (int i = 0; i < 12; ++i) {
    auto r = c.read_until(resp(command_id::submit_sm), 3000ms);
    ASSERT_TRUE(r);
    (r->status() == ok ? oks : throttles) += 1;
    if (r->status() != ok) EXPECT_EQ(r->status(), throttled);
  }
  EXPECT_EQ(oks, 10u);
  EXPECT_EQ(throttles, 2u);
}

TEST(SimulatorProfile, RateAboveTwentyPerSecondIsThrottled) {
  auto o = like("ovhcloud");
  o.window = 0;  // the rate alone
  running_sim s(o);
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  bytes burst;
  for (std::uint32_t i = 0; i < 30; ++i) {
    const auto b = submit(c.next_seq()).bytes();
    burst.insert(burst.end(), b.begin(), b.end());
  }
  c.send(burst);  // 30 at once: far above 20 per second
  std::size_t oks = 0, throttles = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = c.read_until(resp(command_id::submit_sm));
    ASSERT_TRUE(r);
    (r->status() == ok ? oks : throttles) += 1;
  }
  EXPECT_GE(throttles, 20u);
  EXPECT_GE(oks, 1u);
  // enquire_link is not a message: never throttled by the rate.
  c.send(decoder::pdu_builder(command_id::enquire_link, c.next_seq()));
  auto e = c.read_until(resp(command_id::enquire_link));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status(), ok);
}

TEST(SimulatorProfile, UnsupportedPdusGetGenericNackInvCmdId) {
  running_sim s(like("ovhcloud"));
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  for (auto id : {command_id::query_sm, command_id::cancel_sm, command_id::replace_sm, command_id::submit_multi,
                  command_id::data_sm}) {
    const std::uint32_t seq = c.next_seq();
    c.send(decoder::pdu_builder(id, seq));
    auto r = c.read();
    ASSERT_TRUE(r) << decoder::command_name(cid(id));
    EXPECT_EQ(r->id(), cid(command_id::generic_nack)) << decoder::command_name(cid(id));
    EXPECT_EQ(r->status(), invcmdid);
    EXPECT_EQ(r->seq(), seq);
  }
  // Without the profile, query_sm is answered with query_sm_resp.
  running_sim plain;
  smpp_client p(plain.port());
  ASSERT_EQ(p.bind().status(), ok);
  p.send(decoder::pdu_builder(command_id::query_sm, p.next_seq()).set("message_id", "1"));
  auto r = p.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::query_sm));
}

TEST(SimulatorProfile, UnsupportedDataCodingAndPackedGsm7GetTheVendorStatuses) {
  running_sim s(like("ovhcloud"));
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  // data_coding 3 (Latin-1): not among OVHcloud's GSM 03.38 and UCS2.
  c.send(submit(c.next_seq(), "Caf\xE9").set("data_coding", 3u));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), unsdatacoding);
  // UCS2 is fine.
  c.send(submit(c.next_seq()).set("data_coding", 8u).short_message(decoder::utf8_to_ucs2("Hi")));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), ok);
  // Packed GSM 7-bit under data_coding 0 ("Hello" packed: C8 32 9B FD 06) on an unpacked account.
  c.send(submit(c.next_seq()).short_message(decoder::gsm7_pack(*decoder::utf8_to_gsm7("Hello"))));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), invgsm7coding);
  EXPECT_EQ(s.sim().stats().unsupported, 2u);
}

TEST(SimulatorProfile, ReceiptsInTheOvhcloudFormat) {
  auto o = like("ovhcloud");
  o.dlr_delay = 10ms;
  o.dlr_mix = {{dlr_state::delivrd, 0, 1}, {dlr_state::expired, default_dlr_err(dlr_state::expired), 1}};
  running_sim s(o);
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    c.send(submit(c.next_seq(), "Hello", 1));
    auto r = c.read_until(resp(command_id::submit_sm));
    ASSERT_TRUE(r);
    ids.emplace_back(r->text("message_id"));
  }
  std::vector<std::pair<std::string, std::string>> outcomes;  // stat, err
  for (int i = 0; i < 2; ++i) {
    auto d = c.read_until(cid(command_id::deliver_sm));
    ASSERT_TRUE(d);
    c.send(decoder::pdu_builder(command_id::deliver_sm_resp, d->seq()));
    const auto* sm = d->p.field("short_message");
    ASSERT_TRUE(sm);
    const std::string text(sm->text());
    const auto rf = decoder::parse_receipt_text(text);
    ASSERT_TRUE(rf) << text;
    EXPECT_EQ(rf->id, ids[static_cast<std::size_t>(i)]);
    EXPECT_EQ(text.rfind("id:", 0), 0u) << text;
    EXPECT_NE(text.find(" text:Hello"), std::string::npos) << text;
    outcomes.emplace_back(rf->stat, rf->err);
    // The profile's TLVs: receipted_message_id and OVHcloud's outgoing_id (0x1401); no message_state.
    const auto rid = d->p.tlvs().find(decoder::tlv_tag::receipted_message_id);
    ASSERT_TRUE(rid);
    EXPECT_EQ(rid->text(), ids[static_cast<std::size_t>(i)]);
    const auto out = d->p.tlvs().find(std::uint16_t{0x1401});
    ASSERT_TRUE(out);
    EXPECT_EQ(out->value.back(), 0);  // a C-Octet String
    EXPECT_FALSE(d->p.tlvs().find(decoder::tlv_tag::message_state));
  }
  // err: codes from OVHcloud's table: 000 "No Error", 801 "Expired" (the mix alternates the two).
  std::sort(outcomes.begin(), outcomes.end());
  EXPECT_EQ(outcomes, (std::vector<std::pair<std::string, std::string>>{{"DELIVRD", "000"}, {"EXPIRED", "801"}}));
  const auto prof = shipped("ovhcloud");
  ASSERT_TRUE(prof->find_receipt_error(801));
  EXPECT_EQ(prof->find_receipt_error(801)->meaning, "Expired");
}

TEST(SimulatorProfile, ForcedUnbindAfterTheScaledPeriod) {
  auto o = like("ovhcloud");
  o.time_scale = 86400.0 / 0.3;  // 24 h become 300 ms
  o.enquire_link_interval = 0s;
  running_sim s(o);
  smpp_client c(s.port());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(c.bind(command_id::bind_transceiver, "smpp-unbind").status(), ok);
  auto u = c.read_until(cid(command_id::unbind), 5000ms);
  ASSERT_TRUE(u);
  const auto after = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(after, 280ms);
  EXPECT_LT(after, 4s);
  c.send(decoder::pdu_builder(command_id::unbind_resp, u->seq()));
  EXPECT_TRUE(c.closed_within(3000ms));
  EXPECT_EQ(s.sim().stats().forced_unbinds, 1u);
  // The ESME binds again at once: the old session no longer counts.
  smpp_client again(s.port());
  EXPECT_EQ(again.bind(command_id::bind_transceiver, "smpp-unbind").status(), ok);
}

TEST(SimulatorProfile, ForcedUnbindWithoutAnAnswerStillCloses) {
  auto o = like("ovhcloud");
  o.time_scale = 86400.0 / 0.2;
  o.enquire_link_interval = 0s;
  running_sim s(o);
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  ASSERT_TRUE(c.read_until(cid(command_id::unbind), 5000ms));
  EXPECT_TRUE(c.closed_within(5000ms));  // a grace of one (scaled) period, then closed
}

// The load generator keeping to OVHcloud's limits by itself: no throttling, no failure.
TEST(SimulatorProfile, LoadWithTheProfileKeepsToTheSimulatorsLimits) {
  auto so = like("ovhcloud");
  so.dlr_delay = 10ms;
  running_sim s(so);
  load_options o;
  o.port = s.port();
  o.system_id = "smpp-load";
  o.count = 30;  // 1.5 s at 20 per second
  o.window = 50;
  o.sessions = 3;
  o.registered_delivery = true;
  o.timeout = 5000ms;
  const auto notes = apply_profile_limits(o, *shipped("ovhcloud"));
  EXPECT_EQ(o.window, 10u);
  EXPECT_EQ(o.sessions, 1u);  // one transceiver per account
  EXPECT_DOUBLE_EQ(o.rate, 20.0);
  EXPECT_FALSE(notes.empty());
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << to_json(r);
  EXPECT_EQ(r.acknowledged, 30u);
  EXPECT_EQ(r.errors_total, 0u);
  EXPECT_EQ(r.throttled_total, 0u) << to_json(r);
  EXPECT_EQ(r.dlrs_received, 30u);
  EXPECT_EQ(s.sim().stats().throttled, 0u);
  EXPECT_EQ(s.sim().stats().binds_refused, 0u);
}

// Against the same simulator, a window of 50 is throttled and retried to success.
TEST(SimulatorProfile, LoadWithAWindowOfFiftyIsThrottledAndRetries) {
  auto so = like("ovhcloud");
  so.rate = 0;  // the window alone, to keep the test short
  so.latency = 2ms;
  running_sim s(so);
  load_options o;
  o.port = s.port();
  o.system_id = "smpp-load";
  o.count = 300;
  o.window = 50;
  o.timeout = 5000ms;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << to_json(r);
  EXPECT_EQ(r.acknowledged, 300u);
  EXPECT_GT(r.throttled_total, 0u);
  EXPECT_EQ(r.errors_total, 0u);
}

// A forced unbind mid-run: the load generator binds again and finishes, receipts included.
TEST(SimulatorProfile, LoadBindsAgainAfterAForcedUnbind) {
  auto so = like("ovhcloud");
  so.rate = 0;
  so.time_scale = 86400.0 / 0.3;  // unbind every 300 ms
  so.dlr_delay = 50ms;
  so.enquire_link_interval = 0s;
  running_sim s(so);
  load_options o;
  o.port = s.port();
  o.system_id = "smpp-rebind";
  o.count = 200;
  o.rate = 250;  // 0.8 s: at least two forced unbinds
  o.registered_delivery = true;
  o.timeout = 5000ms;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.ok()) << to_json(r);
  EXPECT_GE(r.rebinds, 1u) << to_json(r);
  EXPECT_GE(r.acknowledged, 200u);
  EXPECT_EQ(r.errors_total, 0u);
  EXPECT_GE(r.dlrs_received, 200u) << to_json(r);
  EXPECT_GE(s.sim().stats().forced_unbinds, 1u);
}

}  // namespace
}  // namespace smppscope::sim::test
