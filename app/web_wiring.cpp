#include "web_wiring.hpp"

#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/compliance.hpp"
#include "smppscope/analysis/diag/diagnostics.hpp"
#include "smppscope/proxy/host_port.hpp"
#include "smppscope/proxy/tls.hpp"

namespace smppscope::app {

namespace {

// proxy's TLS errors name its own flags; the web's are --web-cert / --web-key.
std::string rename_flags(std::string msg) {
  if (msg.starts_with("--cert")) msg.replace(0, 6, "--web-cert");
  else if (msg.starts_with("--key")) msg.replace(0, 5, "--web-key");
  else if (msg.starts_with("--listen-tls needs --cert")) msg = "--web-cert FILE and --web-key FILE go together";
  else if (msg.starts_with("--listen-tls needs --key")) msg = "--web-cert FILE and --web-key FILE go together";
  return msg;
}

}  // namespace

void add_web_options(CLI::App& cmd, web_cli_options& o) {
  cmd.add_option("--web", o.web, "Serve the live UI, REST API and /metrics on HOST:PORT (loopback unless a token is set)")
      ->type_name("HOST:PORT")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            return proxy::parse_host_port(s) ? std::string()
                                             : "must be HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080";
          },
          ""));
  cmd.add_option("--web-token", o.token, "Access token the web server requires (also $SMPPSCOPE_WEB_TOKEN)")
      ->type_name("TOKEN")
      ->envname("SMPPSCOPE_WEB_TOKEN");
  cmd.add_flag("--web-insecure", o.insecure, "Allow --web on a non-loopback address without a token");
  cmd.add_option("--web-cert", o.cert, "Serve the UI over HTTPS with this PEM certificate chain")
      ->check(CLI::ExistingFile);
  cmd.add_option("--web-key", o.key, "PEM private key for --web-cert")->check(CLI::ExistingFile);
  cmd.add_option("--web-threads", o.threads, "Web server threads")->type_name("N")->check(CLI::Range(1, 16));
  cmd.add_option("--web-max-connections", o.max_connections,
                 "HTTP connections served at once; more are answered 503 (WebSocket clients apart)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd.add_option("--web-max-api-requests", o.max_api_requests,
                 "API and /metrics requests answered at once; more are answered 503")
      ->type_name("N")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd.add_option("--web-max-upload-mb", o.max_upload_mb,
                 "Largest capture the UI's Open capture uploads (POST /api/captures); larger: 413")
      ->type_name("MB")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd.add_option("--web-max-response-mb", o.max_response_mb,
                 "Largest /api/pdus body; a longer answer is cut and names its continuation (X-Next-After/X-Next-Before)")
      ->type_name("MB")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
}

web::server_options make_server_options(const web_cli_options& o) {
  web::server_options s;
  const auto hp = proxy::parse_host_port(o.web);
  if (!hp) throw std::runtime_error("--web must be HOST:PORT, e.g. 127.0.0.1:8080, not '" + o.web + "'");
  s.host = hp->host;
  s.port = hp->port;
  s.token = o.token;
  s.insecure = o.insecure;
  s.threads = o.threads;
  s.http_max_connections = o.max_connections;
  s.api_max_inflight = o.max_api_requests;
  s.api_max_response_bytes = o.max_response_mb << 20;
  s.capture_max_bytes = static_cast<std::uint64_t>(o.max_upload_mb) << 20;
  // Literal addresses are checked here, before anything starts; names when they are resolved.
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(hp->host, ec);
  if (!ec && !web::is_loopback(addr) && o.token.empty() && !o.insecure)
    throw std::runtime_error("--web " + o.web + " is reachable from other hosts: set --web-token TOKEN "
                             "(or pass --web-insecure to serve it without one)");
  if (o.cert.empty() != o.key.empty()) throw std::runtime_error("--web-cert FILE and --web-key FILE go together");
  if (!o.cert.empty()) {
    try {
      s.tls = std::make_shared<boost::asio::ssl::context>(
          proxy::make_server_context(proxy::tls_server_options{o.cert, o.key, proxy::tls_version::v1_2}));
    } catch (const std::exception& e) {
      throw std::runtime_error(rename_flags(e.what()));
    }
  }
  return s;
}

std::optional<web::capture_analysis> analyse_capture(const analysis::pipeline_options& base,
                                                     const std::string& path, std::string& error) {
  analysis::pipeline_options o = base;
  o.pcap.reset();
  o.session_log = nullptr;
  o.alert_log = analysis::diag::null_alert_logger();
  auto p = std::make_shared<analysis::pipeline>(std::move(o));
  analysis::capture_file_stats st;
  if (!analysis::feed_capture_file(*p, path, {}, &st, error)) return std::nullopt;
  if (st.streams == 0) {
    error = path + ": no TCP stream in this capture (" + std::to_string(st.packets) + " packets)";
    return std::nullopt;
  }
  p->finish();
  web::capture_analysis a;
  a.ring = &p->ring();
  a.sessions = &p->sessions();
  if (const auto* d = p->diagnostics())
    a.timeline = [d](std::uint64_t session, std::int64_t since) { return d->timeline_json(session, since); };
  if (const auto* c = p->compliance()) {
    a.annotate = c;
    a.session_compliance = [c](std::uint64_t session) { return c->session_summary_json(session); };
  }
  a.summary_json = "{\"packets\":" + std::to_string(st.packets) + ",\"streams\":" + std::to_string(st.streams) +
                   ",\"first_us\":" + std::to_string(st.first_ts_us) + ",\"last_us\":" + std::to_string(st.last_ts_us) +
                   ",\"gaps\":" + std::to_string(st.gaps) + "}";
  a.owner = std::move(p);
  return a;
}

web_frontend::web_frontend(const web_cli_options& o, analysis::event_ring& ring,
                           analysis::session_table& sessions, analysis::analyzer& analyzer,
                           const analysis::pcap_writer* pcap)
    : capture_(ring, sessions, &analyzer, pcap), ring_(ring), sessions_(sessions) {
  analyzer.add_observer(pdus_);
  registry_.add(pdus_);
  registry_.add(capture_);
  if (!o.web.empty()) opts_ = make_server_options(o);
  capture_opts_.ring = ring.options();
  capture_opts_.diagnostics = analysis::diag::diag_options{};
}

void web_frontend::add_diagnostics(const analysis::diag::diagnostics& d) {
  registry_.add(d);
  capture_opts_.diagnostics = d.options();  // captures get the live thresholds
  if (opts_) {
    opts_->timeline = [&d](std::uint64_t session, std::int64_t since) { return d.timeline_json(session, since); };
  }
}

void web_frontend::add_compliance(const analysis::compliance_checker& c) {
  if (!opts_) return;
  opts_->annotate = &c;
  opts_->session_compliance = [&c](std::uint64_t session) { return c.session_summary_json(session); };
}

web_frontend::~web_frontend() { stop(); }

void web_frontend::start() {
  if (!opts_ || server_) return;
  opts_->load_capture = [o = capture_opts_](const std::string& path, std::string& error) {
    return analyse_capture(o, path, error);
  };
  auto s = std::make_unique<web::server>(*opts_, ring_, sessions_, registry_);
  s->start();
  server_ = std::move(s);
}

void web_frontend::stop() {
  if (server_) server_->stop();
}

std::string web_frontend::url() const { return server_ ? server_->url() : std::string(); }

}  // namespace smppscope::app
