// The REST handlers, free of sockets: a request's method, path and query in, a reply out.
// Runs on a server thread (any); reads the ring and the session table without blocking writers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smppscope/web/ui_assets.hpp"

namespace smppscope::analysis {
class event_ring;
class pdu_annotator;
class session_table;
}  // namespace smppscope::analysis

namespace smppscope::web {
class metrics_registry;
}

namespace smppscope::web::detail {

// A body produced piecewise (sent with chunked transfer coding): each call appends the next
// piece to `out` and returns false after the last one. Called on the connection's strand, one
// call per piece written, so a slow reader holds one piece, never the whole body.
using body_producer = std::function<bool(std::string& out)>;

struct http_reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  const ui_asset* asset = nullptr;  // a static file: its bytes are the body
  body_producer stream;             // set: the body comes from here instead (chunked)
};

// Decoded query parameters in order ("a=1&b=x%20y" -> {a,1},{b,x y}).
struct query_params {
  std::vector<std::pair<std::string, std::string>> items;
  const std::string* find(std::string_view key) const noexcept;
};
// nullopt on a malformed escape (then `error` says where).
std::optional<query_params> parse_query(std::string_view query, std::string& error);
// %XX and '+' decoding; nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

// {"error":"..."} with the status.
http_reply json_error(unsigned status, std::string_view message);

// A session's timeline JSON (diagnostics); nullopt when the session is unknown.
using timeline_provider = std::function<std::optional<std::string>(std::uint64_t session, std::int64_t since_second)>;

struct api_options {
  std::size_t pdus_default_limit = 1000;
  std::size_t pdus_max_limit = 10'000;
  // GET /api/pdus stops adding events once its body would pass this (at least one event is
  // always sent) and says where to go on: X-Next-After / X-Next-Before.
  std::size_t max_response_bytes = 4u << 20;
  std::size_t pcap_piece_bytes = 256u << 10;  // GET /api/pcap: octets produced per piece
  timeline_provider timeline;  // GET /api/sessions/{id}/timeline; empty: 404
  const analysis::pdu_annotator* annotate = nullptr;  // pdu events: provider names, compliance lints
  // GET /api/sessions: each session's "compliance" member; empty: none.
  std::function<std::optional<std::string>(std::uint64_t session)> session_compliance;
};

// The traffic one request reads: the live ring and sessions, or an uploaded capture's (a
// workspace). `owner` keeps a capture's objects alive while a reply is produced from them.
struct data_source {
  const analysis::event_ring* ring = nullptr;
  const analysis::session_table* sessions = nullptr;
  timeline_provider timeline;
  const analysis::pdu_annotator* annotate = nullptr;
  std::function<std::optional<std::string>(std::uint64_t session)> session_compliance;
  std::shared_ptr<const void> owner;
};

class api {
 public:
  api(api_options opt, const analysis::event_ring& ring, const analysis::session_table& sessions,
      const metrics_registry& metrics);
  // `path` without the query; `if_none_match` for static files. Reads the live traffic.
  http_reply handle(std::string_view method, std::string_view path, const query_params& q,
                    std::string_view if_none_match) const;
  // The same, reading `src` (a workspace). Every handler accepts workspace= (the caller chose
  // `src` from it).
  http_reply handle(std::string_view method, std::string_view path, const query_params& q,
                    std::string_view if_none_match, const data_source& src) const;
  const data_source& live() const noexcept { return live_; }

  http_reply pdus(const data_source& src, const query_params& q) const;
  http_reply pcap(const data_source& src, const query_params& q) const;
  http_reply sessions(const data_source& src, const query_params& q) const;
  http_reply metrics() const;
  http_reply protocol() const;
  http_reply timeline(const data_source& src, std::string_view id, const query_params& q) const;
  static void append_compliance(const data_source& src, std::string& out, std::uint64_t session);
  http_reply static_file(std::string_view path, std::string_view if_none_match) const;

 private:
  api_options opt_;
  data_source live_;
  const metrics_registry& metrics_;
  std::string protocol_json_;  // built once from the decoder's table
};

}  // namespace smppscope::web::detail
