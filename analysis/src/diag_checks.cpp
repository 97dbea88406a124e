// Time-driven checks of one session: window_full, silence and the quiet-period clears.
#include "detail/diag_state.hpp"

namespace smppscope::analysis::diag {

using namespace state;

void diagnostics::check_session(session& s, std::int64_t now, analysis_context& ctx) {
  roll_second(s, now, ctx);
  const diag_options& o = opts(s);
  const bind_view b = ctx.sessions().bind_state(s.id).value_or(bind_view{});
  for (int r = 0; r < 2; ++r) {
    const direction rd = dir_of(r);
    direction_state& ds = s.dir[r];
    check_timeouts(s, rd, false, now, ctx);
    check_timeouts(s, rd, true, now, ctx);
    while (!ds.unknown.t.empty() && now - ds.unknown.t[ds.unknown.t.front()].value.sent_us >= o.request_expiry_us)
      ds.unknown.erase(ds.unknown.t.front());

    // window_full: at the window and the oldest request has been waiting for window_stall.
    const std::uint32_t n = ds.outstanding();
    const std::int64_t oldest = ds.oldest_sent();
    alert_slot& wf = s.slot(alert_kind::window_full);
    if (ds.at_window && now - ds.at_window_since >= opt_.window_stall_us && oldest &&
        now - oldest >= opt_.window_stall_us &&
        (!wf.on[r] || now - wf.last_update_us >= opt_.alert_update_us)) {
      // Name the command when they are all the same ("10 submit_sm"), else "10 requests".
      std::uint32_t cmd = 0;
      bool same = true;
      for (const request_list* l : {&ds.main, &ds.enquire})
        for (std::uint32_t i = l->t.front(); i != l->t.npos && same; i = l->t.next(i)) {
          if (cmd == 0) cmd = l->t[i].value.command;
          same = l->t[i].value.command == cmd;
        }
      std::string msg(receiver_name(rd));
      msg += " has not answered ";
      append_int(msg, n);
      msg += ' ';
      msg += same && cmd ? command_label(s, cmd) : std::string_view("requests");
      msg += " for ";
      append_seconds(msg, now - oldest);
      msg += " s - window full (";
      append_int(msg, n);
      msg += '/';
      append_int(msg, o.window);
      msg += ')';
      std::string extra;
      member_int(extra, "outstanding", n, false);
      member_int(extra, "window", o.window);
      detail::member_double(extra, "oldest_wait_s", static_cast<double>(now - oldest) / 1e6);
      raise(s, alert_kind::window_full, rd, blame::receiver_of(rd), std::move(msg), std::move(extra), now, ctx,
            true);
    }

    // silence: nothing at all from this side of a bound session.
    const direction sd = rd;  // PDUs *sent* in this direction
    alert_slot& si = s.slot(alert_kind::silence);
    if (b.bound() && !s.blind[r]) {  // a blind direction is not silent
      // Peers that agreed on a slow enquire_link (120 s is common) are quiet that long by design.
      const std::int64_t el = std::max(s.dir[0].enquire_interval_us, s.dir[1].enquire_interval_us);
      const std::int64_t limit = std::max(o.silence_us, el + el / 2);
      const std::int64_t last = std::max(ds.last_pdu_us, b.bound_since_us);
      if (now - last >= limit &&
          (!si.on[r] || now - si.last_update_us >= opt_.alert_update_us)) {
        std::string msg = "no PDU from the ";
        msg += sender_name(sd);
        msg += " for ";
        append_seconds(msg, now - last);
        msg += " s on a bound session";
        std::string extra;
        detail::member_double(extra, "silent_s", static_cast<double>(now - last) / 1e6, false);
        raise(s, alert_kind::silence, sd, blame::sender_of(sd), std::move(msg), std::move(extra), now, ctx, true);
      }
    } else if (si.on[r]) {
      clear(s, alert_kind::silence, sd, now, ctx);
    }

    if (s.slot(alert_kind::throttled).on[r] && now - ds.last_throttle_us >= opt_.quiet_period_us)
      clear(s, alert_kind::throttled, rd, now, ctx);
    if (s.slot(alert_kind::concat_incomplete).on[r] && now - s.concat_last_us[r] >= opt_.quiet_period_us)
      clear(s, alert_kind::concat_incomplete, rd, now, ctx);
  }
  for (alert_kind k : {alert_kind::unmatched_response, alert_kind::dlr_unmatched}) {
    const alert_slot& a = s.slot(k);
    if (a.any() && now - a.last_cause_us >= opt_.quiet_period_us) clear(s, k, std::nullopt, now, ctx);
  }
  const alert_slot& m = s.slot(alert_kind::malformed);
  if (m.any() && !s.out_of_sync && now - m.last_cause_us >= opt_.quiet_period_us)
    clear(s, alert_kind::malformed, std::nullopt, now, ctx);
}


}  // namespace smppscope::analysis::diag
