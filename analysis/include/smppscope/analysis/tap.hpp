// The hand-off from the relay to analysis. Each relay thread owns one tap_queue and is its only
// producer; the analysis thread is its only consumer. push_* copy into a preallocated ring: no
// allocation, no lock, no syscall. A full queue drops the record and counts it; the relay never
// waits for analysis.
//
// Session records (open, close, upstream failure) must not be lost: data pushes leave a reserve
// of free space (event_reserve()) that only they may use, so data is always dropped first.
// A dropped data chunk leaves a hole in the analysed stream: the relay remembers how many octets
// it could not push and hands that count to the next push_data of the same direction
// (`lost_before`), so analysis resynchronises and the pcap shows a real sequence gap.
//
// Ring layout (analysis/src/tap.cpp): records are 8-octet aligned, each a 40-octet header, for
// non-data kinds the four endpoints (80 octets), then the bytes. A record never wraps: when it
// does not fit before the end of the buffer, a wrap marker fills the rest and it starts at 0.
// The producer also wraps early, at a few MiB, whenever the consumer has already freed the start:
// a queue that keeps up stays in the pages it has touched, so the relay thread takes no page
// faults in steady state and the resident size stays small; the rest of the capacity is there
// for backlogs (the analysis thread runs at the lowest priority and may fall behind).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace smppscope::analysis {

enum class direction : std::uint8_t { esme_to_smsc = 0, smsc_to_esme = 1 };
std::string_view direction_name(direction d) noexcept;  // "esme_to_smsc" / "smsc_to_esme"

// A TCP endpoint as plain data (IPv4 or IPv6), so capture does not depend on Asio.
struct endpoint {
  std::uint8_t addr[16] = {};  // IPv4 in the first 4 octets
  bool v6 = false;
  std::uint16_t port = 0;
  std::string to_string() const;  // "1.2.3.4:2775" or "[::1]:2775"
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

enum class record_kind : std::uint8_t {
  data,              // bytes relayed in one direction
  session_open,      // client accepted and upstream connected
  session_close,     // both legs closed; `text` says why
  upstream_failure,  // upstream connect / TLS handshake failed; `text` says why
};

// One record as seen by the consumer. `bytes` is valid only during the drain callback.
struct tap_record {
  record_kind kind = record_kind::data;
  direction dir = direction::esme_to_smsc;  // data only
  std::uint64_t session = 0;
  std::int64_t ts_us = 0;                   // wall clock, microseconds since the epoch
  std::span<const std::uint8_t> bytes;      // data: relayed bytes; other kinds: UTF-8 text
  // data: octets of this direction relayed but never queued (tap drops) just before `bytes`
  std::uint64_t lost_before = 0;
  // session_open / upstream_failure: the four endpoints of the two legs
  endpoint client, proxy_client_side, proxy_upstream_side, upstream;
  bool client_tls = false, upstream_tls = false;
};

class tap_queue {
 public:
  // capacity_bytes is rounded up to a multiple of 8 (minimum 4096).
  explicit tap_queue(std::size_t capacity_bytes = 64u << 20);
  ~tap_queue();
  tap_queue(const tap_queue&) = delete;
  tap_queue& operator=(const tap_queue&) = delete;

  // ---- producer (one relay thread) ----
  // false = dropped (queue full, less than event_reserve() would stay free, or record larger than
  // half the capacity); counted. `lost_before`: octets of this session and direction dropped
  // since its last successful push (the caller keeps the sum, and resets it on success).
  bool push_data(std::uint64_t session, direction dir, std::int64_t ts_us,
                 std::span<const std::uint8_t> bytes, std::uint64_t lost_before = 0) noexcept;
  // Non-data kinds; r.bytes is the text. May use the reserve that data pushes leave free.
  bool push_event(const tap_record& r) noexcept;

  // ---- consumer (analysis thread) ----
  // Calls on_record(const tap_record&) for each queued record, oldest first, up to max_records.
  // Returns the number consumed.
  template <class F>
  std::size_t drain(F&& on_record, std::size_t max_records = SIZE_MAX);

  // ---- any thread ----
  std::uint64_t dropped_records() const noexcept { return dropped_records_.load(std::memory_order_relaxed); }
  std::uint64_t dropped_bytes() const noexcept { return dropped_bytes_.load(std::memory_order_relaxed); }
  std::uint64_t pushed_records() const noexcept { return pushed_records_.load(std::memory_order_relaxed); }
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t event_reserve() const noexcept { return event_reserve_; }
  std::size_t used_bytes() const noexcept;  // approximate when called off the two owner threads
  // Octets of the buffer written at least once (faulted in): grows only with backlogs.
  std::size_t touched_bytes() const noexcept { return touched_pub_.load(std::memory_order_relaxed); }

 private:
  bool push(record_kind kind, direction dir, std::uint64_t session, std::int64_t ts_us,
            std::span<const std::uint8_t> bytes, const tap_record* endpoints,
            std::uint64_t lost_before) noexcept;
  bool pop(tap_record& out) noexcept;
  void release() noexcept;
  void drop(std::size_t bytes) noexcept;

  std::size_t capacity_;
  std::size_t event_reserve_;
  std::size_t early_wrap_;  // wrap back to 0 from here once the consumer has freed the start
  std::unique_ptr<std::uint64_t[]> storage_;  // 8-octet aligned
  std::uint8_t* ring_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // written by producer
  std::uint64_t tail_cache_ = 0;                    // producer-private copy of tail_
  std::uint64_t next_wrap_try_ = 0;                 // producer-private
  std::size_t touched_ = 0;                         // producer-private: highest offset written
  std::atomic<std::size_t> touched_pub_{0};
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // written by consumer
  std::uint64_t head_cache_ = 0;                    // consumer-private copy of head_
  std::uint64_t pending_release_ = 0;               // consumer-private
  alignas(64) std::atomic<std::uint64_t> dropped_records_{0};
  std::atomic<std::uint64_t> dropped_bytes_{0};
  std::atomic<std::uint64_t> pushed_records_{0};
};

template <class F>
std::size_t tap_queue::drain(F&& on_record, std::size_t max_records) {
  std::size_t n = 0;
  tap_record r;
  while (n < max_records && pop(r)) {
    on_record(static_cast<const tap_record&>(r));
    release();
    ++n;
  }
  return n;
}

}  // namespace smppscope::analysis
