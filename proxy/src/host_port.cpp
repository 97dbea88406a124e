#include "smppscope/proxy/host_port.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace smppscope::proxy {

std::optional<host_port> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5) return std::nullopt;
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) return std::nullopt;

  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
    boost::system::error_code aec;
    const auto a = boost::asio::ip::make_address_v6(std::string(host), aec);
    if (aec) return std::nullopt;
    (void)a;
  } else {
    if (host.find_first_of(":[]") != std::string_view::npos) return std::nullopt;  // bare IPv6 or junk
    for (char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_';
      if (!ok) return std::nullopt;
    }
  }
  return host_port{std::string(host), static_cast<std::uint16_t>(port)};
}

bool host_port::is_ip_literal() const {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  return !ec;
}

std::string host_port::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace smppscope::proxy
