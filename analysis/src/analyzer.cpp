#include "smppscope/analysis/analyzer.hpp"

#include <charconv>
#include <chrono>
#include <unordered_map>

#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "detail/cmpp_analysis.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace smppscope::analysis {

namespace {

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void append_member(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ',';
  out += '"';
  out += key;
  out += "\":";
  decoder::append_json_string(out, value);
}

void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // single writer
}

std::string_view text_of(const tap_record& r) {
  return {reinterpret_cast<const char*>(r.bytes.data()), r.bytes.size()};
}

}  // namespace

std::int64_t now_us() noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One direction of a session (analysis thread only).
struct analyzer::half_state {
  explicit half_state(std::uint32_t max_pdu) : fr(max_pdu, decoder::framer_mode::resync) {}
  decoder::framer fr;
  bool announced = false;  // the current out-of-sync episode was announced (alert, observers)
};

// Per-session analysis state (analysis thread only).
struct analyzer::state {
  using half = half_state;
  struct session {
    session(std::uint64_t i, std::uint32_t max_pdu) : id(i), dir{half(max_pdu), half(max_pdu)} {}
    std::uint64_t id;
    half dir[2];
    detail::session_protocol proto;  // SMPP or CMPP, decided from the first PDU
  };
  std::unordered_map<std::uint64_t, std::unique_ptr<session>> sessions;
  session* last = nullptr;
  std::string members;  // reused JSON scratch
  std::string event;    // reused JSON scratch

  session* find(std::uint64_t id) {
    if (last && last->id == id) return last;
    const auto it = sessions.find(id);
    if (it == sessions.end()) return nullptr;
    return last = it->second.get();
  }
  session& create(std::uint64_t id, std::uint32_t max_pdu, decoder::cmpp::wire_protocol protocol) {
    auto& p = sessions[id];
    p = std::make_unique<session>(id, max_pdu);
    p->proto.proto = protocol;
    if (protocol == decoder::cmpp::wire_protocol::cmpp) use_cmpp(*p, max_pdu);
    return *(last = p.get());
  }
  static void use_cmpp(session& s, std::uint32_t max_pdu) {
    for (half& h : s.dir) h.fr = decoder::framer(max_pdu, decoder::framer_mode::resync, detail::cmpp_framer_layout());
  }
  void erase(std::uint64_t id) {
    if (last && last->id == id) last = nullptr;
    sessions.erase(id);
  }
};

analyzer::analyzer(event_ring& ring, session_table& sessions, analyzer_options opt)
    : ring_(ring), sessions_(sessions), opt_(opt), st_(std::make_unique<state>()) {}

analyzer::~analyzer() { stop(); }

void analyzer::add_queue(tap_queue& q) { queues_.push_back(&q); }
void analyzer::add_observer(observer& o) { observers_.push_back(&o); }
void analyzer::add_sink(record_sink& s) { sinks_.push_back(&s); }

void analyzer::start() {
  if (running_.exchange(true)) return;
  stop_requested_.store(false);
  thread_ = std::thread([this] { run(); });
}

void analyzer::stop() {
  if (!running_.load()) return;
  stop_requested_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  running_.store(false);
}

namespace {

// The calling thread to the lowest scheduling class: SCHED_IDLE, or nice 19 where there is none.
void lower_thread_priority() noexcept {
#if defined(SCHED_IDLE)
  sched_param p{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &p) == 0) return;
#endif
#if defined(__linux__)
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);  // per thread on Linux
#endif
}

}  // namespace

void analyzer::run() {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "analysis");  // for top -H, perf and bench/relay per-thread CPU
#endif
  if (opt_.background_priority) lower_thread_priority();
  next_tick_us_ = now_us() + opt_.tick_interval_us;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    const std::size_t n = poll_once();
    const std::int64_t now = now_us();
    if (n) for (record_sink* s : sinks_) s->on_batch_end(now);
    if (now >= next_tick_us_) {
      tick(now);
      next_tick_us_ = now + opt_.tick_interval_us;
    }
    // A round that reached batch_records left more queued: go on at once. Otherwise sleep a batch
    // interval, even under steady traffic: polling again for a few records at a time (or
    // spinning) costs CPU per record that, on a shared core, the relay would have used.
    if (n >= opt_.batch_records) continue;
    std::this_thread::sleep_for(std::chrono::microseconds(opt_.batch_interval_us));
  }
  while (poll_once() != 0) {
  }
  tick(now_us());
}

std::size_t analyzer::poll_once() {
  std::size_t total = 0;
  for (tap_queue* q : queues_)
    total += q->drain([this](const tap_record& r) { process(r); }, opt_.batch_records);
  return total;
}

void analyzer::tick(std::int64_t now) {
  for (observer* o : observers_) o->on_tick(now, *this);
  for (record_sink* s : sinks_) s->on_batch_end(now);
}

void analyzer::process(const tap_record& r) {
  bump(c_.records);
  for (record_sink* s : sinks_) s->on_record(r);
  switch (r.kind) {
    case record_kind::data: on_data(r); break;
    case record_kind::session_open: on_open(r); break;
    case record_kind::session_close: on_close(r); break;
    case record_kind::upstream_failure: {
      sessions_.open(r);
      st_->erase(r.session);
      std::string& m = st_->members;
      m.clear();
      append_member(m, "client", r.client.to_string());
      append_member(m, "upstream", r.upstream.to_string());
      append_member(m, "reason", text_of(r));
      emit(event_type::upstream_failure, r.session, std::nullopt, r.ts_us, m);
      break;
    }
  }
}

void analyzer::on_open(const tap_record& r) {
  bump(c_.sessions_opened);
  sessions_.open(r);
  st_->create(r.session, opt_.max_pdu, opt_.protocol);
  std::string& m = st_->members;
  m.clear();
  append_member(m, "client", r.client.to_string());
  append_member(m, "upstream", r.upstream.to_string());
  append_member(m, "proxy_client_side", r.proxy_client_side.to_string());
  append_member(m, "proxy_upstream_side", r.proxy_upstream_side.to_string());
  m += ",\"client_tls\":";
  m += r.client_tls ? "true" : "false";
  m += ",\"upstream_tls\":";
  m += r.upstream_tls ? "true" : "false";
  emit(event_type::session_open, r.session, std::nullopt, r.ts_us, m);
  const session_open_info info{r.session, r.ts_us, &r};
  for (observer* o : observers_) o->on_session_open(info, *this);
}

void analyzer::on_close(const tap_record& r) {
  bump(c_.sessions_closed);
  // A direction still looking for a header: its episode ends here, unresolved.
  if (state::session* ss = st_->find(r.session))
    for (int d = 0; d < 2; ++d)
      if (!ss->dir[d].fr.in_sync())
        end_episode(r.session, static_cast<direction>(d), r.ts_us, ss->dir[d], ss->dir[d].fr.pending_resync(), false);
  const session_close_info info{r.session, r.ts_us, text_of(r)};
  for (observer* o : observers_) o->on_session_close(info, *this);
  std::string& m = st_->members;
  m.clear();
  append_member(m, "reason", text_of(r));
  if (const auto s = sessions_.get(r.session)) {
    m += ",\"pdus_in\":";
    append_int(m, s->pdus_in);
    m += ",\"pdus_out\":";
    append_int(m, s->pdus_out);
    m += ",\"bytes_in\":";
    append_int(m, s->bytes_in);
    m += ",\"bytes_out\":";
    append_int(m, s->bytes_out);
  }
  emit(event_type::session_close, r.session, std::nullopt, r.ts_us, m);
  sessions_.close(r.session, r.ts_us, text_of(r));
  st_->erase(r.session);
}

void analyzer::on_data(const tap_record& r) {
  bump(c_.data_records);
  bump(c_.bytes, r.bytes.size());
  state::session* s = st_->find(r.session);
  if (!s) {  // data without a session_open (dropped or never sent): track it anyway
    tap_record open_rec;
    open_rec.kind = record_kind::session_open;
    open_rec.session = r.session;
    open_rec.ts_us = r.ts_us;
    sessions_.open(open_rec);
    s = &st_->create(r.session, opt_.max_pdu, opt_.protocol);
  }
  sessions_.add_bytes(r.session, r.dir, r.bytes.size());
  if (!s->proto.decided()) {
    // The first octets say SMPP or CMPP: hold them until they do, then frame what was held.
    if (r.lost_before) {
      bump(c_.capture_gaps);
      sessions_.add_lost(r.session, r.dir, r.lost_before);
    }
    if (!detail::sniff_protocol(s->proto, r.dir, r.bytes, r.lost_before)) return;
    if (s->proto.is_cmpp()) state::use_cmpp(*s, opt_.max_pdu);
    detail::report_protocol(s->proto, r.session, sessions_);
    for (const direction d : {direction::esme_to_smsc, direction::smsc_to_esme}) {
      std::vector<std::uint8_t> held = std::move(s->proto.held[static_cast<int>(d)]);
      if (held.empty()) continue;
      tap_record replay = r;
      replay.dir = d;
      replay.bytes = held;
      replay.lost_before = 0;
      frame_data(replay, s);
    }
    return;
  }
  frame_data(r, s);
}

void analyzer::frame_data(const tap_record& r, void* session) {
  state::session* s = static_cast<state::session*>(session);
  state::half& h = s->dir[static_cast<int>(r.dir)];
  if (r.lost_before) {
    // The relay could not queue some octets of this direction: a hole in the analysed stream.
    bump(c_.capture_gaps);
    sessions_.add_lost(r.session, r.dir, r.lost_before);
    h.fr.gap(r.lost_before);
    if (!h.announced) lost_sync(r, h, h.fr.error());
  }
  h.fr.feed(
      r.bytes,
      [&](std::span<const std::uint8_t> frame) {
        bump(c_.pdus);
        if (s->proto.is_cmpp()) {
          if (!detail::on_cmpp_frame(s->proto, r.session, r.dir, r.ts_us, frame, ring_, sessions_)) bump(c_.decode_errors);
          return;
        }
        decoder::pdu p;
        const decoder::decode_error err = decoder::decode(frame, p);
        if (err) bump(c_.decode_errors);
        const std::uint64_t id = ring_.append(event_type::pdu, r.session, r.dir, r.ts_us, frame);
        sessions_.on_pdu(r.session, r.dir, p, !err);
        if (!observers_.empty()) {
          const pdu_info info{r.session, r.dir, r.ts_us, &p, err ? &err : nullptr, frame, id};
          for (observer* o : observers_) o->on_pdu(info, *this);
        }
      },
      [&](const decoder::framer_resync& ep) {
        if (!h.announced) lost_sync(r, h, ep.cause);  // broke and resumed within this chunk
        end_episode(r.session, r.dir, r.ts_us, h, ep, true);
      });
  if (!h.fr.in_sync() && !h.announced) lost_sync(r, h, h.fr.error());
}

// A direction lost framing: say so at once (alert, observers); the event follows when it ends.
void analyzer::lost_sync(const tap_record& r, half_state& h, const decoder::framer_error& cause) {
  h.announced = true;
  const bool gap = cause.code == decoder::framer_errc::stream_gap;
  const std::string msg = cause.message(h.fr.max_pdu());
  if (!gap) {
    bump(c_.out_of_sync);
    sessions_.add_malformed(r.session);
    std::string alert_msg(direction_name(r.dir));
    alert_msg += " out of sync: ";
    alert_msg += msg;
    // Like every alert: the side at fault (the sender of the broken stream) and its direction.
    std::string side = r.dir == direction::esme_to_smsc ? "\"side\":\"esme\"" : "\"side\":\"smsc\"";
    side += ",\"direction\":\"";
    side += direction_name(r.dir);
    side += '"';
    raise_alert(r.session, "malformed", alert_msg, r.ts_us, side);
  }
  out_of_sync_info info{r.session, r.dir, r.ts_us, msg};
  info.capture_gap = gap;
  for (observer* o : observers_) o->on_out_of_sync(info, *this);
}

// ONE event per episode: `malformed` for a bad header, `capture_gap` for a tap gap, with what was
// skipped and where framing resumed (or that it never did, at session close).
void analyzer::end_episode(std::uint64_t session, direction d, std::int64_t ts_us, half_state& h,
                           const decoder::framer_resync& ep, bool resumed) {
  h.announced = false;
  const bool gap = ep.cause.code == decoder::framer_errc::stream_gap;
  bump(c_.skipped_bytes, ep.skipped);
  if (resumed) bump(c_.resyncs);
  sessions_.add_skipped(session, d, ep.skipped);
  std::string& m = st_->members;
  m.clear();
  if (!gap) {
    append_member(m, "error", ep.cause.message(h.fr.max_pdu()));
    m += ",\"command_length\":";
    append_int(m, ep.cause.command_length);
    m += ',';
  }
  m += "\"stream_offset\":";
  append_int(m, ep.cause.stream_offset);
  m += ",\"skipped\":";
  append_int(m, ep.skipped);
  m += ",\"lost\":";
  append_int(m, ep.lost);
  m += ",\"resynced\":";
  m += resumed ? "true" : "false";
  if (resumed) {
    m += ",\"resumed_offset\":";
    append_int(m, ep.resumed_at);
  }
  emit(gap ? event_type::capture_gap : event_type::malformed, session, d, ts_us, m);
  if (!resumed) return;
  resync_info info{session, d, ts_us, ep.skipped, ep.lost, gap};
  for (observer* o : observers_) o->on_resync(info, *this);
}

std::uint64_t analyzer::emit(event_type type, std::uint64_t session, std::optional<direction> dir,
                             std::int64_t ts_us, std::string_view members) {
  std::string& e = st_->event;
  e.clear();
  append_event_json_head(e, type, session, dir, ts_us);
  if (!members.empty()) {
    e += ',';
    e += members;
  }
  e += '}';
  return ring_.append(type, session, dir, ts_us, std::string_view(e));
}

void analyzer::raise_alert(std::uint64_t session, std::string_view kind, std::string_view message,
                           std::int64_t ts_us, std::string_view extra_json) {
  session_alert a{std::string(kind), std::string(message), ts_us, std::string(extra_json)};
  if (sessions_.set_alert(session, std::move(a)) == session_table::alert_change::updated) return;
  std::string m;
  append_member(m, "kind", kind);
  append_member(m, "message", message);
  m += ",\"since_us\":";
  append_int(m, ts_us);
  if (!extra_json.empty()) {
    m += ',';
    m += extra_json;
  }
  emit(event_type::alert, session, std::nullopt, ts_us, m);
  if (opt_.on_alert) {
    std::string_view side;
    constexpr std::string_view key = "\"side\":\"";
    if (const auto at = extra_json.find(key); at != std::string_view::npos) {
      side = extra_json.substr(at + key.size());
      side = side.substr(0, side.find('"'));
    }
    opt_.on_alert(alert_event{session, ts_us, kind, message, side, st_->event});
  }
}

void analyzer::clear_alert(std::uint64_t session, std::string_view kind, std::int64_t ts_us) {
  if (!sessions_.clear_alert(session, kind)) return;
  std::string m;
  append_member(m, "kind", kind);
  emit(event_type::alert_cleared, session, std::nullopt, ts_us, m);
}

void analyzer::set_outstanding(std::uint64_t session, direction d, std::uint32_t n) {
  sessions_.set_outstanding(session, d, n);
}

analyzer_stats analyzer::stats() const noexcept {
  analyzer_stats s;
  s.records = c_.records.load(std::memory_order_relaxed);
  s.data_records = c_.data_records.load(std::memory_order_relaxed);
  s.bytes = c_.bytes.load(std::memory_order_relaxed);
  s.pdus = c_.pdus.load(std::memory_order_relaxed);
  s.decode_errors = c_.decode_errors.load(std::memory_order_relaxed);
  s.out_of_sync = c_.out_of_sync.load(std::memory_order_relaxed);
  s.resyncs = c_.resyncs.load(std::memory_order_relaxed);
  s.capture_gaps = c_.capture_gaps.load(std::memory_order_relaxed);
  s.skipped_bytes = c_.skipped_bytes.load(std::memory_order_relaxed);
  s.sessions_opened = c_.sessions_opened.load(std::memory_order_relaxed);
  s.sessions_closed = c_.sessions_closed.load(std::memory_order_relaxed);
  for (const tap_queue* q : queues_) {
    s.tap_dropped_records += q->dropped_records();
    s.tap_dropped_bytes += q->dropped_bytes();
  }
  return s;
}

}  // namespace smppscope::analysis
