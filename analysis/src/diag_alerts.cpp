// Alerts: raise, update, clear and log.
#include "detail/diag_state.hpp"

namespace smppscope::analysis::diag {

using namespace state;

// ---- alerts ----------------------------------------------------------------------------------

namespace {
std::string join_parts(const alert_slot& a) {
  if (a.on[0] && a.on[1]) return a.part[0] + "; " + a.part[1];
  return a.on[0] ? a.part[0] : a.part[1];
}
}  // namespace

void diagnostics::raise(session& s, alert_kind k, std::optional<direction> d, const blame& who,
                        std::string message, std::string extra_json, std::int64_t ts,
                        analysis_context& ctx, bool force_update) {
  alert_slot& a = s.slot(k);
  const int i = d ? ix(*d) : 0;
  const bool was_any = a.any();
  const bool was_on = a.on[i];
  if (was_on && !force_update && ts - a.last_update_us < opt_.alert_update_us) return;
  a.on[i] = true;
  a.part[i] = std::move(message);
  a.extra[i] = std::move(extra_json);
  a.side[i] = who.side;
  a.dir[i] = direction_name(who.dir);
  a.last_cause_us = std::max(a.last_cause_us, ts);
  const std::string joined = join_parts(a);
  const std::string_view kind = alert_kind_name(k);
  if (!was_any) {
    a.since_us = ts;
    a.last_update_us = ts;
    ctx.raise_alert(s.id, kind, joined, ts, alert_extra(a));
    bump(c_->alerts_raised[static_cast<std::size_t>(k)]);
    bump(c_->alerts_active[static_cast<std::size_t>(k)]);
    ++s.acc.alerts_raised;
    s.timeline->push_alert({ts, k, true, joined});
    log_alert(s.id, k, true, joined, a.side[i], a.dir[i]);
    return;
  }
  a.last_update_us = ts;
  ctx.raise_alert(s.id, kind, joined, a.since_us, alert_extra(a));  // update: no new event
  if (!was_on) {  // the other side joined an active alert
    s.timeline->push_alert({ts, k, true, a.part[i]});
    log_alert(s.id, k, true, a.part[i], a.side[i], a.dir[i]);
  }
}

void diagnostics::clear(session& s, alert_kind k, std::optional<direction> d, std::int64_t ts,
                        analysis_context& ctx) {
  alert_slot& a = s.slot(k);
  if (!a.any()) return;
  std::string_view side = alert_side(a), dir = alert_direction(a);
  if (d) {
    const int i = ix(*d);
    if (!a.on[i]) return;
    side = a.side[i];
    dir = a.dir[i];
    a.on[i] = false;
    a.part[i].clear();
    a.extra[i].clear();
    if (a.any()) {
      ctx.raise_alert(s.id, alert_kind_name(k), join_parts(a), a.since_us, alert_extra(a));
      return;
    }
  } else {
    for (int i = 0; i < 2; ++i) {
      a.on[i] = false;
      a.part[i].clear();
      a.extra[i].clear();
    }
  }
  a.count = 0;
  if (k == alert_kind::malformed && s.out_of_sync) return;
  ctx.clear_alert(s.id, alert_kind_name(k), ts);
  drop(c_->alerts_active[static_cast<std::size_t>(k)]);
  ++s.acc.alerts_cleared;
  s.timeline->push_alert({ts, k, false, {}});
  log_alert(s.id, k, false, {}, side, dir);
}

// "session 12 alert window_full: <message> [side smsc, direction esme_to_smsc]"
// "session 12 alert window_full cleared [side smsc, direction esme_to_smsc]"
void diagnostics::log_alert(std::uint64_t session, alert_kind k, bool raised, std::string_view message,
                            std::string_view side, std::string_view dir) {
  std::string line = "session ";
  append_int(line, session);
  line += " alert ";
  line += alert_kind_name(k);
  if (raised) {
    line += ": ";
    line += message;
  } else {
    line += " cleared";
  }
  line += " [side ";
  line += side;
  line += ", direction ";
  line += dir;
  line += ']';
  log_(line);
}


}  // namespace smppscope::analysis::diag
