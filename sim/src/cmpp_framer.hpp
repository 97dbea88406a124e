// Splits a TCP byte stream into CMPP PDUs (12-octet header, Total_Length first) for the ISMG
// simulator and the CMPP load generator. Stop mode only: a Total_Length below 12 or above the
// maximum puts the stream out of sync for good. Frames wholly inside a chunk are handed out in
// place; a PDU split across chunks is assembled, growing with what arrived, never with what
// Total_Length claims.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::sim::detail {

class cmpp_framer {
 public:
  explicit cmpp_framer(std::uint32_t max_pdu = decoder::cmpp::max_pdu_size) noexcept : max_(max_pdu) {}

  // Calls on_frame(std::span<const std::uint8_t>) per complete PDU; false once out of sync.
  template <class OnFrame>
  bool feed(std::span<const std::uint8_t> chunk, OnFrame&& on_frame) {
    if (bad_) return false;
    while (!partial_.empty() && !chunk.empty()) {
      if (partial_.size() < 4) {
        const std::size_t take = std::min<std::size_t>(4 - partial_.size(), chunk.size());
        partial_.insert(partial_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
        chunk = chunk.subspan(take);
        if (partial_.size() < 4) return true;
      }
      const std::uint32_t len = be32(partial_.data());
      if (!check(len)) return false;
      const std::size_t take = std::min<std::size_t>(len - partial_.size(), chunk.size());
      partial_.insert(partial_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
      chunk = chunk.subspan(take);
      if (partial_.size() < len) return true;
      on_frame(std::span<const std::uint8_t>(partial_.data(), len));
      partial_.clear();
    }
    while (chunk.size() >= 4) {
      const std::uint32_t len = be32(chunk.data());
      if (!check(len)) return false;
      if (chunk.size() < len) break;
      on_frame(chunk.first(len));
      chunk = chunk.subspan(len);
    }
    partial_.insert(partial_.end(), chunk.begin(), chunk.end());
    return true;
  }

  bool in_sync() const noexcept { return !bad_; }
  // "Total_Length 3 is below the 12-octet header" / "... exceeds the maximum 4096"
  std::string error() const {
    if (!bad_) return {};
    if (bad_len_ < decoder::cmpp::header_size)
      return "Total_Length " + std::to_string(bad_len_) + " is below the 12-octet header";
    return "Total_Length " + std::to_string(bad_len_) + " exceeds the maximum " + std::to_string(max_);
  }

 private:
  static std::uint32_t be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
  }
  bool check(std::uint32_t len) noexcept {
    if (len >= decoder::cmpp::header_size && len <= max_) return true;
    bad_ = true;
    bad_len_ = len;
    return false;
  }
  std::uint32_t max_;
  bool bad_ = false;
  std::uint32_t bad_len_ = 0;
  std::vector<std::uint8_t> partial_;
};

}  // namespace smppscope::sim::detail
