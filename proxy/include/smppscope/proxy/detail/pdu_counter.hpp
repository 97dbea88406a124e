// Counts SMPP PDUs in a relayed byte stream by walking command_length fields only (SMPP v3.4
// section 5.1.1). No copy, no allocation: the relay's session log reports PDU counts without decoding.
// A command_length < 16 or > max_pdu puts the counter out of sync; it then stops counting.
#pragma once

#include <cstdint>
#include <span>

namespace smppscope::proxy::detail {

class pdu_counter {
 public:
  explicit pdu_counter(std::uint32_t max_pdu = 64 * 1024) noexcept : max_pdu_(max_pdu) {}

  void feed(std::span<const std::uint8_t> chunk) noexcept {
    const std::uint8_t* p = chunk.data();
    const std::uint8_t* const end = p + chunk.size();
    while (p != end && in_sync_) {
      if (remaining_ > 0) {
        const auto avail = static_cast<std::size_t>(end - p);
        const std::size_t skip = remaining_ < avail ? remaining_ : avail;
        p += skip;
        remaining_ -= static_cast<std::uint32_t>(skip);
        if (remaining_ == 0) ++pdus_;
        continue;
      }
      if (length_octets_ == 0 && end - p >= 4) {  // common case: the whole length field is here
        length_ = (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
        p += 4;
        length_octets_ = 4;
      } else {
        length_ = (length_ << 8) | *p++;
        if (++length_octets_ < 4) continue;
      }
      if (length_ < 16 || length_ > max_pdu_) {
        in_sync_ = false;
        break;
      }
      remaining_ = length_ - 4;
      length_ = 0;
      length_octets_ = 0;
    }
  }

  std::uint64_t pdus() const noexcept { return pdus_; }
  bool in_sync() const noexcept { return in_sync_; }

 private:
  std::uint32_t max_pdu_;
  std::uint64_t pdus_ = 0;
  std::uint32_t remaining_ = 0;  // octets of the current PDU after its command_length
  std::uint32_t length_ = 0;
  std::uint8_t length_octets_ = 0;
  bool in_sync_ = true;
};

}  // namespace smppscope::proxy::detail
