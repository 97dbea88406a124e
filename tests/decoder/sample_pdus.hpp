// Test helper: hex conversion and table-driven sample PDUs (one per pdu_spec and variant), used by
// the round-trip, truncation and allocation tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/decoder/pdu.hpp"

namespace smppscope::test {

using octets = std::vector<std::uint8_t>;

inline octets from_hex(std::string_view hex) {
  octets out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  int hi = -1;
  for (char c : hex) {
    if (c == ' ' || c == ':') continue;
    if (hi < 0) {
      hi = nib(c);
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | nib(c)));
      hi = -1;
    }
  }
  return out;
}

inline std::string to_hex(decoder::bytes_view b, std::string_view sep = "") {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i && !sep.empty()) s += sep;
    s += digits[b[i] >> 4];
    s += digits[b[i] & 15];
  }
  return s;
}

inline decoder::bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Variants: 0 typical values, 1 every length at its maximum, 2 empty / zero.
inline constexpr int sample_variants = 3;

// What a sample sets for one field (after sm_length / count are derived).
struct sample_field {
  std::uint32_t integer = 0;
  octets bytes;
};

struct sample {
  octets wire;
  std::vector<sample_field> fields;  // parallel to spec.fields
  octets tlvs;                       // the TLV region as built
};

inline std::string sample_text(std::size_t n, std::size_t seed) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('0' + (i * 7 + seed) % 43);  // '0'..'Z'
  return s;
}

inline sample make_sample(const decoder::pdu_spec& spec, int variant, std::uint32_t seq = 7) {
  using decoder::field_type;
  sample out;
  out.fields.resize(spec.fields.size());
  decoder::pdu_builder b(spec.id, seq, 0);
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    const auto& f = spec.fields[i];
    auto& v = out.fields[i];
    switch (f.type) {
      case field_type::int1:
        v.integer = variant == 2 ? 0 : variant == 1 ? 0xFF : static_cast<std::uint32_t>((i * 37 + 5) & 0xFF);
        if (f.name == "esm_class") v.integer &= ~0x40u;  // UDHI would ask for a UDH in the sample text
        b.set(f.name, v.integer);
        break;
      case field_type::int2:
        v.integer = variant == 2 ? 0 : variant == 1 ? 0xFFFF : 0x1234;
        b.set(f.name, v.integer);
        break;
      case field_type::int4:
        v.integer = variant == 2 ? 0 : variant == 1 ? 0xFFFFFFFF : 0x12345678;
        b.set(f.name, v.integer);
        break;
      case field_type::c_string: {
        const std::size_t n = variant == 2 ? 0 : variant == 1 ? f.max_len - 1u : std::min<std::size_t>(f.max_len - 1u, 8);
        const std::string s = sample_text(n, i);
        v.bytes.assign(s.begin(), s.end());
        b.set(f.name, s);
        break;
      }
      case field_type::time: {
        const std::string s = variant == 2 ? "" : variant == 1 ? "000001000000000R" : "231122134530004+";
        v.bytes.assign(s.begin(), s.end());
        b.set(f.name, s);
        break;
      }
      case field_type::octet_string: {
        const std::size_t n = variant == 2 ? 0 : variant == 1 ? f.max_len : 10;
        for (std::size_t k = 0; k < n; ++k) v.bytes.push_back(static_cast<std::uint8_t>(k * 13 + 1));
        out.fields[i - 1].integer = static_cast<std::uint32_t>(n);  // sm_length
        b.set_bytes(f.name, v.bytes);
        break;
      }
      case field_type::sm_length:
      case field_type::count:
        break;  // derived from the next field
      case field_type::dest_list: {
        const std::size_t n = variant == 2 ? 0 : variant == 1 ? 20 : 2;
        for (std::size_t k = 0; k < n; ++k) {
          const std::string a = sample_text(variant == 1 ? f.max_len - 1u : 11, k);
          decoder::dest_address d{static_cast<std::uint8_t>(k % 2 ? 2 : 1), 1, 1, a};
          decoder::append_dest_address(v.bytes, d);
        }
        out.fields[i - 1].integer = static_cast<std::uint32_t>(n);
        b.set_bytes(f.name, v.bytes);
        break;
      }
      case field_type::unsuccess_list: {
        const std::size_t n = variant == 2 ? 0 : variant == 1 ? 20 : 2;
        for (std::size_t k = 0; k < n; ++k) {
          const std::string a = sample_text(variant == 1 ? f.max_len - 1u : 11, k);
          decoder::unsuccess_sme u{1, 1, a, static_cast<std::uint32_t>(0x0B + k)};
          decoder::append_unsuccess_sme(v.bytes, u);
        }
        out.fields[i - 1].integer = static_cast<std::uint32_t>(n);
        b.set_bytes(f.name, v.bytes);
        break;
      }
      case field_type::c_string_list: {
        const std::size_t n = variant == 2 ? 0 : variant == 1 ? 10 : 3;
        for (std::size_t k = 0; k < n; ++k) {
          const std::string a = sample_text(variant == 1 ? f.max_len - 1u : 4, k);
          v.bytes.insert(v.bytes.end(), a.begin(), a.end());
          v.bytes.push_back(0);
        }
        out.fields[i - 1].integer = static_cast<std::uint32_t>(n);
        b.set_bytes(f.name, v.bytes);
        break;
      }
    }
  }
  if (spec.tlvs_allowed && variant != 2) {
    b.tlv_int(decoder::tlv_tag::sar_msg_ref_num, 0xBEEF);
    b.tlv_text(decoder::tlv_tag::receipted_message_id, "abc123");
    if (variant == 1) {
      b.tlv_text(0x1401, "ovh-outgoing-1");       // vendor
      b.tlv(0x3FFF, decoder::bytes_view(as_bytes("raw")));  // unknown: kept raw
    }
  }
  out.wire = b.bytes();
  // The TLV region is whatever follows the mandatory fields.
  std::size_t body = decoder::header_size;
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    const auto t = spec.fields[i].type;
    const bool one = t == field_type::int1 || t == field_type::sm_length || t == field_type::count;
    body += one ? 1 : t == field_type::int2 ? 2 : t == field_type::int4 ? 4
          : (t == field_type::c_string || t == field_type::time) ? out.fields[i].bytes.size() + 1
                                                                  : out.fields[i].bytes.size();
  }
  out.tlvs.assign(out.wire.begin() + static_cast<std::ptrdiff_t>(body), out.wire.end());
  return out;
}

// Every sample of every PDU type in the table.
inline std::vector<octets> all_samples() {
  std::vector<octets> v;
  for (const auto& spec : decoder::all_pdus())
    for (int variant = 0; variant < sample_variants; ++variant) v.push_back(make_sample(spec, variant).wire);
  return v;
}

}  // namespace smppscope::test
