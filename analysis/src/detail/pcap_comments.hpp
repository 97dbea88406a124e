// What the analysis found, as pcapng packet comments (internal to analysis): response latency,
// alerts raised and cleared, framing and capture gaps, profile lints. Shared by the live writer
// (pcap_writer, fed by observer callbacks and the event ring) and the ring export (pcap_export,
// fed by ring events alone), so both files say the same things in the same words.
//
// Memory is bounded: per session at most max_outstanding requests waiting for their response
// (the oldest forgotten first) and max_queued comments waiting for the session's next packet.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smppscope/analysis/event.hpp"
#include "smppscope/analysis/tap.hpp"

namespace smppscope::analysis::detail {

class pcap_comments {
 public:
  static constexpr std::size_t max_outstanding = 4096;
  static constexpr std::size_t max_queued = 16;
  static constexpr std::size_t max_sessions = 65536;

  // A framed SMPP PDU of `session` (header octets at least): a request is remembered; a response
  // that matches one by sequence_number yields "submit_sm_resp: 12.3 ms after submit_sm (seq 7)"
  // (with the status name when it is not ESME_ROK). Empty when there is nothing to say.
  std::string on_pdu(std::uint64_t session, direction d, std::int64_t ts_us, std::span<const std::uint8_t> frame);
  // The comment for a non-pdu ring event (alert, alert_cleared, malformed, capture_gap); empty
  // for the others.
  static std::string event_comment(const event& e);
  // Profile lints of one PDU, as rendered by the compliance checker (",\"profile_lints\":[...]").
  static void lint_comments(std::string_view members, std::vector<std::string>& out);
  // Comments held for the session's next packet (from ticks, or events seen between packets).
  void queue(std::uint64_t session, std::string text);
  // Moves the session's held comments to the end of `out`.
  void take(std::uint64_t session, std::vector<std::string>& out);
  void forget(std::uint64_t session);

 private:
  struct request {
    std::uint32_t command_id = 0;
    std::int64_t ts_us = 0;
  };
  struct session_state {
    std::unordered_map<std::uint32_t, request> outstanding[2];  // by sequence_number, per sender
    std::deque<std::uint32_t> order[2];                          // insertion order, for the cap
    std::vector<std::string> queued;
    std::size_t queued_dropped = 0;
  };
  session_state& state(std::uint64_t session);
  std::unordered_map<std::uint64_t, session_state> sessions_;
};

// "latency" text: "12.3 ms" / "1.25 s" / "850 us".
std::string duration_text(std::int64_t us);

}  // namespace smppscope::analysis::detail
