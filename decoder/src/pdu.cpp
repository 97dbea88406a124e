// decode() and encode(), both driven by the table in protocol.cpp. Section marks (§N) are listed in
// protocol.hpp with the specification sections they stand for.
#include "smppscope/decoder/pdu.hpp"

#include "smppscope/decoder/wire.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace smppscope::decoder {
namespace {

constexpr std::uint16_t message_payload_tag = static_cast<std::uint16_t>(tlv_tag::message_payload);
constexpr std::uint8_t esm_udhi = 0x40;  // §7 esm_class bit 6

using wire::put16;
using wire::put32;
constexpr auto be16 = wire::get16;
constexpr auto be32 = wire::get32;
inline std::uint8_t* put_bytes(std::uint8_t* p, bytes_view b) noexcept {
  if (!b.empty()) std::memcpy(p, b.data(), b.size());
  return p + b.size();
}

// Reads the C-Octet String at `pos` (§1; max counts the NUL). A string that runs to the end of
// the PDU without NUL but within max is accepted with a lint.
struct cursor {
  const std::uint8_t* base;
  std::size_t pos;
  std::size_t end;
  pdu& out;

  std::size_t left() const noexcept { return end - pos; }

  decode_errc c_string(std::size_t max, bytes_view& value) noexcept {
    if (pos >= end) return decode_errc::truncated_field;
    const std::size_t avail = end - pos;
    const std::size_t lim = std::min(avail, max);
    const auto* start = base + pos;
    if (const void* nul = lim ? std::memchr(start, 0, lim) : nullptr) {
      const auto n = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - start);
      value = bytes_view(start, n);
      pos += n + 1;
      return decode_errc::none;
    }
    if (avail < max) {
      value = bytes_view(start, avail);
      pos = end;
      out.add_lint(lint::c_string_without_nul);
      return decode_errc::none;
    }
    return decode_errc::c_string_too_long;
  }
};

// Error detail for a C-Octet String: its limit when too long, else the one octet that is missing.
constexpr std::uint32_t limit(decode_errc e, std::uint32_t max_len) noexcept {
  return e == decode_errc::c_string_too_long ? max_len : 1;
}

// §11: UDHL must fit in the user data and its IEs must exactly fill it.
bool valid_udh(bytes_view ud) noexcept {
  if (ud.empty()) return false;
  const std::size_t udh_end = std::size_t(ud[0]) + 1;
  if (udh_end > ud.size()) return false;
  std::size_t p = 1;
  while (p < udh_end) {
    if (udh_end - p < 2) return false;
    p += 2 + std::size_t(ud[p + 1]);
  }
  return p == udh_end;
}

std::size_t field_size(const field_spec& f, const field_value& v) noexcept {
  switch (f.type) {
    case field_type::int1:
    case field_type::sm_length:
    case field_type::count:
      return 1;
    case field_type::int2:
      return 2;
    case field_type::int4:
      return 4;
    case field_type::c_string:
    case field_type::time:
      return v.bytes.size() + 1;
    case field_type::octet_string:
    case field_type::dest_list:
    case field_type::unsuccess_list:
    case field_type::c_string_list:
      return v.bytes.size();
  }
  return 0;
}

std::size_t body_size(const pdu& p) noexcept {
  if (!p.spec) return p.body.size();
  std::size_t n = 0;
  const std::size_t count = std::min<std::size_t>({p.field_count, p.spec->fields.size(), max_fields});
  for (std::size_t i = 0; i < count; ++i) n += field_size(p.spec->fields[i], p.fields[i]);
  return n + p.tlv_region.size();
}

bool same_bytes(bytes_view a, bytes_view b) noexcept {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// Walks a raw list field (already validated, or built by the caller) and counts its entries.
template <class OnEntry>
std::size_t walk_list(field_type type, bytes_view raw, std::size_t max_entries, OnEntry&& on_entry) {
  std::size_t pos = 0, n = 0;
  auto cstr = [&](std::string_view& s) {
    const auto* start = raw.data() + pos;
    const void* nul = std::memchr(start, 0, raw.size() - pos);
    const std::size_t len = nul ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - start)
                                : raw.size() - pos;
    s = std::string_view(reinterpret_cast<const char*>(start), len);
    pos += nul ? len + 1 : len;
  };
  while (pos < raw.size() && n < max_entries) {
    if (type == field_type::dest_list) {
      dest_address d;
      d.dest_flag = raw[pos++];
      if (d.dest_flag != 2) {
        if (raw.size() - pos < 2) break;
        d.ton = raw[pos];
        d.npi = raw[pos + 1];
        pos += 2;
      }
      if (pos >= raw.size()) break;
      cstr(d.address);
      if constexpr (std::is_invocable_v<OnEntry&, const dest_address&>) on_entry(d);
    } else if (type == field_type::unsuccess_list) {
      unsuccess_sme u;
      if (raw.size() - pos < 2) break;
      u.ton = raw[pos];
      u.npi = raw[pos + 1];
      pos += 2;
      if (pos >= raw.size()) break;
      cstr(u.address);
      if (raw.size() - pos < 4) break;
      u.error_status = be32(raw.data() + pos);
      pos += 4;
      if constexpr (std::is_invocable_v<OnEntry&, const unsuccess_sme&>) on_entry(u);
    } else {
      std::string_view s;
      cstr(s);
      if constexpr (std::is_invocable_v<OnEntry&, std::string_view>) on_entry(s);
    }
    ++n;
  }
  return n;
}

}  // namespace

// ---- model helpers ---------------------------------------------------------------------------

bool operator==(const field_value& a, const field_value& b) noexcept {
  return a.integer == b.integer && same_bytes(a.bytes, b.bytes);
}

std::optional<std::uint32_t> tlv::integer() const noexcept {
  const tlv_spec* s = spec();
  if (!s || (s->type != tlv_type::int1 && s->type != tlv_type::int2 && s->type != tlv_type::int4))
    return std::nullopt;
  if (value.empty() || value.size() > 4) return std::nullopt;
  std::uint32_t v = 0;
  for (std::uint8_t b : value) v = (v << 8) | b;
  return v;
}

std::string_view tlv::text() const noexcept {
  std::size_t n = value.size();
  if (n > 0 && value[n - 1] == 0) --n;
  return {reinterpret_cast<const char*>(value.data()), n};
}

void tlv_range::iterator::load() noexcept {
  // §1: a TLV is stepped over by its own length field.
  if (rest_.size() < 4) {
    done_ = true;
    return;
  }
  const std::size_t len = be16(rest_.data() + 2);
  if (len > rest_.size() - 4) {
    done_ = true;
    return;
  }
  cur_.tag = be16(rest_.data());
  cur_.value = rest_.subspan(4, len);
  done_ = false;
}

tlv_range::iterator& tlv_range::iterator::operator++() noexcept {
  if (!done_) {
    rest_ = rest_.subspan(4 + cur_.value.size());
    load();
  }
  return *this;
}

std::optional<tlv> tlv_range::find(std::uint16_t tag) const noexcept {
  for (const tlv& t : *this)
    if (t.tag == tag) return t;
  return std::nullopt;
}

const field_value* pdu::field(std::string_view name) const noexcept {
  if (!spec) return nullptr;
  const std::size_t n = std::min<std::size_t>(field_count, spec->fields.size());
  for (std::size_t i = 0; i < n; ++i)
    if (spec->fields[i].name == name) return &fields[i];
  return nullptr;
}

field_value* pdu::field(std::string_view name) noexcept {
  return const_cast<field_value*>(static_cast<const pdu&>(*this).field(name));
}

bytes_view pdu::payload() const noexcept {
  bytes_view sm = short_message();
  if (!sm.empty()) return sm;
  if (auto t = tlvs().find(message_payload_tag)) return t->value;
  return {};
}

bool operator==(const pdu& a, const pdu& b) noexcept {
  if (a.hdr.command_length != b.hdr.command_length || a.hdr.command_id != b.hdr.command_id ||
      a.hdr.command_status != b.hdr.command_status || a.hdr.sequence_number != b.hdr.sequence_number)
    return false;
  if (a.spec != b.spec || a.field_count != b.field_count) return false;
  if (!a.spec) return same_bytes(a.body, b.body);
  for (std::size_t i = 0; i < a.field_count && i < max_fields; ++i)
    if (!(a.fields[i] == b.fields[i])) return false;
  return same_bytes(a.tlv_region, b.tlv_region);
}

std::vector<dest_address> parse_dest_list(bytes_view raw, std::size_t count) {
  std::vector<dest_address> out;
  out.reserve(std::min<std::size_t>(count, 255));
  walk_list(field_type::dest_list, raw, count, [&](const dest_address& d) { out.push_back(d); });
  return out;
}

std::vector<unsuccess_sme> parse_unsuccess_list(bytes_view raw, std::size_t count) {
  std::vector<unsuccess_sme> out;
  out.reserve(std::min<std::size_t>(count, 255));
  walk_list(field_type::unsuccess_list, raw, count, [&](const unsuccess_sme& u) { out.push_back(u); });
  return out;
}

void append_dest_address(std::vector<std::uint8_t>& out, const dest_address& d) {
  out.push_back(d.dest_flag);
  if (d.dest_flag != 2) {  // 1 = SME address (any other value is written the same way, for fault tests)
    out.push_back(d.ton);
    out.push_back(d.npi);
  }
  out.insert(out.end(), d.address.begin(), d.address.end());
  out.push_back(0);
}

void append_unsuccess_sme(std::vector<std::uint8_t>& out, const unsuccess_sme& u) {
  out.push_back(u.ton);
  out.push_back(u.npi);
  out.insert(out.end(), u.address.begin(), u.address.end());
  out.push_back(0);
  std::uint8_t b[4];
  put32(b, u.error_status);
  out.insert(out.end(), b, b + 4);
}

std::string_view lint_name(lint l) noexcept {
  switch (l) {
    case lint::sm_length_mismatch: return "sm_length_mismatch";
    case lint::sm_and_payload: return "sm_and_payload";
    case lint::gsm7_outside_alphabet: return "gsm7_outside_alphabet";
    case lint::udhi_without_udh: return "udhi_without_udh";
    case lint::c_string_without_nul: return "c_string_without_nul";
    case lint::tlv_length_mismatch: return "tlv_length_mismatch";
    case lint::tlv_truncated: return "tlv_truncated";
    case lint::tlvs_in_v33_pdu: return "tlvs_in_v33_pdu";
    case lint::gsm7_packed_in_default_coding: return "gsm7_packed_in_default_coding";
  }
  return "unknown";
}

std::string_view lint_message(lint l) noexcept {
  switch (l) {
    case lint::sm_length_mismatch: return "sm_length disagrees with the octets that follow it";
    case lint::sm_and_payload: return "short_message and message_payload are both present (SMPP v3.4 section 5.3.2.32)";
    case lint::gsm7_outside_alphabet: return "text has octets outside the GSM 03.38 alphabet";
    case lint::udhi_without_udh: return "esm_class has UDHI set but the user data does not start with a valid UDH";
    case lint::c_string_without_nul: return "a C-Octet String ends at the end of the PDU without its NUL";
    case lint::tlv_length_mismatch: return "a TLV length is outside the bounds of its type";
    case lint::tlv_truncated: return "the TLV region ends inside a TLV";
    case lint::tlvs_in_v33_pdu: return "TLVs or extra octets follow the body of a PDU that allows none";
    case lint::gsm7_packed_in_default_coding:
      return "data_coding 0 octets are GSM 7-bit packed, while most SMSCs read one septet per octet";
  }
  return "unknown lint";
}

// ---- decode ----------------------------------------------------------------------------------

header read_header(bytes_view frame) noexcept {
  const std::uint8_t* p = frame.data();
  return {be32(p), be32(p + 4), be32(p + 8), be32(p + 12)};
}

decode_error decode(bytes_view frame, pdu& out) noexcept {
  out.hdr = {};
  out.spec = nullptr;
  out.field_count = 0;
  out.body = {};
  out.tlv_region = {};
  out.lints = 0;
  if (frame.size() < header_size)
    return {decode_errc::short_header, "command_length", 0, static_cast<std::uint32_t>(frame.size())};

  out.hdr = read_header(frame);
  decode_error err;
  std::size_t end = frame.size();
  if (out.hdr.command_length != frame.size()) {
    // Decode what is there (up to command_length) so the fields stay visible.
    err = {decode_errc::length_mismatch, "command_length", 0,
           static_cast<std::uint32_t>(std::min<std::size_t>(frame.size(), UINT32_MAX))};
    if (out.hdr.command_length < end) end = std::max<std::size_t>(out.hdr.command_length, header_size);
  }
  out.body = frame.subspan(header_size, end - header_size);
  out.spec = find_pdu(out.hdr.command_id);
  if (!out.spec) return err;  // unknown command id: body kept raw
  const pdu_spec& spec = *out.spec;
  // §1: an error response may carry no body at all.
  if (end == header_size && is_response(out.hdr.command_id) && out.hdr.command_status != 0) return err;

  cursor c{frame.data(), header_size, end, out};
  const std::uint8_t* base = frame.data();
  std::uint32_t list_count = 0;
  const std::size_t nfields = std::min(spec.fields.size(), max_fields);
  for (std::size_t i = 0; i < nfields; ++i) {
    const field_spec& f = spec.fields[i];
    field_value& v = out.fields[i];
    v = {};
    const std::size_t start = c.pos;
    auto fail = [&](decode_errc code, std::size_t at, std::uint32_t detail) {
      if (!err) err = {code, f.name, static_cast<std::uint32_t>(at), detail};
      return err;
    };
    switch (f.type) {
      case field_type::int1:
      case field_type::sm_length:
      case field_type::count:
        if (c.left() < 1) return fail(decode_errc::truncated_field, start, 1);
        v.integer = base[c.pos++];
        break;
      case field_type::int2:
        if (c.left() < 2) return fail(decode_errc::truncated_field, start, 2);
        v.integer = be16(base + c.pos);
        c.pos += 2;
        break;
      case field_type::int4:
        if (c.left() < 4) return fail(decode_errc::truncated_field, start, 4);
        v.integer = be32(base + c.pos);
        c.pos += 4;
        break;
      case field_type::c_string:
        if (auto e = c.c_string(f.max_len, v.bytes); e != decode_errc::none) return fail(e, start, limit(e, f.max_len));
        break;
      case field_type::time:
        // §7.1.1: NUL only, or 16 characters + NUL (absolute, or relative with 'R'); an MC may
        // also report a time as the 12-character YYMMDDhhmmss form.
        if (auto e = c.c_string(17, v.bytes); e != decode_errc::none) return fail(e, start, limit(e, 17));
        if (v.bytes.size() != 0 && v.bytes.size() != 12 && v.bytes.size() != 16)
          return fail(decode_errc::bad_time_length, start, static_cast<std::uint32_t>(v.bytes.size() + 1));
        break;
      case field_type::octet_string: {
        const std::size_t n = i > 0 && spec.fields[i - 1].type == field_type::sm_length ? out.fields[i - 1].integer : 0;
        if (c.left() < n) {
          out.add_lint(lint::sm_length_mismatch);
          return fail(decode_errc::sm_length_overrun, start, static_cast<std::uint32_t>(n));
        }
        v.bytes = bytes_view(base + c.pos, n);
        c.pos += n;
        break;
      }
      case field_type::dest_list:  // §3 submit_multi
        for (std::uint32_t k = 0; k < list_count; ++k) {
          const std::size_t entry = c.pos;
          if (c.left() < 1) return fail(decode_errc::truncated_field, entry, 1);
          const std::uint8_t flag = base[c.pos++];
          if (flag == 1) {
            if (c.left() < 2) return fail(decode_errc::truncated_field, c.pos, 2);
            c.pos += 2;
          } else if (flag != 2) {
            return fail(decode_errc::bad_dest_flag, entry, flag);
          }
          const std::size_t at = c.pos;
          bytes_view addr;
          if (auto e = c.c_string(f.max_len, addr); e != decode_errc::none) return fail(e, at, limit(e, f.max_len));
        }
        v.bytes = bytes_view(base + start, c.pos - start);
        break;
      case field_type::unsuccess_list:  // §3 submit_multi_resp
        for (std::uint32_t k = 0; k < list_count; ++k) {
          if (c.left() < 2) return fail(decode_errc::truncated_field, c.pos, 2);
          c.pos += 2;
          const std::size_t at = c.pos;
          bytes_view addr;
          if (auto e = c.c_string(f.max_len, addr); e != decode_errc::none) return fail(e, at, limit(e, f.max_len));
          if (c.left() < 4) return fail(decode_errc::truncated_field, c.pos, 4);
          c.pos += 4;
        }
        v.bytes = bytes_view(base + start, c.pos - start);
        break;
      case field_type::c_string_list:
        for (std::uint32_t k = 0; k < list_count; ++k) {
          const std::size_t at = c.pos;
          bytes_view item;
          if (auto e = c.c_string(f.max_len, item); e != decode_errc::none) return fail(e, at, limit(e, f.max_len));
        }
        v.bytes = bytes_view(base + start, c.pos - start);
        break;
    }
    if (f.type == field_type::count) list_count = v.integer;
    out.field_count = static_cast<std::uint8_t>(i + 1);
  }

  // TLVs (§1): walk by each length field; flag what is off, never fail.
  const bytes_view region(base + c.pos, end - c.pos);
  out.tlv_region = region;
  bytes_view message_payload;
  bool has_payload = false;
  std::size_t p = 0;
  while (region.size() - p >= 4) {
    const std::uint16_t tag = be16(region.data() + p);
    const std::size_t len = be16(region.data() + p + 2);
    if (len > region.size() - p - 4) break;
    if (const tlv_spec* ts = find_tlv(tag); ts && (len < ts->min_len || len > ts->max_len))
      out.add_lint(lint::tlv_length_mismatch);
    if (tag == message_payload_tag && !has_payload) {
      has_payload = true;
      message_payload = region.subspan(p + 4, len);
    }
    p += 4 + len;
  }
  const bool truncated = p != region.size();
  if (truncated) out.add_lint(lint::tlv_truncated);
  if (!spec.tlvs_allowed && !region.empty()) out.add_lint(lint::tlvs_in_v33_pdu);

  bytes_view sm;
  if (spec.sm_length_index != no_field) {
    sm = out.short_message();
    if (truncated) out.add_lint(lint::sm_length_mismatch);  // the octets after it are no TLV stream
    if (!sm.empty() && has_payload) out.add_lint(lint::sm_and_payload);  // §13
  }
  if (auto esm = out.esm_class(); esm && (*esm & esm_udhi)) {
    const bytes_view ud = sm.empty() ? message_payload : sm;  // §13: UDH leads whichever carries the text
    if (!valid_udh(ud)) out.add_lint(lint::udhi_without_udh);
  }
  return err;
}

std::string decode_error::message(const pdu& p) const {
  std::string s;
  if (p.spec) {
    s = p.spec->name;
  } else if (code == decode_errc::short_header) {
    s = "pdu";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "command 0x%08x", static_cast<unsigned>(p.hdr.command_id));
    s = buf;
  }
  s += ": ";
  s += field.empty() ? std::string_view("body") : field;
  s += ": ";
  const std::string d = std::to_string(detail);
  switch (code) {
    case decode_errc::none:
      return s + "no error";
    case decode_errc::short_header:
      s += "only " + d + " octets, a PDU header needs 16";
      break;
    case decode_errc::length_mismatch:
      s += "says " + std::to_string(p.hdr.command_length) + " octets but " + d + " are present";
      break;
    case decode_errc::truncated_field:
      s += "truncated, the PDU ends before " + d + (detail == 1 ? " octet" : " octets");
      break;
    case decode_errc::c_string_too_long:
      s += "C-Octet String exceeds " + d + " octets";
      break;
    case decode_errc::bad_time_length:
      s += "time must be 1, 13 or 17 octets, found " + d;
      break;
    case decode_errc::sm_length_overrun: {
      const std::size_t end = header_size + p.body.size();
      const std::size_t left = offset < end ? end - offset : 0;
      s += "sm_length " + d + " exceeds the " + std::to_string(left) + " octets left";
      break;
    }
    case decode_errc::bad_dest_flag:
      s += "dest_flag " + d + " is neither 1 (SME address) nor 2 (distribution list)";
      break;
  }
  s += " at offset " + std::to_string(offset);
  return s;
}

// ---- encode ----------------------------------------------------------------------------------

std::size_t encode(const pdu& p, std::span<std::uint8_t> out) noexcept {
  const std::size_t need = header_size + body_size(p);
  if (out.size() < need) return need;
  std::uint8_t* w = out.data();
  w = put32(w, static_cast<std::uint32_t>(need));
  w = put32(w, p.hdr.command_id);
  w = put32(w, p.hdr.command_status);
  w = put32(w, p.hdr.sequence_number);
  if (!p.spec) {
    put_bytes(w, p.body);
    return need;
  }
  const std::size_t count = std::min<std::size_t>({p.field_count, p.spec->fields.size(), max_fields});
  for (std::size_t i = 0; i < count; ++i) {
    const field_value& v = p.fields[i];
    switch (p.spec->fields[i].type) {
      case field_type::int1:
      case field_type::sm_length:
      case field_type::count:
        *w++ = static_cast<std::uint8_t>(v.integer);
        break;
      case field_type::int2:
        w = put16(w, v.integer);
        break;
      case field_type::int4:
        w = put32(w, v.integer);
        break;
      case field_type::c_string:
      case field_type::time:
        w = put_bytes(w, v.bytes);
        *w++ = 0;
        break;
      case field_type::octet_string:
      case field_type::dest_list:
      case field_type::unsuccess_list:
      case field_type::c_string_list:
        w = put_bytes(w, v.bytes);
        break;
    }
  }
  put_bytes(w, p.tlv_region);
  return need;
}

std::vector<std::uint8_t> encode(const pdu& p) {
  std::vector<std::uint8_t> out(header_size + body_size(p));
  encode(p, out);
  return out;
}

// ---- pdu_builder -----------------------------------------------------------------------------

pdu_builder::pdu_builder(std::uint32_t command_id, std::uint32_t sequence_number, std::uint32_t command_status)
    : id_(command_id), seq_(sequence_number), status_(command_status), spec_(find_pdu(command_id)) {
  const std::size_t n = spec_ ? spec_->fields.size() : 0;
  ints_.assign(n, 0);
  octets_.assign(n, {});
}

std::size_t pdu_builder::index_of(std::string_view field) const {
  if (spec_) {
    for (std::size_t i = 0; i < spec_->fields.size(); ++i)
      if (spec_->fields[i].name == field) return i;
  }
  throw std::invalid_argument(std::string(command_name(id_)) + " has no field '" + std::string(field) + "'");
}

pdu_builder& pdu_builder::set(std::string_view field, std::uint32_t integer) {
  const std::size_t i = index_of(field);
  std::uint64_t max = 0;
  switch (spec_->fields[i].type) {
    case field_type::int1:
    case field_type::sm_length:
    case field_type::count: max = 0xFF; break;
    case field_type::int2: max = 0xFFFF; break;
    case field_type::int4: max = 0xFFFFFFFF; break;
    default:
      throw std::invalid_argument(std::string(field) + " takes text or octets, not an integer");
  }
  if (integer > max)
    throw std::invalid_argument(std::string(field) + ": " + std::to_string(integer) + " does not fit the field");
  ints_[i] = integer;
  explicit_ |= 1u << i;
  return *this;
}

pdu_builder& pdu_builder::set(std::string_view field, std::string_view text_or_octets) {
  return set_bytes(field, bytes_view(reinterpret_cast<const std::uint8_t*>(text_or_octets.data()), text_or_octets.size()));
}

pdu_builder& pdu_builder::set_bytes(std::string_view field, bytes_view octets) {
  const std::size_t i = index_of(field);
  switch (spec_->fields[i].type) {
    case field_type::int1:
    case field_type::int2:
    case field_type::int4:
    case field_type::sm_length:
    case field_type::count:
      throw std::invalid_argument(std::string(field) + " takes an integer, not text or octets");
    default:
      break;
  }
  octets_[i].assign(octets.begin(), octets.end());
  explicit_ |= 1u << i;
  return *this;
}

pdu_builder& pdu_builder::short_message(bytes_view octets) {
  if (!spec_ || spec_->sm_length_index == no_field)
    throw std::invalid_argument(std::string(command_name(id_)) + " has no short_message");
  const auto i = static_cast<std::size_t>(spec_->sm_length_index);
  if (octets.size() > 0xFF) throw std::invalid_argument("short_message: more than 255 octets");
  octets_[i + 1].assign(octets.begin(), octets.end());
  ints_[i] = static_cast<std::uint32_t>(octets.size());
  explicit_ |= (1u << i) | (1u << (i + 1));
  return *this;
}

pdu_builder& pdu_builder::tlv(std::uint16_t tag, bytes_view value) {
  if (value.size() > 0xFFFF) throw std::invalid_argument("TLV value longer than 65535 octets");
  std::uint8_t h[4];
  put16(h, tag);
  put16(h + 2, static_cast<std::uint32_t>(value.size()));
  tlvs_.insert(tlvs_.end(), h, h + 4);
  tlvs_.insert(tlvs_.end(), value.begin(), value.end());
  return *this;
}

pdu_builder& pdu_builder::tlv_int(std::uint16_t tag, std::uint32_t value) {
  const tlv_spec* s = find_tlv(tag);
  std::size_t width = 0;
  if (s && s->type == tlv_type::int1) width = 1;
  if (s && s->type == tlv_type::int2) width = 2;
  if (s && s->type == tlv_type::int4) width = 4;
  if (width == 0) throw std::invalid_argument("TLV " + std::to_string(tag) + " is not an integer TLV in the table");
  if (width < 4 && value >> (8 * width))
    throw std::invalid_argument(std::string(s->name) + ": " + std::to_string(value) + " does not fit");
  std::uint8_t b[4];
  put32(b, value);
  return tlv(tag, bytes_view(b + 4 - width, width));
}

pdu_builder& pdu_builder::tlv_text(std::uint16_t tag, std::string_view text) {
  std::vector<std::uint8_t> v(text.begin(), text.end());
  v.push_back(0);
  return tlv(tag, v);
}

pdu_builder& pdu_builder::header_only() {
  header_only_ = true;
  return *this;
}

std::vector<std::uint8_t> pdu_builder::bytes() const {
  pdu p;
  p.hdr = {0, id_, status_, seq_};
  p.spec = spec_;
  if (header_only_) {
    p.spec = nullptr;  // nothing after the header
    return encode(p);
  }
  if (!spec_) {
    p.body = tlvs_;
    return encode(p);
  }
  const std::size_t n = std::min(spec_->fields.size(), max_fields);
  for (std::size_t i = 0; i < n; ++i) {
    p.fields[i].integer = ints_[i];
    p.fields[i].bytes = octets_[i];
    const bool is_explicit = (explicit_ >> i) & 1u;
    if (is_explicit || i + 1 >= n) continue;
    const field_spec& next = spec_->fields[i + 1];
    if (spec_->fields[i].type == field_type::sm_length) {
      p.fields[i].integer = static_cast<std::uint32_t>(std::min<std::size_t>(octets_[i + 1].size(), 0xFF));
    } else if (spec_->fields[i].type == field_type::count) {
      const std::size_t entries = walk_list(next.type, octets_[i + 1], 0xFF, [](int) {});
      p.fields[i].integer = static_cast<std::uint32_t>(entries);
    }
  }
  p.field_count = static_cast<std::uint8_t>(n);
  p.tlv_region = tlvs_;
  return encode(p);
}

}  // namespace smppscope::decoder
