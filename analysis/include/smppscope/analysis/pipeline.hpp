// One analysis pipeline for every source of traffic: the relay, a live capture and capture files.
//
//   relay thread 1 --push--> tap_queue --+
//   relay thread N --push--> tap_queue --+                       (live: a thread drains the
//   sniffer thread --push--> tap_queue --+--> analyzer -----+     queues; time = wall clock)
//   capture file ----------- push() ------+   (ONE thread)  |
//     (feed_capture_file: pcap/pcapng ->                    +--> event_ring      --> web, decode
//      TCP reassembly -> session records;                   +--> session_table   --> web, close log
//      time = the records' timestamps)                      +--> diagnostics     --> alerts, timelines
//                                                           +--> compliance      --> profile alerts
//                                                           +--> pcap_writer     --> files
//
// Sources hand over tap records WITH their timestamps. Live, observers tick on the wall clock; a
// capture file's records are pushed synchronously and observers tick on the records' own times
// (every tick interval of capture time, in order), so a capture gets the same timeouts, alerts
// and timelines it would have had live, dated as in the capture.
//
// The pipeline also writes the one log line per closed session (docs/INTERFACE.md): the
// analyzer owns the per-session PDU counts and the system_id, so the relay does not count PDUs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/compliance.hpp"
#include "smppscope/analysis/diag/diagnostics.hpp"
#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/offline_decode.hpp"
#include "smppscope/analysis/pcap_writer.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/analysis/tap.hpp"

namespace smppscope::analysis {

struct pipeline_options {
  analyzer_options analyzer;       // max_pdu, protocol, tick interval, thread priority
  event_ring_options ring;
  std::size_t max_closed_sessions = 1000;  // closed sessions the session table keeps
  std::optional<pcap_writer_options> pcap;          // set: write pcap files (a record sink)
  std::optional<diag::diag_options> diagnostics;    // set: session diagnostics (alerts, timelines)
  diag::alert_logger alert_log;                     // diagnostics' alert lines; nullptr: none
  std::optional<compliance_options> compliance;     // set: provider-profile checks
  // One line per closed session (no newline), on the analysis thread:
  //   session 7 client 10.0.0.1:40000 close -> upstream 10.0.0.2:2775 system_id acme:
  //   esme_to_smsc 12 PDUs 1400 bytes, smsc_to_esme 12 PDUs 700 bytes, 3.250 s, client closed
  // (" system_id X" only once a bind named one; peer text escaped with decoder::log_safe; bytes
  // include octets the tap dropped, PDUs are those analysed). nullptr: no line.
  std::function<void(std::string_view line)> session_log;
};

class pipeline {
 public:
  // Throws std::runtime_error when a part cannot be built (e.g. an unusable pcap directory).
  explicit pipeline(pipeline_options opt);
  ~pipeline();  // stop()
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  // ---- setup: before start() or the first push() ----
  // A queue for one live producer thread (a relay thread, a sniffer), owned by the pipeline.
  tap_queue& add_queue(std::size_t capacity_bytes = 64u << 20);
  // A queue owned by its producer; it must outlive the pipeline's thread (stop() first).
  void add_queue(tap_queue& q);
  // Further observers and sinks (the web's PDU counter, tests). Must outlive the pipeline.
  void add_observer(observer& o);
  void add_sink(record_sink& s);

  // ---- live: one analysis thread drains the queues; observers tick on the wall clock ----
  void start();
  // Drains every queue, a final tick, then closes the pcap file. Idempotent.
  void stop();
  bool running() const noexcept;

  // ---- synchronous: one thread pushes records in time order (capture files, tests) ----
  // Observers first tick for every tick interval of record time up to r.ts_us (never backwards:
  // a record older than the newest seen is handled at the newest time), then r is analysed.
  void push(const tap_record& r);
  // Ticks up to ts_us without a record (the end of a capture: timeouts that fall before it fire).
  void advance_to(std::int64_t ts_us);
  // A final tick at the newest record time and a flush of the sinks (the pcap file stays open).
  void finish();
  // The newest record time pushed (0 before any).
  std::int64_t record_time_us() const noexcept { return clock_us_; }

  // ---- parts, for wiring (web, metrics) and readers ----
  event_ring& ring() noexcept { return *ring_; }
  session_table& sessions() noexcept { return *sessions_; }
  analysis::analyzer& analyzer() noexcept { return *analyzer_; }
  pcap_writer* pcap() noexcept { return pcap_.get(); }                       // nullptr without
  diag::diagnostics* diagnostics() noexcept { return diagnostics_.get(); }   // nullptr without
  compliance_checker* compliance() noexcept { return compliance_.get(); }    // nullptr without
  analyzer_stats stats() const noexcept { return analyzer_->stats(); }
  std::uint32_t max_pdu() const noexcept { return opt_.analyzer.max_pdu; }

 private:
  class close_logger;
  void tick_until(std::int64_t ts_us);

  pipeline_options opt_;
  // Declared before the analyzer: everything it reads outlives its thread.
  std::unique_ptr<event_ring> ring_;
  std::unique_ptr<session_table> sessions_;
  std::vector<std::unique_ptr<tap_queue>> queues_;
  std::unique_ptr<pcap_writer> pcap_;
  std::unique_ptr<diag::diagnostics> diagnostics_;
  std::unique_ptr<compliance_checker> compliance_;
  std::unique_ptr<close_logger> close_log_;
  std::unique_ptr<analysis::analyzer> analyzer_;
  std::int64_t clock_us_ = 0;      // synchronous use: the newest record time
  std::int64_t next_tick_us_ = 0;  // synchronous use: 0 until the first record
};

// ---- capture files as a source ----------------------------------------------------------------
//
// Reads a pcap/pcapng file (pcap_file_reader, parse_tcp_packet, tcp_reassembler) and pushes, per
// TCP stream, a session_open record (the capture's endpoints: client = the ESME side, upstream =
// the SMSC side; the proxy_* endpoints are the same two, one TCP connection), data records in
// capture order with the packets' times, and a session_close record when the stream ends (FIN
// both ways or RST; reason "client closed", "upstream closed", "client reset", "upstream reset").
// A stream whose start was not captured still opens a session at its first packet; octets the
// capture missed (TCP holes) are pushed as lost_before, so the session is lossy and resyncs.
// Who is the ESME: the SYN sender, else the sender of the first PDU that only an ESME sends
// (bind, submit_sm ...; CMPP CONNECT, SUBMIT ...), else the higher port.
struct capture_file_options {
  // Stream k (0, 1, ... in order of first packet, as `decode` numbers them) -> session this + k;
  // a later connection on the same ports -> this + k + n * 2^32 (n = 1, 2 ...).
  std::uint64_t first_session_id = 1;
  offline_limits limits;               // max_streams / max_state_bytes bound the reassembly
  // Streams still open at the end of the file: false leaves their sessions live (as the capture
  // saw them last); true closes them at the last packet time with reason "capture ended".
  bool close_at_end = false;
  // Ticks the pipeline up to the last packet time at the end (timeouts before it fire).
  bool advance_at_end = true;
};

struct capture_file_stats {
  std::uint64_t packets = 0;
  std::uint64_t tcp_segments = 0;
  std::uint64_t streams = 0;        // sessions opened
  std::uint64_t closed = 0;         // sessions closed (FIN/RST, evicted, or close_at_end)
  std::uint64_t gaps = 0;           // TCP holes skipped (lost_before pushed)
  std::uint64_t evicted_streams = 0;
  std::int64_t first_ts_us = 0, last_ts_us = 0;
  std::uint64_t next_session_id = 0;  // the first id not used: first_session_id of a next file
};

// Pushes one file through `p` (synchronous use: p must not be running). Returns false with
// `error` set ("FILE: not a pcap or pcapng capture (...)") when the file cannot be read as a
// capture; a truncated last record ends the file without an error.
bool feed_capture_file(pipeline& p, const std::string& path, const capture_file_options& opt,
                       capture_file_stats* stats, std::string& error);

}  // namespace smppscope::analysis
