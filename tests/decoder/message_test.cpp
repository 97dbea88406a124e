// Message extraction: short_message vs message_payload, UDH, SAR, per PDU type (SMPP v3.4
// sections 4, 5.2.21 and 5.3.2.32; 3GPP TS 23.040 section 9.2.3.24).
#include "smppscope/decoder/message.hpp"

#include <gtest/gtest.h>

#include "sample_pdus.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder {
namespace {

using test::as_bytes;
using test::from_hex;
using test::octets;
using test::to_hex;

// Owns the wire bytes a decoded pdu points into.
struct wire_pdu {
  octets wire;
  pdu p;
  explicit wire_pdu(octets w) : wire(std::move(w)) { EXPECT_FALSE(decode(wire, p)); }
};

pdu_builder submit(std::uint8_t esm = 0, std::uint8_t dc = 0) {
  pdu_builder b(command_id::submit_sm, 1);
  b.set("source_addr", "1234").set("destination_addr", "5678").set("esm_class", esm).set("data_coding", dc);
  return b;
}

TEST(FindMessage, ShortMessage) {
  wire_pdu w(submit(0, 3).short_message(as_bytes("Caf\xE9")).bytes());
  const auto m = find_message(w.p);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->from_payload_tlv);
  EXPECT_EQ(m->data_coding, 3);
  EXPECT_EQ(m->source_addr, "1234");
  EXPECT_EQ(m->destination_addr, "5678");
  EXPECT_FALSE(m->header);
  EXPECT_FALSE(m->concat);
  EXPECT_EQ(to_hex(m->text_octets), "436166e9");
  EXPECT_EQ(message_text(*m).utf8, "Caf\u00E9");
}

TEST(FindMessage, MessagePayloadWhenSmLengthIsZero) {
  wire_pdu w(submit(0, 8).tlv(tlv_tag::message_payload, from_hex("004f004b")).bytes());
  const auto m = find_message(w.p);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->from_payload_tlv);
  EXPECT_EQ(message_text(*m).utf8, "OK");
}

TEST(FindMessage, BothPresentShortMessageWins) {
  wire_pdu w(test::vector_pdu("smpp_submit_sm_both_sm_and_payload"));
  EXPECT_TRUE(w.p.has_lint(lint::sm_and_payload));
  const auto m = find_message(w.p);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->from_payload_tlv);
  EXPECT_EQ(message_text(*m).utf8, "Hi");
}

TEST(FindMessage, SarTlvs) {
  wire_pdu w(submit()
                 .short_message(as_bytes("part two"))
                 .tlv_int(tlv_tag::sar_msg_ref_num, 0x1234)
                 .tlv_int(tlv_tag::sar_total_segments, 3)
                 .tlv_int(tlv_tag::sar_segment_seqnum, 2)
                 .bytes());
  const auto m = find_message(w.p);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->concat);
  EXPECT_EQ(m->concat->source, concat_source::sar);
  EXPECT_EQ(m->concat->ref, 0x1234);
  EXPECT_EQ(m->concat->total, 3);
  EXPECT_EQ(m->concat->seq, 2);
  EXPECT_EQ(concat_source_name(m->concat->source), "sar");
}

TEST(FindMessage, InvalidOrIncompleteSarIsNoConcat) {
  wire_pdu over(submit()
                    .short_message(as_bytes("x"))
                    .tlv_int(tlv_tag::sar_msg_ref_num, 1)
                    .tlv_int(tlv_tag::sar_total_segments, 2)
                    .tlv_int(tlv_tag::sar_segment_seqnum, 3)
                    .bytes());
  EXPECT_FALSE(find_message(over.p)->concat);
  wire_pdu partial(submit()
                       .short_message(as_bytes("x"))
                       .tlv_int(tlv_tag::sar_msg_ref_num, 1)
                       .tlv_int(tlv_tag::sar_segment_seqnum, 1)
                       .bytes());
  EXPECT_FALSE(find_message(partial.p)->concat);
}

TEST(FindMessage, UdhConcatTakesPrecedenceOverSar) {
  wire_pdu w(submit(0x40)
                 .short_message(from_hex("050003070201 48656c6c6f"))
                 .tlv_int(tlv_tag::sar_msg_ref_num, 9)
                 .tlv_int(tlv_tag::sar_total_segments, 4)
                 .tlv_int(tlv_tag::sar_segment_seqnum, 4)
                 .bytes());
  const auto m = find_message(w.p);
  ASSERT_TRUE(m && m->concat);
  EXPECT_EQ(m->concat->source, concat_source::udh_8bit);
  EXPECT_EQ(m->concat->ref, 7);
  // Unpacked GSM7 after a UDH: no fill bits in that reading (3GPP TS 23.038 section 6.2.1).
  EXPECT_EQ(message_text(*m).utf8, "Hello");
}

TEST(FindMessage, UdhiWithoutValidUdh) {
  wire_pdu w(submit(0x40).short_message(as_bytes("Hi there")).bytes());  // UDHL 'H' = 72 overruns
  const auto m = find_message(w.p);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->udhi_without_udh);
  EXPECT_EQ(m->udh_problem.code, udh_errc::length_overrun);
  EXPECT_FALSE(m->header);
  EXPECT_EQ(m->text_octets.size(), 8u);
  EXPECT_EQ(message_text(*m).utf8, "Hi there");
}

TEST(FindMessage, UdhWithoutUdhiIsText) {
  wire_pdu w(submit(0x00).short_message(from_hex("050003070201")).bytes());
  const auto m = find_message(w.p);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->header);
  EXPECT_EQ(m->text_octets.size(), 6u);
}

TEST(FindMessage, DeliveryReceiptVector) {
  wire_pdu w(test::vector_pdu("smpp_deliver_sm_dlr"));
  const auto m = find_message(w.p);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_receipt());
  EXPECT_EQ(m->source_addr, "5678");
  EXPECT_EQ(m->destination_addr, "1234");
  EXPECT_EQ(message_text(*m).utf8,
            "id:0123456789 sub:001 dlvrd:001 submit date:2311221345 done date:2311221346 stat:DELIVRD err:000 text:Hello");
}

TEST(FindMessage, EveryMessagePduType) {
  // data_sm: payload only.
  wire_pdu data(pdu_builder(command_id::data_sm, 2)
                    .set("source_addr", "111")
                    .set("destination_addr", "222")
                    .set("data_coding", 1u)
                    .tlv(tlv_tag::message_payload, as_bytes("data"))
                    .bytes());
  auto m = find_message(data.p);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->from_payload_tlv);
  EXPECT_EQ(m->destination_addr, "222");
  EXPECT_EQ(message_text(*m).utf8, "data");
  EXPECT_EQ(message_text(*m).encoding, "ascii");

  // submit_multi: no destination_addr field.
  octets dests;
  append_dest_address(dests, {1, 1, 1, "5678"});
  append_dest_address(dests, {2, 0, 0, "friends"});
  wire_pdu multi(pdu_builder(command_id::submit_multi, 3)
                     .set("source_addr", "1234")
                     .set("number_of_dests", 2u)
                     .set_bytes("dest_address", dests)
                     .set("data_coding", 8u)
                     .short_message(from_hex("00480069"))
                     .bytes());
  m = find_message(multi.p);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->source_addr, "1234");
  EXPECT_EQ(m->destination_addr, "");
  EXPECT_EQ(message_text(*m).utf8, "Hi");

  // replace_sm: no data_coding, no esm_class.
  wire_pdu replace(pdu_builder(command_id::replace_sm, 4)
                       .set("message_id", "abc")
                       .set("source_addr", "1234")
                       .short_message(as_bytes("new text"))
                       .bytes());
  m = find_message(replace.p);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data_coding, 0);
  EXPECT_EQ(m->esm_class, 0);
  EXPECT_EQ(message_text(*m).utf8, "new text");

  // broadcast_sm (v5.0 vector): content in message_payload.
  wire_pdu bcast(test::vector_pdu("smpp_broadcast_sm_v50"));
  m = find_message(bcast.p);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->from_payload_tlv);
  EXPECT_EQ(message_text(*m).utf8, "Hi");
}

TEST(FindMessage, PdusWithoutMessage) {
  for (const char* name : {"smpp_enquire_link", "smpp_submit_sm_resp", "smpp_bind_transceiver", "smpp_generic_nack"}) {
    SCOPED_TRACE(name);
    wire_pdu w(test::vector_pdu(name));
    EXPECT_FALSE(find_message(w.p));
    EXPECT_FALSE(decode_message(w.p));
  }
  EXPECT_FALSE(carries_message(static_cast<std::uint32_t>(command_id::deliver_sm_resp)));
  EXPECT_TRUE(carries_message(static_cast<std::uint32_t>(command_id::broadcast_sm)));
}

TEST(DecodeMessage, Gsm7OutsideAlphabetFlag) {
  wire_pdu w(submit(0, 0).short_message(from_hex("48698041")).bytes());
  auto d = decode_message(w.p, {gsm7_packing::unpacked});
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->gsm7_outside_alphabet());
  EXPECT_EQ(d->text.utf8, "Hi\uFFFDA");

  wire_pdu clean(submit(0, 0).short_message(as_bytes("Hello")).bytes());
  d = decode_message(clean.p);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->gsm7_outside_alphabet());

  // A bad UCS2 text is flagged in the text, but it is not a GSM7 lint.
  wire_pdu ucs2(submit(0, 8).short_message(from_hex("004800")).bytes());
  d = decode_message(ucs2.p);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->text.outside_alphabet);
  EXPECT_FALSE(d->gsm7_outside_alphabet());
}

TEST(DecodeMessage, PackingOverrideAppliesWithUdh) {
  const octets ud = [] {
    octets u = from_hex("050003010201");
    const octets packed = gsm7_pack(*utf8_to_gsm7("Hello"), 1);
    u.insert(u.end(), packed.begin(), packed.end());
    return u;
  }();
  wire_pdu w(submit(0x40).short_message(ud).bytes());
  EXPECT_EQ(decode_message(w.p)->text.utf8, "Hello");
  EXPECT_EQ(decode_message(w.p, {gsm7_packing::packed})->text.utf8, "Hello");
  EXPECT_NE(decode_message(w.p, {gsm7_packing::unpacked})->text.utf8, "Hello");
}

}  // namespace
}  // namespace smppscope::decoder
