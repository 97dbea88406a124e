// Access control of the web server.
//
// With a token set, every request but GET /healthz (and the WebSocket upgrade) must carry it:
// "Authorization: Bearer TOKEN" or the cookie set by visiting /?token=TOKEN (Max-Age, HttpOnly,
// SameSite=Strict, Secure over HTTPS). ?token= is taken on / only; the server refuses it on
// /api/*, /metrics and /ws, where addresses end up in logs.
// Comparison is constant-time (SHA-256 of both, then CRYPTO_memcmp), so neither the token's
// contents nor its length leak through timing.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace smppscope::web {

inline constexpr std::string_view token_cookie_name = "smppscope_token";

class token_check {
 public:
  token_check() = default;
  explicit token_check(std::string_view token);
  bool enabled() const noexcept { return enabled_; }
  bool matches(std::string_view candidate) const noexcept;
  // Looks in the Authorization header, the Cookie header and the query's token value.
  bool allows(std::string_view authorization, std::string_view cookie,
              std::string_view query_token) const noexcept;

 private:
  bool enabled_ = false;
  std::array<unsigned char, 32> digest_{};
};

// The value of cookie `name` in a Cookie header ("a=1; b=2"); empty when absent.
std::string_view cookie_value(std::string_view header, std::string_view name) noexcept;
// The token of "Bearer TOKEN" (scheme case-insensitive); empty otherwise.
std::string_view bearer_token(std::string_view authorization) noexcept;

// DNS-rebinding guard for a server without a token: the Host header must name an IP literal,
// "localhost" or the configured host.
bool host_header_allowed(std::string_view host_header, std::string_view configured_host) noexcept;

}  // namespace smppscope::web
