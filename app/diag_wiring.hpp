// The session diagnostics' command-line flags, for `smppscope proxy` and `demo`:
//
//   diag_cli_options diag;                     // keep it alive until the command runs
//   add_diag_options(*cmd, diag);              // --window, --response-timeout, ...
//   ... when the command runs:
//   auto d = make_diagnostics(diag);           // throws std::invalid_argument("--window must ...")
//   analyzer.add_observer(*d);                 // alerts into the session table and event ring
//   metrics.add(*d);                           // smppscope_diag_* on /metrics
//   GET /api/sessions/{id}/timeline -> d->timeline_json(id, since_second)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "smppscope/analysis/diag/diagnostics.hpp"

namespace smppscope::app {

struct diag_cli_options {
  analysis::diag::diag_options opt;
  bool request_expiry_given = false;  // else derived from the timeouts
  bool log_alerts = true;             // one stderr line per alert raise / clear
  std::vector<std::string> cmpp_secrets;  // --cmpp-secret SOURCE_ADDR:SECRET
  std::string cmpp_secret_file;           // --cmpp-secret-file (lines SOURCE_ADDR:SECRET)
};

// Registers the flags (times in seconds) on `cmd`, writing into `out`.
void add_diag_options(CLI::App& cmd, diag_cli_options& out);
// --cmpp-secret (repeatable) and --cmpp-secret-file: CMPP shared secrets the analysis checks
// CONNECT's authenticators with (proxy only).
void add_cmpp_secret_options(CLI::App& cmd, diag_cli_options& out);

// The options as they will be used: derived defaults filled in, then validated.
// Throws std::invalid_argument with one line naming the flag.
analysis::diag::diag_options resolve_diag_options(const diag_cli_options& cli);

std::unique_ptr<analysis::diag::diagnostics> make_diagnostics(const diag_cli_options& cli);

// The alert lines the flags ask for: escaped lines on stderr, or none (--no-alert-log).
analysis::diag::alert_logger make_alert_logger(const diag_cli_options& cli);

}  // namespace smppscope::app
