// GSM 03.38 national language tables (3GPP TS 23.038 annex A) applied from the UDH's IEs 0x24
// (single shift) and 0x25 (locking shift), through decode_text, find_message and reassembly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sample_pdus.hpp"
#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/reassembler.hpp"
#include "smppscope/decoder/text.hpp"
#include "smppscope/decoder/udh.hpp"

namespace smppscope::decoder {
namespace {

using test::from_hex;
using test::octets;

text_options lang(std::uint8_t locking, std::uint8_t single) {
  text_options o;
  o.packing = gsm7_packing::unpacked;
  o.locking_shift = locking;
  o.single_shift = single;
  return o;
}

std::string text_of(const octets& septets, const text_options& o, bool* outside = nullptr) {
  const decoded_text t = decode_text(septets, 0, o);
  if (outside) *outside = t.outside_alphabet;
  return t.utf8;
}

TEST(NationalLanguage, TurkishLockingShiftTable) {
  // "Işık ğüzel Şeker çay" in the Turkish locking shift table: ı 07, ğ 0C, Ş 1C, ç 60, İ 40.
  const octets s{0x40, 0x1D, 0x07, 0x6B, 0x20, 0x0C, 0x7E, 0x7A, 0x65, 0x6C, 0x20,
                 0x1C, 0x65, 0x6B, 0x65, 0x72, 0x20, 0x60, 0x61, 0x79, 0x04};
  bool outside = true;
  EXPECT_EQ(text_of(s, lang(1, 0), &outside), "\xC4\xB0\xC5\x9F\xC4\xB1k \xC4\x9F\xC3\xBCzel \xC5\x9E" "eker \xC3\xA7" "ay\xE2\x82\xAC");
  EXPECT_FALSE(outside);
  // The same septets under the default alphabet read differently (07 is ì, 04 is è).
  EXPECT_EQ(text_of(s, lang(0, 0)).substr(0, 2), "\xC2\xA1");  // 0x40: ¡
}

TEST(NationalLanguage, TurkishSingleShiftTable) {
  // ESC 47 Ğ, ESC 49 İ, ESC 53 Ş, ESC 63 ç, ESC 67 ğ, ESC 69 ı, ESC 73 ş, ESC 65 €; the default
  // extension characters stay (ESC 28 '{').
  const octets s{0x1B, 0x47, 0x1B, 0x49, 0x1B, 0x53, 0x1B, 0x63, 0x1B, 0x67, 0x1B, 0x69, 0x1B, 0x73, 0x1B, 0x65, 0x1B, 0x28};
  bool outside = true;
  EXPECT_EQ(text_of(s, lang(0, 1), &outside),
            "\xC4\x9E\xC4\xB0\xC5\x9E\xC3\xA7\xC4\x9F\xC4\xB1\xC5\x9F\xE2\x82\xAC{");
  EXPECT_FALSE(outside);
  // Without the table ESC 47 is undefined: the basic character, flagged.
  EXPECT_EQ(text_of({0x1B, 0x47}, lang(0, 0), &outside), "G");
  EXPECT_TRUE(outside);
}

TEST(NationalLanguage, SpanishSingleShiftTable) {
  // "Canción ¿Qué tal? Ú" with ó á é etc. from the Spanish single shift: ESC 6F ó, ESC 41 Á,
  // ESC 69 í, ESC 75 ú, ESC 09 ç; é is in the basic table (05).
  const octets s{0x43, 0x61, 0x6E, 0x63, 0x69, 0x1B, 0x6F, 0x6E, 0x20, 0x1B, 0x41, 0x1B, 0x69, 0x1B, 0x75, 0x1B, 0x09, 0x05};
  bool outside = true;
  EXPECT_EQ(text_of(s, lang(0, 2), &outside), "Canci\xC3\xB3n \xC3\x81\xC3\xAD\xC3\xBA\xC3\xA7\xC3\xA9");
  EXPECT_FALSE(outside);
}

TEST(NationalLanguage, SpanishHasNoLockingShiftTableSoTheDefaultStays) {
  const octets s{0x48, 0x6F, 0x6C, 0x61, 0x7D};  // "Holañ"
  EXPECT_EQ(text_of(s, lang(2, 0)), "Hola\xC3\xB1");
}

TEST(NationalLanguage, PortugueseLockingAndSingleShift) {
  // Locking: 04 ê, 06 ú, 07 í, 08 ó, 09 ç, 0E Á, 5B Ã, 7B ã, 7C õ, 15 ∞, 18 €.
  const octets locking{0x6E, 0x61, 0x09, 0x7B, 0x6F, 0x20, 0x0E, 0x5B, 0x20, 0x7C, 0x04, 0x06, 0x07, 0x08, 0x15, 0x18};
  bool outside = true;
  EXPECT_EQ(text_of(locking, lang(3, 0), &outside),
            "na\xC3\xA7\xC3\xA3o \xC3\x81\xC3\x83 \xC3\xB5\xC3\xAA\xC3\xBA\xC3\xAD\xC3\xB3\xE2\x88\x9E\xE2\x82\xAC");
  EXPECT_FALSE(outside);
  // Single shift over the default basic table: ESC 5B Ã, ESC 7C õ, ESC 12 Φ, ESC 7F â.
  const octets single{0x1B, 0x5B, 0x1B, 0x7C, 0x1B, 0x12, 0x1B, 0x7F};
  EXPECT_EQ(text_of(single, lang(0, 3), &outside), "\xC3\x83\xC3\xB5\xCE\xA6\xC3\xA2");
  EXPECT_FALSE(outside);
}

TEST(NationalLanguage, IndicAndUrduTables) {
  // Hindi locking (language 6): 04 आ, 2F न, 0A LF; Hindi single shift: ESC 2C क़ (U+0958, not
  // decomposed), ESC 65 €.
  EXPECT_EQ(text_of({0x04, 0x2F, 0x0A, 0x1B, 0x2C, 0x1B, 0x65}, lang(6, 6)),
            "\xE0\xA4\x86\xE0\xA4\xA8\n\xE0\xA5\x98\xE2\x82\xAC");
  // Urdu locking (13): 00 ا, 02 ب; Urdu single shift keeps the Latin capitals (ESC 41 A).
  EXPECT_EQ(text_of({0x00, 0x02, 0x20, 0x1B, 0x41}, lang(13, 13)), "\xD8\xA7\xD8\xA8 A");
  // Tamil locking (11): 0x09 is undefined there: replacement character, flagged.
  bool outside = false;
  EXPECT_EQ(text_of({0x09}, lang(11, 0), &outside), "\xEF\xBF\xBD");
  EXPECT_TRUE(outside);
  // Every table of languages 1-13 decodes all 128 septets (undefined ones as U+FFFD), and the
  // letters a-z stay where the default alphabet has them.
  for (std::uint8_t l = 1; l <= 13; ++l) {
    octets all;
    for (std::uint8_t s = 0x61; s <= 0x7A; ++s) all.push_back(s);
    EXPECT_EQ(text_of(all, lang(l, l)), "abcdefghijklmnopqrstuvwxyz") << int(l);
  }
}

TEST(NationalLanguage, UnknownLanguageFallsBackToTheDefault) {
  const octets s{0x48, 0x69, 0x1B, 0x65};  // "Hi€"
  EXPECT_EQ(text_of(s, lang(0x7F, 0x7F)), "Hi\xE2\x82\xAC");
}

TEST(NationalLanguage, UdhIesSelectTheTablesOfAMessage) {
  // UDH: single shift Turkish (24 01 01) and locking shift Turkish (25 01 01); then "ış" in the
  // locking table (07 1D) and "Ğ" by single shift (1B 47), one septet per octet.
  const octets sm = from_hex("0624010125010107" "1d1b47");
  const octets w = pdu_builder(command_id::submit_sm, 1)
                       .set("source_addr", "1")
                       .set("destination_addr", "2")
                       .set("esm_class", 0x40u)
                       .short_message(sm)
                       .bytes();
  pdu p;
  ASSERT_FALSE(decode(w, p));
  const auto m = find_message(p);
  ASSERT_TRUE(m && m->header);
  EXPECT_EQ(m->header->single_shift, 1);
  EXPECT_EQ(m->header->locking_shift, 1);
  text_options o;
  o.packing = gsm7_packing::unpacked;
  EXPECT_EQ(message_text(*m, o).utf8, "\xC4\xB1\xC5\x9F\xC4\x9E");
}

TEST(NationalLanguage, PackedMessageWithShiftIesAndFillBits) {
  // UDH 03 25 01 03 (Portuguese locking, 4 octets: 4 fill bits), then "ação" packed.
  const octets septets{0x61, 0x09, 0x7B, 0x6F};
  octets sm = from_hex("03250103");
  const auto packed = gsm7_pack(septets, gsm7_fill_bits(4));
  sm.insert(sm.end(), packed.begin(), packed.end());
  const octets w = pdu_builder(command_id::deliver_sm, 1).set("esm_class", 0x40u).short_message(sm).bytes();
  pdu p;
  ASSERT_FALSE(decode(w, p));
  const auto m = find_message(p);
  ASSERT_TRUE(m);
  text_options o;
  o.packing = gsm7_packing::packed;
  EXPECT_EQ(message_text(*m, o).utf8, "a\xC3\xA7\xC3\xA3o");
}

TEST(NationalLanguage, ReassemblyKeepsTheTablesOfTheParts) {
  auto part = [](std::uint8_t seq, const octets& text) {
    octets sm = from_hex("080003420201250101");  // concat ref 0x42, 2 parts, seq; locking Turkish
    sm[5] = seq;
    sm.insert(sm.end(), text.begin(), text.end());
    return pdu_builder(command_id::submit_sm, seq)
        .set("source_addr", "1")
        .set("destination_addr", "2")
        .set("esm_class", 0x40u)
        .short_message(sm)
        .bytes();
  };
  reassembler r;
  text_options o;
  o.packing = gsm7_packing::unpacked;
  std::vector<reassembled_message> done;
  for (std::uint8_t seq : {std::uint8_t{1}, std::uint8_t{2}}) {
    const octets w = part(seq, seq == 1 ? octets{0x61, 0x07} : octets{0x1C, 0x62});  // "aı" + "Şb"
    pdu p;
    ASSERT_FALSE(decode(w, p));
    const auto m = find_message(p);
    ASSERT_TRUE(m && m->concat);
    auto res = r.add({1, 0, m->source_addr, m->destination_addr}, *m, 0, o);
    if (res.message) done.push_back(std::move(*res.message));
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].text.utf8, "a\xC4\xB1\xC5\x9E" "b");
}

}  // namespace
}  // namespace smppscope::decoder
