// sm_length rules: octets, not characters, per coding; the UDH counts; 0-254; message_payload
// means sm_length 0; and the submit_sm example whose published form miscounts (the correct PDU
// is 45 octets, 0x2D).
#include <gtest/gtest.h>

#include <string>

#include "sample_pdus.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/text.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder {
namespace {

using test::from_hex;
using test::octets;
using test::to_hex;

octets submit(std::uint8_t dc, const octets& sm, std::uint8_t esm = 0) {
  return pdu_builder(command_id::submit_sm, 1)
      .set("source_addr", "1234")
      .set("destination_addr", "5678")
      .set("esm_class", esm)
      .set("data_coding", dc)
      .short_message(sm)
      .bytes();
}

std::uint64_t sm_length_of(const octets& w) {
  pdu p;
  EXPECT_FALSE(decode(w, p));
  return p.field("sm_length")->integer;
}

TEST(SmLength, PackedGsm7CountsOctetsNotCharacters) {
  // "Hello": 5 septets packed into 5 octets C8 32 9B FD 06.
  const auto septets = utf8_to_gsm7("Hello");
  ASSERT_TRUE(septets);
  const octets packed = gsm7_pack(*septets);
  EXPECT_EQ(to_hex(packed), "c8329bfd06");
  const octets w = submit(0, packed);
  EXPECT_EQ(sm_length_of(w), 5u);
  // 160 septets pack into 140 octets: the most one short_message holds.
  const octets full = gsm7_pack(octets(160, 0x41));
  EXPECT_EQ(full.size(), 140u);
  EXPECT_EQ(sm_length_of(submit(0, full)), 140u);
}

TEST(SmLength, UnpackedGsm7CountsExtensionCharactersTwice) {
  const auto septets = utf8_to_gsm7("5\xE2\x82\xAC {x}");  // 5€ {x}: € { } are ESC pairs
  ASSERT_TRUE(septets);
  EXPECT_EQ(sm_length_of(submit(0, *septets)), 9u);
}

TEST(SmLength, Ucs2IsTwoOctetsPerCharacter) {
  const octets hi = utf8_to_ucs2("Hi");
  EXPECT_EQ(to_hex(hi), "00480069");
  EXPECT_EQ(sm_length_of(submit(8, hi)), 4u);
  // A character beyond U+FFFF is a surrogate pair: 4 octets.
  EXPECT_EQ(sm_length_of(submit(8, utf8_to_ucs2("\xF0\x9F\x91\x8B"))), 4u);
}

TEST(SmLength, TheUdhCountsInSmLength) {
  // UDH of 6 octets (concat 8-bit) + 67 UCS2 characters (134 octets) = 140.
  octets sm = from_hex("050003070201");
  const octets text = utf8_to_ucs2(std::string(67, 'a'));
  sm.insert(sm.end(), text.begin(), text.end());
  const octets w = submit(8, sm, 0x40);
  EXPECT_EQ(sm_length_of(w), 140u);
  pdu p;
  ASSERT_FALSE(decode(w, p));
  const auto m = decode_message(p);
  ASSERT_TRUE(m && m->msg.header);
  EXPECT_EQ(m->msg.text_octets.size(), 134u);
  EXPECT_EQ(m->text.utf8, std::string(67, 'a'));
}

TEST(SmLength, EachConcatenatedPartHasItsOwn) {
  for (std::uint8_t seq = 1; seq <= 2; ++seq) {
    octets sm = from_hex("0500030902");
    sm.push_back(seq);
    const octets text = utf8_to_ucs2(seq == 1 ? "first part" : "2nd");
    sm.insert(sm.end(), text.begin(), text.end());
    EXPECT_EQ(sm_length_of(submit(8, sm, 0x40)), 6u + text.size());
  }
}

TEST(SmLength, AboveTheOctetsPresentIsAnErrorBelowIsALint) {
  octets w = submit(8, from_hex("00480069"));
  w[w.size() - 5] = 5;  // sm_length says 5, 4 octets follow
  pdu p;
  EXPECT_EQ(decode(w, p).code, decode_errc::sm_length_overrun);
  EXPECT_TRUE(p.has_lint(lint::sm_length_mismatch));
  w[w.size() - 5] = 3;  // says 3: one octet is left over, read as a TLV
  ASSERT_FALSE(decode(w, p));
  EXPECT_TRUE(p.has_lint(lint::sm_length_mismatch));
}

TEST(SmLength, PayloadMeansSmLengthZero) {
  const octets w = pdu_builder(command_id::submit_sm, 1).tlv(0x0424, utf8_to_ucs2("long text")).set("data_coding", 8u).bytes();
  pdu p;
  ASSERT_FALSE(decode(w, p));
  EXPECT_EQ(p.field("sm_length")->integer, 0u);
  EXPECT_FALSE(p.has_lint(lint::sm_and_payload));
  const auto m = decode_message(p);
  ASSERT_TRUE(m && m->msg.from_payload_tlv);
  EXPECT_EQ(m->text.utf8, "long text");
}

// The example from the sm_length explainer: its intended fields make 45 octets (0x2D).
TEST(SmLength, WorkedExampleIs45Octets) {
  const octets w = from_hex(
      "0000002d" "00000004" "00000000" "00000001"  // header: 45 octets, submit_sm
      "00" "01" "01" "3132333400"                  // service_type, source ton/npi, "1234"
      "01" "01" "3536373800"                       // dest ton/npi, "5678"
      "00" "00" "00" "00" "00" "00" "00"           // esm_class .. replace_if_present_flag
      "08" "00" "04" "00480069");                  // data_coding UCS2, sm_default_msg_id, sm_length, "Hi"
  ASSERT_EQ(w.size(), 45u);
  EXPECT_EQ(w, test::vector_pdu("smpp_submit_sm_ucs2_hi"));
  framer f;
  std::size_t frames = 0;
  EXPECT_TRUE(f.feed(w, [&](std::span<const std::uint8_t> frame) { frames += frame.size() == 45; }));
  EXPECT_EQ(frames, 1u);
  pdu p;
  ASSERT_FALSE(decode(w, p));
  EXPECT_EQ(p.lints, 0);
  EXPECT_EQ(p.data_coding(), 8);
  EXPECT_EQ(p.field("sm_length")->integer, 4u);
  const auto m = decode_message(p);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text.utf8, "Hi");
}

TEST(SmLength, WorkedExampleAsPublishedDoesNotAddUp) {
  // As published: command_length 0x3B (59) over 46 octets, with one zero too many before data_coding.
  const octets literal = test::vector_pdu("smpp_submit_sm_seed_literal");
  ASSERT_EQ(literal.size(), 46u);
  EXPECT_EQ(to_hex(octets(literal.begin(), literal.begin() + 4)), "0000003b");
  framer f;
  std::size_t frames = 0;
  EXPECT_TRUE(f.feed(literal, [&](std::span<const std::uint8_t>) { ++frames; }));
  EXPECT_EQ(frames, 0u);  // waits for 13 more octets
  // Read with its length corrected to 46: the eighth zero is data_coding, 08 sm_default_msg_id,
  // sm_length 0, and 04 00 48 00 69 a TLV header that runs past the end.
  octets fixed = literal;
  fixed[3] = 46;
  pdu p;
  ASSERT_FALSE(decode(fixed, p));
  EXPECT_EQ(p.data_coding(), 0);
  EXPECT_EQ(p.field("sm_default_msg_id")->integer, 8u);
  EXPECT_EQ(p.field("sm_length")->integer, 0u);
  EXPECT_TRUE(p.has_lint(lint::tlv_truncated));
}

}  // namespace
}  // namespace smppscope::decoder
