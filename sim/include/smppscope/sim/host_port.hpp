// "HOST:PORT" as the command line writes it: an IPv4 address, "[IPv6]" or a name, then a port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smppscope::sim {

struct host_port {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;
  std::string to_string() const;  // "127.0.0.1:2775", "[::1]:2775"
};

// nullopt when `s` is not HOST:PORT (empty host, missing or non-numeric port, port > 65535,
// unbalanced brackets, or a bare IPv6 address without brackets). Port 0 is accepted.
std::optional<host_port> parse_host_port(std::string_view s);

}  // namespace smppscope::sim
