// Text decoding: GSM 03.38 (3GPP TS 23.038 section 6.2.1), packing, auto-detection, UCS2 and the 8-bit
// code pages.
#include "smppscope/decoder/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smppscope/decoder/pdu.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder {
namespace {

using octets = std::vector<std::uint8_t>;

octets from_hex(std::string_view hex) {
  octets out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] == ' ') {
      --i;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(nib(hex[i]) << 4 | nib(hex[i + 1])));
  }
  return out;
}

octets ascii_septets(std::string_view s) { return octets(s.begin(), s.end()); }

std::string to_hex(const octets& v) {
  std::string s;
  append_hex(s, v);
  return s;
}

// Reference packer, bit by bit (3GPP TS 23.038 section 6.1.2.1, packing): septet i occupies bits
// fill+7i .. fill+7i+6 of an LSB-first stream.
octets reference_pack(const octets& septets, unsigned fill) {
  std::vector<int> bits(fill, 0);
  for (auto s : septets)
    for (int j = 0; j < 7; ++j) bits.push_back((s >> j) & 1);
  while (bits.size() % 8) bits.push_back(0);
  octets out(bits.size() / 8, 0);
  for (std::size_t b = 0; b < bits.size(); ++b) out[b / 8] |= static_cast<std::uint8_t>(bits[b] << (b % 8));
  return out;
}

// ---- GSM7 packing ----

TEST(Gsm7Pack, HelloVector) {
  EXPECT_EQ(to_hex(gsm7_pack(ascii_septets("Hello"))), "c8329bfd06");
  EXPECT_EQ(gsm7_unpack(from_hex("c8329bfd06")), ascii_septets("Hello"));
}

TEST(Gsm7Pack, SeptetCountsAroundOctetBoundaries) {
  struct row {
    std::string_view text, packed;
  };
  // 7 and 15 septets leave 7 spare bits (8m-1), 8 and 16 end exactly on an octet boundary.
  const row rows[] = {
      {"1234567", "31d98c56b3dd00"},
      {"12345678", "31d98c56b3dd70"},
      {"How are you 123", "c8f71d14969741f9771d1493cd00"},
      {"How are you 1234", "c8f71d14969741f9771d1493cd68"},
      {"hellohello", "e8329bfd4697d9ec37"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.text);
    EXPECT_EQ(to_hex(gsm7_pack(ascii_septets(r.text))), r.packed);
    EXPECT_EQ(gsm7_unpack(from_hex(r.packed)), ascii_septets(r.text));
  }
}

TEST(Gsm7Pack, FillBitsZeroToSix) {
  const std::string_view expected[] = {"c8329bfd06", "906536fb0d", "20cb6cf61b", "4096d9ec37",
                                       "802cb3d96f", "005966b3df", "00b2cc66bf01"};
  for (unsigned fill = 0; fill <= 6; ++fill) {
    SCOPED_TRACE(fill);
    const octets packed = gsm7_pack(ascii_septets("Hello"), fill);
    EXPECT_EQ(to_hex(packed), expected[fill]);
    EXPECT_EQ(packed, reference_pack(ascii_septets("Hello"), fill));
    EXPECT_EQ(gsm7_unpack(packed, fill), ascii_septets("Hello"));
  }
}

TEST(Gsm7Pack, MatchesReferenceForEveryLengthAndFill) {
  for (unsigned fill = 0; fill <= 6; ++fill) {
    for (std::size_t n = 0; n <= 48; ++n) {
      octets septets;
      for (std::size_t i = 0; i < n; ++i) septets.push_back(static_cast<std::uint8_t>(0x21 + (i * 37) % 0x5E));
      SCOPED_TRACE(testing::Message() << "fill " << fill << " septets " << n);
      const octets packed = gsm7_pack(septets, fill);
      ASSERT_EQ(packed, reference_pack(septets, fill));
      EXPECT_EQ(packed.size(), (fill + 7 * n + 7) / 8);
      EXPECT_EQ(gsm7_unpack(packed, fill), septets);
    }
  }
}

TEST(Gsm7Pack, TrailingPaddingIsDroppedOnlyInTheSpareSeptet) {
  // 7 septets ending in a real '@' are indistinguishable from 7 + zero padding: dropped.
  // CR padding (23.038) in the spare position is dropped too.
  octets seven = ascii_septets("ABCDEFG");
  octets with_cr = seven;
  with_cr.push_back(0x0D);
  EXPECT_EQ(gsm7_unpack(gsm7_pack(with_cr)), seven);
  // A CR that is not in the spare position is text.
  octets six_cr = ascii_septets("ABCDE\r");
  EXPECT_EQ(gsm7_unpack(gsm7_pack(six_cr)), six_cr);
  // '@' as the 6th of 6 septets: 42 bits in 6 octets, 6 spare bits, no ambiguity.
  octets six_at = ascii_septets("ABCDE");
  six_at.push_back(0x00);
  EXPECT_EQ(gsm7_unpack(gsm7_pack(six_at)), six_at);
}

// ---- GSM 03.38 alphabet ----

// 3GPP TS 23.038 section 6.2.1, transcribed row by row (low nibble), columns 0x..7x; 0 marks ESC (0x1B).
constexpr char32_t alphabet_rows[16][8] = {
    {0x0040, 0x0394, 0x0020, 0x0030, 0x00A1, 0x0050, 0x00BF, 0x0070},
    {0x00A3, 0x005F, 0x0021, 0x0031, 0x0041, 0x0051, 0x0061, 0x0071},
    {0x0024, 0x03A6, 0x0022, 0x0032, 0x0042, 0x0052, 0x0062, 0x0072},
    {0x00A5, 0x0393, 0x0023, 0x0033, 0x0043, 0x0053, 0x0063, 0x0073},
    {0x00E8, 0x039B, 0x00A4, 0x0034, 0x0044, 0x0054, 0x0064, 0x0074},
    {0x00E9, 0x03A9, 0x0025, 0x0035, 0x0045, 0x0055, 0x0065, 0x0075},
    {0x00F9, 0x03A0, 0x0026, 0x0036, 0x0046, 0x0056, 0x0066, 0x0076},
    {0x00EC, 0x03A8, 0x0027, 0x0037, 0x0047, 0x0057, 0x0067, 0x0077},
    {0x00F2, 0x03A3, 0x0028, 0x0038, 0x0048, 0x0058, 0x0068, 0x0078},
    {0x00C7, 0x0398, 0x0029, 0x0039, 0x0049, 0x0059, 0x0069, 0x0079},
    {0x000A, 0x039E, 0x002A, 0x003A, 0x004A, 0x005A, 0x006A, 0x007A},
    {0x00D8, 0, 0x002B, 0x003B, 0x004B, 0x00C4, 0x006B, 0x00E4},
    {0x00F8, 0x00C6, 0x002C, 0x003C, 0x004C, 0x00D6, 0x006C, 0x00F6},
    {0x000D, 0x00E6, 0x002D, 0x003D, 0x004D, 0x00D1, 0x006D, 0x00F1},
    {0x00C5, 0x00DF, 0x002E, 0x003E, 0x004E, 0x00DC, 0x006E, 0x00FC},
    {0x00E5, 0x00C9, 0x002F, 0x003F, 0x004F, 0x00A7, 0x006F, 0x00E0},
};

struct ext_row {
  std::uint8_t septet;
  char32_t cp;
};
constexpr ext_row extension[] = {{0x0A, 0x000C}, {0x14, 0x005E}, {0x28, 0x007B}, {0x29, 0x007D},
                                 {0x2F, 0x005C}, {0x3C, 0x005B}, {0x3D, 0x007E}, {0x3E, 0x005D},
                                 {0x40, 0x007C}, {0x65, 0x20AC}};

std::string utf8_of(char32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

TEST(Gsm7Alphabet, EveryBasicCharacterRoundTrips) {
  int checked = 0;
  for (int low = 0; low < 16; ++low) {
    for (int high = 0; high < 8; ++high) {
      const auto septet = static_cast<std::uint8_t>(high << 4 | low);
      const char32_t cp = alphabet_rows[low][high];
      if (cp == 0) {
        EXPECT_EQ(septet, 0x1B);
        continue;
      }
      SCOPED_TRACE(testing::Message() << "septet 0x" << std::hex << int(septet));
      bool outside = true;
      EXPECT_EQ(gsm7_to_utf8(octets{septet}, &outside), utf8_of(cp));
      EXPECT_FALSE(outside);
      const auto back = utf8_to_gsm7(utf8_of(cp));
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(*back, octets{septet});
      ++checked;
    }
  }
  EXPECT_EQ(checked, 127);
}

TEST(Gsm7Alphabet, EveryExtensionCharacterRoundTrips) {
  for (const auto& e : extension) {
    SCOPED_TRACE(testing::Message() << "1B " << std::hex << int(e.septet));
    const octets pair{0x1B, e.septet};
    bool outside = true;
    EXPECT_EQ(gsm7_to_utf8(pair, &outside), utf8_of(e.cp));
    EXPECT_FALSE(outside);
    EXPECT_EQ(utf8_to_gsm7(utf8_of(e.cp)), pair);
  }
}

TEST(Gsm7Alphabet, CCedillaBothWaysEncodeTo09) {
  EXPECT_EQ(utf8_to_gsm7("\u00C7"), octets{0x09});
  EXPECT_EQ(utf8_to_gsm7("\u00E7"), octets{0x09});
  EXPECT_EQ(gsm7_to_utf8(octets{0x09}), "\u00C7");  // tshark's reading
}

TEST(Gsm7Alphabet, CharactersWithoutGsm7FormAndBadUtf8) {
  EXPECT_FALSE(utf8_to_gsm7("caf\u00E9 \u6F22").has_value());
  EXPECT_FALSE(utf8_to_gsm7("\xC3").has_value());
  EXPECT_FALSE(utf8_to_gsm7("a\xFF").has_value());
  EXPECT_EQ(utf8_to_gsm7("{x}"), (octets{0x1B, 0x28, 'x', 0x1B, 0x29}));
}

TEST(Gsm7Alphabet, OutsideAlphabetAndEscapes) {
  bool outside = false;
  EXPECT_EQ(gsm7_to_utf8(octets{'A', 0x1B, 0x41}, &outside), "AA");  // undefined escape: basic char
  EXPECT_TRUE(outside);
  EXPECT_EQ(gsm7_to_utf8(octets{0x1B, 0x1B}, &outside), " ");
  EXPECT_TRUE(outside);
  EXPECT_EQ(gsm7_to_utf8(octets{'A', 0x1B}, &outside), "A\uFFFD");  // lone trailing escape
  EXPECT_TRUE(outside);
  EXPECT_EQ(gsm7_to_utf8(octets{'A', 0x80, 'B'}, &outside), "A\uFFFDB");
  EXPECT_TRUE(outside);
  EXPECT_EQ(gsm7_to_utf8(octets{'O', 'K'}, &outside), "OK");
  EXPECT_FALSE(outside);
}

TEST(Gsm7Alphabet, VectorAllCharactersUnpacked) {
  const auto frame = test::vector_pdu("smpp_submit_sm_gsm7_alphabet_unpacked");
  pdu p;
  ASSERT_FALSE(decode(frame, p));
  const bytes_view sm = p.short_message();
  ASSERT_EQ(sm.size(), 147u);
  // What tshark printed for this vector (tests/data/vectors/README.md), itself identical to the
  // default alphabet of 3GPP TS 23.038 section 6.2.1.
  const std::string tshark =
      "@\u00A3$\u00A5\u00E8\u00E9\u00F9\u00EC\u00F2\u00C7\n\u00D8\u00F8\r\u00C5\u00E5\u0394_\u03A6\u0393"
      "\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039E\u00C6\u00E6\u00DF\u00C9 !\"#\u00A4%&'()*+,-./0123456789:;<=>?"
      "\u00A1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00C4\u00D6\u00D1\u00DC\u00A7\u00BF"
      "abcdefghijklmnopqrstuvwxyz\u00E4\u00F6\u00F1\u00FC\u00E0\f^{}\\[~]|\u20AC";
  const decoded_text t = decode_text(sm, 0);
  EXPECT_EQ(t.utf8, tshark);
  EXPECT_EQ(t.encoding, "gsm7");
  EXPECT_FALSE(t.outside_alphabet);
  // And the reverse: the text encodes to exactly the vector's septets.
  const auto septets = utf8_to_gsm7(tshark);
  ASSERT_TRUE(septets.has_value());
  EXPECT_EQ(*septets, octets(sm.begin(), sm.end()));
  // Packed, the same 147 septets survive the trip as well.
  EXPECT_EQ(gsm7_unpack(gsm7_pack(*septets)), *septets);
  EXPECT_EQ(decode_text(gsm7_pack(*septets), 0, {gsm7_packing::packed}).utf8, tshark);
}

// ---- auto-detection of packed / unpacked ----

TEST(Gsm7Detect, HelloVectors) {
  const auto packed_frame = test::vector_pdu("smpp_submit_sm_gsm7_packed_hello");
  pdu p;
  ASSERT_FALSE(decode(packed_frame, p));
  decoded_text t = decode_text(p.short_message(), 0);
  EXPECT_EQ(t.utf8, "Hello");
  EXPECT_EQ(t.encoding, "gsm7-packed");

  t = decode_text(ascii_septets("Hello"), 0);
  EXPECT_EQ(t.utf8, "Hello");
  EXPECT_EQ(t.encoding, "gsm7");

  // After a 6-octet UDH: 1 fill bit (vector smpp_submit_sm_udh_gsm7_packed_fill).
  t = decode_text(from_hex("906536fb0d"), 0, {}, 1);
  EXPECT_EQ(t.utf8, "Hello");
  EXPECT_EQ(t.encoding, "gsm7-packed");
}

TEST(Gsm7Detect, OverrideWinsOverDetection) {
  // Forced unpacked, the packed bytes are garbage with octets outside the alphabet.
  decoded_text t = decode_text(from_hex("c8329bfd06"), 0, {gsm7_packing::unpacked});
  EXPECT_EQ(t.encoding, "gsm7");
  EXPECT_TRUE(t.outside_alphabet);
  EXPECT_NE(t.utf8, "Hello");
  // Forced packed, plain "Hello" octets read as packed.
  t = decode_text(ascii_septets("Hello"), 0, {gsm7_packing::packed});
  EXPECT_EQ(t.encoding, "gsm7-packed");
  EXPECT_NE(t.utf8, "Hello");
}

TEST(Gsm7Detect, SentencesBothWays) {
  const std::string_view corpus[] = {
      "Hi",
      "OK",
      "Yes",
      "See you at 5",
      "Your code is 482913",
      "Meet me at the station at 10:30, ok?",
      "Hello world",
      "Gr\u00FC\u00DFe",
      "\u00C7a va? Tr\u00E8s bien, \u00E0 demain",
      "Ihr Bestellcode lautet 7781. G\u00FCltig f\u00FCr 10 Minuten.",
      "R\u00E9servation confirm\u00E9e pour demain \u00E0 9h",
      "Su pedido ha sido enviado. Gracias!",
      "Balance: 12.50 EUR {promo} [x] ~ok~ | \u20AC",
      "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
      "the quick brown fox jumps over the lazy dog 0123456789",
  };
  for (std::string_view s : corpus) {
    SCOPED_TRACE(s);
    const auto septets = utf8_to_gsm7(s);
    ASSERT_TRUE(septets.has_value());
    EXPECT_EQ(detect_gsm7_packing(*septets), gsm7_packing::unpacked);
    EXPECT_EQ(decode_text(*septets, 0).utf8, s);
    for (unsigned fill : {0u, 1u, 2u, 6u}) {
      SCOPED_TRACE(fill);
      const octets packed = gsm7_pack(*septets, fill);
      EXPECT_EQ(detect_gsm7_packing(packed, fill), gsm7_packing::packed);
      const decoded_text t = decode_text(packed, 0, {}, fill);
      EXPECT_EQ(t.utf8, s);
      EXPECT_EQ(t.encoding, "gsm7-packed");
    }
  }
}

TEST(Gsm7Detect, PackedTextWithNoHighOctetIsStillFoundByScore) {
  // Packed text whose octets are all <= 0x7F: only the scoring can tell.
  const std::string_view s = "on CALL 7 LATER";
  const octets packed = gsm7_pack(*utf8_to_gsm7(s));
  bool all_low = true;
  for (auto b : packed) all_low = all_low && b <= 0x7F;
  ASSERT_TRUE(all_low) << to_hex(packed);
  EXPECT_EQ(detect_gsm7_packing(packed), gsm7_packing::packed);
  EXPECT_EQ(decode_text(packed, 0).utf8, s);
}

// ---- other data codings ----

TEST(Ucs2, EmojiSurrogatePair) {
  const std::string text = "Hi \U0001F600!";
  const octets be = from_hex("0048 0069 0020 d83d de00 0021");
  EXPECT_EQ(utf8_to_ucs2(text), be);
  bool bad = true;
  EXPECT_EQ(ucs2_to_utf8(be, &bad), text);
  EXPECT_FALSE(bad);
  const decoded_text t = decode_text(be, 8);
  EXPECT_EQ(t.utf8, text);
  EXPECT_EQ(t.encoding, "ucs2");
  EXPECT_FALSE(t.outside_alphabet);
}

TEST(Ucs2, LoneSurrogatesAndOddLength) {
  bool bad = false;
  EXPECT_EQ(ucs2_to_utf8(from_hex("d83d0041"), &bad), "\uFFFDA");
  EXPECT_TRUE(bad);
  EXPECT_EQ(ucs2_to_utf8(from_hex("de000041"), &bad), "\uFFFDA");
  EXPECT_TRUE(bad);
  EXPECT_EQ(ucs2_to_utf8(from_hex("004100"), &bad), "A\uFFFD");
  EXPECT_TRUE(bad);
  EXPECT_TRUE(decode_text(from_hex("d83d"), 8).outside_alphabet);
}

TEST(Ucs2, VectorHi) {
  const auto frame = test::vector_pdu("smpp_submit_sm_ucs2_hi");
  pdu p;
  ASSERT_FALSE(decode(frame, p));
  EXPECT_EQ(decode_text(p.short_message(), *p.data_coding()).utf8, "Hi");
}

TEST(EightBit, Latin1CyrillicHebrew) {
  decoded_text t = decode_text(from_hex("436166e9 20a3 ff"), 3);
  EXPECT_EQ(t.utf8, "Caf\u00E9 \u00A3\u00FF");
  EXPECT_EQ(t.encoding, "latin1");
  // ISO-8859-5: "Привет" + Ё (A1) № (F0) § (FD) ѐ... ў (FE) and soft hyphen (AD).
  t = decode_text(from_hex("bfe0d8d2d5e2 20 a1 f0 fd fe ad 41"), 6);
  EXPECT_EQ(t.utf8, "\u041F\u0440\u0438\u0432\u0435\u0442 \u0401\u2116\u00A7\u045E\u00ADA");
  EXPECT_EQ(t.encoding, "iso-8859-5");
  // ISO-8859-8: "שלום" + × (AA) ÷ (BA) LRM (FD); A1 is undefined.
  t = decode_text(from_hex("f9ece5ed 20 aa ba fd"), 7);
  EXPECT_EQ(t.utf8, "\u05E9\u05DC\u05D5\u05DD \u00D7\u00F7\u200E");
  EXPECT_FALSE(t.outside_alphabet);
  t = decode_text(from_hex("41a1"), 7);
  EXPECT_EQ(t.utf8, "A\uFFFD");
  EXPECT_TRUE(t.outside_alphabet);
  // IA5: 7-bit only.
  t = decode_text(from_hex("486980"), 1);
  EXPECT_EQ(t.utf8, "Hi\uFFFD");
  EXPECT_EQ(t.encoding, "ascii");
  EXPECT_TRUE(t.outside_alphabet);
}

TEST(DataCoding, GroupsAndBinary) {
  const octets hello = ascii_septets("Hello");
  const octets raw = from_hex("deadbeef");
  for (std::uint8_t dc : {0x02, 0x04, 0x05, 0x09, 0x0A, 0x0E, 0x10, 0x80, 0xBF, 0xF4, 0xF5, 0xF7, 0xFC, 0xFF}) {
    SCOPED_TRACE(int(dc));
    const decoded_text t = decode_text(raw, dc);
    EXPECT_TRUE(t.binary);
    EXPECT_EQ(t.encoding, "binary");
    EXPECT_EQ(t.utf8, "deadbeef");
  }
  for (std::uint8_t dc : {0x00, 0xC0, 0xC3, 0xD0, 0xDF, 0xF0, 0xF1, 0xF2, 0xF3, 0xF8, 0xFB}) {
    SCOPED_TRACE(int(dc));
    const decoded_text t = decode_text(hello, dc);
    EXPECT_FALSE(t.binary);
    EXPECT_EQ(t.utf8, "Hello");
  }
  for (std::uint8_t dc : {0x08, 0xE0, 0xEF}) {
    EXPECT_EQ(decode_text(from_hex("00480069"), dc).utf8, "Hi");
  }
  EXPECT_EQ(alphabet_of(0xE4), text_alphabet::ucs2);
  EXPECT_EQ(alphabet_of(0xF4), text_alphabet::binary);
  EXPECT_EQ(decode_text({}, 0).utf8, "");
}

TEST(TextAppend, AppendsWithoutTouchingThePrefix) {
  std::string out = "prefix:";
  const text_info info = append_text(out, from_hex("00480069"), 8);
  EXPECT_EQ(out, "prefix:Hi");
  EXPECT_EQ(info.encoding, "ucs2");
}

}  // namespace
}  // namespace smppscope::decoder
