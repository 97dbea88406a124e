#include "smppscope/web/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/pcap_writer.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/protocol.hpp"

namespace smppscope::web {

namespace {

void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // single writer
}

std::uint64_t get(const std::atomic<std::uint64_t>& a) noexcept {
  return a.load(std::memory_order_relaxed);
}

}  // namespace

void append_metric_header(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help) {
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

void append_metric_sample(std::string& out, std::string_view name, std::string_view labels,
                          std::uint64_t value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  out.append(buf, end);
  out += '\n';
}

void append_metric_sample(std::string& out, std::string_view name, std::string_view labels,
                          double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, " %.17g\n", value);
  out.append(buf, static_cast<std::size_t>(std::max(n, 0)));
}

void append_label_value(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += '"';
}

// ---- registry ----

void metrics_registry::add(const analysis::metrics_source& s) {
  std::lock_guard lock(mu_);
  if (std::find(sources_.begin(), sources_.end(), &s) == sources_.end()) sources_.push_back(&s);
}

void metrics_registry::remove(const analysis::metrics_source& s) {
  std::lock_guard lock(mu_);
  sources_.erase(std::remove(sources_.begin(), sources_.end(), &s), sources_.end());
}

void metrics_registry::append_prometheus(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto* s : sources_) s->append_prometheus(out);
}

std::string metrics_registry::render() const {
  std::string out;
  out.reserve(16 * 1024);
  append_prometheus(out);
  return out;
}

// ---- pdu_counter ----

pdu_counter::pdu_counter() : cells_(decoder::all_pdus().size() + 1) {}

std::size_t pdu_counter::slot_of(std::uint32_t command_id) const noexcept {
  const decoder::pdu_spec* spec = decoder::find_pdu(command_id);
  const auto table = decoder::all_pdus();
  if (!spec || spec < table.data() || spec >= table.data() + table.size()) return cells_.size() - 1;
  return static_cast<std::size_t>(spec - table.data());
}

void pdu_counter::on_pdu(const analysis::pdu_info& p, analysis::analysis_context&) {
  if (p.cmpp) return;  // the command table here is SMPP's; CMPP PDUs are not counted by command
  const std::uint32_t id = p.pdu ? p.pdu->hdr.command_id : 0;
  const auto d = static_cast<std::size_t>(p.dir);
  cell& c = cells_[slot_of(id)][d];
  bump(c.pdus);
  bump(c.bytes, p.frame.size());
  if (p.pdu && p.pdu->hdr.command_status != 0) bump(c.error_status);
  if (p.error) bump(decode_errors_[d]);
}

void pdu_counter::on_out_of_sync(const analysis::out_of_sync_info& o, analysis::analysis_context&) {
  if (o.capture_gap) return;  // our own tap drop, not broken framing (counted as tap drops)
  bump(out_of_sync_[static_cast<std::size_t>(o.dir)]);
}

std::uint64_t pdu_counter::pdus(std::uint32_t command_id, analysis::direction d) const noexcept {
  return get(cells_[slot_of(command_id)][static_cast<std::size_t>(d)].pdus);
}

void pdu_counter::append_prometheus(std::string& out) const {
  const auto table = decoder::all_pdus();
  std::string labels;
  auto emit = [&](std::string_view name, std::string_view type, std::string_view help,
                  const std::atomic<std::uint64_t> cell::*member, bool always) {
    append_metric_header(out, name, type, help);
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      for (std::size_t d = 0; d < 2; ++d) {
        const std::uint64_t v = get(cells_[i][d].*member);
        if (v == 0 && !always) continue;
        labels = "command=";
        append_label_value(labels, i < table.size() ? table[i].name : std::string_view("unknown"));
        labels += ",direction=";
        append_label_value(labels, analysis::direction_name(static_cast<analysis::direction>(d)));
        append_metric_sample(out, name, labels, v);
      }
    }
  };
  // Series appear once a command was seen, so the exposition stays short.
  emit("smppscope_pdus_total", "counter", "PDUs framed, by command and direction.", &cell::pdus, false);
  emit("smppscope_pdu_bytes_total", "counter", "Octets of framed PDUs, by command and direction.",
       &cell::bytes, false);
  emit("smppscope_pdu_error_status_total", "counter",
       "PDUs with a non-zero command_status, by command and direction.", &cell::error_status, false);
  auto per_direction = [&](std::string_view name, std::string_view help,
                           const std::array<std::atomic<std::uint64_t>, 2>& a) {
    append_metric_header(out, name, "counter", help);
    for (std::size_t d = 0; d < 2; ++d) {
      labels = "direction=";
      append_label_value(labels, analysis::direction_name(static_cast<analysis::direction>(d)));
      append_metric_sample(out, name, labels, get(a[d]));
    }
  };
  per_direction("smppscope_pdu_decode_errors_total", "Framed PDUs whose body did not decode.",
                decode_errors_);
  per_direction("smppscope_out_of_sync_total", "Directions whose SMPP framing broke.", out_of_sync_);
}

// ---- capture_metrics ----

capture_metrics::capture_metrics(const analysis::event_ring& ring,
                                 const analysis::session_table& sessions,
                                 const analysis::analyzer* analyzer, const analysis::pcap_writer* pcap)
    : ring_(ring), sessions_(sessions), analyzer_(analyzer), pcap_(pcap) {}

void capture_metrics::append_prometheus(std::string& out) const {
  auto one = [&](std::string_view name, std::string_view type, std::string_view help,
                 std::uint64_t v) {
    append_metric_header(out, name, type, help);
    append_metric_sample(out, name, {}, v);
  };
  const analysis::event_ring_stats r = ring_.stats();
  one("smppscope_ring_events", "gauge", "Events held in the ring buffer.", r.events);
  one("smppscope_ring_bytes", "gauge", "Payload octets held in the ring buffer.", r.bytes);
  one("smppscope_ring_capacity_events", "gauge", "Ring buffer capacity in events.",
      ring_.options().max_events);
  one("smppscope_ring_capacity_bytes", "gauge", "Ring buffer payload capacity in octets.",
      ring_.options().max_bytes);
  one("smppscope_ring_appended_total", "counter", "Events appended to the ring buffer.", r.appended);
  one("smppscope_ring_dropped_total", "counter",
      "Oldest events dropped from the ring buffer to make room.", r.overwritten);
  one("smppscope_ring_rejected_total", "counter", "Events too large for the ring buffer.",
      r.rejected);

  one("smppscope_sessions_open", "gauge", "Proxied sessions open now.", sessions_.live_count());
  if (analyzer_) {
    const analysis::analyzer_stats a = analyzer_->stats();
    one("smppscope_sessions_total", "counter", "Proxied sessions opened.", a.sessions_opened);
    one("smppscope_sessions_closed_total", "counter", "Proxied sessions closed.", a.sessions_closed);
    one("smppscope_tap_dropped_records_total", "counter",
        "Relayed chunks the analysis queues dropped (analysis fell behind; the relay did not wait).",
        a.tap_dropped_records);
    one("smppscope_tap_dropped_bytes_total", "counter", "Relayed octets the analysis queues dropped.",
        a.tap_dropped_bytes);
    one("smppscope_analyzed_bytes_total", "counter", "Relayed octets analysed.", a.bytes);
    one("smppscope_analyzed_records_total", "counter", "Tap records analysed.", a.records);
    one("smppscope_capture_gaps_total", "counter",
        "Holes in the analysed streams left by tap drops (the sessions are marked lossy).", a.capture_gaps);
    one("smppscope_resyncs_total", "counter",
        "Times SMPP framing resumed at a plausible header after a bad header or a capture gap.", a.resyncs);
    one("smppscope_resync_skipped_bytes_total", "counter",
        "Octets seen but not framed while looking for the next plausible header.", a.skipped_bytes);
  }
  if (pcap_) {
    const analysis::pcap_writer_stats p = pcap_->stats();
    one("smppscope_pcap_files_total", "counter", "pcap files opened.", p.files);
    one("smppscope_pcap_packets_total", "counter", "pcap records written.", p.packets);
    one("smppscope_pcap_bytes_written_total", "counter", "Octets written to pcap files.", p.bytes);
    one("smppscope_pcap_bytes_dropped_total", "counter",
        "Relayed octets not written to pcap (capture paused after an error).", p.dropped_bytes);
    one("smppscope_pcap_write_errors_total", "counter", "pcap write errors.", p.write_errors);
    one("smppscope_pcap_records_dropped_total", "counter",
        "Relayed chunks not written to pcap (capture paused after an error, e.g. a full disk).", p.dropped_records);
    one("smppscope_pcap_retention_deleted_files_total", "counter",
        "pcap files deleted by --pcap-max-total-mb / --pcap-max-age.", p.deleted_files);
    one("smppscope_pcap_retention_deleted_bytes_total", "counter", "Octets of pcap files deleted by retention.",
        p.deleted_bytes);
    one("smppscope_pcap_paused", "gauge", "1 while pcap capture is paused after an error.",
        p.paused ? 1u : 0u);
  }
}

}  // namespace smppscope::web
