// Message text: GSM 03.38 7-bit (packed and unpacked), IA5, Latin-1, UCS2, Cyrillic, Hebrew,
// binary. All functions are pure; decoding returns UTF-8.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smppscope::decoder {

// How data_coding 0 (and GSM7 message-class codings) is laid out over SMPP: SMPP does not say,
// so it is detected (auto) or set per session (smpp.md section 12).
enum class gsm7_packing : std::uint8_t { auto_detect, packed, unpacked };

struct text_options {
  gsm7_packing packing = gsm7_packing::auto_detect;
};

struct decoded_text {
  std::string utf8;              // the text (binary codings: lowercase hex)
  std::string_view encoding;     // "gsm7", "gsm7-packed", "ascii", "latin1", "ucs2", "binary", ...
  bool binary = false;           // utf8 holds hex, not text
  bool outside_alphabet = false; // GSM7: octet > 0x7F or undefined escape; UCS2: odd length / lone surrogate
};

// Decodes `data` (the text part, after any UDH) for `data_coding`. `fill_bits` applies to packed
// GSM7 that follows a UDH (smpp.md section 12, "UDH and fill bits").
decoded_text decode_text(std::span<const std::uint8_t> data, std::uint8_t data_coding,
                         const text_options& opts = {}, unsigned fill_bits = 0);

// ---- GSM 03.38 primitives ----
// UTF-8 -> septets (one per octet, extension characters as 1B xx); nullopt if a character has no
// GSM7 form.
std::optional<std::vector<std::uint8_t>> utf8_to_gsm7(std::string_view utf8);
// Septets (unpacked, one per octet) -> UTF-8. Sets *outside when a septet is > 0x7F or an escape
// is undefined.
std::string gsm7_to_utf8(std::span<const std::uint8_t> septets, bool* outside = nullptr);
// Packs septets LSB-first after `fill_bits` zero bits. "Hello" -> C8 32 9B FD 06.
std::vector<std::uint8_t> gsm7_pack(std::span<const std::uint8_t> septets, unsigned fill_bits = 0);
// Unpacks `octets` after `fill_bits` into septets; a trailing zero septet produced by padding of
// an 8m-1 message is dropped.
std::vector<std::uint8_t> gsm7_unpack(std::span<const std::uint8_t> octets, unsigned fill_bits = 0);

// ---- UCS2 / UTF-16BE ----
std::vector<std::uint8_t> utf8_to_ucs2(std::string_view utf8);  // surrogate pairs for > U+FFFF
std::string ucs2_to_utf8(std::span<const std::uint8_t> be16, bool* bad = nullptr);

}  // namespace smppscope::decoder
