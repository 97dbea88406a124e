// Thresholds and bounds of the session diagnostics. Times are microseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace smppscope::analysis::diag {

struct diag_options {
  // Expected window (unanswered requests) per direction; 10 as the seed provider allows.
  std::uint32_t window = 10;
  // window_full: at or above `window` and the oldest request has waited this long.
  std::int64_t window_stall_us = 2'000'000;
  // response_timeout: a request (other than enquire_link) unanswered this long.
  std::int64_t response_timeout_us = 10'000'000;
  // enquire_link_timeout: an enquire_link unanswered this long.
  std::int64_t enquire_link_timeout_us = 5'000'000;
  // silence: no PDU at all in one direction of a bound session for this long (or 1.5 x the
  // enquire_link interval the peers use, when that is longer).
  std::int64_t silence_us = 90'000'000;
  // Timed-out requests are forgotten (counted as expired) this long after they were sent.
  std::int64_t request_expiry_us = 60'000'000;
  // unmatched_response, throttled, dlr_unmatched and malformed clear after this long without cause.
  std::int64_t quiet_period_us = 30'000'000;
  // congestion_state TLV (v5.0, 0..100) at or above this raises `throttled`.
  std::uint32_t congestion_threshold = 80;
  // Submits whose delivery receipt has not come after this long are counted as missing.
  std::int64_t dlr_timeout_us = 3'600'000'000;
  // A receipt may overtake its submit_sm_resp (other session, other relay thread): it waits this
  // long for the submit before it counts as unmatched.
  std::int64_t dlr_grace_us = 10'000'000;
  // Outstanding requests kept per direction and session; more are counted as overflow.
  std::uint32_t max_outstanding = 65536;
  // Submits awaiting a receipt, all sessions together; the oldest are evicted (counted).
  std::uint32_t max_dlr_pending = 100'000;
  // Concatenated messages (UDH or SAR) still missing parts this long after their last part came
  // raise concat_incomplete. Pending messages and their buffered octets are bounded, all sessions
  // together; beyond either bound the oldest message is evicted (counted).
  std::int64_t concat_timeout_us = 60'000'000;
  std::uint32_t concat_max_pending = 4096;
  std::uint32_t concat_max_bytes = 4u << 20;
  // Active alerts get their message refreshed at most this often (no event; /api/sessions).
  std::int64_t alert_update_us = 1'000'000;
  // Per-session timeline: one sample per second, this many seconds; kept for this many closed sessions.
  std::uint32_t timeline_seconds = 600;
  std::uint32_t closed_timelines = 100;
  std::uint32_t timeline_alerts = 64;  // alert raise/clear marks kept per session
};

// Empty when the options are usable, else one line naming the option ("--window must be >= 1").
std::string validate(const diag_options& o);

}  // namespace smppscope::analysis::diag
