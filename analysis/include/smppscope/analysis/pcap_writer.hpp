// Writes what the proxy relayed as pcap files that Wireshark/tshark decode as SMPP with no
// options: synthesised Ethernet + IPv4/IPv6 + TCP headers with the real endpoints, a three-way
// handshake at session start, FIN/ACK at close, exact sequence/ack numbers and valid checksums.
// One pcap record per relayed chunk (split only when a chunk exceeds one IP packet).
//
// Classic pcap (LINKTYPE_ETHERNET, microsecond timestamps) by default, or pcapng, whose packets
// carry what the analysis found as comments (frame.comment in Wireshark, listed in Expert Info):
// response latency, alerts raised and cleared, profile lints, capture gaps ("lossy") and framing
// breaks. Written with stdio and flushed after every batch, so a file in progress opens in
// Wireshark.
//
// How comments meet their packets (pcapng only): the analyzer hands a record to its sinks before
// it analyses it, so the writer holds back ONE record (copied; at most one relayed chunk) and
// writes it when the next record comes or the batch ends; by then the observers and the analyzer
// have said everything about it. It learns that as an observer (on_pdu: the response latency and
// the PDU's lints through `annotate`) and from the event ring (alerts and gaps carrying the
// record's timestamp). What belongs to no held record (alerts raised on a tick) waits, a few per
// session, for the session's next packet or its FIN.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smppscope/analysis/event.hpp"
#include "smppscope/analysis/observer.hpp"
#include "smppscope/analysis/tap.hpp"

namespace smppscope::analysis {

class session_table;

// Which TCP leg(s) go into the file.
enum class pcap_legs : std::uint8_t {
  both,      // client <-> proxy listen side, and proxy upstream side <-> SMSC
  client,    // client <-> proxy only
  upstream,  // proxy <-> SMSC only
};
std::optional<pcap_legs> parse_pcap_legs(std::string_view s) noexcept;  // "both"|"client"|"upstream"

// The file format: classic pcap, or pcapng with per-packet comments.
enum class pcap_format : std::uint8_t { pcap, pcapng };
std::optional<pcap_format> parse_pcap_format(std::string_view s) noexcept;  // "pcap"|"pcapng"
std::string_view pcap_format_extension(pcap_format f) noexcept;            // ".pcap"|".pcapng"

// Files: PREFIX-YYYYMMDD-HHMMSS-N.pcap (.pcapng in that format; UTC), created mode 0600 with O_CREAT|O_EXCL|O_NOFOLLOW
// in a directory created 0700 if missing; an existing file or symlink at a name is left untouched
// and the next free N is taken. The directory policy (symlink or world-writable) is described in
// src/detail/pcap_dir.hpp.
//
// Retention (max_total_bytes, max_age_seconds) deletes the oldest of our own files only (names
// of that pattern, regular files owned by this user), never the file being written. It runs when
// a file is opened, when the total goes over the limit, every retention_every_us for the age,
// and before each retry while paused.
//
// A write error (a full disk: ENOSPC, EDQUOT; or any other) pauses capture, never the relay: the
// file is cut back to its last complete record (removed if it held none), what arrives while
// paused is counted as dropped, and a retry (retention first, then a free-space check after
// ENOSPC/EDQUOT, then a new file) runs after retry_after_us, doubling up to retry_max_us. Pause
// and resume are each logged once.
struct pcap_writer_options {
  std::filesystem::path dir;                  // --pcap-dir (created 0700 if missing)
  pcap_legs legs = pcap_legs::both;           // --pcap-legs
  std::uint64_t rotate_bytes = 256u << 20;    // --pcap-rotate-mb; 0 = never by size
  std::int64_t rotate_seconds = 3600;         // --pcap-rotate-sec; 0 = never by time
  bool redact_passwords = true;               // bind/outbind passwords as '*' (--pcap-keep-passwords: false)
  std::int64_t retry_after_us = 5'000'000;    // after a write error, pause this long...
  std::int64_t retry_max_us = 60'000'000;     // ...doubling up to this while it keeps failing
  std::uint64_t max_total_bytes = 0;          // --pcap-max-total-mb; 0 = no limit
  std::int64_t max_age_seconds = 0;           // --pcap-max-age; 0 = no limit
  std::int64_t retention_every_us = 60'000'000;  // how often the age limit is checked
  std::uint64_t resume_free_bytes = 1u << 20; // after ENOSPC/EDQUOT, retry once this much is free
  std::string file_prefix = "smppscope";      // smppscope-YYYYMMDD-HHMMSS-N.pcap (UTC)
  pcap_format format = pcap_format::pcap;     // --pcap-format
  // pcapng: where the PDUs' profile lints come from (the compliance checker); nullptr = none.
  // Must outlive the writer.
  const pdu_annotator* annotate = nullptr;
};

// "7d", "12h", "30m", "45s" or plain seconds ("3600"); nullopt when not a duration.
std::optional<std::int64_t> parse_duration_seconds(std::string_view s) noexcept;

struct pcap_writer_stats {
  std::uint64_t files = 0;            // files opened
  std::uint64_t packets = 0;          // pcap records written
  std::uint64_t bytes = 0;            // octets written to files (headers included)
  std::uint64_t dropped_bytes = 0;    // payload octets not written (paused after an error)
  std::uint64_t dropped_records = 0;  // relayed chunks not written (paused after an error)
  std::uint64_t write_errors = 0;
  std::uint64_t deleted_files = 0;    // removed by retention
  std::uint64_t deleted_bytes = 0;
  bool paused = false;
};

// A record_sink for the analyzer, and (for the comments of pcapng) an observer: register it
// with add_observer() after the diagnostics and the compliance checker. All members except
// stats()/current_file() run on the analysis thread. Never throws into the analysis loop:
// errors pause capture and are counted.
class pcap_writer final : public record_sink, public observer {
 public:
  // Throws std::runtime_error for a directory it cannot or will not use; a full disk at start
  // is not an error (capture starts paused).
  explicit pcap_writer(pcap_writer_options opt);
  ~pcap_writer() override;  // closes the file (FIN for live sessions is not written)
  pcap_writer(const pcap_writer&) = delete;
  pcap_writer& operator=(const pcap_writer&) = delete;

  void on_record(const tap_record& r) override;
  void on_batch_end(std::int64_t now_us) override;  // flush, time rotation, retry after error
  void close();

  // observer (pcapng comments; nothing to do for classic pcap)
  void on_pdu(const pdu_info& p, analysis_context& ctx) override;
  void on_tick(std::int64_t now_us, analysis_context& ctx) override;

  pcap_writer_stats stats() const noexcept;  // any thread
  std::filesystem::path current_file() const;  // any thread; empty when none is open

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// ---- export of ring events (GET /api/pcap) ----
// The four endpoints of a session; when unknown, synthetic addresses are used.
struct session_endpoints {
  endpoint client, proxy_client_side, proxy_upstream_side, upstream;
};
using endpoints_lookup = std::function<std::optional<session_endpoints>(std::uint64_t session)>;
// Endpoints from a session_table (live and recently closed sessions).
endpoints_lookup endpoints_from(const session_table& t);

struct pcap_export_options {
  pcap_legs legs = pcap_legs::client;
  bool redact_passwords = true;
  pcap_format format = pcap_format::pcap;
  // pcapng: profile lints of the PDUs (render-time annotator); nullptr = none.
  const pdu_annotator* annotate = nullptr;
};

// The same export written piecewise (GET /api/pcap streams it): header() once, add() each event
// in id order as it is read, finish() for the FINs. Each call appends to `out`; the exporter
// keeps only per-session TCP state (and, for pcapng, a bounded comment state), never the events.
// pcapng comments: feed the alert, alert_cleared, malformed and capture_gap events too (they go
// on the session's next packet); pdu events give the response latency.
class pcap_export {
 public:
  explicit pcap_export(endpoints_lookup lookup, pcap_export_options opt = {});
  ~pcap_export();
  pcap_export(const pcap_export&) = delete;
  pcap_export& operator=(const pcap_export&) = delete;
  static void header(std::string& out, pcap_format f = pcap_format::pcap);
  void add(const event& e, std::string& out);  // pdu events; others are skipped
  void finish(std::string& out);

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// Synthesises TCP streams (handshake, one segment per PDU, FIN at the end) from pdu events;
// other event types are skipped. Events must be in id order (as the ring returns them).
// Returns the pcap file as octets; the FILE* form returns false on a write error.
std::string write_pcap(std::span<const event> events, const endpoints_lookup& lookup,
                       const pcap_export_options& opt = {});
bool write_pcap(std::FILE* out, std::span<const event> events, const endpoints_lookup& lookup,
                const pcap_export_options& opt = {});

}  // namespace smppscope::analysis
