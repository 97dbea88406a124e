// Writes what the proxy relayed as pcap files that Wireshark/tshark decode as SMPP with no
// options: synthesised Ethernet + IPv4/IPv6 + TCP headers with the real endpoints, a three-way
// handshake at session start, FIN/ACK at close, exact sequence/ack numbers and valid checksums.
// One pcap record per relayed chunk (split only when a chunk exceeds one IP packet).
//
// Classic pcap format (LINKTYPE_ETHERNET, microsecond timestamps), written with stdio and
// flushed after every batch, so a file in progress opens in Wireshark.
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
#include <unordered_map>
#include <vector>

#include "smppscope/capture/event.hpp"
#include "smppscope/capture/observer.hpp"
#include "smppscope/capture/tap.hpp"

namespace smppscope::capture {

class session_table;

// Which TCP leg(s) go into the file.
enum class pcap_legs : std::uint8_t {
  both,      // client <-> proxy listen side, and proxy upstream side <-> SMSC
  client,    // client <-> proxy only
  upstream,  // proxy <-> SMSC only
};
std::optional<pcap_legs> parse_pcap_legs(std::string_view s) noexcept;  // "both"|"client"|"upstream"

struct pcap_writer_options {
  std::filesystem::path dir;                  // --pcap-dir (created if missing)
  pcap_legs legs = pcap_legs::both;           // --pcap-legs
  std::uint64_t rotate_bytes = 256u << 20;    // --pcap-rotate-mb; 0 = never by size
  std::int64_t rotate_seconds = 3600;         // --pcap-rotate-sec; 0 = never by time
  bool redact_passwords = false;              // --pcap-redact: bind/outbind passwords as '*'
  std::int64_t retry_after_us = 5'000'000;    // after a write error, pause this long
  std::string file_prefix = "smppscope";      // smppscope-YYYYMMDD-HHMMSS-N.pcap (UTC)
};

struct pcap_writer_stats {
  std::uint64_t files = 0;          // files opened
  std::uint64_t packets = 0;        // pcap records written
  std::uint64_t bytes = 0;          // octets written to files (headers included)
  std::uint64_t dropped_bytes = 0;  // payload octets not written (paused after an error)
  std::uint64_t write_errors = 0;
  bool paused = false;
};

// A record_sink for the analyzer. All members except stats()/current_file() run on the
// analysis thread. Never throws into the analysis loop: errors pause capture and are counted.
class pcap_writer final : public record_sink {
 public:
  explicit pcap_writer(pcap_writer_options opt);
  ~pcap_writer() override;  // closes the file (FIN for live sessions is not written)
  pcap_writer(const pcap_writer&) = delete;
  pcap_writer& operator=(const pcap_writer&) = delete;

  void on_record(const tap_record& r) override;
  void on_batch_end(std::int64_t now_us) override;  // flush, time rotation, retry after error
  void close();

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
};

// The same export written piecewise (GET /api/pcap streams it): header() once, add() each event
// in id order as it is read, finish() for the FINs. Each call appends to `out`; the exporter
// keeps only per-session TCP state, never the events.
class pcap_export {
 public:
  explicit pcap_export(endpoints_lookup lookup, pcap_export_options opt = {});
  ~pcap_export();
  pcap_export(const pcap_export&) = delete;
  pcap_export& operator=(const pcap_export&) = delete;
  static void header(std::string& out);
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

}  // namespace smppscope::capture
