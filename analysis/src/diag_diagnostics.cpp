#include "smppscope/analysis/diag/diagnostics.hpp"

#include <algorithm>
#include <cstring>

#include "smppscope/analysis/diag/concat_tracker.hpp"
#include "smppscope/analysis/diag/detail/json_out.hpp"
#include "smppscope/analysis/diag/detail/ordered_table.hpp"
#include "smppscope/analysis/diag/receipt.hpp"
#include "smppscope/analysis/diag/timeline.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/reassembler.hpp"

namespace smppscope::analysis::diag {

namespace {

using decoder::command_id;
using detail::append_int;
using detail::append_seconds;
using detail::member_int;
using detail::member_str;
using detail::ordered_table;

constexpr std::uint32_t id_of(command_id c) noexcept { return static_cast<std::uint32_t>(c); }
constexpr std::uint32_t status_throttled = static_cast<std::uint32_t>(decoder::command_status::throttled);
constexpr std::uint32_t status_queue_full =
    static_cast<std::uint32_t>(decoder::command_status::message_queue_full);

constexpr int ix(direction d) noexcept { return static_cast<int>(d); }
constexpr direction dir_of(int i) noexcept { return static_cast<direction>(i); }

void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // single writer
}
void drop(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
}

bool is_bind(std::uint32_t id) noexcept {
  return id == id_of(command_id::bind_transmitter) || id == id_of(command_id::bind_receiver) ||
         id == id_of(command_id::bind_transceiver);
}
bool is_submit(std::uint32_t id) noexcept {
  return id == id_of(command_id::submit_sm) || id == id_of(command_id::data_sm) ||
         id == id_of(command_id::submit_multi);
}
// Requests that never get a response (SMPP v3.4 section 5.1.2.1).
bool expects_response(std::uint32_t id) noexcept {
  return id != id_of(command_id::outbind) && id != id_of(command_id::alert_notification);
}

std::int64_t second_of(std::int64_t ts_us) noexcept {
  return ts_us >= 0 ? ts_us / 1'000'000 : -((-ts_us + 999'999) / 1'000'000);
}

std::uint32_t clamp32(std::int64_t v) noexcept {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, UINT32_MAX));
}

void append_status(std::string& out, std::uint32_t status) {
  const std::string_view name = decoder::status_name(status);
  if (!name.empty()) {
    out += name;
    out += ' ';
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "(0x%08X)", status);
  out += buf;
}


// Bind state as this observer needs it (silence only applies to bound sessions).
enum class bind_phase : std::uint8_t { none, binding, bound, unbinding };

struct request_entry {
  std::int64_t sent_us = 0;
  std::uint32_t command = 0;
  std::uint8_t registered_delivery = 0;
  bool timed_out = false;
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

}  // namespace

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

namespace {

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
std::string_view alert_side(const alert_slot& a) noexcept {
  if (a.on[0] && a.on[1]) return a.side[0] == a.side[1] ? a.side[0] : std::string_view("both");
  return a.on[0] ? a.side[0] : a.side[1];
}
std::string_view alert_direction(const alert_slot& a) noexcept {
  if (a.on[0] && a.on[1]) return a.dir[0] == a.dir[1] ? a.dir[0] : std::string_view("both");
  return a.on[0] ? a.dir[0] : a.dir[1];
}
// The alert's extra members: side, direction, then the (first active) part's own members.
std::string alert_extra(const alert_slot& a) {
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

}  // namespace

struct diagnostics::session {
  session(std::uint64_t i, const diag_options& o)
      : id(i), dir{direction_state(o.max_outstanding), direction_state(o.max_outstanding)} {}
  std::uint64_t id;
  direction_state dir[2];
  bind_phase phase = bind_phase::none;
  std::int64_t bound_since_us = 0;
  std::uint32_t bind_command = 0;
  std::optional<std::uint32_t> bind_status;
  std::optional<std::uint8_t> interface_version, sc_interface_version;
  bool out_of_sync = false;     // a direction is out of sync after a bad header
  bool broken[2] = {false, false};  // per direction: after a bad header, until it resyncs
  bool blind[2] = {false, false};   // per direction: not framed now (bad header or capture gap)
  std::uint64_t malformed = 0;
  std::uint64_t dlr_matched = 0, dlr_unmatched = 0, dlr_tracked = 0;
  std::uint64_t concat_incomplete = 0;
  std::int64_t concat_last_us[2] = {0, 0};  // last concat_incomplete cause per direction
  std::array<alert_slot, alert_kind_count> alerts;
  timeline_sample acc;  // the current second
  bool acc_started = false;
  std::shared_ptr<timeline_store> timeline;

  alert_slot& slot(alert_kind k) noexcept { return alerts[static_cast<std::size_t>(k)]; }
  const alert_slot& slot(alert_kind k) const noexcept { return alerts[static_cast<std::size_t>(k)]; }
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
  ordered_table<pending> pendings;
  ordered_table<early> earlies;
};

// ---------------------------------------------------------------------------------------------

diagnostics::diagnostics(diag_options opt, alert_logger log)
    : opt_(opt),
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
    roll_second(*it->second, ts_us);
    (void)ctx;
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
  publish_summary(s);
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

void diagnostics::on_pdu(const pdu_info& i, analysis_context& ctx) {
  if (!i.pdu) return;
  const decoder::pdu& p = *i.pdu;
  session& s = session_for(i.session, i.ts_us, ctx);
  const direction d = i.dir;
  const std::int64_t ts = i.ts_us;
  roll_second(s, ts);
  direction_state& ds = s.dir[ix(d)];
  ++s.acc.pdus[ix(d)];
  ds.last_pdu_us = ts;
  if (s.slot(alert_kind::silence).on[ix(d)]) clear(s, alert_kind::silence, d, ts, ctx);

  if (i.error) {
    ++s.malformed;
    bump(c_->malformed);
    alert_slot& a = s.slot(alert_kind::malformed);
    ++a.count;
    a.last_cause_us = ts;
    if (!s.out_of_sync && (!a.any() || ts - a.last_update_us >= opt_.alert_update_us)) {
      std::string msg;
      append_int(msg, a.any() ? a.count : 1);
      msg += " malformed PDU(s); last from the ";
      msg += sender_name(d);
      msg += ": ";
      msg += i.error->message(p);
      msg += " (seq ";
      append_int(msg, p.hdr.sequence_number);
      msg += ')';
      std::string extra = "\"count\":";
      append_int(extra, a.any() ? a.count : 1);
      if (!a.any()) a.count = 1;
      raise(s, alert_kind::malformed, std::nullopt, blame::sender_of(d), std::move(msg), std::move(extra), ts,
            ctx, true);
    }
  }

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

void diagnostics::handle_request(session& s, direction d, const decoder::pdu& p, std::int64_t ts,
                                 analysis_context& ctx) {
  const std::uint32_t cmd = p.hdr.command_id;
  if (!expects_response(cmd)) return;
  direction_state& ds = s.dir[ix(d)];
  ++ds.requests;
  bump(c_->requests[ix(d)]);
  if (is_bind(cmd)) {
    s.phase = bind_phase::binding;
    s.bind_command = cmd;
    if (const decoder::field_value* iv = p.field("interface_version"))
      s.interface_version = static_cast<std::uint8_t>(iv->integer);
  } else if (cmd == id_of(command_id::unbind)) {
    if (s.phase == bind_phase::bound) s.phase = bind_phase::unbinding;
  }
  const bool enquire = cmd == id_of(command_id::enquire_link);
  if (enquire) {
    if (ds.last_enquire_us) ds.enquire_interval_us = ts - ds.last_enquire_us;
    ds.last_enquire_us = ts;
    ++ds.enquire_links;
    ++s.acc.enquire_links[ix(d)];
  }
  if (is_submit(cmd)) ++s.acc.submits[ix(d)];

  request_entry e{ts, cmd, 0, false};
  if (cmd == id_of(command_id::submit_sm) || cmd == id_of(command_id::data_sm)) {
    if (const decoder::field_value* rd = p.field("registered_delivery"))
      e.registered_delivery = static_cast<std::uint8_t>(rd->integer);
  }
  const std::uint32_t seq = p.hdr.sequence_number;
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
  const std::uint32_t seq = p.hdr.sequence_number;
  const int r = ix(req_dir);
  direction_state& ds = s.dir[r];

  request_list* lists[3] = {&ds.main, &ds.enquire, &ds.unknown};
  if (cmd == id_of(command_id::enquire_link_resp)) std::swap(lists[0], lists[1]);
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
      msg += decoder::command_name(cmd);
      msg += " (seq ";
      append_int(msg, seq);
      msg += ") from the ";
      msg += receiver_name(req_dir);
      std::string extra = "\"count\":";
      append_int(extra, a.count);
      member_int(extra, "sequence_number", seq);
      member_str(extra, "command", decoder::command_name(cmd));
      raise(s, alert_kind::unmatched_response, std::nullopt, blame::receiver_of(req_dir), std::move(msg),
            std::move(extra), ts, ctx, true);
    }
    const std::uint32_t req = cmd & ~decoder::response_bit;
    if (is_bind(req)) handle_bind_response(s, req_dir, p, req, ts, ctx);
  } else {
    const request_entry e = l->t[at].value;
    const std::int64_t latency = std::max<std::int64_t>(0, ts - e.sent_us);
    c_->latency[tracked_command_index(e.command)][r].add(latency);
    ds.latency.add(latency);
    ds.second_latency.add(latency);
    ++ds.matched;
    bump(c_->matched[r]);
    ++s.acc.responses[r];
    if (status != 0) ++s.acc.errors[r];
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
    if (e.command == id_of(command_id::enquire_link)) {
      ds.enquire_rtt_us = latency;
      if (s.slot(alert_kind::enquire_link_timeout).on[r])
        clear(s, alert_kind::enquire_link_timeout, req_dir, ts, ctx);
    }
    if (is_bind(e.command)) {
      handle_bind_response(s, req_dir, p, e.command, ts, ctx);
    } else if (e.command == id_of(command_id::unbind) && status == 0) {
      s.phase = bind_phase::none;
    } else if (is_submit(e.command) && status == 0) {
      ++s.acc.accepted_submits[r];
      const auto mid = p.message_id();
      if (mid && !mid->empty() && e.command != id_of(command_id::submit_multi)) {
        // A receipt that overtook this response (another session, another relay thread)?
        const message_id_keys keys = keys_of_message_id(*mid);
        bool matched_early = false;
        for (std::uint8_t k = 0; k < keys.count && !matched_early; ++k) {
          const std::uint32_t x = dlr_->earlies.find(keys.key[k]);
          if (x == dlr_->earlies.npos) continue;
          const dlr_state::early er = dlr_->earlies[x].value;
          dlr_->earlies.erase(x);
          c_->receipt.add(std::max<std::int64_t>(0, er.ts_us - e.sent_us));
          if (er.intermediate) {
            bump(c_->dlr_intermediate);
          } else {
            bump(c_->dlr_matched);
            matched_early = true;
          }
          if (const auto it = sessions_.find(er.session); it != sessions_.end()) {
            if (!er.intermediate) ++it->second->dlr_matched;
          }
        }
        if (keys.count && !matched_early) {
          auto& pend = dlr_->pendings;
          if (const std::uint32_t old = pend.find(keys.key[0]); old != pend.npos) {
            pend.erase(old);
            drop(c_->dlr_pending);
          }
          if (pend.size() == pend.max_size()) {
            pend.erase(pend.front());
            drop(c_->dlr_pending);
            bump(c_->dlr_evicted);
          }
          pend.push_back(keys.key[0], {e.sent_us, s.id, e.registered_delivery});
          bump(c_->dlr_pending);
          bump(c_->dlr_tracked);
          ++s.dlr_tracked;
        }
      }
    }
  }

  if (status == status_throttled || status == status_queue_full) {
    ++ds.throttled;
    bump(c_->throttled[r]);
    ++s.acc.throttled[r];
    std::string why(decoder::status_name(status));
    note_throttle(s, req_dir, ts, why, ctx);
  }
}

void diagnostics::handle_bind_response(session& s, direction req_dir, const decoder::pdu& p,
                                       std::uint32_t request_id, std::int64_t ts, analysis_context& ctx) {
  const std::uint32_t status = p.hdr.command_status;
  s.bind_command = request_id;
  s.bind_status = status;
  const bool nack = p.hdr.command_id == id_of(command_id::generic_nack);
  if (status == 0 && !nack) {
    s.phase = bind_phase::bound;
    s.bound_since_us = ts;
    bump(c_->binds_ok);
    if (const auto t = p.tlvs().find(decoder::tlv_tag::sc_interface_version)) {
      if (const auto v = t->integer()) s.sc_interface_version = static_cast<std::uint8_t>(*v);
    }
    clear(s, alert_kind::bind_failed, std::nullopt, ts, ctx);
    return;
  }
  s.phase = bind_phase::none;
  bump(c_->binds_failed);
  std::string msg(decoder::command_name(request_id));
  msg += " refused by the ";
  msg += receiver_name(req_dir);
  msg += ": ";
  if (nack) msg += "generic_nack ";
  append_status(msg, status);
  std::string extra;
  member_str(extra, "bind", decoder::command_name(request_id), false);
  member_int(extra, "command_status", status);
  member_str(extra, "status_name", decoder::status_name(status));
  raise(s, alert_kind::bind_failed, std::nullopt, blame::receiver_of(req_dir), std::move(msg),
        std::move(extra), ts, ctx, true);
}

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

void diagnostics::handle_receipt(session& s, direction d, const decoder::pdu& p, std::int64_t ts,
                                 analysis_context& ctx) {
  (void)ctx;
  const auto rc = find_receipt(p);
  if (!rc) return;
  const message_id_keys keys = keys_of_message_id(rc->id);
  auto& pend = dlr_->pendings;
  for (std::uint8_t k = 0; k < keys.count; ++k) {
    const std::uint32_t at = pend.find(keys.key[k]);
    if (at == pend.npos) continue;
    c_->receipt.add(std::max<std::int64_t>(0, ts - pend[at].value.submit_us));
    if (rc->intermediate) {
      bump(c_->dlr_intermediate);
      return;
    }
    pend.erase(at);
    drop(c_->dlr_pending);
    bump(c_->dlr_matched);
    ++s.dlr_matched;
    return;
  }
  if (keys.count == 0) return;
  // Not (yet) known: its submit_sm_resp may still be on its way.
  auto& early = dlr_->earlies;
  if (early.find(keys.key[0]) != early.npos) return;
  if (early.size() == early.max_size()) {  // a flood of strangers: the oldest counts as unmatched now
    const dlr_state::early old = early[early.front()].value;
    early.erase(early.front());
    bump(c_->dlr_unmatched);
    (void)old;
  }
  dlr_state::early e;
  e.ts_us = ts;
  e.session = s.id;
  e.dir = d;
  e.intermediate = rc->intermediate;
  e.id_len = static_cast<std::uint8_t>(std::min(rc->id.size(), sizeof e.id));
  std::memcpy(e.id, rc->id.data(), e.id_len);
  early.push_back(keys.key[0], e);
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
  if (n >= opt_.window) {
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

// ---- time-driven checks ----------------------------------------------------------------------

void diagnostics::on_tick(std::int64_t now, analysis_context& ctx) {
  for (auto& [id, s] : sessions_) check_session(*s, now, ctx);
  check_dlr(now, ctx);
  report_incomplete(concat_->expire(now), now, ctx);
}

void diagnostics::check_timeouts(session& s, direction req_dir, bool enquire, std::int64_t now,
                                 analysis_context& ctx) {
  direction_state& ds = s.dir[ix(req_dir)];
  request_list& l = enquire ? ds.enquire : ds.main;
  const std::int64_t limit = enquire ? opt_.enquire_link_timeout_us : opt_.response_timeout_us;
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
    msg += decoder::command_name(first.command);
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
    member_str(extra, "command", decoder::command_name(first.command), false);
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
    if (!e.timed_out || now - e.sent_us < opt_.request_expiry_us) break;
    l.erase(f);
    ++ds.expired;
    bump(c_->expired[ix(req_dir)]);
    changed = true;
  }
  if (changed) update_outstanding(s, req_dir, now, ctx);
  const alert_kind k = enquire ? alert_kind::enquire_link_timeout : alert_kind::response_timeout;
  if (l.timed_out == 0 && s.slot(k).on[ix(req_dir)]) clear(s, k, req_dir, now, ctx);
}

void diagnostics::check_session(session& s, std::int64_t now, analysis_context& ctx) {
  roll_second(s, now);
  for (int r = 0; r < 2; ++r) {
    const direction rd = dir_of(r);
    direction_state& ds = s.dir[r];
    check_timeouts(s, rd, false, now, ctx);
    check_timeouts(s, rd, true, now, ctx);
    while (!ds.unknown.t.empty() && now - ds.unknown.t[ds.unknown.t.front()].value.sent_us >= opt_.request_expiry_us)
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
      msg += same && cmd ? decoder::command_name(cmd) : std::string_view("requests");
      msg += " for ";
      append_seconds(msg, now - oldest);
      msg += " s - window full (";
      append_int(msg, n);
      msg += '/';
      append_int(msg, opt_.window);
      msg += ')';
      std::string extra;
      member_int(extra, "outstanding", n, false);
      member_int(extra, "window", opt_.window);
      detail::member_double(extra, "oldest_wait_s", static_cast<double>(now - oldest) / 1e6);
      raise(s, alert_kind::window_full, rd, blame::receiver_of(rd), std::move(msg), std::move(extra), now, ctx,
            true);
    }

    // silence: nothing at all from this side of a bound session.
    const direction sd = rd;  // PDUs *sent* in this direction
    alert_slot& si = s.slot(alert_kind::silence);
    if (s.phase == bind_phase::bound && !s.blind[r]) {  // a blind direction is not silent
      // Peers that agreed on a slow enquire_link (120 s is common) are quiet that long by design.
      const std::int64_t el = std::max(s.dir[0].enquire_interval_us, s.dir[1].enquire_interval_us);
      const std::int64_t limit = std::max(opt_.silence_us, el + el / 2);
      const std::int64_t last = std::max(ds.last_pdu_us, s.bound_since_us);
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

void diagnostics::check_dlr(std::int64_t now, analysis_context& ctx) {
  auto& pend = dlr_->pendings;
  while (!pend.empty()) {
    const std::uint32_t f = pend.front();
    const dlr_state::pending& e = pend[f].value;
    if (now - e.submit_us < opt_.dlr_timeout_us) break;
    if ((e.registered_delivery & 0x03) == 1) bump(c_->dlr_missing);  // receipt on success or failure
    pend.erase(f);
    drop(c_->dlr_pending);
  }
  auto& early = dlr_->earlies;
  while (!early.empty()) {
    const std::uint32_t f = early.front();
    const dlr_state::early e = early[f].value;
    if (now - e.ts_us < opt_.dlr_grace_us) break;
    early.erase(f);
    bump(c_->dlr_unmatched);
    const auto it = sessions_.find(e.session);
    if (it == sessions_.end()) continue;
    session& s = *it->second;
    ++s.dlr_unmatched;
    alert_slot& a = s.slot(alert_kind::dlr_unmatched);
    a.last_cause_us = now;
    a.count = a.any() ? a.count + 1 : 1;
    if (a.any() && now - a.last_update_us < opt_.alert_update_us) continue;
    std::string msg = "delivery receipt for message_id ";
    decoder::append_json_string(msg, e.text());
    msg += " matches no submit seen";
    if (a.count > 1) {
      msg += " (";
      append_int(msg, a.count);
      msg += " unmatched)";
    }
    std::string extra;
    member_str(extra, "message_id", e.text(), false);
    member_int(extra, "count", a.count);
    raise(s, alert_kind::dlr_unmatched, std::nullopt, blame::sender_of(e.dir), std::move(msg), std::move(extra),
          now, ctx, true);
  }
}

void diagnostics::report_incomplete(const std::vector<decoder::incomplete_message>& gone, std::int64_t now,
                                    analysis_context& ctx) {
  for (const decoder::incomplete_message& m : gone) {
    const auto it = sessions_.find(m.id.session);
    if (it == sessions_.end()) continue;  // counted in the totals; nothing left to show it on
    session& s = *it->second;
    const direction d = m.id.direction == ix(direction::smsc_to_esme) ? direction::smsc_to_esme
                                                                       : direction::esme_to_smsc;
    const int r = ix(d);
    ++s.concat_incomplete;
    s.concat_last_us[r] = now;
    alert_slot& a = s.slot(alert_kind::concat_incomplete);
    a.last_cause_us = now;
    std::string seen, missing;
    for (unsigned seq = 1, k = 0; seq <= m.id.total; ++seq) {
      const bool gap = k < m.missing.size() && m.missing[k] == seq;
      std::string& list = gap ? missing : seen;
      if (gap) ++k;
      if (!list.empty()) list += ',';
      append_int(list, seq);
    }
    std::string msg = "concatenated message from the ";
    msg += sender_name(d);
    msg += " (";
    msg += decoder::concat_source_name(m.id.numbering);
    msg += " ref ";
    append_int(msg, m.id.ref);
    msg += ", ";
    decoder::append_json_string(msg, m.id.source);
    msg += " -> ";
    decoder::append_json_string(msg, m.id.destination);
    msg += ") incomplete: ";
    append_int(msg, m.received);
    msg += " of ";
    append_int(msg, m.id.total);
    msg += " parts (";
    msg += seen;
    msg += "), missing ";
    msg += missing;
    if (s.concat_incomplete > 1) {
      msg += " (";
      append_int(msg, s.concat_incomplete);
      msg += " incomplete in this session)";
    }
    std::string extra;
    member_str(extra, "numbering", decoder::concat_source_name(m.id.numbering), false);
    member_int(extra, "ref", m.id.ref);
    member_int(extra, "total", m.id.total);
    extra += ",\"parts_seen\":[";
    extra += seen;
    extra += "],\"parts_missing\":[";
    extra += missing;
    extra += ']';
    member_str(extra, "source_addr", m.id.source);
    member_str(extra, "destination_addr", m.id.destination);
    member_int(extra, "first_part_us", m.first_us);
    member_int(extra, "last_part_us", m.last_us);
    member_int(extra, "count", s.concat_incomplete);
    raise(s, alert_kind::concat_incomplete, d, blame::sender_of(d), std::move(msg), std::move(extra), now, ctx,
          true);
  }
}

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

// ---- timeline --------------------------------------------------------------------------------

void diagnostics::roll_second(session& s, std::int64_t ts) {
  const std::int64_t sec = second_of(ts);
  if (!s.acc_started) {
    s.acc = {};
    s.acc.second = sec;
    s.acc_started = true;
    return;
  }
  if (sec <= s.acc.second) return;  // same second, or a record stamped slightly earlier
  for (int d = 0; d < 2; ++d) {
    s.acc.latency_p50_us[d] = clamp32(s.dir[d].second_latency.quantile(0.5));
    s.acc.latency_max_us[d] = clamp32(s.dir[d].second_latency.max());
    s.dir[d].second_latency.reset();
  }
  s.timeline->push(s.acc);
  timeline_sample idle;
  for (int d = 0; d < 2; ++d) idle.outstanding[d] = s.dir[d].outstanding();
  const std::int64_t gap = std::min<std::int64_t>(sec - s.acc.second - 1, opt_.timeline_seconds);
  for (std::int64_t k = sec - gap; k < sec; ++k) {
    idle.second = k;
    s.timeline->push(idle);
  }
  s.acc = {};
  s.acc.second = sec;
  for (int d = 0; d < 2; ++d) s.acc.outstanding[d] = s.dir[d].outstanding();
  publish_summary(s);
}

void diagnostics::publish_summary(session& s) {
  using detail::append_key;
  std::string j;
  j.reserve(1200);
  j += "{\"bind_state\":\"";
  switch (s.phase) {
    case bind_phase::none: j += "unbound"; break;
    case bind_phase::binding: j += "binding"; break;
    case bind_phase::bound: j += "bound"; break;
    case bind_phase::unbinding: j += "unbinding"; break;
  }
  j += '"';
  if (s.bind_command) member_str(j, "bind", decoder::command_name(s.bind_command));
  if (s.bind_status) {
    member_int(j, "bind_status", *s.bind_status);
    member_str(j, "bind_status_name", decoder::status_name(*s.bind_status));
  }
  if (s.interface_version) member_int(j, "interface_version", unsigned(*s.interface_version));
  if (s.sc_interface_version) member_int(j, "sc_interface_version", unsigned(*s.sc_interface_version));
  member_int(j, "window", opt_.window);
  member_int(j, "malformed", s.malformed);
  for (int d = 0; d < 2; ++d) {
    const direction_state& ds = s.dir[d];
    j += ',';
    append_key(j, direction_name(dir_of(d)));
    j += '{';
    member_int(j, "outstanding", ds.outstanding(), false);
    member_int(j, "high_water", ds.high_water);
    member_int(j, "requests", ds.requests);
    member_int(j, "matched", ds.matched);
    member_int(j, "unmatched", ds.unmatched);
    member_int(j, "timeouts", ds.timeouts);
    member_int(j, "late", ds.late);
    member_int(j, "expired", ds.expired);
    member_int(j, "overflow", ds.overflow);
    member_int(j, "duplicate_sequence", ds.duplicate);
    member_int(j, "throttled", ds.throttled);
    std::int64_t at_window = ds.time_at_window_us;
    if (ds.at_window) at_window += std::max<std::int64_t>(0, s.acc.second * 1'000'000 - ds.at_window_since);
    detail::member_double(j, "time_at_window_s", static_cast<double>(at_window) / 1e6);
    j += ",\"latency_us\":{";
    member_int(j, "count", ds.latency.count(), false);
    member_int(j, "p50", ds.latency.quantile(0.5));
    member_int(j, "p90", ds.latency.quantile(0.9));
    member_int(j, "p99", ds.latency.quantile(0.99));
    member_int(j, "max", ds.latency.max());
    j += "},\"enquire_link\":{";
    member_int(j, "count", ds.enquire_links, false);
    detail::member_double(j, "interval_s", static_cast<double>(ds.enquire_interval_us) / 1e6);
    member_int(j, "rtt_us", ds.enquire_rtt_us);
    j += '}';
    // Rates over the last 1, 10 and 60 completed seconds.
    std::uint64_t pdus[3] = {}, submits[3] = {};
    std::size_t seen = 0;
    s.timeline->for_each_recent(60, [&](const timeline_sample& x) {
      for (int w = 0; w < 3; ++w) {
        if (seen < std::size_t(w == 0 ? 1 : w == 1 ? 10 : 60)) {
          pdus[w] += x.pdus[d];
          submits[w] += x.submits[d];
        }
      }
      ++seen;
    });
    j += ",\"rate\":{";
    const char* names[3][2] = {{"pdus_1s", "submits_1s"}, {"pdus_10s", "submits_10s"}, {"pdus_60s", "submits_60s"}};
    const double span[3] = {1, 10, 60};
    for (int w = 0; w < 3; ++w) {
      const double secs = std::max(1.0, std::min<double>(span[w], static_cast<double>(seen)));
      detail::member_double(j, names[w][0], static_cast<double>(pdus[w]) / secs, w != 0);
      detail::member_double(j, names[w][1], static_cast<double>(submits[w]) / secs);
    }
    j += "}}";
  }
  j += ",\"dlr\":{";
  member_int(j, "submits_tracked", s.dlr_tracked, false);
  member_int(j, "receipts_matched", s.dlr_matched);
  member_int(j, "receipts_unmatched", s.dlr_unmatched);
  j += "}}";
  s.timeline->set_summary(std::move(j));
}

std::optional<std::string> diagnostics::timeline_json(std::uint64_t session,
                                                      std::int64_t since_second) const {
  std::shared_ptr<timeline_store> t;
  {
    const std::lock_guard lock(timelines_mu_);
    const auto it = timelines_.find(session);
    if (it == timelines_.end()) return std::nullopt;
    t = it->second;
  }
  return t->json(since_second);
}

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

}  // namespace smppscope::analysis::diag

// ---- /metrics ----------------------------------------------------------------------------------

namespace smppscope::analysis::diag {

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
