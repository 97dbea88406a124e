// The web server as `smppscope proxy` (and `demo`) use it: its command-line flags and the object
// that assembles server, metrics and the PDU counter around the capture layer.
//
//   app::web_cli_options web_opts;
//   app::add_web_options(*cmd, web_opts);                 // while building the CLI
//   ...
//   app::web_frontend web(web_opts, ring, sessions, analyzer, &pcap);  // before analyzer.start()
//   web.add_diagnostics(diagnostics);                      // its metrics and session timelines
//   web.start();                                           // no-op without --web
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "smppscope/analysis/pipeline.hpp"
#include "smppscope/web/metrics.hpp"
#include "smppscope/web/server.hpp"

namespace smppscope::analysis {
namespace diag {
class diagnostics;
}
class analyzer;
class compliance_checker;
class event_ring;
class pcap_writer;
class session_table;
}  // namespace smppscope::analysis

namespace smppscope::app {

struct web_cli_options {
  std::string web;        // --web HOST:PORT; empty: no web server
  std::string token;      // --web-token TOKEN (or $SMPPSCOPE_WEB_TOKEN)
  bool insecure = false;  // --web-insecure
  std::string cert, key;  // --web-cert FILE --web-key FILE: HTTPS
  unsigned threads = 1;   // --web-threads
  std::size_t max_connections = 128;  // --web-max-connections (HTTP; WebSocket clients apart)
  std::size_t max_api_requests = 8;   // --web-max-api-requests (answered and written at once)
  std::size_t max_response_mb = 4;    // --web-max-response-mb (GET /api/pdus body)
  std::size_t max_upload_mb = 200;    // --web-max-upload-mb (POST /api/captures body)
};

// Registers --web, --web-token, --web-insecure, --web-cert, --web-key, --web-threads and the
// --web-max-* limits on `cmd`.
void add_web_options(CLI::App& cmd, web_cli_options& o);

// The server options the flags ask for. Throws std::runtime_error with one line for the user
// ("--web 0.0.0.0:8080 is reachable from other hosts: set --web-token TOKEN ...").
web::server_options make_server_options(const web_cli_options& o);

// An uploaded capture analysed as the live traffic is: a pipeline of its own (`base` gives the
// ring size and the diagnostics' options; no pcap files, no log lines), fed from the file with
// the capture's timestamps. nullopt with the reader's message when the file is not a capture.
std::optional<web::capture_analysis> analyse_capture(const analysis::pipeline_options& base,
                                                     const std::string& path, std::string& error);

class web_frontend {
 public:
  // Registers a PDU counter with `analyzer`: construct before analyzer.start(); stop the analyzer
  // before destroying this. Everything referenced must outlive it. Throws like
  // make_server_options.
  web_frontend(const web_cli_options& o, analysis::event_ring& ring, analysis::session_table& sessions,
               analysis::analyzer& analyzer, const analysis::pcap_writer* pcap = nullptr);
  ~web_frontend();
  web_frontend(const web_frontend&) = delete;
  web_frontend& operator=(const web_frontend&) = delete;

  // Its metrics on /metrics and its timelines on GET /api/sessions/{id}/timeline. Before start().
  void add_diagnostics(const analysis::diag::diagnostics& d);
  // Provider names and profile lints on pdu events, "compliance" on /api/sessions. Before start().
  void add_compliance(const analysis::compliance_checker& c);
  web::metrics_registry& metrics() noexcept { return registry_; }

  void start();  // binds and serves; no-op without --web. Throws std::runtime_error.
  void stop();
  bool enabled() const noexcept { return opts_.has_value(); }
  std::string url() const;  // "" when not enabled
  web::server* server() noexcept { return server_.get(); }

 private:
  web::metrics_registry registry_;
  web::pdu_counter pdus_;
  web::capture_metrics capture_;
  analysis::event_ring& ring_;
  analysis::session_table& sessions_;
  std::optional<web::server_options> opts_;  // --web given (validated at construction)
  analysis::pipeline_options capture_opts_;  // how uploaded captures are analysed
  std::unique_ptr<web::server> server_;
};

}  // namespace smppscope::app
