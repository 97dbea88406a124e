// Per-session timeline for the UI (GET /api/sessions/{id}/timeline): one sample per second over
// the last timeline_seconds, the alert raise/clear marks, and a summary of the session's
// diagnostics. Written by the analysis thread once per second (never per PDU), read by web
// threads; a small mutex guards it and readers render outside the lock.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "smppscope/analysis/diag/alert_kind.hpp"

namespace smppscope::analysis::diag {

// Two-element arrays are indexed by direction: [0] esme_to_smsc, [1] smsc_to_esme. Everything
// about requests and their responses is filed under the direction the REQUESTS travelled.
struct timeline_sample {
  std::int64_t second = 0;              // unix time, seconds
  std::uint32_t pdus[2] = {};           // PDUs sent in that direction
  std::uint32_t submits[2] = {};        // submit_sm / data_sm / submit_multi requests
  std::uint32_t responses[2] = {};      // responses to that direction's requests
  std::uint32_t errors[2] = {};         // ... of which command_status != 0
  std::uint32_t throttled[2] = {};      // ... of which ESME_RTHROTTLED / ESME_RMSGQFUL
  std::uint32_t accepted_submits[2] = {};  // submit responses with status 0
  std::uint32_t outstanding[2] = {};    // highest count of unanswered requests in the second
  std::uint32_t latency_p50_us[2] = {};  // of the responses that came in the second
  std::uint32_t latency_max_us[2] = {};
  std::uint16_t enquire_links[2] = {};  // enquire_link requests sent
  std::uint16_t alerts_raised = 0;
  std::uint16_t alerts_cleared = 0;
};

struct timeline_alert_mark {
  std::int64_t ts_us = 0;
  alert_kind kind = alert_kind::malformed;
  bool raised = true;     // false: cleared
  std::string message;    // empty for clears
};

class timeline_store {
 public:
  timeline_store(std::uint64_t session, std::uint32_t seconds, std::uint32_t max_alerts);

  // ---- writer: the analysis thread ----
  void push(const timeline_sample& s);
  void push_alert(timeline_alert_mark m);
  void set_summary(std::string summary_json);
  // The newest pushed samples, newest first, without locking (writer only).
  template <class F>
  void for_each_recent(std::size_t n, F&& f) const {
    for (std::size_t i = 0; i < n && i < count_; ++i) f(samples_[(head_ + capacity_ - 1 - i) % capacity_]);
  }

  // ---- any thread ----
  // {"session":N,"resolution_s":1,"directions":[...],"summary":{...},"samples":[...],"alerts":[...]}
  // `since_second` > 0 keeps only samples with second >= it.
  std::string json(std::int64_t since_second = 0) const;
  std::size_t sample_count() const;

 private:
  std::uint64_t session_;
  std::size_t capacity_, alert_capacity_;
  mutable std::mutex mu_;
  std::vector<timeline_sample> samples_;  // ring
  std::size_t head_ = 0;                  // next write position
  std::size_t count_ = 0;
  std::vector<timeline_alert_mark> alerts_;  // ring
  std::size_t alert_head_ = 0;
  std::size_t alert_count_ = 0;
  std::string summary_ = "{}";
};

}  // namespace smppscope::analysis::diag
