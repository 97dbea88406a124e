#include "diag_wiring.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "smppscope/decoder/json.hpp"

namespace smppscope::app {

namespace {

std::int64_t to_us(double seconds) { return static_cast<std::int64_t>(std::llround(seconds * 1e6)); }

// Seconds as a decimal number, > 0 (or >= 0), at most 1e9; no description in --help.
CLI::Validator seconds_check(bool positive) {
  return CLI::Validator(
      [positive](std::string& in) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(in, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != in.size() || used == 0) return "'" + in + "' is not a number of seconds";
        if (!(positive ? v > 0 : v >= 0) || v > 1e9)
          return positive ? "must be more than 0 seconds" : "must be 0 seconds or more";
        return {};
      },
      "");
}

template <class T>
CLI::Validator range(T lo, T hi) {
  return CLI::Range(lo, hi).description("");
}

// A seconds flag stored as microseconds; `must_be_positive` rejects 0.
void seconds_flag(CLI::App& cmd, const std::string& name, std::int64_t& target, const std::string& help,
                  bool must_be_positive = true) {
  const double def = static_cast<double>(target) / 1e6;
  auto* o = cmd.add_option_function<double>(
      name, [&target](double s) { target = to_us(s); }, help);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", def);
  o->default_str(buf)->type_name("SECONDS");
  o->check(seconds_check(must_be_positive));
}

// Alert lines quote what peers sent (system_id, message_id, addresses): escaped before stderr so
// no control character or ANSI sequence reaches a terminal or a log viewer raw.
analysis::diag::alert_logger escaped_stderr_alert_logger() {
  return [](std::string_view line) {
    const std::string safe = decoder::log_safe(line);
    std::fprintf(stderr, "smppscope: %.*s\n", static_cast<int>(safe.size()), safe.data());
  };
}

}  // namespace

void add_diag_options(CLI::App& cmd, diag_cli_options& out) {
  auto& o = out.opt;
  const std::string group = "Diagnostics";
  auto add_group = [&](CLI::Option* opt) { opt->group(group); };
  add_group(cmd.add_option("--window", o.window, "expected window (unanswered requests) per direction")
                ->capture_default_str()
                ->type_name("N")
                ->check(range(1u, 1u << 24)));
  seconds_flag(cmd, "--window-stall", o.window_stall_us,
               "window_full when at the window and the oldest request waited this long");
  seconds_flag(cmd, "--response-timeout", o.response_timeout_us, "response_timeout after this long");
  seconds_flag(cmd, "--enquire-link-timeout", o.enquire_link_timeout_us,
               "enquire_link_timeout after this long");
  seconds_flag(cmd, "--silence", o.silence_us, "silence: no PDU in one direction of a bound session");
  seconds_flag(cmd, "--request-expiry", o.request_expiry_us,
               "forget timed-out requests after this long (default: max(60, 2 x the longer timeout))");
  cmd.get_option("--request-expiry")->each([&out](const std::string&) { out.request_expiry_given = true; });
  seconds_flag(cmd, "--alert-quiet", o.quiet_period_us,
               "unmatched_response, throttled, dlr_unmatched, malformed, concat_incomplete clear after this long without cause");
  add_group(cmd.add_option("--congestion-threshold", o.congestion_threshold,
                           "congestion_state (0-100) that counts as throttling")
                ->capture_default_str()
                ->type_name("N")
                ->check(range(0u, 100u)));
  seconds_flag(cmd, "--dlr-timeout", o.dlr_timeout_us, "count a requested receipt missing after this long");
  seconds_flag(cmd, "--dlr-grace", o.dlr_grace_us, "how long a receipt may wait for its submit_sm_resp",
               false);
  add_group(cmd.add_option("--max-outstanding", o.max_outstanding,
                           "requests tracked per direction and session (more are counted as overflow)")
                ->capture_default_str()
                ->type_name("N")
                ->check(range(1u, 1u << 24)));
  add_group(cmd.add_option("--max-dlr-pending", o.max_dlr_pending,
                           "submits awaiting a receipt, all sessions (oldest evicted)")
                ->capture_default_str()
                ->type_name("N")
                ->check(range(1u, 1u << 26)));
  seconds_flag(cmd, "--concat-timeout", o.concat_timeout_us,
               "concat_incomplete: a concatenated message still missing parts this long after its last part");
  add_group(cmd.add_option("--concat-max-pending", o.concat_max_pending,
                           "concatenated messages awaiting parts, all sessions (oldest evicted)")
                ->capture_default_str()
                ->type_name("N")
                ->check(range(1u, 1u << 24)));
  cmd.add_flag_function("--no-alert-log", [&out](std::int64_t) { out.log_alerts = false; },
               "do not write a stderr line per alert raise / clear")
      ->group(group);
  // CMPP sessions take the specification's figures for these unless they are given.
  cmd.get_option("--window")->each([&o](const std::string&) { o.window_given = true; });
  cmd.get_option("--enquire-link-timeout")->each([&o](const std::string&) { o.enquire_link_timeout_given = true; });
  cmd.get_option("--silence")->each([&o](const std::string&) { o.silence_given = true; });
  for (const char* name : {"--window-stall", "--response-timeout", "--enquire-link-timeout", "--silence",
                           "--request-expiry", "--alert-quiet", "--dlr-timeout", "--dlr-grace",
                           "--concat-timeout"})
    cmd.get_option(name)->group(group);
}

void add_cmpp_secret_options(CLI::App& cmd, diag_cli_options& out) {
  cmd.add_option("--cmpp-secret", out.cmpp_secrets,
                 "CMPP shared secret of a Source_Addr, to check CONNECT's authenticators (repeatable; never shown)")
      ->type_name("SOURCE_ADDR:SECRET")
      ->group("Diagnostics");
  cmd.add_option("--cmpp-secret-file", out.cmpp_secret_file,
                 "file of SOURCE_ADDR:SECRET lines (not readable by others)")
      ->type_name("FILE")
      ->group("Diagnostics");
}

namespace {

// "SOURCE_ADDR:SECRET": Source_Addr is at most 6 characters (CMPP_CONNECT), the secret may hold ':'.
void add_secret(std::map<std::string, std::string, std::less<>>& out, std::string_view line, const std::string& where) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 6 || colon + 1 == line.size())
    throw std::invalid_argument(where + " must be SOURCE_ADDR:SECRET (Source_Addr of 1 to 6 characters)");
  out.insert_or_assign(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
}

void read_secret_file(std::map<std::string, std::string, std::less<>>& out, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::invalid_argument("--cmpp-secret-file: cannot read " + path);
  if (st.st_mode & (S_IROTH | S_IWOTH))
    throw std::invalid_argument("--cmpp-secret-file " + path + " is readable by others: chmod o-rw it");
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--cmpp-secret-file: cannot read " + path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    add_secret(out, line, "--cmpp-secret-file " + path + ": line " + std::to_string(n));
  }
}

}  // namespace

analysis::diag::diag_options resolve_diag_options(const diag_cli_options& cli) {
  analysis::diag::diag_options o = cli.opt;
  o.request_expiry_given = cli.request_expiry_given;
  if (!cli.cmpp_secrets.empty() || !cli.cmpp_secret_file.empty()) {
    auto secrets = std::make_shared<std::map<std::string, std::string, std::less<>>>();
    if (!cli.cmpp_secret_file.empty()) read_secret_file(*secrets, cli.cmpp_secret_file);
    for (const std::string& s : cli.cmpp_secrets) add_secret(*secrets, s, "--cmpp-secret");
    o.cmpp_secrets = std::move(secrets);
  }
  if (!cli.request_expiry_given)
    o.request_expiry_us = std::max<std::int64_t>(
        60'000'000, 2 * std::max(o.response_timeout_us, o.enquire_link_timeout_us));
  if (const std::string err = analysis::diag::validate(o); !err.empty()) throw std::invalid_argument(err);
  return o;
}

std::unique_ptr<analysis::diag::diagnostics> make_diagnostics(const diag_cli_options& cli) {
  return std::make_unique<analysis::diag::diagnostics>(resolve_diag_options(cli), make_alert_logger(cli));
}

analysis::diag::alert_logger make_alert_logger(const diag_cli_options& cli) {
  return cli.log_alerts ? escaped_stderr_alert_logger() : analysis::diag::null_alert_logger();
}

}  // namespace smppscope::app
