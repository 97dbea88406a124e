// Delivery receipt parsing and writing (SMPP v3.4 Appendix B) and message id matching.
#include "smppscope/decoder/dlr.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <ctime>

namespace smppscope::decoder {
namespace {

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

enum key : std::uint8_t { k_id, k_sub, k_dlvrd, k_submit, k_done, k_stat, k_err, k_text, key_count };

struct spelling {
  key k;
  std::string_view word;  // lowercase, without ':'
};
constexpr std::array<spelling, 10> spellings = {{
    {k_id, "id"}, {k_sub, "sub"}, {k_dlvrd, "dlvrd"}, {k_submit, "submit date"}, {k_submit, "submit_date"},
    {k_done, "done date"}, {k_done, "done_date"}, {k_stat, "stat"}, {k_err, "err"}, {k_text, "text"},
}};

// The key (not yet seen) spelled at `at` followed by ':'; sets *value_at past the colon.
std::optional<key> key_at(std::string_view s, std::size_t at, unsigned seen, std::size_t* value_at) noexcept {
  if (at > 0 && !is_space(s[at - 1])) return std::nullopt;
  switch (lower(s[at])) {  // first letters of the keys
    case 'i': case 's': case 'd': case 'e': case 't': break;
    default: return std::nullopt;
  }
  for (const auto& sp : spellings) {
    if (seen & (1u << sp.k)) continue;
    const std::size_t end = at + sp.word.size();
    if (end >= s.size() || s[end] != ':') continue;
    if (!iequals(s.substr(at, sp.word.size()), sp.word)) continue;
    *value_at = end + 1;
    return sp.k;
  }
  return std::nullopt;
}

struct state_name {
  std::string_view stat, full;
  message_state state;
};
constexpr std::array<state_name, 10> states = {{
    {"SCHEDULED", "SCHEDULED", message_state::scheduled},
    {"ENROUTE", "ENROUTE", message_state::enroute},
    {"DELIVRD", "DELIVERED", message_state::delivered},
    {"EXPIRED", "EXPIRED", message_state::expired},
    {"DELETED", "DELETED", message_state::deleted},
    {"UNDELIV", "UNDELIVERABLE", message_state::undeliverable},
    {"ACCEPTD", "ACCEPTED", message_state::accepted},
    {"UNKNOWN", "UNKNOWN", message_state::unknown},
    {"REJECTD", "REJECTED", message_state::rejected},
    {"SKIPPED", "SKIPPED", message_state::skipped},
}};

template <class T>
std::optional<T> digits_value(std::string_view s) noexcept {
  T v{};
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string_view receipt_stat(message_state st) noexcept {
  for (const auto& s : states)
    if (s.state == st) return s.stat;
  return {};
}

namespace {

// Appends to a fixed buffer; once something did not fit, nothing more is written and ok() is false.
class bounded_writer {
 public:
  explicit bounded_writer(std::span<char> out) noexcept : out_(out) {}
  void put(std::string_view s) noexcept {
    if (!ok_ || s.size() > out_.size() - n_) {
      ok_ = false;
      return;
    }
    std::memcpy(out_.data() + n_, s.data(), s.size());
    n_ += s.size();
  }
  // At least `digits` digits, zero-padded (a larger value keeps all its digits).
  void number(unsigned v, unsigned digits) noexcept {
    char buf[12];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    const auto len = static_cast<std::size_t>(r.ptr - buf);
    for (std::size_t i = len; i < digits; ++i) put("0");
    put({buf, len});
  }
  std::size_t result() const noexcept { return ok_ ? n_ : 0; }

 private:
  std::span<char> out_;
  std::size_t n_ = 0;
  bool ok_ = true;
};

}  // namespace

std::size_t format_receipt(std::span<char> out, const receipt_fields& r) noexcept {
  bounded_writer w(out);
  w.put("id:");
  w.put(r.id);
  w.put(" sub:");
  w.number(r.sub % 1000, 3);
  w.put(" dlvrd:");
  w.number(r.dlvrd % 1000, 3);
  w.put(" submit date:");
  w.put(r.submit_date);
  w.put(" done date:");
  w.put(r.done_date);
  w.put(" stat:");
  w.put(receipt_stat(r.stat));
  w.put(" err:");
  w.number(r.err % 1000, 3);
  if (!r.text.empty()) {
    w.put(" text:");
    w.put(r.text);
  }
  return w.result();
}

std::size_t format_receipt(std::span<char> out, std::string_view tmpl, const receipt_fields& r,
                           unsigned err_digits) noexcept {
  bounded_writer w(out);
  while (!tmpl.empty()) {
    const std::size_t open = tmpl.find('{');
    w.put(tmpl.substr(0, open));
    if (open == std::string_view::npos) break;
    tmpl.remove_prefix(open);
    const std::size_t close = tmpl.find('}');
    if (close == std::string_view::npos) {
      w.put(tmpl);
      break;
    }
    const std::string_view key = tmpl.substr(1, close - 1);
    if (key == "id") w.put(r.id);
    else if (key == "sub") w.number(r.sub, 3);
    else if (key == "dlvrd") w.number(r.dlvrd, 3);
    else if (key == "submit_date") w.put(r.submit_date);
    else if (key == "done_date") w.put(r.done_date);
    else if (key == "stat") w.put(receipt_stat(r.stat));
    else if (key == "err") w.number(r.err, err_digits);
    else if (key == "text") w.put(r.text);
    else w.put(tmpl.substr(0, close + 1));
    tmpl.remove_prefix(close + 1);
  }
  return w.result();
}

void format_receipt_date(std::int64_t unix_seconds, std::span<char, 10> out) noexcept {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const unsigned parts[5] = {static_cast<unsigned>(tm.tm_year % 100), static_cast<unsigned>(tm.tm_mon + 1),
                             static_cast<unsigned>(tm.tm_mday), static_cast<unsigned>(tm.tm_hour),
                             static_cast<unsigned>(tm.tm_min)};
  for (std::size_t i = 0; i < 5; ++i) {
    out[2 * i] = static_cast<char>('0' + parts[i] / 10 % 10);
    out[2 * i + 1] = static_cast<char>('0' + parts[i] % 10);
  }
}

std::string_view message_state_name(std::uint8_t state) noexcept {
  for (const auto& s : states)
    if (static_cast<std::uint8_t>(s.state) == state) return s.full;
  return {};
}

std::optional<message_state> message_state_from_stat(std::string_view stat) noexcept {
  if (stat.empty()) return std::nullopt;
  for (const auto& s : states)
    if (iequals(stat, s.stat) || iequals(stat, s.full)) return s.state;
  return std::nullopt;
}

std::optional<receipt_date> parse_receipt_date(std::string_view d) noexcept {
  if (d.size() != 10 && d.size() != 12) return std::nullopt;
  for (char c : d)
    if (!is_digit(c)) return std::nullopt;
  auto two = [&](std::size_t at) { return static_cast<std::uint8_t>((d[at] - '0') * 10 + (d[at + 1] - '0')); };
  receipt_date r;
  r.year = static_cast<std::uint16_t>(2000 + two(0));
  r.month = two(2);
  r.day = two(4);
  r.hour = two(6);
  r.minute = two(8);
  r.has_seconds = d.size() == 12;
  r.second = r.has_seconds ? two(10) : 0;
  if (r.month < 1 || r.month > 12 || r.day < 1 || r.day > 31 || r.hour > 23 || r.minute > 59 || r.second > 59)
    return std::nullopt;
  return r;
}

std::optional<std::uint8_t> delivery_receipt::state() const noexcept {
  if (message_state_tlv) return message_state_tlv;
  if (const auto s = message_state_from_stat(stat)) return static_cast<std::uint8_t>(*s);
  return std::nullopt;
}

std::optional<delivery_receipt> parse_receipt_text(std::string_view s) noexcept {
  std::array<std::string_view, key_count> values{};
  unsigned seen = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t v = 0;
    const auto k = key_at(s, i, seen, &v);
    if (!k) {
      ++i;
      continue;
    }
    seen |= 1u << *k;
    if (*k == k_text) {
      // Runs to the next key not yet seen, or to the end.
      std::size_t end = v, next = 0;
      while (end < s.size() && !key_at(s, end, seen, &next)) ++end;
      std::string_view t = s.substr(v, end - v);
      while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
      values[k_text] = t;
      i = end;
      continue;
    }
    while (v < s.size() && (s[v] == ' ' || s[v] == '\t')) ++v;
    std::size_t probe = 0;
    if (v < s.size() && key_at(s, v, seen, &probe)) {  // "err: text:..." - an empty value
      i = v;
      continue;
    }
    std::size_t end = v;
    while (end < s.size() && !is_space(s[end])) ++end;
    values[*k] = s.substr(v, end - v);
    i = end;
  }
  const int count = std::popcount(seen);
  if (!((seen & (1u << k_id)) || (seen & (1u << k_stat))) || count < 2) return std::nullopt;

  delivery_receipt r;
  r.has_text = true;
  r.id = values[k_id];
  r.sub = values[k_sub];
  r.dlvrd = values[k_dlvrd];
  r.submit_date = values[k_submit];
  r.done_date = values[k_done];
  r.stat = values[k_stat];
  r.err = values[k_err];
  r.text = values[k_text];
  r.submit_time = parse_receipt_date(r.submit_date);
  r.done_time = parse_receipt_date(r.done_date);
  return r;
}

std::optional<delivery_receipt> parse_receipt(const pdu& p, std::string_view text) noexcept {
  if (p.hdr.command_id != static_cast<std::uint32_t>(command_id::deliver_sm) &&
      p.hdr.command_id != static_cast<std::uint32_t>(command_id::data_sm))
    return std::nullopt;
  delivery_receipt r = parse_receipt_text(text).value_or(delivery_receipt{});
  bool tlv_found = false;
  for (const tlv& t : p.tlvs()) {
    switch (static_cast<tlv_tag>(t.tag)) {
      case tlv_tag::receipted_message_id:
        r.receipted_message_id = t.text();
        tlv_found = true;
        break;
      case tlv_tag::message_state:
        if (const auto v = t.integer(); v && *v <= 0xFF) {
          r.message_state_tlv = static_cast<std::uint8_t>(*v);
          tlv_found = true;
        }
        break;
      case tlv_tag::network_error_code:
        if (t.value.size() == 3)
          r.network_error_code = network_error{t.value[0], static_cast<std::uint16_t>(t.value[1] << 8 | t.value[2])};
        break;
      default:
        break;
    }
  }
  if (!r.has_text && !tlv_found) return std::nullopt;
  return r;
}

std::string_view normalise_message_id(std::string_view id, std::span<char> buf) noexcept {
  while (!id.empty() && is_space(id.front())) id.remove_prefix(1);
  while (!id.empty() && is_space(id.back())) id.remove_suffix(1);
  while (id.size() > 1 && id.front() == '0') id.remove_prefix(1);
  const std::size_t n = std::min(id.size(), buf.size());
  for (std::size_t i = 0; i < n; ++i) buf[i] = lower(id[i]);
  return {buf.data(), n};
}

std::string normalise_message_id(std::string_view id) {
  std::string out(id.size(), '\0');
  out.resize(normalise_message_id(id, std::span<char>(out)).size());
  return out;
}

message_id_values message_id_numbers(std::string_view id) noexcept {
  char buf[80];
  const std::string_view n = normalise_message_id(id, buf);
  message_id_values v;
  bool digits = !n.empty(), hex = !n.empty();
  for (char c : n) {
    digits = digits && is_digit(c);
    hex = hex && is_hex(c);
  }
  std::uint64_t x = 0;
  if (digits && std::from_chars(n.data(), n.data() + n.size(), x, 10).ec == std::errc()) v.decimal = x;
  if (hex && std::from_chars(n.data(), n.data() + n.size(), x, 16).ec == std::errc()) v.hex = x;
  return v;
}

bool message_ids_match(std::string_view a, std::string_view b) noexcept {
  char ba[80], bb[80];
  const std::string_view na = normalise_message_id(a, ba), nb = normalise_message_id(b, bb);
  if (na.empty() || nb.empty()) return false;
  if (na == nb) return true;
  const message_id_values va = message_id_numbers(na), vb = message_id_numbers(nb);
  return (va.decimal && vb.hex && *va.decimal == *vb.hex) || (va.hex && vb.decimal && *va.hex == *vb.decimal);
}

}  // namespace smppscope::decoder
