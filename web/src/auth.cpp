#include "smppscope/web/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <boost/asio/ip/address.hpp>

namespace smppscope::web {

namespace {

std::array<unsigned char, 32> sha256(std::string_view s) noexcept {
  std::array<unsigned char, 32> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

token_check::token_check(std::string_view token) : enabled_(!token.empty()), digest_(sha256(token)) {}

bool token_check::matches(std::string_view candidate) const noexcept {
  if (!enabled_) return true;
  if (candidate.empty()) return false;
  const auto d = sha256(candidate);
  return CRYPTO_memcmp(d.data(), digest_.data(), d.size()) == 0;
}

bool token_check::allows(std::string_view authorization, std::string_view cookie,
                         std::string_view query_token) const noexcept {
  if (!enabled_) return true;
  // Evaluate all three so the time taken does not say which one was present.
  const bool a = matches(bearer_token(authorization));
  const bool c = matches(cookie_value(cookie, token_cookie_name));
  const bool q = matches(query_token);
  return a | c | q;
}

std::string_view cookie_value(std::string_view header, std::string_view name) noexcept {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(pair.substr(0, eq)) != name) continue;
    std::string_view v = trim(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return {};
}

std::string_view bearer_token(std::string_view authorization) noexcept {
  authorization = trim(authorization);
  if (authorization.size() < 7 || !iequals(authorization.substr(0, 7), "bearer ")) return {};
  return trim(authorization.substr(7));
}

bool host_header_allowed(std::string_view host_header, std::string_view configured_host) noexcept {
  std::string_view host = trim(host_header);
  if (host.empty()) return true;  // HTTP/1.0 without Host
  if (host.front() == '[') return host.find(']') != std::string_view::npos;  // IPv6 literal
  if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos)
    host = host.substr(0, colon);
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address_v4(host, ec);
  if (!ec) return true;
  if (iequals(host, "localhost")) return true;
  if (host.size() > 10 && iequals(host.substr(host.size() - 10), ".localhost")) return true;
  return !configured_host.empty() && iequals(host, configured_host);
}

}  // namespace smppscope::web
