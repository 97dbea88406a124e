// Totals over all sessions and the smppscope_diag_* metric families.
#include "detail/diag_state.hpp"
#include "smppscope/analysis/diag/concat_tracker.hpp"

namespace smppscope::analysis::diag {

using namespace state;

diag_totals diagnostics::totals() const {
  diag_totals t;
  auto ld = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  for (std::size_t k = 0; k < alert_kind_count; ++k) {
    t.alerts_raised[k] = ld(c_->alerts_raised[k]);
    t.alerts_active[k] = ld(c_->alerts_active[k]);
  }
  for (int d = 0; d < 2; ++d) {
    t.requests[d] = ld(c_->requests[d]);
    t.responses_matched[d] = ld(c_->matched[d]);
    t.responses_unmatched[d] = ld(c_->unmatched[d]);
    t.response_timeouts[d] = ld(c_->timeouts[d]);
    t.late_responses[d] = ld(c_->late[d]);
    t.expired_requests[d] = ld(c_->expired[d]);
    t.duplicate_sequence[d] = ld(c_->duplicate[d]);
    t.outstanding_overflow[d] = ld(c_->overflow[d]);
    t.outstanding[d] = ld(c_->outstanding[d]);
    t.throttled_responses[d] = ld(c_->throttled[d]);
    t.enquire_link_timeouts[d] = ld(c_->enquire_timeouts[d]);
    t.congestion_reports[d] = ld(c_->congestion[d]);
    t.out_of_sync[d] = ld(c_->out_of_sync[d]);
  }
  t.malformed_pdus = ld(c_->malformed);
  t.binds_ok = ld(c_->binds_ok);
  t.binds_failed = ld(c_->binds_failed);
  t.dlr_tracked = ld(c_->dlr_tracked);
  t.dlr_pending = ld(c_->dlr_pending);
  t.dlr_matched = ld(c_->dlr_matched);
  t.dlr_intermediate = ld(c_->dlr_intermediate);
  t.dlr_unmatched = ld(c_->dlr_unmatched);
  t.dlr_missing = ld(c_->dlr_missing);
  t.dlr_evicted = ld(c_->dlr_evicted);
  const concat_totals ct = concat_->totals();
  t.concat_parts = ct.parts;
  t.concat_completed = ct.completed;
  t.concat_incomplete = ct.incomplete;
  t.concat_evicted = ct.evicted;
  t.concat_pending = ct.pending;
  t.concat_buffered_bytes = ct.buffered_bytes;
  return t;
}

// ---- /metrics ----------------------------------------------------------------------------------

namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t v) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  append_int(out, v);
  out += '\n';
}

std::string dir_label(int d) {
  std::string l = "direction=\"";
  l += direction_name(dir_of(d));
  l += '"';
  return l;
}

template <const auto& Bounds>
void histogram_samples(std::string& out, std::string_view name, const std::string& labels,
                       const shared_histogram<Bounds>& h) {
  const auto counts = h.counts();
  std::uint64_t cum = 0;
  const std::string prefix = std::string(name) + "_bucket{" + labels + (labels.empty() ? "" : ",");
  for (std::size_t i = 0; i < counts.size(); ++i) {
    cum += counts[i];
    out += prefix;
    out += "le=\"";
    if (i + 1 < counts.size()) detail::append_double(out, static_cast<double>(Bounds[i]) / 1e6);
    else out += "+Inf";
    out += "\"} ";
    append_int(out, cum);
    out += '\n';
  }
  const std::string tail = labels.empty() ? std::string() : "{" + labels + "}";
  out += name;
  out += "_sum";
  out += tail;
  out += ' ';
  detail::append_double(out, static_cast<double>(h.sum()) / 1e6);
  out += '\n';
  out += name;
  out += "_count";
  out += tail;
  out += ' ';
  append_int(out, cum);
  out += '\n';
}

}  // namespace

void diagnostics::append_prometheus(std::string& out) const {
  const diag_totals t = totals();
  family(out, "smppscope_diag_alerts_raised_total", "counter",
         "Alerts raised by the session diagnostics, by kind.");
  for (std::size_t k = 0; k < alert_kind_count; ++k)
    sample(out, "smppscope_diag_alerts_raised_total",
           "kind=\"" + std::string(alert_kind_name(static_cast<alert_kind>(k))) + "\"", t.alerts_raised[k]);
  family(out, "smppscope_diag_alerts_active", "gauge", "Alerts active now on live sessions, by kind.");
  for (std::size_t k = 0; k < alert_kind_count; ++k)
    sample(out, "smppscope_diag_alerts_active",
           "kind=\"" + std::string(alert_kind_name(static_cast<alert_kind>(k))) + "\"", t.alerts_active[k]);

  struct per_dir {
    std::string_view name, type, help;
    const std::uint64_t* v;
  };
  const per_dir per_direction[] = {
      {"smppscope_diag_requests_total", "counter", "Requests seen, by the direction they travelled.", t.requests},
      {"smppscope_diag_responses_matched_total", "counter",
       "Responses matched to a request by sequence_number (generic_nack included), by request direction.",
       t.responses_matched},
      {"smppscope_diag_responses_unmatched_total", "counter",
       "Responses whose sequence_number matched no outstanding request, by request direction.",
       t.responses_unmatched},
      {"smppscope_diag_response_timeouts_total", "counter",
       "Requests other than enquire_link still unanswered after the response timeout, by request direction.",
       t.response_timeouts},
      {"smppscope_diag_enquire_link_timeouts_total", "counter",
       "enquire_link requests still unanswered after the enquire_link timeout, by request direction.",
       t.enquire_link_timeouts},
      {"smppscope_diag_late_responses_total", "counter",
       "Responses that came after their request had timed out, by request direction.", t.late_responses},
      {"smppscope_diag_expired_requests_total", "counter",
       "Timed-out requests forgotten after the request expiry, by request direction.", t.expired_requests},
      {"smppscope_diag_duplicate_sequence_total", "counter",
       "Requests that reused a sequence_number still outstanding, by request direction.", t.duplicate_sequence},
      {"smppscope_diag_outstanding_overflow_total", "counter",
       "Requests not tracked because max_outstanding was reached, by request direction.",
       t.outstanding_overflow},
      {"smppscope_diag_outstanding", "gauge",
       "Unanswered requests now on live sessions, by request direction.", t.outstanding},
      {"smppscope_diag_throttled_responses_total", "counter",
       "ESME_RTHROTTLED and ESME_RMSGQFUL responses, by request direction.", t.throttled_responses},
      {"smppscope_diag_congestion_reports_total", "counter",
       "PDUs whose congestion_state was at or above the threshold, by the direction of the requests throttled.",
       t.congestion_reports},
      {"smppscope_diag_out_of_sync_total", "counter",
       "Directions whose framing broke (decoding stopped, relaying did not), by direction.", t.out_of_sync},
  };
  for (const per_dir& f : per_direction) {
    family(out, f.name, f.type, f.help);
    for (int d = 0; d < 2; ++d) sample(out, f.name, dir_label(d), f.v[d]);
  }

  family(out, "smppscope_diag_response_latency_seconds", "histogram",
         "Time from a request to its response, by request command and the direction the request travelled.");
  for (std::size_t c = 0; c < c_->latency.size(); ++c)
    for (int d = 0; d < 2; ++d) {
      const auto& h = c_->latency[c][d];
      const auto counts = h.counts();
      std::uint64_t n = 0;
      for (auto x : counts) n += x;
      if (n == 0) continue;
      histogram_samples(out, "smppscope_diag_response_latency_seconds",
                        "command=\"" + std::string(tracked_command_name(c)) + "\"," + dir_label(d), h);
    }

  family(out, "smppscope_diag_malformed_pdus_total", "counter",
         "PDUs that failed to decode, plus framing breaks (a header that put its direction out of sync).");
  sample(out, "smppscope_diag_malformed_pdus_total", {}, t.malformed_pdus);
  family(out, "smppscope_diag_binds_total", "counter", "Bind responses, by result.");
  sample(out, "smppscope_diag_binds_total", "result=\"ok\"", t.binds_ok);
  sample(out, "smppscope_diag_binds_total", "result=\"failed\"", t.binds_failed);

  family(out, "smppscope_diag_dlr_submits_tracked_total", "counter",
         "Accepted submits whose message_id awaits a delivery receipt.");
  sample(out, "smppscope_diag_dlr_submits_tracked_total", {}, t.dlr_tracked);
  family(out, "smppscope_diag_dlr_pending", "gauge", "Accepted submits awaiting a delivery receipt now.");
  sample(out, "smppscope_diag_dlr_pending", {}, t.dlr_pending);
  family(out, "smppscope_diag_dlr_receipts_total", "counter", "Delivery receipts, by how they matched.");
  sample(out, "smppscope_diag_dlr_receipts_total", "result=\"matched\"", t.dlr_matched);
  sample(out, "smppscope_diag_dlr_receipts_total", "result=\"intermediate\"", t.dlr_intermediate);
  sample(out, "smppscope_diag_dlr_receipts_total", "result=\"unmatched\"", t.dlr_unmatched);
  family(out, "smppscope_diag_dlr_missing_total", "counter",
         "Submits that asked for a receipt (registered_delivery 1) and got none within the DLR timeout.");
  sample(out, "smppscope_diag_dlr_missing_total", {}, t.dlr_missing);
  family(out, "smppscope_diag_dlr_evicted_total", "counter",
         "Submits dropped from DLR tracking to stay within max_dlr_pending.");
  sample(out, "smppscope_diag_dlr_evicted_total", {}, t.dlr_evicted);
  family(out, "smppscope_diag_dlr_receipt_seconds", "histogram",
         "Time from submit_sm to its delivery receipt.");
  histogram_samples(out, "smppscope_diag_dlr_receipt_seconds", {}, c_->receipt);

  family(out, "smppscope_diag_concat_parts_total", "counter",
         "PDUs carrying a part of a concatenated message (UDH or SAR).");
  sample(out, "smppscope_diag_concat_parts_total", {}, t.concat_parts);
  family(out, "smppscope_diag_concat_messages_total", "counter",
         "Concatenated messages, by outcome: every part arrived, parts missing (timeout or session end), or "
         "evicted to stay within the bounds.");
  sample(out, "smppscope_diag_concat_messages_total", "result=\"completed\"", t.concat_completed);
  sample(out, "smppscope_diag_concat_messages_total", "result=\"incomplete\"", t.concat_incomplete);
  sample(out, "smppscope_diag_concat_messages_total", "result=\"evicted\"", t.concat_evicted);
  family(out, "smppscope_diag_concat_pending", "gauge", "Concatenated messages waiting for parts now.");
  sample(out, "smppscope_diag_concat_pending", {}, t.concat_pending);
  family(out, "smppscope_diag_concat_buffered_bytes", "gauge",
         "Octets of concatenated-message parts buffered now.");
  sample(out, "smppscope_diag_concat_buffered_bytes", {}, t.concat_buffered_bytes);
}


}  // namespace smppscope::analysis::diag
