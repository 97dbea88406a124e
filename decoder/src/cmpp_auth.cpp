// CMPP_CONNECT's Timestamp: MMDDHHMMSS carried as an integer. The MD5 authenticators live in
// the smppscope_cmpp_auth library (OpenSSL), so the decoder keeps to the standard library.
#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::decoder::cmpp {

std::uint32_t pack_timestamp(const connect_time& t) noexcept {
  return t.month * 100000000u + t.day * 1000000u + t.hour * 10000u + t.minute * 100u + t.second;
}

connect_time unpack_timestamp(std::uint32_t ts) noexcept {
  connect_time t;
  t.second = static_cast<std::uint8_t>(ts % 100);
  t.minute = static_cast<std::uint8_t>(ts / 100 % 100);
  t.hour = static_cast<std::uint8_t>(ts / 10000 % 100);
  t.day = static_cast<std::uint8_t>(ts / 1000000 % 100);
  t.month = static_cast<std::uint8_t>(ts / 100000000 % 100);
  return t;
}

}  // namespace smppscope::decoder::cmpp
