// Splits a TCP byte stream into SMPP PDUs. Does no I/O: it is fed chunks of any size and hands
// out complete frames. A frame wholly inside one chunk is handed out as a view into that chunk
// (no copy); only a PDU split across chunks is assembled in an internal buffer, which grows with
// the bytes that actually arrived, never with what command_length claims.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace smppscope::decoder {

inline constexpr std::uint32_t default_max_pdu = 64 * 1024;

enum class framer_errc : std::uint8_t {
  none = 0,
  length_too_small,  // command_length < 16
  length_too_large,  // command_length > configured maximum
};

struct framer_error {
  framer_errc code = framer_errc::none;
  std::uint32_t command_length = 0;  // the offending value
  std::uint64_t stream_offset = 0;   // where the bad header starts in the stream
  explicit operator bool() const noexcept { return code != framer_errc::none; }
  // e.g. "command_length 4294967295 exceeds the maximum 65536 at stream offset 1234"
  std::string message(std::uint32_t max_pdu) const;
};

class framer {
 public:
  explicit framer(std::uint32_t max_pdu = default_max_pdu) noexcept : max_pdu_(max_pdu) {}

  // Feeds one chunk. Calls on_frame(std::span<const std::uint8_t>) for every complete PDU, in
  // order; the span is valid only during the call. Returns false once the stream is out of sync
  // (error() says why); from then on the framer ignores input until reset().
  template <class OnFrame>
  bool feed(std::span<const std::uint8_t> chunk, OnFrame&& on_frame);

  const framer_error& error() const noexcept { return error_; }
  bool in_sync() const noexcept { return !error_; }
  std::uint64_t stream_offset() const noexcept { return offset_; }  // octets consumed so far
  std::size_t buffered() const noexcept { return partial_.size(); }
  std::size_t buffer_capacity() const noexcept { return partial_.capacity(); }
  std::uint32_t max_pdu() const noexcept { return max_pdu_; }
  // Starts over as on a new stream: clears the error, the partial PDU and the stream offset.
  void reset() noexcept;

 private:
  // Validates a command_length read at stream offset `at`; sets error_ and returns 0 if bad.
  std::uint32_t check_length(std::uint32_t len, std::uint64_t at) noexcept;

  std::uint32_t max_pdu_;
  std::uint64_t offset_ = 0;
  framer_error error_;
  std::vector<std::uint8_t> partial_;  // bytes of a PDU split across chunks
};

// ---- implementation (templated on the callback so the hot path inlines) -------------------

inline std::uint32_t framer::check_length(std::uint32_t len, std::uint64_t at) noexcept {
  if (len < 16) {
    error_ = {framer_errc::length_too_small, len, at};
    return 0;
  }
  if (len > max_pdu_) {
    error_ = {framer_errc::length_too_large, len, at};
    return 0;
  }
  return len;
}

inline void framer::reset() noexcept {
  error_ = {};
  offset_ = 0;
  partial_.clear();
}

template <class OnFrame>
bool framer::feed(std::span<const std::uint8_t> chunk, OnFrame&& on_frame) {
  if (error_) return false;
  auto be32 = [](const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
  };
  // 1. Complete a PDU left over from earlier chunks.
  while (!partial_.empty() && !chunk.empty()) {
    const std::uint64_t start = offset_ - partial_.size();
    if (partial_.size() < 4) {
      const std::size_t take = std::min<std::size_t>(4 - partial_.size(), chunk.size());
      partial_.insert(partial_.end(), chunk.begin(), chunk.begin() + take);
      chunk = chunk.subspan(take);
      offset_ += take;
      if (partial_.size() < 4) return true;
    }
    const std::uint32_t len = check_length(be32(partial_.data()), start);
    if (len == 0) return false;
    const std::size_t take = std::min<std::size_t>(len - partial_.size(), chunk.size());
    partial_.insert(partial_.end(), chunk.begin(), chunk.begin() + take);
    chunk = chunk.subspan(take);
    offset_ += take;
    if (partial_.size() < len) return true;
    on_frame(std::span<const std::uint8_t>(partial_.data(), len));
    partial_.clear();
  }
  // 2. Whole PDUs inside this chunk are handed out in place.
  while (chunk.size() >= 4) {
    const std::uint32_t len = check_length(be32(chunk.data()), offset_);
    if (len == 0) return false;
    if (chunk.size() < len) break;
    on_frame(chunk.first(len));
    chunk = chunk.subspan(len);
    offset_ += len;
  }
  // 3. Keep the tail of a PDU that continues in the next chunk.
  if (!chunk.empty()) {
    partial_.insert(partial_.end(), chunk.begin(), chunk.end());
    offset_ += chunk.size();
  }
  return true;
}

}  // namespace smppscope::decoder
