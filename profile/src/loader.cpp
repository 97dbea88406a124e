#include "smppscope/profile/loader.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "smppscope/decoder/dlr.hpp"

namespace smppscope::profile {

namespace {

// A profile is a few kilobytes; anything this big is not one.
constexpr std::size_t max_file_bytes = 1u << 20;

// Thrown inside the loader only; parse_profile turns it into a load_error.
struct semantic_error {
  toml::source_position at;
  std::string message;
};

[[noreturn]] void fail(const toml::node& n, std::string message) {
  throw semantic_error{n.source().begin, std::move(message)};
}
[[noreturn]] void fail_at(const toml::source_region& r, std::string message) {
  throw semantic_error{r.begin, std::move(message)};
}

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

std::string show(const toml::node& n) {
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  if (const auto* s = n.as_string()) return "\"" + s->get().substr(0, 40) + "\"";
  if (const auto* f = n.as_floating_point()) {
    std::ostringstream o;
    o << f->get();
    return o.str();
  }
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  return type_name(n);
}

// Walks one table: every key must be read once; the ones left are unknown (typos are errors).
class table_reader {
 public:
  table_reader(const toml::table& t, std::string path) : t_(t), path_(std::move(path)) {}

  // Every key of the table must have been asked for: the ones left are unknown (typos are errors).
  void finish() const {
    for (auto&& [k, v] : t_)
      if (!used_.count(std::string(k.str())))
        fail_at(k.source(), "unknown key '" + qualified(k.str()) + "'" + hint());
  }

  const toml::table& node() const { return t_; }

  const toml::node* get(std::string_view key) {
    allowed_.emplace_back(key);
    used_.insert(std::string(key));
    return t_.get(key);
  }

  std::string qualified(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  std::optional<std::string> string(std::string_view key, std::size_t max_len = 4096) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    const auto* s = n->as_string();
    if (!s) fail(*n, qualified(key) + " must be a string, got " + type_name(*n));
    if (s->get().size() > max_len)
      fail(*n, qualified(key) + " is longer than " + std::to_string(max_len) + " characters");
    return s->get();
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    const auto* b = n->as_boolean();
    if (!b) fail(*n, qualified(key) + " must be true or false, got " + show(*n));
    return b->get();
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    return integer_value(*n, qualified(key), lo, hi);
  }

  static std::int64_t integer_value(const toml::node& n, const std::string& what, std::int64_t lo,
                                    std::int64_t hi) {
    const auto* i = n.as_integer();
    if (!i || i->get() < lo || i->get() > hi)
      fail(n, what + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " +
                  show(n));
    return i->get();
  }

  std::optional<double> number(std::string_view key, double lo, double hi) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    double v = 0;
    if (const auto* i = n->as_integer()) v = static_cast<double>(i->get());
    else if (const auto* f = n->as_floating_point()) v = f->get();
    else fail(*n, qualified(key) + " must be a number, got " + show(*n));
    if (!std::isfinite(v) || v < lo || v > hi) {
      std::ostringstream o;
      o << qualified(key) << " must be a number from " << lo << " to " << hi << ", got " << show(*n);
      fail(*n, o.str());
    }
    return v;
  }

  const toml::array* array(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    const auto* a = n->as_array();
    if (!a) fail(*n, qualified(key) + " must be an array, got " + type_name(*n));
    return a;
  }

  const toml::table* table(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    const auto* t = n->as_table();
    if (!t) fail(*n, qualified(key) + " must be a table, got " + type_name(*n));
    return t;
  }

  // Array of strings, each mapped by `f` (which fails on its own node).
  template <class F>
  void strings(std::string_view key, F&& f) {
    const toml::array* a = array(key);
    if (!a) return;
    for (const toml::node& n : *a) {
      const auto* s = n.as_string();
      if (!s) fail(n, qualified(key) + " items must be strings, got " + type_name(n));
      f(n, std::string_view(s->get()));
    }
  }

 private:
  std::string hint() const {
    if (allowed_.empty()) return "";
    std::string h = " (known keys:";
    std::set<std::string> sorted(allowed_.begin(), allowed_.end());
    for (const auto& k : sorted) h += " " + k;
    return h + ")";
  }

  const toml::table& t_;
  std::string path_;
  std::set<std::string> used_;
  std::vector<std::string> allowed_;
};

std::uint32_t request_id_of(const toml::node& n, std::string_view name, const std::string& what) {
  const decoder::pdu_spec* p = decoder::find_pdu(name);
  if (!p) fail(n, what + ": unknown PDU '" + std::string(name) + "' (use the SMPP names: submit_sm, query_sm, ...)");
  return p->id & ~decoder::response_bit;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

std::optional<decoder::tlv_type> parse_tlv_type(std::string_view s) {
  using tt = decoder::tlv_type;
  if (s == "int1") return tt::int1;
  if (s == "int2") return tt::int2;
  if (s == "int4") return tt::int4;
  if (s == "c_string") return tt::c_string;
  if (s == "octets") return tt::octets;
  if (s == "empty") return tt::empty;
  return std::nullopt;
}

void read_binds(table_reader& r, bind_rules& b) {
  r.strings("allowed", [&](const toml::node& n, std::string_view s) {
    bind_type t;
    if (s == "transmitter") t = bind_type::transmitter;
    else if (s == "receiver") t = bind_type::receiver;
    else if (s == "transceiver") t = bind_type::transceiver;
    else fail(n, "binds.allowed: unknown bind type '" + std::string(s) + "' (transmitter, receiver, transceiver)");
    if (std::find(b.allowed.begin(), b.allowed.end(), t) != b.allowed.end())
      fail(n, "binds.allowed: '" + std::string(s) + "' listed twice");
    b.allowed.push_back(t);
  });
  auto limit = [&](std::string_view key, std::optional<std::uint32_t>& out) {
    if (const auto v = r.integer(key, 1, 65535)) out = static_cast<std::uint32_t>(*v);
  };
  limit("max_transmitters", b.max_transmitters);
  limit("max_receivers", b.max_receivers);
  limit("max_transceivers", b.max_transceivers);
  limit("max_per_account", b.max_per_account);
  limit("max_per_server", b.max_per_server);
  limit("max_per_host", b.max_per_host);
  if (const auto v = r.integer("transceiver_weight", 1, 16)) b.transceiver_weight = static_cast<std::uint32_t>(*v);
  if (auto s = r.string("scope", 64)) b.scope = std::move(*s);
}

void read_tls(table_reader& r, tls_rules& t) {
  if (const auto v = r.boolean("required")) t.required = *v;
  if (const auto* n = r.get("min_version")) {
    const auto* s = n->as_string();
    const auto v = s ? parse_tls_version(s->get()) : std::nullopt;
    if (!v || *v == tls_version::none) fail(*n, "tls.min_version must be \"1.0\", \"1.1\", \"1.2\" or \"1.3\", got " + show(*n));
    t.min_version = *v;
  }
  if (const auto v = r.integer("port", 1, 65535)) t.port = static_cast<std::uint16_t>(*v);
}

void read_limits(table_reader& r, provider_profile& p) {
  if (const auto v = r.integer("window", 1, 65535)) p.window = static_cast<std::uint32_t>(*v);
  p.rate_per_connection = r.number("rate_per_connection", 0.001, 1e6);
  r.strings("rate_counts", [&](const toml::node& n, std::string_view s) {
    p.rate_counts.push_back(request_id_of(n, s, "limits.rate_counts"));
  });
  if (const auto v = r.integer("enquire_link_interval", 1, 86400)) p.enquire_link_interval_s = static_cast<std::uint32_t>(*v);
  if (const auto v = r.number("enquire_link_tolerance", 1.1, 100)) p.enquire_link_tolerance = *v;
  if (const auto v = r.integer("forced_unbind_period", 1, 366 * 86400)) p.forced_unbind_period_s = static_cast<std::uint32_t>(*v);
  if (const auto v = r.integer("reconnect_within", 1, 86400)) p.reconnect_within_s = static_cast<std::uint32_t>(*v);
}

std::uint16_t tlv_tag_of(const toml::node& n, std::string_view name, const provider_profile& p, const std::string& what) {
  if (const decoder::tlv_spec* t = decoder::find_tlv(name)) return t->tag;
  if (const vendor_tlv* t = p.find_tlv(name)) return t->tag;
  fail(n, what + ": unknown TLV '" + std::string(name) + "' (a SMPP TLV name or one of this profile's [[tlvs]])");
}

void read_pdus(table_reader& r, provider_profile& p) {
  r.strings("supported", [&](const toml::node& n, std::string_view s) {
    p.supported_pdus.push_back(request_id_of(n, s, "pdus.supported"));
  });
  r.strings("unsupported", [&](const toml::node& n, std::string_view s) {
    const std::uint32_t id = request_id_of(n, s, "pdus.unsupported");
    if (std::find(p.supported_pdus.begin(), p.supported_pdus.end(), id) != p.supported_pdus.end())
      fail(n, "pdus.unsupported: '" + std::string(s) + "' is also in pdus.supported");
    p.unsupported_pdus.push_back(id);
  });
  r.strings("unsupported_tlvs", [&](const toml::node& n, std::string_view s) {
    p.unsupported_tlvs.push_back(tlv_tag_of(n, s, p, "pdus.unsupported_tlvs"));
  });
}

void read_encoding(table_reader& r, provider_profile& p) {
  if (const toml::array* a = r.array("data_codings")) {
    for (const toml::node& n : *a) {
      const auto dc = static_cast<std::uint8_t>(table_reader::integer_value(n, "encoding.data_codings item", 0, 255));
      if (std::find(p.data_codings.begin(), p.data_codings.end(), dc) != p.data_codings.end())
        fail(n, "encoding.data_codings: " + std::to_string(dc) + " listed twice");
      p.data_codings.push_back(dc);
    }
  }
  if (const auto* n = r.get("gsm7_packing")) {
    const auto* s = n->as_string();
    const std::string v = s ? s->get() : "";
    if (v == "any") p.gsm7 = gsm7_packing::any;
    else if (v == "unpacked") p.gsm7 = gsm7_packing::unpacked;
    else if (v == "packed") p.gsm7 = gsm7_packing::packed;
    else fail(*n, "encoding.gsm7_packing must be \"any\", \"unpacked\" or \"packed\", got " + show(*n));
  }
  // SMPP v3.4 section 5.2.21: sm_length 0-254.
  if (const auto v = r.integer("sm_length_max", 0, 254)) p.sm_length.max_octets = static_cast<std::uint32_t>(*v);
  if (const auto v = r.boolean("message_payload")) p.sm_length.message_payload_allowed = *v;
}

// A status by name (this profile's or the specification's) or by value.
std::uint32_t status_of(const toml::node& n, const provider_profile& p, const std::string& what) {
  if (const auto* i = n.as_integer()) {
    if (i->get() < 0 || i->get() > 0xFFFFFFFFll) fail(n, what + " must be a command_status from 0 to 0xFFFFFFFF");
    return static_cast<std::uint32_t>(i->get());
  }
  if (const auto* s = n.as_string()) {
    for (const auto& v : p.vendor_statuses)
      if (v.name == s->get()) return v.value;
    for (const auto& st : decoder::all_statuses())
      if (st.name == s->get()) return st.value;
    fail(n, what + ": unknown status '" + s->get() + "' (a SMPP status name, one of this profile's [[statuses]], or a number)");
  }
  fail(n, what + " must be a status name or number, got " + type_name(n));
}

void read_replies(table_reader& r, provider_profile& p) {
  auto status = [&](std::string_view key, auto& out) {
    if (const auto* n = r.get(key)) out = status_of(*n, p, r.qualified(key));
  };
  status("too_many_binds", p.replies.too_many_binds);
  status("unsupported_data_coding", p.replies.unsupported_data_coding);
  status("invalid_gsm7", p.replies.invalid_gsm7);
  status("throttled", p.replies.throttled);
  status("window_full", p.replies.window_full);
  status("unsupported_pdu_status", p.replies.unsupported_pdu_status);
  if (const auto* n = r.get("unsupported_pdu")) {
    const auto* s = n->as_string();
    if (s && s->get() == "generic_nack") p.replies.unsupported_pdu_generic_nack = true;
    else if (s && s->get() == "response") p.replies.unsupported_pdu_generic_nack = false;
    else fail(*n, "replies.unsupported_pdu must be \"generic_nack\" or \"response\", got " + show(*n));
  }
}

void read_statuses(const toml::array& a, provider_profile& p) {
  for (const toml::node& n : a) {
    const auto* t = n.as_table();
    if (!t) fail(n, "statuses items must be tables ([[statuses]]), got " + type_name(n));
    table_reader r(*t, "statuses");
    vendor_status s;
    const toml::node* v = r.get("value");
    if (!v) fail(n, "statuses: an entry without 'value'");
    s.value = static_cast<std::uint32_t>(table_reader::integer_value(*v, "statuses.value", 0, 0xFFFFFFFFll));
    if (const decoder::status_spec* st = decoder::find_status(s.value))
      fail(*v, "statuses.value " + std::to_string(s.value) + " is the standard " + std::string(st->name));
    if (p.find_status(s.value)) fail(*v, "statuses.value " + std::to_string(s.value) + " defined twice");
    auto name = r.string("name", 64);
    if (!name || name->empty()) fail(n, "statuses: an entry without 'name'");
    s.name = std::move(*name);
    s.description = r.string("description", 512).value_or("");
    r.finish();
    p.vendor_statuses.push_back(std::move(s));
  }
}

void read_tlvs(const toml::array& a, provider_profile& p) {
  for (const toml::node& n : a) {
    const auto* t = n.as_table();
    if (!t) fail(n, "tlvs items must be tables ([[tlvs]]), got " + type_name(n));
    table_reader r(*t, "tlvs");
    vendor_tlv v;
    const toml::node* tag = r.get("tag");
    if (!tag) fail(n, "tlvs: an entry without 'tag'");
    // SMPP v3.4 section 5.3: tags 0x1400-0x3FFF are reserved for vendors.
    v.tag = static_cast<std::uint16_t>(table_reader::integer_value(*tag, "tlvs.tag", 0x1400, 0x3FFF));
    if (p.find_tlv(v.tag)) fail(*tag, "tlvs.tag " + std::to_string(v.tag) + " defined twice");
    auto name = r.string("name", 64);
    if (!name || name->empty()) fail(n, "tlvs: an entry without 'name'");
    if (decoder::find_tlv(*name)) fail(*r.get("name"), "tlvs.name '" + *name + "' is a standard TLV name");
    if (p.find_tlv(*name)) fail(*r.get("name"), "tlvs.name '" + *name + "' defined twice");
    v.name = std::move(*name);
    const toml::node* type = r.get("type");
    if (!type) fail(n, "tlvs: an entry without 'type'");
    const auto* ts = type->as_string();
    const auto ty = ts ? parse_tlv_type(ts->get()) : std::nullopt;
    if (!ty) fail(*type, "tlvs.type must be int1, int2, int4, c_string, octets or empty, got " + show(*type));
    v.type = *ty;
    using tt = decoder::tlv_type;
    std::uint16_t lo = 0, hi = 65535;
    switch (v.type) {
      case tt::int1: lo = hi = 1; break;
      case tt::int2: lo = hi = 2; break;
      case tt::int4: lo = hi = 4; break;
      case tt::c_string: lo = 1; break;
      case tt::empty: hi = 0; break;
      default: break;
    }
    v.min_len = lo;
    v.max_len = hi;
    if (const auto m = r.integer("min_len", 0, 65535)) v.min_len = static_cast<std::uint16_t>(*m);
    if (const auto m = r.integer("max_len", 0, 65535)) v.max_len = static_cast<std::uint16_t>(*m);
    if (v.min_len > v.max_len) fail(n, "tlvs: min_len above max_len for '" + v.name + "'");
    v.description = r.string("description", 512).value_or("");
    r.finish();
    p.vendor_tlvs.push_back(std::move(v));
  }
}

void read_receipt(table_reader& r, provider_profile& p) {
  if (auto text = r.string("text", 512)) {
    // Only the placeholders the simulator knows how to fill.
    static constexpr std::string_view known[] = {"id", "sub", "dlvrd", "submit_date", "done_date", "stat", "err", "text"};
    for (std::size_t i = text->find('{'); i != std::string::npos; i = text->find('{', i + 1)) {
      const std::size_t j = text->find('}', i);
      const std::string_view ph = j == std::string::npos ? std::string_view{} : std::string_view(*text).substr(i + 1, j - i - 1);
      if (std::find(std::begin(known), std::end(known), ph) == std::end(known))
        fail(*r.get("text"), "receipt.text: unknown placeholder '{" + std::string(ph) +
                                 "}' (id, sub, dlvrd, submit_date, done_date, stat, err, text)");
    }
    if (!text->empty() && (text->find("{id}") == std::string::npos || text->find("{stat}") == std::string::npos))
      fail(*r.get("text"), "receipt.text must contain {id} and {stat}");
    p.receipt.text = std::move(*text);
  }
  if (const auto v = r.integer("err_digits", 1, 9)) p.receipt.err_digits = static_cast<std::uint8_t>(*v);
  r.strings("stats", [&](const toml::node& n, std::string_view s) {
    if (s.size() > 16 || !decoder::message_state_from_stat(s))
      fail(n, "receipt.stats: '" + std::string(s) + "' is not a receipt stat (DELIVRD, EXPIRED, UNDELIV, ...)");
    p.receipt.stats.emplace_back(s);
  });
  r.strings("tlvs", [&](const toml::node& n, std::string_view s) {
    (void)tlv_tag_of(n, s, p, "receipt.tlvs");
    p.receipt.tlvs.emplace_back(s);
  });
  if (const toml::array* a = r.array("errors")) {
    for (const toml::node& n : *a) {
      const auto* t = n.as_table();
      if (!t) fail(n, "receipt.errors items must be tables { code = N, meaning = \"...\" }, got " + type_name(n));
      table_reader e(*t, "receipt.errors");
      receipt_error re;
      const toml::node* code = e.get("code");
      if (!code) fail(n, "receipt.errors: an entry without 'code'");
      re.code = static_cast<std::uint32_t>(table_reader::integer_value(*code, "receipt.errors.code", 0, 999999999));
      if (p.find_receipt_error(re.code)) fail(*code, "receipt.errors: code " + std::to_string(re.code) + " defined twice");
      auto meaning = e.string("meaning", 256);
      if (!meaning || meaning->empty()) fail(n, "receipt.errors: code " + std::to_string(re.code) + " has no 'meaning'");
      re.meaning = std::move(*meaning);
      re.detail = e.string("detail", 1024).value_or("");
      e.finish();
      // Kept sorted as read so find_receipt_error() can search while duplicates are checked.
      const auto at = std::lower_bound(p.receipt.errors.begin(), p.receipt.errors.end(), re.code,
                                       [](const receipt_error& x, std::uint32_t c) { return x.code < c; });
      p.receipt.errors.insert(at, std::move(re));
    }
  }
}

void read_system_id(table_reader& r, system_id_shape& s) {
  // SMPP v3.4 section 4.1: system_id is at most 16 octets with the NUL.
  s.prefix = r.string("prefix", 15).value_or("");
  if (const auto v = r.integer("min_length", 1, 15)) s.min_length = static_cast<std::uint32_t>(*v);
  if (const auto v = r.integer("max_length", 1, 15)) s.max_length = static_cast<std::uint32_t>(*v);
  if (s.min_length && s.max_length && *s.min_length > *s.max_length)
    fail(r.node(), "system_id.min_length above system_id.max_length");
  s.example = r.string("example", 64).value_or("");
}

template <class F>
void section(table_reader& top, std::string_view key, F&& f) {
  if (const toml::table* t = top.table(key)) {
    table_reader r(*t, std::string(key));
    f(r);
    r.finish();
  }
}

provider_profile read_profile(const toml::table& root) {
  provider_profile p;
  table_reader top(root, "");
  const toml::node* name = top.get("name");
  if (!name) fail_at(root.source(), "missing 'name' (the profile's name, e.g. name = \"my-smsc\")");
  if (!name->as_string() || !valid_name(name->as_string()->get()))
    fail(*name, "name must be 1-64 characters of a-z, 0-9, '-', '_', '.', got " + show(*name));
  p.name = name->as_string()->get();
  p.title = top.string("title", 128).value_or(p.name);
  p.description = top.string("description", 512).value_or("");
  p.source = top.string("source", 512).value_or("");
  top.strings("interface_versions", [&](const toml::node& n, std::string_view s) {
    std::uint8_t v = 0;
    if (s == "3.3") v = 0x33;
    else if (s == "3.4") v = 0x34;
    else if (s == "5.0") v = 0x50;
    else fail(n, "interface_versions: '" + std::string(s) + "' is not an SMPP version (\"3.3\", \"3.4\", \"5.0\")");
    p.interface_versions.push_back(v);
  });
  // Vendor rows first: other sections may name them.
  if (const toml::array* a = top.array("statuses")) read_statuses(*a, p);
  if (const toml::array* a = top.array("tlvs")) read_tlvs(*a, p);
  section(top, "binds", [&](table_reader& r) { read_binds(r, p.binds); });
  section(top, "tls", [&](table_reader& r) { read_tls(r, p.tls); });
  section(top, "limits", [&](table_reader& r) { read_limits(r, p); });
  section(top, "pdus", [&](table_reader& r) { read_pdus(r, p); });
  section(top, "encoding", [&](table_reader& r) { read_encoding(r, p); });
  section(top, "replies", [&](table_reader& r) { read_replies(r, p); });
  section(top, "receipt", [&](table_reader& r) { read_receipt(r, p); });
  section(top, "system_id", [&](table_reader& r) { read_system_id(r, p.system_id); });
  if (p.rate_per_connection && p.rate_counts.empty())
    p.rate_counts.push_back(static_cast<std::uint32_t>(decoder::command_id::submit_sm));
  top.finish();
  return p;
}

// Built-in profiles and the hint rows drawn from them (alive for the whole process).
struct builtins {
  std::vector<profile_ptr> profiles;
  std::vector<decoder::tlv_spec> hint_tlvs;
  std::vector<decoder::status_spec> hint_statuses;
};

const builtins& shipped() {
  static const builtins b = [] {
    builtins r;
    for (const builtin_profile_text& t : builtin_profile_texts()) {
      load_result lr = parse_profile(t.text, "<builtin " + std::string(t.name) + ">");
      // A shipped profile that does not load is a build defect the profile tests catch; at run
      // time it is left out rather than taking the process down.
      if (lr) r.profiles.push_back(std::move(lr.profile));
    }
    std::sort(r.profiles.begin(), r.profiles.end(), [](const profile_ptr& a, const profile_ptr& b) { return a->name < b->name; });
    for (const auto& p : r.profiles) {
      r.hint_tlvs.insert(r.hint_tlvs.end(), p->tlv_rows.begin(), p->tlv_rows.end());
      r.hint_statuses.insert(r.hint_statuses.end(), p->status_rows.begin(), p->status_rows.end());
    }
    return r;
  }();
  return b;
}

}  // namespace

std::string load_error::to_string() const {
  std::string s = source;
  if (line) {
    s += ':' + std::to_string(line);
    if (column) s += ':' + std::to_string(column);
  }
  return s + ": " + message;
}

load_result parse_profile(std::string_view text, std::string_view source) {
  load_result out;
  out.error.source = std::string(source);
  auto set_error = [&](const toml::source_position& at, std::string message) {
    out.error.line = at.line;
    out.error.column = at.column;
    out.error.message = std::move(message);
  };
  try {
    toml::table root = toml::parse(text, source);
    out.profile = finalize(read_profile(root));
  } catch (const toml::parse_error& e) {
    set_error(e.source().begin, std::string(e.description()));
  } catch (const semantic_error& e) {
    set_error(e.at, e.message);
  } catch (const std::exception& e) {  // allocation failure and the like: still one clear error
    set_error({}, e.what());
  }
  return out;
}

load_result load_profile_file(const std::string& path) {
  load_result out;
  out.error.source = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.error.message = "cannot open the profile file";
    return out;
  }
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_file_bytes) {
      out.error.message = "larger than " + std::to_string(max_file_bytes) + " octets: not a profile";
      return out;
    }
  }
  if (in.bad()) {
    out.error.message = "read error";
    return out;
  }
  return parse_profile(text, path);
}

const std::vector<profile_ptr>& builtin_profiles() { return shipped().profiles; }

profile_ptr find_builtin(std::string_view name) {
  for (const auto& p : builtin_profiles())
    if (p->name == name) return p;
  return nullptr;
}

profile_ptr generic_profile() {
  if (auto p = find_builtin(default_profile_name)) return p;
  // Not reachable with a complete build; an empty profile checks nothing.
  static const profile_ptr empty = [] {
    provider_profile p;
    p.name = std::string(default_profile_name);
    return finalize(std::move(p));
  }();
  return empty;
}

std::span<const decoder::tlv_spec> builtin_vendor_tlv_rows() { return shipped().hint_tlvs; }
std::span<const decoder::status_spec> builtin_vendor_status_rows() { return shipped().hint_statuses; }

std::vector<std::string_view> profiles_naming_tlv(std::uint16_t tag) {
  std::vector<std::string_view> r;
  for (const auto& t : shipped().hint_tlvs)
    if (t.tag == tag) r.push_back(t.vendor);
  return r;
}

std::vector<std::string_view> profiles_naming_status(std::uint32_t value) {
  std::vector<std::string_view> r;
  for (const auto& s : shipped().hint_statuses)
    if (s.value == value) r.push_back(s.vendor);
  return r;
}

}  // namespace smppscope::profile
