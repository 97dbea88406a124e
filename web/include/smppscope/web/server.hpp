// The web server: REST API, /metrics, the embedded UI and the live WebSocket feed.
//
//   event_ring ---read_since (every ws_batch_interval)---> ws_hub (ONE reader, own strand)
//                                                            | renders each event once,
//                                                            | filters per client
//                                                            v
//                              client strand: bounded queue (messages + bytes) -> async_write
//                              full queue: batch dropped and counted, {"type":"lagging"} later;
//                              a client whose write stalls past ws_stall_timeout is cut off
//   HTTP: one coroutine per connection on its own strand; handlers copy from the ring and the
//   session table (never blocking their writer, the analysis thread). Connections, API requests
//   in flight and response sizes are capped; /api/pcap is produced piece by piece as it is sent.
//   POST /api/captures streams its body to a private temp file (never held in memory), then a
//   loader thread analyses it into a workspace (workspace.hpp) that every endpoint can read.
//
// Runs on its own io_context and threads: never the relay's or the analysis thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "smppscope/web/workspace.hpp"

namespace boost::asio::ssl {
class context;
}

namespace smppscope::analysis {
class event_ring;
class pdu_annotator;
class session_table;
}  // namespace smppscope::analysis

namespace smppscope::web {

class metrics_registry;

struct server_options {
  std::string host = "127.0.0.1";  // IPv4/IPv6 literal or a name (every address it resolves to)
  std::uint16_t port = 0;          // 0: any free port (see port())
  std::string token;               // empty: no authentication
  bool insecure = false;           // allow a non-loopback address without a token
  std::shared_ptr<boost::asio::ssl::context> tls;  // HTTPS (and wss) when set
  unsigned threads = 1;

  // Slow or hostile HTTP clients: each phase has a deadline that data trickling in does not extend.
  std::chrono::milliseconds http_header_timeout{10'000};  // request line and headers
  std::chrono::milliseconds http_idle_timeout{15'000};    // keep-alive: wait for the next request
  std::chrono::milliseconds http_timeout{30'000};         // request body; each response write
  std::size_t http_max_connections = 128;  // HTTP connections at once (WebSocket clients apart); more: 503
  std::size_t api_max_inflight = 8;        // /api/* and /metrics being answered and written at once; more: 503
  std::size_t api_max_response_bytes = 4u << 20;  // /api/pdus body cap (X-Next-After / X-Next-Before go on)
  std::chrono::seconds token_cookie_max_age{86'400};  // the cookie /?token= sets
  std::size_t pdus_default_limit = 1000;           // GET /api/pdus without limit=
  std::size_t pdus_max_limit = 10'000;
  // GET /api/sessions/{id}/timeline[?since=UNIX_SECONDS]; empty: 404. Called on a web thread.
  std::function<std::optional<std::string>(std::uint64_t session, std::int64_t since_second)> timeline;
  // Provider names and compliance lints on pdu events (GET /api/pdus, WebSocket); null: none.
  // Must outlive the server. Called on web threads.
  const analysis::pdu_annotator* annotate = nullptr;
  // The "compliance" member of each session in GET /api/sessions (JSON); empty: no member.
  std::function<std::optional<std::string>(std::uint64_t session)> session_compliance;

  // Uploaded captures (POST /api/captures). Without a loader uploads are refused (404).
  capture_loader load_capture;
  std::uint64_t capture_max_bytes = 200ull << 20;  // larger bodies: 413, checked while streaming
  std::size_t max_workspaces = 4;                  // captures open or uploading at once; more: 429
  std::string capture_temp_parent;                 // where the private temp dir goes; "": $TMPDIR or /tmp

  std::chrono::milliseconds ws_batch_interval{50};  // hub poll period
  std::size_t ws_batch_events = 500;                // events per WebSocket message at most
  std::size_t ws_queue_messages = 64;               // per client
  std::size_t ws_queue_bytes = 8u << 20;            // per client
  std::chrono::milliseconds ws_stall_timeout{10'000};  // a write pending this long: cut off
  std::size_t ws_max_clients = 256;
  std::size_t ws_max_message = 4096;  // octets of one message from a client (filters are small)
};

struct server_stats {
  std::uint64_t http_requests = 0;
  std::uint64_t ws_clients = 0;         // connected now
  std::uint64_t ws_connections = 0;     // ever accepted
  std::uint64_t ws_events_sent = 0;     // events queued for clients
  std::uint64_t ws_events_dropped = 0;  // events dropped for slow clients
  std::uint64_t ws_clients_cut = 0;     // clients closed for stalling
  std::uint64_t ws_hub_missed = 0;      // events the ring overwrote before the hub read them
  std::uint64_t ws_queue_high_water = 0;  // largest octets queued for one client
  std::uint64_t http_connections = 0;          // open now (WebSocket clients apart)
  std::uint64_t http_api_inflight = 0;         // API requests being answered now
  std::uint64_t http_refused_connections = 0;  // over http_max_connections
  std::uint64_t http_refused_busy = 0;         // API requests over api_max_inflight
  std::uint64_t http_timeouts = 0;             // connections closed by a header / idle / write deadline
  std::uint64_t workspaces = 0;                // uploaded captures open now
  std::uint64_t captures_loaded = 0;           // uploads analysed into a workspace
  std::uint64_t captures_too_large = 0;        // uploads refused with 413
  std::uint64_t captures_bad = 0;              // uploads that were not a readable capture (400)
  std::uint64_t captures_refused = 0;          // uploads refused for want of a free workspace (429)
};

class server {
 public:
  // `metrics` renders /metrics; the server adds its own source to it (and removes it).
  // All referenced objects must outlive the server.
  server(server_options opt, const analysis::event_ring& ring,
         const analysis::session_table& sessions, metrics_registry& metrics);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Resolves and binds (every address of the host), then starts the threads. Throws
  // std::runtime_error: "cannot listen on 127.0.0.1:8080: Address already in use", or when a
  // non-loopback address has neither a token nor `insecure`.
  void start();
  void stop();  // idempotent; not from a server thread

  std::uint16_t port() const;  // bound port of the first address
  std::vector<boost::asio::ip::tcp::endpoint> endpoints() const;
  std::string url() const;     // "http://127.0.0.1:8080/" (https with TLS)
  server_stats stats() const;
  // The private directory holding uploaded captures ("" until the first upload).
  std::string capture_dir() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// True when every address is loopback (127.0.0.0/8, ::1, v4-mapped loopback).
bool is_loopback(const boost::asio::ip::address& a) noexcept;

}  // namespace smppscope::web
