#include "smppscope/analysis/diag/timeline.hpp"

#include "smppscope/analysis/diag/detail/json_out.hpp"

namespace smppscope::analysis::diag {

namespace {

using detail::append_int;
using detail::append_key;

template <class T>
void pair_member(std::string& out, std::string_view key, const T (&v)[2]) {
  out += ',';
  append_key(out, key);
  out += '[';
  append_int(out, v[0]);
  out += ',';
  append_int(out, v[1]);
  out += ']';
}

void append_sample(std::string& out, const timeline_sample& s) {
  out += "{\"t\":";
  append_int(out, s.second);
  pair_member(out, "pdus", s.pdus);
  pair_member(out, "submits", s.submits);
  pair_member(out, "responses", s.responses);
  pair_member(out, "errors", s.errors);
  pair_member(out, "throttled", s.throttled);
  pair_member(out, "accepted_submits", s.accepted_submits);
  pair_member(out, "outstanding", s.outstanding);
  pair_member(out, "latency_p50_us", s.latency_p50_us);
  pair_member(out, "latency_max_us", s.latency_max_us);
  pair_member(out, "enquire_links", s.enquire_links);
  if (s.alerts_raised) detail::member_int(out, "alerts_raised", s.alerts_raised);
  if (s.alerts_cleared) detail::member_int(out, "alerts_cleared", s.alerts_cleared);
  out += '}';
}

}  // namespace

timeline_store::timeline_store(std::uint64_t session, std::uint32_t seconds, std::uint32_t max_alerts)
    : session_(session),
      capacity_(std::max<std::uint32_t>(seconds, 1)),
      alert_capacity_(std::max<std::uint32_t>(max_alerts, 1)) {}

// The rings grow with use (short sessions stay small), then wrap.
void timeline_store::push(const timeline_sample& s) {
  const std::lock_guard lock(mu_);
  if (samples_.size() < capacity_) samples_.push_back(s);
  else samples_[head_] = s;
  head_ = (head_ + 1) % capacity_;
  if (count_ < capacity_) ++count_;
}

void timeline_store::push_alert(timeline_alert_mark m) {
  const std::lock_guard lock(mu_);
  if (alerts_.size() < alert_capacity_) alerts_.push_back(std::move(m));
  else alerts_[alert_head_] = std::move(m);
  alert_head_ = (alert_head_ + 1) % alert_capacity_;
  if (alert_count_ < alert_capacity_) ++alert_count_;
}

void timeline_store::set_summary(std::string summary_json) {
  const std::lock_guard lock(mu_);
  summary_.swap(summary_json);
}

std::size_t timeline_store::sample_count() const {
  const std::lock_guard lock(mu_);
  return count_;
}

std::string timeline_store::json(std::int64_t since_second) const {
  std::vector<timeline_sample> samples;
  std::vector<timeline_alert_mark> alerts;
  std::string summary;
  {
    const std::lock_guard lock(mu_);
    samples.reserve(count_);
    const std::size_t cap = capacity_;
    for (std::size_t i = 0; i < count_; ++i) {
      const timeline_sample& s = samples_[(head_ + cap - count_ + i) % cap];
      if (s.second >= since_second) samples.push_back(s);
    }
    alerts.reserve(alert_count_);
    const std::size_t acap = alert_capacity_;
    for (std::size_t i = 0; i < alert_count_; ++i)
      alerts.push_back(alerts_[(alert_head_ + acap - alert_count_ + i) % acap]);
    summary = summary_;
  }
  std::string out;
  out.reserve(256 + samples.size() * 260 + summary.size());
  out += "{\"session\":";
  append_int(out, session_);
  out += ",\"resolution_s\":1,\"directions\":[\"esme_to_smsc\",\"smsc_to_esme\"],\"summary\":";
  out += summary;
  out += ",\"samples\":[";
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i) out += ',';
    append_sample(out, samples[i]);
  }
  out += "],\"alerts\":[";
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (i) out += ',';
    const timeline_alert_mark& a = alerts[i];
    out += "{\"ts_us\":";
    append_int(out, a.ts_us);
    detail::member_str(out, "kind", alert_kind_name(a.kind));
    detail::member_str(out, "state", a.raised ? "raised" : "cleared");
    if (a.raised) detail::member_str(out, "message", a.message);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace smppscope::analysis::diag
