#include "smppscope/cmpp_auth/authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace smppscope::cmpp_auth {
namespace {

struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// MD5 over the concatenation of the parts, with OpenSSL's EVP interface.
std::optional<digest> md5(std::initializer_list<std::span<const std::uint8_t>> parts) {
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) return std::nullopt;
  for (auto p : parts)
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return std::nullopt;
  digest d{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx.get(), d.data(), &n) != 1 || n != d.size()) return std::nullopt;
  return d;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::uint32_t timestamp_of(std::int64_t unix_seconds) noexcept {
  // Civil date from days since the epoch (proleptic Gregorian; H. Hinnant's days_from_civil inverse).
  std::int64_t days = unix_seconds / 86400;
  std::int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t hh = secs / 3600, mm = secs / 60 % 60, ss = secs % 60;
  return static_cast<std::uint32_t>(month * 100000000 + day * 1000000 + hh * 10000 + mm * 100 + ss);
}

std::array<char, 10> timestamp_text(std::uint32_t timestamp) noexcept {
  std::array<char, 10> out;
  std::uint64_t v = timestamp % 10000000000ULL;
  for (std::size_t i = out.size(); i-- > 0;) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return out;
}

bool plausible_timestamp(std::uint32_t t) noexcept {
  const std::uint32_t month = t / 100000000, day = t / 1000000 % 100, hh = t / 10000 % 100, mm = t / 100 % 100,
                      ss = t % 100;
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hh <= 23 && mm <= 59 && ss <= 59;
}

std::optional<digest> authenticator_source(std::string_view source_addr, std::string_view secret,
                                           std::uint32_t timestamp) {
  static constexpr std::array<std::uint8_t, 9> zeros{};
  const auto ts = timestamp_text(timestamp);
  return md5({as_bytes(source_addr), zeros, as_bytes(secret), as_bytes({ts.data(), ts.size()})});
}

std::optional<digest> authenticator_ismg(std::uint32_t status, std::span<const std::uint8_t, 16> authenticator_source,
                                         std::string_view secret, status_width width) {
  const std::array<std::uint8_t, 4> be{static_cast<std::uint8_t>(status >> 24), static_cast<std::uint8_t>(status >> 16),
                                       static_cast<std::uint8_t>(status >> 8), static_cast<std::uint8_t>(status)};
  const std::span<const std::uint8_t> st =
      width == status_width::cmpp2 ? std::span<const std::uint8_t>(be).last(1) : std::span<const std::uint8_t>(be);
  return md5({st, authenticator_source, as_bytes(secret)});
}

bool same(std::span<const std::uint8_t, 16> a, std::span<const std::uint8_t, 16> b) noexcept {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace smppscope::cmpp_auth
