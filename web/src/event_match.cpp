#include "smppscope/web/event_match.hpp"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>

#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/protocol.hpp"

namespace smppscope::web {

namespace {

namespace json = boost::json;
using analysis::event_type;

constexpr std::uint32_t type_bit(event_type t) noexcept { return 1u << static_cast<unsigned>(t); }

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool icontains(std::string_view hay, std::string_view needle_lower) noexcept {
  if (needle_lower.empty()) return true;
  if (hay.size() < needle_lower.size()) return false;
  const std::size_t last = hay.size() - needle_lower.size();
  for (std::size_t i = 0; i <= last; ++i) {
    std::size_t k = 0;
    while (k < needle_lower.size() && lower(hay[i + k]) == needle_lower[k]) ++k;
    if (k == needle_lower.size()) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::uint32_t be32(const std::string& p, std::size_t at) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(p.data()) + at;
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
}

// A CMPP command name, case-insensitive (the UI lower-cases names), in either version's table
// (CMPP_GET_ROUTE is 2.0's name of 3.0's CMPP_GET_MT_ROUTE).
const std::uint32_t* cmpp_command_id(std::string_view name) {
  std::string upper(name);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (const auto v : {decoder::cmpp::version::v30, decoder::cmpp::version::v20})
    if (const decoder::cmpp::command_spec* spec = decoder::cmpp::find_command(upper, v)) return &spec->id;
  return nullptr;
}

bool command_matches(const command_match& c, const analysis::event& e, std::uint32_t id) noexcept {
  if (c.id != id) return false;
  const bool cmpp = e.protocol != analysis::protocol_smpp;
  return c.protocol == command_protocol::either || (c.protocol == command_protocol::cmpp) == cmpp;
}

// CMPP: the response's Status / Result / Success_Id (header-only PDUs and requests: 0).
std::optional<std::uint32_t> cmpp_status(const analysis::event& e) noexcept {
  const decoder::bytes_view frame(reinterpret_cast<const std::uint8_t*>(e.payload.data()), e.payload.size());
  decoder::cmpp::pdu p;
  if (decoder::cmpp::decode(frame, decoder::cmpp::version_from_byte(e.protocol).value_or(decoder::cmpp::version::v30), p))
    return std::nullopt;
  return decoder::cmpp::is_response(p.hdr.command_id) ? p.status().value_or(0) : 0;
}

bool pdu_is_error(const analysis::event& e) noexcept {
  if (e.protocol != analysis::protocol_smpp) {  // CMPP: a response's Status / Result, or no decode
    const decoder::bytes_view frame(reinterpret_cast<const std::uint8_t*>(e.payload.data()), e.payload.size());
    decoder::cmpp::pdu p;
    if (decoder::cmpp::decode(frame, decoder::cmpp::version_from_byte(e.protocol).value_or(decoder::cmpp::version::v30), p))
      return true;
    return decoder::cmpp::is_response(p.hdr.command_id) && p.status().value_or(0) != 0;
  }
  if (e.payload.size() < decoder::header_size) return true;
  if (be32(e.payload, 8) != 0) return true;
  const decoder::bytes_view frame(reinterpret_cast<const std::uint8_t*>(e.payload.data()),
                                  e.payload.size());
  decoder::pdu p;
  return static_cast<bool>(decoder::decode(frame, p));
}

}  // namespace

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::vector<command_match>> parse_commands(std::string_view list, parse_error& err) {
  std::vector<command_match> out;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    if (const decoder::pdu_spec* spec = decoder::find_pdu(to_lower(item))) {
      out.push_back({spec->id, command_protocol::smpp});
      continue;
    }
    if (const std::uint32_t* id = cmpp_command_id(item)) {
      out.push_back({*id, command_protocol::cmpp});
      continue;
    }
    const auto n = parse_u64(item);
    if (!n || *n > 0xFFFFFFFFu) {
      err.message = "command: unknown command '" + std::string(item) +
                    "' (use a name like submit_sm or CMPP_SUBMIT, or a number like 0x00000004)";
      return std::nullopt;
    }
    out.push_back({static_cast<std::uint32_t>(*n), command_protocol::either});
  }
  return out;
}

std::optional<analysis::direction> parse_direction(std::string_view s, parse_error& err) {
  s = trim(s);
  if (s == "esme_to_smsc") return analysis::direction::esme_to_smsc;
  if (s == "smsc_to_esme") return analysis::direction::smsc_to_esme;
  err.message = "direction: must be esme_to_smsc or smsc_to_esme, not '" + std::string(s) + "'";
  return std::nullopt;
}

bool parse_status(std::string_view s, event_match& m, parse_error& err) {
  s = trim(s);
  if (s == "ok") {
    m.status = status_match::ok;
    return true;
  }
  if (s == "error" || s == "errors") {
    m.status = status_match::error;
    return true;
  }
  const auto n = parse_u64(s);
  if (!n || *n > 0xFFFFFFFFu) {
    err.message = "status: must be ok, error or a command_status number, not '" + std::string(s) + "'";
    return false;
  }
  m.status = status_match::value;
  m.status_value = static_cast<std::uint32_t>(*n);
  return true;
}

std::optional<std::uint32_t> parse_types(std::string_view list, parse_error& err) {
  std::uint32_t bits = 0;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    if (item == "all") return 0u;
    const auto t = analysis::parse_event_type(item);
    if (!t) {
      err.message = "type: unknown event type '" + std::string(item) +
                    "' (pdu, malformed, session_open, session_close, upstream_failure, alert, "
                    "alert_cleared or all)";
      return std::nullopt;
    }
    bits |= type_bit(*t);
  }
  return bits;
}

bool event_match::matches_everything() const noexcept {
  return !session && commands.empty() && !dir && status == status_match::any && text.empty() &&
         types == 0;
}

bool event_match::keep_info(const analysis::event_info& e) const noexcept {
  if (!wants_type(e.type)) return false;
  if (session && e.session != *session) return false;
  if (dir && e.dir != dir) return false;
  if (!commands.empty() && e.type != event_type::pdu) return false;
  switch (status) {
    case status_match::any: break;
    case status_match::ok:
    case status_match::value:
      if (e.type != event_type::pdu) return false;
      break;
    case status_match::error:
      if (e.type != event_type::pdu && e.type != event_type::malformed &&
          e.type != event_type::upstream_failure)
        return false;
      break;
  }
  return true;
}

bool event_match::keep(const analysis::event& e, std::string_view json) const noexcept {
  if (!keep_info(e)) return false;
  if (e.type == event_type::pdu) {
    const bool has_header = e.payload.size() >= decoder::header_size;
    if (!commands.empty()) {
      if (!has_header) return false;
      const std::uint32_t id = be32(e.payload, 4);  // Command_Id at offset 4 in both protocols
      if (std::none_of(commands.begin(), commands.end(),
                       [&](const command_match& c) { return command_matches(c, e, id); }))
        return false;
    }
    switch (status) {
      case status_match::any: break;
      case status_match::ok:
        if (pdu_is_error(e)) return false;
        break;
      case status_match::error:
        if (!pdu_is_error(e)) return false;
        break;
      case status_match::value:
        if (e.protocol != analysis::protocol_smpp) {
          if (cmpp_status(e) != status_value) return false;
        } else if (!has_header || be32(e.payload, 8) != status_value) {
          return false;
        }
        break;
    }
  }
  return text.empty() || json_values_contain(json, text);
}

bool json_values_contain(std::string_view json, std::string_view needle_lower) noexcept {
  const std::size_t n = json.size();
  bool skip_value = false;
  std::size_t i = 0;
  while (i < n) {
    const char c = json[i];
    if (c != '"') {
      if (c == ',') skip_value = false;
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < n && json[j] != '"') j += json[j] == '\\' ? 2 : 1;
    if (j > n) j = n;
    const std::string_view literal = json.substr(i + 1, j - i - 1);
    std::size_t k = j + 1;
    while (k < n && (json[k] == ' ' || json[k] == '\n' || json[k] == '\t' || json[k] == '\r')) ++k;
    if (k < n && json[k] == ':') {
      skip_value = literal == "hex";
    } else {
      if (!skip_value && icontains(literal, needle_lower)) return true;
      skip_value = false;
    }
    i = j + 1;
  }
  return false;
}

std::optional<event_match> parse_filter_message(std::string_view json_text, parse_error& err) {
  boost::system::error_code ec;
  const json::value v = json::parse(json_text, ec);
  if (ec || !v.is_object()) {
    err.message = "filter: not a JSON object";
    return std::nullopt;
  }
  const json::object& o = v.as_object();
  const json::value* type = o.if_contains("type");
  if (!type || !type->is_string() || type->as_string() != "filter") {
    err.message = "message: \"type\" must be \"filter\"";
    return std::nullopt;
  }
  event_match m;
  // A member given as a string list ("a,b") or an array of strings.
  auto list_text = [&](const json::value& x, std::string_view name, std::string& out) {
    if (x.is_string()) {
      out = std::string(x.as_string());
      return true;
    }
    if (x.is_array()) {
      for (const json::value& item : x.as_array()) {
        if (item.is_string()) {
          if (!out.empty()) out += ',';
          out += std::string_view(item.as_string());
        } else if (item.is_int64() || item.is_uint64()) {
          if (!out.empty()) out += ',';
          out += std::to_string(item.is_int64() ? static_cast<std::uint64_t>(item.as_int64())
                                                : item.as_uint64());
        } else {
          err.message = "filter: " + std::string(name) + " must hold strings";
          return false;
        }
      }
      return true;
    }
    err.message = "filter: " + std::string(name) + " must be a string or an array of strings";
    return false;
  };
  for (const auto& [key, val] : o) {
    if (val.is_null() || key == "type") continue;
    if (key == "session") {
      if (val.is_uint64()) m.session = val.as_uint64();
      else if (val.is_int64() && val.as_int64() >= 0) m.session = static_cast<std::uint64_t>(val.as_int64());
      else if (val.is_string() && val.as_string().empty()) continue;
      else if (val.is_string() && parse_u64(val.as_string())) m.session = parse_u64(val.as_string());
      else {
        err.message = "filter: session must be a session id";
        return std::nullopt;
      }
    } else if (key == "commands" || key == "command") {
      std::string list;
      if (!list_text(val, key, list)) return std::nullopt;
      auto ids = parse_commands(list, err);
      if (!ids) return std::nullopt;
      m.commands = std::move(*ids);
    } else if (key == "direction") {
      if (!val.is_string()) {
        err.message = "filter: direction must be esme_to_smsc or smsc_to_esme";
        return std::nullopt;
      }
      if (val.as_string().empty()) continue;
      auto d = parse_direction(val.as_string(), err);
      if (!d) return std::nullopt;
      m.dir = d;
    } else if (key == "errors_only") {
      if (!val.is_bool()) {
        err.message = "filter: errors_only must be true or false";
        return std::nullopt;
      }
      if (val.as_bool()) m.status = status_match::error;
    } else if (key == "status") {
      std::string s;
      if (val.is_string()) s = std::string(val.as_string());
      else if (val.is_int64() || val.is_uint64()) s = json::serialize(val);
      else {
        err.message = "filter: status must be ok, error or a number";
        return std::nullopt;
      }
      if (!parse_status(s, m, err)) return std::nullopt;
    } else if (key == "text") {
      if (!val.is_string()) {
        err.message = "filter: text must be a string";
        return std::nullopt;
      }
      m.text = to_lower(val.as_string());
    } else if (key == "types") {
      std::string list;
      if (!list_text(val, key, list)) return std::nullopt;
      auto bits = parse_types(list, err);
      if (!bits) return std::nullopt;
      m.types = *bits;
    } else {
      err.message = "filter: unknown member \"" + std::string(key) +
                    "\" (session, commands, direction, errors_only, status, text, types)";
      return std::nullopt;
    }
  }
  return m;
}

std::string filter_json(const event_match& m) {
  std::string out = "{";
  auto sep = [&] {
    if (out.size() > 1) out += ',';
  };
  if (m.session) {
    sep();
    out += "\"session\":" + std::to_string(*m.session);
  }
  if (!m.commands.empty()) {
    sep();
    out += "\"commands\":[";
    for (std::size_t i = 0; i < m.commands.size(); ++i) {
      if (i) out += ',';
      const command_match& c = m.commands[i];
      const decoder::pdu_spec* spec = c.protocol == command_protocol::smpp ? decoder::find_pdu(c.id) : nullptr;
      const std::string_view cmpp_name = c.protocol == command_protocol::cmpp
                                             ? decoder::cmpp::command_name(c.id, decoder::cmpp::version::v30)
                                             : std::string_view();
      if (spec) decoder::append_json_string(out, spec->name);
      else if (!cmpp_name.empty()) decoder::append_json_string(out, cmpp_name);
      else out += std::to_string(c.id);
    }
    out += ']';
  }
  if (m.dir) {
    sep();
    out += "\"direction\":\"";
    out += analysis::direction_name(*m.dir);
    out += '"';
  }
  if (m.status != status_match::any) {
    sep();
    out += "\"status\":";
    if (m.status == status_match::ok) out += "\"ok\"";
    else if (m.status == status_match::error) out += "\"error\"";
    else out += std::to_string(m.status_value);
  }
  if (!m.text.empty()) {
    sep();
    out += "\"text\":";
    decoder::append_json_string(out, m.text);
  }
  if (m.types) {
    sep();
    out += "\"types\":[";
    bool first = true;
    for (std::size_t t = 0; t < analysis::event_type_count; ++t) {
      if (!(m.types & (1u << t))) continue;
      if (!first) out += ',';
      first = false;
      out += '"';
      out += analysis::event_type_name(static_cast<event_type>(t));
      out += '"';
    }
    out += ']';
  }
  out += '}';
  return out;
}

}  // namespace smppscope::web
