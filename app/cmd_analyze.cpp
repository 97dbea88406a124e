// smppscope analyze FILE... [--web HOST:PORT]: capture files through the analysis pipeline.
//
//   FILE 1, FILE 2 ... --feed_capture_file--> pipeline (sessions, diagnostics, compliance, ring)
//                                                 |
//            --web: the live UI and REST API on it, until SIGINT/SIGTERM
//            else:  a summary of sessions and alerts on stdout
//
// The files are read in the order given, each stream a session with the capture's endpoints
// and times; observers tick on those times, so alerts and timelines read as they would have live.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <ctime>
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

namespace smppscope::app {

namespace {

struct analyze_cli {
  std::vector<std::string> files;
  web_cli_options web;
  diag_cli_options diag;
  profile_cli_options profile;
  std::size_t max_sessions = 100'000;
  std::size_t ring_events = 100'000;
  std::string protocol = "auto";
};

// "2026-01-02 03:04:05.678901" (UTC), as decode prints times.
std::string time_text(std::int64_t ts_us) {
  const std::int64_t sec = ts_us >= 0 ? ts_us / 1000000 : (ts_us - 999999) / 1000000;
  const std::time_t t = std::time_t(sec);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(ts_us - sec * 1000000));
  return buf;
}

struct alert_line {
  std::int64_t ts_us;
  std::string text;
};

int run_analyze(const analyze_cli& cli) {
  analysis::pipeline_options po;
  po.diagnostics = resolve_diag_options(cli.diag);
  po.compliance.emplace();
  po.compliance->profile = resolve_profile(cli.profile);
  po.max_closed_sessions = cli.max_sessions;
  if (cli.ring_events < 16) throw std::runtime_error("--ring-events must be at least 16");
  po.ring.max_events = cli.ring_events;
  if (cli.protocol == "smpp") po.analyzer.protocol = decoder::cmpp::wire_protocol::smpp;
  if (cli.protocol == "cmpp") po.analyzer.protocol = decoder::cmpp::wire_protocol::cmpp;
  // Every alert as it is raised, for the summary (bounded: the count goes on beyond it).
  constexpr std::size_t max_alert_lines = 10'000;
  std::vector<alert_line> alerts;
  std::uint64_t alert_count = 0;
  const bool summary = cli.web.web.empty();
  if (summary)
    po.analyzer.on_alert = [&](const analysis::alert_event& a) {
      if (alert_count++ >= max_alert_lines) return;
      std::string t = time_text(a.ts_us) + " session " + std::to_string(a.session) + " ALERT " + std::string(a.kind);
      if (!a.side.empty()) t += " (" + std::string(a.side) + ")";
      t += ": ";
      decoder::append_log_safe(t, a.message);
      alerts.push_back({a.ts_us, std::move(t)});
    };
  analysis::pipeline pl(std::move(po));
  web_frontend web(cli.web, pl.ring(), pl.sessions(), pl.analyzer(), nullptr);  // before the first record
  web.add_diagnostics(*pl.diagnostics());
  web.add_compliance(*pl.compliance());

  std::uint64_t next_id = 1;
  for (const std::string& f : cli.files) {
    analysis::capture_file_options co;
    co.first_session_id = next_id;
    co.limits.on_first_eviction = [&f](std::string_view what) {
      std::fprintf(stderr, "smppscope analyze: %s: %.*s\n", f.c_str(), static_cast<int>(what.size()), what.data());
    };
    analysis::capture_file_stats st;
    std::string error;
    if (!analysis::feed_capture_file(pl, f, co, &st, error)) throw std::runtime_error(error);
    next_id = st.next_session_id;
    std::fprintf(stderr, "smppscope analyze: %s: %llu packets, %llu sessions\n", f.c_str(),
                 static_cast<unsigned long long>(st.packets), static_cast<unsigned long long>(st.streams));
  }
  pl.finish();

  if (summary) {
    const auto sessions = pl.sessions().snapshot();
    const auto an = pl.stats();
    std::printf("%zu sessions, %llu PDUs, %llu alerts\n", sessions.size(), static_cast<unsigned long long>(an.pdus),
                static_cast<unsigned long long>(alert_count));
    for (const auto& s : sessions) {
      std::string line = "session " + std::to_string(s.id) + " " + s.client.to_string() + " -> " +
                         s.upstream.to_string() + " " + std::string(s.protocol);
      if (!s.system_id.empty()) {
        line += " system_id ";
        decoder::append_log_safe(line, s.system_id);
      }
      line += " " + std::string(analysis::session_state_name(s.state)) + ": esme_to_smsc " +
              std::to_string(s.pdus_in) + " PDUs, smsc_to_esme " + std::to_string(s.pdus_out) + " PDUs";
      if (s.lossy()) line += ", lossy";
      if (s.closed_us) {
        line += ", closed " + time_text(s.closed_us) + " (";
        decoder::append_log_safe(line, s.close_reason);
        line += ")";
      }
      for (const auto& a : s.alerts) line += ", active alert " + a.kind;
      std::printf("%s\n", line.c_str());
    }
    for (const auto& a : alerts) std::printf("%s\n", a.text.c_str());
    if (alert_count > alerts.size())
      std::printf("... %llu more alerts not listed\n", static_cast<unsigned long long>(alert_count - alerts.size()));
    return std::fflush(stdout) == 0 ? 0 : 1;
  }

  // Serve until SIGINT/SIGTERM: blocked in every thread, taken by sigwait() here.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before the web threads start
  web.start();
  std::fprintf(stderr, "smppscope analyze: web UI on %s (Ctrl-C stops)\n", web.url().c_str());
  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  web.stop();
  return 0;
}

}  // namespace

command_runner add_analyze_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "analyze", "capture files through the session analysis: a summary of sessions and alerts, or the live UI (--web)");
  auto cli = std::make_shared<analyze_cli>();
  cmd->add_option("files", cli->files, "capture files (pcap or pcapng), read in this order")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--protocol", cli->protocol, "what the sessions speak: auto (from the first PDU), smpp or cmpp")
      ->check(CLI::IsMember({"auto", "smpp", "cmpp"}))
      ->capture_default_str();
  cmd->add_option("--max-sessions", cli->max_sessions, "closed sessions kept for the UI and the summary")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  cmd->add_option("--ring-events", cli->ring_events, "events (PDUs, alerts) kept for the UI")
      ->check(CLI::Range(std::size_t{16}, std::size_t{100'000'000}))
      ->capture_default_str();
  add_diag_options(*cmd, cli->diag);
  add_profile_options(*cmd, cli->profile, "check every session against this provider's rules");
  add_web_options(*cmd, cli->web);
  return [cli] { return run_analyze(*cli); };
}

}  // namespace smppscope::app
