// The CMPP PDU event JSON (layout in cmpp_json.hpp).
#include "smppscope/decoder/cmpp_json.hpp"

#include <charconv>
#include <cstdio>

namespace smppscope::decoder::cmpp {
namespace {

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void key(std::string& out, std::string_view k, bool comma = true) {
  if (comma) out += ',';
  out += '"';
  out += k;
  out += "\":";
}

void hex_string(std::string& out, bytes_view b) {
  out += '"';
  append_hex(out, b);
  out += '"';
}

void hex16(std::string& out, std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  out += '"';
  out.append(buf, 16);
  out += '"';
}

// The code table that names a field's values, if any.
std::optional<code_table> table_of(const pdu& p, std::string_view field) noexcept {
  const std::uint32_t id = p.hdr.command_id;
  if (field == "Status") return code_table::connect_status;
  if (field == "Result") {
    return id == static_cast<std::uint32_t>(command_id::deliver_resp) ? code_table::deliver_result : code_table::submit_result;
  }
  if (field == "Success_Id") return code_table::cancel_success;
  if (field == "Msg_Fmt") return code_table::msg_fmt;
  if (field == "Fee_UserType") return code_table::fee_user_type;
  if (field == "Registered_Delivery" && id == static_cast<std::uint32_t>(command_id::submit)) {
    return code_table::registered_delivery;
  }
  return std::nullopt;
}

void append_fields(std::string& out, const pdu& p) {
  if (!p.spec || p.field_count == 0) return;
  key(out, "fields");
  out += '{';
  for (std::size_t i = 0; i < p.field_count; ++i) {
    const field_spec& s = p.spec->fields[i];
    const field_value& v = p.fields[i];
    key(out, s.name, i != 0);
    switch (s.type) {
      case field_type::int8: hex16(out, v.integer); break;
      case field_type::int1:
      case field_type::int4:
      case field_type::count:
      case field_type::msg_length: append_int(out, v.integer); break;
      case field_type::octets: append_json_string(out, v.text()); break;
      case field_type::terminal_list: {
        out += '[';
        for (std::size_t k = 0; k < p.dest_count(); ++k) {
          if (k) out += ',';
          append_json_string(out, p.dest_terminal_id(k));
        }
        out += ']';
        break;
      }
      case field_type::binary:
      case field_type::msg_content:
      case field_type::raw: hex_string(out, v.raw); break;
    }
  }
  out += '}';
}

void append_padding(std::string& out, const pdu& p) {
  if (!p.spec) return;
  bool open = false;
  for (std::size_t i = 0; i < p.field_count; ++i) {
    const field_value& v = p.fields[i];
    if (p.spec->fields[i].type != field_type::octets || v.bytes.size() == v.raw.size()) continue;
    bool dirty = false;
    for (std::size_t k = v.bytes.size(); k < v.raw.size(); ++k) dirty |= v.raw[k] != 0;
    if (!dirty) continue;
    key(out, open ? p.spec->fields[i].name : "padding");
    if (!open) {
      out += '{';
      key(out, p.spec->fields[i].name, false);
      open = true;
    }
    hex_string(out, v.raw);
  }
  if (open) out += '}';
}

void append_names(std::string& out, const pdu& p) {
  if (!p.spec) return;
  bool open = false;
  auto name = [&](std::string_view field, std::string_view value) {
    if (value.empty()) return;
    if (!open) {
      key(out, "names");
      out += '{';
    }
    key(out, field, open);
    open = true;
    append_json_string(out, value);
  };
  for (std::size_t i = 0; i < p.field_count; ++i) {
    const field_spec& s = p.spec->fields[i];
    const field_value& v = p.fields[i];
    if (s.name == "Version") {
      const auto ver = version_from_byte(static_cast<std::uint8_t>(v.integer));
      char buf[8];
      std::snprintf(buf, sizeof buf, "%u.%u", static_cast<unsigned>(v.integer >> 4) & 0xF,
                    static_cast<unsigned>(v.integer) & 0xF);
      name(s.name, ver ? std::string_view(buf) : std::string_view("unknown"));
    } else if (s.name == "Timestamp") {
      const connect_time t = unpack_timestamp(static_cast<std::uint32_t>(v.integer));
      char buf[24];
      std::snprintf(buf, sizeof buf, "%02u-%02u %02u:%02u:%02u", t.month, t.day, t.hour, t.minute, t.second);
      name(s.name, buf);
    } else if (s.name == "FeeType") {
      name(s.name, fee_type_name(v.text()));
    } else if (const auto t = table_of(p, s.name)) {
      name(s.name, code_name(*t, static_cast<std::uint32_t>(v.integer), p.ver));
    }
  }
  if (open) out += '}';
}

void append_report(std::string& out, const status_report& r) {
  key(out, "report");
  out += "{\"Msg_Id\":";
  hex16(out, r.msg_id);
  key(out, "msg_id");
  append_msg_id_json(out, r.msg_id);
  key(out, "Stat");
  append_json_string(out, r.stat);
  key(out, "Submit_time");
  append_json_string(out, r.submit_time);
  key(out, "Done_time");
  append_json_string(out, r.done_time);
  key(out, "Dest_terminal_Id");
  append_json_string(out, r.dest_terminal_id);
  key(out, "SMSC_sequence");
  append_int(out, r.smsc_sequence);
  out += '}';
}

void append_message(std::string& out, const pdu& p) {
  if (p.is_status_report()) {
    if (const auto r = parse_status_report(p.msg_content(), p.ver)) append_report(out, *r);
    return;
  }
  const auto m = find_message(p);
  if (!m) return;
  const decoded_text t = decode_text(m->text_octets, p.msg_fmt().value_or(0));
  key(out, "text");
  append_json_string(out, t.utf8);
  key(out, "encoding");
  append_json_string(out, t.encoding);
  if (m->header) append_udh_json(out, *m->header);
  if (m->concat) {
    out += ",\"concat\":{\"ref\":";
    append_int(out, m->concat->ref);
    key(out, "total");
    append_int(out, m->concat->total);
    key(out, "seq");
    append_int(out, m->concat->seq);
    key(out, "source");
    append_json_string(out, concat_source_name(m->concat->source));
    out += '}';
  }
}

}  // namespace

void append_msg_id_json(std::string& out, std::uint64_t id) {
  const msg_id_parts m = unpack_msg_id(id);
  out += "{\"hex\":";
  hex16(out, id);
  key(out, "month");
  append_int(out, m.month);
  key(out, "day");
  append_int(out, m.day);
  key(out, "hour");
  append_int(out, m.hour);
  key(out, "minute");
  append_int(out, m.minute);
  key(out, "second");
  append_int(out, m.second);
  key(out, "gateway");
  append_int(out, m.gateway);
  key(out, "sequence");
  append_int(out, m.sequence);
  out += '}';
}

void append_pdu_json(std::string& out, const pdu& p, bytes_view frame, const json_context& ctx) {
  out += "{\"type\":\"pdu\"";
  if (ctx.event_id != 0) {
    key(out, "id");
    append_int(out, ctx.event_id);
  }
  out += ",\"protocol\":\"cmpp\",\"protocol_version\":\"";
  out += version_name(p.ver);
  out += '"';
  key(out, "session");
  append_int(out, ctx.session);
  key(out, "direction");
  append_json_string(out, ctx.direction);
  key(out, "ts_us");
  append_int(out, ctx.ts_us);
  key(out, "command");
  append_json_string(out, p.name());
  key(out, "command_id");
  append_int(out, p.hdr.command_id);
  const auto status = is_response(p.hdr.command_id) ? p.status() : std::nullopt;
  key(out, "command_status");
  append_int(out, status.value_or(0));
  key(out, "status_name");
  std::string_view sname;
  if (status) {
    for (std::string_view f : {"Status", "Result", "Success_Id"}) {
      if (p.field(f)) sname = code_name(*table_of(p, f), *status, p.ver);
    }
  }
  append_json_string(out, sname);
  key(out, "sequence_number");
  append_int(out, p.hdr.sequence_id);
  key(out, "command_length");
  append_int(out, p.hdr.total_length);
  append_fields(out, p);
  append_padding(out, p);
  append_names(out, p);
  if (const auto id = p.msg_id()) {
    key(out, "msg_id");
    append_msg_id_json(out, *id);
  }
  append_message(out, p);
  if (!p.trailing.empty()) {
    key(out, "trailing");
    hex_string(out, p.trailing);
  }
  if (ctx.include_hex) {
    key(out, "hex");
    hex_string(out, frame);
    // Where each field's octets are, so a viewer can highlight them without a copy of the table.
    key(out, "layout");
    out += "[[\"Total_Length\",0,4],[\"Command_Id\",4,4],[\"Sequence_Id\",8,4]";
    for (std::size_t i = 0; p.spec && i < p.field_count; ++i) {
      out += ",[";
      append_json_string(out, p.spec->fields[i].name);
      out += ',';
      append_int(out, static_cast<std::size_t>(p.fields[i].raw.data() - frame.data()));
      out += ',';
      append_int(out, p.fields[i].raw.size());
      out += ']';
    }
    out += ']';
  }
  if (!ctx.error.empty()) {
    key(out, "error");
    append_json_string(out, ctx.error);
  }
  out += '}';
}

}  // namespace smppscope::decoder::cmpp
