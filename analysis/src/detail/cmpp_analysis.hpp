// Per-session protocol choice (SMPP or CMPP) and the CMPP part of the analysis (internal to
// capture; analysis thread only). The analyzer keeps the framing, resync and event plumbing of
// both protocols; this decides which protocol a session speaks and turns a framed CMPP PDU into a
// pdu event:
//
//   first octets of either direction --held--> sniff() --smpp--> SMPP framers (as before)
//                                                      --cmpp--> CMPP framers (12-octet header)
//   CMPP frame --> version_detector (per session) --> ring (pdu event tagged with the version)
//                                                 --> session_table (counters, CONNECT state, version)
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/analysis/tap.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/framer.hpp"

namespace smppscope::analysis::detail {

// Octets held per direction while the protocol is undecided (at most one CMPP PDU is waited for).
inline constexpr std::size_t sniff_limit = 8192;

struct session_protocol {
  decoder::cmpp::wire_protocol proto = decoder::cmpp::wire_protocol::unknown;
  decoder::cmpp::version_detector cmpp_version;
  std::vector<std::uint8_t> held[2];  // per direction, while undecided
  bool reported = false;              // the session table knows the protocol
  decoder::cmpp::version reported_version = decoder::cmpp::version::v30;

  bool decided() const noexcept { return proto != decoder::cmpp::wire_protocol::unknown; }
  bool is_cmpp() const noexcept { return proto == decoder::cmpp::wire_protocol::cmpp; }
};

// Holds `bytes` of direction `d` and tries to decide. True once decided: the octets in `held`
// (both directions) are then to be framed, in order, before anything that follows.
// `lost_before` octets missing before `bytes`: what was held is no longer contiguous and is dropped.
bool sniff_protocol(session_protocol& sp, direction d, std::span<const std::uint8_t> bytes,
                    std::uint64_t lost_before);

// The framer layout of CMPP (12-octet header, CMPP command ids for resync).
decoder::framer_layout cmpp_framer_layout() noexcept;

// One framed CMPP PDU: picks its version, decodes it into `p` / `err` (for the observers),
// appends the pdu event (its id into `event_id`), updates the session table.
// Returns false when the PDU did not decode.
bool on_cmpp_frame(session_protocol& sp, std::uint64_t session, direction d, std::int64_t ts_us,
                   std::span<const std::uint8_t> frame, event_ring& ring, session_table& sessions,
                   decoder::cmpp::pdu& p, decoder::cmpp::decode_error& err, std::uint64_t& event_id);

// Records the protocol in the session table once decided (and the CMPP version as it changes).
void report_protocol(session_protocol& sp, std::uint64_t session, session_table& sessions);

}  // namespace smppscope::analysis::detail
