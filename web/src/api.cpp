#include "smppscope/web/detail/api.hpp"

#include <algorithm>
#include <ctime>

#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/pcap_writer.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/protocol.hpp"
#include "smppscope/web/event_match.hpp"
#include "smppscope/web/metrics.hpp"

namespace smppscope::web::detail {

namespace {

using analysis::event_type;

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view field_type_name(decoder::field_type t) noexcept {
  using decoder::field_type;
  switch (t) {
    case field_type::int1: return "int1";
    case field_type::int2: return "int2";
    case field_type::int4: return "int4";
    case field_type::c_string: return "c_string";
    case field_type::time: return "time";
    case field_type::sm_length: return "sm_length";
    case field_type::octet_string: return "octet_string";
    case field_type::count: return "count";
    case field_type::dest_list: return "dest_list";
    case field_type::unsuccess_list: return "unsuccess_list";
    case field_type::c_string_list: return "c_string_list";
  }
  return "unknown";
}

std::string_view tlv_type_name(decoder::tlv_type t) noexcept {
  using decoder::tlv_type;
  switch (t) {
    case tlv_type::empty: return "empty";
    case tlv_type::int1: return "int1";
    case tlv_type::int2: return "int2";
    case tlv_type::int4: return "int4";
    case tlv_type::c_string: return "c_string";
    case tlv_type::octets: return "octets";
    case tlv_type::composite: return "composite";
  }
  return "unknown";
}

// The decoder's table as JSON, for the UI's labels and its field-offset walk over the hex.
std::string make_protocol_json() {
  std::string out = "{\"pdus\":[";
  bool first = true;
  for (const decoder::pdu_spec& p : decoder::all_pdus()) {
    if (!first) out += ',';
    first = false;
    out += "{\"id\":" + std::to_string(p.id) + ",\"name\":";
    decoder::append_json_string(out, p.name);
    out += ",\"versions\":" + std::to_string(p.versions);
    out += ",\"tlvs_allowed\":";
    out += p.tlvs_allowed ? "true" : "false";
    out += ",\"fields\":[";
    for (std::size_t i = 0; i < p.fields.size(); ++i) {
      if (i) out += ',';
      out += "{\"name\":";
      decoder::append_json_string(out, p.fields[i].name);
      out += ",\"type\":\"";
      out += field_type_name(p.fields[i].type);
      out += "\",\"max_len\":" + std::to_string(p.fields[i].max_len) + '}';
    }
    out += "]}";
  }
  out += "],\"tlvs\":[";
  first = true;
  for (const decoder::tlv_spec& t : decoder::all_tlvs()) {
    if (!first) out += ',';
    first = false;
    out += "{\"tag\":" + std::to_string(t.tag) + ",\"name\":";
    decoder::append_json_string(out, t.name);
    out += ",\"type\":\"";
    out += tlv_type_name(t.type);
    out += "\",\"vendor\":";
    decoder::append_json_string(out, t.vendor);
    out += '}';
  }
  out += "],\"statuses\":[";
  first = true;
  for (const decoder::status_spec& s : decoder::all_statuses()) {
    if (!first) out += ',';
    first = false;
    out += "{\"value\":" + std::to_string(s.value) + ",\"name\":";
    decoder::append_json_string(out, s.name);
    out += ",\"description\":";
    decoder::append_json_string(out, s.description);
    out += ",\"vendor\":";
    decoder::append_json_string(out, s.vendor);
    out += '}';
  }
  out += "]}";
  return out;
}

bool parse_bool(std::string_view s, bool& out) noexcept {
  if (s == "1" || s == "true" || s == "yes") out = true;
  else if (s == "0" || s == "false" || s == "no") out = false;
  else return false;
  return true;
}

std::string utc_stamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

}  // namespace

const std::string* query_params::find(std::string_view key) const noexcept {
  for (const auto& [k, v] : items)
    if (k == key) return &v;
  return nullptr;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<query_params> parse_query(std::string_view query, std::string& error) {
  query_params q;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    auto key = percent_decode(item.substr(0, eq), true);
    auto val = percent_decode(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1), true);
    if (!key || !val) {
      error = "bad percent-encoding in query parameter '" + std::string(item) + "'";
      return std::nullopt;
    }
    q.items.emplace_back(std::move(*key), std::move(*val));
  }
  return q;
}

http_reply json_error(unsigned status, std::string_view message) {
  http_reply r;
  r.status = status;
  r.body = "{\"error\":";
  decoder::append_json_string(r.body, message);
  r.body += '}';
  return r;
}

api::api(api_options opt, const analysis::event_ring& ring, const analysis::session_table& sessions,
         const metrics_registry& metrics)
    : opt_(opt),
      live_{.ring = &ring,
            .sessions = &sessions,
            .timeline = opt_.timeline,
            .annotate = opt_.annotate,
            .session_compliance = opt_.session_compliance,
            .owner = nullptr},
      metrics_(metrics), protocol_json_(make_protocol_json()) {}

http_reply api::handle(std::string_view method, std::string_view path, const query_params& q,
                       std::string_view if_none_match) const {
  return handle(method, path, q, if_none_match, live_);
}

http_reply api::handle(std::string_view method, std::string_view path, const query_params& q,
                       std::string_view if_none_match, const data_source& src) const {
  const bool get = method == "GET" || method == "HEAD";
  auto only_get = [&]() {
    http_reply r = json_error(405, "method " + std::string(method) + " not allowed on " +
                                       std::string(path) + " (use GET)");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  };
  if (path == "/healthz") {
    if (!get) return only_get();
    http_reply r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok\n";
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  if (path == "/metrics") return get ? metrics() : only_get();
  if (path == "/api/sessions") return get ? sessions(src, q) : only_get();
  if (path == "/api/pdus") return get ? pdus(src, q) : only_get();
  if (path == "/api/pcap") return get ? pcap(src, q) : only_get();
  if (path == "/api/protocol") return get ? protocol() : only_get();
  if (path.starts_with("/api/sessions/") && path.ends_with("/timeline")) {
    if (!get) return only_get();
    const std::string_view id = path.substr(14, path.size() - 14 - 9);
    return timeline(src, id, q);
  }
  if (path.starts_with("/api/") || path == "/api")
    return json_error(404, "no such API endpoint: " + std::string(path) +
                               " (see /api/sessions, /api/pdus, /api/pcap, /api/protocol, /api/workspaces, /api/captures)");
  if (get) return static_file(path, if_none_match);
  return json_error(404, "not found: " + std::string(path));
}

http_reply api::static_file(std::string_view path, std::string_view if_none_match) const {
  const ui_asset* a = find_ui_asset(path);
  if (!a) return json_error(404, "not found: " + std::string(path));
  http_reply r;
  r.headers.emplace_back("ETag", std::string(a->etag));
  // Revalidate every time (cheap 304s), so a new build's UI is picked up at once.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (a->path == "/index.html") {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                           "style-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  if (!if_none_match.empty() && if_none_match.find(a->etag) != std::string_view::npos) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = std::string(a->content_type);
  r.asset = a;
  return r;
}

http_reply api::sessions(const data_source& src, const query_params& q) const {
  http_reply r;
  if (const std::string* s = q.find("session")) {
    const auto id = parse_u64(*s);
    if (!id) return json_error(400, "session: must be a session id, not '" + *s + "'");
    const auto info = src.sessions->get(*id);
    if (!info) return json_error(404, "session " + *s + " is not known (closed long ago?)");
    r.body = "[";
    analysis::append_session_json(r.body, *info);
    append_compliance(src, r.body, info->id);
    r.body += ']';
  } else if (src.session_compliance) {
    r.body = "[";
    for (const auto& s : src.sessions->snapshot()) {
      if (r.body.size() > 1) r.body += ',';
      analysis::append_session_json(r.body, s);
      append_compliance(src, r.body, s.id);
    }
    r.body += ']';
  } else {
    r.body = src.sessions->json();
  }
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// Adds "compliance" (the session's provider-profile summary) to the session object just written.
void api::append_compliance(const data_source& src, std::string& out, std::uint64_t session) {
  if (!src.session_compliance || out.empty() || out.back() != '}') return;
  const auto c = src.session_compliance(session);
  if (!c) return;
  out.pop_back();
  out += ",\"compliance\":";
  out += *c;
  out += '}';
}

http_reply api::timeline(const data_source& src, std::string_view id, const query_params& q) const {
  const auto session = parse_u64(id);
  if (!session) return json_error(400, "session: must be a session id, not '" + std::string(id) + "'");
  std::int64_t since = 0;
  for (const auto& [key, val] : q.items) {
    if (key == "since") {
      const auto n = parse_u64(val);
      if (!n || *n > static_cast<std::uint64_t>(INT64_MAX))
        return json_error(400, "since: must be a unix time in seconds, not '" + val + "'");
      since = static_cast<std::int64_t>(*n);
    } else if (key != "token" && key != "workspace") {
      return json_error(400, "unknown parameter '" + key + "' (since, workspace)");
    }
  }
  if (!src.timeline) return json_error(404, "session timelines need the diagnostics (not enabled)");
  auto body = src.timeline(*session, since);
  if (!body) return json_error(404, "session " + std::to_string(*session) + " is not known (closed long ago?)");
  http_reply r;
  r.body = std::move(*body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http_reply api::metrics() const {
  http_reply r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_.render();
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http_reply api::protocol() const {
  http_reply r;
  r.body = protocol_json_;
  r.headers.emplace_back("Cache-Control", "max-age=3600");
  return r;
}

// Every event type by default: a malformed stream, alerts and session events belong to the
// history as much as PDUs (type= narrows; command=/status= keep only what they can match).
//
// Two passes keep memory bounded: the ids that pass the metadata filter are collected without
// copying a payload, then events are copied one at a time, rendered and added until `limit`
// events or max_response_bytes. Without after= the newest are wanted, so the second pass walks
// backward and the pieces are joined oldest first. A cut response names its continuation:
// X-Next-After (forward, with after=) or X-Next-Before (older events, without after=).
http_reply api::pdus(const data_source& src, const query_params& q) const {
  const analysis::event_ring& ring = *src.ring;
  event_match m;
  std::size_t limit = opt_.pdus_default_limit;
  std::optional<std::uint64_t> after, before;
  bool hex = true;
  parse_error err;
  for (const auto& [key, val] : q.items) {
    if (key == "session") {
      if (val.empty()) continue;
      m.session = parse_u64(val);
      if (!m.session) return json_error(400, "session: must be a session id, not '" + val + "'");
    } else if (key == "limit") {
      const auto n = parse_u64(val);
      if (!n || *n == 0 || *n > opt_.pdus_max_limit)
        return json_error(400, "limit: must be a number from 1 to " +
                                   std::to_string(opt_.pdus_max_limit) + ", not '" + val + "'");
      limit = static_cast<std::size_t>(*n);
    } else if (key == "command") {
      if (val.empty()) continue;
      auto ids = parse_commands(val, err);
      if (!ids) return json_error(400, err.message);
      m.commands = std::move(*ids);
    } else if (key == "status") {
      if (val.empty()) continue;
      if (!parse_status(val, m, err)) return json_error(400, err.message);
    } else if (key == "direction") {
      if (val.empty()) continue;
      m.dir = parse_direction(val, err);
      if (!m.dir) return json_error(400, err.message);
    } else if (key == "text") {
      m.text.clear();
      for (char c : val) m.text += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    } else if (key == "type") {
      auto bits = parse_types(val, err);
      if (!bits) return json_error(400, err.message);
      m.types = *bits;
    } else if (key == "after" || key == "before") {
      const auto n = parse_u64(val);
      if (!n) return json_error(400, key + ": must be an event id from 0 to 18446744073709551615, not '" + val + "'");
      (key == "after" ? after : before) = n;
    } else if (key == "hex") {
      if (!parse_bool(val, hex)) return json_error(400, "hex: must be 0 or 1, not '" + val + "'");
    } else if (key != "token" && key != "workspace") {
      return json_error(400, "unknown parameter '" + key +
                                 "' (session, limit, command, status, direction, text, type, "
                                 "after, before, hex, workspace)");
    }
  }

  const std::uint64_t last = ring.last_id();
  std::uint64_t upper = last;  // newest id wanted
  if (before) upper = std::min(upper, *before == 0 ? 0 : *before - 1);
  http_reply r;
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Smppscope-Last-Id", std::to_string(last));
  // after= at or past the newest id (2^64-1 included) asks for nothing yet: never wrap round.
  if (upper == 0 || (after && *after >= upper)) {
    r.body = "[]";
    return r;
  }

  const bool payload_filters = !m.commands.empty() || m.status != status_match::any || !m.text.empty();
  // Pass 1: candidate ids in walking order (forward with after=, newest first without).
  // Without payload filters every candidate is kept, so limit + 1 say whether more exist.
  std::vector<std::uint64_t> ids;
  const std::size_t max_ids = payload_filters ? ring.options().max_events : limit + 1;
  const analysis::event_filter collect = [&](const analysis::event_info& e) {
    if (ids.size() < max_ids && e.id <= upper && (!after || e.id > *after) && m.keep_info(e))
      ids.push_back(e.id);
    return false;  // never copy a payload here
  };
  if (after) (void)ring.read_since(*after, 1, collect);
  else (void)ring.read_last(1, collect);

  // Pass 2.
  analysis::render_options ropt;
  ropt.include_hex = hex;
  ropt.annotate = src.annotate;
  std::vector<std::pair<std::uint64_t, std::string>> pieces;  // rendered events, walking order
  std::size_t bytes = 2, i = 0;
  std::string one;
  for (; i < ids.size() && pieces.size() < limit; ++i) {
    const std::optional<analysis::event> e = ring.get(ids[i]);
    if (!e) continue;  // overwritten since pass 1
    one.clear();
    if (!m.text.empty()) analysis::append_event_json(one, *e, ropt);
    if (payload_filters && !m.keep(*e, one)) continue;
    if (one.empty()) analysis::append_event_json(one, *e, ropt);
    if (!pieces.empty() && bytes + one.size() + 1 > opt_.max_response_bytes) break;
    bytes += one.size() + 1;
    pieces.emplace_back(e->id, std::move(one));
    one = std::string();
  }
  const bool more = i < ids.size();
  if (!after) std::reverse(pieces.begin(), pieces.end());
  r.body.reserve(bytes);
  r.body += '[';
  for (auto& [id, json] : pieces) {
    if (r.body.size() > 1) r.body += ',';
    r.body += json;
    std::string().swap(json);
  }
  r.body += ']';
  if (more && !pieces.empty()) {
    if (after) r.headers.emplace_back("X-Next-After", std::to_string(pieces.back().first));
    else r.headers.emplace_back("X-Next-Before", std::to_string(pieces.front().first));
  }
  return r;
}

// Streamed piecewise: a few events are copied from the ring per piece, never the whole ring;
// the export ends at the newest event held when the request came in.
http_reply api::pcap(const data_source& src, const query_params& q) const {
  std::optional<std::uint64_t> session;
  analysis::pcap_export_options popt;
  for (const auto& [key, val] : q.items) {
    if (key == "session") {
      if (val.empty()) continue;
      session = parse_u64(val);
      if (!session) return json_error(400, "session: must be a session id, not '" + val + "'");
    } else if (key == "legs") {
      const auto legs = analysis::parse_pcap_legs(val);
      if (!legs) return json_error(400, "legs: must be client, upstream or both, not '" + val + "'");
      popt.legs = *legs;
    } else if (key == "format") {
      const auto format = analysis::parse_pcap_format(val);
      if (!format) return json_error(400, "format: must be pcap or pcapng, not '" + val + "'");
      popt.format = *format;
    } else if (key != "token" && key != "workspace") {
      return json_error(400, "unknown parameter '" + key + "' (session, legs, format, workspace)");
    }
  }
  // pcapng: the packets carry the analysis' findings as comments (alerts and gaps from the ring,
  // response latency, profile lints).
  const bool ng = popt.format == analysis::pcap_format::pcapng;
  if (ng) popt.annotate = opt_.annotate;
  struct producer_state {
    producer_state(const analysis::event_ring& ring, const analysis::session_table& sessions,
                   const analysis::pcap_export_options& popt, std::optional<std::uint64_t> session,
                   std::size_t piece_bytes, std::shared_ptr<const void> owner)
        : owner(std::move(owner)), ring(ring), out(analysis::endpoints_from(sessions), popt), session(session),
          upper(ring.last_id()), piece_bytes(std::max<std::size_t>(piece_bytes, 4096)) {}
    std::shared_ptr<const void> owner;  // a workspace's ring lives while the export is written
    const analysis::event_ring& ring;
    analysis::pcap_export out;
    std::optional<std::uint64_t> session;
    std::uint64_t upper, cursor = 0;
    std::size_t piece_bytes;
    bool started = false;
  };
  auto st = std::make_shared<producer_state>(*src.ring, *src.sessions, popt, session, opt_.pcap_piece_bytes,
                                            src.owner);
  http_reply r;
  r.content_type = ng ? "application/x-pcapng" : "application/vnd.tcpdump.pcap";
  r.stream = [st, ng, format = popt.format](std::string& out) -> bool {
    if (!st->started) {
      st->started = true;
      analysis::pcap_export::header(out, format);
    }
    const analysis::event_filter keep = [&](const analysis::event_info& e) {
      const bool wanted = e.type == event_type::pdu ||
                          (ng && (e.type == event_type::alert || e.type == event_type::alert_cleared ||
                                  e.type == event_type::malformed || e.type == event_type::capture_gap));
      return e.id <= st->upper && wanted && (!st->session || e.session == *st->session);
    };
    constexpr std::size_t events_per_read = 16;
    while (out.size() < st->piece_bytes) {
      if (st->cursor >= st->upper) {
        st->out.finish(out);
        return false;
      }
      const auto events = st->ring.read_since(st->cursor, events_per_read, keep);
      if (events.empty()) st->cursor = st->upper;
      for (const analysis::event& e : events) {
        st->cursor = e.id;
        st->out.add(e, out);
      }
    }
    return true;
  };
  std::string name = "smppscope";
  if (session) name += "-session-" + std::to_string(*session);
  name += '-' + utc_stamp() + std::string(analysis::pcap_format_extension(popt.format));
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace smppscope::web::detail
