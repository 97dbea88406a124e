// CMPP decode and encode, both driven by the command tables of cmpp_protocol.cpp.
#include <cstring>
#include <stdexcept>
#include <string>

#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::decoder::cmpp {
namespace {

std::uint64_t get_be(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = n; i-- > 0;) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

bytes_view cut_at_nul(bytes_view b) noexcept {
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(b.data(), 0, b.size()));
  return nul ? b.first(static_cast<std::size_t>(nul - b.data())) : b;
}

bool is_int(field_type t) noexcept {
  return t == field_type::int1 || t == field_type::int4 || t == field_type::int8 || t == field_type::count ||
         t == field_type::msg_length;
}

std::string_view errc_text(decode_errc c) noexcept {
  switch (c) {
    case decode_errc::none: return "no error";
    case decode_errc::short_header: return "PDU shorter than the 12-octet header";
    case decode_errc::length_mismatch: return "Total_Length differs from the octets present";
    case decode_errc::truncated_field: return "field runs past Total_Length";
    case decode_errc::msg_length_overrun: return "Msg_Length exceeds the octets left";
    case decode_errc::count_overrun: return "DestUsr_tl entries run past Total_Length";
  }
  return "error";
}

}  // namespace

bool operator==(const field_value& a, const field_value& b) noexcept {
  return a.integer == b.integer && std::equal(a.raw.begin(), a.raw.end(), b.raw.begin(), b.raw.end()) &&
         std::equal(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end());
}

bool operator==(const pdu& a, const pdu& b) noexcept {
  if (a.hdr.total_length != b.hdr.total_length || a.hdr.command_id != b.hdr.command_id ||
      a.hdr.sequence_id != b.hdr.sequence_id || a.ver != b.ver || a.spec != b.spec ||
      a.field_count != b.field_count) {
    return false;
  }
  for (std::size_t i = 0; i < a.field_count; ++i) {
    if (!(a.fields[i] == b.fields[i])) return false;
  }
  if (!a.spec && !std::equal(a.body.begin(), a.body.end(), b.body.begin(), b.body.end())) return false;
  return std::equal(a.trailing.begin(), a.trailing.end(), b.trailing.begin(), b.trailing.end());
}

const field_value* pdu::field(std::string_view name) const noexcept {
  if (!spec) return nullptr;
  for (std::size_t i = 0; i < field_count && i < spec->fields.size(); ++i) {
    if (spec->fields[i].name == name) return &fields[i];
  }
  return nullptr;
}

std::optional<std::uint64_t> pdu::integer(std::string_view name) const noexcept {
  const field_value* f = field(name);
  if (!f) return std::nullopt;
  return f->integer;
}

std::optional<std::string_view> pdu::text(std::string_view name) const noexcept {
  const field_value* f = field(name);
  if (!f) return std::nullopt;
  return f->text();
}

std::optional<std::uint32_t> pdu::status() const noexcept {
  for (std::string_view n : {"Status", "Result", "Success_Id"}) {
    if (auto v = integer(n)) return static_cast<std::uint32_t>(*v);
  }
  return std::nullopt;
}

std::optional<std::uint8_t> pdu::msg_fmt() const noexcept {
  auto v = integer("Msg_Fmt");
  if (!v) return std::nullopt;
  return static_cast<std::uint8_t>(*v);
}

bool pdu::tp_udhi() const noexcept { return integer("TP_udhi").value_or(0) == 1; }

bool pdu::is_status_report() const noexcept {
  return hdr.command_id == static_cast<std::uint32_t>(command_id::deliver) &&
         integer("Registered_Delivery").value_or(0) == 1;
}

bytes_view pdu::msg_content() const noexcept {
  const field_value* f = field("Msg_Content");
  return f ? f->bytes : bytes_view{};
}

std::size_t pdu::dest_count() const noexcept {
  const field_value* f = field("Dest_terminal_Id");
  if (!f || !spec) return 0;
  for (const field_spec& s : spec->fields) {
    if (s.type == field_type::terminal_list) return s.width ? f->raw.size() / s.width : 0;
  }
  return 0;
}

std::string_view pdu::dest_terminal_id(std::size_t i) const noexcept {
  const field_value* f = field("Dest_terminal_Id");
  if (!f || i >= dest_count()) return {};
  std::size_t width = 0;
  for (const field_spec& s : spec->fields) {
    if (s.type == field_type::terminal_list) width = s.width;
  }
  const bytes_view item = cut_at_nul(f->raw.subspan(i * width, width));
  return {reinterpret_cast<const char*>(item.data()), item.size()};
}

std::string decode_error::message(const pdu& p) const {
  std::string out(p.spec ? p.spec->name : std::string_view("CMPP"));
  out += ": ";
  out += field;
  out += ": ";
  out += errc_text(code);
  out += " (";
  out += std::to_string(detail);
  out += ") at offset ";
  out += std::to_string(offset);
  return out;
}

header read_header(bytes_view frame) noexcept {
  return {static_cast<std::uint32_t>(get_be(frame.data(), 4)), static_cast<std::uint32_t>(get_be(frame.data() + 4, 4)),
          static_cast<std::uint32_t>(get_be(frame.data() + 8, 4))};
}

decode_error decode(bytes_view frame, version v, pdu& out) noexcept {
  out = pdu{};
  out.ver = v;
  if (frame.size() < header_size) {
    return {decode_errc::short_header, "Total_Length", 0, static_cast<std::uint32_t>(frame.size())};
  }
  out.hdr = read_header(frame);
  if (out.hdr.total_length != frame.size()) {
    return {decode_errc::length_mismatch, "Total_Length", 0, static_cast<std::uint32_t>(frame.size())};
  }
  out.body = frame.subspan(header_size);
  out.spec = find_command(out.hdr.command_id, v);
  if (!out.spec) return {};

  std::size_t off = header_size;
  const std::size_t end = frame.size();
  std::uint64_t count = 0, length = 0;
  const std::uint8_t* p = frame.data();
  for (const field_spec& s : out.spec->fields) {
    field_value& f = out.fields[out.field_count];
    const auto here = static_cast<std::uint32_t>(off);
    std::size_t n = s.width;
    switch (s.type) {
      case field_type::terminal_list:
        if (count * s.width > end - off) return {decode_errc::count_overrun, s.name, here, static_cast<std::uint32_t>(count)};
        n = static_cast<std::size_t>(count) * s.width;
        break;
      case field_type::msg_content:
        if (length > end - off) return {decode_errc::msg_length_overrun, s.name, here, static_cast<std::uint32_t>(length)};
        n = static_cast<std::size_t>(length);
        break;
      case field_type::raw:
        n = end - off;
        break;
      default:
        if (n > end - off) return {decode_errc::truncated_field, s.name, here, static_cast<std::uint32_t>(end - off)};
        break;
    }
    f.raw = frame.subspan(off, n);
    if (is_int(s.type)) {
      f.integer = get_be(p + off, n);
      f.bytes = f.raw;
      if (s.type == field_type::count) count = f.integer;
      if (s.type == field_type::msg_length) length = f.integer;
    } else if (s.type == field_type::octets) {
      f.bytes = cut_at_nul(f.raw);
    } else {
      f.bytes = f.raw;
    }
    off += n;
    ++out.field_count;
  }
  out.trailing = frame.subspan(off);
  return {};
}

// ---- encode -------------------------------------------------------------------------------

namespace {

// Where encode() finds a value for field `s` of the target layout in `p`.
const field_value* source_field(const pdu& p, const field_spec& s, std::size_t index, bool same_layout) noexcept {
  if (same_layout) return index < p.field_count ? &p.fields[index] : nullptr;
  return p.field(s.name);
}

std::size_t source_list_width(const pdu& p) noexcept {
  if (!p.spec) return 0;
  for (const field_spec& s : p.spec->fields) {
    if (s.type == field_type::terminal_list) return s.width;
  }
  return 0;
}

// The octets of a variable field: `raw` as decoded, or `bytes` when the caller filled only those.
bytes_view octets_of(const field_value& f) noexcept { return f.raw.empty() ? f.bytes : f.raw; }

void pad_to(std::vector<std::uint8_t>& out, bytes_view value, std::size_t width) {
  out.insert(out.end(), value.begin(), value.end());
  out.insert(out.end(), width - value.size(), std::uint8_t{0});
}

}  // namespace

encode_result encode(const pdu& p, version v) {
  encode_result r;
  const command_spec* spec = find_command(p.hdr.command_id, v);
  if (!spec) {
    r.error = encode_errc::unknown_command;
    r.field = "Command_Id";
    return r;
  }
  const bool same_layout = p.spec == spec;
  auto& out = r.bytes;
  put_be(out, 0, 4);
  put_be(out, p.hdr.command_id, 4);
  put_be(out, p.hdr.sequence_id, 4);
  for (std::size_t i = 0; i < spec->fields.size(); ++i) {
    const field_spec& s = spec->fields[i];
    const field_value* f = source_field(p, s, i, same_layout);
    auto fail = [&](encode_errc e) {
      r.error = e;
      r.field = s.name;
      out.clear();
      return r;
    };
    switch (s.type) {
      case field_type::int1:
      case field_type::int4:
      case field_type::int8:
        put_be(out, f ? f->integer : 0, s.width);
        break;
      case field_type::count:
      case field_type::msg_length: {
        // Computed from the field that follows (the list or the content).
        const field_spec& next = spec->fields[i + 1];
        const field_value* nf = source_field(p, next, i + 1, same_layout);
        std::size_t n = 0;
        if (nf) {
          if (next.type == field_type::terminal_list) {
            const std::size_t w = same_layout ? next.width : source_list_width(p);
            n = w ? octets_of(*nf).size() / w : 0;
          } else {
            n = octets_of(*nf).size();
          }
        }
        if (n > 255) return fail(encode_errc::value_too_long);
        out.push_back(static_cast<std::uint8_t>(n));
        break;
      }
      case field_type::octets:
      case field_type::binary: {
        if (f && f->raw.size() == s.width) {
          out.insert(out.end(), f->raw.begin(), f->raw.end());  // padding kept as it was
        } else {
          const bytes_view value = f ? f->bytes : bytes_view{};
          if (value.size() > s.width) return fail(encode_errc::value_too_long);
          pad_to(out, value, s.width);
        }
        break;
      }
      case field_type::terminal_list: {
        if (!f) break;
        const std::size_t w = same_layout ? s.width : source_list_width(p);
        const bytes_view list = octets_of(*f);
        if (w == s.width) {
          out.insert(out.end(), list.begin(), list.end());
        } else if (w != 0) {
          for (std::size_t k = 0; k + w <= list.size(); k += w) {
            const bytes_view item = cut_at_nul(list.subspan(k, w));
            if (item.size() > s.width) return fail(encode_errc::value_too_long);
            pad_to(out, item, s.width);
          }
        }
        break;
      }
      case field_type::msg_content:
      case field_type::raw:
        if (f) {
          const bytes_view o = octets_of(*f);
          out.insert(out.end(), o.begin(), o.end());
        }
        break;
    }
  }
  if (out.size() > max_pdu_size) {
    r.error = encode_errc::too_large;
    r.field = "Total_Length";
    out.clear();
    return r;
  }
  const auto total = static_cast<std::uint32_t>(out.size());
  for (int k = 0; k < 4; ++k) out[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(total >> (24 - 8 * k));
  return r;
}

// ---- builder ------------------------------------------------------------------------------

pdu_builder::pdu_builder(command_id id, version v, std::uint32_t sequence_id)
    : pdu_builder(static_cast<std::uint32_t>(id), v, sequence_id) {}

pdu_builder::pdu_builder(std::uint32_t id, version v, std::uint32_t sequence_id)
    : spec_(find_command(id, v)), ver_(v), seq_(sequence_id) {
  if (!spec_) throw std::invalid_argument("CMPP " + std::string(version_name(v)) + " has no command id " + std::to_string(id));
  ints_.assign(spec_->fields.size(), 0);
  octets_.assign(spec_->fields.size(), {});
}

std::size_t pdu_builder::index_of(std::string_view field) const {
  for (std::size_t i = 0; i < spec_->fields.size(); ++i) {
    if (spec_->fields[i].name == field) return i;
  }
  throw std::invalid_argument(std::string(spec_->name) + " has no field " + std::string(field));
}

pdu_builder& pdu_builder::set(std::string_view field, std::uint64_t integer) {
  const std::size_t i = index_of(field);
  const field_spec& s = spec_->fields[i];
  if (s.type != field_type::int1 && s.type != field_type::int4 && s.type != field_type::int8) {
    throw std::invalid_argument(std::string(field) + " is not an integer field");
  }
  if (s.width < 8 && integer >> (8 * s.width) != 0) {
    throw std::invalid_argument(std::string(field) + ": " + std::to_string(integer) + " does not fit " +
                                std::to_string(s.width) + " octet(s)");
  }
  ints_[i] = integer;
  return *this;
}

pdu_builder& pdu_builder::set(std::string_view field, std::string_view text_or_octets) {
  return set_bytes(field, bytes_view(reinterpret_cast<const std::uint8_t*>(text_or_octets.data()), text_or_octets.size()));
}

pdu_builder& pdu_builder::set_bytes(std::string_view field, bytes_view octets) {
  const std::size_t i = index_of(field);
  const field_spec& s = spec_->fields[i];
  switch (s.type) {
    case field_type::octets:
    case field_type::binary:
      if (octets.size() > s.width) {
        throw std::invalid_argument(std::string(field) + ": " + std::to_string(octets.size()) + " octets exceed its width " +
                                    std::to_string(s.width));
      }
      break;
    case field_type::msg_content:
      if (octets.size() > 255) throw std::invalid_argument(std::string(field) + ": more than 255 octets");
      break;
    case field_type::raw:
      break;
    default:
      throw std::invalid_argument(std::string(field) + " is not an octet string field");
  }
  octets_[i].assign(octets.begin(), octets.end());
  return *this;
}

pdu_builder& pdu_builder::destinations(std::span<const std::string_view> terminal_ids) {
  std::size_t i = spec_->fields.size();
  for (std::size_t k = 0; k < spec_->fields.size(); ++k) {
    if (spec_->fields[k].type == field_type::terminal_list) i = k;
  }
  if (i == spec_->fields.size()) throw std::invalid_argument(std::string(spec_->name) + " has no destination list");
  if (terminal_ids.size() > 255) throw std::invalid_argument("DestUsr_tl: more than 255 destinations");
  const std::size_t w = spec_->fields[i].width;
  std::vector<std::uint8_t> raw;
  for (std::string_view id : terminal_ids) {
    if (id.size() > w) throw std::invalid_argument("Dest_terminal_Id: " + std::string(id) + " exceeds " + std::to_string(w) + " octets");
    raw.insert(raw.end(), id.begin(), id.end());
    raw.insert(raw.end(), w - id.size(), std::uint8_t{0});
  }
  octets_[i] = std::move(raw);
  return *this;
}

std::vector<std::uint8_t> pdu_builder::bytes() const {
  std::vector<std::uint8_t> out;
  put_be(out, 0, 4);
  put_be(out, spec_->id, 4);
  put_be(out, seq_, 4);
  for (std::size_t i = 0; i < spec_->fields.size(); ++i) {
    const field_spec& s = spec_->fields[i];
    switch (s.type) {
      case field_type::int1:
      case field_type::int4:
      case field_type::int8:
        put_be(out, ints_[i], s.width);
        break;
      case field_type::count:
        out.push_back(static_cast<std::uint8_t>(octets_[i + 1].size() / spec_->fields[i + 1].width));
        break;
      case field_type::msg_length:
        out.push_back(static_cast<std::uint8_t>(octets_[i + 1].size()));
        break;
      case field_type::octets:
      case field_type::binary:
        pad_to(out, octets_[i], s.width);
        break;
      case field_type::terminal_list:
      case field_type::msg_content:
      case field_type::raw:
        out.insert(out.end(), octets_[i].begin(), octets_[i].end());
        break;
    }
  }
  const auto total = static_cast<std::uint32_t>(out.size());
  for (int k = 0; k < 4; ++k) out[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(total >> (24 - 8 * k));
  return out;
}

}  // namespace smppscope::decoder::cmpp
