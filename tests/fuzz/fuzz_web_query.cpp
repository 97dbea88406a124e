// libFuzzer target for the web API's query handling (web/detail/api.hpp, web/event_match.hpp):
// parse_query and percent_decode, every GET endpoint that takes parameters (/api/pdus,
// /api/sessions, /api/pcap, /api/sessions/ID/timeline) over a ring holding a few events, and the
// WebSocket filter message. The first input octet picks the endpoint, the rest is the query
// string (or the path's session id, or the filter message). Checked:
//   - a query that does not parse says why; one that parses survives a re-encode round trip;
//   - every reply is 200, 400 or 404, and a JSON reply parses as JSON ({"error":...} when not 200);
//   - the bind password stored in the ring never appears in any reply, raw or as hex (the PDU
//     JSON masks it, the pcap export redacts it whatever the query says), unless the request
//     itself spelled it out (error messages quote back what was wrong);
//   - a parsed filter message, written back with filter_json, parses again to the same JSON.
// Invariants broken -> abort().
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/web/detail/api.hpp"
#include "smppscope/web/event_match.hpp"
#include "smppscope/web/metrics.hpp"

namespace {

namespace c = smppscope::analysis;
namespace w = smppscope::web;
namespace wd = smppscope::web::detail;

void require(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view password = "Zq7pW9xK";
constexpr std::string_view password_hex = "5a713770573978";  // its first 7 octets as hex

std::vector<std::uint8_t> octets(std::string_view hex) {
  std::vector<std::uint8_t> v;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    v.push_back(std::uint8_t(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
  return v;
}

struct world {
  c::event_ring ring;
  c::session_table sessions;
  w::metrics_registry metrics;
  wd::api api;
  world()
      : api(wd::api_options{.pdus_default_limit = 100,
                            .pdus_max_limit = 1000,
                            .timeline = [](std::uint64_t s, std::int64_t) -> std::optional<std::string> {
                              if (s != 1) return std::nullopt;
                              return std::string("{\"session\":1,\"points\":[]}");
                            }},
            ring, sessions, metrics) {
    // bind_transceiver "smppclient1" / password, submit_sm UCS2 "Hi", its response, enquire_link.
    std::string bind_hex = "0000002A000000090000000000000001736D7070636C69656E743100";
    for (unsigned char ch : password) {
      static constexpr char d[] = "0123456789ABCDEF";
      bind_hex += d[ch >> 4];
      bind_hex += d[ch & 15];
    }
    bind_hex += "000034000000";  // NUL, system_type "", interface_version 0x34, ton, npi, address_range ""
    auto bind = octets(bind_hex);
    bind[3] = std::uint8_t(bind.size());
    const auto submit = octets(std::string("0000002D000000040000000000000002") + "0001013132333400" + "0101" +
                               "3536373800" + "00000000000000" + "080004" + "00480069");
    const auto resp = octets("0000001B80000004000000000000000230313233343536373839" "00");
    const auto enquire = octets("00000010000000150000000000000003");
    std::int64_t ts = 1'763'800'000'000'000;
    ring.append(c::event_type::session_open, 1, std::nullopt, ts++,
                std::string_view("{\"type\":\"session_open\",\"session\":1}"));
    ring.append(c::event_type::pdu, 1, c::direction::esme_to_smsc, ts++, bind);
    ring.append(c::event_type::pdu, 1, c::direction::esme_to_smsc, ts++, submit);
    ring.append(c::event_type::pdu, 1, c::direction::smsc_to_esme, ts++, resp);
    ring.append(c::event_type::pdu, 2, c::direction::esme_to_smsc, ts++, enquire);
    ring.append(c::event_type::alert, 1, std::nullopt, ts++,
                std::string_view("{\"type\":\"alert\",\"session\":1,\"kind\":\"window_full\",\"message\":\"10 of 10\"}"));
  }
};

world& the_world() {
  static world* w = new world();  // lives for the whole run
  return *w;
}

std::string encode_all(std::string_view s) {
  static constexpr char d[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    out += '%';
    out += d[ch >> 4];
    out += d[ch & 15];
  }
  return out;
}

// `echo`: what the request itself said (an error message may quote it back); when it holds the
// password, finding it in the reply proves nothing.
void check_reply(const wd::http_reply& r, std::string echo) {
  require(r.status == 200 || r.status == 400 || r.status == 404);
  const std::string raw = echo;
  smppscope::decoder::append_json_string(echo, raw);  // as a JSON error quotes it ("\u0015a...")
  for (char& ch : echo) ch = (ch >= 'A' && ch <= 'Z') ? char(ch - 'A' + 'a') : ch;
  std::string pw_lower(password);
  for (char& ch : pw_lower) ch = (ch >= 'A' && ch <= 'Z') ? char(ch - 'A' + 'a') : ch;
  if (echo.find(pw_lower) == std::string::npos) require(r.body.find(password) == std::string::npos);
  if (echo.find(password_hex) == std::string::npos) require(r.body.find(password_hex) == std::string::npos);
  if (r.content_type == "application/json") {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(r.body, ec);
    require(!ec);
    if (r.status != 200) require(v.is_object() && v.as_object().contains("error"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  world& wo = the_world();
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const unsigned which = data[0] % 6;

  if (which == 5) {  // the WebSocket filter message
    w::parse_error err;
    const auto m = w::parse_filter_message(rest, err);
    if (!m) {
      require(!err.message.empty());
      return 0;
    }
    const std::string j = w::filter_json(*m);
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(j, ec);
    require(!ec && v.is_object());
    std::string msg = "{\"type\":\"filter\"";
    for (const auto& [k, val] : v.as_object())
      msg += ",\"" + std::string(k) + "\":" + boost::json::serialize(val);
    msg += '}';
    const auto again = w::parse_filter_message(msg, err);
    require(again.has_value());
    require(w::filter_json(*again) == j);
    return 0;
  }
  if (which == 4) {  // the session id in /api/sessions/ID/timeline
    const std::string path = "/api/sessions/" + std::string(rest.substr(0, rest.find('?'))) + "/timeline";
    check_reply(wo.api.handle("GET", path, {}, ""), path);
    return 0;
  }

  std::string error;
  const auto q = wd::parse_query(rest, error);
  if (!q) {
    require(!error.empty());
    return 0;
  }
  // Round trip: every key and value percent-encoded in full parses back to the same items.
  std::string again;
  for (const auto& [k, v] : q->items) {
    if (!again.empty()) again += '&';
    again += encode_all(k) + '=' + encode_all(v);
  }
  const auto q2 = wd::parse_query(again, error);
  require(q2.has_value());
  // Items with an empty key and value are skipped on parse ("&&"), so compare the rest.
  std::vector<std::pair<std::string, std::string>> a, b;
  for (const auto& it : q->items)
    if (!it.first.empty() || !it.second.empty()) a.push_back(it);
  for (const auto& it : q2->items)
    if (!it.first.empty() || !it.second.empty()) b.push_back(it);
  require(a == b);

  static constexpr std::string_view paths[] = {"/api/pdus", "/api/sessions", "/api/pcap", "/api/pdus"};
  std::string echo(rest);
  for (const auto& [k, v] : q->items) echo += '\n' + k + '=' + v;
  check_reply(wo.api.handle("GET", paths[which], *q, ""), echo);
  return 0;
}
