// UDH parsing and fill bits (3GPP TS 23.040 section 9.2.3.24), on the reference vectors and on
// hand-made headers.
#include "smppscope/decoder/udh.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder {
namespace {

using octets = std::vector<std::uint8_t>;

std::string hex_of(bytes_view b) {
  std::string s;
  append_hex(s, b);
  return s;
}

struct decoded_vector {
  octets frame;  // owns the bytes the pdu points into
  pdu p;
};

decoded_vector load(const std::string& name) {
  decoded_vector v{test::vector_pdu(name), {}};
  EXPECT_FALSE(decode(v.frame, v.p)) << name;
  return v;
}

TEST(UdhVectors, Concat8BitUcs2) {
  const auto v = load("smpp_submit_sm_udh_concat8_ucs2");
  const auto m = find_message(v.p);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->header);
  EXPECT_EQ(m->header->length(), 5);
  EXPECT_EQ(m->header->size(), 6u);
  EXPECT_EQ(m->header->ie_count, 1);
  ASSERT_TRUE(m->header->concat);
  EXPECT_EQ(m->header->concat->ref, 165);
  EXPECT_EQ(m->header->concat->total, 2);
  EXPECT_EQ(m->header->concat->seq, 1);
  EXPECT_FALSE(m->header->concat->ref16);
  EXPECT_FALSE(m->header->ports);
  const udh_ie ie = *m->header->ies().begin();
  EXPECT_EQ(ie.iei, 0x00);
  EXPECT_EQ(hex_of(ie.data), "a50201");
  EXPECT_EQ(udh_ie_name(ie.iei), "concat_8bit");
  EXPECT_EQ(hex_of(m->text_octets), "00480069");
  EXPECT_EQ(message_text(*m).utf8, "Hi");
}

TEST(UdhVectors, Concat16BitInMessagePayload) {
  const auto v = load("smpp_submit_sm_message_payload_udh");
  const auto m = find_message(v.p);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->from_payload_tlv);
  ASSERT_TRUE(m->header);
  EXPECT_EQ(m->header->length(), 6);
  ASSERT_TRUE(m->header->concat);
  EXPECT_EQ(m->header->concat->ref, 0xBEEF);
  EXPECT_EQ(m->header->concat->total, 2);
  EXPECT_EQ(m->header->concat->seq, 1);
  EXPECT_TRUE(m->header->concat->ref16);
  ASSERT_TRUE(m->concat);
  EXPECT_EQ(m->concat->source, concat_source::udh_16bit);
  EXPECT_EQ(m->concat->ref, 48879);
  EXPECT_EQ(message_text(*m).utf8, "Hello world");
}

TEST(UdhVectors, Ports16BitWithBinaryBody) {
  const auto v = load("smpp_submit_sm_udh_ports16");
  const auto m = find_message(v.p);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->header);
  ASSERT_TRUE(m->header->ports);
  EXPECT_EQ(m->header->ports->dest, 16000);
  EXPECT_EQ(m->header->ports->orig, 16001);
  EXPECT_TRUE(m->header->ports->wide);
  EXPECT_FALSE(m->header->concat);
  EXPECT_FALSE(m->concat);
  EXPECT_EQ(udh_ie_name(m->header->ies().begin()->iei), "port_16bit");
  const decoded_text t = message_text(*m);
  EXPECT_TRUE(t.binary);
  EXPECT_EQ(t.utf8, "deadbeef");
}

TEST(UdhVectors, PackedGsm7AfterUdhUsesFillBits) {
  const auto v = load("smpp_submit_sm_udh_gsm7_packed_fill");
  const auto m = find_message(v.p);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->header);
  EXPECT_EQ(m->header->size(), 6u);
  EXPECT_EQ(m->fill_bits, 1u);
  ASSERT_TRUE(m->concat);
  EXPECT_EQ(m->concat->ref, 1);
  EXPECT_EQ(m->concat->total, 2);
  EXPECT_EQ(m->concat->seq, 1);
  EXPECT_EQ(hex_of(m->text_octets), "906536fb0d");
  const decoded_text t = message_text(*m);  // auto-detected
  EXPECT_EQ(t.utf8, "Hello");
  EXPECT_EQ(t.encoding, "gsm7-packed");
  // Without the fill bit the text is wrong: the fill bits really are applied.
  EXPECT_NE(decode_text(m->text_octets, 0, {gsm7_packing::packed}, 0).utf8, "Hello");
}

TEST(UdhParse, SeveralIesAndPorts8Bit) {
  // UDHL 12: 8-bit ports 0x05/0x06, an IE 0x70 with 1 octet, 8-bit concat.
  const octets ud = {12, 0x04, 0x02, 0x05, 0x06, 0x70, 0x01, 0xAA, 0x00, 0x03, 0x07, 0x03, 0x02, 'x'};
  udh h;
  ASSERT_FALSE(parse_udh(ud, h));
  EXPECT_EQ(h.size(), 13u);
  EXPECT_EQ(h.ie_count, 3);
  ASSERT_TRUE(h.ports);
  EXPECT_EQ(h.ports->dest, 5);
  EXPECT_EQ(h.ports->orig, 6);
  EXPECT_FALSE(h.ports->wide);
  ASSERT_TRUE(h.concat);
  EXPECT_EQ(h.concat->ref, 7);
  EXPECT_EQ(h.concat->seq, 2);
  std::vector<std::string_view> names;
  for (const udh_ie& ie : h.ies()) names.push_back(udh_ie_name(ie.iei));
  EXPECT_EQ(names, (std::vector<std::string_view>{"port_8bit", "sim_toolkit_security", "concat_8bit"}));
}

TEST(UdhParse, EmptyIeAndLastConcatWins) {
  const octets ud = {13, 0x0A, 0x00, 0x00, 0x03, 0x01, 0x02, 0x01, 0x08, 0x04, 0x12, 0x34, 0x05, 0x05};
  udh h;
  ASSERT_FALSE(parse_udh(ud, h));
  EXPECT_EQ(h.ie_count, 3);
  ASSERT_TRUE(h.concat);
  EXPECT_TRUE(h.concat->ref16);
  EXPECT_EQ(h.concat->ref, 0x1234);
  EXPECT_EQ(h.concat->total, 5);
  EXPECT_EQ(h.concat->seq, 5);
  EXPECT_TRUE((*h.ies().begin()).data.empty());
}

TEST(UdhParse, RejectsOverruns) {
  udh h;
  EXPECT_EQ(parse_udh(octets{}, h).code, udh_errc::empty);
  EXPECT_EQ(parse_udh(octets{0x00, 0x41}, h).code, udh_errc::zero_length);
  // UDHL 5 but only 3 octets follow.
  udh_error e = parse_udh(octets{0x05, 0x00, 0x03, 0x01}, h);
  EXPECT_EQ(e.code, udh_errc::length_overrun);
  EXPECT_EQ(e.offset, 0u);
  EXPECT_TRUE(h.raw.empty());
  // The second IE claims 3 octets, only 1 is left inside UDHL 7.
  e = parse_udh(octets{0x07, 0x04, 0x02, 0x01, 0x02, 0x00, 0x03, 0x01, 'a', 'b'}, h);
  EXPECT_EQ(e.code, udh_errc::ie_overrun);
  EXPECT_EQ(e.offset, 5u);
  EXPECT_EQ(e.message(), "UDH: information element runs past UDHL at offset 5");
  // An IE header cut by UDHL.
  EXPECT_EQ(parse_udh(octets{0x01, 0x00, 0x41}, h).code, udh_errc::ie_overrun);
  EXPECT_FALSE(parse_udh(octets{0x01, 0x00}).has_value());
}

TEST(UdhParse, InvalidConcatIsIgnoredNotFatal) {
  const octets bad[] = {
      {0x05, 0x00, 0x03, 0x01, 0x00, 0x01},  // total 0
      {0x05, 0x00, 0x03, 0x01, 0x02, 0x00},  // seq 0
      {0x05, 0x00, 0x03, 0x01, 0x02, 0x03},  // seq > total
      {0x04, 0x00, 0x02, 0x01, 0x02},        // IEDL 2 for an 8-bit concat
      {0x06, 0x08, 0x04, 0x00, 0x01, 0x00, 0x00},  // 16-bit, total 0
  };
  for (const octets& ud : bad) {
    SCOPED_TRACE(hex_of(ud));
    udh h;
    ASSERT_FALSE(parse_udh(ud, h));
    EXPECT_FALSE(h.concat);
    EXPECT_TRUE(h.concat_ignored);
    EXPECT_EQ(h.ie_count, 1);
  }
  udh h;
  ASSERT_FALSE(parse_udh(octets{0x05, 0x00, 0x03, 0x01, 0x02, 0x02}, h));
  EXPECT_TRUE(h.concat);
  EXPECT_FALSE(h.concat_ignored);
}

TEST(UdhFillBits, TableAndFormula) {
  EXPECT_EQ(gsm7_fill_bits(5), 2u);  // 8-bit ports
  EXPECT_EQ(gsm7_fill_bits(6), 1u);  // 8-bit concat
  EXPECT_EQ(gsm7_fill_bits(7), 0u);  // 16-bit concat / ports
  for (std::size_t n = 1; n <= 140; ++n) {
    const unsigned f = gsm7_fill_bits(n);
    EXPECT_LT(f, 7u);
    EXPECT_EQ((8 * n + f) % 7, 0u) << n;  // the text starts on a septet boundary
  }
}

TEST(UdhFillBits, PackedTextAfterEveryUdhLength) {
  // UDH of n octets + packed text starting at the next septet boundary decodes for any n.
  const auto septets = utf8_to_gsm7("Fill bits work");
  ASSERT_TRUE(septets);
  for (std::size_t n = 3; n <= 12; ++n) {
    SCOPED_TRACE(n);
    octets ud = {static_cast<std::uint8_t>(n - 1)};
    // One unknown IE filling the UDH.
    ud.push_back(0xC0);
    ud.push_back(static_cast<std::uint8_t>(n - 3));
    ud.resize(n, 0x55);
    const octets text = gsm7_pack(*septets, gsm7_fill_bits(n));
    ud.insert(ud.end(), text.begin(), text.end());
    udh h;
    ASSERT_FALSE(parse_udh(ud, h));
    ASSERT_EQ(h.size(), n);
    const auto body = bytes_view(ud).subspan(h.size());
    EXPECT_EQ(decode_text(body, 0, {gsm7_packing::packed}, gsm7_fill_bits(h.size())).utf8, "Fill bits work");
  }
}

}  // namespace
}  // namespace smppscope::decoder
