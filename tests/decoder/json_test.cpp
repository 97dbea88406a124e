// PDU event JSON (docs/INTERFACE.md): shape checked by parsing it back with Boost.JSON,
// password masking, and valid UTF-8 whatever the input.
#include "smppscope/decoder/json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <algorithm>
#include <random>

#include "sample_pdus.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder {
namespace {

namespace json = boost::json;
using test::as_bytes;
using test::from_hex;
using test::octets;
using test::to_hex;

struct rendered {
  std::string text;
  json::object obj;
};

// Decodes `wire` and renders it the way the capture side does (error message when decode fails).
rendered render(const octets& wire, json_context ctx = {}) {
  pdu p;
  const decode_error e = decode(wire, p);
  std::string err;
  if (e) {
    err = e.message(p);
    ctx.error = err;
  }
  if (ctx.direction.empty()) ctx.direction = "esme_to_smsc";
  rendered r;
  append_pdu_json(r.text, p, wire, ctx);
  json::error_code ec;
  const json::value v = json::parse(r.text, ec);  // strict: rejects invalid UTF-8 and raw controls
  EXPECT_FALSE(ec) << ec.message() << "\n" << r.text;
  if (!ec && v.is_object()) r.obj = v.as_object();
  return r;
}

const json::value& at(const json::object& o, std::string_view k) {
  static const json::value missing;
  const auto it = o.find(k);
  EXPECT_NE(it, o.end()) << "missing member " << k;
  return it == o.end() ? missing : it->value();
}

std::int64_t num(const json::value& v) { return v.is_int64() ? v.as_int64() : v.is_uint64() ? static_cast<std::int64_t>(v.as_uint64()) : -1; }
std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string("<not a string>"); }

const json::object& obj(const json::value& v) {
  static const json::object empty;
  EXPECT_TRUE(v.is_object());
  return v.is_object() ? v.as_object() : empty;
}

const json::array& arr(const json::value& v) {
  static const json::array empty;
  EXPECT_TRUE(v.is_array());
  return v.is_array() ? v.as_array() : empty;
}

// The TLV object with `name`, from the "tlvs" array.
const json::object& tlv_named(const json::object& event, std::string_view name) {
  for (const auto& t : arr(at(event, "tlvs")))
    if (t.is_object() && str(at(t.as_object(), "name")) == name) return t.as_object();
  ADD_FAILURE() << "no TLV " << name;
  static const json::object empty;
  return empty;
}

TEST(PduJson, HeaderAndFieldsOfUcs2Vector) {
  const octets wire = test::vector_pdu("smpp_submit_sm_ucs2_hi");
  json_context ctx;
  ctx.session = 12;
  ctx.direction = "esme_to_smsc";
  ctx.ts_us = 1763800000123456;
  const rendered r = render(wire, ctx);
  const json::object& o = r.obj;
  EXPECT_EQ(str(at(o, "type")), "pdu");
  EXPECT_EQ(o.find("id"), o.end());  // event_id 0: no "id"
  EXPECT_EQ(num(at(o, "session")), 12);
  EXPECT_EQ(str(at(o, "direction")), "esme_to_smsc");
  EXPECT_EQ(num(at(o, "ts_us")), 1763800000123456);
  EXPECT_EQ(str(at(o, "command")), "submit_sm");
  EXPECT_EQ(num(at(o, "command_id")), 4);
  EXPECT_EQ(num(at(o, "command_status")), 0);
  EXPECT_EQ(str(at(o, "status_name")), "ESME_ROK");
  EXPECT_EQ(num(at(o, "sequence_number")), 1);
  EXPECT_EQ(num(at(o, "command_length")), 45);
  const json::object& f = obj(at(o, "fields"));
  EXPECT_EQ(str(at(f, "service_type")), "");
  EXPECT_EQ(num(at(f, "source_addr_ton")), 1);
  EXPECT_EQ(str(at(f, "source_addr")), "1234");
  EXPECT_EQ(str(at(f, "destination_addr")), "5678");
  EXPECT_EQ(str(at(f, "schedule_delivery_time")), "");
  EXPECT_EQ(num(at(f, "data_coding")), 8);
  EXPECT_EQ(num(at(f, "sm_length")), 4);
  EXPECT_EQ(str(at(f, "short_message")), "00480069");
  EXPECT_EQ(f.size(), 18u);  // every submit_sm mandatory field (SMPP v3.4 section 4)
  EXPECT_TRUE(arr(at(o, "tlvs")).empty());
  EXPECT_EQ(str(at(o, "text")), "Hi");
  EXPECT_EQ(str(at(o, "encoding")), "ucs2");
  EXPECT_EQ(str(at(o, "hex")), to_hex(wire));
  EXPECT_EQ(o.find("error"), o.end());
  EXPECT_EQ(o.find("lints"), o.end());
  EXPECT_EQ(o.find("receipt"), o.end());
}

TEST(PduJson, EventIdHexOptionAndErrorMember) {
  json_context ctx;
  ctx.event_id = 99;
  ctx.include_hex = false;
  const rendered r = render(test::vector_pdu("smpp_enquire_link"), ctx);
  EXPECT_EQ(num(at(r.obj, "id")), 99);
  EXPECT_EQ(r.obj.find("hex"), r.obj.end());
  EXPECT_EQ(str(at(r.obj, "command")), "enquire_link");
  EXPECT_TRUE(obj(at(r.obj, "fields")).empty());
  EXPECT_EQ(r.obj.find("text"), r.obj.end());

  // The seed literal: command_length 59, 46 octets present.
  const rendered bad = render(test::vector_pdu("smpp_submit_sm_seed_literal"));
  EXPECT_FALSE(str(at(bad.obj, "error")).empty());
  EXPECT_EQ(num(at(bad.obj, "command_length")), 59);
}

TEST(PduJson, PasswordIsMaskedEverywhere) {
  const octets bind = test::vector_pdu("smpp_bind_transceiver");  // password "password"
  const rendered r = render(bind);
  const json::object& f = obj(at(r.obj, "fields"));
  EXPECT_EQ(str(at(f, "system_id")), "smppclient1");
  EXPECT_EQ(str(at(f, "password")), "********");
  EXPECT_EQ(num(at(f, "interface_version")), 0x34);
  EXPECT_EQ(r.text.find(":\"password\""), std::string::npos);
  EXPECT_EQ(r.text.find(to_hex(as_bytes("password"))), std::string::npos);  // not in "hex" either
  EXPECT_NE(str(at(r.obj, "hex")).find(to_hex(as_bytes("smppclient1"))), std::string::npos);
  EXPECT_EQ(str(at(r.obj, "hex")).size(), 2 * bind.size());

  // outbind, and a password of another length: the mask is fixed.
  const octets outbind = pdu_builder(command_id::outbind, 5).set("system_id", "smsc").set("password", "s3cr").bytes();
  const rendered o = render(outbind);
  EXPECT_EQ(str(at(obj(at(o.obj, "fields")), "password")), "********");
  EXPECT_EQ(o.text.find("s3cr"), std::string::npos);
  EXPECT_EQ(o.text.find(to_hex(as_bytes("s3cr"))), std::string::npos);
  for (auto id : {command_id::bind_receiver, command_id::bind_transmitter}) {
    const rendered b = render(pdu_builder(id, 1).set("system_id", "x").set("password", "hunter2").bytes());
    EXPECT_EQ(str(at(obj(at(b.obj, "fields")), "password")), "********");
    EXPECT_EQ(b.text.find("hunter2"), std::string::npos);
  }

  // A password too long to decode is still kept out of "hex": from its start to the frame's end.
  const std::string pw = "overlongSecret99";
  octets bad = {0, 0, 0, 0, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 3};
  for (char c : std::string("smppclient1")) bad.push_back(static_cast<std::uint8_t>(c));
  bad.push_back(0);
  for (char c : pw) bad.push_back(static_cast<std::uint8_t>(c));
  for (std::uint8_t x : {0x00, 0x00, 0x34, 0x00, 0x00, 0x00}) bad.push_back(x);  // NUL, system_type...
  bad[3] = static_cast<std::uint8_t>(bad.size());
  const rendered b = render(bad);
  EXPECT_FALSE(str(at(b.obj, "error")).empty());
  const std::string hex = str(at(b.obj, "hex"));
  EXPECT_EQ(hex.size(), 2 * bad.size());
  EXPECT_NE(hex.find(to_hex(as_bytes("smppclient1"))), std::string::npos);
  for (std::size_t i = 0; i + 3 <= pw.size(); ++i)
    EXPECT_EQ(hex.find(to_hex(as_bytes(std::string_view(pw).substr(i, 3)))), std::string::npos) << i;
  EXPECT_EQ(b.text.find("Secret"), std::string::npos);
}

TEST(PduJson, TlvsIntCStringAndUnknown) {
  const rendered resp = render(test::vector_pdu("smpp_bind_transceiver_resp"));
  const json::object& t = tlv_named(resp.obj, "sc_interface_version");
  EXPECT_EQ(num(at(t, "tag")), 0x0210);
  EXPECT_EQ(num(at(t, "value")), 0x34);
  EXPECT_EQ(t.find("hex"), t.end());

  ASSERT_EQ(find_tlv(0x1500), nullptr);  // a vendor tag the table does not know
  const octets wire = pdu_builder(command_id::submit_sm, 1)
                          .short_message(as_bytes("x"))
                          .tlv(0x1500, from_hex("0102"))
                          .tlv(0x7777, from_hex("ff"))
                          .tlv_text(tlv_tag::receipted_message_id, "abc")
                          .tlv(tlv_tag::sar_msg_ref_num, from_hex("000102"))  // 3 octets for an I2
                          .bytes();
  const rendered r = render(wire);
  const json::object& vendor = tlv_named(r.obj, "vendor_0x1500");
  EXPECT_EQ(str(at(vendor, "value")), "0102");
  const json::object& unknown = tlv_named(r.obj, "unknown");
  EXPECT_EQ(num(at(unknown, "tag")), 0x7777);
  EXPECT_EQ(str(at(unknown, "value")), "ff");
  EXPECT_EQ(str(at(tlv_named(r.obj, "receipted_message_id"), "value")), "abc");
  const json::object& sar = tlv_named(r.obj, "sar_msg_ref_num");
  EXPECT_EQ(num(at(sar, "value")), 0x102);
  EXPECT_EQ(str(at(sar, "hex")), "000102");  // the length does not fit the type
}

TEST(PduJson, BroadcastCompositeTlvs) {
  const rendered r = render(test::vector_pdu("smpp_broadcast_sm_v50"));
  EXPECT_EQ(str(at(r.obj, "command")), "broadcast_sm");
  const json::object& area = tlv_named(r.obj, "broadcast_area_identifier");
  EXPECT_EQ(num(at(obj(at(area, "value")), "format")), 0);
  EXPECT_EQ(str(at(obj(at(area, "value")), "area")), to_hex(as_bytes("AREA1")));
  const json::object& content = tlv_named(r.obj, "broadcast_content_type");
  EXPECT_EQ(num(at(obj(at(content, "value")), "network_type")), 1);
  EXPECT_EQ(num(at(obj(at(content, "value")), "content_type")), 0);
  EXPECT_EQ(str(at(content, "hex")), "010000");
  const json::object& rep = tlv_named(r.obj, "broadcast_rep_num");
  EXPECT_EQ(num(at(rep, "value")), 3);  // length 2 (SMPP v3.4 section 5.3): stepped by its length
  const json::object& freq = tlv_named(r.obj, "broadcast_frequency_interval");
  EXPECT_EQ(num(at(obj(at(freq, "value")), "time_unit")), 9);
  EXPECT_EQ(num(at(obj(at(freq, "value")), "number")), 5);
  EXPECT_EQ(str(at(tlv_named(r.obj, "message_payload"), "value")), "4869");
  EXPECT_EQ(str(at(r.obj, "text")), "Hi");
}

TEST(PduJson, NetworkErrorCodeAndReceipt) {
  const rendered r = render(test::vector_pdu("smpp_deliver_sm_dlr"));
  EXPECT_EQ(str(at(r.obj, "command")), "deliver_sm");
  EXPECT_EQ(str(at(tlv_named(r.obj, "receipted_message_id"), "value")), "0123456789");
  EXPECT_EQ(num(at(tlv_named(r.obj, "message_state"), "value")), 2);
  const json::object& rc = obj(at(r.obj, "receipt"));
  EXPECT_EQ(str(at(rc, "message_id")), "0123456789");
  EXPECT_EQ(str(at(rc, "id")), "0123456789");
  EXPECT_EQ(str(at(rc, "sub")), "001");
  EXPECT_EQ(str(at(rc, "dlvrd")), "001");
  EXPECT_EQ(str(at(rc, "submit_date")), "2311221345");
  EXPECT_EQ(str(at(rc, "submit_time")), "2023-11-22T13:45:00");
  EXPECT_EQ(str(at(rc, "done_time")), "2023-11-22T13:46:00");
  EXPECT_EQ(str(at(rc, "stat")), "DELIVRD");
  EXPECT_EQ(str(at(rc, "err")), "000");
  EXPECT_EQ(str(at(rc, "text")), "Hello");
  EXPECT_EQ(num(at(rc, "state")), 2);
  EXPECT_EQ(str(at(rc, "state_name")), "DELIVERED");
  EXPECT_EQ(num(at(rc, "message_state")), 2);

  const octets wire = pdu_builder(command_id::deliver_sm, 2)
                          .set("esm_class", 0x04u)
                          .short_message(as_bytes("id:7 stat:UNDELIV err:001"))
                          .tlv(tlv_tag::network_error_code, from_hex("030011"))
                          .bytes();
  const rendered u = render(wire);
  const json::object& nec = tlv_named(u.obj, "network_error_code");
  EXPECT_EQ(num(at(obj(at(nec, "value")), "network_type")), 3);
  EXPECT_EQ(num(at(obj(at(nec, "value")), "error_code")), 0x11);
  EXPECT_EQ(str(at(nec, "hex")), "030011");
  const json::object& rc2 = obj(at(u.obj, "receipt"));
  EXPECT_EQ(str(at(rc2, "message_id")), "7");
  EXPECT_EQ(str(at(rc2, "state_name")), "UNDELIVERABLE");
  EXPECT_EQ(num(at(obj(at(rc2, "network_error")), "type")), 3);
  EXPECT_EQ(num(at(obj(at(rc2, "network_error")), "code")), 0x11);

  // An MO deliver_sm has no receipt member.
  const rendered mo = render(pdu_builder(command_id::deliver_sm, 3).short_message(as_bytes("hi id:5")).bytes());
  EXPECT_EQ(mo.obj.find("receipt"), mo.obj.end());
}

TEST(PduJson, UdhConcatAndPorts) {
  const rendered r = render(test::vector_pdu("smpp_submit_sm_message_payload_udh"));
  EXPECT_EQ(str(at(r.obj, "text")), "Hello world");
  const json::object& u = obj(at(r.obj, "udh"));
  EXPECT_EQ(num(at(u, "length")), 6);
  const json::array& ies = arr(at(u, "ies"));
  ASSERT_EQ(ies.size(), 1u);
  EXPECT_EQ(num(at(obj(ies[0]), "iei")), 8);
  EXPECT_EQ(str(at(obj(ies[0]), "name")), "concat_16bit");
  EXPECT_EQ(str(at(obj(ies[0]), "hex")), "beef0201");
  const json::object& c = obj(at(u, "concat"));
  EXPECT_EQ(num(at(c, "ref")), 48879);
  EXPECT_EQ(num(at(c, "total")), 2);
  EXPECT_EQ(num(at(c, "seq")), 1);
  EXPECT_EQ(num(at(c, "ref_bits")), 16);
  EXPECT_EQ(str(at(obj(at(r.obj, "concat")), "source")), "udh_16bit");
  EXPECT_EQ(str(at(tlv_named(r.obj, "message_payload"), "value")), "060804beef020148656c6c6f20776f726c64");

  const rendered p = render(test::vector_pdu("smpp_submit_sm_udh_ports16"));
  const json::object& ports = obj(at(obj(at(p.obj, "udh")), "ports"));
  EXPECT_EQ(num(at(ports, "dest")), 16000);
  EXPECT_EQ(num(at(ports, "orig")), 16001);
  EXPECT_EQ(num(at(ports, "bits")), 16);
  EXPECT_EQ(str(at(p.obj, "text")), "deadbeef");
  EXPECT_EQ(str(at(p.obj, "encoding")), "binary");
  EXPECT_EQ(p.obj.find("concat"), p.obj.end());

  const rendered g = render(test::vector_pdu("smpp_submit_sm_udh_gsm7_packed_fill"));
  EXPECT_EQ(str(at(g.obj, "text")), "Hello");
  EXPECT_EQ(str(at(g.obj, "encoding")), "gsm7-packed");
}

TEST(PduJson, SubmitMultiListsAndResponse) {
  octets dests;
  append_dest_address(dests, {1, 1, 1, "5678"});
  append_dest_address(dests, {2, 0, 0, "friends"});
  const rendered r = render(pdu_builder(command_id::submit_multi, 3)
                                .set("source_addr", "1234")
                                .set("number_of_dests", 2u)
                                .set_bytes("dest_address", dests)
                                .short_message(as_bytes("hi all"))
                                .bytes());
  const json::object& f = obj(at(r.obj, "fields"));
  EXPECT_EQ(num(at(f, "number_of_dests")), 2);
  const json::array& list = arr(at(f, "dest_address"));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(num(at(obj(list[0]), "dest_flag")), 1);
  EXPECT_EQ(num(at(obj(list[0]), "dest_addr_ton")), 1);
  EXPECT_EQ(str(at(obj(list[0]), "destination_addr")), "5678");
  EXPECT_EQ(num(at(obj(list[1]), "dest_flag")), 2);
  EXPECT_EQ(str(at(obj(list[1]), "dl_name")), "friends");
  EXPECT_EQ(str(at(r.obj, "text")), "hi all");

  octets unsuccess;
  append_unsuccess_sme(unsuccess, {1, 1, "5678", 0x0B});
  const rendered resp = render(pdu_builder(command_id::submit_multi_resp, 3)
                                   .set("message_id", "m1")
                                   .set("no_unsuccess", 1u)
                                   .set_bytes("unsuccess_sme", unsuccess)
                                   .bytes());
  const json::array& u = arr(at(obj(at(resp.obj, "fields")), "unsuccess_sme"));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(str(at(obj(u[0]), "destination_addr")), "5678");
  EXPECT_EQ(num(at(obj(u[0]), "error_status_code")), 0x0B);
}

TEST(PduJson, UnknownCommandAndErrorStatus) {
  const rendered r = render(from_hex("00000014 00000099 00000000 00000001 deadbeef"));
  EXPECT_EQ(str(at(r.obj, "command")), "unknown");
  EXPECT_EQ(num(at(r.obj, "command_id")), 0x99);
  EXPECT_TRUE(obj(at(r.obj, "fields")).empty());
  EXPECT_EQ(str(at(r.obj, "hex")), "000000140000009900000000" "00000001deadbeef");

  const rendered e = render(test::vector_pdu("smpp_submit_sm_resp_error_header_only"));
  EXPECT_EQ(num(at(e.obj, "command_status")), 0x45);
  EXPECT_EQ(str(at(e.obj, "status_name")), "ESME_RSUBMITFAIL");
}

TEST(PduJson, Lints) {
  const rendered both = render(test::vector_pdu("smpp_submit_sm_both_sm_and_payload"));
  bool found = false;
  for (const auto& l : arr(at(both.obj, "lints"))) {
    if (str(at(obj(l), "name")) == "sm_and_payload") {
      found = true;
      EXPECT_FALSE(str(at(obj(l), "message")).empty());
    }
  }
  EXPECT_TRUE(found);

  // GSM7 octet outside the alphabet (forced unpacked) and UDHI without a UDH: found while
  // rendering the text.
  json_context ctx;
  ctx.text.packing = gsm7_packing::unpacked;
  const rendered g = render(pdu_builder(command_id::submit_sm, 1).set("esm_class", 0x40u).short_message(from_hex("48698041")).bytes(), ctx);
  std::vector<std::string> names;
  for (const auto& l : arr(at(g.obj, "lints"))) names.push_back(str(at(obj(l), "name")));
  EXPECT_NE(std::find(names.begin(), names.end(), "gsm7_outside_alphabet"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "udhi_without_udh"), names.end());
  EXPECT_EQ(str(at(g.obj, "text")), "Hi\uFFFDA");
}

// data_coding 0 that reads as packed septets: most SMSCs read one septet per octet there.
TEST(PduJson, PackedGsm7InDefaultCodingIsALint) {
  auto lint_names = [](const rendered& r) {
    std::vector<std::string> names;
    if (const auto* l = r.obj.if_contains("lints"))
      for (const auto& x : l->as_array()) names.push_back(str(at(obj(x), "name")));
    return names;
  };
  const auto packed = gsm7_pack(*utf8_to_gsm7("Your code is 4711, valid for ten minutes"));
  const rendered p = render(pdu_builder(command_id::submit_sm, 1).short_message(packed).bytes());
  EXPECT_EQ(str(at(p.obj, "encoding")), "gsm7-packed");
  auto names = lint_names(p);
  EXPECT_NE(std::find(names.begin(), names.end(), "gsm7_packed_in_default_coding"), names.end());
  // One septet per octet raises nothing; nor does packed text the session declared packed.
  const rendered u = render(pdu_builder(command_id::submit_sm, 1)
                                .short_message(*utf8_to_gsm7("Your code is 4711, valid for ten minutes"))
                                .bytes());
  EXPECT_EQ(str(at(u.obj, "encoding")), "gsm7");
  EXPECT_TRUE(lint_names(u).empty());
  json_context ctx;
  ctx.text.packing = gsm7_packing::packed;
  EXPECT_TRUE(lint_names(render(pdu_builder(command_id::submit_sm, 1).short_message(packed).bytes(), ctx)).empty());
  // Packed octets under another GSM7 data_coding (0xF0, message class 0) are not data_coding 0.
  EXPECT_TRUE(lint_names(render(pdu_builder(command_id::submit_sm, 1).set("data_coding", 0xF0u).short_message(packed).bytes()))
                  .empty());
}

TEST(PduJson, InvalidUtf8AndControlCharactersInFields) {
  const std::string nasty = std::string("a\xFF\xC3\x01\"\\\n\t\x7F", 9);
  const rendered r = render(pdu_builder(command_id::submit_sm, 1)
                                .set("source_addr", nasty)
                                .set("data_coding", 3u)
                                .short_message(from_hex("41ff0022"))
                                .bytes());
  EXPECT_EQ(str(at(obj(at(r.obj, "fields")), "source_addr")), "a\uFFFD\uFFFD\u0001\"\\\n\t\x7F");
  EXPECT_EQ(str(at(r.obj, "text")), std::string("A\u00FF\0\"", 5));
}

TEST(JsonString, EscapesAndReplacement) {
  auto q = [](std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
  };
  EXPECT_EQ(q("plain"), "\"plain\"");
  EXPECT_EQ(q("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(q("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(q(std::string_view("\0\x1f", 2)), "\"\\u0000\\u001f\"");
  EXPECT_EQ(q("\u00E9\u20AC\U0001F600"), "\"\u00E9\u20AC\U0001F600\"");  // valid UTF-8 kept
  EXPECT_EQ(q("\xC0\xAF"), "\"\uFFFD\uFFFD\"");                          // overlong
  EXPECT_EQ(q("\xED\xA0\x80"), "\"\uFFFD\uFFFD\uFFFD\"");                // surrogate
  EXPECT_EQ(q("\xF4\x90\x80\x80"), "\"\uFFFD\uFFFD\uFFFD\uFFFD\"");      // above U+10FFFF
  EXPECT_EQ(q("ab\xE2\x82"), "\"ab\uFFFD\uFFFD\"");                      // cut short
}

TEST(JsonString, SpecialOctetAtEveryPositionOfALongString) {
  // Long plain runs are scanned eight octets at a time: a special octet anywhere must be seen.
  for (char special : {'"', '\\', '\x01', '\x1f', '\x80', '\x7f', ' '}) {
    for (std::size_t pos = 0; pos < 24; ++pos) {
      std::string s(24, 'a');
      s[pos] = special;
      std::string out;
      append_json_string(out, s);
      json::error_code ec;
      const json::value v = json::parse(out, ec);
      ASSERT_FALSE(ec) << out;
      const std::string back(v.as_string());
      if (special == '\x80') {
        EXPECT_EQ(back, s.substr(0, pos) + "\uFFFD" + s.substr(pos + 1));
      } else {
        EXPECT_EQ(back, s);
      }
    }
  }
}

TEST(JsonString, RandomBytesAlwaysGiveValidJson) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    std::string out;
    append_json_string(out, s);
    json::error_code ec;
    const json::value v = json::parse(out, ec);
    ASSERT_FALSE(ec) << out;
    ASSERT_TRUE(v.is_string());
  }
}

TEST(PduJson, RandomPdusAlwaysGiveValidJson) {
  // Valid samples of every PDU type with random octets overwritten: whatever decode() makes of
  // them, the event is valid JSON.
  std::mt19937 rng(11);
  std::size_t rendered_count = 0;
  for (const octets& sample : test::all_samples()) {
    for (int round = 0; round < 20; ++round) {
      octets w = sample;
      const int flips = 1 + static_cast<int>(rng() % 6);
      for (int k = 0; k < flips && w.size() > 16; ++k) w[16 + rng() % (w.size() - 16)] = static_cast<std::uint8_t>(rng());
      json_context ctx;
      ctx.text.packing = static_cast<gsm7_packing>(rng() % 3);
      pdu p;
      const decode_error e = decode(w, p);
      std::string err = e ? e.message(p) : std::string();
      ctx.error = err;
      std::string out;
      append_pdu_json(out, p, w, ctx);
      json::error_code ec;
      (void)json::parse(out, ec);
      ASSERT_FALSE(ec) << out;
      ++rendered_count;
    }
  }
  EXPECT_GT(rendered_count, 200u);
}

TEST(PduJson, AppendsToExistingContent) {
  std::string out = "[";
  const octets a = test::vector_pdu("smpp_enquire_link");
  pdu p;
  ASSERT_FALSE(decode(a, p));
  append_pdu_json(out, p, a, {});
  out += ',';
  append_pdu_json(out, p, a, {});
  out += ']';
  json::error_code ec;
  const json::value v = json::parse(out, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(v.as_array().size(), 2u);
}

}  // namespace
}  // namespace smppscope::decoder
