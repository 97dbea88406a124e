#include "smppscope/analysis/compliance.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <unordered_set>

#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/profile/loader.hpp"

namespace smppscope::analysis {

namespace {

namespace d = smppscope::decoder;
namespace pf = smppscope::profile;
using cid = d::command_id;

constexpr std::array<std::string_view, compliance_rule_count> rule_names = {
    "window", "rate", "unsupported_pdu", "unsupported_tlv", "data_coding", "gsm7_packing", "sm_length",
    "bind_type", "interface_version", "system_id", "binds", "tls", "enquire_link_interval", "reconnect",
};

// Per-session caps: a misbehaving client cannot grow the checker without bound.
constexpr std::size_t max_tracked_requests = 1u << 16;
constexpr std::size_t max_rate_samples = 1u << 17;

std::string num(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}
std::string num(std::uint64_t v) { return std::to_string(v); }

std::string version_text(std::uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%u.%u", v >> 4, v & 0xF);
  return buf;
}

std::string_view field_text(const d::pdu& p, std::string_view name) {
  const d::field_value* f = p.field(name);
  if (!f) return {};
  std::string_view t = f->text();
  if (!t.empty() && t.back() == '\0') t.remove_suffix(1);
  return t;
}

std::optional<pf::bind_type> bind_type_of(std::uint32_t id) {
  switch (id & ~d::response_bit) {
    case static_cast<std::uint32_t>(cid::bind_transmitter): return pf::bind_type::transmitter;
    case static_cast<std::uint32_t>(cid::bind_receiver): return pf::bind_type::receiver;
    case static_cast<std::uint32_t>(cid::bind_transceiver): return pf::bind_type::transceiver;
    default: return std::nullopt;
  }
}

// The client's address without the port: binds per host count every connection from it.
std::string host_of(const endpoint& e) {
  endpoint h = e;
  h.port = 0;
  std::string s = h.to_string();
  if (const auto colon = s.rfind(':'); colon != std::string::npos) s.resize(colon);
  return s;
}

// "upstream_tls_version=TLSv1.3" in the session_open record's text (written by the relay).
std::optional<pf::tls_version> upstream_tls_version(const tap_record* r) {
  if (!r) return std::nullopt;
  const std::string_view text(reinterpret_cast<const char*>(r->bytes.data()), r->bytes.size());
  constexpr std::string_view key = "upstream_tls_version=";
  const auto at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view v = text.substr(at + key.size());
  v = v.substr(0, v.find(' '));
  return pf::parse_tls_version(v);
}

void append_json_member(std::string& out, std::string_view key, std::string_view text) {
  out += ",\"";
  out += key;
  out += "\":";
  d::append_json_string(out, text);
}

}  // namespace

std::string_view compliance_rule_name(compliance_rule r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < rule_names.size() ? rule_names[i] : std::string_view("unknown");
}

// A profile with its decoder names completed by the shipped profiles' hints (one per profile).
struct profile_names {
  pf::profile_ptr profile;
  d::vendor_names names;
};

// What the readers see; written on breaches, session open and close (rare), under one mutex.
struct compliance_checker::shared_state {
  struct summary {
    std::shared_ptr<const profile_names> prof;
    std::array<std::uint64_t, compliance_rule_count> counts{};
    bool cmpp = false;  // a CMPP session: the profile's (SMPP) rules do not apply, no summary
  };
  mutable std::mutex mu;
  std::unordered_map<std::uint64_t, summary> sessions;
  std::deque<std::uint64_t> closed;  // eviction order
  std::unordered_map<std::uint64_t, std::string> lints;  // event id -> JSON array items
  std::deque<std::uint64_t> lint_order;
  std::unordered_map<std::string, std::shared_ptr<const profile_names>> names_cache;  // analysis thread only

  // Appends lint items to an event's list, keeping the newest `max` events. Caller holds mu.
  void add_lints(std::uint64_t event_id, std::string_view items, std::size_t max) {
    auto [it, fresh] = lints.try_emplace(event_id);
    if (fresh) lint_order.push_back(event_id);
    if (!it->second.empty()) it->second += ',';
    it->second += items;
    while (lint_order.size() > max) {
      lints.erase(lint_order.front());
      lint_order.pop_front();
    }
  }
};

struct compliance_checker::account {
  std::uint32_t tx = 0, rx = 0, trx = 0;
  std::unordered_map<std::string, std::uint32_t> per_server;  // by upstream address
  std::uint32_t weighted(std::uint32_t trx_weight) const { return tx + rx + trx * trx_weight; }
};

struct compliance_checker::session {
  std::uint64_t id = 0;
  std::shared_ptr<const profile_names> prof;
  const pf::provider_profile& p() const { return *prof->profile; }
  std::string host, server;
  // bind
  struct pending_bind {
    pf::bind_type type;
    std::string system_id;
  };
  std::unordered_map<std::uint32_t, pending_bind> binds_pending;  // by sequence_number
  std::string system_id;
  std::optional<pf::bind_type> bound;
  std::int64_t bound_since_us = 0;
  // window: ESME requests awaiting their response (seq -> sent)
  std::unordered_map<std::uint32_t, std::int64_t> outstanding;
  // rate: times of counted messages in the last second
  std::deque<std::int64_t> messages;
  // enquire_link
  std::int64_t last_enquire_us = 0;
  bool enquire_gap_reported = false;
  // breaches
  std::array<std::deque<std::int64_t>, compliance_rule_count> recent{};  // for sustain
  std::array<std::int64_t, compliance_rule_count> last_breach_us{};
  std::array<bool, compliance_rule_count> alert_active{};
  std::array<std::int64_t, compliance_rule_count> alert_updated_us{};
  std::string pending_lints;  // session-level breaches found before any PDU (TLS): on the first one
  bool cmpp = false;          // speaks CMPP: not checked
};

compliance_checker::compliance_checker(compliance_options opt) : opt_(std::move(opt)), shared_(std::make_unique<shared_state>()) {
  if (!opt_.profile) throw std::invalid_argument("compliance check: no profile");
}

compliance_checker::~compliance_checker() = default;

void compliance_checker::on_session_open(const session_open_info& info, analysis_context& ctx) {
  pf::profile_ptr p;
  if (opt_.select && info.record) p = opt_.select(*info.record);
  if (!p) p = opt_.profile;
  auto& cached = shared_->names_cache[p->name + '\n' + std::to_string(reinterpret_cast<std::uintptr_t>(p.get()))];
  if (!cached) {
    auto pn = std::make_shared<profile_names>();
    pn->profile = p;
    pn->names = p->names;
    pn->names.hint_tlvs = pf::builtin_vendor_tlv_rows();
    pn->names.hint_statuses = pf::builtin_vendor_status_rows();
    cached = std::move(pn);
  }
  auto s = std::make_unique<session>();
  s->id = info.session;
  s->prof = cached;
  if (info.record) {
    s->host = host_of(info.record->client);
    s->server = info.record->upstream.to_string();
  }
  {
    std::lock_guard lock(shared_->mu);
    shared_->sessions[info.session].prof = cached;
  }
  session& ss = *s;
  sessions_[info.session] = std::move(s);

  // TLS on the upstream leg: that is the connection the provider sees.
  const pf::tls_rules& tls = ss.p().tls;
  const bool upstream_tls = info.record && info.record->upstream_tls;
  if (tls.required && !upstream_tls) {
    breach(ss, compliance_rule::tls, 0, info.ts_us, "plain TCP to the SMSC: the provider requires TLS", "TLS", "none",
           false, ctx);
  } else if (upstream_tls && tls.min_version != pf::tls_version::none) {
    if (const auto v = upstream_tls_version(info.record); v && *v < tls.min_version)
      breach(ss, compliance_rule::tls, 0, info.ts_us,
             "TLS " + std::string(pf::to_string(*v)) + " to the SMSC: the provider requires TLS " +
                 std::string(pf::to_string(tls.min_version)) + " or later",
             pf::to_string(tls.min_version), pf::to_string(*v), false, ctx);
  }
}

void compliance_checker::on_session_close(const session_close_info& info, analysis_context&) {
  const auto it = sessions_.find(info.session);
  if (it == sessions_.end()) return;
  on_unbound(*it->second);
  sessions_.erase(it);
  std::lock_guard lock(shared_->mu);
  shared_->closed.push_back(info.session);
  while (shared_->closed.size() > opt_.max_closed_sessions) {
    shared_->sessions.erase(shared_->closed.front());
    shared_->closed.pop_front();
  }
}

void compliance_checker::breach(session& s, compliance_rule r, std::uint64_t event_id, std::int64_t ts_us,
                                std::string message, std::string_view limit, std::string_view measured,
                                bool sustained_rule, analysis_context& ctx) {
  const auto i = static_cast<std::size_t>(r);
  const std::string& pname = s.p().name;
  std::string item = "{\"rule\":";
  d::append_json_string(item, compliance_rule_name(r));
  append_json_member(item, "profile", pname);
  append_json_member(item, "message", message);
  item += '}';
  {
    std::lock_guard lock(shared_->mu);
    ++shared_->sessions[s.id].counts[i];
    if (event_id != 0) {
      shared_->add_lints(event_id, item, opt_.max_lint_events);
    } else if (r == compliance_rule::tls) {  // found at open: shown on the session's first PDU
      if (!s.pending_lints.empty()) s.pending_lints += ',';
      s.pending_lints += item;
    }
  }
  s.last_breach_us[i] = ts_us;
  // Per-PDU rules alert when sustained; session-level ones at once.
  bool alert = true;
  if (sustained_rule) {
    auto& q = s.recent[i];
    q.push_back(ts_us);
    while (!q.empty() && q.front() <= ts_us - opt_.sustain_window_us) q.pop_front();
    while (q.size() > opt_.sustain_count) q.pop_front();
    alert = q.size() >= opt_.sustain_count;
  }
  if (!alert) return;
  // An active alert is refreshed (new measured value) at most once a second.
  if (s.alert_active[i] && ts_us - s.alert_updated_us[i] < 1'000'000) return;
  const bool refresh = s.alert_active[i];
  s.alert_active[i] = true;
  s.alert_updated_us[i] = ts_us;
  // The ESME is the party at fault for every rule (it sends what the provider refuses, binds too
  // often, keeps a link idle, connects without TLS); TLS concerns the connection as a whole.
  const std::string_view dir = r == compliance_rule::tls ? "both" : "esme_to_smsc";
  std::string extra = "\"side\":\"esme\",\"direction\":\"";
  extra += dir;
  extra += "\",\"rule\":";
  d::append_json_string(extra, compliance_rule_name(r));
  append_json_member(extra, "profile", pname);
  append_json_member(extra, "limit", limit);
  append_json_member(extra, "measured", measured);
  const std::string kind = "profile_" + std::string(compliance_rule_name(r));
  ctx.raise_alert(s.id, kind, pname + ": " + message, ts_us, extra);
  if (opt_.log && !refresh)
    opt_.log("session " + std::to_string(s.id) + " alert " + kind + ": " + pname + ": " + message + " [side esme, direction " +
             std::string(dir) + "]");
}

void compliance_checker::on_bound(session& s, std::uint64_t event_id, std::int64_t ts_us, analysis_context& ctx) {
  const pf::bind_rules& b = s.p().binds;
  auto& acc = accounts_[s.system_id];
  if (!acc) acc = std::make_unique<account>();
  switch (*s.bound) {
    case pf::bind_type::transmitter: ++acc->tx; break;
    case pf::bind_type::receiver: ++acc->rx; break;
    case pf::bind_type::transceiver: ++acc->trx; break;
  }
  const std::uint32_t on_server = ++acc->per_server[s.server];
  const std::uint32_t on_host = ++host_binds_[s.host];
  reconnects_.erase(s.system_id);  // the ESME came back

  auto over = [&](std::optional<std::uint32_t> limit, std::uint32_t measured, const std::string& what) {
    if (!limit || measured <= *limit) return;
    breach(s, compliance_rule::binds, event_id, ts_us,
           what + ": " + num(std::uint64_t{measured}) + " bound sessions, the limit is " + num(std::uint64_t{*limit}) +
               (b.scope.empty() ? "" : " per " + b.scope),
           num(std::uint64_t{*limit}), num(std::uint64_t{measured}), false, ctx);
  };
  const std::string who = "system_id '" + s.system_id + "'";
  over(b.max_transmitters, acc->tx, who + " as transmitter");
  over(b.max_receivers, acc->rx, who + " as receiver");
  over(b.max_transceivers, acc->trx, who + " as transceiver");
  if (b.max_per_account && acc->weighted(b.transceiver_weight) > *b.max_per_account)
    over(b.max_per_account, acc->weighted(b.transceiver_weight),
         who + (b.transceiver_weight > 1 ? " (a transceiver counts " + num(std::uint64_t{b.transceiver_weight}) + ")" : ""));
  over(b.max_per_server, on_server, who + " on " + s.server);
  over(b.max_per_host, on_host, "client host " + s.host);
}

void compliance_checker::on_unbound(session& s) {
  if (!s.bound) return;
  if (auto it = accounts_.find(s.system_id); it != accounts_.end()) {
    account& a = *it->second;
    switch (*s.bound) {
      case pf::bind_type::transmitter: a.tx -= a.tx > 0; break;
      case pf::bind_type::receiver: a.rx -= a.rx > 0; break;
      case pf::bind_type::transceiver: a.trx -= a.trx > 0; break;
    }
    if (auto ps = a.per_server.find(s.server); ps != a.per_server.end() && --ps->second == 0) a.per_server.erase(ps);
    if (a.weighted(1) == 0 && a.per_server.empty()) accounts_.erase(it);
  }
  if (auto h = host_binds_.find(s.host); h != host_binds_.end() && --h->second == 0) host_binds_.erase(h);
  s.bound.reset();
  s.outstanding.clear();
  s.messages.clear();
}

void compliance_checker::check_request(session& s, const pdu_info& pi, analysis_context& ctx) {
  const d::pdu& p = *pi.pdu;
  const pf::provider_profile& prof = s.p();
  const std::uint32_t id = p.hdr.command_id;
  const std::uint64_t ev = pi.event_id;
  const std::int64_t ts = pi.ts_us;
  const std::string name(d::command_name(id));

  if (!prof.pdu_supported(id))
    breach(s, compliance_rule::unsupported_pdu, ev, ts, name + " is not supported by the provider", "not supported",
           name, true, ctx);

  // Window: every request the ESME has not had answered (stale ones expire).
  if (prof.window && id != static_cast<std::uint32_t>(cid::generic_nack)) {
    if (s.outstanding.size() < max_tracked_requests) s.outstanding[p.hdr.sequence_number] = ts;
    if (s.outstanding.size() > *prof.window)
      breach(s, compliance_rule::window, ev, ts,
             "window " + num(std::uint64_t{s.outstanding.size()}) + " above the limit " + num(std::uint64_t{*prof.window}) +
                 " (requests without a response)",
             num(std::uint64_t{*prof.window}), num(std::uint64_t{s.outstanding.size()}), true, ctx);
  }

  // Rate: the provider counts messages per second per connection.
  if (prof.rate_per_connection && prof.counts_as_message(id)) {
    s.messages.push_back(ts);
    while (!s.messages.empty() && s.messages.front() <= ts - 1'000'000) s.messages.pop_front();
    if (s.messages.size() > max_rate_samples) s.messages.pop_front();
    const double measured = static_cast<double>(s.messages.size());
    if (measured > *prof.rate_per_connection)
      breach(s, compliance_rule::rate, ev, ts,
             "rate " + num(measured) + " messages in the last second above the limit " + num(*prof.rate_per_connection) +
                 "/s per connection",
             num(*prof.rate_per_connection), num(measured), true, ctx);
  }

  // Binds.
  if (const auto bt = bind_type_of(id)) {
    const std::string sid(field_text(p, "system_id"));
    if (!prof.bind_allowed(*bt))
      breach(s, compliance_rule::bind_type, ev, ts,
             name + ": the provider offers " +
                 [&] {
                   std::string a;
                   for (auto t : prof.binds.allowed) a += (a.empty() ? "" : ", ") + std::string(pf::to_string(t));
                   return a;
                 }() + " binds only",
             "allowed types", std::string(pf::to_string(*bt)), false, ctx);
    if (const d::field_value* v = p.field("interface_version"); v && !prof.interface_versions.empty()) {
      const auto ver = static_cast<std::uint8_t>(v->integer);
      if (std::find(prof.interface_versions.begin(), prof.interface_versions.end(), ver) == prof.interface_versions.end()) {
        std::string allowed;
        for (auto x : prof.interface_versions) allowed += (allowed.empty() ? "" : ", ") + version_text(x);
        breach(s, compliance_rule::interface_version, ev, ts,
               "interface_version " + version_text(ver) + ": the provider speaks SMPP " + allowed, allowed,
               version_text(ver), false, ctx);
      }
    }
    const pf::system_id_shape& shape = prof.system_id;
    const bool bad_prefix = !shape.prefix.empty() && !sid.starts_with(shape.prefix);
    const bool too_short = shape.min_length && sid.size() < *shape.min_length;
    const bool too_long = shape.max_length && sid.size() > *shape.max_length;
    if (bad_prefix || too_short || too_long)
      breach(s, compliance_rule::system_id, ev, ts,
             "system_id '" + sid + "' is not of the provider's form" + (shape.example.empty() ? "" : " " + shape.example),
             shape.example.empty() ? shape.prefix + "..." : shape.example, sid, false, ctx);
    if (s.binds_pending.size() < 64) s.binds_pending[p.hdr.sequence_number] = {*bt, sid};
  }

  // enquire_link interval, measured between the ESME's consecutive enquire_links.
  if (id == static_cast<std::uint32_t>(cid::enquire_link) && prof.enquire_link_interval_s) {
    const double rec = *prof.enquire_link_interval_s, tol = prof.enquire_link_tolerance;
    if (s.last_enquire_us != 0) {
      const double gap = static_cast<double>(ts - s.last_enquire_us) / 1e6;
      const bool already = s.enquire_gap_reported && gap > rec * tol;  // reported by on_tick
      if ((gap < rec / tol || gap > rec * tol) && !already)
        breach(s, compliance_rule::enquire_link_interval, ev, ts,
               "enquire_link " + num(std::round(gap * 10) / 10) + " s after the previous one, recommended every " +
                   num(rec) + " s",
               num(rec) + " s", num(std::round(gap * 10) / 10) + " s", true, ctx);
    }
    s.last_enquire_us = ts;
    s.enquire_gap_reported = false;
  }

  // The short message.
  if (!d::carries_message(id)) return;
  const auto m = d::find_message(p);
  if (!m) return;
  const bool has_dc = p.spec && p.spec->data_coding_index != d::no_field;
  if (has_dc && !prof.data_coding_supported(m->data_coding)) {
    std::string allowed;
    for (auto x : prof.data_codings) allowed += (allowed.empty() ? "" : ", ") + num(std::uint64_t{x});
    breach(s, compliance_rule::data_coding, ev, ts,
           "data_coding " + num(std::uint64_t{m->data_coding}) + " is not supported (supported: " + allowed + ")", allowed,
           num(std::uint64_t{m->data_coding}), true, ctx);
  }
  if (has_dc && m->data_coding == 0 && prof.gsm7 != pf::gsm7_packing::any && !m->text_octets.empty()) {
    const auto found = d::detect_gsm7_packing(m->text_octets, m->fill_bits);
    if (prof.gsm7 == pf::gsm7_packing::unpacked && found == d::gsm7_packing::packed)
      breach(s, compliance_rule::gsm7_packing, ev, ts,
             "GSM 7-bit text is packed; the account reads one septet per octet", "unpacked", "packed", true, ctx);
    else if (prof.gsm7 == pf::gsm7_packing::packed && found == d::gsm7_packing::unpacked)
      breach(s, compliance_rule::gsm7_packing, ev, ts,
             "GSM 7-bit text is one septet per octet; the account reads packed septets", "packed", "unpacked", true, ctx);
  }
  // sm_length rules: octets, not characters, UDH included; one SMS; UCS2 in whole pairs;
  // short_message and message_payload not both (SMPP v3.4 sections 5.2.21, 5.3.2.32).
  if (p.spec && p.spec->sm_length_index != d::no_field && p.field_count > p.spec->sm_length_index) {
    const std::uint32_t sm_length = p.fields[static_cast<std::size_t>(p.spec->sm_length_index)].integer;
    const std::uint32_t limit = prof.sm_length.max_octets;
    if (sm_length > limit)
      breach(s, compliance_rule::sm_length, ev, ts,
             "sm_length " + num(std::uint64_t{sm_length}) + " octets: one SMS carries at most " + num(std::uint64_t{limit}) +
                 " (UDH included); split it or use message_payload",
             num(std::uint64_t{limit}), num(std::uint64_t{sm_length}), true, ctx);
    bool payload = false;
    for (const d::tlv& t : p.tlvs()) payload |= t.tag == static_cast<std::uint16_t>(d::tlv_tag::message_payload);
    if (sm_length > 0 && payload)
      breach(s, compliance_rule::sm_length, ev, ts,
             "short_message and message_payload both present: sm_length must be 0 with message_payload", "0",
             num(std::uint64_t{sm_length}), true, ctx);
    if (has_dc && m->data_coding == 8 && !m->from_payload_tlv && m->text_octets.size() % 2 != 0)
      breach(s, compliance_rule::sm_length, ev, ts,
             "UCS2 text of " + num(std::uint64_t{m->text_octets.size()}) + " octets: UCS2 characters are 2 octets each",
             "even", num(std::uint64_t{m->text_octets.size()}), true, ctx);
  }
  // Optional parameters the provider does not support.
  std::unordered_set<std::uint16_t> seen;
  for (const d::tlv& t : p.tlvs()) {
    const bool payload = t.tag == static_cast<std::uint16_t>(d::tlv_tag::message_payload);
    const bool unsupported =
        std::find(prof.unsupported_tlvs.begin(), prof.unsupported_tlvs.end(), t.tag) != prof.unsupported_tlvs.end() ||
        (payload && !prof.sm_length.message_payload_allowed);
    if (!unsupported || !seen.insert(t.tag).second) continue;
    const d::tlv_spec* ts_ = d::find_tlv(t.tag);
    const std::string tname = ts_ ? std::string(ts_->name) : "tag " + num(std::uint64_t{t.tag});
    breach(s, compliance_rule::unsupported_tlv, ev, ts, tname + " is not supported by the provider", "not supported",
           tname, true, ctx);
  }
}

void compliance_checker::on_pdu(const pdu_info& pi, analysis_context& ctx) {
  const auto it = sessions_.find(pi.session);
  if (it == sessions_.end()) return;
  session& s = *it->second;
  if (pi.cmpp && !s.cmpp) {  // compliance profiles are SMPP's: a CMPP session is not "compliant"
    s.cmpp = true;
    std::lock_guard lock(shared_->mu);
    shared_->sessions[s.id].cmpp = true;
  }
  if (!pi.pdu || s.cmpp) return;
  const d::pdu& p = *pi.pdu;
  const std::uint32_t id = p.hdr.command_id;

  if (!s.pending_lints.empty() && pi.event_id != 0) {
    std::lock_guard lock(shared_->mu);
    shared_->add_lints(pi.event_id, s.pending_lints, opt_.max_lint_events);
    s.pending_lints.clear();
  }

  if (pi.dir == direction::esme_to_smsc) {
    if (!d::is_response(id)) {
      if (pi.error && !p.spec) return;  // not even a known command: the decoder says so
      check_request(s, pi, ctx);
    }
    // The ESME answering the SMSC's unbind, or its own unbind: no longer bound once answered.
    if (id == static_cast<std::uint32_t>(cid::unbind_resp)) on_unbound(s);
    return;
  }

  // smsc_to_esme
  if (d::is_response(id)) {
    s.outstanding.erase(p.hdr.sequence_number);
    if (id == static_cast<std::uint32_t>(cid::generic_nack)) s.binds_pending.erase(p.hdr.sequence_number);
    if (bind_type_of(id)) {
      const auto b = s.binds_pending.find(p.hdr.sequence_number);
      if (b != s.binds_pending.end()) {
        const auto pending = std::move(b->second);
        s.binds_pending.erase(b);
        if (p.hdr.command_status == 0) {
          on_unbound(s);  // a second bind on one connection replaces the first
          s.system_id = pending.system_id;
          s.bound = pending.type;
          s.bound_since_us = pi.ts_us;
          s.last_enquire_us = 0;
          s.enquire_gap_reported = false;
          on_bound(s, pi.event_id, pi.ts_us, ctx);
        }
      }
    }
    if (id == static_cast<std::uint32_t>(cid::unbind_resp)) on_unbound(s);
    return;
  }
  // The SMSC unbinds: where the provider does so on purpose, the ESME must bind again.
  if (id == static_cast<std::uint32_t>(cid::unbind) && s.bound && s.p().forced_unbind_period_s) {
    reconnects_[s.system_id] = {s.id, pi.event_id, pi.ts_us + std::int64_t{s.p().reconnect_within_s} * 1'000'000};
  }
}

void compliance_checker::on_tick(std::int64_t now_us, analysis_context& ctx) {
  for (auto& [id, sp] : sessions_) {
    session& s = *sp;
    if (s.cmpp) continue;
    const pf::provider_profile& prof = s.p();
    // Requests unanswered for long stop counting in the window (the peer lost them).
    if (!s.outstanding.empty()) {
      for (auto it = s.outstanding.begin(); it != s.outstanding.end();)
        it = now_us - it->second > opt_.response_expiry_us ? s.outstanding.erase(it) : std::next(it);
    }
    // A bound ESME silent on enquire_link far beyond the recommended interval.
    if (s.bound && prof.enquire_link_interval_s && !s.enquire_gap_reported) {
      const double rec = *prof.enquire_link_interval_s, tol = prof.enquire_link_tolerance;
      const std::int64_t since = std::max(s.last_enquire_us, s.bound_since_us);
      const double gap = static_cast<double>(now_us - since) / 1e6;
      if (gap > rec * tol) {
        s.enquire_gap_reported = true;
        breach(s, compliance_rule::enquire_link_interval, 0, now_us,
               "no enquire_link for " + num(std::round(gap)) + " s while bound, recommended every " + num(rec) + " s",
               num(rec) + " s", num(std::round(gap)) + " s", false, ctx);
      }
    }
    // Per-PDU rules' alerts clear after a quiet period.
    for (std::size_t i = 0; i < compliance_rule_count; ++i) {
      if (!s.alert_active[i] || now_us - s.last_breach_us[i] < opt_.alert_quiet_us) continue;
      const auto r = static_cast<compliance_rule>(i);
      const bool per_pdu = r == compliance_rule::window || r == compliance_rule::rate ||
                           r == compliance_rule::unsupported_pdu || r == compliance_rule::unsupported_tlv ||
                           r == compliance_rule::data_coding || r == compliance_rule::gsm7_packing ||
                           r == compliance_rule::sm_length || r == compliance_rule::enquire_link_interval;
      if (!per_pdu) continue;
      s.alert_active[i] = false;
      s.recent[i].clear();
      const std::string kind = "profile_" + std::string(compliance_rule_name(r));
      ctx.clear_alert(s.id, kind, now_us);
      if (opt_.log) opt_.log("session " + std::to_string(s.id) + " alert " + kind + " cleared [side esme, direction esme_to_smsc]");
    }
  }
  // The ESME did not bind again after the SMSC's unbind.
  for (auto it = reconnects_.begin(); it != reconnects_.end();) {
    if (now_us < it->second.deadline_us) {
      ++it;
      continue;
    }
    const pending_reconnect pr = it->second;
    const std::string sid = it->first;
    it = reconnects_.erase(it);
    std::shared_ptr<const profile_names> prof;
    {
      std::lock_guard lock(shared_->mu);
      if (auto s = shared_->sessions.find(pr.session); s != shared_->sessions.end()) prof = s->second.prof;
    }
    if (!prof) continue;  // long forgotten
    // The unbound session may be closed already: a stand-in carries the breach to its summary.
    session stand_in;
    session* s = &stand_in;
    if (auto live = sessions_.find(pr.session); live != sessions_.end()) s = live->second.get();
    stand_in.id = pr.session;
    stand_in.prof = prof;
    const std::uint32_t within = prof->profile->reconnect_within_s;
    breach(*s, compliance_rule::reconnect, pr.unbind_event, now_us,
           "system_id '" + sid + "' did not bind again within " + num(std::uint64_t{within}) +
               " s of the SMSC's unbind (the provider unbinds every " +
               num(std::uint64_t{prof->profile->forced_unbind_period_s.value_or(0)}) + " s)",
           num(std::uint64_t{within}) + " s", "no bind", false, ctx);
  }
}

std::optional<std::string> compliance_checker::session_summary_json(std::uint64_t session) const {
  std::lock_guard lock(shared_->mu);
  const auto it = shared_->sessions.find(session);
  if (it == shared_->sessions.end() || !it->second.prof || it->second.cmpp) return std::nullopt;
  std::string out = "{\"profile\":";
  d::append_json_string(out, it->second.prof->profile->name);
  bool compliant = true;
  std::string breaches = "{";
  for (std::size_t i = 0; i < compliance_rule_count; ++i) {
    const std::uint64_t n = it->second.counts[i];
    if (!n) continue;
    if (!compliant) breaches += ',';
    compliant = false;
    d::append_json_string(breaches, rule_names[i]);
    breaches += ':';
    breaches += std::to_string(n);
  }
  breaches += '}';
  out += ",\"compliant\":";
  out += compliant ? "true" : "false";
  out += ",\"breaches\":";
  out += breaches;
  out += '}';
  return out;
}

std::unordered_map<std::string, std::uint64_t> compliance_checker::breaches(std::uint64_t session) const {
  std::unordered_map<std::string, std::uint64_t> out;
  std::lock_guard lock(shared_->mu);
  const auto it = shared_->sessions.find(session);
  if (it == shared_->sessions.end()) return out;
  for (std::size_t i = 0; i < compliance_rule_count; ++i)
    if (it->second.counts[i]) out.emplace(rule_names[i], it->second.counts[i]);
  return out;
}

profile::profile_ptr compliance_checker::profile_of(std::uint64_t session) const {
  std::lock_guard lock(shared_->mu);
  const auto it = shared_->sessions.find(session);
  return it == shared_->sessions.end() || !it->second.prof ? nullptr : it->second.prof->profile;
}

std::shared_ptr<const decoder::vendor_names> compliance_checker::vendor_names(std::uint64_t session) const {
  std::shared_ptr<const profile_names> prof;
  {
    std::lock_guard lock(shared_->mu);
    const auto it = shared_->sessions.find(session);
    if (it != shared_->sessions.end()) prof = it->second.prof;
  }
  // A session this checker never saw (closed long ago): still hint at who names vendor values.
  if (!prof) {
    static const auto hints_only = [] {
      auto pn = std::make_shared<profile_names>();
      pn->names.hint_tlvs = pf::builtin_vendor_tlv_rows();
      pn->names.hint_statuses = pf::builtin_vendor_status_rows();
      return std::shared_ptr<const profile_names>(std::move(pn));
    }();
    prof = hints_only;
  }
  return {prof, &prof->names};  // aliasing: keeps the profile alive while the reader renders
}

void compliance_checker::append_members(std::string& out, const event_info& e) const {
  std::lock_guard lock(shared_->mu);
  const auto it = shared_->lints.find(e.id);
  if (it == shared_->lints.end()) return;
  out += ",\"profile_lints\":[";
  out += it->second;
  out += ']';
}

}  // namespace smppscope::analysis
