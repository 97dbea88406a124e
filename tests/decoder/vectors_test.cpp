// Every SMPP vector in tests/data/vectors/ decodes to the values its README lists.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sample_pdus.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder {
namespace {

using test::from_hex;
using test::octets;
using test::to_hex;

struct decoded {
  octets wire;
  pdu p;
  decode_error err;
};

decoded load(const std::string& name) {
  decoded d;
  d.wire = test::vector_pdu(name);
  d.err = decode(d.wire, d.p);  // spans point into d.wire; d is returned by move (NRVO)
  return d;
}

std::string text(const pdu& p, std::string_view field) {
  const field_value* f = p.field(field);
  return f ? std::string(f->text()) : std::string("<missing ") + std::string(field) + ">";
}
std::uint32_t num(const pdu& p, std::string_view field) {
  const field_value* f = p.field(field);
  return f ? f->integer : 0xDEADBEEF;
}

// The submit_sm address block every SMPP vector uses: 1/1 "1234" -> 1/1 "5678".
void expect_addresses(const pdu& p, std::string_view src = "1234", std::string_view dst = "5678") {
  EXPECT_EQ(text(p, "service_type"), "");
  EXPECT_EQ(num(p, "source_addr_ton"), 1u);
  EXPECT_EQ(num(p, "source_addr_npi"), 1u);
  EXPECT_EQ(text(p, "source_addr"), src);
  EXPECT_EQ(num(p, "dest_addr_ton"), 1u);
  EXPECT_EQ(num(p, "dest_addr_npi"), 1u);
  EXPECT_EQ(text(p, "destination_addr"), dst);
}

void expect_clean(const decoded& d, std::uint32_t length, std::string_view name, std::uint32_t seq) {
  EXPECT_FALSE(d.err) << d.err.message(d.p);
  EXPECT_EQ(d.p.lints, 0) << "lints " << d.p.lints;
  EXPECT_EQ(d.wire.size(), length);
  EXPECT_EQ(d.p.hdr.command_length, length);
  EXPECT_EQ(d.p.name(), name);
  EXPECT_EQ(d.p.hdr.sequence_number, seq);
  if (d.p.spec) {
    EXPECT_EQ(d.p.field_count, d.p.spec->fields.size());
  }
}

TEST(vectors, submit_sm_ucs2_hi) {
  const auto d = load("smpp_submit_sm_ucs2_hi");
  expect_clean(d, 45, "submit_sm", 1);
  expect_addresses(d.p);
  for (auto f : {"esm_class", "protocol_id", "priority_flag", "registered_delivery", "replace_if_present_flag",
                 "sm_default_msg_id"})
    EXPECT_EQ(num(d.p, f), 0u) << f;
  EXPECT_EQ(text(d.p, "schedule_delivery_time"), "");
  EXPECT_EQ(text(d.p, "validity_period"), "");
  EXPECT_EQ(d.p.data_coding(), 8);
  EXPECT_EQ(num(d.p, "sm_length"), 4u);
  EXPECT_EQ(to_hex(d.p.short_message()), "00480069");
  EXPECT_TRUE(d.p.tlv_region.empty());
}

TEST(vectors, submit_sm_seed_literal_is_broken) {
  const auto d = load("smpp_submit_sm_seed_literal");
  EXPECT_EQ(d.wire.size(), 46u);
  EXPECT_EQ(d.p.hdr.command_length, 59u);
  ASSERT_EQ(d.err.code, decode_errc::length_mismatch);
  EXPECT_EQ(d.err.field, "command_length");
  EXPECT_EQ(d.err.message(d.p), "submit_sm: command_length: says 59 octets but 46 are present at offset 0");
  // what is there still decodes, as tshark shows it with reassembly off (README)
  expect_addresses(d.p);
  EXPECT_EQ(d.p.data_coding(), 0);
  EXPECT_EQ(num(d.p, "sm_default_msg_id"), 8u);
  EXPECT_EQ(num(d.p, "sm_length"), 0u);
  EXPECT_EQ(to_hex(d.p.tlv_region), "0400480069");  // the bogus TLV 0x0400, length 18432
  EXPECT_TRUE(d.p.has_lint(lint::tlv_truncated));
  EXPECT_TRUE(d.p.has_lint(lint::sm_length_mismatch));
  EXPECT_EQ(d.p.tlvs().begin(), d.p.tlvs().end());
  // and a framer waits for the 13 missing octets instead of handing it out
  framer fr;
  int frames = 0;
  EXPECT_TRUE(fr.feed(d.wire, [&](bytes_view) { ++frames; }));
  EXPECT_EQ(frames, 0);
  EXPECT_EQ(fr.buffered(), 46u);
}

TEST(vectors, deliver_sm_dlr) {
  const auto d = load("smpp_deliver_sm_dlr");
  expect_clean(d, 168, "deliver_sm", 7);
  expect_addresses(d.p, "5678", "1234");
  EXPECT_EQ(d.p.esm_class(), 0x04);
  EXPECT_EQ(d.p.data_coding(), 0);
  EXPECT_EQ(num(d.p, "sm_length"), 107u);
  const auto sm = d.p.short_message();
  EXPECT_EQ(std::string(sm.begin(), sm.end()),
            "id:0123456789 sub:001 dlvrd:001 submit date:2311221345 done date:2311221346 stat:DELIVRD err:000 "
            "text:Hello");
  auto id = d.p.tlvs().find(tlv_tag::receipted_message_id);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->value.size(), 11u);
  EXPECT_EQ(id->text(), "0123456789");
  EXPECT_EQ(id->spec()->name, "receipted_message_id");
  auto state = d.p.tlvs().find(tlv_tag::message_state);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->integer(), 2u);  // DELIVERED
}

TEST(vectors, bind_transceiver) {
  const auto d = load("smpp_bind_transceiver");
  expect_clean(d, 42, "bind_transceiver", 1);
  EXPECT_EQ(text(d.p, "system_id"), "smppclient1");
  EXPECT_EQ(text(d.p, "password"), "password");
  EXPECT_EQ(text(d.p, "system_type"), "");
  EXPECT_EQ(num(d.p, "interface_version"), 0x34u);
  EXPECT_EQ(num(d.p, "addr_ton"), 0u);
  EXPECT_EQ(num(d.p, "addr_npi"), 0u);
  EXPECT_EQ(text(d.p, "address_range"), "");
}

TEST(vectors, bind_transceiver_resp) {
  const auto d = load("smpp_bind_transceiver_resp");
  expect_clean(d, 26, "bind_transceiver_resp", 1);
  EXPECT_EQ(d.p.hdr.command_status, 0u);
  EXPECT_EQ(text(d.p, "system_id"), "SMSC");
  auto v = d.p.tlvs().find(tlv_tag::sc_interface_version);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value.size(), 1u);
  EXPECT_EQ(v->integer(), 0x34u);
}

TEST(vectors, submit_sm_message_payload_udh) {
  const auto d = load("smpp_submit_sm_message_payload_udh");
  expect_clean(d, 63, "submit_sm", 2);
  expect_addresses(d.p);
  EXPECT_EQ(d.p.esm_class(), 0x40);
  EXPECT_EQ(num(d.p, "registered_delivery"), 1u);
  EXPECT_EQ(num(d.p, "sm_length"), 0u);
  auto mp = d.p.tlvs().find(tlv_tag::message_payload);
  ASSERT_TRUE(mp);
  EXPECT_EQ(mp->value.size(), 18u);
  EXPECT_EQ(to_hex(d.p.payload()), "060804beef0201" + to_hex(test::as_bytes("Hello world")));
}

TEST(vectors, submit_sm_udh_concat8_ucs2) {
  const auto d = load("smpp_submit_sm_udh_concat8_ucs2");
  expect_clean(d, 51, "submit_sm", 3);
  EXPECT_EQ(d.p.esm_class(), 0x40);
  EXPECT_EQ(d.p.data_coding(), 8);
  EXPECT_EQ(num(d.p, "sm_length"), 10u);
  EXPECT_EQ(to_hex(d.p.short_message()), "050003a5020100480069");
}

TEST(vectors, submit_sm_udh_ports16) {
  const auto d = load("smpp_submit_sm_udh_ports16");
  expect_clean(d, 52, "submit_sm", 4);
  EXPECT_EQ(d.p.esm_class(), 0x40);
  EXPECT_EQ(d.p.data_coding(), 4);
  EXPECT_EQ(num(d.p, "sm_length"), 11u);
  EXPECT_EQ(to_hex(d.p.short_message()), "0605043e803e81deadbeef");
}

TEST(vectors, submit_sm_gsm7_packed_hello) {
  const auto d = load("smpp_submit_sm_gsm7_packed_hello");
  expect_clean(d, 46, "submit_sm", 5);
  EXPECT_EQ(d.p.data_coding(), 0);
  EXPECT_EQ(num(d.p, "sm_length"), 5u);
  EXPECT_EQ(to_hex(d.p.short_message()), "c8329bfd06");
}

TEST(vectors, submit_sm_udh_gsm7_packed_fill) {
  const auto d = load("smpp_submit_sm_udh_gsm7_packed_fill");
  expect_clean(d, 52, "submit_sm", 6);
  EXPECT_EQ(d.p.esm_class(), 0x40);
  EXPECT_EQ(num(d.p, "sm_length"), 11u);
  EXPECT_EQ(to_hex(d.p.short_message()), "050003010201906536fb0d");
}

TEST(vectors, submit_sm_gsm7_alphabet_unpacked) {
  const auto d = load("smpp_submit_sm_gsm7_alphabet_unpacked");
  expect_clean(d, 188, "submit_sm", 8);
  EXPECT_EQ(num(d.p, "sm_length"), 147u);
  octets expect;
  for (int c = 0; c < 0x80; ++c)
    if (c != 0x1B) expect.push_back(static_cast<std::uint8_t>(c));
  for (int x : {0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65}) {
    expect.push_back(0x1B);
    expect.push_back(static_cast<std::uint8_t>(x));
  }
  const auto sm = d.p.short_message();
  EXPECT_EQ(octets(sm.begin(), sm.end()), expect);
}

TEST(vectors, submit_sm_times) {
  const auto d = load("smpp_submit_sm_times");
  expect_clean(d, 75, "submit_sm", 10);
  EXPECT_EQ(text(d.p, "schedule_delivery_time"), "231122134530004+");
  EXPECT_EQ(text(d.p, "validity_period"), "000001000000000R");
  EXPECT_EQ(num(d.p, "sm_length"), 2u);
  EXPECT_EQ(to_hex(d.p.short_message()), "4869");
}

TEST(vectors, submit_sm_both_sm_and_payload) {
  const auto d = load("smpp_submit_sm_both_sm_and_payload");
  EXPECT_FALSE(d.err);
  EXPECT_EQ(d.p.hdr.command_length, 49u);
  EXPECT_EQ(d.p.hdr.sequence_number, 11u);
  EXPECT_EQ(d.p.lints, static_cast<std::uint16_t>(lint::sm_and_payload));
  EXPECT_EQ(num(d.p, "sm_length"), 2u);
  EXPECT_EQ(to_hex(d.p.short_message()), "4869");
  auto mp = d.p.tlvs().find(tlv_tag::message_payload);
  ASSERT_TRUE(mp);
  EXPECT_EQ(to_hex(mp->value), "4869");
}

TEST(vectors, submit_sm_resp) {
  const auto d = load("smpp_submit_sm_resp");
  expect_clean(d, 27, "submit_sm_resp", 1);
  EXPECT_EQ(d.p.hdr.command_status, 0u);
  EXPECT_EQ(d.p.message_id(), "0123456789");
}

TEST(vectors, submit_sm_resp_error_header_only) {
  const auto d = load("smpp_submit_sm_resp_error_header_only");
  EXPECT_FALSE(d.err);
  EXPECT_EQ(d.p.lints, 0);
  EXPECT_EQ(d.p.hdr.command_length, 16u);
  EXPECT_EQ(d.p.name(), "submit_sm_resp");
  EXPECT_EQ(d.p.hdr.command_status, 0x45u);
  EXPECT_EQ(d.p.hdr.sequence_number, 3u);
  EXPECT_EQ(d.p.field_count, 0);
  EXPECT_EQ(status_name(d.p.hdr.command_status), "ESME_RSUBMITFAIL");
}

TEST(vectors, enquire_link) {
  const auto d = load("smpp_enquire_link");
  expect_clean(d, 16, "enquire_link", 9);
  EXPECT_EQ(d.p.hdr.command_status, 0u);
}

TEST(vectors, generic_nack) {
  const auto d = load("smpp_generic_nack");
  expect_clean(d, 16, "generic_nack", 9);
  EXPECT_EQ(d.p.hdr.command_status, 3u);
  EXPECT_EQ(status_name(d.p.hdr.command_status), "ESME_RINVCMDID");
}

TEST(vectors, broadcast_sm_v50) {
  const auto d = load("smpp_broadcast_sm_v50");
  expect_clean(d, 67, "broadcast_sm", 12);
  EXPECT_EQ(text(d.p, "service_type"), "");
  EXPECT_EQ(num(d.p, "source_addr_ton"), 1u);
  EXPECT_EQ(num(d.p, "source_addr_npi"), 1u);
  EXPECT_EQ(text(d.p, "source_addr"), "1234");
  EXPECT_EQ(d.p.message_id(), "");
  EXPECT_EQ(num(d.p, "priority_flag"), 0u);
  EXPECT_EQ(text(d.p, "schedule_delivery_time"), "");
  EXPECT_EQ(text(d.p, "validity_period"), "");
  EXPECT_EQ(num(d.p, "replace_if_present_flag"), 0u);
  EXPECT_EQ(d.p.data_coding(), 0);
  EXPECT_EQ(num(d.p, "sm_default_msg_id"), 0u);
  // all five TLVs, walked by their length fields (tshark loses alignment at broadcast_rep_num)
  std::vector<std::pair<std::string, std::string>> tlvs;
  for (const tlv& t : d.p.tlvs()) tlvs.emplace_back(std::string(t.spec() ? t.spec()->name : "?"), to_hex(t.value));
  const std::vector<std::pair<std::string, std::string>> expect{
      {"broadcast_area_identifier", "00" + to_hex(test::as_bytes("AREA1"))},
      {"broadcast_content_type", "010000"},
      {"broadcast_rep_num", "0003"},
      {"broadcast_frequency_interval", "090005"},
      {"message_payload", "4869"},
  };
  EXPECT_EQ(tlvs, expect);
  EXPECT_EQ(d.p.tlvs().find(0x0604)->integer(), 3u);
}

// CMPP vectors are not SMPP: the SMPP decoder must still never crash on them.
TEST(vectors, cmpp_vectors_do_not_crash_the_smpp_decoder) {
  for (const char* v : {"cmpp_connect_v20", "cmpp2_connect_resp", "cmpp2_submit", "cmpp3_submit", "cmpp2_submit_resp",
                        "cmpp2_deliver_report", "cmpp3_deliver_report", "cmpp_active_test", "cmpp_active_test_resp"}) {
    const octets w = test::vector_pdu(v);
    pdu p;
    const decode_error e = decode(w, p);
    if (e) {
      EXPECT_FALSE(e.message(p).empty());
    }
    framer fr;
    fr.feed(w, [&](bytes_view f) { decode(f, p); });
  }
}

// A new smpp_*.pcap in the vectors directory must get its own test above.
TEST(vectors, every_smpp_vector_is_covered) {
  const std::set<std::string> covered{
      "smpp_submit_sm_ucs2_hi", "smpp_submit_sm_seed_literal", "smpp_deliver_sm_dlr",
      "smpp_bind_transceiver", "smpp_bind_transceiver_resp", "smpp_submit_sm_message_payload_udh",
      "smpp_submit_sm_udh_concat8_ucs2", "smpp_submit_sm_udh_ports16", "smpp_submit_sm_gsm7_packed_hello",
      "smpp_submit_sm_udh_gsm7_packed_fill", "smpp_submit_sm_gsm7_alphabet_unpacked", "smpp_submit_sm_times",
      "smpp_submit_sm_both_sm_and_payload", "smpp_submit_sm_resp", "smpp_submit_sm_resp_error_header_only",
      "smpp_enquire_link", "smpp_generic_nack", "smpp_broadcast_sm_v50"};
  const std::vector<std::string> listed = test::list_files(test::vectors_dir(), "smpp_", ".pcap");
  ASSERT_FALSE(listed.empty()) << test::missing_data_message(test::vectors_dir());
  const std::set<std::string> found(listed.begin(), listed.end());
  EXPECT_EQ(found, covered);
}

}  // namespace
}  // namespace smppscope::decoder
