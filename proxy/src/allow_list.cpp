#include "smppscope/proxy/allow_list.hpp"

#include <charconv>

namespace smppscope::proxy {

namespace {

// IPv4 as itself; IPv4-mapped IPv6 unwrapped to IPv4; other IPv6 as is.
struct raw_address {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;
};

raw_address to_raw(const boost::asio::ip::address& a) {
  raw_address r;
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), r.bytes.begin());
  } else if (a.to_v6().is_v4_mapped()) {
    const auto b = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_bytes();
    std::copy(b.begin(), b.end(), r.bytes.begin());
  } else {
    r.bytes = a.to_v6().to_bytes();
    r.v6 = true;
  }
  return r;
}

}  // namespace

std::optional<cidr> cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string addr_text(text.substr(0, slash));
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(addr_text, ec);
  if (ec) return std::nullopt;
  const raw_address raw = to_raw(addr);
  const unsigned max_prefix = raw.v6 ? 128 : 32;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const auto p = text.substr(slash + 1);
    const auto [end, pec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || pec != std::errc{} || end != p.data() + p.size() || prefix > max_prefix) return std::nullopt;
  }
  cidr c;
  c.v6_ = raw.v6;
  c.prefix_ = prefix;
  // Keep only the network bits so "10.1.2.3/8" means 10.0.0.0/8.
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned bits_before = i * 8;
    if (bits_before >= prefix) break;
    const unsigned keep = prefix - bits_before >= 8 ? 8 : prefix - bits_before;
    c.net_[i] = static_cast<std::uint8_t>(raw.bytes[i] & (0xFF00u >> keep));
  }
  return c;
}

bool cidr::contains(const boost::asio::ip::address& a) const noexcept {
  const raw_address raw = to_raw(a);
  if (raw.v6 != v6_) return false;
  unsigned left = prefix_;
  for (unsigned i = 0; left > 0; ++i) {
    const unsigned keep = left >= 8 ? 8 : left;
    const auto mask = static_cast<std::uint8_t>(0xFF00u >> keep);
    if ((raw.bytes[i] & mask) != net_[i]) return false;
    left -= keep;
  }
  return true;
}

std::string cidr::to_string() const {
  std::string s;
  if (v6_) {
    s = boost::asio::ip::address_v6(net_).to_string();
  } else {
    s = boost::asio::ip::address_v4({net_[0], net_[1], net_[2], net_[3]}).to_string();
  }
  return s + "/" + std::to_string(prefix_);
}

bool allow_list::allows(const boost::asio::ip::address& a) const noexcept {
  if (blocks_.empty()) return true;
  for (const auto& b : blocks_)
    if (b.contains(a)) return true;
  return false;
}

}  // namespace smppscope::proxy
