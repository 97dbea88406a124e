// CMPP login authenticators (CMPP 2.0 / 3.0, CMPP_CONNECT and CMPP_CONNECT_RESP):
//
//   AuthenticatorSource = MD5(Source_Addr + 9 x 0x00 + shared secret + timestamp)
//   AuthenticatorISMG   = MD5(Status + AuthenticatorSource + shared secret)
//
// The timestamp enters the MD5 as the 10-character ASCII string MMDDHHMMSS ("0201030405" for
// 1 February 03:04:05), the same value CONNECT carries as a 4-octet integer. Source_Addr enters
// as its characters, without the field's NUL padding. Status is 1 octet in CMPP 2.0 and a
// 4-octet big-endian integer in CMPP 3.0.
//
// A library of its own (OpenSSL's EVP MD5, nothing else) so that both the simulator and the
// analysis side can link it while the decoder stays standard-library only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace smppscope::cmpp_auth {

using digest = std::array<std::uint8_t, 16>;

// Octets of Status inside the AuthenticatorISMG input.
enum class status_width : std::uint8_t { cmpp2 = 1, cmpp3 = 4 };

// MMDDHHMMSS of a calendar time given as seconds since the epoch, read in UTC (CONNECT's
// Timestamp; the specification does not name a zone, both sides just hash the same value).
std::uint32_t timestamp_of(std::int64_t unix_seconds) noexcept;

// The 10-character form of a Timestamp value, zero-padded; values above 9999999999 do not
// fit the field and are written modulo 10^10.
std::array<char, 10> timestamp_text(std::uint32_t timestamp) noexcept;

// True when timestamp reads as a plausible MMDDHHMMSS (month 1-12, day 1-31, 0-23:0-59:0-59).
bool plausible_timestamp(std::uint32_t timestamp) noexcept;

// nullopt only when the OpenSSL in use refuses MD5 (a FIPS-only configuration).
std::optional<digest> authenticator_source(std::string_view source_addr, std::string_view secret,
                                           std::uint32_t timestamp);
std::optional<digest> authenticator_ismg(std::uint32_t status, std::span<const std::uint8_t, 16> authenticator_source,
                                         std::string_view secret, status_width width);

// Compares two authenticators in constant time (a login check must not leak how many octets matched).
bool same(std::span<const std::uint8_t, 16> a, std::span<const std::uint8_t, 16> b) noexcept;

}  // namespace smppscope::cmpp_auth
