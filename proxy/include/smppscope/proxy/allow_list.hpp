// Client IP allow-list (--allow CIDR, repeatable). An empty list allows everyone.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace smppscope::proxy {

class cidr {
 public:
  // "10.0.0.0/8", "192.168.1.7" (= /32), "2001:db8::/32", "::1" (= /128).
  static std::optional<cidr> parse(std::string_view text);
  // IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, seen on dual-stack listeners) match IPv4 blocks.
  bool contains(const boost::asio::ip::address& a) const noexcept;
  std::string to_string() const;

 private:
  std::array<std::uint8_t, 16> net_{};
  unsigned prefix_ = 0;
  bool v6_ = false;
};

class allow_list {
 public:
  void add(const cidr& c) { blocks_.push_back(c); }
  bool empty() const noexcept { return blocks_.empty(); }
  bool allows(const boost::asio::ip::address& a) const noexcept;
  const std::vector<cidr>& blocks() const noexcept { return blocks_; }

 private:
  std::vector<cidr> blocks_;
};

}  // namespace smppscope::proxy
