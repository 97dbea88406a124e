// GSM 03.38 national language tables (3GPP TS 23.038 section 6.2.1.2.4), selected by the UDH's
// national language single shift (IEI 0x24) and locking shift (IEI 0x25) information elements
// (3GPP TS 23.040 sections 9.2.3.24.15 and 9.2.3.24.16). Internal to the decoder.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace smppscope::decoder::detail {

// A locking shift table replaces the basic table: 128 code points, 0 where undefined (0x1B, the
// escape to the single shift table, is undefined as a character).
using gsm7_table = std::array<char16_t, 128>;

// One character of a single shift table: the septet after ESC and what it means.
struct gsm7_shift_entry {
  std::uint8_t septet;
  char16_t cp;
};

// National language identifiers (3GPP TS 23.038 section 6.2.1.2.4).
enum class gsm7_language : std::uint8_t {
  reserved = 0, turkish = 1, spanish = 2, portuguese = 3, bengali = 4, gujarati = 5, hindi = 6,
  kannada = 7, malayalam = 8, oriya = 9, punjabi = 10, tamil = 11, telugu = 12, urdu = 13,
};

// nullptr when the language has no locking shift table (Spanish has none in the specification).
const gsm7_table* gsm7_locking_table(std::uint8_t language) noexcept;
// Empty when the language has no single shift table here.
std::span<const gsm7_shift_entry> gsm7_single_shift_table(std::uint8_t language) noexcept;

}  // namespace smppscope::decoder::detail
