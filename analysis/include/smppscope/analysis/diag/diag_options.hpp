// Thresholds and bounds of the session diagnostics. Times are microseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
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

  // One set of options serves SMPP and CMPP. CMPP sessions take the specification's keep-alive
  // figures (CMPP_ACTIVE_TEST after 3 min idle, answered within T = 60 s, N = 3 tries; window 16)
  // for each of these the user did not give: see for_cmpp().
  bool window_given = false, enquire_link_timeout_given = false, silence_given = false,
       request_expiry_given = false;

  // CMPP shared secrets by Source_Addr, to check CONNECT's AuthenticatorSource and CONNECT_RESP's
  // AuthenticatorISMG. Never shown or logged. Empty: no check.
  std::shared_ptr<const std::map<std::string, std::string, std::less<>>> cmpp_secrets;
};

// The CMPP keep-alive figures (CMPP 3.0 section 6 / CMPP 2.0 section 5: C = 3 min, T = 60 s, N = 3;
// sliding window W = 16).
inline constexpr std::int64_t cmpp_active_test_idle_us = 180'000'000;
inline constexpr std::int64_t cmpp_active_test_timeout_us = 60'000'000;
inline constexpr std::uint32_t cmpp_active_test_tries = 3;
inline constexpr std::uint32_t cmpp_window = 16;

// `o` with the CMPP figures for the options not given: window 16; ACTIVE_TEST timeout 60 s;
// silence C + N x T = 6 min (an idle link sends ACTIVE_TEST every 3 min, a dead one is dropped
// after 3 unanswered tries); request expiry long enough to count all 3 tries (4 x T).
diag_options for_cmpp(diag_options o);

// Empty when the options are usable, else one line naming the option ("--window must be >= 1").
std::string validate(const diag_options& o);

}  // namespace smppscope::analysis::diag
