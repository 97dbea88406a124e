// GET /metrics: a registry of analysis::metrics_source plus the sources web provides itself.
//
//   metrics_registry   what /metrics renders: every registered source, in registration order
//   pdu_counter        a analysis::observer counting PDUs, octets and error statuses per
//                      command id x direction with relaxed atomics (analysis thread writes)
//   capture_metrics    ring buffer, sessions, analyzer (tap drops) and pcap writer statistics
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/analysis/metrics_source.hpp"
#include "smppscope/analysis/observer.hpp"

namespace smppscope::analysis {
class analyzer;
class event_ring;
class pcap_writer;
class session_table;
}  // namespace smppscope::analysis

namespace smppscope::web {

// ---- Prometheus text format 0.0.4 helpers ----
// "# HELP name help\n# TYPE name type\n"
void append_metric_header(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help);
// "name{labels} value\n"; `labels` is already formatted (a="x",b="y") or empty.
void append_metric_sample(std::string& out, std::string_view name, std::string_view labels,
                          std::uint64_t value);
void append_metric_sample(std::string& out, std::string_view name, std::string_view labels,
                          double value);
// A label value escaped per the format (\\, \", \n).
void append_label_value(std::string& out, std::string_view v);

class metrics_registry final : public analysis::metrics_source {
 public:
  // Any thread. A source must stay alive until removed (or the registry is destroyed).
  void add(const analysis::metrics_source& s);
  void remove(const analysis::metrics_source& s);
  void append_prometheus(std::string& out) const override;
  std::string render() const;

 private:
  mutable std::mutex mu_;  // held while rendering: sources are short
  std::vector<const analysis::metrics_source*> sources_;
};

class pdu_counter final : public analysis::observer, public analysis::metrics_source {
 public:
  pdu_counter();
  // analysis thread
  void on_pdu(const analysis::pdu_info& p, analysis::analysis_context&) override;
  void on_out_of_sync(const analysis::out_of_sync_info& o, analysis::analysis_context&) override;
  // any thread
  void append_prometheus(std::string& out) const override;
  std::uint64_t pdus(std::uint32_t command_id, analysis::direction d) const noexcept;

 private:
  struct cell {
    std::atomic<std::uint64_t> pdus{0}, bytes{0}, error_status{0};
  };
  std::size_t slot_of(std::uint32_t command_id) const noexcept;  // last slot: unknown ids
  std::vector<std::array<cell, 2>> cells_;  // [command slot][direction]
  std::array<std::atomic<std::uint64_t>, 2> decode_errors_{};
  std::array<std::atomic<std::uint64_t>, 2> out_of_sync_{};
};

// Statistics the capture layer keeps, as metrics. analyzer and pcap writer are optional.
class capture_metrics final : public analysis::metrics_source {
 public:
  capture_metrics(const analysis::event_ring& ring, const analysis::session_table& sessions,
                  const analysis::analyzer* analyzer = nullptr,
                  const analysis::pcap_writer* pcap = nullptr);
  void append_prometheus(std::string& out) const override;

 private:
  const analysis::event_ring& ring_;
  const analysis::session_table& sessions_;
  const analysis::analyzer* analyzer_;
  const analysis::pcap_writer* pcap_;
};

}  // namespace smppscope::web
