#include "smppscope/analysis/event.hpp"

#include <array>
#include <charconv>

#include "smppscope/decoder/cmpp_json.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace smppscope::analysis {

namespace {

constexpr std::array<std::string_view, event_type_count> type_names = {
    "pdu", "malformed", "session_open", "session_close", "upstream_failure", "alert", "alert_cleared",
    "capture_gap",
};

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// A CMPP pdu event: decoded with the layout of the version the analyzer recorded.
void append_cmpp_event_json(std::string& out, const event& e, decoder::bytes_view frame, const render_options& opt) {
  namespace cmpp = decoder::cmpp;
  const cmpp::version v = cmpp::version_from_byte(e.protocol).value_or(cmpp::version::v30);
  cmpp::pdu p;
  const cmpp::decode_error err = cmpp::decode(frame, v, p);
  std::string message;
  decoder::json_context ctx;
  ctx.session = e.session;
  ctx.direction = direction_name(e.dir.value_or(direction::esme_to_smsc));
  ctx.ts_us = e.ts_us;
  ctx.event_id = e.id;
  ctx.include_hex = opt.include_hex;
  if (err) {
    message = err.message(p);
    ctx.error = message;
  }
  cmpp::append_pdu_json(out, p, frame, ctx);
}

}  // namespace

std::string_view event_type_name(event_type t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < type_names.size() ? type_names[i] : std::string_view("unknown");
}

std::optional<event_type> parse_event_type(std::string_view name) noexcept {
  for (std::size_t i = 0; i < type_names.size(); ++i)
    if (type_names[i] == name) return static_cast<event_type>(i);
  return std::nullopt;
}

void append_event_json_head(std::string& out, event_type t, std::uint64_t session,
                            std::optional<direction> dir, std::int64_t ts_us) {
  out += "{\"type\":\"";
  out += event_type_name(t);
  out += "\",\"session\":";
  append_int(out, session);
  if (dir) {
    out += ",\"direction\":\"";
    out += direction_name(*dir);
    out += '"';
  }
  out += ",\"ts_us\":";
  append_int(out, ts_us);
}

std::string make_event_json(event_type t, std::uint64_t session, std::optional<direction> dir,
                            std::int64_t ts_us, std::string_view members) {
  std::string out;
  out.reserve(96 + members.size());
  append_event_json_head(out, t, session, dir, ts_us);
  if (!members.empty()) {
    out += ',';
    out += members;
  }
  out += '}';
  return out;
}

void append_event_json(std::string& out, const event& e, const render_options& opt) {
  if (e.type == event_type::pdu) {
    const decoder::bytes_view frame(reinterpret_cast<const std::uint8_t*>(e.payload.data()),
                                    e.payload.size());
    if (e.protocol != protocol_smpp) {
      append_cmpp_event_json(out, e, frame, opt);
      return;
    }
    decoder::pdu p;
    const decoder::decode_error err = decoder::decode(frame, p);
    std::string message;
    decoder::json_context ctx;
    ctx.session = e.session;
    ctx.direction = direction_name(e.dir.value_or(direction::esme_to_smsc));
    ctx.ts_us = e.ts_us;
    ctx.event_id = e.id;
    ctx.include_hex = opt.include_hex;
    if (err) {
      message = err.message(p);
      ctx.error = message;
    }
    std::shared_ptr<const decoder::vendor_names> names;
    if (opt.annotate) ctx.vendor = (names = opt.annotate->vendor_names(e.session)).get();
    decoder::append_pdu_json(out, p, frame, ctx);
    if (opt.annotate) {  // reopen the object for the annotator's members
      out.pop_back();
      opt.annotate->append_members(out, e);
      out += '}';
    }
    return;
  }
  const std::string_view body = e.payload;
  out += "{\"id\":";
  append_int(out, e.id);
  if (body.size() >= 2 && body.front() == '{' && body.back() == '}') {
    if (body.size() > 2) {
      out += ',';
      out.append(body.substr(1));
    } else {
      out += '}';
    }
    return;
  }
  // Not an object (should not happen): keep it as a string member.
  out += ",\"type\":\"";
  out += event_type_name(e.type);
  out += "\",\"session\":";
  append_int(out, e.session);
  out += ",\"ts_us\":";
  append_int(out, e.ts_us);
  out += ",\"payload\":";
  decoder::append_json_string(out, body);
  out += '}';
}

std::string event_json(const event& e, const render_options& opt) {
  std::string out;
  append_event_json(out, e, opt);
  return out;
}

}  // namespace smppscope::analysis
