// Text decoding for every data_coding (SMPP v3.4 section 5.2.19; 3GPP TS 23.038 section 6.2.1).
#include "smppscope/decoder/text.hpp"

#include <array>

#include "gsm7_national.hpp"

namespace smppscope::decoder {
namespace {

using bytes = std::span<const std::uint8_t>;

constexpr char32_t replacement = 0xFFFD;
constexpr std::uint8_t esc = 0x1B;

// GSM 03.38 basic table (3GPP TS 23.038 section 6.2.1); 0x1B is the escape to the extension table.
constexpr std::array<char16_t, 128> gsm7_basic = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,  // 00-07
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,  // 08-0F
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,  // 10-17
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9,  // 18-1F (1B: ESC)
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,  // 20-27
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,  // 28-2F
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,  // 30-37
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,  // 38-3F
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,  // 40-47
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,  // 48-4F
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,  // 50-57
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,  // 58-5F
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,  // 60-67
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,  // 68-6F
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,  // 70-77
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,  // 78-7F
};

struct gsm7_ext_entry {
  std::uint8_t septet;
  char16_t cp;
};
// Extension table after ESC (3GPP TS 23.038 section 6.2.1).
constexpr std::array<gsm7_ext_entry, 10> gsm7_ext = {{
    {0x0A, 0x000C}, {0x14, 0x005E}, {0x28, 0x007B}, {0x29, 0x007D}, {0x2F, 0x005C},
    {0x3C, 0x005B}, {0x3D, 0x007E}, {0x3E, 0x005D}, {0x40, 0x007C}, {0x65, 0x20AC},
}};

constexpr char32_t gsm7_ext_lookup(std::uint8_t septet) noexcept {
  for (const auto& e : gsm7_ext)
    if (e.septet == septet) return e.cp;
  return 0;
}

// ISO-8859-8 0xA0-0xFF (0 = undefined).
constexpr std::array<char16_t, 96> iso8859_8_high = [] {
  std::array<char16_t, 96> t{};
  for (int b = 0xA0; b <= 0xBE; ++b) t[b - 0xA0] = static_cast<char16_t>(b);  // as Latin-1
  t[0xA1 - 0xA0] = 0;
  t[0xAA - 0xA0] = 0x00D7;  // multiplication sign
  t[0xBA - 0xA0] = 0x00F7;  // division sign
  t[0xDF - 0xA0] = 0x2017;  // double low line
  for (int b = 0xE0; b <= 0xFA; ++b) t[b - 0xA0] = static_cast<char16_t>(0x05D0 + (b - 0xE0));
  t[0xFD - 0xA0] = 0x200E;  // LRM
  t[0xFE - 0xA0] = 0x200F;  // RLM
  return t;
}();

constexpr char32_t iso8859_5(std::uint8_t b) noexcept {
  if (b < 0xA1) return b;
  if (b == 0xAD) return 0x00AD;
  if (b == 0xF0) return 0x2116;
  if (b == 0xFD) return 0x00A7;
  return 0x0360 + b;  // A1-AC -> U+0401.., AE-FF -> U+040E..U+045F
}

// ---- septet sources: unpacked (one per octet) and packed (LSB-first bit stream) ----

struct packed_reader {
  bytes data;
  unsigned fill;
  std::size_t count;  // septets, padding excluded

  packed_reader(bytes d, unsigned fill_bits) : data(d), fill(fill_bits % 8) {
    const std::size_t bits = data.size() * 8;
    count = bits > fill ? (bits - fill) / 7 : 0;
    // 7 spare bits after an 8m-1 message read as one more septet: zero or CR padding (23.038).
    if (count > 0 && (bits - fill) % 7 == 0) {
      const std::uint8_t last = (*this)[count - 1];
      if (last == 0x00 || last == 0x0D) --count;
    }
  }
  std::uint8_t operator[](std::size_t i) const noexcept {
    const std::size_t bit = fill + 7 * i;
    const std::size_t k = bit / 8;
    const unsigned shift = bit % 8;
    unsigned v = data[k] >> shift;
    if (shift > 1 && k + 1 < data.size()) v |= static_cast<unsigned>(data[k + 1]) << (8 - shift);
    return static_cast<std::uint8_t>(v & 0x7F);
  }
  std::size_t size() const noexcept { return count; }
};

struct unpacked_reader {
  bytes data;
  std::uint8_t operator[](std::size_t i) const noexcept { return data[i]; }
  std::size_t size() const noexcept { return data.size(); }
};

// The tables a message's septets are read with: the basic table (or a national locking shift
// table) and the extension table after ESC (or a national single shift table).
struct gsm7_tables {
  const std::array<char16_t, 128>* basic = &gsm7_basic;
  std::span<const detail::gsm7_shift_entry> single{};  // empty: the default extension table

  explicit gsm7_tables(const text_options& o = {}) noexcept {
    if (const auto* t = detail::gsm7_locking_table(o.locking_shift)) basic = t;
    single = detail::gsm7_single_shift_table(o.single_shift);
  }
  char32_t after_escape(std::uint8_t septet) const noexcept {
    if (single.empty()) return gsm7_ext_lookup(septet);
    for (const auto& e : single)
      if (e.septet == septet) return e.cp;
    return 0;
  }
};

// Decodes septets to UTF-8; returns true when every septet was in the alphabet.
template <class Reader>
bool gsm7_decode(std::string& out, const Reader& r, const gsm7_tables& tables = gsm7_tables{}) {
  bool ok = true;
  const auto& basic = *tables.basic;
  const std::size_t n = r.size();
  out.reserve(out.size() + n);  // at least one octet per septet
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t s = r[i];
    if (s > 0x7F) {
      append_utf8(out, replacement);
      ok = false;
      continue;
    }
    if (s != esc) {
      const char16_t cp = basic[s];
      if (cp == 0) {  // undefined in a national locking shift table
        append_utf8(out, replacement);
        ok = false;
      } else if (cp < 0x80) {  // most text: one octet, no call
        out.push_back(static_cast<char>(cp));
      } else {
        append_utf8(out, cp);
      }
      continue;
    }
    if (i + 1 >= n) {  // lone ESC at the end
      append_utf8(out, replacement);
      ok = false;
      continue;
    }
    const std::uint8_t x = r[++i];
    if (const char32_t cp = x <= 0x7F ? tables.after_escape(x) : 0) {
      append_utf8(out, cp);
    } else {  // undefined escape: 23.038 shows the basic character (1B 1B: a space)
      const char32_t shown = x <= 0x7F ? char32_t{basic[x]} : 0;
      append_utf8(out, x == esc ? char32_t{0x20} : shown != 0 ? shown : replacement);
      ok = false;
    }
  }
  return ok;
}

// How much a septet looks like message text, 0..4 (auto-detection only).
constexpr std::array<std::uint8_t, 128> septet_weight = [] {
  std::array<std::uint8_t, 128> w{};
  for (auto& x : w) x = 1;  // Greek capitals, currency, rare symbols
  for (int c = 'a'; c <= 'z'; ++c) w[c] = 4;
  for (int c = 'A'; c <= 'Z'; ++c) w[c] = 4;
  for (int c = '0'; c <= '9'; ++c) w[c] = 4;
  w[' '] = 4;
  for (char c : std::string_view("!\"#%&'()*+,-./:;<=>?")) w[static_cast<unsigned char>(c)] = 3;
  w[0x0A] = 3;  // LF
  w[0x0D] = 2;  // CR
  for (int c : {0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0C, 0x0E, 0x0F, 0x1C, 0x1D, 0x1E, 0x1F,
                0x5B, 0x5C, 0x5D, 0x5E, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F})
    w[c] = 3;   // accented Latin letters: è é ù ì ò Ç Ø ø Å å Æ æ ß É Ä Ö Ñ Ü ä ö ñ ü à
  w[0x00] = 0;  // '@' rarely repeats in text; zero runs are padding or binary
  w[esc] = 0;   // scored with the following septet
  return w;
}();

template <class Reader>
std::uint32_t gsm7_score(const Reader& r) noexcept {
  std::uint32_t score = 0;
  const std::size_t n = r.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t s = r[i];
    if (s > 0x7F) continue;
    if (s == esc) {
      if (i + 1 < n && r[i + 1] <= 0x7F && gsm7_ext_lookup(r[i + 1]) != 0) {
        score += 2 * 3;  // a valid extension pair counts as two plausible septets
        ++i;
      }
      continue;
    }
    score += septet_weight[s];
  }
  return score;
}

void append_latin1(std::string& out, bytes data) {
  for (std::uint8_t b : data) append_utf8(out, b);
}

bool append_ascii(std::string& out, bytes data) {
  bool ok = true;
  for (std::uint8_t b : data) {
    if (b > 0x7F) {
      append_utf8(out, replacement);
      ok = false;
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  return ok;
}

bool append_ucs2(std::string& out, bytes data) {
  bool ok = true;
  const std::size_t n = data.size() / 2;
  for (std::size_t i = 0; i < n; ++i) {
    const char32_t u = (char32_t{data[2 * i]} << 8) | data[2 * i + 1];
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 < n) {
        const char32_t l = (char32_t{data[2 * i + 2]} << 8) | data[2 * i + 3];
        if (l >= 0xDC00 && l <= 0xDFFF) {
          append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00));
          ++i;
          continue;
        }
      }
      append_utf8(out, replacement);
      ok = false;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      append_utf8(out, replacement);
      ok = false;
    } else {
      append_utf8(out, u);
    }
  }
  if (data.size() % 2 != 0) {
    append_utf8(out, replacement);
    ok = false;
  }
  return ok;
}

// Next code point of UTF-8 text; returns replacement and advances one octet on invalid input.
char32_t next_code_point(std::string_view s, std::size_t& i, bool& valid) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  valid = true;
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  }
  if (len == 0 || i + len > s.size()) {
    ++i;
    valid = false;
    return replacement;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      valid = false;
      return replacement;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    valid = false;
    return replacement;
  }
  i += len;
  return cp;
}

}  // namespace

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    const char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    const char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                       static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 3);
  } else {
    const char b[4] = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                       static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 4);
  }
}

void append_hex(std::string& out, std::span<const std::uint8_t> data) {
  static constexpr char digits[] = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + 2 * data.size());
  char* p = out.data() + at;
  for (std::uint8_t b : data) {
    *p++ = digits[b >> 4];
    *p++ = digits[b & 0x0F];
  }
}

text_alphabet alphabet_of(std::uint8_t dc) noexcept {
  switch (dc) {
    case 0x00: return text_alphabet::gsm7;
    case 0x01: return text_alphabet::ascii;
    case 0x03: return text_alphabet::latin1;
    case 0x06: return text_alphabet::cyrillic;
    case 0x07: return text_alphabet::hebrew;
    case 0x08: return text_alphabet::ucs2;
    default: break;
  }
  if (dc >= 0xC0 && dc <= 0xDF) return text_alphabet::gsm7;  // message waiting, discard / store
  if (dc >= 0xE0 && dc <= 0xEF) return text_alphabet::ucs2;  // message waiting, store, UCS2
  if (dc >= 0xF0) return (dc & 0x04) ? text_alphabet::binary : text_alphabet::gsm7;  // message class
  return text_alphabet::binary;
}

gsm7_packing detect_gsm7_packing(std::span<const std::uint8_t> data, unsigned fill_bits) noexcept {
  for (std::uint8_t b : data)
    if (b > 0x7F) return gsm7_packing::packed;
  const packed_reader packed(data, fill_bits);
  const unpacked_reader unpacked{data};
  if (packed.size() == 0) return gsm7_packing::unpacked;
  // Compare scores per character (scaled to avoid floating point): packed must beat unpacked
  // by more than 1/8 of the maximum weight (4), so an unpacked score above 3.5 always wins.
  const std::uint64_t su = gsm7_score(unpacked), nu = unpacked.size();
  if (2 * su > 7 * nu) return gsm7_packing::unpacked;
  const std::uint64_t sp = gsm7_score(packed), np = packed.size();
  // sp/np > su/nu + 0.5/4  <=>  8*sp*nu > 8*su*np + np*nu
  return 8 * sp * nu > 8 * su * np + np * nu ? gsm7_packing::packed : gsm7_packing::unpacked;
}

text_info append_text(std::string& out, std::span<const std::uint8_t> data, std::uint8_t dc,
                      const text_options& opts, unsigned fill_bits) {
  text_info info;
  switch (alphabet_of(dc)) {
    case text_alphabet::gsm7: {
      gsm7_packing p = opts.packing;
      if (p == gsm7_packing::auto_detect) p = detect_gsm7_packing(data, fill_bits);
      const gsm7_tables tables(opts);
      if (p == gsm7_packing::packed) {
        info.encoding = "gsm7-packed";
        info.outside_alphabet = !gsm7_decode(out, packed_reader(data, fill_bits), tables);
      } else {
        info.encoding = "gsm7";
        info.outside_alphabet = !gsm7_decode(out, unpacked_reader{data}, tables);
      }
      return info;
    }
    case text_alphabet::ascii:
      info.encoding = "ascii";
      info.outside_alphabet = !append_ascii(out, data);
      return info;
    case text_alphabet::latin1:
      info.encoding = "latin1";
      append_latin1(out, data);
      return info;
    case text_alphabet::ucs2:
      info.encoding = "ucs2";
      info.outside_alphabet = !append_ucs2(out, data);
      return info;
    case text_alphabet::cyrillic:
      info.encoding = "iso-8859-5";
      for (std::uint8_t b : data) append_utf8(out, iso8859_5(b));
      return info;
    case text_alphabet::hebrew:
      info.encoding = "iso-8859-8";
      for (std::uint8_t b : data) {
        const char32_t cp = b < 0xA0 ? char32_t{b} : char32_t{iso8859_8_high[b - 0xA0]};
        if (cp == 0) {
          append_utf8(out, replacement);
          info.outside_alphabet = true;
        } else {
          append_utf8(out, cp);
        }
      }
      return info;
    case text_alphabet::binary:
      break;
  }
  info.encoding = "binary";
  info.binary = true;
  append_hex(out, data);
  return info;
}

decoded_text decode_text(std::span<const std::uint8_t> data, std::uint8_t dc, const text_options& opts,
                         unsigned fill_bits) {
  decoded_text t;
  const text_info info = append_text(t.utf8, data, dc, opts, fill_bits);
  t.encoding = info.encoding;
  t.binary = info.binary;
  t.outside_alphabet = info.outside_alphabet;
  return t;
}

std::optional<std::vector<std::uint8_t>> utf8_to_gsm7(std::string_view utf8) {
  std::vector<std::uint8_t> out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    bool valid = true;
    const char32_t cp = next_code_point(utf8, i, valid);
    if (!valid) return std::nullopt;
    if (cp == 0x00E7) {  // c-cedilla: GSM0338.TXT's reading of 0x09 (3GPP TS 23.038 says C-cedilla)
      out.push_back(0x09);
      continue;
    }
    bool found = false;
    for (std::size_t s = 0; s < gsm7_basic.size(); ++s) {
      if (s != esc && gsm7_basic[s] == cp) {
        out.push_back(static_cast<std::uint8_t>(s));
        found = true;
        break;
      }
    }
    if (found) continue;
    for (const auto& e : gsm7_ext) {
      if (e.cp == cp) {
        out.push_back(esc);
        out.push_back(e.septet);
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  return out;
}

std::string gsm7_to_utf8(std::span<const std::uint8_t> septets, bool* outside) {
  return gsm7_to_utf8(septets, text_options{}, outside);
}

std::string gsm7_to_utf8(std::span<const std::uint8_t> septets, const text_options& opts, bool* outside) {
  std::string out;
  out.reserve(septets.size());
  const bool ok = gsm7_decode(out, unpacked_reader{septets}, gsm7_tables(opts));
  if (outside) *outside = !ok;
  return out;
}

std::vector<std::uint8_t> gsm7_pack(std::span<const std::uint8_t> septets, unsigned fill_bits) {
  fill_bits %= 8;
  const std::size_t bits = fill_bits + 7 * septets.size();
  std::vector<std::uint8_t> out((bits + 7) / 8, 0);
  std::size_t bit = fill_bits;
  for (std::uint8_t s : septets) {
    const unsigned v = s & 0x7F;
    const std::size_t k = bit / 8;
    const unsigned shift = bit % 8;
    out[k] = static_cast<std::uint8_t>(out[k] | (v << shift));
    if (shift > 1) out[k + 1] = static_cast<std::uint8_t>(out[k + 1] | (v >> (8 - shift)));
    bit += 7;
  }
  return out;
}

std::vector<std::uint8_t> gsm7_unpack(std::span<const std::uint8_t> octets, unsigned fill_bits) {
  const packed_reader r(octets, fill_bits);
  std::vector<std::uint8_t> out(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) out[i] = r[i];
  return out;
}

std::vector<std::uint8_t> utf8_to_ucs2(std::string_view utf8) {
  std::vector<std::uint8_t> out;
  out.reserve(utf8.size() * 2);
  std::size_t i = 0;
  auto put = [&out](char32_t u) {
    out.push_back(static_cast<std::uint8_t>(u >> 8));
    out.push_back(static_cast<std::uint8_t>(u & 0xFF));
  };
  while (i < utf8.size()) {
    bool valid = true;
    const char32_t cp = next_code_point(utf8, i, valid);
    if (cp >= 0x10000) {
      const char32_t v = cp - 0x10000;
      put(0xD800 + (v >> 10));
      put(0xDC00 + (v & 0x3FF));
    } else {
      put(cp);
    }
  }
  return out;
}

std::string ucs2_to_utf8(std::span<const std::uint8_t> be16, bool* bad) {
  std::string out;
  out.reserve(be16.size());
  const bool ok = append_ucs2(out, be16);
  if (bad) *bad = !ok;
  return out;
}

}  // namespace smppscope::decoder
