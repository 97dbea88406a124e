// `smppscope decode FILE`: reads a capture, reassembles TCP, finds SMPP and CMPP on any port, frames and
// decodes every PDU. The walk (for_each_pdu) is separate from the output format so tests and
// benchmarks can use it directly.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "smppscope/analysis/diag/diag_options.hpp"
#include "smppscope/analysis/tap.hpp"

namespace smppscope::decoder {
struct pdu;
struct decode_error;
namespace cmpp {
struct pdu;
struct decode_error;
}  // namespace cmpp
}  // namespace smppscope::decoder

namespace smppscope::analysis {

struct offline_pdu {
  std::uint32_t stream = 0;      // TCP stream index, in order of first appearance
  direction dir = direction::esme_to_smsc;
  std::int64_t ts_us = 0;        // of the packet that completed the PDU
  const endpoint* src = nullptr;
  const endpoint* dst = nullptr;
  const decoder::pdu* pdu = nullptr;
  const decoder::decode_error* error = nullptr;  // nullptr when decode() succeeded
  std::span<const std::uint8_t> frame;
};

// A CMPP PDU (a stream whose first PDU is CMPP; see decoder::cmpp::sniff). pdu->ver is the
// version the stream's version detector chose for it.
struct offline_cmpp_pdu {
  std::uint32_t stream = 0;
  direction dir = direction::esme_to_smsc;
  std::int64_t ts_us = 0;
  const endpoint* src = nullptr;
  const endpoint* dst = nullptr;
  const decoder::cmpp::pdu* pdu = nullptr;
  const decoder::cmpp::decode_error* error = nullptr;  // nullptr when decode() succeeded
  std::span<const std::uint8_t> frame;
};

struct offline_out_of_sync {
  std::uint32_t stream = 0;
  direction dir = direction::esme_to_smsc;
  std::int64_t ts_us = 0;
  const endpoint* src = nullptr;
  const endpoint* dst = nullptr;
  std::string_view message;
};

class offline_handler {
 public:
  virtual ~offline_handler() = default;
  virtual void on_pdu(const offline_pdu& p) = 0;
  virtual void on_cmpp_pdu(const offline_cmpp_pdu&) {}
  virtual void on_out_of_sync(const offline_out_of_sync&) {}
};

struct offline_stats {
  std::uint64_t packets = 0;
  std::uint64_t tcp_segments = 0;
  std::uint64_t streams = 0;
  std::uint64_t smpp_streams = 0;  // streams where SMPP was recognised in at least one direction
  std::uint64_t cmpp_streams = 0;  // streams whose first PDU was CMPP
  std::uint64_t pdus = 0;
  std::uint64_t decode_errors = 0;
  std::uint64_t out_of_sync = 0;
  std::uint64_t gaps = 0;          // TCP holes skipped
  std::uint64_t empty_streams_dropped = 0;  // ended (FIN/RST) before any payload: not kept
  std::uint64_t evicted_streams = 0;        // idlest streams forgotten to stay within the limits
  std::uint64_t peak_live_streams = 0;
  std::uint64_t peak_state_bytes = 0;       // reassembly + partial PDUs + per-stream estimate
};

// Bounds on what the walk keeps, all streams together. Beyond either, the least recently active
// stream is flushed (its buffered octets delivered, holes skipped) and forgotten; a later packet of
// it starts a new stream. A hostile capture (floods of SYNs, streams full of holes) costs at most
// this much memory.
struct offline_limits {
  std::size_t max_streams = 65536;        // live streams
  std::size_t max_state_bytes = 256u << 20;  // out-of-order octets + partial PDUs + per-stream estimate
  // Called once, the first time a stream is evicted (the caller says so on stderr).
  std::function<void(std::string_view)> on_first_eviction;
  // false: every TCP segment goes through the reassembly buffer, not only the out-of-order ones
  // (tcp_reassembler::options::in_order_fast_path). The output is the same; tests compare both.
  bool in_order_fast_path = true;
};
// What one live stream costs besides the octets it buffers (tables, framers), for the estimate.
inline constexpr std::size_t offline_stream_overhead = 1024;

// Walks a pcap/pcapng file. Returns false with `error` set when the file cannot be read as a
// capture (a truncated last record is not an error).
bool for_each_pdu(const std::string& path, offline_handler& h, offline_stats* stats,
                  std::string& error, const offline_limits& limits = {});

struct decode_output_options {
  bool json = false;  // one JSON event per line (decoder::append_pdu_json, session = stream)
  bool hex = false;   // JSON: include "hex"
  offline_limits limits;
  // After the PDU lines, the alerts the session diagnostics raise over the capture, with the
  // capture's times: the file is read once more through the analysis pipeline (pipeline.hpp).
  // Text: "TIME #STREAM ALERT kind (side): message"; JSON: the alert events.
  bool diagnose = false;
  diag::diag_options diag;  // thresholds for `diagnose`
};

// Prints one line per PDU to `out` (buffered). Returns false with `error` on an unreadable file.
bool decode_pcap_file(const std::string& path, std::FILE* out, const decode_output_options& opt,
                      offline_stats* stats, std::string& error);

}  // namespace smppscope::analysis
