// One proxied ESME<->SMSC pair and the loop that moves its bytes.
//
//   ESME ──TCP/TLS──▶ client stream ──relay(esme_to_smsc)──▶ upstream stream ──TCP/TLS──▶ SMSC
//        ◀────────── client stream ◀──relay(smsc_to_esme)── upstream stream ◀──────────
//                                   │ after each write: copy of the chunk
//                                   ▼
//                 analysis::tap_queue (one per relay thread, lock-free, bounded)
//                                   ▼  analysis thread
//                 framer + decoder ─▶ event ring ─▶ web UI / WebSocket, pcap writer
//
// The relay thread's watchdog (proxy.cpp) reads the write_watch stamps below and closes both legs
// when nothing moved for idle_timeout or one write outlasted write_timeout.
//
// Each relay thread runs one io_context; a session lives on one of them for its whole life, so
// nothing here needs a lock or a strand. Bytes leave exactly as they arrived, before any decoding.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <type_traits>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "smppscope/analysis/tap.hpp"
#include "smppscope/proxy/detail/buffer_pool.hpp"
#include "smppscope/proxy/detail/pdu_counter.hpp"
#include "smppscope/proxy/detail/streams.hpp"

namespace smppscope::proxy::detail {

inline std::int64_t now_us() noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Monotonic time for the session watchdog (idle and write timeouts).
inline std::int64_t steady_us() noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum class relay_end : std::uint8_t { none, eof, read_error, write_error, stopped };

struct relay_result {
  relay_end end = relay_end::none;
  boost::system::error_code ec;
};

struct direction_state {
  std::uint64_t bytes = 0;
  std::uint64_t tap_lost = 0;  // octets the tap refused since its last accepted push
  pdu_counter pdus;
  bool reading = false;                       // a read is in flight on stop_read's slot
  asio::cancellation_signal stop_read;        // proxy shutdown: abort the pending read only
  relay_result result;
  // For the session watchdog: when the write in flight began (0: none), when the last one ended.
  std::int64_t write_started_us = 0;
  std::int64_t last_write_us = 0;
};

// Marks a relay write in flight for the watchdog, for as long as it lives (wraps the write).
class write_watch {
 public:
  explicit write_watch(direction_state& d) noexcept : d_(d) { d_.write_started_us = steady_us(); }
  ~write_watch() {
    d_.last_write_us = steady_us();
    d_.write_started_us = 0;
  }
  write_watch(const write_watch&) = delete;
  write_watch& operator=(const write_watch&) = delete;

 private:
  direction_state& d_;
};

// Why the watchdog ended a session; none while it did not.
enum class watchdog_end : std::uint8_t { none, idle, write_timeout };

enum class session_stage : std::uint8_t { client_handshake, connecting, upstream_handshake, relaying, done };

// State shared by the two relay directions of one session. Lives in the session coroutine frame;
// touched only on its relay thread.
struct session_core {
  std::uint64_t id = 0;
  analysis::tap_queue* tap = nullptr;
  buffer_pool* pool = nullptr;      // the relay thread's
  std::atomic<std::uint64_t>* thread_bytes = nullptr;  // [2], the relay thread's live totals
  tcp::socket* client = nullptr;    // lowest layers, for closing
  tcp::socket* upstream = nullptr;
  session_stage stage = session_stage::client_handshake;
  bool stopping = false;
  direction_state dirs[2];          // indexed by analysis::direction
  relay_end first_end = relay_end::none;
  analysis::direction first_dir = analysis::direction::esme_to_smsc;
  std::int64_t relay_start_us = 0;  // steady_us() when relaying began (the watchdog's idle origin)
  watchdog_end cut = watchdog_end::none;
  analysis::direction cut_dir = analysis::direction::esme_to_smsc;  // the write that timed out
  session_core* prev = nullptr;     // relay thread's session list
  session_core* next = nullptr;

  explicit session_core(std::uint32_t max_pdu) noexcept {
    for (auto& d : dirs) d.pdus = pdu_counter(max_pdu);
  }

  // Closes both sockets; every pending operation on them completes with operation_aborted.
  void abort() noexcept {
    boost::system::error_code ec;
    if (client) client->close(ec);
    if (upstream) upstream->close(ec);
  }

  // Proxy shutdown: no new reads; writes in flight may finish (the proxy's grace timer aborts).
  void request_stop() {
    stopping = true;
    if (stage != session_stage::relaying) {
      abort();
      return;
    }
    for (auto& d : dirs)
      if (d.reading) d.stop_read.emit(asio::cancellation_type::terminal);
  }

  void note_end(analysis::direction dir, relay_result r) noexcept {
    dirs[static_cast<int>(dir)].result = r;
    if (first_end == relay_end::none) {
      first_end = r.end;
      first_dir = dir;
    }
  }
};

// Copies `from` to `to` until `from` ends. Each chunk is written out first, then its copy goes to
// the tap (push_data neither allocates, locks nor blocks; a full queue counts a drop). EOF is
// passed on as a half-close; an error closes both legs so the other direction ends too.
//
// Buffers come from the relay thread's pool (s.pool). Reading plain TCP, the direction waits for
// readability holding no buffer, then borrows one, reads what is there without blocking, writes
// it (without blocking when the socket takes it all, which it nearly always does), copies it to
// the tap and gives the buffer back: an idle session holds none. After a read it tries up to
// `speculative_reads` more before waiting again, since under load the next bytes are usually
// there already. A TLS read cannot be split that way, so a TLS source keeps its buffer for the
// session's life.
template <class From, class To>
asio::awaitable<void> relay(From& from, To& to, session_core& s, analysis::direction dir) {
  constexpr bool plain_from = std::is_same_v<From, tcp::socket>;
  constexpr bool plain_to = std::is_same_v<To, tcp::socket>;
  constexpr int speculative_reads = 1;
  direction_state& d = s.dirs[static_cast<int>(dir)];
  boost::system::error_code ignored;
  if constexpr (plain_from) from.non_blocking(true, ignored);  // async operations are unaffected
  if constexpr (plain_to) to.non_blocking(true, ignored);
  pooled_buffer held;  // TLS source: this direction's buffer for the session's life
  if constexpr (!plain_from) held = s.pool->take();
  int speculative_left = 0;
  for (;;) {
    if (s.stopping) {
      s.note_end(dir, {relay_end::stopped, {}});
      co_return;
    }
    pooled_buffer lent;
    std::span<std::uint8_t> buf;
    std::size_t n = 0;
    boost::system::error_code rec;
    if constexpr (plain_from) {
      if (speculative_left == 0) {
        d.reading = true;
        auto [wec] = co_await from.async_wait(
            tcp::socket::wait_read,
            asio::bind_cancellation_slot(d.stop_read.slot(), asio::as_tuple(asio::use_awaitable)));
        d.reading = false;
        rec = wec;
        speculative_left = speculative_reads + 1;
      }
      --speculative_left;
      if (!rec) {
        lent = s.pool->take();
        buf = lent.span();
        n = from.read_some(asio::buffer(buf.data(), buf.size()), rec);
        if (rec == asio::error::would_block || rec == asio::error::try_again) {
          speculative_left = 0;
          continue;  // nothing there (yet): `lent` goes back, wait holding nothing
        }
      }
    } else {
      buf = held.span();
      d.reading = true;
      auto [r, k] = co_await from.async_read_some(
          asio::buffer(buf.data(), buf.size()),
          asio::bind_cancellation_slot(d.stop_read.slot(), asio::as_tuple(asio::use_awaitable)));
      d.reading = false;
      rec = r;
      n = k;
    }
    if (n > 0) {
      const write_watch watch(d);
      const std::int64_t ts = now_us();
      boost::system::error_code wec;
      std::size_t written = 0;
      if constexpr (plain_to) {
        written = to.write_some(asio::buffer(buf.data(), n), wec);
        if (wec == asio::error::would_block || wec == asio::error::try_again) wec = {};
      }
      if (!wec && written < n) {
        speculative_left = 0;  // suspended: wait for readability afresh
        auto [e, k] = co_await asio::async_write(to, asio::buffer(buf.data() + written, n - written),
                                                 asio::as_tuple(asio::use_awaitable));
        wec = e;
      }
      d.bytes += n;
      // Written by this relay thread alone: a plain load and store (no locked add), for live stats.
      auto& live = s.thread_bytes[static_cast<int>(dir)];
      live.store(live.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
      const std::span<const std::uint8_t> chunk(buf.data(), n);
      d.pdus.feed(chunk);
      // A refused push leaves a hole; the next accepted one carries its size, so analysis
      // resynchronises and the pcap shows the gap instead of joining across it.
      if (s.tap) d.tap_lost = s.tap->push_data(s.id, dir, ts, chunk, d.tap_lost) ? 0 : d.tap_lost + n;
      if (wec) {
        s.note_end(dir, {relay_end::write_error, wec});
        s.abort();
        co_return;
      }
    }
    if (rec) {
      lent.reset();
      if (is_end_of_stream(rec)) {
        s.note_end(dir, {relay_end::eof, {}});
        const write_watch watch(d);  // TLS close_notify is a write too
        co_await half_close(to);
      } else if (s.stopping && rec == asio::error::operation_aborted) {
        s.note_end(dir, {relay_end::stopped, {}});
      } else {
        s.note_end(dir, {relay_end::read_error, rec});
        s.abort();
      }
      co_return;
    }
  }
}

}  // namespace smppscope::proxy::detail
