// Per-second timeline samples and the session summary the timeline endpoint serves.
#include "detail/diag_state.hpp"

namespace smppscope::analysis::diag {

using namespace state;

// ---- timeline --------------------------------------------------------------------------------

void diagnostics::roll_second(session& s, std::int64_t ts, analysis_context& ctx) {
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
  publish_summary(s, ctx);
}

void diagnostics::publish_summary(session& s, analysis_context& ctx) {
  using detail::append_key;
  std::string j;
  j.reserve(1200);
  const bind_view b = ctx.sessions().bind_state(s.id).value_or(bind_view{});
  j += "{\"bind_state\":\"";
  j += b.bound()                                   ? "bound"
       : b.state == session_state::unbinding ? "unbinding"
       : b.binding                                 ? "binding"
                                                   : "unbound";
  j += '"';
  if (b.bind_command) member_str(j, "bind", command_label(s, b.bind_command));
  if (b.bind_status) {
    member_int(j, "bind_status", *b.bind_status);
    member_str(j, "bind_status_name", s.cmpp ? decoder::cmpp::code_name(decoder::cmpp::code_table::connect_status,
                                                                       *b.bind_status, s.cmpp_version)
                                              : decoder::status_name(*b.bind_status));
  }
  if (b.interface_version) member_int(j, "interface_version", unsigned(*b.interface_version));
  if (b.sc_interface_version) member_int(j, "sc_interface_version", unsigned(*b.sc_interface_version));
  member_int(j, "window", opts(s).window);
  if (s.cmpp) {
    member_str(j, "protocol", "cmpp");
    if (s.cmpp_requested_version) member_int(j, "cmpp_requested_version", unsigned(*s.cmpp_requested_version));
    if (s.cmpp_answered_version) member_int(j, "cmpp_answered_version", unsigned(*s.cmpp_answered_version));
    if (s.cmpp_auth) member_str(j, "cmpp_auth", *s.cmpp_auth);
  }
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


}  // namespace smppscope::analysis::diag
