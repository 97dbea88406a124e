// Throttling: ESME_RTHROTTLED / ESME_RMSGQFUL answers and congestion_state reports.
#include "detail/diag_state.hpp"

namespace smppscope::analysis::diag {

using namespace state;

void diagnostics::handle_congestion(session& s, direction d, const decoder::pdu& p,
                                    std::int64_t ts, analysis_context& ctx) {
  const auto t = p.tlvs().find(decoder::tlv_tag::congestion_state);
  if (!t) return;
  const auto v = t->integer();
  if (!v) return;
  // The sender of this PDU reports its own load: it throttles requests coming to it.
  const direction req_dir = opposite(d);
  s.dir[ix(req_dir)].last_congestion = *v;
  if (*v < opt_.congestion_threshold) return;
  bump(c_->congestion[ix(req_dir)]);
  std::string why = "congestion_state ";
  append_int(why, *v);
  note_throttle(s, req_dir, ts, why, ctx);
}

void diagnostics::note_throttle(session& s, direction req_dir, std::int64_t ts, std::string_view why,
                                analysis_context& ctx) {
  direction_state& ds = s.dir[ix(req_dir)];
  ds.last_throttle_us = ts;
  alert_slot& a = s.slot(alert_kind::throttled);
  a.last_cause_us = ts;
  if (a.on[ix(req_dir)] && ts - a.last_update_us < opt_.alert_update_us) return;
  // Over the last 10 s (fewer when the session is younger): throttling answers, accepted submits.
  const int r = ix(req_dir);
  std::uint64_t throttled = s.acc.throttled[r], accepted = s.acc.accepted_submits[r];
  std::size_t seconds = 1;
  s.timeline->for_each_recent(9, [&](const timeline_sample& x) {
    if (x.second < s.acc.second - 9) return;
    throttled += x.throttled[r];
    accepted += x.accepted_submits[r];
    ++seconds;
  });
  const double rate = static_cast<double>(accepted) / static_cast<double>(seconds);
  std::string msg(receiver_name(req_dir));
  msg += " is throttling the ";
  msg += sender_name(req_dir);
  msg += " (";
  msg += why;
  msg += "): ";
  append_int(msg, throttled);
  msg += " throttling response(s) in the last ";
  append_int(msg, seconds);
  msg += " s, effective rate ";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", rate);
  msg += buf;
  msg += " submits/s";
  std::string extra;
  member_str(extra, "reason", why, false);
  member_int(extra, "throttled_responses", throttled);
  detail::member_double(extra, "effective_rate", rate);
  if (ds.last_congestion) member_int(extra, "congestion_state", ds.last_congestion);
  raise(s, alert_kind::throttled, req_dir, blame::receiver_of(req_dir), std::move(msg), std::move(extra), ts,
        ctx, true);
}


}  // namespace smppscope::analysis::diag
