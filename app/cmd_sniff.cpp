// smppscope sniff: passive live capture (sniff/) wired to the same analysis::pipeline as the proxy.
//
//   NIC --libpcap--> sniffer thread --tap_queue--> pipeline (analyzer thread) --> event ring,
//                                                  session table, diagnostics, alerts, metrics,
//                                                  close log lines, pcap writer (--pcap-dir)
//   main thread: parses flags, starts everything, waits for SIGINT/SIGTERM, stops in order.
// Nothing is in the traffic path: the peers talk to each other, we only read copies.
#include <pthread.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "diag_wiring.hpp"
#include "profile_wiring.hpp"
#include "web_wiring.hpp"
#include "smppscope/analysis/pipeline.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/sniff/sniffer.hpp"

namespace smppscope::app {

namespace {

struct sniff_cli {
  web_cli_options web;
  std::string interface, filter;
  std::vector<std::uint16_t> ports;
  bool promiscuous = false;
  double buffer_mb = 64;
  std::uint64_t max_streams = 100'000;
  double idle_timeout = 600;
  std::uint64_t max_pdu = 64 * 1024;
  std::string pcap_dir;
  double pcap_rotate_mb = 256;
  double pcap_rotate_sec = 3600;
  bool keep_passwords = false;
  double pcap_max_total_mb = 0;
  std::string pcap_max_age = "0";
  std::size_t ring_events = 100000;
  double ring_mb = 64;
  double tap_mb = 64;
  diag_cli_options diag;
  profile_cli_options profile;
};

std::size_t megabytes(const std::string& flag, double mb, double min_mb) {
  if (!(mb >= min_mb) || mb > 1024 * 1024) throw std::runtime_error(flag + " is out of range");
  return static_cast<std::size_t>(mb * 1024 * 1024);
}

void log_line(std::string_view line) {
  const std::string safe = decoder::log_safe(line);
  std::fprintf(stderr, "smppscope: %.*s\n", static_cast<int>(safe.size()), safe.data());
}

// The capture's own counters on /metrics: counted in sniff/, written with web's exposition helpers.
class sniff_metrics final : public analysis::metrics_source {
 public:
  sniff_metrics(const sniff::sniffer& s, web::metrics_registry& r) : sniffer_(s), registry_(r) { registry_.add(*this); }
  ~sniff_metrics() override { registry_.remove(*this); }
  sniff_metrics(const sniff_metrics&) = delete;
  sniff_metrics& operator=(const sniff_metrics&) = delete;

  void append_prometheus(std::string& out) const override {
    const sniff::sniffer_stats st = sniffer_.stats();
    auto one = [&](std::string_view name, std::string_view type, std::string_view help, std::uint64_t v) {
      web::append_metric_header(out, name, type, help);
      web::append_metric_sample(out, name, {}, v);
    };
    one("smppscope_sniff_packets_total", "counter", "Packets read from the capture.", st.packets);
    web::append_metric_header(out, "smppscope_sniff_dropped_packets_total", "counter",
                              "Packets lost before the sniffer read them: kernel (ring full) or interface.");
    web::append_metric_sample(out, "smppscope_sniff_dropped_packets_total", "where=\"kernel\"", st.kernel_drops);
    web::append_metric_sample(out, "smppscope_sniff_dropped_packets_total", "where=\"interface\"",
                              st.interface_drops);
    one("smppscope_sniff_streams_total", "counter", "TCP connections seen carrying payload.", st.tracker.streams);
    web::append_metric_header(out, "smppscope_sniff_sessions_total", "counter",
                              "TCP connections detected as SMPP or CMPP (analysed as sessions).");
    web::append_metric_sample(out, "smppscope_sniff_sessions_total", "protocol=\"smpp\"", st.tracker.smpp_sessions);
    web::append_metric_sample(out, "smppscope_sniff_sessions_total", "protocol=\"cmpp\"", st.tracker.cmpp_sessions);
    one("smppscope_sniff_ignored_streams_total", "counter", "TCP connections that speak neither SMPP nor CMPP.",
        st.tracker.ignored_streams);
    one("smppscope_sniff_sessions_active", "gauge", "SMPP/CMPP connections being followed now.", st.tracker.tracked);
    one("smppscope_sniff_gaps_total", "counter", "Holes skipped in reassembled TCP streams (lost segments).",
        st.tracker.gaps);
    web::append_metric_header(out, "smppscope_sniff_evicted_total", "counter",
                              "TCP connections let go before they closed.");
    web::append_metric_sample(out, "smppscope_sniff_evicted_total", "reason=\"idle\"", st.tracker.evicted_idle);
    web::append_metric_sample(out, "smppscope_sniff_evicted_total", "reason=\"max_streams\"",
                              st.tracker.evicted_limit);
  }

 private:
  const sniff::sniffer& sniffer_;
  web::metrics_registry& registry_;
};

sigset_t shutdown_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

int run_sniff(const sniff_cli& cli) {
  sniff::sniffer_options opt;
  opt.interface = cli.interface;
  opt.filter = cli.filter;
  opt.ports = cli.ports;
  opt.promiscuous = cli.promiscuous;
  opt.buffer_bytes = megabytes("--buffer-mb", cli.buffer_mb, 1);
  if (cli.max_streams < 1 || cli.max_streams > 10'000'000)
    throw std::runtime_error("--max-streams must be between 1 and 10000000");
  opt.tracker.max_streams = cli.max_streams;
  if (!(cli.idle_timeout >= 1) || cli.idle_timeout > 7 * 86400)
    throw std::runtime_error("--idle-timeout must be between 1 and 604800 seconds");
  opt.tracker.idle_timeout_us = static_cast<std::int64_t>(std::llround(cli.idle_timeout * 1e6));
  if (cli.max_pdu < 16 || cli.max_pdu > (16u << 20))
    throw std::runtime_error("--max-pdu must be between 16 and 16777216 bytes");
  opt.log = log_line;

  analysis::pcap_writer_options pcap_opt;
  if (!cli.pcap_dir.empty()) {
    pcap_opt.dir = cli.pcap_dir;
    // The wire has one TCP leg per session: client <-> server.
    pcap_opt.legs = analysis::pcap_legs::client;
    if (!(cli.pcap_rotate_mb >= 0)) throw std::runtime_error("--pcap-rotate-mb must not be negative");
    pcap_opt.rotate_bytes = static_cast<std::uint64_t>(cli.pcap_rotate_mb * 1024 * 1024);
    if (!(cli.pcap_rotate_sec >= 0)) throw std::runtime_error("--pcap-rotate-sec must not be negative");
    pcap_opt.rotate_seconds = static_cast<std::int64_t>(cli.pcap_rotate_sec);
    pcap_opt.redact_passwords = !cli.keep_passwords;
    if (!(cli.pcap_max_total_mb >= 0)) throw std::runtime_error("--pcap-max-total-mb must not be negative");
    pcap_opt.max_total_bytes = static_cast<std::uint64_t>(cli.pcap_max_total_mb * 1024 * 1024);
    if (pcap_opt.max_total_bytes && (!pcap_opt.rotate_bytes || pcap_opt.rotate_bytes > pcap_opt.max_total_bytes))
      throw std::runtime_error("--pcap-max-total-mb must be at least --pcap-rotate-mb (not 0): the file being "
                               "written is never deleted");
    const auto age = analysis::parse_duration_seconds(cli.pcap_max_age);
    if (!age) throw std::runtime_error("--pcap-max-age must be a duration like 7d, 12h, 30m or 3600 (seconds) (got '" +
                                       cli.pcap_max_age + "')");
    pcap_opt.max_age_seconds = *age;
  }
  analysis::pipeline_options pl_opt;
  if (cli.ring_events < 16) throw std::runtime_error("--ring-events must be at least 16");
  pl_opt.ring.max_events = cli.ring_events;
  pl_opt.ring.max_bytes = megabytes("--ring-mb", cli.ring_mb, 1);
  pl_opt.analyzer.max_pdu = static_cast<std::uint32_t>(cli.max_pdu);
  if (!cli.pcap_dir.empty()) pl_opt.pcap = pcap_opt;
  pl_opt.diagnostics = resolve_diag_options(cli.diag);
  pl_opt.alert_log = make_alert_logger(cli.diag);  // escaped: alert lines quote what peers sent
  analysis::compliance_options compliance_opt;
  compliance_opt.profile = resolve_profile(cli.profile);
  if (cli.diag.log_alerts) compliance_opt.log = log_line;  // escaped: alert lines quote what peers sent
  pl_opt.compliance = std::move(compliance_opt);
  pl_opt.session_log = log_line;
  const std::size_t tap_bytes = megabytes("--tap-mb", cli.tap_mb, 1);

  ::signal(SIGPIPE, SIG_IGN);  // a closed stderr must not end the capture
  const sigset_t stop_signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts

  analysis::pipeline pipeline(std::move(pl_opt));
  analysis::tap_queue& tap = pipeline.add_queue(tap_bytes);
  // Opened before anything runs: no permission or no such interface is the first thing said.
  sniff::sniffer capture(tap, opt);
  web_frontend web(cli.web, pipeline.ring(), pipeline.sessions(), pipeline.analyzer(), pipeline.pcap());
  web.add_diagnostics(*pipeline.diagnostics());
  web.add_compliance(*pipeline.compliance());
  sniff_metrics capture_counters(capture, web.metrics());

  web.start();  // binds: a busy --web port fails before the threads run
  pipeline.start();
  capture.start();
  log_line("capturing on " + cli.interface + " with filter '" + capture.filter() + "'" +
           (cli.promiscuous ? " (promiscuous)" : ""));
  if (pipeline.pcap()) log_line("pcap files in " + cli.pcap_dir);
  log_line("checking sessions against provider profile " + pipeline.compliance()->default_profile()->name);
  if (web.enabled()) log_line("web UI on " + web.url());

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  log_line(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  web.stop();
  capture.stop();   // closes every open session
  pipeline.stop();  // drains the tap queue, then closes the pcap file
  const auto st = capture.stats();
  const auto an = pipeline.stats();
  char line[320];
  std::snprintf(line, sizeof line,
                "stopped: %llu packets, %llu SMPP and %llu CMPP sessions, %llu PDUs analysed, %llu packets "
                "dropped by the kernel, %llu tap records dropped",
                static_cast<unsigned long long>(st.packets), static_cast<unsigned long long>(st.tracker.smpp_sessions),
                static_cast<unsigned long long>(st.tracker.cmpp_sessions), static_cast<unsigned long long>(an.pdus),
                static_cast<unsigned long long>(st.kernel_drops),
                static_cast<unsigned long long>(an.tap_dropped_records));
  log_line(line);
  return 0;
}

}  // namespace

command_runner add_sniff_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("sniff", "capture SMPP and CMPP passively from a network interface (libpcap)");
  auto cli = std::make_shared<sniff_cli>();
  cmd->add_option("--interface,-i", cli->interface, "interface to capture on (see `ip link`; any: all)")
      ->required()->type_name("IF");
  cmd->add_option("--filter", cli->filter, "BPF capture filter (default: tcp)")->type_name("BPF");
  cmd->add_option("--port", cli->ports, "capture only TCP connections with this port at either end (repeatable; "
                                        "default: every port, SMPP and CMPP are detected from the first bytes)")
      ->type_name("N");
  cmd->add_flag("--promiscuous", cli->promiscuous, "capture traffic not addressed to this host too");
  cmd->add_option("--buffer-mb", cli->buffer_mb, "MiB of kernel capture buffer, absorbs bursts")->capture_default_str();
  cmd->add_option("--max-streams", cli->max_streams, "TCP connections tracked at once; the idlest are let go")
      ->capture_default_str()->type_name("N");
  cmd->add_option("--idle-timeout", cli->idle_timeout, "let a connection go after this long without a packet")
      ->capture_default_str()->type_name("SECONDS");
  cmd->add_option("--max-pdu", cli->max_pdu, "largest command_length decoded, 16..16777216")
      ->capture_default_str()->type_name("BYTES");

  const std::string cap = "Capture";
  cmd->add_option("--pcap-dir", cli->pcap_dir, "write pcap files here (created if missing)")->group(cap);
  cmd->add_option("--pcap-rotate-mb", cli->pcap_rotate_mb, "start a new pcap file after this many MiB (0: never)")
      ->capture_default_str()->group(cap);
  cmd->add_option("--pcap-rotate-sec", cli->pcap_rotate_sec, "start a new pcap file after this many seconds (0: never)")
      ->capture_default_str()->group(cap);
  cmd->add_flag("--pcap-keep-passwords", cli->keep_passwords,
                "write bind passwords as captured in pcap files (default: masked as '*')")->group(cap);
  cmd->add_option("--pcap-max-total-mb", cli->pcap_max_total_mb,
                  "delete the oldest of our pcap files while they take more than this many MiB (0: no limit)")
      ->capture_default_str()->group(cap);
  cmd->add_option("--pcap-max-age", cli->pcap_max_age, "delete our pcap files older than this: 7d, 12h, 30m or seconds (0: no limit)")
      ->capture_default_str()->group(cap)->type_name("DURATION");
  cmd->add_option("--ring-events", cli->ring_events, "events kept in memory for the UI and /api")->capture_default_str()->group(cap);
  cmd->add_option("--ring-mb", cli->ring_mb, "MiB of event payload kept in memory")->capture_default_str()->group(cap);
  cmd->add_option("--tap-mb", cli->tap_mb, "MiB queued between capture and analysis before dropping")->capture_default_str()->group(cap);

  add_diag_options(*cmd, cli->diag);
  add_profile_options(*cmd, cli->profile, "check every session against this provider's rules");
  add_web_options(*cmd, cli->web);

  return [cli] { return run_sniff(*cli); };
}

}  // namespace smppscope::app
