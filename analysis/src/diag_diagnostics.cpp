// The diagnostics observer: callbacks from the analyzer, session lifetime, framing breaks.
#include "detail/diag_state.hpp"
#include "smppscope/analysis/diag/concat_tracker.hpp"
#include "smppscope/decoder/reassembler.hpp"

namespace smppscope::analysis::diag {

using namespace state;

// ---------------------------------------------------------------------------------------------

diagnostics::diagnostics(diag_options opt, alert_logger log)
    : opt_(opt),
      cmpp_opt_(for_cmpp(opt)),
      log_(log ? std::move(log) : null_alert_logger()),
      dlr_(std::make_unique<dlr_state>(opt.max_dlr_pending)),
      c_(std::make_unique<counters>()),
      concat_(std::make_unique<concat_tracker>(opt_)) {}

diagnostics::~diagnostics() = default;

diagnostics::session& diagnostics::session_for(std::uint64_t id, std::int64_t ts_us,
                                               analysis_context& ctx) {
  if (last_ && last_->id == id) return *last_;
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    auto s = std::make_unique<session>(id, opt_);
    s->timeline = std::make_shared<timeline_store>(id, opt_.timeline_seconds, opt_.timeline_alerts);
    {
      const std::lock_guard lock(timelines_mu_);
      timelines_[id] = s->timeline;
    }
    it = sessions_.emplace(id, std::move(s)).first;
    roll_second(*it->second, ts_us, ctx);
  }
  return *(last_ = it->second.get());
}

void diagnostics::on_session_open(const session_open_info& i, analysis_context& ctx) {
  session_for(i.session, i.ts_us, ctx);
}

void diagnostics::on_session_close(const session_close_info& i, analysis_context& ctx) {
  const auto it = sessions_.find(i.session);
  if (it == sessions_.end()) return;
  session& s = *it->second;
  check_session(s, i.ts_us, ctx);
  report_incomplete(concat_->end_session(i.session), i.ts_us, ctx);
  // Publish the partial last second so the timeline ends where the session did.
  if (s.acc_started) {
    timeline_sample last = s.acc;
    for (int d = 0; d < 2; ++d) {
      last.latency_p50_us[d] = clamp32(s.dir[d].second_latency.quantile(0.5));
      last.latency_max_us[d] = clamp32(s.dir[d].second_latency.max());
    }
    s.timeline->push(last);
  }
  publish_summary(s, ctx);
  // Its alerts stay on the closed session (they tell why it ended) but are no longer "active".
  for (std::size_t k = 0; k < alert_kind_count; ++k)
    if (s.alerts[k].any()) drop(c_->alerts_active[k]);
  for (int d = 0; d < 2; ++d) drop(c_->outstanding[d], s.dir[d].reported);
  {
    const std::lock_guard lock(timelines_mu_);
    closed_order_.push_back(i.session);
    while (closed_order_.size() > opt_.closed_timelines) {
      timelines_.erase(closed_order_.front());
      closed_order_.pop_front();
    }
  }
  if (last_ == &s) last_ = nullptr;
  sessions_.erase(it);
}

void diagnostics::on_out_of_sync(const out_of_sync_info& i, analysis_context& ctx) {
  session& s = session_for(i.session, i.ts_us, ctx);
  s.blind[ix(i.dir)] = true;
  forget_answers(s, opposite(i.dir), i.ts_us, ctx);
  if (i.capture_gap) return;  // our own drop, not the peer's fault: no `malformed`
  s.broken[ix(i.dir)] = true;
  s.out_of_sync = true;
  // A framing break is a malformed PDU too (its header): counted with the decode errors.
  ++s.malformed;
  bump(c_->malformed);
  bump(c_->out_of_sync[ix(i.dir)]);
  // The analyzer raised `malformed` itself (with the same side and direction); account for it and
  // keep it until the session ends.
  alert_slot& a = s.slot(alert_kind::malformed);
  a.last_cause_us = i.ts_us;
  const bool was_any = a.any();
  const blame who = blame::sender_of(i.dir);
  a.on[0] = true;
  a.part[0] = std::string(direction_name(i.dir)) + " out of sync: " + std::string(i.message);
  a.extra[0].clear();
  a.side[0] = who.side;
  a.dir[0] = direction_name(who.dir);
  if (was_any) {  // an update of the active alert: no new event, same counts
    a.last_update_us = i.ts_us;
    ctx.raise_alert(s.id, alert_kind_name(alert_kind::malformed), a.part[0], a.since_us, alert_extra(a));
    return;
  }
  a.since_us = a.last_update_us = i.ts_us;
  bump(c_->alerts_raised[static_cast<std::size_t>(alert_kind::malformed)]);
  bump(c_->alerts_active[static_cast<std::size_t>(alert_kind::malformed)]);
  ++s.acc.alerts_raised;
  s.timeline->push_alert({i.ts_us, alert_kind::malformed, true, a.part[0]});
  log_alert(s.id, alert_kind::malformed, true, a.part[0], a.side[0], a.dir[0]);
}

void diagnostics::on_resync(const resync_info& i, analysis_context& ctx) {
  session& s = session_for(i.session, i.ts_us, ctx);
  const int d = ix(i.dir);
  s.blind[d] = false;
  s.broken[d] = false;
  s.out_of_sync = s.broken[0] || s.broken[1];
  s.dir[d].unmatched_grace_until_us = i.ts_us + opt_.response_timeout_us;
  forget_answers(s, opposite(i.dir), i.ts_us, ctx);
}

void diagnostics::forget_answers(session& s, direction req_dir, std::int64_t ts, analysis_context& ctx) {
  direction_state& ds = s.dir[ix(req_dir)];
  for (request_list* l : {&ds.main, &ds.enquire}) {
    while (!l->t.empty()) {
      const std::uint32_t f = l->t.front();
      const auto seq = static_cast<std::uint32_t>(l->t[f].key);
      request_entry e = l->t[f].value;
      e.timed_out = false;
      l->erase(f);
      if (ds.unknown.t.size() >= ds.unknown.t.max_size()) ds.unknown.erase(ds.unknown.t.front());
      ds.unknown.t.push_back(seq, e);
      ++ds.unknown_requests;
    }
  }
  update_outstanding(s, req_dir, ts, ctx);  // overdue/enquire alerts clear on the next check
}

// Every framed PDU, either protocol: the per-second count and the end of any silence.
void diagnostics::note_pdu(session& s, direction d, std::int64_t ts, analysis_context& ctx) {
  roll_second(s, ts, ctx);
  ++s.acc.pdus[ix(d)];
  s.dir[ix(d)].last_pdu_us = ts;
  if (s.slot(alert_kind::silence).on[ix(d)]) clear(s, alert_kind::silence, d, ts, ctx);
}

bool diagnostics::malformed_due(session& s, std::int64_t ts) {
  ++s.malformed;
  bump(c_->malformed);
  alert_slot& a = s.slot(alert_kind::malformed);
  ++a.count;
  a.last_cause_us = ts;
  return !s.out_of_sync && (!a.any() || ts - a.last_update_us >= opt_.alert_update_us);
}

void diagnostics::raise_malformed(session& s, direction d, std::string_view what, std::uint32_t seq,
                                  std::int64_t ts, analysis_context& ctx) {
  alert_slot& a = s.slot(alert_kind::malformed);
  std::string msg;
  append_int(msg, a.any() ? a.count : 1);
  msg += " malformed PDU(s); last from the ";
  msg += sender_name(d);
  msg += ": ";
  msg += what;
  msg += " (seq ";
  append_int(msg, seq);
  msg += ')';
  std::string extra = "\"count\":";
  append_int(extra, a.any() ? a.count : 1);
  if (!a.any()) a.count = 1;
  raise(s, alert_kind::malformed, std::nullopt, blame::sender_of(d), std::move(msg), std::move(extra), ts, ctx,
        true);
}

void diagnostics::on_pdu(const pdu_info& i, analysis_context& ctx) {
  if (i.cmpp) return on_cmpp_pdu(i, ctx);
  if (!i.pdu) return;
  const decoder::pdu& p = *i.pdu;
  session& s = session_for(i.session, i.ts_us, ctx);
  const direction d = i.dir;
  const std::int64_t ts = i.ts_us;
  note_pdu(s, d, ts, ctx);
  if (i.error && malformed_due(s, ts)) raise_malformed(s, d, i.error->message(p), p.hdr.sequence_number, ts, ctx);

  const std::uint32_t cmd = p.hdr.command_id;
  if (decoder::is_response(cmd)) {
    handle_response(s, opposite(d), p, ts, ctx);
  } else {
    handle_request(s, d, p, ts, ctx);
    if (!i.error && (cmd == id_of(command_id::deliver_sm) || cmd == id_of(command_id::data_sm)))
      handle_receipt(s, d, p, ts, ctx);
    if (!i.error) concat_->on_pdu(s.id, d, p, ts);
  }
  if (!p.tlv_region.empty()) handle_congestion(s, d, p, ts, ctx);
}


void diagnostics::on_tick(std::int64_t now, analysis_context& ctx) {
  for (auto& [id, s] : sessions_) check_session(*s, now, ctx);
  check_dlr(now, ctx);
  report_incomplete(concat_->expire(now), now, ctx);
}


}  // namespace smppscope::analysis::diag
