// The analysis thread: everything that happens to the copy of a relayed byte.
//
//   relay thread 1 --push_data--> tap_queue 1 --+
//   relay thread 2 --push_data--> tap_queue 2 --+--> analyzer (ONE thread)
//                                                     |  per (session, direction): framer
//                                                     |    frame -> decode -> event_ring (pdu event)
//                                                     |    bad header -> `malformed` alert, scan for
//                                                     |      the next plausible header; ONE
//                                                     |      `malformed` event when it resumes
//                                                     |    tap gap (record.lost_before) -> lossy
//                                                     |      session, same scan, ONE `capture_gap`
//                                                     |  session_table (counters, bind state)
//                                                     |  observers (diagnostics) -> alerts
//                                                     +- record_sinks (pcap_writer: raw chunks)
//   web threads <-- read_since / snapshot -- event_ring, session_table (never block the writer)
//
// The relay never waits for any of this: a full tap_queue drops and counts.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <thread>
#include <vector>

#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/observer.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/analysis/tap.hpp"
#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::decoder {
struct framer_error;
struct framer_resync;
}  // namespace smppscope::decoder

namespace smppscope::analysis {

// An alert as it is raised (not when an active one is only updated): for tools that report
// alerts as they happen (decode --diagnose). `json` is the whole alert event.
struct alert_event {
  std::uint64_t session = 0;
  std::int64_t ts_us = 0;
  std::string_view kind, message;
  std::string_view side;  // "esme", "smsc", ... as the alert says; "" when it names none
  std::string_view json;
};

struct analyzer_options {
  std::uint32_t max_pdu = 64 * 1024;         // framer maximum command_length
  std::int64_t tick_interval_us = 100'000;   // observer on_tick period
  std::size_t batch_records = 4096;          // records per queue per poll round
  // The thread drains the queues, then sleeps this long: nothing wakes it per chunk, so the relay
  // pays no wake-up, and records are handled in batches (a 64 MiB queue holds ~0.4 s at 1 M PDUs/s).
  std::int64_t batch_interval_us = 1000;
  // Run the thread in the lowest scheduling class (Linux SCHED_IDLE; elsewhere nice 19), so a relay
  // thread with bytes to move preempts it at once on a shared core. Analysis then gets the CPU the
  // relay leaves; when there is none the queues fill and drop, counted.
  bool background_priority = false;
  // The protocol every session speaks (--protocol); unknown = auto: decided per session from its
  // first PDU (SMPP and CMPP; see decoder::cmpp::sniff).
  decoder::cmpp::wire_protocol protocol = decoder::cmpp::wire_protocol::unknown;
  // Called on the analysis thread for every alert event emitted; nullptr: none.
  std::function<void(const alert_event&)> on_alert;
};

struct analyzer_stats {
  std::uint64_t records = 0;        // tap records processed
  std::uint64_t data_records = 0;
  std::uint64_t bytes = 0;          // relayed octets seen
  std::uint64_t pdus = 0;           // framed PDUs
  std::uint64_t decode_errors = 0;  // framed PDUs that decode() rejected
  std::uint64_t out_of_sync = 0;    // times a direction's framing broke on a bad header
  std::uint64_t resyncs = 0;        // times framing resumed (after a bad header or a tap gap)
  std::uint64_t capture_gaps = 0;   // data records that followed tap drops
  std::uint64_t skipped_bytes = 0;  // octets seen but not framed while resynchronising
  std::uint64_t sessions_opened = 0;
  std::uint64_t sessions_closed = 0;
  std::uint64_t tap_dropped_records = 0;  // sum over registered queues
  std::uint64_t tap_dropped_bytes = 0;
};

class analyzer final : private analysis_context {
 public:
  analyzer(event_ring& ring, session_table& sessions, analyzer_options opt = {});
  ~analyzer() override;  // stops (and drains) if running
  analyzer(const analyzer&) = delete;
  analyzer& operator=(const analyzer&) = delete;

  // ---- setup: before start() (or, without a thread, before the first process()) ----
  void add_queue(tap_queue& q);
  void add_observer(observer& o);
  void add_sink(record_sink& s);

  // ---- the thread ----
  void start();
  // Stops the thread after draining every queue completely; then a final tick and flush.
  void stop();
  bool running() const noexcept { return running_.load(std::memory_order_relaxed); }

  // ---- synchronous use (tests, offline tools): call from one thread, not while running ----
  void process(const tap_record& r);
  std::size_t poll_once();               // drains each queue once; returns records processed
  void tick(std::int64_t now_us);        // observers' on_tick + sinks' on_batch_end

  // ---- any thread ----
  analyzer_stats stats() const noexcept;

 private:
  struct state;  // per-session framers and lookup (analysis thread), in analyzer.cpp
  void run();
  void on_data(const tap_record& r);
  void on_open(const tap_record& r);
  void on_close(const tap_record& r);
  struct half_state;
  // Frames and decodes a chunk of one direction of a session whose protocol is decided.
  void frame_data(const tap_record& r, void* session);
  void lost_sync(const tap_record& r, half_state& h, const decoder::framer_error& cause);
  void end_episode(std::uint64_t session, direction d, std::int64_t ts_us, half_state& h,
                   const decoder::framer_resync& ep, bool resumed);

  // analysis_context
  std::uint64_t emit(event_type type, std::uint64_t session, std::optional<direction> dir,
                     std::int64_t ts_us, std::string_view members) override;
  void raise_alert(std::uint64_t session, std::string_view kind, std::string_view message,
                   std::int64_t ts_us, std::string_view extra_json) override;
  void clear_alert(std::uint64_t session, std::string_view kind, std::int64_t ts_us) override;
  void set_outstanding(std::uint64_t session, direction d, std::uint32_t n) override;
  session_table& sessions() override { return sessions_; }
  const event_ring& ring() const override { return ring_; }

  event_ring& ring_;
  session_table& sessions_;
  analyzer_options opt_;
  std::vector<tap_queue*> queues_;
  std::vector<observer*> observers_;
  std::vector<record_sink*> sinks_;
  std::unique_ptr<state> st_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::int64_t next_tick_us_ = 0;

  struct counters {
    std::atomic<std::uint64_t> records{0}, data_records{0}, bytes{0}, pdus{0}, decode_errors{0},
        out_of_sync{0}, resyncs{0}, capture_gaps{0}, skipped_bytes{0}, sessions_opened{0}, sessions_closed{0};
  } c_;
};

// Wall clock in microseconds since the epoch (what the relay stamps records with).
std::int64_t now_us() noexcept;

}  // namespace smppscope::analysis
