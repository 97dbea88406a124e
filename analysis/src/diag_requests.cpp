// Requests and their responses: matching by sequence number, latency, the outstanding window
// and response / enquire_link timeouts.
#include "detail/diag_state.hpp"
#include "smppscope/analysis/diag/receipt.hpp"

namespace smppscope::analysis::diag {

using namespace state;

void diagnostics::handle_request(session& s, direction d, const decoder::pdu& p, std::int64_t ts,
                                 analysis_context& ctx) {
  const std::uint32_t cmd = p.hdr.command_id;
  if (!expects_response(cmd)) return;
  std::uint8_t registered_delivery = 0;
  if (cmd == id_of(command_id::submit_sm) || cmd == id_of(command_id::data_sm)) {
    if (const decoder::field_value* rd = p.field("registered_delivery"))
      registered_delivery = static_cast<std::uint8_t>(rd->integer);
  }
  track_request(s, d, {cmd, p.hdr.sequence_number, cmd == id_of(command_id::enquire_link), is_submit(cmd), registered_delivery},
                ts, ctx);
}

void diagnostics::track_request(session& s, direction d, const request_facts& f, std::int64_t ts,
                                analysis_context& ctx) {
  const std::uint32_t cmd = f.command;
  direction_state& ds = s.dir[ix(d)];
  ++ds.requests;
  bump(c_->requests[ix(d)]);
  const bool enquire = f.keepalive;
  if (enquire) {
    if (ds.last_enquire_us) ds.enquire_interval_us = ts - ds.last_enquire_us;
    ds.last_enquire_us = ts;
    ++ds.enquire_links;
    ++s.acc.enquire_links[ix(d)];
  }
  if (f.submit) ++s.acc.submits[ix(d)];

  request_entry e{ts, cmd, f.registered_delivery, false, enquire};
  const std::uint32_t seq = f.seq;
  for (request_list* l : {&ds.main, &ds.enquire, &ds.unknown}) {
    const std::uint32_t old = l->t.find(seq);
    if (old == l->t.npos) continue;
    l->erase(old);  // the sender reused a sequence_number still outstanding
    ++ds.duplicate;
    bump(c_->duplicate[ix(d)]);
  }
  // Sent while its answers cannot be seen (the other direction is out of sync): unknown at once.
  const bool blind = s.blind[ix(opposite(d))];
  if (blind) ++ds.unknown_requests;
  request_list& l = blind ? ds.unknown : enquire ? ds.enquire : ds.main;
  if (blind && l.t.size() >= l.t.max_size()) l.erase(l.t.front());
  const std::uint32_t at = l.t.push_back(seq, e);
  if (at == l.t.npos) {
    ++ds.overflow;
    bump(c_->overflow[ix(d)]);
  } else if (l.cursor == l.t.npos) {
    l.cursor = at;
  }
  update_outstanding(s, d, ts, ctx);
}

void diagnostics::handle_response(session& s, direction req_dir, const decoder::pdu& p,
                                  std::int64_t ts, analysis_context& ctx) {
  const std::uint32_t cmd = p.hdr.command_id;
  const std::uint32_t status = p.hdr.command_status;
  request_entry e;
  if (!match_response(s, req_dir, cmd, p.hdr.sequence_number, cmd == id_of(command_id::enquire_link_resp),
                      status != 0, ts, ctx, e)) {
    const std::uint32_t req = cmd & ~decoder::response_bit;
    if (is_bind(req)) handle_bind_response(s, req_dir, p, req, ts, ctx);
  } else if (is_bind(e.command)) {
    handle_bind_response(s, req_dir, p, e.command, ts, ctx);
  } else if (is_submit(e.command) && status == 0) {
    ++s.acc.accepted_submits[ix(req_dir)];
    if (const auto mid = p.message_id(); mid && e.command != id_of(command_id::submit_multi))
      track_submit(s, *mid, e.sent_us, e.registered_delivery);
  }
  if (status == status_throttled || status == status_queue_full)
    note_throttled_response(s, req_dir, decoder::status_name(status), ts, ctx);
}

void diagnostics::note_throttled_response(session& s, direction req_dir, std::string_view why, std::int64_t ts,
                                          analysis_context& ctx) {
  const int r = ix(req_dir);
  ++s.dir[r].throttled;
  bump(c_->throttled[r]);
  ++s.acc.throttled[r];
  note_throttle(s, req_dir, ts, why, ctx);
}

bool diagnostics::match_response(session& s, direction req_dir, std::uint32_t cmd, std::uint32_t seq,
                                 bool keepalive, bool error, std::int64_t ts, analysis_context& ctx,
                                 request_entry& matched) {
  const int r = ix(req_dir);
  direction_state& ds = s.dir[r];

  request_list* lists[3] = {&ds.main, &ds.enquire, &ds.unknown};
  if (keepalive) std::swap(lists[0], lists[1]);
  request_list* l = nullptr;
  std::uint32_t at = ordered_table<request_entry>::npos;
  for (request_list* c : lists) {
    at = c->t.find(seq);
    if (at != c->t.npos) {
      l = c;
      break;
    }
  }

  // The request may have been in octets never framed (see unmatched_grace_until_us).
  const bool unseen_request = s.blind[r] || ts < ds.unmatched_grace_until_us;
  if (!l) {
    ++ds.unmatched;
    bump(c_->unmatched[r]);
    alert_slot& a = s.slot(alert_kind::unmatched_response);
    if (!unseen_request) {
      a.last_cause_us = ts;
      ++a.count;
    }
    if (!unseen_request && (!a.any() || ts - a.last_update_us >= opt_.alert_update_us)) {
      if (!a.any()) a.count = 1;
      std::string msg;
      append_int(msg, a.count);
      msg += " response(s) matched no outstanding request; last: ";
      msg += command_label(s, cmd);
      msg += " (seq ";
      append_int(msg, seq);
      msg += ") from the ";
      msg += receiver_name(req_dir);
      std::string extra = "\"count\":";
      append_int(extra, a.count);
      member_int(extra, "sequence_number", seq);
      member_str(extra, "command", command_label(s, cmd));
      raise(s, alert_kind::unmatched_response, std::nullopt, blame::receiver_of(req_dir), std::move(msg),
            std::move(extra), ts, ctx, true);
    }
    return false;
  }
  {
    const request_entry e = l->t[at].value;
    const std::int64_t latency = std::max<std::int64_t>(0, ts - e.sent_us);
    c_->latency[tracked_command_index(e.command, s.cmpp)][r].add(latency);
    ds.latency.add(latency);
    ds.second_latency.add(latency);
    ++ds.matched;
    bump(c_->matched[r]);
    ++s.acc.responses[r];
    if (error) ++s.acc.errors[r];
    if (e.timed_out) {
      ++ds.late;
      bump(c_->late[r]);
    }
    l->erase(at);
    update_outstanding(s, req_dir, ts, ctx);
    // Every overdue request has its answer now: responses flow again. (An answer to a later
    // request, e.g. unbind_resp, does not clear it while older requests are still unanswered;
    // those expire after request_expiry and clear it then.)
    if (s.slot(alert_kind::response_timeout).on[r] && l == &ds.main && l->timed_out == 0)
      clear(s, alert_kind::response_timeout, req_dir, ts, ctx);
    if (e.keepalive) {
      ds.enquire_rtt_us = latency;
      if (s.slot(alert_kind::enquire_link_timeout).on[r])
        clear(s, alert_kind::enquire_link_timeout, req_dir, ts, ctx);
    }
    matched = e;
    return true;
  }
}


void diagnostics::update_outstanding(session& s, direction d, std::int64_t ts, analysis_context& ctx) {
  direction_state& ds = s.dir[ix(d)];
  const std::uint32_t n = ds.outstanding();
  if (n == ds.reported) return;
  std::atomic<std::uint64_t>& total = c_->outstanding[ix(d)];
  total.store(total.load(std::memory_order_relaxed) + n - ds.reported, std::memory_order_relaxed);
  ds.reported = n;
  ds.high_water = std::max(ds.high_water, n);
  s.acc.outstanding[ix(d)] = std::max(s.acc.outstanding[ix(d)], n);
  ctx.set_outstanding(s.id, d, n);
  if (n >= opts(s).window) {
    if (!ds.at_window) {
      ds.at_window = true;
      ds.at_window_since = ts;
    }
  } else if (ds.at_window) {
    ds.at_window = false;
    ds.time_at_window_us += std::max<std::int64_t>(0, ts - ds.at_window_since);
    if (s.slot(alert_kind::window_full).on[ix(d)]) clear(s, alert_kind::window_full, d, ts, ctx);
  }
}


void diagnostics::check_timeouts(session& s, direction req_dir, bool enquire, std::int64_t now,
                                 analysis_context& ctx) {
  direction_state& ds = s.dir[ix(req_dir)];
  request_list& l = enquire ? ds.enquire : ds.main;
  const diag_options& o = opts(s);
  const std::int64_t limit = enquire ? o.enquire_link_timeout_us : o.response_timeout_us;
  std::uint32_t newly = 0;
  while (l.cursor != l.t.npos && now - l.t[l.cursor].value.sent_us >= limit) {
    l.t[l.cursor].value.timed_out = true;
    ++newly;
    ++l.timed_out;
    l.cursor = l.t.next(l.cursor);
  }
  if (newly) {
    // The alert names the oldest request still unanswered (the list is in sending order and
    // everything before the cursor is overdue), so an update keeps naming the same one.
    const auto& oldest = l.t[l.t.front()];
    const request_entry first = oldest.value;
    const auto first_seq = static_cast<std::uint32_t>(oldest.key);
    ds.timeouts += newly;
    bump(enquire ? c_->enquire_timeouts[ix(req_dir)] : c_->timeouts[ix(req_dir)], newly);
    std::string msg(receiver_name(req_dir));
    msg += " did not answer ";
    if (enquire) {
      msg += "the ";
      msg += sender_name(req_dir);
      msg += "'s ";
    }
    msg += command_label(s, first.command);
    msg += " (seq ";
    append_int(msg, first_seq);
    msg += ") within ";
    append_seconds(msg, limit);
    msg += " s";
    if (l.timed_out > 1) {
      msg += " (";
      append_int(msg, l.timed_out);
      msg += " requests overdue)";
    }
    std::string extra;
    member_str(extra, "command", command_label(s, first.command), false);
    member_int(extra, "sequence_number", first_seq);
    member_int(extra, "overdue", l.timed_out);
    detail::member_double(extra, "timeout_s", static_cast<double>(limit) / 1e6);
    raise(s, enquire ? alert_kind::enquire_link_timeout : alert_kind::response_timeout, req_dir,
          blame::receiver_of(req_dir), std::move(msg), std::move(extra), now, ctx, true);
  }
  // Forget requests nobody will answer any more.
  bool changed = false;
  while (!l.t.empty()) {
    const std::uint32_t f = l.t.front();
    const request_entry& e = l.t[f].value;
    if (!e.timed_out || now - e.sent_us < o.request_expiry_us) break;
    l.erase(f);
    ++ds.expired;
    bump(c_->expired[ix(req_dir)]);
    changed = true;
  }
  if (changed) update_outstanding(s, req_dir, now, ctx);
  const alert_kind k = enquire ? alert_kind::enquire_link_timeout : alert_kind::response_timeout;
  if (l.timed_out == 0 && s.slot(k).on[ix(req_dir)]) clear(s, k, req_dir, now, ctx);
}


}  // namespace smppscope::analysis::diag
