// smppscope proxy: the relay (proxy/) wired to the analysis pipeline (analysis/).
//
//   relay threads --tap_queue--> analyzer thread --> event ring, session table, diagnostics
//                                                \-> pcap writer (--pcap-dir)
//   main thread: parses flags, starts everything, waits for SIGINT/SIGTERM, stops in order.
#include <pthread.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "diag_wiring.hpp"
#include "profile_wiring.hpp"
#include "web_wiring.hpp"
#include "smppscope/analysis/pipeline.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/proxy/proxy.hpp"

namespace smppscope::app {

namespace {

struct proxy_cli {
  web_cli_options web;
  std::string listen, upstream;
  bool listen_tls = false, upstream_tls = false, insecure = false;
  std::string cert, key, ca, sni, tls_min = "1.2";
  std::vector<std::string> allow;
  double connect_timeout = 10;
  unsigned threads = 1;
  std::uint64_t max_pdu = 64 * 1024;
  std::uint64_t max_sessions = 10'000;
  std::uint64_t max_sessions_per_ip = 0;
  double idle_timeout = 0;
  double write_timeout = 30;
  std::uint64_t tcp_keepalive = 60;
  std::string pcap_dir, pcap_legs = "both", pcap_format = "pcap";
  double pcap_rotate_mb = 256;
  double pcap_rotate_sec = 3600;
  bool redact = false;  // --redact-passwords: the default now, accepted so scripts keep working
  bool keep_passwords = false;
  double pcap_max_total_mb = 0;
  std::string pcap_max_age = "0";
  std::size_t ring_events = 100000;
  double ring_mb = 64;
  double tap_mb = 64;
  std::string protocol = "auto";
  diag_cli_options diag;
  profile_cli_options profile;
};

proxy::host_port endpoint_flag(const std::string& flag, const std::string& value, bool port_zero_ok) {
  auto hp = proxy::parse_host_port(value);
  if (!hp) throw std::runtime_error(flag + " must be HOST:PORT, e.g. 127.0.0.1:2775 or [::1]:2775 (got '" + value + "')");
  if (hp->port == 0 && !port_zero_ok) throw std::runtime_error(flag + " needs a port other than 0 (got '" + value + "')");
  return *hp;
}

// A timeout flag in seconds: 0 (off) up to `max`.
std::chrono::milliseconds seconds_flag(const std::string& flag, double seconds, double max) {
  if (!(seconds >= 0) || seconds > max)
    throw std::runtime_error(flag + " must be between 0 (off) and " + std::to_string(static_cast<long long>(max)) +
                             " seconds");
  auto ms = std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
  if (seconds > 0 && ms.count() == 0) ms = std::chrono::milliseconds(1);
  return ms;
}

proxy::proxy_options to_options(const proxy_cli& c) {
  proxy::proxy_options o;
  o.listen = endpoint_flag("--listen", c.listen, true);
  o.upstream = endpoint_flag("--upstream", c.upstream, false);

  proxy::tls_version min;
  if (c.tls_min == "1.2") min = proxy::tls_version::v1_2;
  else if (c.tls_min == "1.3") min = proxy::tls_version::v1_3;
  else throw std::runtime_error("--tls-min must be 1.2 or 1.3 (got '" + c.tls_min + "')");

  if (c.listen_tls) {
    if (c.cert.empty() || c.key.empty()) throw std::runtime_error("--listen-tls needs --cert FILE and --key FILE");
    o.listen_tls = proxy::tls_server_options{c.cert, c.key, min};
  } else if (!c.cert.empty() || !c.key.empty()) {
    throw std::runtime_error("--cert and --key are for --listen-tls; add --listen-tls");
  }
  if (c.upstream_tls) {
    if (c.insecure && !c.ca.empty()) throw std::runtime_error("--ca and --insecure contradict each other; pick one");
    proxy::tls_client_options t;
    t.ca_file = c.ca;
    t.insecure = c.insecure;
    t.sni = c.sni;
    t.min_version = min;
    o.upstream_tls = t;
  } else if (!c.ca.empty() || c.insecure || !c.sni.empty()) {
    throw std::runtime_error("--ca, --insecure and --sni are for --upstream-tls; add --upstream-tls");
  }

  for (const auto& a : c.allow) {
    auto block = proxy::cidr::parse(a);
    if (!block) throw std::runtime_error("--allow must be an address or CIDR block, e.g. 10.0.0.0/8 or 2001:db8::/32 (got '" + a + "')");
    o.allow.add(*block);
  }
  if (!(c.connect_timeout > 0) || c.connect_timeout > 3600)
    throw std::runtime_error("--connect-timeout must be between 0 and 3600 seconds");
  o.connect_timeout = std::chrono::milliseconds(static_cast<long long>(std::llround(c.connect_timeout * 1000)));
  if (o.connect_timeout.count() == 0) o.connect_timeout = std::chrono::milliseconds(1);
  if (c.threads < 1 || c.threads > 256) throw std::runtime_error("--threads must be between 1 and 256");
  o.threads = c.threads;
  if (c.max_pdu < proxy::min_max_pdu || c.max_pdu > proxy::max_max_pdu)
    throw std::runtime_error("--max-pdu must be between " + std::to_string(proxy::min_max_pdu) +
                             " (the SMPP header) and " + std::to_string(proxy::max_max_pdu) + " (16 MiB) bytes (got " +
                             std::to_string(c.max_pdu) + ")");
  o.max_pdu = static_cast<std::uint32_t>(c.max_pdu);
  if (c.max_sessions > 10'000'000) throw std::runtime_error("--max-sessions must be between 0 (no limit) and 10000000");
  o.max_sessions = c.max_sessions;
  if (c.max_sessions_per_ip > 10'000'000)
    throw std::runtime_error("--max-sessions-per-ip must be between 0 (no limit) and 10000000");
  o.max_sessions_per_ip = c.max_sessions_per_ip;
  o.idle_timeout = seconds_flag("--idle-timeout", c.idle_timeout, 7 * 86400);
  o.write_timeout = seconds_flag("--write-timeout", c.write_timeout, 3600);
  if (c.tcp_keepalive > 32767)
    throw std::runtime_error("--tcp-keepalive must be between 0 (off) and 32767 seconds");
  o.keepalive.idle = std::chrono::seconds(c.tcp_keepalive);
  o.keepalive.interval = std::chrono::seconds(std::clamp<std::uint64_t>(c.tcp_keepalive / 4, 1, 15));
  o.keepalive.count = 4;
  return o;
}

std::size_t megabytes(const std::string& flag, double mb, double min_mb) {
  if (!(mb >= min_mb) || mb > 1024 * 1024) throw std::runtime_error(flag + " is out of range");
  return static_cast<std::size_t>(mb * 1024 * 1024);
}

// The relay's own counters on /metrics: counted in proxy/, written with web's exposition helpers.
class relay_metrics final : public analysis::metrics_source {
 public:
  relay_metrics(const proxy::proxy& p, web::metrics_registry& r) : proxy_(p), registry_(r) { registry_.add(*this); }
  ~relay_metrics() override { registry_.remove(*this); }
  relay_metrics(const relay_metrics&) = delete;
  relay_metrics& operator=(const relay_metrics&) = delete;

  void append_prometheus(std::string& out) const override {
    const proxy::proxy_stats st = proxy_.stats();
    auto one = [&](std::string_view name, std::string_view type, std::string_view help, std::uint64_t v) {
      web::append_metric_header(out, name, type, help);
      web::append_metric_sample(out, name, {}, v);
    };
    one("smppscope_relay_accepted_total", "counter", "TCP connections the relay accepted.", st.accepted);
    one("smppscope_relay_sessions_active", "gauge", "Relay sessions at any stage now.", st.active);
    web::append_metric_header(out, "smppscope_relay_refused_total", "counter",
                              "Connections closed at once: by the --allow list or a session limit.");
    web::append_metric_sample(out, "smppscope_relay_refused_total", "reason=\"allow_list\"", st.rejected);
    web::append_metric_sample(out, "smppscope_relay_refused_total", "reason=\"max_sessions\"",
                              st.refused_max_sessions);
    web::append_metric_sample(out, "smppscope_relay_refused_total", "reason=\"max_sessions_per_ip\"",
                              st.refused_per_ip);
    one("smppscope_relay_accept_failures_total", "counter",
        "accept() errors, such as running out of file descriptors.", st.accept_failures);
    web::append_metric_header(out, "smppscope_relay_timeouts_total", "counter",
                              "Sessions ended by --idle-timeout or --write-timeout.");
    web::append_metric_sample(out, "smppscope_relay_timeouts_total", "kind=\"idle\"", st.idle_timeouts);
    web::append_metric_sample(out, "smppscope_relay_timeouts_total", "kind=\"write\"", st.write_timeouts);
  }

 private:
  const proxy::proxy& proxy_;
  web::metrics_registry& registry_;
};

// SIGINT/SIGTERM are blocked in every thread and taken by sigwait() on the main thread.
sigset_t shutdown_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

int run_proxy(const proxy_cli& cli) {
  proxy::proxy_options opt = to_options(cli);
  analysis::pcap_writer_options pcap_opt;
  if (!cli.pcap_dir.empty()) {
    pcap_opt.dir = cli.pcap_dir;
    auto legs = analysis::parse_pcap_legs(cli.pcap_legs);
    if (!legs) throw std::runtime_error("--pcap-legs must be both, client or upstream (got '" + cli.pcap_legs + "')");
    pcap_opt.legs = *legs;
    pcap_opt.format = analysis::parse_pcap_format(cli.pcap_format).value_or(analysis::pcap_format::pcap);  // CLI checked
    if (!(cli.pcap_rotate_mb >= 0)) throw std::runtime_error("--pcap-rotate-mb must not be negative");
    pcap_opt.rotate_bytes = static_cast<std::uint64_t>(cli.pcap_rotate_mb * 1024 * 1024);
    if (!(cli.pcap_rotate_sec >= 0)) throw std::runtime_error("--pcap-rotate-sec must not be negative");
    pcap_opt.rotate_seconds = static_cast<std::int64_t>(cli.pcap_rotate_sec);
    if (cli.keep_passwords && cli.redact)
      throw std::runtime_error("--pcap-keep-passwords and --redact-passwords contradict each other; pick one");
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
  analysis::pipeline_options po;
  if (cli.ring_events < 16) throw std::runtime_error("--ring-events must be at least 16");
  po.ring.max_events = cli.ring_events;
  po.ring.max_bytes = megabytes("--ring-mb", cli.ring_mb, 1);
  const std::size_t tap_bytes = megabytes("--tap-mb", cli.tap_mb, 1);
  if (!cli.pcap_dir.empty()) po.pcap = pcap_opt;
  po.diagnostics = resolve_diag_options(cli.diag);
  po.alert_log = make_alert_logger(cli.diag);
  // One profile for every session today; compliance_options::select can pick one per upstream.
  po.compliance.emplace();
  po.compliance->profile = resolve_profile(cli.profile);
  if (cli.diag.log_alerts)
    po.compliance->log = [](std::string_view line) {  // escaped: alert lines quote what peers sent
      const std::string safe = decoder::log_safe(line);
      std::fprintf(stderr, "smppscope: %.*s\n", static_cast<int>(safe.size()), safe.data());
    };
  po.analyzer.max_pdu = opt.max_pdu;
  po.analyzer.background_priority = true;  // the relay threads come first
  if (cli.protocol == "smpp") po.analyzer.protocol = decoder::cmpp::wire_protocol::smpp;
  if (cli.protocol == "cmpp") po.analyzer.protocol = decoder::cmpp::wire_protocol::cmpp;

  ::signal(SIGPIPE, SIG_IGN);  // a closed stderr must not kill the proxy
  const sigset_t stop_signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts
  const std::uint64_t fd_limit = proxy::raise_fd_limit();

  // The analysis side: ring, sessions, diagnostics, compliance, pcap files; one tap queue per
  // relay thread. Declared before the relay, so it outlives every producer.
  analysis::pipeline pl(std::move(po));
  for (unsigned i = 0; i < opt.threads; ++i) opt.taps.push_back(&pl.add_queue(tap_bytes));
  web_frontend web(cli.web, pl.ring(), pl.sessions(), pl.analyzer(), pl.pcap());  // before pl.start()
  web.add_diagnostics(*pl.diagnostics());
  web.add_compliance(*pl.compliance());

  opt.system_id_of = [&pl](std::uint64_t id) {
    auto s = pl.sessions().get(id);
    return s ? s->system_id : std::string();
  };
  proxy::proxy relay(opt);
  relay_metrics relay_counters(relay, web.metrics());
  relay.start();  // binds first: a busy port fails before anything else runs
  // Two descriptors per session, plus listeners, files and the web server.
  if (opt.max_sessions != 0 && fd_limit != 0 && 2 * opt.max_sessions + 64 > fd_limit)
    relay.options().log("warning: --max-sessions " + std::to_string(opt.max_sessions) + " needs about " +
                        std::to_string(2 * opt.max_sessions + 64) + " file descriptors, RLIMIT_NOFILE is " +
                        std::to_string(fd_limit) + "; new connections fail earlier (existing ones carry on)");
  web.start();  // binds too: a busy --web port fails before the analyzer thread runs
  pl.start();
  if (pl.pcap()) relay.options().log("pcap files in " + cli.pcap_dir);
  relay.options().log("checking sessions against provider profile " + pl.compliance()->default_profile()->name);
  if (web.enabled()) relay.options().log("web UI on " + web.url());

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  relay.options().log(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  web.stop();
  relay.stop();
  pl.stop();  // drains every tap queue, then closes the pcap file
  const auto st = relay.stats();
  const auto an = pl.stats();
  char line[256];
  std::snprintf(line, sizeof line, "stopped: %llu sessions, %llu PDUs analysed, %llu tap records dropped",
                static_cast<unsigned long long>(st.opened), static_cast<unsigned long long>(an.pdus),
                static_cast<unsigned long long>(an.tap_dropped_records));
  relay.options().log(line);
  return 0;
}

}  // namespace

command_runner add_proxy_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("proxy", "relay ESMEs to an SMSC, decoding and capturing everything");
  auto cli = std::make_shared<proxy_cli>();
  cmd->add_option("--listen", cli->listen, "where ESMEs connect: HOST:PORT (IPv4, [IPv6] or a name)")->required();
  cmd->add_option("--upstream", cli->upstream, "the SMSC: HOST:PORT")->required();

  const std::string tls = "TLS";
  cmd->add_flag("--listen-tls", cli->listen_tls, "ESMEs connect with TLS (needs --cert, --key)")->group(tls);
  cmd->add_option("--cert", cli->cert, "PEM certificate chain for --listen-tls")->group(tls);
  cmd->add_option("--key", cli->key, "PEM private key for --listen-tls")->group(tls);
  cmd->add_flag("--upstream-tls", cli->upstream_tls, "connect to the SMSC with TLS")->group(tls);
  cmd->add_option("--ca", cli->ca, "PEM CA file to verify the SMSC (default: the system store)")->group(tls);
  cmd->add_flag("--insecure", cli->insecure, "do not verify the SMSC's certificate")->group(tls);
  cmd->add_option("--sni", cli->sni, "server name to send and verify (default: the --upstream host)")->group(tls);
  cmd->add_option("--tls-min", cli->tls_min, "lowest TLS version on both legs: 1.2 or 1.3")->capture_default_str()->group(tls);

  const std::string conn = "Connections";
  cmd->add_option("--allow", cli->allow, "client address or CIDR block allowed to connect (repeatable; default: all)")
      ->group(conn)->type_name("CIDR");
  cmd->add_option("--connect-timeout", cli->connect_timeout, "upstream connect and TLS handshake timeout")
      ->capture_default_str()->group(conn)->type_name("SECONDS");
  cmd->add_option("--threads", cli->threads, "relay threads")->capture_default_str()->group(conn);
  cmd->add_option("--max-pdu", cli->max_pdu, "largest command_length decoded, 16..16777216 (bytes are relayed regardless)")
      ->capture_default_str()->group(conn)->type_name("BYTES");
  cmd->add_option("--max-sessions", cli->max_sessions, "sessions at once; more are refused and counted (0: no limit)")
      ->capture_default_str()->group(conn)->type_name("N");
  cmd->add_option("--max-sessions-per-ip", cli->max_sessions_per_ip,
                  "sessions at once from one client address (0: no limit)")
      ->capture_default_str()->group(conn)->type_name("N");
  cmd->add_option("--idle-timeout", cli->idle_timeout,
                  "end a session after this long without a byte either way (0: never; SMPP peers may be quiet "
                  "between enquire_links)")
      ->capture_default_str()->group(conn)->type_name("SECONDS");
  cmd->add_option("--write-timeout", cli->write_timeout,
                  "end a session whose peer has not taken one relayed chunk (up to 64 KiB) in this long (0: never)")
      ->capture_default_str()->group(conn)->type_name("SECONDS");
  cmd->add_option("--tcp-keepalive", cli->tcp_keepalive,
                  "TCP keepalive idle time on both legs; probes every min(15, S/4) s, 4 unanswered end the "
                  "session (0: off)")
      ->capture_default_str()->group(conn)->type_name("SECONDS");

  cmd->add_option("--protocol", cli->protocol,
                  "protocol the sessions speak, for analysis: auto (each session from its first PDU), smpp or "
                  "cmpp (CMPP 2.0 / 3.0, version followed per session); the relay never cares")
      ->check(CLI::IsMember({"auto", "smpp", "cmpp"}))
      ->capture_default_str()->group(conn);
  const std::string cap = "Capture";
  cmd->add_option("--pcap-dir", cli->pcap_dir, "write pcap files here (created if missing)")->group(cap);
  cmd->add_option("--pcap-legs", cli->pcap_legs, "legs in the pcap: both, client or upstream")->capture_default_str()->group(cap);
  cmd->add_option("--pcap-format", cli->pcap_format,
                  "pcap file format: pcap, or pcapng with the analysis' findings as packet comments")
      ->check(CLI::IsMember({"pcap", "pcapng"}))->capture_default_str()->group(cap);
  cmd->add_option("--pcap-rotate-mb", cli->pcap_rotate_mb, "start a new pcap file after this many MiB (0: never)")
      ->capture_default_str()->group(cap);
  cmd->add_option("--pcap-rotate-sec", cli->pcap_rotate_sec, "start a new pcap file after this many seconds (0: never)")
      ->capture_default_str()->group(cap);
  cmd->add_flag("--pcap-keep-passwords", cli->keep_passwords,
                "write bind passwords as relayed in pcap files (default: masked as '*')")->group(cap);
  cmd->add_flag("--pcap-redact,--redact-passwords", cli->redact, "mask bind passwords in pcap files (the default)")
      ->group(cap);
  cmd->add_option("--pcap-max-total-mb", cli->pcap_max_total_mb,
                  "delete the oldest of our pcap files while they take more than this many MiB (0: no limit)")
      ->capture_default_str()->group(cap);
  cmd->add_option("--pcap-max-age", cli->pcap_max_age, "delete our pcap files older than this: 7d, 12h, 30m or seconds (0: no limit)")
      ->capture_default_str()->group(cap)->type_name("DURATION");
  cmd->add_option("--ring-events", cli->ring_events, "events kept in memory for the UI and /api")->capture_default_str()->group(cap);
  cmd->add_option("--ring-mb", cli->ring_mb, "MiB of event payload kept in memory")->capture_default_str()->group(cap);
  cmd->add_option("--tap-mb", cli->tap_mb, "MiB queued per relay thread for analysis before dropping")->capture_default_str()->group(cap);

  add_diag_options(*cmd, cli->diag);
  add_cmpp_secret_options(*cmd, cli->diag);
  add_profile_options(*cmd, cli->profile, "check every session against this provider's rules");
  add_web_options(*cmd, cli->web);

  return [cli] { return run_proxy(*cli); };
}

}  // namespace smppscope::app
