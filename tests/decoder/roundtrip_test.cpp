// decode(encode(x)) == x for every PDU type and every TLV in the table (protocol.cpp), driven by
// all_pdus() / all_tlvs() so a new table row is covered without touching this file.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sample_pdus.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/protocol.hpp"

namespace smppscope::decoder {
namespace {

using test::octets;

std::string describe(const pdu_spec& s, int variant) {
  return std::string(s.name) + " variant " + std::to_string(variant);
}

TEST(roundtrip, every_pdu_type_in_the_table) {
  ASSERT_GE(all_pdus().size(), 39u);
  for (const pdu_spec& spec : all_pdus()) {
    for (int variant = 0; variant < test::sample_variants; ++variant) {
      SCOPED_TRACE(describe(spec, variant));
      const test::sample s = test::make_sample(spec, variant, 1000 + static_cast<std::uint32_t>(variant));
      pdu p;
      const decode_error err = decode(s.wire, p);
      ASSERT_FALSE(err) << err.message(p);
      EXPECT_EQ(p.lints, 0) << "lints " << p.lints;
      ASSERT_EQ(p.spec, &spec);
      EXPECT_EQ(p.hdr.command_length, s.wire.size());
      EXPECT_EQ(p.hdr.command_id, spec.id);
      EXPECT_EQ(p.hdr.sequence_number, 1000u + static_cast<std::uint32_t>(variant));
      ASSERT_EQ(p.field_count, spec.fields.size());
      for (std::size_t i = 0; i < spec.fields.size(); ++i) {
        SCOPED_TRACE(std::string(spec.fields[i].name));
        EXPECT_EQ(p.fields[i].integer, s.fields[i].integer);
        EXPECT_EQ(octets(p.fields[i].bytes.begin(), p.fields[i].bytes.end()), s.fields[i].bytes);
        EXPECT_EQ(p.field(spec.fields[i].name) != nullptr, true);
      }
      EXPECT_EQ(octets(p.tlv_region.begin(), p.tlv_region.end()), s.tlvs);
      EXPECT_EQ(spec.tlvs_allowed && variant != 2, !s.tlvs.empty());

      const octets again = encode(p);
      EXPECT_EQ(again, s.wire);
      pdu q;
      ASSERT_FALSE(decode(again, q));
      EXPECT_TRUE(q == p);
    }
  }
}

TEST(roundtrip, error_responses_without_body) {
  for (const pdu_spec& spec : all_pdus()) {
    if (!is_response(spec.id)) continue;
    SCOPED_TRACE(std::string(spec.name));
    const octets wire = pdu_builder(spec.id, 9, 0x45).header_only().bytes();
    ASSERT_EQ(wire.size(), header_size);
    pdu p;
    EXPECT_FALSE(decode(wire, p));
    EXPECT_EQ(p.field_count, 0);
    EXPECT_EQ(p.spec, &spec);
    EXPECT_EQ(p.hdr.command_status, 0x45u);
    EXPECT_EQ(encode(p), wire);
  }
}

// A value of `len` octets that is valid for the TLV's type.
octets tlv_value(const tlv_spec& t, std::size_t len) {
  octets v(len);
  for (std::size_t i = 0; i < len; ++i) v[i] = static_cast<std::uint8_t>('a' + i % 26);
  if (t.type == tlv_type::c_string && len > 0) v[len - 1] = 0;
  if (t.type == tlv_type::int1 || t.type == tlv_type::int2 || t.type == tlv_type::int4)
    for (std::size_t i = 0; i < len; ++i) v[i] = static_cast<std::uint8_t>(0x81 + i);
  return v;
}

TEST(roundtrip, every_tlv_in_the_table) {
  ASSERT_GE(all_tlvs().size(), 60u);
  for (const tlv_spec& t : all_tlvs()) {
    // a TLV after the one under test must still be found: the walk stepped by the length field
    const auto follower = t.tag == 0x0427 ? tlv_tag::sar_msg_ref_num : tlv_tag::message_state;
    std::vector<std::size_t> lengths{t.min_len, t.max_len, (std::size_t(t.min_len) + t.max_len) / 2};
    for (std::size_t len : lengths) {
      SCOPED_TRACE(std::string(t.name) + " length " + std::to_string(len));
      const octets value = tlv_value(t, len);
      const octets wire = pdu_builder(command_id::submit_sm, 3).tlv(t.tag, value).tlv_int(follower, 7).bytes();
      pdu p;
      ASSERT_FALSE(decode(wire, p));
      EXPECT_EQ(p.lints, 0) << "lints " << p.lints;
      auto found = p.tlvs().find(t.tag);
      ASSERT_TRUE(found);
      EXPECT_EQ(found->spec(), &t);
      EXPECT_EQ(octets(found->value.begin(), found->value.end()), value);
      auto next = p.tlvs().find(follower);
      ASSERT_TRUE(next);
      EXPECT_EQ(next->integer(), 7u);

      if (t.type == tlv_type::int1 || t.type == tlv_type::int2 || t.type == tlv_type::int4) {
        std::uint32_t expect = 0;
        for (auto b : value) expect = expect << 8 | b;
        EXPECT_EQ(found->integer(), expect);
        if (len == t.max_len) {  // tlv_int writes the table width
          const octets w2 = pdu_builder(command_id::submit_sm, 3).tlv_int(t.tag, expect).tlv_int(follower, 7).bytes();
          EXPECT_EQ(w2, wire);
        }
      } else {
        EXPECT_FALSE(found->integer());
      }
      if (t.type == tlv_type::c_string && len > 0) {
        EXPECT_EQ(found->text(), std::string(value.begin(), value.end() - 1));
        const octets w2 = pdu_builder(command_id::submit_sm, 3).tlv_text(t.tag, found->text()).tlv_int(follower, 7).bytes();
        EXPECT_EQ(w2, wire);
      }
      EXPECT_EQ(encode(p), wire);
      const octets again = encode(p);  // q points into it
      pdu q;
      ASSERT_FALSE(decode(again, q));
      EXPECT_TRUE(q == p);
    }
    // Out of the type's bounds: kept, walked over, flagged.
    for (long len : {long(t.min_len) - 1, long(t.max_len) + 1}) {
      if (len < 0 || len > 0xFFFF) continue;
      SCOPED_TRACE(std::string(t.name) + " out-of-bounds length " + std::to_string(len));
      const octets wire = pdu_builder(command_id::submit_sm, 3)
                              .tlv(t.tag, octets(static_cast<std::size_t>(len), 0x31))
                              .tlv_int(follower, 7)
                              .bytes();
      pdu p;
      ASSERT_FALSE(decode(wire, p));
      EXPECT_TRUE(p.has_lint(lint::tlv_length_mismatch));
      EXPECT_TRUE(p.tlvs().find(follower));
      EXPECT_EQ(encode(p), wire);
    }
  }
}

TEST(roundtrip, submit_multi_with_both_dest_flags) {
  octets dests;
  append_dest_address(dests, {1, 1, 1, "33600000001"});
  append_dest_address(dests, {2, 0, 0, "friends"});
  append_dest_address(dests, {1, 5, 0, "ovh123"});
  const octets wire = pdu_builder(command_id::submit_multi, 21)
                          .set("source_addr", "1234")
                          .set_bytes("dest_address", dests)
                          .set("data_coding", 8u)
                          .short_message(test::from_hex("00480069"))
                          .bytes();
  pdu p;
  ASSERT_FALSE(decode(wire, p));
  EXPECT_EQ(p.lints, 0);
  ASSERT_TRUE(p.field("number_of_dests"));
  EXPECT_EQ(p.field("number_of_dests")->integer, 3u);  // derived by the builder
  const auto list = parse_dest_list(p.field("dest_address")->bytes, p.field("number_of_dests")->integer);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].dest_flag, 1);
  EXPECT_EQ(list[0].ton, 1);
  EXPECT_EQ(list[0].npi, 1);
  EXPECT_EQ(list[0].address, "33600000001");
  EXPECT_EQ(list[1].dest_flag, 2);
  EXPECT_EQ(list[1].address, "friends");
  EXPECT_EQ(list[2].ton, 5);
  EXPECT_EQ(list[2].address, "ovh123");
  EXPECT_EQ(p.data_coding(), 8);
  EXPECT_EQ(test::to_hex(p.short_message()), "00480069");
  EXPECT_EQ(encode(p), wire);
}

TEST(roundtrip, submit_multi_resp_with_unsuccess_list) {
  octets smes;
  append_unsuccess_sme(smes, {1, 1, "33600000001", 0x0000000B});
  append_unsuccess_sme(smes, {2, 8, "0612345678", 0x00000045});
  const octets wire = pdu_builder(command_id::submit_multi_resp, 21)
                          .set("message_id", "abc")
                          .set("no_unsuccess", 2u)
                          .set_bytes("unsuccess_sme", smes)
                          .bytes();
  pdu p;
  ASSERT_FALSE(decode(wire, p));
  EXPECT_EQ(p.message_id(), "abc");
  const auto list = parse_unsuccess_list(p.field("unsuccess_sme")->bytes, p.field("no_unsuccess")->integer);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].address, "33600000001");
  EXPECT_EQ(list[0].error_status, 0x0Bu);
  EXPECT_EQ(list[1].ton, 2);
  EXPECT_EQ(list[1].npi, 8);
  EXPECT_EQ(list[1].address, "0612345678");
  EXPECT_EQ(list[1].error_status, 0x45u);
  EXPECT_EQ(encode(p), wire);
}

}  // namespace
}  // namespace smppscope::decoder
