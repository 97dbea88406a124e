// Bounded store of the most recent events: one writer (the analysis thread), any number of
// readers (web handlers, pcap export) that never block the writer and never see torn data.
//
// Bounded by count (slots) and by bytes (payload arena); the oldest events are dropped first and
// counted. Each slot carries a sequence word (2*id when stable, odd while being (re)written or
// after eviction); readers copy metadata and payload, then re-check the word (seqlock,
// copy-then-validate) and skip events that were overwritten meanwhile. Payload bytes are moved
// with relaxed 8-octet atomics, so there is no data race even in theory.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "smppscope/analysis/event.hpp"

namespace smppscope::analysis {

struct event_ring_options {
  std::size_t max_events = 100000;    // --ring-events
  std::size_t max_bytes = 64u << 20;  // --ring-bytes (payload arena; metadata is extra)
};

struct event_ring_stats {
  std::uint64_t appended = 0;     // events ever appended
  std::uint64_t overwritten = 0;  // oldest events dropped to make room
  std::uint64_t rejected = 0;     // events too large for the arena (payload > max_bytes / 4)
  std::uint64_t first_id = 0;     // oldest id still held (0 when empty)
  std::uint64_t last_id = 0;      // newest id (0 when empty)
  std::size_t events = 0;         // held now
  std::size_t bytes = 0;          // payload octets held now (rounded to 8 per event)
};

// Returns true to keep an event. Called on the reader's thread with the event's metadata.
using event_filter = std::function<bool(const event_info&)>;

class event_ring {
 public:
  explicit event_ring(event_ring_options opt = {});
  ~event_ring();
  event_ring(const event_ring&) = delete;
  event_ring& operator=(const event_ring&) = delete;

  // ---- writer: the analysis thread only. No allocation, no lock, no syscall. ----
  // Returns the new event's id, or 0 when the payload is too large (counted in `rejected`).
  std::uint64_t append(event_type type, std::uint64_t session, std::optional<direction> dir,
                       std::int64_t ts_us, std::span<const std::uint8_t> payload) noexcept;
  std::uint64_t append(event_type type, std::uint64_t session, std::optional<direction> dir,
                       std::int64_t ts_us, std::string_view payload) noexcept;
  // A pdu event of another protocol (event_info::protocol).
  std::uint64_t append(event_type type, std::uint64_t session, std::optional<direction> dir,
                       std::int64_t ts_us, std::span<const std::uint8_t> payload, std::uint8_t protocol) noexcept;

  // ---- readers: any thread, concurrently with the writer ----
  // Events with id > after_id, oldest first, at most `limit` kept ones. If the reader fell behind
  // the writer, the result starts at the oldest event still held (ids jump: that is the loss).
  std::vector<event> read_since(std::uint64_t after_id, std::size_t limit,
                                const event_filter& keep = {}) const;
  // The newest `limit` kept events, returned oldest first.
  std::vector<event> read_last(std::size_t limit, const event_filter& keep = {}) const;
  std::optional<event> get(std::uint64_t id) const;

  std::uint64_t last_id() const noexcept;   // newest id, 0 when nothing was appended
  std::uint64_t first_id() const noexcept;  // oldest id held, 0 when empty
  event_ring_stats stats() const noexcept;
  const event_ring_options& options() const noexcept { return opt_; }

 private:
  struct slot;
  bool read_one(std::uint64_t id, const event_filter* keep, event& out, bool& kept) const;
  void evict_oldest() noexcept;

  event_ring_options opt_;
  std::size_t slot_count_;
  std::size_t arena_words_;
  std::unique_ptr<slot[]> slots_;
  std::unique_ptr<std::uint64_t[]> arena_;
  // writer-private
  std::uint64_t write_pos_ = 0;  // monotonic arena octet position
  std::uint64_t oldest_w_ = 1;   // oldest id held (writer's view)
  std::uint64_t next_w_ = 1;     // next id to assign
  std::size_t bytes_w_ = 0;
  // published for readers
  alignas(64) std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::uint64_t> oldest_id_{1};
  std::atomic<std::uint64_t> overwritten_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::size_t> bytes_{0};
};

}  // namespace smppscope::analysis
