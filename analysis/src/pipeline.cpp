#include "smppscope/analysis/pipeline.hpp"

#include <cstdio>

#include "smppscope/decoder/json.hpp"

namespace smppscope::analysis {

// Writes the session close line from what the analysis saw (observer: analysis thread). It runs
// before the session table marks the session closed, so the counters are final and still there.
class pipeline::close_logger final : public observer {
 public:
  explicit close_logger(std::function<void(std::string_view)> log) : log_(std::move(log)) {}

  void on_session_close(const session_close_info& i, analysis_context& ctx) override {
    const auto s = ctx.sessions().get(i.session);
    if (!s) return;
    std::string line = "session " + std::to_string(i.session) + " client " + s->client.to_string() +
                       " close -> upstream " + s->upstream.to_string();
    if (!s->system_id.empty()) {
      line += " system_id ";
      decoder::append_log_safe(line, s->system_id);  // the peer chose it
    }
    const double secs = s->started_us && i.ts_us >= s->started_us ? double(i.ts_us - s->started_us) / 1e6 : 0.0;
    char counts[200];
    std::snprintf(counts, sizeof counts, ": esme_to_smsc %llu PDUs %llu bytes, smsc_to_esme %llu PDUs %llu bytes, %.3f s, ",
                  static_cast<unsigned long long>(s->pdus_in),
                  static_cast<unsigned long long>(s->bytes_in + s->lost_bytes[0]),
                  static_cast<unsigned long long>(s->pdus_out),
                  static_cast<unsigned long long>(s->bytes_out + s->lost_bytes[1]), secs);
    line += counts;
    decoder::append_log_safe(line, i.reason);
    log_(line);
  }

 private:
  std::function<void(std::string_view)> log_;
};

pipeline::pipeline(pipeline_options opt) : opt_(std::move(opt)) {
  ring_ = std::make_unique<event_ring>(opt_.ring);
  sessions_ = std::make_unique<session_table>(opt_.max_closed_sessions);
  if (opt_.pcap) pcap_ = std::make_unique<pcap_writer>(*opt_.pcap);
  if (opt_.diagnostics)
    diagnostics_ = std::make_unique<diag::diagnostics>(
        *opt_.diagnostics, opt_.alert_log ? opt_.alert_log : diag::null_alert_logger());
  if (opt_.compliance) compliance_ = std::make_unique<compliance_checker>(std::move(*opt_.compliance));
  if (opt_.session_log) close_log_ = std::make_unique<close_logger>(opt_.session_log);
  analyzer_ = std::make_unique<analysis::analyzer>(*ring_, *sessions_, opt_.analyzer);
  if (diagnostics_) analyzer_->add_observer(*diagnostics_);
  if (compliance_) analyzer_->add_observer(*compliance_);
  // Last among the pipeline's own observers: what they do at close (final alerts) comes first.
  if (close_log_) analyzer_->add_observer(*close_log_);
  if (pcap_) analyzer_->add_sink(*pcap_);
}

pipeline::~pipeline() { stop(); }

tap_queue& pipeline::add_queue(std::size_t capacity_bytes) {
  queues_.push_back(std::make_unique<tap_queue>(capacity_bytes));
  analyzer_->add_queue(*queues_.back());
  return *queues_.back();
}

void pipeline::add_queue(tap_queue& q) { analyzer_->add_queue(q); }
void pipeline::add_observer(observer& o) { analyzer_->add_observer(o); }
void pipeline::add_sink(record_sink& s) { analyzer_->add_sink(s); }

void pipeline::start() { analyzer_->start(); }

void pipeline::stop() {
  analyzer_->stop();  // drains every queue, final tick and flush
  if (pcap_) pcap_->close();
}

bool pipeline::running() const noexcept { return analyzer_->running(); }

void pipeline::tick_until(std::int64_t ts_us) {
  const std::int64_t step = opt_.analyzer.tick_interval_us > 0 ? opt_.analyzer.tick_interval_us : 100'000;
  if (next_tick_us_ == 0) {  // the first record: ticks start one interval after it
    clock_us_ = ts_us;
    next_tick_us_ = ts_us + step;
    return;
  }
  if (ts_us <= clock_us_) return;
  while (next_tick_us_ <= ts_us) {
    analyzer_->tick(next_tick_us_);
    next_tick_us_ += step;
  }
  clock_us_ = ts_us;
}

void pipeline::push(const tap_record& r) {
  tick_until(r.ts_us);
  if (r.ts_us >= clock_us_) {
    analyzer_->process(r);
    return;
  }
  tap_record late = r;  // older than what was seen: handled at the newest time
  late.ts_us = clock_us_;
  analyzer_->process(late);
}

void pipeline::advance_to(std::int64_t ts_us) {
  if (next_tick_us_ == 0) return;  // nothing pushed: no time yet
  tick_until(ts_us);
}

void pipeline::finish() {
  if (next_tick_us_ == 0) return;
  analyzer_->tick(clock_us_);
}

}  // namespace smppscope::analysis
