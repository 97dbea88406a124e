// CMPP_CONNECT authentication: the MD5 authenticators and the MMDDHHMMSS timestamp. MD5 (RFC 1321)
// is written out here because the decoder links nothing but the standard library; it only checks
// authenticators and is not used for any security decision of our own.
#include <array>
#include <cstring>
#include <string>

#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::decoder::cmpp {
namespace {

constexpr std::uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr unsigned md5_r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

constexpr std::uint32_t rotl(std::uint32_t x, unsigned c) noexcept { return (x << c) | (x >> (32 - c)); }

void md5_block(std::uint32_t h[4], const std::uint8_t* b) noexcept {
  std::uint32_t m[16];
  for (int i = 0; i < 16; ++i) {
    m[i] = std::uint32_t(b[4 * i]) | std::uint32_t(b[4 * i + 1]) << 8 | std::uint32_t(b[4 * i + 2]) << 16 |
           std::uint32_t(b[4 * i + 3]) << 24;
  }
  std::uint32_t a = h[0], bb = h[1], c = h[2], d = h[3];
  for (unsigned i = 0; i < 64; ++i) {
    std::uint32_t f;
    unsigned g;
    if (i < 16) {
      f = (bb & c) | (~bb & d);
      g = i;
    } else if (i < 32) {
      f = (d & bb) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = bb ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (bb | ~d);
      g = (7 * i) % 16;
    }
    const std::uint32_t t = d;
    d = c;
    c = bb;
    bb = bb + rotl(a + f + md5_k[i] + m[g], md5_r[i]);
    a = t;
  }
  h[0] += a;
  h[1] += bb;
  h[2] += c;
  h[3] += d;
}

}  // namespace

std::array<std::uint8_t, 16> md5(bytes_view data) noexcept {
  std::uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  std::size_t i = 0;
  for (; i + 64 <= data.size(); i += 64) md5_block(h, data.data() + i);
  std::uint8_t tail[128] = {};
  const std::size_t rest = data.size() - i;
  if (rest) std::memcpy(tail, data.data() + i, rest);
  tail[rest] = 0x80;
  const std::size_t blocks = rest + 9 <= 64 ? 1 : 2;
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  for (int k = 0; k < 8; ++k) tail[blocks * 64 - 8 + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(bits >> (8 * k));
  for (std::size_t k = 0; k < blocks; ++k) md5_block(h, tail + 64 * k);
  std::array<std::uint8_t, 16> out{};
  for (int k = 0; k < 16; ++k) out[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(h[k / 4] >> (8 * (k % 4)));
  return out;
}

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

std::array<std::uint8_t, 16> authenticator_source(std::string_view source_addr, std::string_view secret,
                                                  std::uint32_t timestamp) noexcept {
  // Source_Addr enters as its characters, without the field's NUL padding.
  if (const auto nul = source_addr.find('\0'); nul != std::string_view::npos) source_addr = source_addr.substr(0, nul);
  char digits[11];
  std::uint32_t v = timestamp;
  for (int i = 9; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  std::uint8_t buf[6 + 9 + 256 + 10];
  std::size_t n = 0;
  source_addr = source_addr.substr(0, 6);
  secret = secret.substr(0, 256);
  std::memcpy(buf + n, source_addr.data(), source_addr.size());
  n += source_addr.size();
  std::memset(buf + n, 0, 9);
  n += 9;
  std::memcpy(buf + n, secret.data(), secret.size());
  n += secret.size();
  std::memcpy(buf + n, digits, 10);
  n += 10;
  return md5(bytes_view(buf, n));
}

std::array<std::uint8_t, 16> authenticator_ismg(std::uint32_t status, std::span<const std::uint8_t, 16> auth_source,
                                                std::string_view secret, version v) noexcept {
  std::uint8_t buf[4 + 16 + 256];
  std::size_t n = 0;
  if (v == version::v20) {
    buf[n++] = static_cast<std::uint8_t>(status);
  } else {
    for (int k = 3; k >= 0; --k) buf[n++] = static_cast<std::uint8_t>(status >> (8 * k));
  }
  std::memcpy(buf + n, auth_source.data(), 16);
  n += 16;
  secret = secret.substr(0, 256);
  std::memcpy(buf + n, secret.data(), secret.size());
  n += secret.size();
  return md5(bytes_view(buf, n));
}

}  // namespace smppscope::decoder::cmpp
