// UDH parsing (3GPP TS 23.040 section 9.2.3.24).
#include "smppscope/decoder/udh.hpp"

namespace smppscope::decoder {

std::string_view udh_ie_name(std::uint8_t iei) noexcept {
  switch (static_cast<udh_iei>(iei)) {
    case udh_iei::concat_8bit: return "concat_8bit";
    case udh_iei::special_sms_indication: return "special_sms_indication";
    case udh_iei::port_8bit: return "port_8bit";
    case udh_iei::port_16bit: return "port_16bit";
    case udh_iei::smsc_control: return "smsc_control";
    case udh_iei::udh_source_indicator: return "udh_source_indicator";
    case udh_iei::concat_16bit: return "concat_16bit";
    case udh_iei::wcmp: return "wcmp";
    case udh_iei::text_formatting: return "text_formatting";
    case udh_iei::reply_address: return "reply_address";
    case udh_iei::national_language_single_shift: return "national_language_single_shift";
    case udh_iei::national_language_locking_shift: return "national_language_locking_shift";
  }
  if (iei >= 0x70 && iei <= 0x7F) return "sim_toolkit_security";
  if (iei >= 0x80 && iei <= 0x9F) return "sme_to_sme";
  if (iei >= 0xC0 && iei <= 0xDF) return "sc_specific";
  return "unknown";
}

std::string udh_error::message() const {
  std::string_view what;
  switch (code) {
    case udh_errc::none: return {};
    case udh_errc::empty: what = "no octet for UDHL"; break;
    case udh_errc::zero_length: what = "UDHL is 0"; break;
    case udh_errc::length_overrun: what = "UDHL runs past the user data"; break;
    case udh_errc::ie_overrun: what = "information element runs past UDHL"; break;
  }
  return "UDH: " + std::string(what) + " at offset " + std::to_string(offset);
}

udh_error parse_udh(std::span<const std::uint8_t> user_data, udh& out) noexcept {
  out = udh{};
  if (user_data.empty()) return {udh_errc::empty, 0};
  const std::size_t udhl = user_data[0];
  if (udhl == 0) return {udh_errc::zero_length, 0};
  if (udhl + 1 > user_data.size()) return {udh_errc::length_overrun, 0};
  const auto ies = user_data.subspan(1, udhl);

  udh h;
  h.raw = user_data.first(udhl + 1);
  std::size_t at = 0;
  while (at < ies.size()) {
    if (at + 2 > ies.size() || at + 2 + ies[at + 1] > ies.size())
      return {udh_errc::ie_overrun, static_cast<std::uint32_t>(1 + at)};
    const std::uint8_t iei = ies[at];
    const auto d = ies.subspan(at + 2, ies[at + 1]);
    at += 2 + d.size();
    if (h.ie_count < 255) ++h.ie_count;
    switch (static_cast<udh_iei>(iei)) {
      case udh_iei::concat_8bit:
      case udh_iei::concat_16bit: {
        const bool wide = iei == static_cast<std::uint8_t>(udh_iei::concat_16bit);
        if (d.size() != (wide ? 4u : 3u)) {
          h.concat_ignored = true;
          break;
        }
        udh_concat c;
        c.ref16 = wide;
        c.ref = wide ? static_cast<std::uint16_t>(d[0] << 8 | d[1]) : d[0];
        c.total = d[wide ? 2 : 1];
        c.seq = d[wide ? 3 : 2];
        // 23.040: ignore the IE when total is 0, or seq is 0 or above total (section 9.2.3.24.1).
        if (c.total == 0 || c.seq == 0 || c.seq > c.total) {
          h.concat_ignored = true;
          break;
        }
        h.concat = c;
        break;
      }
      case udh_iei::port_8bit:
        if (d.size() == 2) h.ports = udh_ports{d[0], d[1], false};
        break;
      case udh_iei::port_16bit:
        if (d.size() == 4)
          h.ports = udh_ports{static_cast<std::uint16_t>(d[0] << 8 | d[1]), static_cast<std::uint16_t>(d[2] << 8 | d[3]), true};
        break;
      case udh_iei::national_language_single_shift:
        if (d.size() == 1) h.single_shift = d[0];
        break;
      case udh_iei::national_language_locking_shift:
        if (d.size() == 1) h.locking_shift = d[0];
        break;
      default:
        break;
    }
  }
  out = h;
  return {};
}

std::optional<udh> parse_udh(std::span<const std::uint8_t> user_data) noexcept {
  udh h;
  if (parse_udh(user_data, h)) return std::nullopt;
  return h;
}

}  // namespace smppscope::decoder
