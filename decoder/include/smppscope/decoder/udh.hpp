// User Data Header (3GPP TS 23.040 section 9.2.3.24): UDHL, then information
// elements (IEI, IEDL, data). Parsing is a view over the user data: no copy, no allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace smppscope::decoder {

// Information element identifiers the tools act on by name.
enum class udh_iei : std::uint8_t {
  concat_8bit = 0x00,           // ref (1), total (1), seq (1)
  special_sms_indication = 0x01,
  port_8bit = 0x04,             // dest (1), orig (1)
  port_16bit = 0x05,            // dest (2), orig (2)
  smsc_control = 0x06,
  udh_source_indicator = 0x07,
  concat_16bit = 0x08,          // ref (2, big-endian), total (1), seq (1)
  wcmp = 0x09,
  text_formatting = 0x0A,
  reply_address = 0x22,
  national_language_single_shift = 0x24,
  national_language_locking_shift = 0x25,
};

// "concat_8bit", ..., range names ("sim_toolkit_security", "sme_to_sme", "sc_specific") or
// "unknown".
std::string_view udh_ie_name(std::uint8_t iei) noexcept;

struct udh_ie {
  std::uint8_t iei = 0;
  std::span<const std::uint8_t> data;  // IEDL octets
};

struct udh_concat {
  std::uint16_t ref = 0;
  std::uint8_t total = 0;
  std::uint8_t seq = 0;
  bool ref16 = false;  // IEI 0x08
};

struct udh_ports {
  std::uint16_t dest = 0;
  std::uint16_t orig = 0;
  bool wide = false;  // IEI 0x05 (16-bit)
};

// Iterates the IEs of a parsed UDH (already validated: every IE fits).
class udh_ie_range {
 public:
  class iterator {
   public:
    using value_type = udh_ie;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(std::span<const std::uint8_t> rest) noexcept : rest_(rest) { load(); }
    udh_ie operator*() const noexcept { return cur_; }  // by value: safe on a temporary iterator
    const udh_ie* operator->() const noexcept { return &cur_; }
    iterator& operator++() noexcept {
      rest_ = rest_.subspan(2 + cur_.data.size());
      load();
      return *this;
    }
    iterator operator++(int) noexcept { auto t = *this; ++*this; return t; }
    bool operator==(const iterator& o) const noexcept { return rest_.size() == o.rest_.size(); }
   private:
    void load() noexcept {
      if (rest_.size() >= 2 && std::size_t{rest_[1]} + 2 <= rest_.size()) {
        cur_ = {rest_[0], rest_.subspan(2, rest_[1])};
      } else {
        rest_ = {};
      }
    }
    std::span<const std::uint8_t> rest_;
    udh_ie cur_;
  };
  udh_ie_range() = default;
  explicit udh_ie_range(std::span<const std::uint8_t> ies) noexcept : ies_(ies) {}
  iterator begin() const noexcept { return iterator(ies_); }
  iterator end() const noexcept { return iterator(); }
 private:
  std::span<const std::uint8_t> ies_;
};

struct udh {
  std::span<const std::uint8_t> raw;  // UDHL and the IEs: UDHL + 1 octets
  std::uint8_t ie_count = 0;
  std::optional<udh_concat> concat;   // the last valid concat IE (23.040: last occurrence wins)
  std::optional<udh_ports> ports;
  bool concat_ignored = false;        // a concat IE was present but invalid (total 0, seq 0, seq > total, bad IEDL)
  // GSM7 national language identifiers (3GPP TS 23.040 sections 9.2.3.24.15-16; IEDL 1, last wins).
  std::optional<std::uint8_t> single_shift;   // IEI 0x24
  std::optional<std::uint8_t> locking_shift;  // IEI 0x25

  std::uint8_t length() const noexcept { return raw.empty() ? 0 : raw[0]; }  // UDHL
  std::size_t size() const noexcept { return raw.size(); }                   // octets incl. UDHL
  udh_ie_range ies() const noexcept { return udh_ie_range(raw.empty() ? raw : raw.subspan(1)); }
};

enum class udh_errc : std::uint8_t {
  none = 0,
  empty,          // no octet for UDHL
  zero_length,    // UDHL 0: no information element
  length_overrun, // UDHL runs past the user data
  ie_overrun,     // an IE header or its data runs past UDHL
};

struct udh_error {
  udh_errc code = udh_errc::none;
  std::uint32_t offset = 0;  // offset in the user data where the problem starts
  explicit operator bool() const noexcept { return code != udh_errc::none; }
  // e.g. "UDH: information element runs past UDHL at offset 4"
  std::string message() const;
};

// Parses the UDH at the start of `user_data`. On error `out` is left empty.
udh_error parse_udh(std::span<const std::uint8_t> user_data, udh& out) noexcept;
std::optional<udh> parse_udh(std::span<const std::uint8_t> user_data) noexcept;

// Zero bits before the first septet of packed GSM7 that follows `udh_octets` octets of UDH
// (UDHL + 1): (7 - 8*n mod 7) mod 7 (3GPP TS 23.040 section 9.2.3.24, fill bits).
constexpr unsigned gsm7_fill_bits(std::size_t udh_octets) noexcept {
  return static_cast<unsigned>((7 - (8 * udh_octets) % 7) % 7);
}

}  // namespace smppscope::decoder
