// Concatenated messages as the diagnostics follow them: every PDU that carries a part (UDH 8/16-bit
// reference or the SAR TLVs, found by decoder::find_message) goes into a decoder::reassembler keyed
// by session and direction. A message that completes is counted and forgotten; one whose parts stop
// coming (concat_timeout after its last part, or its session ended) is handed back as incomplete
// so the diagnostics raise concat_incomplete. Bounded by concat_max_pending messages and
// concat_max_bytes buffered octets over all sessions; beyond either the oldest message is evicted
// (counted). Analysis thread only, except the counters (any thread, relaxed atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "smppscope/analysis/diag/diag_options.hpp"
#include "smppscope/analysis/tap.hpp"
#include "smppscope/decoder/reassembler.hpp"

namespace smppscope::decoder {
struct pdu;
}

namespace smppscope::analysis::diag {

struct concat_totals {
  std::uint64_t parts = 0;       // PDUs that carried a part of a multi-part message
  std::uint64_t completed = 0;   // messages whose every part arrived
  std::uint64_t incomplete = 0;  // messages reported missing parts (timeout or session end)
  std::uint64_t evicted = 0;     // messages dropped to stay within the bounds (or a reused reference)
  std::uint64_t duplicates = 0;  // parts received twice
  std::uint64_t pending = 0;     // now
  std::uint64_t buffered_bytes = 0;  // now
};

class concat_tracker {
 public:
  explicit concat_tracker(const diag_options& o);

  // ---- analysis thread ----
  // A decoded PDU: its part, if it carries one, is added. Not for PDUs that failed to decode.
  void on_pdu(std::uint64_t session, direction d, const decoder::pdu& p, std::int64_t ts_us);
  // Messages whose last part came more than concat_timeout ago (checks at most once a second).
  std::vector<decoder::incomplete_message> expire(std::int64_t now_us);
  // Every message of a session that ended with parts missing.
  std::vector<decoder::incomplete_message> end_session(std::uint64_t session);

  // ---- any thread ----
  concat_totals totals() const noexcept;

 private:
  void publish();

  decoder::reassembler r_;
  std::int64_t next_expiry_us_ = 0;
  std::atomic<std::uint64_t> parts_{0}, completed_{0}, incomplete_{0}, evicted_{0}, duplicates_{0},
      pending_{0}, bytes_{0};
};

}  // namespace smppscope::analysis::diag
