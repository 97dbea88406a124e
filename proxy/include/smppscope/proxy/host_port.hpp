// "HOST:PORT" as given on the command line: an IPv4 address, "[IPv6]" or a name, then a port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smppscope::proxy {

struct host_port {
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string to_string() const;  // brackets an IPv6 literal again: "[::1]:2775"
  bool is_ip_literal() const;     // host is an IPv4 or IPv6 address, not a name
};

// Accepts "1.2.3.4:2775", "[::1]:2775", "smsc.example.net:2775"; port 0..65535.
// An unbracketed IPv6 address ("::1:2775") is ambiguous and refused.
std::optional<host_port> parse_host_port(std::string_view text);

}  // namespace smppscope::proxy
