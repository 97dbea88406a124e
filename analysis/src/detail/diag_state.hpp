// The state the diagnostics observer keeps per session (internal to the analysis library,
// analysis thread only), shared by the files that implement it by concern:
//
//   diag_diagnostics.cpp  observer callbacks, session lifetime, out-of-sync handling
//   diag_requests.cpp     request/response matching, outstanding window, response timeouts
//   diag_bind.cpp         bind (CONNECT) results; the bind state itself is the session table's
//   diag_throttle.cpp     throttling answers and congestion_state
//   diag_dlr.cpp          delivery receipts matched to submits
//   diag_checks.cpp       time-driven checks: window_full, silence, quiet-period clears
//   diag_concat_report.cpp  incomplete concatenated messages as alerts
//   diag_alerts.cpp       raising, updating and clearing alerts; the alert log line
//   diag_summary.cpp      per-second timeline samples and the session summary
//   diag_metrics.cpp      totals and the /metrics families
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/analysis/diag/diagnostics.hpp"
#include "smppscope/analysis/diag/detail/json_out.hpp"
#include "smppscope/analysis/diag/detail/ordered_table.hpp"
#include "smppscope/analysis/diag/timeline.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace smppscope::analysis::diag {

namespace state {

using decoder::command_id;
using detail::append_int;
using detail::append_seconds;
using detail::member_int;
using detail::member_str;
using detail::ordered_table;

constexpr std::uint32_t id_of(command_id c) noexcept { return static_cast<std::uint32_t>(c); }
inline constexpr std::uint32_t status_throttled = static_cast<std::uint32_t>(decoder::command_status::throttled);
inline constexpr std::uint32_t status_queue_full =
    static_cast<std::uint32_t>(decoder::command_status::message_queue_full);

constexpr int ix(direction d) noexcept { return static_cast<int>(d); }
constexpr direction dir_of(int i) noexcept { return static_cast<direction>(i); }

inline void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // single writer
}
inline void drop(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
}

inline bool is_bind(std::uint32_t id) noexcept {
  return id == id_of(command_id::bind_transmitter) || id == id_of(command_id::bind_receiver) ||
         id == id_of(command_id::bind_transceiver);
}
inline bool is_submit(std::uint32_t id) noexcept {
  return id == id_of(command_id::submit_sm) || id == id_of(command_id::data_sm) ||
         id == id_of(command_id::submit_multi);
}
// Requests that never get a response (SMPP v3.4 section 5.1.2.1).
inline bool expects_response(std::uint32_t id) noexcept {
  return id != id_of(command_id::outbind) && id != id_of(command_id::alert_notification);
}

inline std::int64_t second_of(std::int64_t ts_us) noexcept {
  return ts_us >= 0 ? ts_us / 1'000'000 : -((-ts_us + 999'999) / 1'000'000);
}

inline std::uint32_t clamp32(std::int64_t v) noexcept {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, UINT32_MAX));
}

inline void append_status(std::string& out, std::uint32_t status) {
  const std::string_view name = decoder::status_name(status);
  if (!name.empty()) {
    out += name;
    out += ' ';
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "(0x%08X)", status);
  out += buf;
}


struct request_entry {
  std::int64_t sent_us = 0;
  std::uint32_t command = 0;
  std::uint8_t registered_delivery = 0;
  bool timed_out = false;
  bool keepalive = false;  // enquire_link / CMPP_ACTIVE_TEST
};

// One class of requests in one direction, in send order. `cursor` is the oldest entry not yet
// reported as timed out: everything before it has been (entries are flagged in send order).
struct request_list {
  explicit request_list(std::uint32_t max) : t(max, 8) {}
  ordered_table<request_entry> t;
  std::uint32_t cursor = ordered_table<request_entry>::npos;
  std::uint32_t timed_out = 0;

  void erase(std::uint32_t i) noexcept {
    if (i == cursor) cursor = t.next(i);
    if (t[i].value.timed_out) --timed_out;
    t.erase(i);
  }
};

struct direction_state {
  explicit direction_state(std::uint32_t max)
      : main(max), enquire(std::min<std::uint32_t>(max, 1024)), unknown(max) {}
  request_list main;     // every request but enquire_link
  request_list enquire;  // enquire_link (its own, shorter timeout)
  // Requests whose answer may have been in octets the analyzer never framed (a bad header or a
  // capture gap in the other direction): not outstanding, never overdue; a late answer still
  // matches. Forgotten after request_expiry.
  request_list unknown;
  std::uint64_t unknown_requests = 0;
  // Until then, a response to this direction's requests that matches nothing is no alert: the
  // request may have been in octets never framed.
  std::int64_t unmatched_grace_until_us = 0;
  std::uint32_t reported = 0;  // outstanding as last published
  std::uint32_t high_water = 0;
  bool at_window = false;
  std::int64_t at_window_since = 0;
  std::int64_t time_at_window_us = 0;
  std::int64_t last_pdu_us = 0;  // any PDU sent in this direction
  std::int64_t last_enquire_us = 0, enquire_interval_us = 0, enquire_rtt_us = -1;
  std::int64_t last_throttle_us = 0;
  std::uint32_t last_congestion = 0;
  std::uint64_t requests = 0, matched = 0, unmatched = 0, timeouts = 0, late = 0, expired = 0,
                overflow = 0, duplicate = 0, throttled = 0, enquire_links = 0;
  histogram<latency_bounds_us> latency;         // session lifetime
  histogram<latency_bounds_us> second_latency;  // the current second

  std::uint32_t outstanding() const noexcept { return main.t.size() + enquire.t.size(); }
  // Send time of the oldest outstanding request, or 0.
  std::int64_t oldest_sent() const noexcept {
    std::int64_t t = 0;
    if (!main.t.empty()) t = main.t[main.t.front()].value.sent_us;
    if (!enquire.t.empty()) {
      const std::int64_t e = enquire.t[enquire.t.front()].value.sent_us;
      if (t == 0 || e < t) t = e;
    }
    return t;
  }
};

struct alert_slot {
  bool on[2] = {false, false};  // per direction; non-directional kinds use [0]
  std::string part[2];
  std::string extra[2];
  std::string_view side[2];     // blamed side and direction of each part (static strings)
  std::string_view dir[2];
  std::int64_t since_us = 0;
  std::int64_t last_update_us = 0;
  std::int64_t last_cause_us = 0;
  std::uint64_t count = 0;  // causes while active (unmatched responses, malformed PDUs, ...)
  bool any() const noexcept { return on[0] || on[1]; }
};

// The blamed side and direction of an alert: its part's, or "both" when two parts disagree.
inline std::string_view alert_side(const alert_slot& a) noexcept {
  if (a.on[0] && a.on[1]) return a.side[0] == a.side[1] ? a.side[0] : std::string_view("both");
  return a.on[0] ? a.side[0] : a.side[1];
}
inline std::string_view alert_direction(const alert_slot& a) noexcept {
  if (a.on[0] && a.on[1]) return a.dir[0] == a.dir[1] ? a.dir[0] : std::string_view("both");
  return a.on[0] ? a.dir[0] : a.dir[1];
}
// The alert's extra members: side, direction, then the (first active) part's own members.
inline std::string alert_extra(const alert_slot& a) {
  std::string x;
  member_str(x, "side", alert_side(a), false);
  member_str(x, "direction", alert_direction(a));
  const std::string& rest = a.on[0] ? a.extra[0] : a.extra[1];
  if (!rest.empty()) {
    x += ',';
    x += rest;
  }
  return x;
}

}  // namespace state

// Who an alert blames: `side` ("esme" / "smsc") and the direction concerned (the requests'
// direction for request/response alerts, the PDUs' direction for the others).
struct diagnostics::blame {
  std::string_view side;
  direction dir;
  static blame receiver_of(direction req_dir) noexcept { return {side_of_receiver(req_dir), req_dir}; }
  static blame sender_of(direction d) noexcept { return {side_of_sender(d), d}; }
};

struct diagnostics::counters {
  std::array<std::atomic<std::uint64_t>, alert_kind_count> alerts_raised{}, alerts_active{};
  std::atomic<std::uint64_t> requests[2]{}, matched[2]{}, unmatched[2]{}, timeouts[2]{}, late[2]{},
      expired[2]{}, duplicate[2]{}, overflow[2]{}, outstanding[2]{}, throttled[2]{},
      enquire_timeouts[2]{}, congestion[2]{}, out_of_sync[2]{};
  std::atomic<std::uint64_t> malformed{0}, binds_ok{0}, binds_failed{0};
  std::atomic<std::uint64_t> dlr_tracked{0}, dlr_pending{0}, dlr_matched{0}, dlr_intermediate{0},
      dlr_unmatched{0}, dlr_missing{0}, dlr_evicted{0};
  // [command index][request direction]
  std::vector<std::array<shared_histogram<latency_bounds_us>, 2>> latency;
  shared_histogram<receipt_bounds_us> receipt;
  counters() : latency(tracked_command_count()) {}
};

struct diagnostics::session {
  session(std::uint64_t i, const diag_options& o)
      : id(i), dir{state::direction_state(o.max_outstanding), state::direction_state(o.max_outstanding)} {}
  std::uint64_t id;
  state::direction_state dir[2];
  // CMPP (decided by the analyzer from the first PDU): command ids and codes are CMPP's.
  bool cmpp = false;
  decoder::cmpp::version cmpp_version = decoder::cmpp::version::v30;
  std::optional<std::uint8_t> cmpp_requested_version;  // CONNECT Version
  std::optional<std::uint8_t> cmpp_answered_version;   // CONNECT_RESP Version
  std::optional<std::string_view> cmpp_auth;           // "ok" / "mismatch" / "no_secret" (static strings)
  // What the CONNECT_RESP check needs from the CONNECT it answers.
  struct connect_copy {
    bool seen = false;
    bool source_ok = false;  // AuthenticatorSource matched the configured secret
    std::string source_addr;
    std::array<std::uint8_t, 16> authenticator_source{};
  } connect;
  bool out_of_sync = false;     // a direction is out of sync after a bad header
  bool broken[2] = {false, false};  // per direction: after a bad header, until it resyncs
  bool blind[2] = {false, false};   // per direction: not framed now (bad header or capture gap)
  std::uint64_t malformed = 0;
  std::uint64_t dlr_matched = 0, dlr_unmatched = 0, dlr_tracked = 0;
  std::uint64_t concat_incomplete = 0;
  std::int64_t concat_last_us[2] = {0, 0};  // last concat_incomplete cause per direction
  std::array<state::alert_slot, alert_kind_count> alerts;
  timeline_sample acc;  // the current second
  bool acc_started = false;
  std::shared_ptr<timeline_store> timeline;

  state::alert_slot& slot(alert_kind k) noexcept { return alerts[static_cast<std::size_t>(k)]; }
  const state::alert_slot& slot(alert_kind k) const noexcept { return alerts[static_cast<std::size_t>(k)]; }
};

struct diagnostics::dlr_state {
  struct pending {
    std::int64_t submit_us = 0;
    std::uint64_t session = 0;
    std::uint8_t registered_delivery = 0;
  };
  struct early {  // a receipt waiting for its submit_sm_resp
    std::int64_t ts_us = 0;
    std::uint64_t session = 0;
    direction dir = direction::smsc_to_esme;
    bool intermediate = false;
    std::uint8_t id_len = 0;
    char id[64] = {};
    std::string_view text() const noexcept { return {id, id_len}; }
  };
  explicit dlr_state(std::uint32_t max) : pendings(max, 64), earlies(4096, 16) {}
  state::ordered_table<pending> pendings;
  state::ordered_table<early> earlies;
};

inline const diag_options& diagnostics::opts(const session& s) const noexcept {
  return s.cmpp ? cmpp_opt_ : opt_;
}

inline std::string_view diagnostics::command_label(const session& s, std::uint32_t id) noexcept {
  return s.cmpp ? decoder::cmpp::command_name(id, s.cmpp_version) : decoder::command_name(id);
}

}  // namespace smppscope::analysis::diag
