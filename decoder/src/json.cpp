// PDU event JSON (docs/INTERFACE.md), driven by the protocol table.
#include "smppscope/decoder/json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <type_traits>

#include "smppscope/decoder/dlr.hpp"
#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/udh.hpp"

namespace smppscope::decoder {
namespace {

// Buffers output on the stack and hands it to the std::string in large pieces: one capacity
// check per piece instead of one per character.
class sink {
 public:
  explicit sink(std::string& out) noexcept : out_(out) {}
  sink(const sink&) = delete;
  sink& operator=(const sink&) = delete;
  ~sink() { flush(); }

  void put(char c) {
    if (n_ == cap) flush();
    buf_[n_++] = c;
  }
  void write(const char* p, std::size_t len) {
    if (len > cap - n_) {
      flush();
      if (len > cap) {
        out_.append(p, len);
        return;
      }
    }
    if (len == 0) return;  // p may be null
    std::memcpy(buf_ + n_, p, len);
    n_ += len;
  }
  void write(std::string_view s) { write(s.data(), s.size()); }
  // Room for `len` (<= cap) characters; commit() what was written.
  char* room(std::size_t len) {
    if (len > cap - n_) flush();
    return buf_ + n_;
  }
  void commit(std::size_t len) noexcept { n_ += len; }
  void flush() {
    out_.append(buf_, n_);
    n_ = 0;
  }
  static constexpr std::size_t cap = 4096;

 private:
  std::string& out_;
  std::size_t n_ = 0;
  char buf_[cap];
};

template <class Int>
void append_int(sink& out, Int v) {
  char* p = out.room(24);
  const auto r = std::to_chars(p, p + 24, v);
  out.commit(static_cast<std::size_t>(r.ptr - p));
}

// ,"key":  (keys are identifiers from our own tables: no escaping needed)
template <std::size_t N>
void key(sink& out, const char (&k)[N]) {
  char* p = out.room(N + 3);
  p[0] = ',';
  p[1] = '"';
  std::memcpy(p + 2, k, N - 1);
  p[N + 1] = '"';
  p[N + 2] = ':';
  out.commit(N + 3);
}

void key(sink& out, std::string_view k, bool comma = true) {
  char* p = out.room(k.size() + 4);
  char* const start = p;
  if (comma) *p++ = ',';
  *p++ = '"';
  std::memcpy(p, k.data(), k.size());
  p += k.size();
  *p++ = '"';
  *p++ = ':';
  out.commit(static_cast<std::size_t>(p - start));
}

// "00" "01" ... "ff": one lookup per octet.
constexpr std::array<char, 512> hex_pairs = [] {
  constexpr char digits[] = "0123456789abcdef";
  std::array<char, 512> t{};
  for (int i = 0; i < 256; ++i) {
    t[2 * i] = digits[i >> 4];
    t[2 * i + 1] = digits[i & 0x0F];
  }
  return t;
}();

void write_hex(sink& out, bytes_view b) {
  while (!b.empty()) {
    const std::size_t n = std::min<std::size_t>(b.size(), sink::cap / 2);
    char* p = out.room(2 * n);
    for (std::size_t i = 0; i < n; ++i) std::memcpy(p + 2 * i, &hex_pairs[2 * b[i]], 2);
    out.commit(2 * n);
    b = b.subspan(n);
  }
}

void append_hex_string(sink& out, bytes_view b) {
  out.put('"');
  write_hex(out, b);
  out.put('"');
}

std::string_view as_text(bytes_view b) noexcept { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

void write_json_string(sink& out, std::string_view s);

// Octets written as they are inside a JSON string: printable ASCII except '"' and '\\'.
constexpr std::array<bool, 256> json_plain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

// Length of the valid UTF-8 sequence at s[i] (lead >= 0x80), or 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second octet
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;       // no overlong
    if (b0 == 0xED) hi = 0x9F;       // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;       // <= U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return len;
}

// ---- fields ----

void append_list_field(sink& out, const field_spec& fs, const field_value& v, std::size_t count) {
  out.put('[');
  bool first = true;
  if (fs.type == field_type::dest_list) {
    for (const dest_address& d : parse_dest_list(v.bytes, count)) {
      if (!first) out.put(',');
      first = false;
      out.write("{\"dest_flag\":");
      append_int(out, d.dest_flag);
      if (d.dest_flag == 2) {
        key(out, "dl_name");
      } else {
        key(out, "dest_addr_ton");
        append_int(out, d.ton);
        key(out, "dest_addr_npi");
        append_int(out, d.npi);
        key(out, "destination_addr");
      }
      write_json_string(out, d.address);
      out.put('}');
    }
  } else if (fs.type == field_type::unsuccess_list) {
    for (const unsuccess_sme& u : parse_unsuccess_list(v.bytes, count)) {
      if (!first) out.put(',');
      first = false;
      out.write("{\"dest_addr_ton\":");
      append_int(out, u.ton);
      key(out, "dest_addr_npi");
      append_int(out, u.npi);
      key(out, "destination_addr");
      write_json_string(out, u.address);
      key(out, "error_status_code");
      append_int(out, u.error_status);
      out.put('}');
    }
  } else {  // c_string_list: count x NUL-terminated strings
    std::string_view rest = as_text(v.bytes);
    for (std::size_t n = 0; n < count && !rest.empty(); ++n) {
      const std::size_t nul = rest.find('\0');
      if (!first) out.put(',');
      first = false;
      write_json_string(out, rest.substr(0, nul));
      rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
    }
  }
  out.put(']');
}

bool is_password(const field_spec& fs) noexcept { return fs.name == "password"; }

void append_fields(sink& out, const pdu& p) {
  out.write(",\"fields\":{");
  if (p.spec) {
    const std::size_t n = std::min<std::size_t>({p.field_count, p.spec->fields.size(), max_fields});
    std::uint32_t list_count = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const field_spec& fs = p.spec->fields[i];
      const field_value& v = p.fields[i];
      key(out, fs.name, i != 0);
      switch (fs.type) {
        case field_type::int1:
        case field_type::int2:
        case field_type::int4:
        case field_type::sm_length:
          append_int(out, v.integer);
          break;
        case field_type::count:
          append_int(out, v.integer);
          list_count = v.integer;
          break;
        case field_type::c_string:
        case field_type::time:
          if (is_password(fs)) {
            out.put('"');
            out.write(password_mask);
            out.put('"');
          } else {
            write_json_string(out, v.text());
          }
          break;
        case field_type::octet_string:
          append_hex_string(out, v.bytes);
          break;
        case field_type::dest_list:
        case field_type::unsuccess_list:
        case field_type::c_string_list:
          append_list_field(out, fs, v, list_count);
          break;
      }
    }
  }
  out.put('}');
}

// ---- TLVs ----

std::uint32_t be(bytes_view b) noexcept {
  std::uint32_t v = 0;
  for (std::uint8_t x : b) v = v << 8 | x;
  return v;
}

// Named parts of the composite TLVs of the table (SMPP v3.4 section 5.3.2); false when the value does
// not have the expected shape (then only hex is written).
bool append_composite(sink& out, std::uint16_t tag, bytes_view v) {
  auto pair = [&](std::string_view a, std::string_view b) {
    out.write("{\"");
    out.write(a);
    out.write("\":");
    append_int(out, v[0]);
    key(out, b);
    append_int(out, be(v.subspan(1, 2)));
    out.put('}');
  };
  switch (tag) {
    case 0x0423:  // network_error_code
      if (v.size() != 3) return false;
      pair("network_type", "error_code");
      return true;
    case 0x0601:  // broadcast_content_type
      if (v.size() != 3) return false;
      pair("network_type", "content_type");
      return true;
    case 0x0605:  // broadcast_frequency_interval
      if (v.size() != 3) return false;
      pair("time_unit", "number");
      return true;
    case 0x0606:  // broadcast_area_identifier
      if (v.empty()) return false;
      out.write("{\"format\":");
      append_int(out, v[0]);
      key(out, "area");
      append_hex_string(out, v.subspan(1));
      out.put('}');
      return true;
    case 0x1204:  // ms_validity: behaviour, or behaviour + time unit + number (5.0)
      if (v.size() == 1) {
        out.write("{\"behaviour\":");
        append_int(out, v[0]);
        out.put('}');
        return true;
      }
      if (v.size() != 4) return false;
      out.write("{\"behaviour\":");
      append_int(out, v[0]);
      key(out, "time_unit");
      append_int(out, v[1]);
      key(out, "number");
      append_int(out, be(v.subspan(2, 2)));
      out.put('}');
      return true;
    case 0x1383:  // its_session_info
      if (v.size() != 2) return false;
      out.write("{\"session_number\":");
      append_int(out, v[0]);
      key(out, "sequence_number");
      append_int(out, v[1] >> 1);
      key(out, "end_of_session");
      append_int(out, v[1] & 1);
      out.put('}');
      return true;
    default:
      return false;
  }
}

// Names of the profiles among `rows` that define `key` (a vendor tag or status): ["ovhcloud"].
template <class Row, class Key>
void append_vendor_hint(sink& out, std::string_view member, std::span<const Row> rows, Key key_value) {
  bool any = false;
  for (const Row& r : rows) {
    if constexpr (std::is_same_v<Row, tlv_spec>) {
      if (r.tag != key_value) continue;
    } else {
      if (r.value != key_value) continue;
    }
    if (!any) {
      key(out, member);
      out.put('[');
    } else {
      out.put(',');
    }
    any = true;
    write_json_string(out, r.vendor);
  }
  if (any) out.put(']');
}

const tlv_spec* vendor_tlv(const vendor_names* v, std::uint16_t tag) noexcept {
  if (v)
    for (const tlv_spec& s : v->tlvs)
      if (s.tag == tag) return &s;
  return nullptr;
}

const status_spec* vendor_status(const vendor_names* v, std::uint32_t value) noexcept {
  if (v)
    for (const status_spec& s : v->statuses)
      if (s.value == value) return &s;
  return nullptr;
}

void append_tlv(sink& out, const tlv& t, const vendor_names* vendor) {
  out.write("{\"tag\":");
  append_int(out, t.tag);
  key(out, "name");
  const tlv_spec* s = t.spec();
  if (!s) s = vendor_tlv(vendor, t.tag);
  if (!s) {
    if (t.tag >= 0x1400 && t.tag <= 0x3FFF) {
      static constexpr char digits[] = "0123456789abcdef";
      const char name[] = {'"', 'v', 'e', 'n', 'd', 'o', 'r', '_', '0', 'x',
                           digits[t.tag >> 12], digits[(t.tag >> 8) & 0xF], digits[(t.tag >> 4) & 0xF],
                           digits[t.tag & 0xF], '"'};
      out.write(name, sizeof name);
    } else {
      out.write("\"unknown\"");
    }
    key(out, "value");
    append_hex_string(out, t.value);
    if (vendor) append_vendor_hint(out, "vendor_hint", vendor->hint_tlvs, t.tag);
    out.put('}');
    return;
  }
  write_json_string(out, s->name);
  key(out, "value");
  bool with_hex = false;
  switch (s->type) {
    case tlv_type::int1:
    case tlv_type::int2:
    case tlv_type::int4: {
      const std::size_t width = s->type == tlv_type::int1 ? 1 : s->type == tlv_type::int2 ? 2 : 4;
      if (const auto v = t.integer()) {
        append_int(out, *v);
      } else {
        out.write("null");
      }
      with_hex = t.value.size() != width;
      break;
    }
    case tlv_type::c_string:
      write_json_string(out, t.text());
      with_hex = t.value.empty() || t.value.back() != 0;
      break;
    case tlv_type::octets:
      append_hex_string(out, t.value);
      break;
    case tlv_type::empty:
      out.write("null");
      with_hex = !t.value.empty();
      break;
    case tlv_type::composite:
      if (append_composite(out, t.tag, t.value)) {
        with_hex = true;
      } else {
        append_hex_string(out, t.value);
      }
      break;
  }
  if (with_hex) {
    key(out, "hex");
    append_hex_string(out, t.value);
  }
  out.put('}');
}

void append_tlvs(sink& out, const pdu& p, const vendor_names* vendor) {
  out.write(",\"tlvs\":[");
  bool first = true;
  for (const tlv& t : p.tlvs()) {
    if (!first) out.put(',');
    first = false;
    append_tlv(out, t, vendor);
  }
  out.put(']');
}

// ---- message, UDH, receipt ----

void append_udh(sink& out, const udh& h) {
  out.write(",\"udh\":{\"length\":");
  append_int(out, h.length());
  out.write(",\"ies\":[");
  bool first = true;
  for (const udh_ie& ie : h.ies()) {
    if (!first) out.put(',');
    first = false;
    out.write("{\"iei\":");
    append_int(out, ie.iei);
    key(out, "name");
    write_json_string(out, udh_ie_name(ie.iei));
    key(out, "hex");
    append_hex_string(out, ie.data);
    out.put('}');
  }
  out.put(']');
  if (h.concat) {
    out.write(",\"concat\":{\"ref\":");
    append_int(out, h.concat->ref);
    key(out, "total");
    append_int(out, h.concat->total);
    key(out, "seq");
    append_int(out, h.concat->seq);
    key(out, "ref_bits");
    append_int(out, h.concat->ref16 ? 16 : 8);
    out.put('}');
  }
  if (h.ports) {
    out.write(",\"ports\":{\"dest\":");
    append_int(out, h.ports->dest);
    key(out, "orig");
    append_int(out, h.ports->orig);
    key(out, "bits");
    append_int(out, h.ports->wide ? 16 : 8);
    out.put('}');
  }
  out.put('}');
}

void append_string_member(sink& out, std::string_view k, std::string_view v) {
  if (v.empty()) return;
  key(out, k);
  write_json_string(out, v);
}

void append_date_member(sink& out, std::string_view k, const std::optional<receipt_date>& d) {
  if (!d) return;
  // ISO 8601 local time as the MC wrote it (the receipt carries no zone).
  char b[20];
  auto two = [](char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10 % 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  two(b, d->year / 100);
  two(b + 2, d->year % 100);
  b[4] = '-';
  two(b + 5, d->month);
  b[7] = '-';
  two(b + 8, d->day);
  b[10] = 'T';
  two(b + 11, d->hour);
  b[13] = ':';
  two(b + 14, d->minute);
  b[16] = ':';
  two(b + 17, d->second);
  key(out, k);
  out.put('"');
  out.write(b, sizeof b - 1);
  out.put('"');
}

void append_receipt(sink& out, const delivery_receipt& r) {
  out.write(",\"receipt\":{\"message_id\":");
  write_json_string(out, r.message_id());
  append_string_member(out, "id", r.id);
  append_string_member(out, "sub", r.sub);
  append_string_member(out, "dlvrd", r.dlvrd);
  append_string_member(out, "submit_date", r.submit_date);
  append_date_member(out, "submit_time", r.submit_time);
  append_string_member(out, "done_date", r.done_date);
  append_date_member(out, "done_time", r.done_time);
  append_string_member(out, "stat", r.stat);
  append_string_member(out, "err", r.err);
  append_string_member(out, "text", r.text);
  if (const auto s = r.state()) {
    key(out, "state");
    append_int(out, *s);
    append_string_member(out, "state_name", message_state_name(*s));
  }
  append_string_member(out, "receipted_message_id", r.receipted_message_id);
  if (r.message_state_tlv) {
    key(out, "message_state");
    append_int(out, *r.message_state_tlv);
  }
  if (r.network_error_code) {
    out.write(",\"network_error\":{\"type\":");
    append_int(out, r.network_error_code->type);
    key(out, "code");
    append_int(out, r.network_error_code->code);
    out.put('}');
  }
  out.put('}');
}

// The provider's meaning of the receipt's err: code (decimal digits, leading zeros allowed).
void append_receipt_err_meaning(sink& out, const delivery_receipt& r, const vendor_names* vendor) {
  if (!vendor || vendor->receipt_errors.empty() || r.err.empty() || r.err.size() > 9) return;
  std::uint32_t code = 0;
  for (const char c : r.err) {
    if (c < '0' || c > '9') return;
    code = code * 10 + static_cast<std::uint32_t>(c - '0');
  }
  const auto errs = vendor->receipt_errors;
  const auto it = std::lower_bound(errs.begin(), errs.end(), code,
                                   [](const receipt_err_meaning& e, std::uint32_t c) { return e.code < c; });
  if (it == errs.end() || it->code != code) return;
  key(out, "receipt_err_meaning");
  write_json_string(out, it->meaning);
}

// Returns extra lint bits found while decoding the text.
std::uint16_t append_message(sink& out, const pdu& p, const json_context& ctx) {
  const auto m = find_message(p);
  if (!m) return 0;
  std::uint16_t lints = 0;
  // Decoded once into a per-thread buffer (reused: no allocation once warm), then escaped.
  thread_local std::string text;
  text.clear();
  const text_info info = append_message_text(text, *m, ctx.text);
  key(out, "text");
  write_json_string(out, text);
  key(out, "encoding");
  write_json_string(out, info.encoding);
  if (info.outside_alphabet && info.encoding.starts_with("gsm7")) lints |= static_cast<std::uint16_t>(lint::gsm7_outside_alphabet);
  if (m->udhi_without_udh) lints |= static_cast<std::uint16_t>(lint::udhi_without_udh);
  if (m->data_coding == 0 && info.encoding == "gsm7-packed" && ctx.text.packing == gsm7_packing::auto_detect)
    lints |= static_cast<std::uint16_t>(lint::gsm7_packed_in_default_coding);
  if (m->header) append_udh(out, *m->header);
  if (m->concat) {
    out.write(",\"concat\":{\"ref\":");
    append_int(out, m->concat->ref);
    key(out, "total");
    append_int(out, m->concat->total);
    key(out, "seq");
    append_int(out, m->concat->seq);
    key(out, "source");
    write_json_string(out, concat_source_name(m->concat->source));
    out.put('}');
  }
  if (const auto r = parse_receipt(p, info.binary ? std::string_view{} : std::string_view(text))) {
    // esm_class says receipt, or a receipted_message_id TLV, or text with both id: and stat:.
    if (m->is_receipt() || !r->receipted_message_id.empty() || (!r->id.empty() && !r->stat.empty()))
    {
      append_receipt(out, *r);
      append_receipt_err_meaning(out, *r, ctx.vendor);
    }
  }
  return lints;
}

void append_lints(sink& out, std::uint16_t lints) {
  if (lints == 0) return;
  out.write(",\"lints\":[");
  bool first = true;
  for (unsigned bit = 0; bit < 16; ++bit) {
    const auto l = static_cast<std::uint16_t>(1u << bit);
    if (!(lints & l)) continue;
    if (!first) out.put(',');
    first = false;
    out.write("{\"name\":");
    write_json_string(out, lint_name(static_cast<lint>(l)));
    key(out, "message");
    write_json_string(out, lint_message(static_cast<lint>(l)));
    out.put('}');
  }
  out.put(']');
}

// The frame as hex with the password's octets written as '*' (passwords never leave the process).
void append_frame_hex(sink& out, const pdu& p, bytes_view frame) {
  out.write(",\"hex\":\"");
  bytes_view secret;
  if (p.spec) {
    const std::size_t n = std::min<std::size_t>({p.field_count, p.spec->fields.size(), max_fields});
    const auto in_frame = [&](bytes_view b) {
      return b.data() >= frame.data() && b.data() + b.size() <= frame.data() + frame.size();
    };
    for (std::size_t i = 0; i < p.spec->fields.size() && i < max_fields; ++i) {
      if (!is_password(p.spec->fields[i])) continue;
      if (i < n) {
        if (!p.fields[i].bytes.empty() && in_frame(p.fields[i].bytes)) secret = p.fields[i].bytes;
        break;
      }
      // The password did not decode (too long, no NUL, cut short): everything from where it
      // starts to the end of the frame may be secret, so none of it is shown.
      std::size_t start = header_size;
      if (i > 0 && i - 1 < n && !p.fields[i - 1].bytes.empty() && in_frame(p.fields[i - 1].bytes))
        start = static_cast<std::size_t>(p.fields[i - 1].bytes.data() + p.fields[i - 1].bytes.size() - frame.data());
      if (start < frame.size()) secret = frame.subspan(start);
      break;
    }
  }
  if (secret.empty()) {
    write_hex(out, frame);
  } else {
    const auto at = static_cast<std::size_t>(secret.data() - frame.data());
    write_hex(out, frame.first(at));
    for (std::size_t k = 0; k < secret.size(); ++k) out.write("2a");
    write_hex(out, frame.subspan(at + secret.size()));
  }
  out.put('"');
}

void write_json_string(sink& out, std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  out.put('"');
  std::size_t run = 0, i = 0;
  while (i < s.size()) {
    // Eight plain octets at a time: none >= 0x80, < 0x20, '"' or '\\'.
    while (i + 8 <= s.size()) {
      std::uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
      const std::uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
      const std::uint64_t special = (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
      if (special) break;
      i += 8;
    }
    if (i >= s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (json_plain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (const std::size_t len = utf8_sequence(s, i)) {
        i += len;
        continue;
      }
    }
    out.write(s.data() + run, i - run);
    switch (c) {
      case '"': out.write("\\\""); break;
      case '\\': out.write("\\\\"); break;
      case '\n': out.write("\\n"); break;
      case '\r': out.write("\\r"); break;
      case '\t': out.write("\\t"); break;
      case '\b': out.write("\\b"); break;
      case '\f': out.write("\\f"); break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', digits[c >> 4], digits[c & 0xF]};
          out.write(esc, sizeof esc);
        } else {
          out.write("\xEF\xBF\xBD");  // U+FFFD for an invalid UTF-8 octet
        }
    }
    run = ++i;
  }
  out.write(s.data() + run, s.size() - run);
  out.put('"');
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  sink w(out);
  write_json_string(w, s);
}

namespace {

// A valid UTF-8 sequence that must still not reach a terminal as is: C1 controls (U+0080..U+009F;
// U+009B is a one-octet CSI for some terminals), line and paragraph separators and the bidi
// marks, embeddings, overrides and isolates (they reorder the rest of the line).
bool unsafe_code_point(std::string_view seq) noexcept {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(seq[i]); };
  if (seq.size() == 2) return b(0) == 0xC2 && b(1) <= 0x9F;
  if (seq.size() != 3 || b(0) != 0xE2) return false;
  const unsigned cp = ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);  // low 12 bits of U+2xxx
  return cp == 0x00E || cp == 0x00F ||                          // U+200E LRM, U+200F RLM
         (cp >= 0x028 && cp <= 0x02E) ||                        // U+2028..U+202E
         (cp >= 0x066 && cp <= 0x069);                          // U+2066..U+2069 isolates
}

void append_hex_escape(std::string& out, unsigned char c) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 0x0F];
}

}  // namespace

void append_log_safe(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      if (c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t len = c >= 0x80 ? utf8_sequence(s, i) : 0;
    if (len == 0 || unsafe_code_point(s.substr(i, len))) {
      const std::size_t n = len == 0 ? 1 : len;
      for (std::size_t k = 0; k < n; ++k) append_hex_escape(out, static_cast<unsigned char>(s[i + k]));
      i += n;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
}

std::string log_safe(std::string_view s) {
  std::string out;
  append_log_safe(out, s);
  return out;
}

void append_udh_json(std::string& out_string, const udh& h) {
  sink out(out_string);
  append_udh(out, h);
}

void append_pdu_json(std::string& out_string, const pdu& p, bytes_view frame, const json_context& ctx) {
  sink out(out_string);
  out.write("{\"type\":\"pdu\"");
  if (ctx.event_id != 0) {
    key(out, "id");
    append_int(out, ctx.event_id);
  }
  out.write(",\"protocol\":\"smpp\"");
  key(out, "session");
  append_int(out, ctx.session);
  key(out, "direction");
  write_json_string(out, ctx.direction);
  key(out, "ts_us");
  append_int(out, ctx.ts_us);
  key(out, "command");
  write_json_string(out, command_name(p.hdr.command_id));
  key(out, "command_id");
  append_int(out, p.hdr.command_id);
  key(out, "command_status");
  append_int(out, p.hdr.command_status);
  key(out, "status_name");
  const status_spec* st = find_status(p.hdr.command_status);
  if (!st) st = vendor_status(ctx.vendor, p.hdr.command_status);
  write_json_string(out, st ? st->name : std::string_view{});
  if (st && p.hdr.command_status != 0 && !st->description.empty()) {
    key(out, "status_meaning");
    write_json_string(out, st->description);
  }
  if (!st && ctx.vendor) append_vendor_hint(out, "status_vendor_hint", ctx.vendor->hint_statuses, p.hdr.command_status);
  key(out, "sequence_number");
  append_int(out, p.hdr.sequence_number);
  key(out, "command_length");
  append_int(out, p.hdr.command_length);
  append_fields(out, p);
  append_tlvs(out, p, ctx.vendor);
  const std::uint16_t lints = p.lints | append_message(out, p, ctx);
  append_lints(out, lints);
  if (ctx.include_hex) append_frame_hex(out, p, frame);
  if (!ctx.error.empty()) {
    key(out, "error");
    write_json_string(out, ctx.error);
  }
  out.put('}');
}

}  // namespace smppscope::decoder
