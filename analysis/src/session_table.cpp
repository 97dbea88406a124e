#include "smppscope/analysis/session_table.hpp"

#include <algorithm>
#include <charconv>

#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace smppscope::analysis {

namespace {

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // single writer
}

using decoder::command_id;

std::string_view bind_type_of(std::uint32_t id) noexcept {
  switch (static_cast<command_id>(id & ~decoder::response_bit)) {
    case command_id::bind_transmitter: return "transmitter";
    case command_id::bind_receiver: return "receiver";
    case command_id::bind_transceiver: return "transceiver";
    default: return {};
  }
}

session_state bound_state_of(std::uint32_t id) noexcept {
  switch (static_cast<command_id>(id & ~decoder::response_bit)) {
    case command_id::bind_transmitter: return session_state::bound_tx;
    case command_id::bind_receiver: return session_state::bound_rx;
    default: return session_state::bound_trx;
  }
}

}  // namespace

std::string_view session_state_name(session_state s) noexcept {
  switch (s) {
    case session_state::connecting: return "connecting";
    case session_state::open: return "open";
    case session_state::bound_tx: return "bound_tx";
    case session_state::bound_rx: return "bound_rx";
    case session_state::bound_trx: return "bound_trx";
    case session_state::unbinding: return "unbinding";
    case session_state::closed: return "closed";
  }
  return "unknown";
}

struct session_table::entry {
  // set at open, then read-only
  std::uint64_t id = 0;
  endpoint client, proxy_client_side, proxy_upstream_side, upstream;
  bool client_tls = false, upstream_tls = false;
  std::int64_t started_us = 0;
  // written by the writer under mu_, read by readers under mu_
  session_state state = session_state::open;
  session_state before_unbind = session_state::open;
  std::string system_id;
  std::string bind_type;
  std::optional<std::uint8_t> interface_version;
  // bind details only the writer reads (bind_state()); `state` above is the bind state
  bool binding = false;
  std::uint32_t bind_command = 0;
  std::optional<std::uint32_t> bind_status;
  std::int64_t bound_since_us = 0;
  std::optional<std::uint8_t> sc_interface_version;
  std::string protocol = "smpp";
  std::string protocol_version;
  std::int64_t closed_us = 0;
  std::string close_reason;
  std::vector<session_alert> alerts;
  // single writer, lock-free readers
  std::atomic<std::uint64_t> pdus_in{0}, pdus_out{0}, bytes_in{0}, bytes_out{0}, malformed{0};
  std::atomic<std::uint32_t> outstanding[2] = {0, 0};
  std::atomic<std::uint64_t> lost[2] = {0, 0}, skipped[2] = {0, 0};
};

session_table::session_table(std::size_t max_closed) : max_closed_(max_closed) {}
session_table::~session_table() = default;

session_table::entry* session_table::find(std::uint64_t id) noexcept {
  if (last_ && last_->id == id) return last_;
  const auto it = live_.find(id);
  if (it == live_.end()) return nullptr;
  last_ = it->second.get();
  return last_;
}

void session_table::open(const tap_record& r) {
  auto e = std::make_unique<entry>();
  e->id = r.session;
  e->client = r.client;
  e->proxy_client_side = r.proxy_client_side;
  e->proxy_upstream_side = r.proxy_upstream_side;
  e->upstream = r.upstream;
  e->client_tls = r.client_tls;
  e->upstream_tls = r.upstream_tls;
  e->started_us = r.ts_us;
  const std::lock_guard lock(mu_);
  if (r.kind == record_kind::upstream_failure) {
    e->state = session_state::closed;
    e->closed_us = r.ts_us;
    e->close_reason.assign(reinterpret_cast<const char*>(r.bytes.data()), r.bytes.size());
    if (const auto it = live_.find(r.session); it != live_.end()) {  // it had been announced
      if (last_ == it->second.get()) last_ = nullptr;
      live_.erase(it);
    }
    closed_.push_back(std::move(e));
  } else {
    e->state = session_state::open;
    auto& slot = live_[r.session];
    if (last_ == slot.get()) last_ = nullptr;
    slot = std::move(e);
  }
  while (closed_.size() > max_closed_) closed_.pop_front();
}

void session_table::close(std::uint64_t id, std::int64_t ts_us, std::string_view reason) {
  const std::lock_guard lock(mu_);
  const auto it = live_.find(id);
  if (it == live_.end()) return;
  std::unique_ptr<entry> e = std::move(it->second);
  live_.erase(it);
  if (last_ == e.get()) last_ = nullptr;
  e->state = session_state::closed;
  e->closed_us = ts_us;
  e->close_reason.assign(reason);
  closed_.push_back(std::move(e));
  while (closed_.size() > max_closed_) closed_.pop_front();
}

void session_table::add_bytes(std::uint64_t id, direction d, std::size_t n) noexcept {
  if (entry* e = find(id)) bump(d == direction::esme_to_smsc ? e->bytes_in : e->bytes_out, n);
}

void session_table::add_malformed(std::uint64_t id) noexcept {
  if (entry* e = find(id)) bump(e->malformed);
}

void session_table::add_lost(std::uint64_t id, direction d, std::uint64_t n) noexcept {
  if (entry* e = find(id)) bump(e->lost[static_cast<int>(d)], n);
}

void session_table::add_skipped(std::uint64_t id, direction d, std::uint64_t n) noexcept {
  if (entry* e = find(id)) bump(e->skipped[static_cast<int>(d)], n);
}

void session_table::set_outstanding(std::uint64_t id, direction d, std::uint32_t n) noexcept {
  if (entry* e = find(id)) e->outstanding[static_cast<int>(d)].store(n, std::memory_order_relaxed);
}

void session_table::set_protocol(std::uint64_t id, std::string_view protocol, std::string_view version) {
  entry* e = find(id);
  if (!e) return;
  const std::lock_guard lock(mu_);
  e->protocol.assign(protocol);
  e->protocol_version.assign(version);
}

void session_table::on_cmpp_pdu(std::uint64_t id, direction d, const decoder::cmpp::pdu& p, bool decoded,
                                std::int64_t ts_us) {
  namespace cmpp = decoder::cmpp;
  entry* e = find(id);
  if (!e) return;
  bump(d == direction::esme_to_smsc ? e->pdus_in : e->pdus_out);
  if (!decoded) bump(e->malformed);
  switch (static_cast<cmpp::command_id>(p.hdr.command_id)) {
    case cmpp::command_id::connect: {
      const auto src = p.text("Source_Addr");
      const auto ver = p.integer("Version");
      const std::lock_guard lock(mu_);
      if (src) e->system_id.assign(*src);
      if (ver) e->interface_version = static_cast<std::uint8_t>(*ver);
      e->binding = true;
      e->bind_command = p.hdr.command_id;
      return;
    }
    case cmpp::command_id::connect_resp: {
      const auto status = p.status();
      const auto ver = p.integer("Version");
      const std::lock_guard lock(mu_);
      e->binding = false;
      e->bind_command = static_cast<std::uint32_t>(cmpp::command_id::connect);
      if (status) e->bind_status = *status;
      if (ver) e->sc_interface_version = static_cast<std::uint8_t>(*ver);
      if (decoded && status == 0u) {
        e->state = session_state::bound_trx;
        e->bind_type = "transceiver";
        e->bound_since_us = ts_us;
      }
      return;
    }
    case cmpp::command_id::terminate: {
      const std::lock_guard lock(mu_);
      if (e->state != session_state::unbinding) e->before_unbind = e->state;
      e->state = session_state::unbinding;
      return;
    }
    case cmpp::command_id::terminate_resp: {
      const std::lock_guard lock(mu_);
      if (e->state == session_state::unbinding) e->state = session_state::open;
      return;
    }
    default:
      return;
  }
}

void session_table::on_pdu(std::uint64_t id, direction d, const decoder::pdu& p, bool decoded,
                           std::int64_t ts_us) {
  entry* e = find(id);
  if (!e) return;
  bump(d == direction::esme_to_smsc ? e->pdus_in : e->pdus_out);
  if (!decoded) bump(e->malformed);
  const std::uint32_t cmd = p.hdr.command_id;
  switch (static_cast<command_id>(cmd)) {
    case command_id::bind_transmitter:
    case command_id::bind_receiver:
    case command_id::bind_transceiver: {
      if (d != direction::esme_to_smsc) return;
      const decoder::field_value* sys = p.field("system_id");
      const decoder::field_value* iv = decoded ? p.field("interface_version") : nullptr;
      const std::lock_guard lock(mu_);
      if (sys) e->system_id.assign(sys->text());
      if (iv) e->interface_version = std::uint8_t(iv->integer);
      e->bind_type.assign(bind_type_of(cmd));
      e->binding = true;
      e->bind_command = cmd;
      return;
    }
    case command_id::bind_transmitter_resp:
    case command_id::bind_receiver_resp:
    case command_id::bind_transceiver_resp: {
      if (d != direction::smsc_to_esme) return;
      std::optional<std::uint8_t> sc_version;
      if (const auto t = p.tlvs().find(decoder::tlv_tag::sc_interface_version)) {
        if (const auto v = t->integer()) sc_version = static_cast<std::uint8_t>(*v);
      }
      const std::lock_guard lock(mu_);
      e->binding = false;
      e->bind_command = cmd & ~decoder::response_bit;
      e->bind_status = p.hdr.command_status;
      if (p.hdr.command_status == 0) {
        e->state = bound_state_of(cmd);
        e->bind_type.assign(bind_type_of(cmd));
        e->bound_since_us = ts_us;
        if (sc_version) e->sc_interface_version = sc_version;
      }
      return;
    }
    case command_id::generic_nack: {
      // The answer to a bind the peer could not parse: the bind failed.
      if (d != direction::smsc_to_esme || !e->binding) return;
      const std::lock_guard lock(mu_);
      e->binding = false;
      e->bind_status = p.hdr.command_status;
      return;
    }
    case command_id::unbind: {
      const std::lock_guard lock(mu_);
      if (e->state != session_state::unbinding) e->before_unbind = e->state;
      e->state = session_state::unbinding;
      return;
    }
    case command_id::unbind_resp: {
      const std::lock_guard lock(mu_);
      if (e->state == session_state::unbinding)
        e->state = p.hdr.command_status == 0 ? session_state::open : e->before_unbind;
      return;
    }
    default: return;
  }
}

std::optional<bind_view> session_table::bind_state(std::uint64_t id) noexcept {
  const entry* e = find(id);
  if (!e) return std::nullopt;
  // No lock: the calling (analysis) thread is the only writer of these members.
  bind_view v;
  v.state = e->state;
  v.binding = e->binding;
  v.bind_command = e->bind_command;
  v.bind_status = e->bind_status;
  v.bound_since_us = e->bound_since_us;
  v.interface_version = e->interface_version;
  v.sc_interface_version = e->sc_interface_version;
  return v;
}

session_table::alert_change session_table::set_alert(std::uint64_t id, session_alert a) {
  entry* e = find(id);
  if (!e) return alert_change::unknown_session;
  const std::lock_guard lock(mu_);
  for (auto& x : e->alerts) {
    if (x.kind == a.kind) {
      x.message = std::move(a.message);
      x.extra_json = std::move(a.extra_json);  // since_us stays: the alert is still the same one
      return alert_change::updated;
    }
  }
  e->alerts.push_back(std::move(a));
  return alert_change::added;
}

bool session_table::clear_alert(std::uint64_t id, std::string_view kind) {
  entry* e = find(id);
  if (!e) return false;
  const std::lock_guard lock(mu_);
  const auto it = std::find_if(e->alerts.begin(), e->alerts.end(),
                               [&](const session_alert& x) { return x.kind == kind; });
  if (it == e->alerts.end()) return false;
  e->alerts.erase(it);
  return true;
}

session_info session_table::copy(const entry& e) {
  session_info s;
  s.id = e.id;
  s.client = e.client;
  s.proxy_client_side = e.proxy_client_side;
  s.proxy_upstream_side = e.proxy_upstream_side;
  s.upstream = e.upstream;
  s.client_tls = e.client_tls;
  s.upstream_tls = e.upstream_tls;
  s.started_us = e.started_us;
  s.state = e.state;
  s.system_id = e.system_id;
  s.bind_type = e.bind_type;
  s.interface_version = e.interface_version;
  s.protocol = e.protocol;
  s.protocol_version = e.protocol_version;
  s.closed_us = e.closed_us;
  s.close_reason = e.close_reason;
  s.alerts = e.alerts;
  s.pdus_in = e.pdus_in.load(std::memory_order_relaxed);
  s.pdus_out = e.pdus_out.load(std::memory_order_relaxed);
  s.bytes_in = e.bytes_in.load(std::memory_order_relaxed);
  s.bytes_out = e.bytes_out.load(std::memory_order_relaxed);
  s.malformed = e.malformed.load(std::memory_order_relaxed);
  s.outstanding_esme_to_smsc = e.outstanding[0].load(std::memory_order_relaxed);
  s.outstanding_smsc_to_esme = e.outstanding[1].load(std::memory_order_relaxed);
  for (int d = 0; d < 2; ++d) {
    s.lost_bytes[d] = e.lost[d].load(std::memory_order_relaxed);
    s.skipped_bytes[d] = e.skipped[d].load(std::memory_order_relaxed);
  }
  return s;
}

std::vector<session_info> session_table::snapshot() const {
  std::vector<session_info> out;
  {
    const std::lock_guard lock(mu_);
    out.reserve(live_.size() + closed_.size());
    for (const auto& [id, e] : live_) out.push_back(copy(*e));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (const auto& e : closed_) out.push_back(copy(*e));
  }
  return out;
}

std::optional<session_info> session_table::get(std::uint64_t id) const {
  const std::lock_guard lock(mu_);
  if (const auto it = live_.find(id); it != live_.end()) return copy(*it->second);
  for (auto it = closed_.rbegin(); it != closed_.rend(); ++it)
    if ((*it)->id == id) return copy(**it);
  return std::nullopt;
}

std::size_t session_table::live_count() const {
  const std::lock_guard lock(mu_);
  return live_.size();
}

std::size_t session_table::closed_count() const {
  const std::lock_guard lock(mu_);
  return closed_.size();
}

std::string session_table::json() const {
  const auto all = snapshot();
  std::string out = "[";
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i) out += ',';
    append_session_json(out, all[i]);
  }
  out += ']';
  return out;
}

void append_session_json(std::string& out, const session_info& s) {
  auto str = [&](std::string_view key, std::string_view v) {
    out += ",\"";
    out += key;
    out += "\":";
    decoder::append_json_string(out, v);
  };
  auto num = [&](std::string_view key, auto v) {
    out += ",\"";
    out += key;
    out += "\":";
    append_int(out, v);
  };
  out += "{\"id\":";
  append_int(out, s.id);
  str("client", s.client.to_string());
  str("upstream", s.upstream.to_string());
  str("state", session_state_name(s.state));
  str("system_id", s.system_id);
  str("bind_type", s.bind_type);
  num("pdus_in", s.pdus_in);
  num("pdus_out", s.pdus_out);
  out += ",\"outstanding\":{\"esme_to_smsc\":";
  append_int(out, s.outstanding_esme_to_smsc);
  out += ",\"smsc_to_esme\":";
  append_int(out, s.outstanding_smsc_to_esme);
  out += "},\"alerts\":[";
  for (std::size_t i = 0; i < s.alerts.size(); ++i) {
    const auto& a = s.alerts[i];
    if (i) out += ',';
    out += "{\"kind\":";
    decoder::append_json_string(out, a.kind);
    out += ",\"message\":";
    decoder::append_json_string(out, a.message);
    out += ",\"since_us\":";
    append_int(out, a.since_us);
    if (!a.extra_json.empty()) {
      out += ',';
      out += a.extra_json;
    }
    out += '}';
  }
  out += ']';
  out += ",\"interface_version\":";
  if (s.interface_version) append_int(out, unsigned(*s.interface_version));
  else out += "null";
  num("bytes_in", s.bytes_in);
  num("bytes_out", s.bytes_out);
  num("malformed", s.malformed);
  out += ",\"lossy\":";
  out += s.lossy() ? "true" : "false";
  for (const auto& [key, v] : {std::pair{"lost_bytes", s.lost_bytes}, std::pair{"skipped_bytes", s.skipped_bytes}}) {
    out += ",\"";
    out += key;
    out += "\":{\"esme_to_smsc\":";
    append_int(out, v[0]);
    out += ",\"smsc_to_esme\":";
    append_int(out, v[1]);
    out += '}';
  }
  num("started_us", s.started_us);
  if (s.closed_us) num("closed_us", s.closed_us);
  else out += ",\"closed_us\":null";
  str("close_reason", s.close_reason);
  str("proxy_client_side", s.proxy_client_side.to_string());
  str("proxy_upstream_side", s.proxy_upstream_side.to_string());
  out += ",\"client_tls\":";
  out += s.client_tls ? "true" : "false";
  out += ",\"upstream_tls\":";
  out += s.upstream_tls ? "true" : "false";
  str("protocol", s.protocol);
  str("protocol_version", s.protocol_version);
  out += '}';
}

}  // namespace smppscope::analysis
