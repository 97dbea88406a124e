// Splits a TCP byte stream into SMPP PDUs. Does no I/O: it is fed chunks of any size and hands
// out complete frames. A frame wholly inside one chunk is handed out as a view into that chunk
// (no copy); only a PDU split across chunks is assembled in an internal buffer, which grows with
// the bytes that actually arrived, never with what command_length claims.
//
// Two ways to meet a bad header (framer_mode):
//   stop    the stream is out of sync for good; feed() returns false until reset().
//   resync  the framer scans on for the next plausible header: a command_length in
//           [16, max_pdu] and a command_id of the protocol table, confirmed by another plausible
//           header right after it, or by the end of the bytes seen so far when it ends exactly
//           there. Octets before it are skipped. gap() says octets were never seen (capture
//           drops) and starts the same scan. Each episode is reported once, when framing resumes.
//           The scan holds at most max_pdu + 8 octets it has not decided on plus one slice of
//           input (max_pdu + 8): bounded whatever arrives.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "smppscope/decoder/protocol.hpp"

namespace smppscope::decoder {

inline constexpr std::uint32_t default_max_pdu = 64 * 1024;

enum class framer_errc : std::uint8_t {
  none = 0,
  length_too_small,  // command_length < 16
  length_too_large,  // command_length > configured maximum
  stream_gap,        // octets of the stream were never seen (gap())
};

struct framer_error {
  framer_errc code = framer_errc::none;
  std::uint32_t command_length = 0;  // the offending value
  std::uint64_t stream_offset = 0;   // where the bad header starts in the stream
  std::uint32_t min_length = 16;     // the framed protocol's smallest PDU (for the message)
  explicit operator bool() const noexcept { return code != framer_errc::none; }
  // e.g. "command_length 4294967295 exceeds the maximum 65536 at stream offset 1234"
  std::string message(std::uint32_t max_pdu) const;
};

// One loss of framing and the way back (resync mode).
struct framer_resync {
  framer_error cause;            // what broke framing first in this episode
  std::uint64_t skipped = 0;     // octets seen but not handed out as frames
  std::uint64_t lost = 0;        // octets never seen (gap()) during the episode
  std::uint64_t resumed_at = 0;  // stream offset of the header framing resumed at
};

enum class framer_mode : std::uint8_t { stop, resync };

// What a header of the framed protocol looks like. Both SMPP and CMPP start a PDU with a 4-octet
// length and a 4-octet command id; SMPP's smallest PDU is 16 octets, CMPP's 12.
struct framer_layout {
  std::uint32_t min_length = 16;
  bool (*known_command)(std::uint32_t) noexcept = nullptr;  // for resync; nullptr: the SMPP table
};

class framer {
 public:
  explicit framer(std::uint32_t max_pdu = default_max_pdu, framer_mode mode = framer_mode::stop,
                  framer_layout layout = {}) noexcept
      : max_pdu_(max_pdu), mode_(mode), layout_(layout) {}

  // Feeds one chunk. Calls on_frame(std::span<const std::uint8_t>) for every complete PDU, in
  // order; the span is valid only during the call. Stop mode: returns false once the stream is
  // out of sync (error() says why); from then on the framer ignores input until reset().
  // Resync mode: always true; on_resync(const framer_resync&) is called when framing resumes,
  // before the first frame after it.
  template <class OnFrame>
  bool feed(std::span<const std::uint8_t> chunk, OnFrame&& on_frame);
  template <class OnFrame, class OnResync>
  bool feed(std::span<const std::uint8_t> chunk, OnFrame&& on_frame, OnResync&& on_resync);

  // `n` octets of the stream were never seen before the next chunk. A partial PDU cannot be
  // completed: it is skipped and a scan starts (stop mode: the stream is out of sync).
  void gap(std::uint64_t n);

  // While out of sync, what broke it (in resync mode: until framing resumes).
  const framer_error& error() const noexcept { return error_; }
  bool in_sync() const noexcept { return !error_; }
  // Resync mode, while out of sync: the episode so far (octets held by the scan count as skipped).
  framer_resync pending_resync() const noexcept;
  std::uint64_t stream_offset() const noexcept { return offset_; }  // octets consumed so far
  std::size_t buffered() const noexcept { return partial_.size() + scan_.size(); }
  std::size_t buffer_capacity() const noexcept { return partial_.capacity() + scan_.capacity(); }
  std::uint32_t max_pdu() const noexcept { return max_pdu_; }
  framer_mode mode() const noexcept { return mode_; }
  // Starts over as on a new stream: clears the error, the partial PDU and the stream offset.
  void reset() noexcept;

 private:
  static std::uint32_t be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
  }
  // Validates a command_length read at stream offset `at`; sets error_ and returns 0 if bad.
  std::uint32_t check_length(std::uint32_t len, std::uint64_t at) noexcept;
  // A header worth resuming at: length in range and a command_id the protocol table knows.
  bool plausible(const std::uint8_t* p) const noexcept;
  // Frames `chunk` while in sync. Returns the octets from a bad header on (empty when all went
  // well; error_ says whether one was met). A bad header met while completing partial_ leaves
  // its first octets in partial_.
  template <class OnFrame>
  std::span<const std::uint8_t> frame(std::span<const std::uint8_t> chunk, OnFrame& on_frame);
  // Looks for a header in scan_; resumes framing there. `all_seen`: scan_ ends where the input does.
  template <class OnFrame, class OnResync>
  void scan(bool all_seen, OnFrame& on_frame, OnResync& on_resync);
  void begin_episode() noexcept;

  std::uint32_t max_pdu_;
  framer_mode mode_;
  framer_layout layout_;
  std::uint64_t offset_ = 0;
  framer_error error_;
  std::vector<std::uint8_t> partial_;  // bytes of a PDU split across chunks
  std::vector<std::uint8_t> scan_;     // resync: octets not yet decided on (stream order)
  framer_resync episode_;              // resync: the episode in progress
};

// ---- implementation (templated on the callback so the hot path inlines) -------------------

inline std::uint32_t framer::check_length(std::uint32_t len, std::uint64_t at) noexcept {
  if (len < layout_.min_length) {
    error_ = {framer_errc::length_too_small, len, at, layout_.min_length};
    return 0;
  }
  if (len > max_pdu_) {
    error_ = {framer_errc::length_too_large, len, at};
    return 0;
  }
  return len;
}

inline bool framer::plausible(const std::uint8_t* p) const noexcept {
  const std::uint32_t len = be32(p);
  if (len < layout_.min_length || len > max_pdu_) return false;
  const std::uint32_t id = be32(p + 4);
  return layout_.known_command ? layout_.known_command(id) : find_pdu(id) != nullptr;
}

inline void framer::reset() noexcept {
  error_ = {};
  offset_ = 0;
  partial_.clear();
  scan_.clear();
  episode_ = {};
}

inline void framer::begin_episode() noexcept {
  episode_ = {};
  episode_.cause = error_;
}

inline framer_resync framer::pending_resync() const noexcept {
  framer_resync r = episode_;
  r.skipped += scan_.size() + partial_.size();
  return r;
}

inline void framer::gap(std::uint64_t n) {
  if (n == 0) return;
  if (mode_ == framer_mode::stop) {
    if (!error_) error_ = {framer_errc::stream_gap, 0, offset_};
    offset_ += n;
    return;
  }
  if (!error_) {
    error_ = {framer_errc::stream_gap, 0, offset_};
    begin_episode();
  }
  // What was held cannot be completed any more: the rest of it was in the lost octets.
  episode_.skipped += partial_.size() + scan_.size();
  episode_.lost += n;
  partial_.clear();
  scan_.clear();
  offset_ += n;
}

template <class OnFrame>
std::span<const std::uint8_t> framer::frame(std::span<const std::uint8_t> chunk, OnFrame& on_frame) {
  // 1. Complete a PDU left over from earlier chunks.
  while (!partial_.empty() && !chunk.empty()) {
    const std::uint64_t start = offset_ - partial_.size();
    if (partial_.size() < 4) {
      const std::size_t take = std::min<std::size_t>(4 - partial_.size(), chunk.size());
      partial_.insert(partial_.end(), chunk.begin(), chunk.begin() + take);
      chunk = chunk.subspan(take);
      offset_ += take;
      if (partial_.size() < 4) return {};
    }
    const std::uint32_t len = check_length(be32(partial_.data()), start);
    if (len == 0) return chunk;
    const std::size_t take = std::min<std::size_t>(len - partial_.size(), chunk.size());
    partial_.insert(partial_.end(), chunk.begin(), chunk.begin() + take);
    chunk = chunk.subspan(take);
    offset_ += take;
    if (partial_.size() < len) return {};
    on_frame(std::span<const std::uint8_t>(partial_.data(), len));
    partial_.clear();
  }
  // 2. Whole PDUs inside this chunk are handed out in place.
  while (chunk.size() >= 4) {
    const std::uint32_t len = check_length(be32(chunk.data()), offset_);
    if (len == 0) return chunk;
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
  return {};
}

template <class OnFrame, class OnResync>
void framer::scan(bool all_seen, OnFrame& on_frame, OnResync& on_resync) {
  std::size_t pos = 0;  // scan_[0, pos) is decided: skipped or framed
  for (;;) {
    std::size_t i = pos;
    bool found = false;
    for (; i + 8 <= scan_.size(); ++i) {
      if (!plausible(scan_.data() + i)) continue;
      const std::size_t end = i + be32(scan_.data() + i);
      if (end + 8 <= scan_.size()) {
        if (plausible(scan_.data() + end)) {
          found = true;
          break;
        }
        continue;  // the header after it says this one is wrong
      }
      if (end == scan_.size() && all_seen) found = true;
      break;  // otherwise undecided until more arrives
    }
    episode_.skipped += i - pos;
    if (!found) {
      scan_.erase(scan_.begin(), scan_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
    const std::uint64_t base = offset_ - scan_.size();  // stream offset of scan_[0]
    episode_.resumed_at = base + i;
    error_ = {};
    on_resync(static_cast<const framer_resync&>(episode_));
    // Frame in place; scan_ is not touched meanwhile, so the frames are views into it.
    offset_ = base + i;
    const std::span<const std::uint8_t> rest =
        frame(std::span<const std::uint8_t>(scan_.data() + i, scan_.size() - i), on_frame);
    if (!error_) {
      scan_.clear();
      if (scan_.capacity() > 2 * std::size_t(max_pdu_) + 64) scan_.shrink_to_fit();  // a large slice passed by
      return;
    }
    // Broke again (phase 2 of frame(), in place): a new episode starts at the bad header.
    begin_episode();
    pos = scan_.size() - rest.size();
    offset_ = base + scan_.size();
  }
}

template <class OnFrame>
bool framer::feed(std::span<const std::uint8_t> chunk, OnFrame&& on_frame) {
  return feed(chunk, on_frame, [](const framer_resync&) {});
}

template <class OnFrame, class OnResync>
bool framer::feed(std::span<const std::uint8_t> chunk, OnFrame&& on_frame, OnResync&& on_resync) {
  if (mode_ == framer_mode::stop) {
    if (error_) return false;
    (void)frame(chunk, on_frame);
    return !error_;
  }
  const std::size_t slice = std::size_t(max_pdu_) + 8;  // enough to decide on any candidate
  for (;;) {
    if (!error_) {
      chunk = frame(chunk, on_frame);
      if (!error_) return true;
      // Out of sync: the bad header's first octets (if it began in partial_) start the scan.
      begin_episode();
      scan_.swap(partial_);
      partial_.clear();
    }
    const std::size_t take = std::min(chunk.size(), slice);
    scan_.insert(scan_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
    offset_ += take;
    chunk = chunk.subspan(take);
    scan(chunk.empty(), on_frame, on_resync);
    if (chunk.empty()) return true;
  }
}

}  // namespace smppscope::decoder
