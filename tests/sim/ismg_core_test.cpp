// The CMPP ISMG engine driven without sockets and with an injected clock: CONNECT authentication
// and version answers, Msg_Ids, SUBMIT_RESP, status reports, flow control, ACTIVE_TEST and MO.
// What it writes is read back with the decoder's CMPP codec.
#include <gtest/gtest.h>

#include <set>

#include "ismg_core.hpp"
#include "smppscope/cmpp_auth/authenticator.hpp"
#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::sim::detail {
namespace {

using namespace std::chrono_literals;
using cmpp::command_id;
using cmpp::version;

constexpr std::uint32_t id_of(command_id c) { return static_cast<std::uint32_t>(c); }
constexpr std::int64_t t0_unix = 1795355130;  // 2026-11-22 13:45:30 UTC

struct frame {
  std::vector<std::uint8_t> bytes;
  cmpp::pdu p{};
  frame() = default;
  frame(const frame&) = delete;
  frame(frame&&) = default;
};

// Splits what the engine wrote into PDUs decoded with `v`.
std::vector<frame> frames_of(byte_buffer& out, version v) {
  std::vector<frame> r;
  auto f = cmpp_framer();
  EXPECT_TRUE(f.feed(out.bytes(), [&](std::span<const std::uint8_t> b) {
    frame fr;
    fr.bytes.assign(b.begin(), b.end());
    r.push_back(std::move(fr));
  }));
  for (auto& fr : r) EXPECT_FALSE(cmpp::decode(fr.bytes, v, fr.p)) << "undecodable PDU";
  out.clear();
  return r;
}

struct events final : ismg_events {
  std::vector<std::uint32_t> statuses;
  void on_connect(std::string_view, std::uint8_t, std::uint32_t status) override { statuses.push_back(status); }
};

struct engine {
  explicit engine(ismg_options o) : opt(std::move(o)), shared(opt), core(shared, ev) {}
  ismg_options opt;
  ismg_shared shared;
  events ev;
  ismg_core core;
  byte_buffer out{4096};
  steady::time_point now = steady::time_point{} + 1000s;
  std::int64_t unix_now = t0_unix;
  sim_time t() const { return {now, unix_now}; }
  ismg_core::verdict feed(const std::vector<std::uint8_t>& pdu) { return core.on_frame(pdu, t(), out); }
  void advance(steady::duration d) {
    now += d;
    unix_now += std::chrono::duration_cast<std::chrono::seconds>(d).count();
    core.on_tick(t(), out);
  }
};

std::vector<std::uint8_t> connect_pdu(std::string_view src, std::string_view secret, std::uint8_t vbyte,
                                      std::uint32_t ts = 1122134530) {
  const auto auth = *cmpp_auth::authenticator_source(src, secret, ts);
  return cmpp::pdu_builder(command_id::connect, version::v20, 1)
      .set("Source_Addr", src)
      .set_bytes("AuthenticatorSource", auth)
      .set("Version", vbyte)
      .set("Timestamp", ts)
      .bytes();
}

std::vector<std::uint8_t> submit_pdu(version v, std::uint32_t seq, std::uint64_t registered_delivery,
                                     std::string_view dest = "13800138000") {
  return cmpp::pdu_builder(command_id::submit, v, seq)
      .set("Pk_total", 1)
      .set("Pk_number", 1)
      .set("Registered_Delivery", registered_delivery)
      .set("Service_Id", "TEST")
      .set("Msg_Fmt", 0)
      .set("Msg_src", "901234")
      .set("Src_Id", "1066888")
      .destinations(std::vector<std::string_view>{dest})
      .set("Msg_Content", "Hi")
      .bytes();
}

ismg_options with_secret(version v = version::v20) {
  ismg_options o;
  o.version = v;
  o.credentials = {{"901234", "secret"}};
  o.log = nullptr;
  o.dlr_delay = 100ms;
  o.window = 0;
  return o;
}

TEST(IsmgCore, ConnectWithTheRightAuthenticatorIsAcceptedAndAnsweredWithAuthenticatorIsmg) {
  engine e(with_secret());
  EXPECT_EQ(e.feed(connect_pdu("901234", "secret", 0x20)), ismg_core::verdict::keep);
  auto f = frames_of(e.out, version::v20);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].bytes.size(), 30u);  // the 2.0 CONNECT_RESP
  EXPECT_EQ(f[0].p.hdr.command_id, id_of(command_id::connect_resp));
  EXPECT_EQ(f[0].p.hdr.sequence_id, 1u);
  EXPECT_EQ(f[0].p.status(), 0u);
  EXPECT_EQ(f[0].p.integer("Version"), 0x20u);
  // MD5(Status + AuthenticatorSource + secret): the worked example's value.
  const auto* ismg = f[0].p.field("AuthenticatorISMG");
  ASSERT_TRUE(ismg);
  const std::vector<std::uint8_t> expect{0x29, 0xE9, 0x5B, 0x54, 0x6E, 0x08, 0xCA, 0xD2,
                                         0x1B, 0xE2, 0xE4, 0x81, 0xC6, 0xF8, 0x6B, 0xC4};
  EXPECT_EQ(std::vector<std::uint8_t>(ismg->raw.begin(), ismg->raw.end()), expect);
  EXPECT_TRUE(e.core.connected());
  EXPECT_EQ(e.ev.statuses, std::vector<std::uint32_t>{0});
}

TEST(IsmgCore, WrongSecretIsStatus3UnknownSourceStatus2AndBothClose) {
  {
    engine e(with_secret());
    EXPECT_EQ(e.feed(connect_pdu("901234", "wrong", 0x20)), ismg_core::verdict::close_after_flush);
    auto f = frames_of(e.out, version::v20);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].p.status(), cmpp::connect_status_auth_error);
    const auto* ismg = f[0].p.field("AuthenticatorISMG");
    ASSERT_TRUE(ismg);
    EXPECT_TRUE(std::all_of(ismg->raw.begin(), ismg->raw.end(), [](std::uint8_t b) { return b == 0; }));
    EXPECT_FALSE(e.core.connected());
  }
  {
    engine e(with_secret());
    EXPECT_EQ(e.feed(connect_pdu("999999", "secret", 0x20)), ismg_core::verdict::close_after_flush);
    auto f = frames_of(e.out, version::v20);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].p.status(), 2u);  // illegal source address
  }
  {  // without credentials any authenticator is accepted
    ismg_options o;
    o.log = nullptr;
    engine e(o);
    EXPECT_EQ(e.feed(connect_pdu("123456", "whatever", 0x20)), ismg_core::verdict::keep);
    auto f = frames_of(e.out, version::v20);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].p.status(), 0u);
  }
}

TEST(IsmgCore, Version30ToA20IsmgIsStatus4WithVersion20InThe20Layout) {
  engine e(with_secret(version::v20));
  EXPECT_EQ(e.feed(connect_pdu("901234", "secret", 0x30)), ismg_core::verdict::close_after_flush);
  ASSERT_EQ(e.out.size(), 30u);
  EXPECT_EQ(cmpp::examine(e.out.bytes()).ver, version::v20);
  auto f = frames_of(e.out, version::v20);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].p.status(), cmpp::connect_status_version_too_high);
  EXPECT_EQ(f[0].p.integer("Version"), 0x20u);
  EXPECT_FALSE(e.core.connected());
}

TEST(IsmgCore, A30IsmgServesA20SpIn20) {
  engine e(with_secret(version::v30));
  EXPECT_EQ(e.feed(connect_pdu("901234", "secret", 0x20)), ismg_core::verdict::keep);
  EXPECT_EQ(e.out.size(), 30u);
  frames_of(e.out, version::v20);
  EXPECT_EQ(e.core.version(), version::v20);
  e.feed(submit_pdu(version::v20, 2, 0));
  auto f = frames_of(e.out, version::v20);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].bytes.size(), 21u);  // 2.0 SUBMIT_RESP
  // And a 3.0 SP gets the 3.0 layouts.
  engine e3(with_secret(version::v30));
  e3.feed(connect_pdu("901234", "secret", 0x30));
  EXPECT_EQ(e3.out.size(), 33u);
  auto g = frames_of(e3.out, version::v30);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].p.status(), 0u);
  EXPECT_EQ(g[0].p.integer("Version"), 0x30u);
  const auto expect = *cmpp_auth::authenticator_ismg(
      0, *cmpp_auth::authenticator_source("901234", "secret", 1122134530), "secret", cmpp_auth::status_width::cmpp3);
  const auto* ismg = g[0].p.field("AuthenticatorISMG");
  ASSERT_TRUE(ismg);
  EXPECT_TRUE(std::equal(expect.begin(), expect.end(), ismg->raw.begin(), ismg->raw.end()));
}

TEST(IsmgCore, MsgIdsCarryTheTimeGatewayAndSequenceAndNeverRepeat) {
  msg_id_source ids(123456);
  std::set<std::uint64_t> seen;
  std::uint64_t first = 0, last = 0;
  for (int i = 0; i < 70000; ++i) {  // more than 65536 in one second
    const std::uint64_t id = ids.next(t0_unix);
    if (i == 0) first = id;
    last = id;
    EXPECT_TRUE(seen.insert(id).second) << "Msg_Id repeated at " << i;
  }
  const auto p = cmpp::unpack_msg_id(first);
  EXPECT_EQ(p, (cmpp::msg_id_parts{11, 22, 13, 45, 30, 123456, 0}));
  // The 65537th borrows the next second.
  const auto q = cmpp::unpack_msg_id(last);
  EXPECT_EQ(q, (cmpp::msg_id_parts{11, 22, 13, 45, 31, 123456, 70000 - 65536 - 1}));
  // A later second starts the sequence again, and the borrowed second is not reused.
  const auto r = cmpp::unpack_msg_id(ids.next(t0_unix + 10));
  EXPECT_EQ(r.second, 40);
  EXPECT_EQ(r.sequence, 0);
  // The worked example of the reference: 11/22 13:45:30, gateway 123456, sequence 4660.
  EXPECT_EQ(ids.make(t0_unix, 4660), 0xBB36D781E2401234ULL);
}

TEST(IsmgCore, SubmitIsAnsweredWithAMsgIdAndTheStatusReportCarriesIt) {
  for (version v : {version::v20, version::v30}) {
    SCOPED_TRACE(cmpp::version_name(v));
    engine e(with_secret(v));
    e.feed(connect_pdu("901234", "secret", cmpp::version_byte(v)));
    frames_of(e.out, v);
    e.feed(submit_pdu(v, 7, 1));
    auto f = frames_of(e.out, v);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].p.hdr.command_id, id_of(command_id::submit_resp));
    EXPECT_EQ(f[0].p.hdr.sequence_id, 7u);
    EXPECT_EQ(f[0].p.status(), 0u);
    const std::uint64_t msg_id = f[0].p.msg_id().value_or(0);
    EXPECT_EQ(cmpp::unpack_msg_id(msg_id), (cmpp::msg_id_parts{11, 22, 13, 45, 30, 123456, 0}));
    e.core.on_handed_off();

    e.advance(50ms);  // not due yet
    EXPECT_TRUE(e.out.empty());
    e.advance(60s);
    auto d = frames_of(e.out, v);
    ASSERT_EQ(d.size(), 1u);
    const auto& rep = d[0].p;
    EXPECT_EQ(rep.hdr.command_id, id_of(command_id::deliver));
    EXPECT_TRUE(rep.is_status_report());
    EXPECT_EQ(rep.text("Dest_Id"), "1066888");  // the SUBMIT's Src_Id
    EXPECT_EQ(rep.text("Src_terminal_Id"), "13800138000");
    EXPECT_EQ(rep.text("Service_Id"), "TEST");
    EXPECT_NE(rep.msg_id(), msg_id);  // the DELIVER has its own Msg_Id
    EXPECT_EQ(rep.msg_content().size(), cmpp::status_report_size(v));
    const auto r = cmpp::parse_status_report(rep.msg_content(), v);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->msg_id, msg_id);
    EXPECT_EQ(r->stat, "DELIVRD");  // first of the default mix
    EXPECT_EQ(r->submit_time, "2611221345");
    EXPECT_EQ(r->done_time, "2611221346");
    EXPECT_EQ(r->dest_terminal_id, "13800138000");
    EXPECT_EQ(r->smsc_sequence, 1u);
  }
}

TEST(IsmgCore, ReportsOnlyWhenAskedAndOnePerDestination) {
  engine e(with_secret());
  e.feed(connect_pdu("901234", "secret", 0x20));
  e.feed(submit_pdu(version::v20, 2, 0));
  e.feed(submit_pdu(version::v20, 3, 2));  // SMC bill only: no report
  e.feed(cmpp::pdu_builder(command_id::submit, version::v20, 4)
             .set("Registered_Delivery", 1)
             .set("Src_Id", "1066")
             .destinations(std::vector<std::string_view>{"13800000001", "13800000002"})
             .set("Msg_Content", "x")
             .bytes());
  EXPECT_EQ(frames_of(e.out, version::v20).size(), 4u);
  e.core.on_handed_off();
  e.advance(1s);
  auto d = frames_of(e.out, version::v20);
  ASSERT_EQ(d.size(), 2u);
  std::set<std::string> dests;
  for (auto& fr : d) dests.insert(std::string(cmpp::parse_status_report(fr.p.msg_content(), version::v20)->dest_terminal_id));
  EXPECT_EQ(dests, (std::set<std::string>{"13800000001", "13800000002"}));
}

TEST(IsmgCore, AboveTheWindowSubmitIsResult8) {
  auto o = with_secret();
  o.window = 2;
  engine e(o);
  e.feed(connect_pdu("901234", "secret", 0x20));
  frames_of(e.out, version::v20);
  for (std::uint32_t s = 10; s < 13; ++s) e.feed(submit_pdu(version::v20, s, 0));
  auto f = frames_of(e.out, version::v20);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].p.status(), 0u);
  EXPECT_EQ(f[1].p.status(), 0u);
  EXPECT_EQ(f[2].p.status(), cmpp::result_flow_control);
  e.core.on_handed_off();  // the responses went out: the window is free again
  e.feed(submit_pdu(version::v20, 13, 0));
  auto g = frames_of(e.out, version::v20);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].p.status(), 0u);
}

TEST(IsmgCore, ActiveTestWhenIdleAndAnsweredWhenAsked) {
  auto o = with_secret();
  o.enquire_link_interval = 10s;
  engine e(o);
  e.feed(connect_pdu("901234", "secret", 0x20));
  frames_of(e.out, version::v20);
  e.advance(5s);
  e.feed(cmpp::pdu_builder(command_id::active_test, version::v20, 9).bytes());  // traffic: not idle
  auto a = frames_of(e.out, version::v20);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].bytes.size(), 13u);
  EXPECT_EQ(a[0].p.hdr.command_id, id_of(command_id::active_test_resp));
  EXPECT_EQ(a[0].p.hdr.sequence_id, 9u);
  e.advance(6s);  // 6 s since the last PDU
  EXPECT_TRUE(e.out.empty());
  e.advance(5s);  // 11 s
  auto b = frames_of(e.out, version::v20);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].p.hdr.command_id, id_of(command_id::active_test));
  EXPECT_EQ(b[0].bytes.size(), 12u);
}

TEST(IsmgCore, FaultModesApplyToActiveTestAndSubmit) {
  {
    auto o = with_secret();
    o.no_enquire_link_resp = true;
    engine e(o);
    e.feed(connect_pdu("901234", "secret", 0x20));
    frames_of(e.out, version::v20);
    e.feed(cmpp::pdu_builder(command_id::active_test, version::v20, 2).bytes());
    EXPECT_TRUE(e.out.empty());
  }
  {
    auto o = with_secret();
    o.drop_after_enquire_link = true;
    engine e(o);
    e.feed(connect_pdu("901234", "secret", 0x20));
    EXPECT_EQ(e.feed(cmpp::pdu_builder(command_id::active_test, version::v20, 2).bytes()), ismg_core::verdict::close_now);
  }
  {
    auto o = with_secret();
    o.error_rate = 0.5;
    o.error_status = 9;
    o.stop_submit_after = 4;
    engine e(o);
    e.feed(connect_pdu("901234", "secret", 0x20));
    frames_of(e.out, version::v20);
    for (std::uint32_t s = 2; s < 8; ++s) e.feed(submit_pdu(version::v20, s, 0));
    auto f = frames_of(e.out, version::v20);
    ASSERT_EQ(f.size(), 4u);  // the 5th and 6th go unanswered
    EXPECT_EQ(f[0].p.status(), 0u);
    EXPECT_EQ(f[1].p.status(), 9u);
    EXPECT_EQ(f[2].p.status(), 0u);
    EXPECT_EQ(f[3].p.status(), 9u);
  }
}

TEST(IsmgCore, MoDeliversInAsciiUcs2AndGbk) {
  auto o = with_secret();
  o.mo_rate = 1;
  engine e(o);
  e.feed(connect_pdu("901234", "secret", 0x20));
  frames_of(e.out, version::v20);
  for (int i = 0; i < 3; ++i) e.advance(1s);
  auto f = frames_of(e.out, version::v20);
  ASSERT_EQ(f.size(), 3u);
  std::vector<std::string> texts;
  for (auto& fr : f) {
    EXPECT_EQ(fr.p.hdr.command_id, id_of(command_id::deliver));
    EXPECT_FALSE(fr.p.is_status_report());
    texts.push_back(cmpp::decode_text(fr.p.msg_content(), fr.p.msg_fmt().value_or(0)).utf8);
  }
  EXPECT_EQ(texts[0], "Hello from a handset");
  EXPECT_NE(texts[1].find("\xE4\xBD\xA0\xE5\xA5\xBD"), std::string::npos);  // 你好 in UCS2
  EXPECT_EQ(texts[2], "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C");  // 你好，世界 from GBK
  EXPECT_EQ(f[2].p.msg_fmt(), 15u);
}

TEST(IsmgCore, TerminateIsAnsweredAndCloses) {
  engine e(with_secret());
  e.feed(connect_pdu("901234", "secret", 0x20));
  frames_of(e.out, version::v20);
  EXPECT_EQ(e.feed(cmpp::pdu_builder(command_id::terminate, version::v20, 5).bytes()), ismg_core::verdict::close_after_flush);
  auto f = frames_of(e.out, version::v20);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].p.hdr.command_id, id_of(command_id::terminate_resp));
  EXPECT_EQ(f[0].p.hdr.sequence_id, 5u);
}

}  // namespace
}  // namespace smppscope::sim::detail
