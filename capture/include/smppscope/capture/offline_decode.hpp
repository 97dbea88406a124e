// `smppscope decode FILE`: reads a capture, reassembles TCP, finds SMPP on any port, frames and
// decodes every PDU. The walk (for_each_pdu) is separate from the output format so tests and
// benchmarks can use it directly.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "smppscope/capture/tap.hpp"

namespace smppscope::decoder {
struct pdu;
struct decode_error;
}  // namespace smppscope::decoder

namespace smppscope::capture {

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
  virtual void on_out_of_sync(const offline_out_of_sync&) {}
};

struct offline_stats {
  std::uint64_t packets = 0;
  std::uint64_t tcp_segments = 0;
  std::uint64_t streams = 0;
  std::uint64_t smpp_streams = 0;  // streams where SMPP was recognised in at least one direction
  std::uint64_t pdus = 0;
  std::uint64_t decode_errors = 0;
  std::uint64_t out_of_sync = 0;
  std::uint64_t gaps = 0;          // TCP holes skipped
};

// Walks a pcap/pcapng file. Returns false with `error` set when the file cannot be read as a
// capture (a truncated last record is not an error).
bool for_each_pdu(const std::string& path, offline_handler& h, offline_stats* stats,
                  std::string& error);

struct decode_output_options {
  bool json = false;  // one JSON event per line (decoder::append_pdu_json, session = stream)
  bool hex = false;   // JSON: include "hex"
};

// Prints one line per PDU to `out` (buffered). Returns false with `error` on an unreadable file.
bool decode_pcap_file(const std::string& path, std::FILE* out, const decode_output_options& opt,
                      offline_stats* stats, std::string& error);

}  // namespace smppscope::capture
