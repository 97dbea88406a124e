// CMPP 2.0 / 3.0 codec: the reference vectors decode to the values they were built with, every
// command of both versions round-trips, version detection (incl. the ambiguous and mid-session
// cases), Msg_Id, status reports, authenticators, GBK and UCS2 text, long-message reassembly.
#include "smppscope/cmpp_auth/authenticator.hpp"
#include "smppscope/decoder/cmpp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sample_pdus.hpp"
#include "smppscope/decoder/reassembler.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder::cmpp {
namespace {

using test::from_hex;
using test::octets;
using test::to_hex;

std::string zeros(std::size_t n) { return std::string(2 * n, '0'); }
std::string str(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

pdu decoded(const octets& frame, version v) {
  pdu p;
  const decode_error e = decode(frame, v, p);
  EXPECT_FALSE(e) << e.message(p);
  return p;
}

// ---- the reference vectors -----------------------------------------------------------------

TEST(CmppVectors, ConnectV20) {
  const octets f = test::vector_pdu("cmpp_connect_v20");
  EXPECT_EQ(examine(f).ver, version::v20);
  const pdu p = decoded(f, version::v20);
  EXPECT_EQ(p.name(), "CMPP_CONNECT");
  EXPECT_EQ(p.hdr.total_length, 39u);
  EXPECT_EQ(p.hdr.sequence_id, 1u);
  EXPECT_EQ(p.text("Source_Addr"), "901234");
  EXPECT_EQ(to_hex(p.field("AuthenticatorSource")->bytes), "5edd80a12b6fdf3c4521ee74984e2bc6");
  EXPECT_EQ(p.integer("Version"), 0x20u);
  EXPECT_EQ(p.integer("Timestamp"), 1122134530u);
  const connect_time t = unpack_timestamp(1122134530u);
  EXPECT_EQ(t.month, 11);
  EXPECT_EQ(t.day, 22);
  EXPECT_EQ(t.hour, 13);
  EXPECT_EQ(t.minute, 45);
  EXPECT_EQ(t.second, 30);
  EXPECT_EQ(pack_timestamp(t), 1122134530u);
  // The authenticator is MD5("901234" + 9 NULs + "secret" + "1122134530").
  const auto auth = cmpp_auth::authenticator_source("901234", "secret", 1122134530u).value();
  EXPECT_EQ(to_hex(auth), "5edd80a12b6fdf3c4521ee74984e2bc6");
}

TEST(CmppVectors, ConnectRespV20HasOneOctetStatus) {
  const octets f = test::vector_pdu("cmpp2_connect_resp");
  EXPECT_EQ(examine(f).ver, version::v20);
  EXPECT_EQ(examine(f).source, version_source::response_length);
  const pdu p = decoded(f, version::v20);
  EXPECT_EQ(p.name(), "CMPP_CONNECT_RESP");
  EXPECT_EQ(p.status(), 0u);
  EXPECT_EQ(code_name(code_table::connect_status, *p.status(), version::v20), "ok");
  EXPECT_EQ(to_hex(p.field("AuthenticatorISMG")->bytes), "29e95b546e08cad21be2e481c6f86bc4");
  EXPECT_EQ(p.integer("Version"), 0x20u);
  const auto src = cmpp_auth::authenticator_source("901234", "secret", 1122134530u).value();
  EXPECT_EQ(to_hex(cmpp_auth::authenticator_ismg(0, src, "secret", cmpp_auth::status_width::cmpp2).value()), "29e95b546e08cad21be2e481c6f86bc4");
  // Read with the 3.0 layout the frame is short: the layout decides, not a guess.
  pdu wrong;
  EXPECT_EQ(decode(f, version::v30, wrong).code, decode_errc::truncated_field);
}

TEST(CmppVectors, SubmitV20) {
  const octets f = test::vector_pdu("cmpp2_submit");
  ASSERT_EQ(f.size(), 163u);
  const pdu p = decoded(f, version::v20);
  EXPECT_EQ(p.name(), "CMPP_SUBMIT");
  EXPECT_EQ(p.msg_id(), 0u);
  EXPECT_EQ(p.integer("Pk_total"), 1u);
  EXPECT_EQ(p.integer("Pk_number"), 1u);
  EXPECT_EQ(p.integer("Registered_Delivery"), 1u);
  EXPECT_EQ(p.integer("Msg_level"), 0u);
  EXPECT_EQ(p.text("Service_Id"), "TEST");
  EXPECT_EQ(to_hex(p.field("Service_Id")->raw), "54455354000000000000");  // padding kept
  EXPECT_EQ(p.integer("Fee_UserType"), 0u);
  EXPECT_EQ(p.text("Fee_terminal_Id"), "");
  EXPECT_EQ(p.integer("TP_pId"), 0u);
  EXPECT_EQ(p.integer("TP_udhi"), 0u);
  EXPECT_EQ(p.msg_fmt(), 8);
  EXPECT_EQ(p.text("Msg_src"), "901234");
  EXPECT_EQ(p.text("FeeType"), "02");
  EXPECT_EQ(fee_type_name("02"), "per message");
  EXPECT_EQ(p.text("FeeCode"), "000010");
  EXPECT_EQ(p.text("ValId_Time"), "");
  EXPECT_EQ(p.text("At_Time"), "");
  EXPECT_EQ(p.text("Src_Id"), "1066888");
  EXPECT_EQ(p.integer("DestUsr_tl"), 1u);
  EXPECT_EQ(p.dest_count(), 1u);
  EXPECT_EQ(p.dest_terminal_id(0), "13800138000");
  EXPECT_EQ(p.integer("Msg_Length"), 4u);
  EXPECT_EQ(decode_text(p.msg_content(), 8).utf8, "Hi");
  EXPECT_EQ(to_hex(p.field("Reserve")->raw), zeros(8));
  EXPECT_TRUE(p.trailing.empty());
}

TEST(CmppVectors, SubmitV30AndTranscodingFrom20) {
  const octets f3 = test::vector_pdu("cmpp3_submit");
  ASSERT_EQ(f3.size(), 199u);
  EXPECT_EQ(examine(f3).ver, version::v30);
  const pdu p = decoded(f3, version::v30);
  EXPECT_EQ(p.text("Service_Id"), "TEST");
  EXPECT_EQ(p.integer("Fee_terminal_type"), 0u);
  EXPECT_EQ(p.msg_fmt(), 8);
  EXPECT_EQ(p.text("Src_Id"), "1066888");
  EXPECT_EQ(p.dest_terminal_id(0), "13800138000");
  EXPECT_EQ(p.integer("Dest_terminal_type"), 0u);
  EXPECT_EQ(decode_text(p.msg_content(), 8).utf8, "Hi");
  EXPECT_EQ(p.text("LinkID"), "");
  // The same message in the 2.0 layout, written by name with the 3.0 table, is the 3.0 vector.
  const octets f2 = test::vector_pdu("cmpp2_submit");
  const pdu p2 = decoded(f2, version::v20);
  const encode_result r = encode(p2, version::v30);
  ASSERT_TRUE(r);
  EXPECT_EQ(to_hex(r.bytes), to_hex(f3));
  const encode_result back = encode(p, version::v20);
  ASSERT_TRUE(back);
  EXPECT_EQ(to_hex(back.bytes), to_hex(test::vector_pdu("cmpp2_submit")));
}

TEST(CmppVectors, SubmitRespV20MsgIdParts) {
  const octets f = test::vector_pdu("cmpp2_submit_resp");
  EXPECT_EQ(examine(f).ver, version::v20);
  const pdu p = decoded(f, version::v20);
  EXPECT_EQ(p.msg_id(), 0xBB36D781E2401234u);
  EXPECT_EQ(p.status(), 0u);
  const msg_id_parts m = unpack_msg_id(*p.msg_id());
  EXPECT_EQ(m, (msg_id_parts{11, 22, 13, 45, 30, 123456, 4660}));
  EXPECT_EQ(pack_msg_id(m), 0xBB36D781E2401234u);
}

void expect_report(const pdu& p, version v) {
  EXPECT_TRUE(p.is_status_report());
  EXPECT_FALSE(find_message(p).has_value());
  EXPECT_EQ(p.msg_id(), 0xBB36E041E2401235u);
  EXPECT_EQ(p.text("Dest_Id"), "1066888");
  EXPECT_EQ(p.text("Src_terminal_Id"), "13800138000");
  EXPECT_EQ(p.integer("Msg_Length"), status_report_size(v));
  const auto r = parse_status_report(p.msg_content(), v);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->msg_id, 0xBB36D781E2401234u);
  EXPECT_EQ(r->stat, "DELIVRD");
  EXPECT_EQ(r->submit_time, "2311221345");
  EXPECT_EQ(r->done_time, "2311221346");
  EXPECT_EQ(r->dest_terminal_id, "13800138000");
  EXPECT_EQ(r->smsc_sequence, 42u);
  EXPECT_EQ(to_hex(format_status_report(*r, v)), to_hex(p.msg_content()));
}

TEST(CmppVectors, DeliverReportBothVersions) {
  const octets f2 = test::vector_pdu("cmpp2_deliver_report");
  ASSERT_EQ(f2.size(), 145u);
  EXPECT_EQ(examine(f2).ver, version::v20);
  expect_report(decoded(f2, version::v20), version::v20);
  const octets f3 = test::vector_pdu("cmpp3_deliver_report");
  ASSERT_EQ(f3.size(), 180u);
  EXPECT_EQ(examine(f3).ver, version::v30);
  const pdu p3 = decoded(f3, version::v30);
  expect_report(p3, version::v30);
  EXPECT_EQ(p3.integer("Src_terminal_type"), 0u);
}

TEST(CmppVectors, ActiveTest) {
  for (version v : {version::v20, version::v30}) {
    const octets fa = test::vector_pdu("cmpp_active_test");
    const octets fr = test::vector_pdu("cmpp_active_test_resp");
    const pdu a = decoded(fa, v);
    EXPECT_EQ(a.name(), "CMPP_ACTIVE_TEST");
    EXPECT_EQ(a.hdr.sequence_id, 4u);
    EXPECT_EQ(a.field_count, 0);
    const pdu r = decoded(fr, v);
    EXPECT_EQ(r.name(), "CMPP_ACTIVE_TEST_RESP");
    EXPECT_EQ(r.integer("Reserved"), 0u);
  }
}

// ---- round trips: every command of both versions ------------------------------------------

// A builder with every field set to a value that is not the default.
std::vector<std::uint8_t> sample(const command_spec& c, version v, std::uint32_t seq) {
  pdu_builder b(c.id, v, seq);
  int k = 1;
  for (const field_spec& s : c.fields) {
    switch (s.type) {
      case field_type::int1: b.set(s.name, static_cast<std::uint64_t>(k % 2)); break;
      case field_type::int4: b.set(s.name, 0x01020300u + static_cast<std::uint64_t>(k)); break;
      case field_type::int8: b.set(s.name, 0xBB36D781E2400000u + static_cast<std::uint64_t>(k)); break;
      case field_type::octets: b.set(s.name, std::string(std::min<std::size_t>(s.width, 5), static_cast<char>('A' + k % 26))); break;
      case field_type::binary: b.set(s.name, std::string(s.width, '\x01')); break;
      case field_type::terminal_list: {
        const std::string_view ids[] = {"13800138000", "13900139000"};
        b.destinations(ids);
        break;
      }
      case field_type::msg_content: b.set(s.name, "hello"); break;
      case field_type::raw: b.set(s.name, std::string("\x00\x01\x02", 3)); break;
      case field_type::count:
      case field_type::msg_length: break;
    }
    ++k;
  }
  return b.bytes();
}

TEST(CmppRoundTrip, EveryCommandOfBothVersions) {
  for (version v : {version::v20, version::v30}) {
    for (const command_spec& c : all_commands(v)) {
      SCOPED_TRACE(std::string(c.name) + " " + std::string(version_name(v)));
      const auto bytes = sample(c, v, 77);
      pdu p;
      const decode_error e = decode(bytes, v, p);
      ASSERT_FALSE(e) << e.message(p);
      EXPECT_EQ(p.spec, &c);
      EXPECT_EQ(p.field_count, c.fields.size());
      EXPECT_TRUE(p.trailing.empty());
      const encode_result r = encode(p, v);
      ASSERT_TRUE(r);
      EXPECT_EQ(to_hex(r.bytes), to_hex(bytes));
      pdu again;
      ASSERT_FALSE(decode(r.bytes, v, again));
      EXPECT_EQ(again, p);
    }
  }
}

TEST(CmppRoundTrip, ExpectedSizes) {
  const std::string_view one[] = {"13800138000"};
  auto submit = [&](version v) {
    return pdu_builder(command_id::submit, v, 1).destinations(one).set("Msg_Content", "abcd").bytes().size();
  };
  EXPECT_EQ(submit(version::v20), 138u + 21 + 4);
  EXPECT_EQ(submit(version::v30), 163u + 32 + 4);
  EXPECT_EQ(pdu_builder(command_id::connect_resp, version::v20).bytes().size(), 30u);
  EXPECT_EQ(pdu_builder(command_id::connect_resp, version::v30).bytes().size(), 33u);
  EXPECT_EQ(pdu_builder(command_id::submit_resp, version::v20).bytes().size(), 21u);
  EXPECT_EQ(pdu_builder(command_id::deliver_resp, version::v30).bytes().size(), 24u);
  EXPECT_EQ(pdu_builder(command_id::deliver, version::v20).set("Msg_Content", "x").bytes().size(), 86u);
  EXPECT_EQ(pdu_builder(command_id::deliver, version::v30).set("Msg_Content", "x").bytes().size(), 110u);
  EXPECT_EQ(pdu_builder(command_id::query, version::v20).bytes().size(), 39u);
  EXPECT_EQ(pdu_builder(command_id::query_resp, version::v30).bytes().size(), 63u);
  EXPECT_EQ(pdu_builder(command_id::cancel, version::v30).bytes().size(), 20u);
  EXPECT_EQ(pdu_builder(command_id::cancel_resp, version::v20).bytes().size(), 13u);
  EXPECT_EQ(pdu_builder(command_id::cancel_resp, version::v30).bytes().size(), 16u);
  EXPECT_EQ(pdu_builder(command_id::connect, version::v30).bytes().size(), 39u);
}

TEST(CmppRoundTrip, BuilderRejectsWhatDoesNotFit) {
  pdu_builder b(command_id::submit_resp, version::v20);
  EXPECT_THROW(b.set("Result", 256), std::invalid_argument);
  EXPECT_THROW(b.set("Nope", 1), std::invalid_argument);
  EXPECT_THROW(pdu_builder(command_id::connect, version::v20).set("Source_Addr", "1234567"), std::invalid_argument);
  EXPECT_THROW(pdu_builder(command_id::get_mo_route, version::v20), std::invalid_argument);  // 3.0 only
  EXPECT_NO_THROW(pdu_builder(command_id::get_mo_route, version::v30));
}

TEST(CmppRoundTrip, NamesDifferByVersion) {
  EXPECT_EQ(command_name(0x12, version::v20), "CMPP_GET_ROUTE");
  EXPECT_EQ(command_name(0x12, version::v30), "CMPP_GET_MT_ROUTE");
  EXPECT_EQ(command_name(0x17, version::v20), "unknown");
  EXPECT_EQ(code_name(code_table::submit_result, 8, version::v20), "flow_control");
  EXPECT_EQ(code_name(code_table::submit_result, 10, version::v20), "other");
  EXPECT_EQ(code_name(code_table::submit_result, 10, version::v30), "src_id_error");
  EXPECT_EQ(code_name(code_table::connect_status, 7, version::v30), "other");
}

// ---- decode errors say where ----------------------------------------------------------------

TEST(CmppDecode, ErrorsNameFieldAndOffset) {
  octets f = test::vector_pdu("cmpp2_submit");
  f[129 + 21] = 200;  // Msg_Length beyond the octets left
  pdu p;
  decode_error e = decode(f, version::v20, p);
  EXPECT_EQ(e.code, decode_errc::msg_length_overrun);
  EXPECT_EQ(e.field, "Msg_Content");
  EXPECT_EQ(e.offset, 151u);
  EXPECT_NE(e.message(p).find("CMPP_SUBMIT: Msg_Content"), std::string::npos);
  octets g = test::vector_pdu("cmpp2_submit");
  g[128] = 50;  // DestUsr_tl
  EXPECT_EQ(decode(g, version::v20, p).code, decode_errc::count_overrun);
  octets h = test::vector_pdu("cmpp2_submit");
  h[3] = 0xA4;
  EXPECT_EQ(decode(h, version::v20, p).code, decode_errc::length_mismatch);
  EXPECT_EQ(decode(bytes_view(h.data(), 5), version::v20, p).code, decode_errc::short_header);
  // An unknown command keeps its body raw.
  const octets u = from_hex("0000000F 00000003 00000009 AABBCC");
  ASSERT_FALSE(decode(u, version::v20, p));
  EXPECT_EQ(p.spec, nullptr);
  EXPECT_EQ(p.name(), "unknown");
  EXPECT_EQ(to_hex(p.body), "aabbcc");
}

// ---- version detection ----------------------------------------------------------------------

TEST(CmppVersion, Submit20FitsBothFormulasAndTieBreakPicks20) {
  const octets f = test::vector_pdu("cmpp2_submit");
  // Read as 3.0, DestUsr_tl (140) and Msg_Length (142) fall on NUL padding: 163 + 0 + 0 = 163.
  EXPECT_EQ(f[140], 0);
  EXPECT_EQ(f[142], 0);
  const version_evidence ev = examine(f);
  EXPECT_EQ(ev.ver, version::v20);
  EXPECT_EQ(ev.source, version_source::tie_break);
}

// A 2.0 MO DELIVER whose Msg_Content octet 11 equals Msg_Length - 24 fits the 3.0 formula too.
octets ambiguous_deliver(std::string_view content) {
  return pdu_builder(command_id::deliver, version::v20, 9)
      .set("Msg_Id", 0xBB36E041E2401235u)
      .set("Dest_Id", "1066888")
      .set("Service_Id", "TEST")
      .set("Msg_Fmt", 0)
      .set("Src_terminal_Id", "13800138000")
      .set("Msg_Content", content)
      .bytes();
}

TEST(CmppVersion, AmbiguousDeliverBrokenByContents) {
  std::string text = "hello world, this is a test message!";  // L = 36
  text[11] = static_cast<char>(text.size() - 24);
  const octets f = ambiguous_deliver(text);
  ASSERT_EQ(f.size(), 85 + text.size());
  ASSERT_EQ(f[88], text.size() - 24);  // 3.0 formula: 109 + 12 = 121 = 85 + 36
  const version_evidence ev = examine(f);
  EXPECT_EQ(ev.ver, version::v20);  // 3.0 reading puts text octets 'o','r' in the 0/1 type and report flags
  EXPECT_EQ(ev.source, version_source::tie_break);
  const pdu p = decoded(f, *ev.ver);
  EXPECT_EQ(str(p.msg_content()), text);
}

TEST(CmppVersion, DeliverFittingBothWithNoHintStaysUndecided) {
  // Octets 9, 10 of the content are 0/1 and octet 11 makes 3.0's formula hold: both readings are
  // equally plausible, so the PDU alone does not decide and the session's version is kept.
  std::string text(30, '\0');
  text[11] = static_cast<char>(text.size() - 24);
  const octets f = ambiguous_deliver(text);
  EXPECT_FALSE(examine(f).ver.has_value());
  version_detector d(version::v30);
  d.observe(test::vector_pdu("cmpp2_submit_resp"));
  EXPECT_EQ(d.observe(f), version::v20);
  EXPECT_EQ(d.source(), version_source::response_length);
}

TEST(CmppVersion, MidSessionFromResponseLengths) {
  version_detector d(version::v30);
  EXPECT_FALSE(d.decided());
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp_active_test")), version::v30);  // no evidence: fallback
  EXPECT_FALSE(d.decided());
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp2_submit_resp")), version::v20);
  EXPECT_EQ(d.source(), version_source::response_length);
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp_active_test")), version::v20);
  // A tie-broken SUBMIT does not override a response length.
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp2_submit")), version::v20);
  EXPECT_EQ(d.source(), version_source::response_length);
}

TEST(CmppVersion, MidSessionFromBodyLength) {
  version_detector d(version::v20);
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp3_deliver_report")), version::v30);
  EXPECT_EQ(d.source(), version_source::body_length);
  EXPECT_EQ(d.current(), version::v30);
}

TEST(CmppVersion, SessionRefusedAt30ReconnectsAs20) {
  version_detector d(version::v30);
  octets connect30 = test::vector_pdu("cmpp_connect_v20");
  connect30[34] = 0x30;
  EXPECT_EQ(d.observe(connect30), version::v30);
  EXPECT_EQ(d.source(), version_source::connect);
  // A 2.0 ISMG answers in its own layout: Status 4 (version too high), Version 0x20.
  const octets refuse = pdu_builder(command_id::connect_resp, version::v20, 1).set("Status", 4).set("Version", 0x20).bytes();
  ASSERT_EQ(refuse.size(), 30u);
  EXPECT_EQ(d.observe(refuse), version::v20);
  EXPECT_EQ(d.current(), version::v20);  // the SP must come back as 2.0
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp_connect_v20")), version::v20);
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp2_connect_resp")), version::v20);
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp2_submit")), version::v20);
  EXPECT_EQ(d.changes(), 1u);
  // And a 3.0 ISMG that refuses in the 3.0 layout is read as 3.0 while the session moves to 2.0.
  version_detector e(version::v20);
  e.observe(connect30);
  const octets refuse30 = pdu_builder(command_id::connect_resp, version::v30, 1).set("Status", 4).set("Version", 0x20).bytes();
  EXPECT_EQ(e.observe(refuse30), version::v30);
  EXPECT_EQ(e.current(), version::v20);
}

TEST(CmppVersion, ConfiguredVersionHoldsUntilAConnect) {
  version_detector d;
  d.configure(version::v20);
  EXPECT_EQ(d.observe(test::vector_pdu("cmpp2_submit")), version::v20);
  octets connect30 = test::vector_pdu("cmpp_connect_v20");
  connect30[34] = 0x30;
  EXPECT_EQ(d.observe(connect30), version::v30);
}

// ---- SMPP or CMPP ---------------------------------------------------------------------------

TEST(CmppSniff, TellsProtocolsApartFromTheFirstPdu) {
  EXPECT_EQ(sniff(test::vector_pdu("cmpp_connect_v20")), wire_protocol::cmpp);
  EXPECT_EQ(sniff(test::vector_pdu("cmpp2_connect_resp")), wire_protocol::cmpp);
  EXPECT_EQ(sniff(test::vector_pdu("cmpp2_submit")), wire_protocol::cmpp);
  EXPECT_EQ(sniff(test::vector_pdu("cmpp3_submit")), wire_protocol::cmpp);
  EXPECT_EQ(sniff(test::vector_pdu("cmpp_active_test")), wire_protocol::cmpp);
  EXPECT_EQ(sniff(test::vector_pdu("cmpp2_deliver_report")), wire_protocol::cmpp);
  // 21 octets: a CMPP 2.0 SUBMIT_RESP, and an SMPP submit_sm_resp length; the binary Msg_Id decides.
  EXPECT_EQ(sniff(test::vector_pdu("cmpp2_submit_resp")), wire_protocol::cmpp);
  EXPECT_EQ(sniff(from_hex("00000015 80000004 00000000 00000002 61626364 00")), wire_protocol::smpp);
  EXPECT_EQ(sniff(test::vector_pdu("smpp_bind_transceiver")), wire_protocol::smpp);
  EXPECT_EQ(sniff(test::vector_pdu("smpp_submit_sm_resp")), wire_protocol::smpp);
  EXPECT_EQ(sniff(test::vector_pdu("smpp_enquire_link")), wire_protocol::smpp);
  EXPECT_EQ(sniff(test::vector_pdu("smpp_deliver_sm_dlr")), wire_protocol::smpp);
  // SMPP bind_receiver (id 1, like CMPP CONNECT) of exactly 39 octets.
  octets b = from_hex("00000027 00000001 00000000 00000001");
  const std::string body = std::string("sysid_12\0pass\0vma\0", 18) + "\x34\x01\x01" + std::string("\0", 1);
  b.insert(b.end(), body.begin(), body.end());
  b.resize(39, 0);
  ASSERT_EQ(b.size(), 39u);
  EXPECT_EQ(sniff(b), wire_protocol::smpp);
  // A malformed SMPP bind_transceiver (id 9, CMPP_FWD's id) whose password overruns: FWD's body is
  // not modelled and proves nothing, so it is not taken for CMPP.
  octets bad = from_hex("00000000 00000009 00000000 00000001");
  const std::string bad_body = std::string("sys7\0", 5) + "Zq9overlongSecretPassword42" + std::string("\0\0\x34\0\0\0", 6);
  bad.insert(bad.end(), bad_body.begin(), bad_body.end());
  bad[3] = static_cast<std::uint8_t>(bad.size());
  EXPECT_NE(sniff(bad), wire_protocol::cmpp);
  // Not enough octets yet.
  const octets c = test::vector_pdu("cmpp_connect_v20");
  EXPECT_EQ(sniff(bytes_view(c.data(), 20)), wire_protocol::unknown);
  EXPECT_EQ(sniff(from_hex("474554202f20485454502f312e310d0a")), wire_protocol::unknown);  // "GET / HTTP/1.1"
}

// ---- text -----------------------------------------------------------------------------------

TEST(CmppText, GbkBothWays) {
  const auto gbk = utf8_to_gbk("你好, CMPP");
  ASSERT_TRUE(gbk);
  EXPECT_EQ(to_hex(*gbk), "c4e3bac32c20434d5050");
  const decoded_text t = decode_text(*gbk, 15);
  EXPECT_EQ(t.utf8, "你好, CMPP");
  EXPECT_EQ(t.encoding, "gbk");
  EXPECT_FALSE(t.outside_alphabet);
  const decoded_text bad = decode_text(from_hex("c4e3ff"), 15);
  EXPECT_TRUE(bad.outside_alphabet);
  EXPECT_EQ(decode_text(from_hex("00480069"), 8).utf8, "Hi");
  EXPECT_EQ(decode_text(from_hex("414243"), 0).utf8, "ABC");
  const decoded_text bin = decode_text(from_hex("0102ff"), 4);
  EXPECT_TRUE(bin.binary);
  EXPECT_EQ(bin.utf8, "0102ff");
}

TEST(CmppText, ThreePartUcs2MessageReassembled) {
  const std::string whole = "长短信测试：第一部分，第二部分，第三部分。";
  const std::vector<std::uint8_t> ucs2 = utf8_to_ucs2(whole);
  const std::size_t per = (ucs2.size() / 3 + 1) & ~std::size_t{1};
  reassembler r;
  std::optional<reassembled_message> done;
  std::vector<octets> frames;
  for (std::uint8_t seq = 1; seq <= 3; ++seq) {
    const std::size_t from = (seq - 1) * per;
    const std::size_t to = std::min(ucs2.size(), from + per);
    octets content = {0x05, 0x00, 0x03, 0x2A, 0x03, seq};
    content.insert(content.end(), ucs2.begin() + static_cast<std::ptrdiff_t>(from), ucs2.begin() + static_cast<std::ptrdiff_t>(to));
    const std::string_view dest[] = {"13800138000"};
    frames.push_back(pdu_builder(command_id::submit, version::v20, seq)
                         .set("Pk_total", 3)
                         .set("Pk_number", seq)
                         .set("TP_udhi", 1)
                         .set("Msg_Fmt", 8)
                         .set("Src_Id", "1066888")
                         .destinations(dest)
                         .set_bytes("Msg_Content", content)
                         .bytes());
  }
  for (const std::size_t i : {2u, 0u, 1u}) {  // out of order
    const pdu p = decoded(frames[i], version::v20);
    const auto m = find_message(p);
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->header);
    ASSERT_TRUE(m->concat);
    EXPECT_EQ(m->concat->total, 3);
    EXPECT_EQ(m->source_addr, "1066888");
    EXPECT_EQ(m->destination_addr, "13800138000");
    auto res = r.add(part_key{1, 0, m->source_addr, m->destination_addr}, *m, static_cast<std::int64_t>(i));
    if (res.message) done = std::move(res.message);
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(done->text.utf8, whole);
  EXPECT_EQ(done->text.encoding, "ucs2");
}

TEST(CmppText, GbkLongMessageComesBackAsHexAndDecodes) {
  const auto gbk = *utf8_to_gbk("中国移动");
  octets content = {0x05, 0x00, 0x03, 0x01, 0x01, 0x01};
  content.insert(content.end(), gbk.begin(), gbk.end());
  const octets f = pdu_builder(command_id::deliver, version::v30, 1)
                       .set("TP_udhi", 1)
                       .set("Msg_Fmt", 15)
                       .set("Src_terminal_Id", "13800138000")
                       .set_bytes("Msg_Content", content)
                       .bytes();
  const pdu p = decoded(f, version::v30);
  const auto m = find_message(p);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data_coding, data_coding_of(15));
  reassembler r;
  const auto res = r.add(part_key{1, 1, m->source_addr, m->destination_addr}, *m, 0);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, to_hex(gbk));
  EXPECT_EQ(decode_text(m->text_octets, 15).utf8, "中国移动");
}

}  // namespace
}  // namespace smppscope::decoder::cmpp
