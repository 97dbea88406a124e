#include "smsc_core.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "smppscope/decoder/protocol.hpp"
#include "smppscope/decoder/text.hpp"

namespace smppscope::sim::detail {
namespace {

using decoder::command_id;
namespace st {  // command_status values (SMPP v3.4 section 5.1.3)
constexpr std::uint32_t ok = 0x00, invmsglen = 0x01, invcmdlen = 0x02, invcmdid = 0x03, invbndsts = 0x04,
                        alybnd = 0x05, invsrcadr = 0x0A, invdstadr = 0x0B, invmsgid = 0x0C, bindfail = 0x0D,
                        invpaswd = 0x0E, submitfail = 0x45,
                        invsysid = 0x0F, cancelfail = 0x11, replacefail = 0x13, invdlname = 0x34,
                        invdestflag = 0x40, throttled = 0x58, invsched = 0x61, invexpiry = 0x62,
                        queryfail = 0x67;
}  // namespace st

constexpr std::uint32_t id_of(command_id c) noexcept { return static_cast<std::uint32_t>(c); }
constexpr std::uint32_t resp_of(std::uint32_t id) noexcept { return id | decoder::response_bit; }

// Octets that mean the same in ASCII and the GSM 7-bit default alphabet (3GPP TS 23.038 section 6.2.1):
// receipt text limited to them reads the same unpacked, packed or as ASCII.
bool gsm7_same_as_ascii(std::uint8_t c) noexcept {
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= 'a' && c <= 'z') return true;
  if (c >= '0' && c <= '9') return true;
  return c == ' ' || c == '!' || c == '"' || c == '#' || (c >= '%' && c <= '/') || (c >= ':' && c <= '?');
}

// Packs septets LSB-first (3GPP TS 23.038 section 6.1.2.1, packing); out needs ceil(7n/8) octets.
std::size_t pack_septets(std::span<const std::uint8_t> septets, std::uint8_t* out) noexcept {
  std::size_t n = 0;
  std::uint32_t acc = 0;
  unsigned bits = 0;
  for (std::uint8_t s : septets) {
    acc |= std::uint32_t(s & 0x7F) << bits;
    bits += 7;
    while (bits >= 8) {
      out[n++] = static_cast<std::uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[n++] = static_cast<std::uint8_t>(acc);
  return n;
}

// Appends one TLV (tag, length, value) to a small stack region.
struct tlv_writer {
  std::array<std::uint8_t, 128> buf;  // written before read
  std::size_t n = 0;
  void add(std::uint16_t tag, std::span<const std::uint8_t> value) noexcept {
    if (n + 4 + value.size() > buf.size()) return;
    buf[n++] = static_cast<std::uint8_t>(tag >> 8);
    buf[n++] = static_cast<std::uint8_t>(tag);
    buf[n++] = static_cast<std::uint8_t>(value.size() >> 8);
    buf[n++] = static_cast<std::uint8_t>(value.size());
    std::memcpy(buf.data() + n, value.data(), value.size());
    n += value.size();
  }
  std::span<const std::uint8_t> bytes() const noexcept { return {buf.data(), n}; }
};

decoder::bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void append_vector(byte_buffer& to, const std::vector<std::uint8_t>& v) { to.append(v); }

// Status for a request whose body does not decode (which field broke decides; SMPP v3.4 section 5.1.3).
std::uint32_t status_for_decode_error(const decoder::decode_error& e) noexcept {
  using decoder::decode_errc;
  switch (e.code) {
    case decode_errc::sm_length_overrun: return st::invmsglen;
    case decode_errc::bad_dest_flag: return st::invdestflag;
    case decode_errc::bad_time_length:
      return e.field == "validity_period" ? st::invexpiry : st::invsched;
    case decode_errc::c_string_too_long:
      if (e.field == "source_addr") return st::invsrcadr;
      if (e.field == "destination_addr") return st::invdstadr;
      if (e.field == "system_id") return st::invsysid;
      if (e.field == "password") return st::invpaswd;
      if (e.field == "message_id") return st::invmsgid;
      return st::invcmdlen;
    default: return st::invcmdlen;
  }
}

bool is_failure(dlr_state s) noexcept {
  return s != dlr_state::delivrd && s != dlr_state::acceptd && s != dlr_state::enroute;
}

// Does registered_delivery (SMPP v3.4 section 5.2.17, bits 1-0) ask for a receipt with this outcome?
bool wants_receipt(std::uint8_t registered_delivery, dlr_state s) noexcept {
  switch (registered_delivery & 0x03) {
    case 1: return true;
    case 2: return is_failure(s);
    case 3: return s == dlr_state::delivrd;
    default: return false;
  }
}

// Up to 20 characters of the message for the receipt's text: field.
std::size_t receipt_text(std::span<const std::uint8_t> sm, std::uint8_t data_coding, std::uint8_t esm_class,
                         std::array<char, 20>& out) noexcept {
  if ((esm_class & 0x40) && !sm.empty()) {  // skip the UDH (3GPP TS 23.040 section 9.2.3.24)
    const std::size_t udh = std::size_t{sm[0]} + 1;
    sm = udh <= sm.size() ? sm.subspan(udh) : std::span<const std::uint8_t>{};
  }
  std::size_t n = 0;
  const bool ucs2 = data_coding == 0x08;
  for (std::size_t i = 0; n < out.size() && i + (ucs2 ? 1 : 0) < sm.size(); i += ucs2 ? 2 : 1) {
    const std::uint8_t c = ucs2 ? (sm[i] == 0 ? sm[i + 1] : '?') : sm[i];
    out[n++] = gsm7_same_as_ascii(c) ? static_cast<char>(c) : '?';
  }
  return n;
}

smsc_shared::msg_fields fields_of(const decoder::pdu_spec* spec, bool has_sm) {
  smsc_shared::msg_fields f{};
  f.source_ton = field_pos(spec, "source_addr_ton");
  f.source_npi = field_pos(spec, "source_addr_npi");
  f.source_addr = field_pos(spec, "source_addr");
  f.dest_ton = field_pos(spec, "dest_addr_ton");
  f.dest_npi = field_pos(spec, "dest_addr_npi");
  f.destination_addr = field_pos(spec, "destination_addr");
  f.esm_class = field_pos(spec, "esm_class");
  f.registered_delivery = field_pos(spec, "registered_delivery");
  f.data_coding = field_pos(spec, "data_coding");
  if (has_sm) {
    f.sm_length = field_pos(spec, "sm_length");
    f.short_message = field_pos(spec, "short_message");
  }
  return f;
}

std::vector<std::uint8_t> response_template(command_id id) {
  const std::string zeros(message_id_digits, '0');
  return decoder::pdu_builder(id).set("message_id", zeros).bytes();
}

profile::bind_type profile_bind_type(bind_kind k) noexcept {
  switch (k) {
    case bind_kind::transmitter: return profile::bind_type::transmitter;
    case bind_kind::receiver: return profile::bind_type::receiver;
    default: return profile::bind_type::transceiver;
  }
}

// Does a receipt error's meaning name this final state ("Expired" for EXPIRED, "Undeliverable"
// for UNDELIV)? Compared on the first five letters, case-insensitively.
bool meaning_names(std::string_view meaning, dlr_state s) noexcept {
  const std::string_view stat = dlr_stat_text(s);
  if (meaning.size() < 5 || stat.size() < 5) return false;
  for (std::size_t i = 0; i < 5; ++i) {
    const char a = static_cast<char>(meaning[i] | 0x20), b = static_cast<char>(stat[i] | 0x20);
    if (a != b) return false;
  }
  return true;
}

}  // namespace

std::uint32_t bind_counts::try_bind(const profile::provider_profile& p, bind_kind kind, const std::string& system_id,
                                    const std::string& host) {
  const auto& b = p.binds;
  if (!p.bind_allowed(profile_bind_type(kind))) return st::bindfail;
  const std::uint32_t too_many = p.replies.too_many_binds.value_or(st::bindfail);
  std::lock_guard lock(mu_);
  account& a = accounts_[system_id];
  const std::uint32_t host_binds = hosts_[host];
  auto over = [](const std::optional<std::uint32_t>& limit, std::uint32_t would_be) {
    return limit && would_be > *limit;
  };
  const std::uint32_t tx = a.tx + (kind == bind_kind::transmitter), rx = a.rx + (kind == bind_kind::receiver),
                      trx = a.trx + (kind == bind_kind::transceiver);
  if (over(b.max_transmitters, tx) || over(b.max_receivers, rx) || over(b.max_transceivers, trx) ||
      over(b.max_per_account, tx + rx + trx * b.transceiver_weight) || over(b.max_per_server, tx + rx + trx) ||
      over(b.max_per_host, host_binds + 1)) {
    if (a.tx + a.rx + a.trx == 0) accounts_.erase(system_id);
    if (host_binds == 0) hosts_.erase(host);
    return too_many;
  }
  a = {tx, rx, trx};
  ++hosts_[host];
  return st::ok;
}

void bind_counts::release(bind_kind kind, const std::string& system_id, const std::string& host) {
  std::lock_guard lock(mu_);
  if (auto it = accounts_.find(system_id); it != accounts_.end()) {
    account& a = it->second;
    std::uint32_t& n = kind == bind_kind::transmitter ? a.tx : kind == bind_kind::receiver ? a.rx : a.trx;
    if (n > 0) --n;
    if (a.tx + a.rx + a.trx == 0) accounts_.erase(it);
  }
  if (auto it = hosts_.find(host); it != hosts_.end() && --it->second == 0) hosts_.erase(it);
}

std::size_t field_pos(const decoder::pdu_spec* spec, std::string_view name) {
  if (spec)
    for (std::size_t i = 0; i < spec->fields.size(); ++i)
      if (spec->fields[i].name == name) return i;
  throw std::logic_error("PDU table has no field " + std::string(name));
}

std::string_view bind_kind_name(bind_kind b) noexcept {
  switch (b) {
    case bind_kind::transmitter: return "transmitter";
    case bind_kind::receiver: return "receiver";
    case bind_kind::transceiver: return "transceiver";
    default: return "none";
  }
}

smsc_shared::smsc_shared(const simulator_options& o) : opt(o), profile(o.profile.get()), schedule(o.dlr_mix) {
  if (profile && profile->forced_unbind_period_s) {
    const double scale = o.time_scale > 0 ? o.time_scale : 1.0;
    forced_unbind_period = std::chrono::duration_cast<steady::duration>(
        std::chrono::duration<double>(static_cast<double>(*profile->forced_unbind_period_s) / scale));
  }
  if (profile) {
    for (const auto& name : profile->receipt.tlvs) {
      if (const auto* v = profile->find_tlv(name))
        receipt_vendor_tlvs.push_back(v);
      else if (const auto* t = decoder::find_tlv(std::string_view(name)))
        receipt_tlvs.push_back(t->tag);
    }
  }
  submit_sm = decoder::find_pdu(id_of(command_id::submit_sm));
  data_sm = decoder::find_pdu(id_of(command_id::data_sm));
  deliver_sm = decoder::find_pdu(id_of(command_id::deliver_sm));
  if (!submit_sm || !data_sm || !deliver_sm) throw std::logic_error("PDU table lacks submit_sm/data_sm/deliver_sm");
  submit_f = fields_of(submit_sm, true);
  data_f = fields_of(data_sm, false);
  deliver_f = fields_of(deliver_sm, true);
  deliver_prefix_ok = deliver_f.short_message + 1 == deliver_sm->fields.size() &&
                      deliver_f.sm_length + 1 == deliver_f.short_message;
  submit_resp_template = response_template(command_id::submit_sm_resp);
  data_resp_template = response_template(command_id::data_sm_resp);
  // Message numbers start from the clock so that two runs do not hand out the same ids.
  first_message = (static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) >> 20) &
                  0xFFFFFFFFFFULL;
  next_message.store(first_message);

  // MO texts, encoded once: GSM7 (with an extension character) and UCS2 (with a surrogate pair).
  for (std::string_view text : {"Hello from a handset", "Price 5\xE2\x82\xAC {ok} @home", "STOP"}) {
    auto septets = decoder::utf8_to_gsm7(text);
    if (!septets) continue;
    mo_text t;
    t.data_coding = 0;
    t.short_message =
        opt.gsm7 == decoder::gsm7_packing::packed ? decoder::gsm7_pack(*septets) : std::move(*septets);
    mo_texts.push_back(std::move(t));
  }
  for (std::string_view text : {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xF0\x9F\x91\x8B",
                                "\xE4\xBD\xA0\xE5\xA5\xBD"}) {
    mo_texts.push_back({decoder::utf8_to_ucs2(text), 8});
  }
}

struct smsc_core::reply_ctx {
  const decoder::header& h;
  decoder::bytes_view frame;
  const sim_time& t;
  byte_buffer& to;
  std::uint32_t pdus = 0;  // PDUs written for this request
  bool windowed = false;   // the response counts in the window
  verdict v = verdict::keep;
};

enum class need : std::uint8_t { any, transmit };

struct smsc_core::rule {
  command_id id;
  need bind;
  bool message;  // counts in the window and the rate
  void (smsc_core::*handle)(reply_ctx&);
};

// The requests the simulator answers. Anything else gets generic_nack ESME_RINVCMDID.
const smsc_core::rule* smsc_core::find_rule(std::uint32_t id) noexcept {
  static constexpr rule rules[] = {
      {command_id::bind_transmitter, need::any, false, &smsc_core::on_bind},
      {command_id::bind_receiver, need::any, false, &smsc_core::on_bind},
      {command_id::bind_transceiver, need::any, false, &smsc_core::on_bind},
      {command_id::submit_sm, need::transmit, true, &smsc_core::on_submit_sm},
      {command_id::submit_multi, need::transmit, true, &smsc_core::on_submit_multi},
      {command_id::data_sm, need::transmit, true, &smsc_core::on_data_sm},
      {command_id::query_sm, need::transmit, true, &smsc_core::on_query_sm},
      {command_id::cancel_sm, need::transmit, true, &smsc_core::on_cancel_sm},
      {command_id::replace_sm, need::transmit, true, &smsc_core::on_replace_sm},
      {command_id::broadcast_sm, need::transmit, true, &smsc_core::on_broadcast_sm},
      {command_id::query_broadcast_sm, need::transmit, true, &smsc_core::on_query_broadcast_sm},
      {command_id::cancel_broadcast_sm, need::transmit, true, &smsc_core::on_cancel_broadcast_sm},
      {command_id::enquire_link, need::any, false, &smsc_core::on_enquire_link},
      {command_id::unbind, need::any, false, &smsc_core::on_unbind},
  };
  for (const auto& r : rules)
    if (id_of(r.id) == id) return &r;
  return nullptr;
}

smsc_core::smsc_core(smsc_shared& shared, smsc_events& events) : shared_(shared), events_(events) {}

void smsc_core::write_header_only(byte_buffer& to, std::uint32_t id, std::uint32_t status, std::uint32_t seq) {
  decoder::wire::put_smpp_header(to.prepare(decoder::header_size).data(), decoder::header_size, id, status, seq);
  to.commit(decoder::header_size);
}

smsc_core::verdict smsc_core::on_frame(decoder::bytes_view frame, const sim_time& t, byte_buffer& out) {
  ++c_.pdus_in;
  ++pdus_in_total_;
  const decoder::header h = decoder::read_header(frame);
  const auto& opt = shared_.opt;
  const bool drop_now = opt.drop_after_pdus && pdus_in_total_ >= *opt.drop_after_pdus;
  const verdict after = drop_now ? verdict::close_after_flush : verdict::keep;

  // Responses to our own requests (deliver_sm_resp, enquire_link_resp, generic_nack): nothing to
  // do, except the answer to our own unbind, which ends the session.
  if (decoder::is_response(h.command_id)) {
    if (h.command_id == resp_of(id_of(command_id::unbind)) && unbind_deadline_ != steady::time_point::max()) {
      unbind_deadline_ = steady::time_point::max();
      return verdict::close_after_flush;
    }
    return after;
  }

  reply_ctx r{h, frame, t, reply_target(out)};
  const rule* rl = find_rule(h.command_id);
  if (refuse_unsupported(r)) {
    // answered as the provider documents
  } else if (!rl) {
    write_header_only(r.to, id_of(command_id::generic_nack), st::invcmdid, h.sequence_number);
    r.pdus = 1;
  } else if (rl->bind == need::transmit && bind_ != bind_kind::transmitter && bind_ != bind_kind::transceiver) {
    if (rl->id == command_id::submit_sm) ++c_.submits;
    write_header_only(r.to, resp_of(h.command_id), st::invbndsts, h.sequence_number);
    r.pdus = 1;
  } else {
    bool handled = false;
    if (rl->id == command_id::submit_sm) {
      ++c_.submits;
      if (opt.stop_submit_after && submits_seen_++ >= *opt.stop_submit_after) {
        ++c_.unanswered;  // a hung SMSC: the ESME's window fills up
        return after;
      }
    }
    if (rl->message) {
      // A profile says which requests its rate counts (OVHcloud: submit_sm) and how it answers.
      const auto* prof = shared_.profile;
      const bool rated = prof ? prof->counts_as_message(h.command_id) : true;
      std::uint32_t refuse = 0;
      if (opt.window && unanswered_ >= opt.window)
        refuse = prof ? prof->replies.window_full : st::throttled;
      else if (rated && opt.rate > 0 && !take_rate_token(t.now))
        refuse = prof ? prof->replies.throttled : st::throttled;
      if (refuse) {
        write_header_only(r.to, resp_of(h.command_id), refuse, h.sequence_number);
        ++c_.throttled;
        r.pdus = 1;
        handled = true;
      }
    }
    if (!handled) {
      const decoder::decode_error err = decoder::decode(frame, pdu_);
      if (err) {
        write_header_only(r.to, resp_of(h.command_id), status_for_decode_error(err), h.sequence_number);
        r.pdus = 1;
      } else {
        r.windowed = rl->message;
        (this->*(rl->handle))(r);
      }
    }
  }
  finish_reply(r, out);
  if (r.v != verdict::keep) return r.v;
  return after;
}

void smsc_core::finish_reply(reply_ctx& r, byte_buffer& out) {
  if (r.pdus == 0) return;
  if (&r.to == &delayed_) {
    held_.push({r.t.now + shared_.opt.latency, delayed_base_ + delayed_.size(), r.windowed ? 1u : 0u, r.pdus});
    if (r.windowed) ++unanswered_;
    return;
  }
  (void)out;
  c_.pdus_out += r.pdus;
  pdus_out_total_ += r.pdus;
  if (r.windowed) {
    ++unanswered_;
    ++in_out_;
  }
}

void smsc_core::on_framing_error(std::uint32_t sequence_number, byte_buffer& out) {
  write_header_only(out, id_of(command_id::generic_nack), st::invcmdlen, sequence_number);
  ++c_.pdus_out;
  ++pdus_out_total_;
}

bool smsc_core::refuse_unsupported(reply_ctx& r) {
  const auto* prof = shared_.profile;
  if (!prof || prof->pdu_supported(r.h.command_id)) return false;
  const auto& rep = prof->replies;
  // A request without a response PDU (alert_notification) can only be refused with generic_nack.
  const bool nack = rep.unsupported_pdu_generic_nack || !decoder::find_pdu(resp_of(r.h.command_id));
  write_header_only(r.to, nack ? id_of(command_id::generic_nack) : resp_of(r.h.command_id), rep.unsupported_pdu_status,
                    r.h.sequence_number);
  r.pdus = 1;
  ++c_.unsupported;
  return true;
}

std::uint32_t smsc_core::coding_status(std::uint8_t dc, std::uint8_t esm_class,
                                       std::span<const std::uint8_t> sm) const noexcept {
  const auto* prof = shared_.profile;
  if (!prof) return st::ok;
  if (!prof->data_coding_supported(dc)) return prof->replies.unsupported_data_coding.value_or(st::submitfail);
  // An account that reads one septet per octet cannot take an octet above 0x7F under data_coding 0:
  // the text was packed (or is not GSM 7-bit at all).
  if (dc == 0 && prof->gsm7 == profile::gsm7_packing::unpacked && prof->replies.invalid_gsm7) {
    if ((esm_class & 0x40) && !sm.empty()) {  // skip the UDH (3GPP TS 23.040 section 9.2.3.24)
      const std::size_t udh = std::size_t{sm[0]} + 1;
      sm = udh <= sm.size() ? sm.subspan(udh) : std::span<const std::uint8_t>{};
    }
    for (std::uint8_t b : sm)
      if (b > 0x7F) return *prof->replies.invalid_gsm7;
  }
  return st::ok;
}

bool smsc_core::take_rate_token(steady::time_point now) noexcept {
  const double rate = shared_.opt.rate;
  const double burst = std::max(2.0, rate / 5.0);  // 200 ms worth, at least 2
  if (tokens_at_ == steady::time_point{}) {
    tokens_ = burst;
  } else {
    const double dt = std::chrono::duration<double>(now - tokens_at_).count();
    tokens_ = std::min(burst, tokens_ + dt * rate);
  }
  tokens_at_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

// ---- handlers -----------------------------------------------------------------------------

void smsc_core::on_bind(reply_ctx& r) {
  const auto* sid = pdu_.field("system_id");
  const auto* pw = pdu_.field("password");
  const auto* iv = pdu_.field("interface_version");
  const auto* range = pdu_.field("address_range");
  const std::string_view system_id = sid ? sid->text() : std::string_view{};
  const std::uint32_t resp = resp_of(r.h.command_id);
  bind_kind kind = bind_kind::transceiver;
  if (r.h.command_id == id_of(command_id::bind_transmitter)) kind = bind_kind::transmitter;
  if (r.h.command_id == id_of(command_id::bind_receiver)) kind = bind_kind::receiver;

  std::uint32_t status = st::ok;
  if (bind_ != bind_kind::none) {
    status = st::alybnd;
  } else if (!shared_.opt.credentials.empty()) {
    const auto it = shared_.opt.credentials.find(system_id);
    if (it == shared_.opt.credentials.end())
      status = st::invsysid;
    else if (it->second != (pw ? pw->text() : std::string_view{}))
      status = st::invpaswd;
  }
  if (status == st::ok && shared_.profile) {
    status = shared_.binds.try_bind(*shared_.profile, kind, std::string(system_id), peer_host_);
    if (status != st::ok)
      ++c_.binds_refused;
    else
      counted_bind_ = true;
  }
  r.pdus = 1;
  if (status != st::ok) {
    write_header_only(r.to, resp, status, r.h.sequence_number);
    events_.on_bind(kind, system_id, status);
    return;
  }
  decoder::pdu_builder b(resp, r.h.sequence_number);
  b.set("system_id", shared_.opt.system_id);
  if (iv && iv->integer >= 0x34) b.tlv_int(decoder::tlv_tag::sc_interface_version, 0x34);
  append_vector(r.to, b.bytes());
  bind_ = kind;
  system_id_.assign(system_id);
  address_range_.assign(range ? range->text() : std::string_view{});
  if (shared_.opt.enquire_link_interval.count() > 0) next_enquire_link_ = r.t.now + shared_.opt.enquire_link_interval;
  if (can_receive() && shared_.opt.mo_rate > 0)
    next_mo_ = r.t.now + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / shared_.opt.mo_rate));
  if (shared_.forced_unbind_period.count() > 0) next_forced_unbind_ = r.t.now + shared_.forced_unbind_period;
  events_.on_bind(kind, system_id, status);
}

void smsc_core::release_bind() {
  if (!counted_bind_) return;
  counted_bind_ = false;
  shared_.binds.release(bind_, system_id_, peer_host_);
}

void smsc_core::on_closed(std::vector<dlr_record>& orphans) {
  release_bind();
  if (!forced_unbind_sent_) return;
  while (!dlrs_.empty()) {
    orphans.push_back(dlrs_.front());
    dlrs_.pop();
  }
}

std::uint64_t smsc_core::accept_message(const sim_time& t, const decoder::pdu& p, const smsc_shared::msg_fields& f,
                                        std::uint8_t registered_delivery, std::span<const std::uint8_t> text,
                                        std::uint8_t data_coding, std::string_view force_dest) {
  const std::uint64_t n = shared_.next_message.fetch_add(1, std::memory_order_relaxed);
  const dlr_mix_entry& outcome = shared_.schedule.at(n);
  if (!wants_receipt(registered_delivery, outcome.state)) return n;
  dlr_record& d = dlrs_.emplace_slot();
  d.due = t.now + shared_.opt.latency + shared_.opt.dlr_delay;
  d.message = n;
  d.submit_unix = t.unix_seconds;
  d.src_ton = static_cast<std::uint8_t>(p.fields[f.source_ton].integer);
  d.src_npi = static_cast<std::uint8_t>(p.fields[f.source_npi].integer);
  d.dst_ton = static_cast<std::uint8_t>(p.fields[f.dest_ton].integer);
  d.dst_npi = static_cast<std::uint8_t>(p.fields[f.dest_npi].integer);
  auto copy = [](std::string_view from, std::array<char, 21>& to, std::uint8_t& len) {
    len = static_cast<std::uint8_t>(std::min(from.size(), to.size()));
    std::memcpy(to.data(), from.data(), len);
  };
  copy(p.fields[f.source_addr].text(), d.src, d.src_len);
  copy(force_dest.empty() ? p.fields[f.destination_addr].text() : force_dest, d.dst, d.dst_len);
  d.text_len = static_cast<std::uint8_t>(
      receipt_text(text, data_coding, static_cast<std::uint8_t>(p.fields[f.esm_class].integer), d.text));
  return n;
}

void smsc_core::on_submit_sm(reply_ctx& r) {
  const auto& f = shared_.submit_f;
  const auto& opt = shared_.opt;
  if (opt.error_rate > 0) {
    // Evenly spread, in integer parts per million so that 0.1 is exactly one in ten.
    error_credit_ += static_cast<std::uint64_t>(std::llround(opt.error_rate * 1e6));
    if (error_credit_ >= 1'000'000) {
      error_credit_ -= 1'000'000;
      write_header_only(r.to, resp_of(r.h.command_id), opt.error_status, r.h.sequence_number);
      ++c_.errors_injected;
      r.pdus = 1;
      return;
    }
  }
  std::span<const std::uint8_t> text = pdu_.fields[f.short_message].bytes;
  if (text.empty())
    if (auto payload = pdu_.tlvs().find(decoder::tlv_tag::message_payload)) text = payload->value;
  if (const std::uint32_t refuse = coding_status(static_cast<std::uint8_t>(pdu_.fields[f.data_coding].integer),
                                                 static_cast<std::uint8_t>(pdu_.fields[f.esm_class].integer), text)) {
    write_header_only(r.to, resp_of(r.h.command_id), refuse, r.h.sequence_number);
    ++c_.unsupported;
    r.pdus = 1;
    return;
  }
  const std::uint64_t n =
      accept_message(r.t, pdu_, f, static_cast<std::uint8_t>(pdu_.fields[f.registered_delivery].integer), text,
                     static_cast<std::uint8_t>(pdu_.fields[f.data_coding].integer));
  std::uint8_t* p = r.to.append_patchable(shared_.submit_resp_template);
  put_be32(p + 12, r.h.sequence_number);
  format_hex_id(n, reinterpret_cast<char*>(p + decoder::header_size));
  ++c_.submits_ok;
  r.pdus = 1;
}

void smsc_core::on_data_sm(reply_ctx& r) {
  const auto& f = shared_.data_f;
  std::span<const std::uint8_t> text;
  if (auto payload = pdu_.tlvs().find(decoder::tlv_tag::message_payload)) text = payload->value;
  if (const std::uint32_t refuse = coding_status(static_cast<std::uint8_t>(pdu_.fields[f.data_coding].integer),
                                                 static_cast<std::uint8_t>(pdu_.fields[f.esm_class].integer), text)) {
    write_header_only(r.to, resp_of(r.h.command_id), refuse, r.h.sequence_number);
    ++c_.unsupported;
    r.pdus = 1;
    return;
  }
  const std::uint64_t n =
      accept_message(r.t, pdu_, f, static_cast<std::uint8_t>(pdu_.fields[f.registered_delivery].integer), text,
                     static_cast<std::uint8_t>(pdu_.fields[f.data_coding].integer));
  std::uint8_t* p = r.to.append_patchable(shared_.data_resp_template);
  put_be32(p + 12, r.h.sequence_number);
  format_hex_id(n, reinterpret_cast<char*>(p + decoder::header_size));
  r.pdus = 1;
}

void smsc_core::on_submit_multi(reply_ctx& r) {
  const auto* count = pdu_.field("number_of_dests");
  const auto* list = pdu_.field("dest_address");
  const auto* rd = pdu_.field("registered_delivery");
  const auto* sm = pdu_.field("short_message");
  const auto* dc = pdu_.field("data_coding");
  const auto dests = decoder::parse_dest_list(list ? list->bytes : decoder::bytes_view{}, count ? count->integer : 0);
  // Receipts per SME destination carry the one message_id of the response.
  const std::uint64_t n = shared_.next_message.fetch_add(1, std::memory_order_relaxed);
  const dlr_mix_entry& outcome = shared_.schedule.at(n);
  std::vector<std::uint8_t> unsuccess;
  std::uint32_t failed = 0;
  for (const auto& d : dests) {
    if (d.dest_flag != 1) {  // distribution lists are not provisioned here
      decoder::append_unsuccess_sme(unsuccess, {0, 0, d.address, st::invdlname});
      ++failed;
      continue;
    }
    if (!rd || !wants_receipt(static_cast<std::uint8_t>(rd->integer), outcome.state)) continue;
    dlr_record& rec = dlrs_.emplace_slot();
    rec = dlr_record{};
    rec.due = r.t.now + shared_.opt.latency + shared_.opt.dlr_delay;
    rec.message = n;
    rec.submit_unix = r.t.unix_seconds;
    const auto* ston = pdu_.field("source_addr_ton");
    const auto* snpi = pdu_.field("source_addr_npi");
    const auto* src = pdu_.field("source_addr");
    rec.src_ton = ston ? static_cast<std::uint8_t>(ston->integer) : 0;
    rec.src_npi = snpi ? static_cast<std::uint8_t>(snpi->integer) : 0;
    rec.dst_ton = d.ton;
    rec.dst_npi = d.npi;
    const std::string_view s = src ? src->text() : std::string_view{};
    rec.src_len = static_cast<std::uint8_t>(std::min(s.size(), rec.src.size()));
    std::memcpy(rec.src.data(), s.data(), rec.src_len);
    rec.dst_len = static_cast<std::uint8_t>(std::min(d.address.size(), rec.dst.size()));
    std::memcpy(rec.dst.data(), d.address.data(), rec.dst_len);
    rec.text_len = static_cast<std::uint8_t>(receipt_text(sm ? sm->bytes : decoder::bytes_view{},
                                                          dc ? static_cast<std::uint8_t>(dc->integer) : 0, 0, rec.text));
  }
  char id[message_id_digits];
  format_hex_id(n, id);
  decoder::pdu_builder b(resp_of(r.h.command_id), r.h.sequence_number);
  b.set("message_id", std::string_view(id, sizeof id)).set("no_unsuccess", failed).set_bytes("unsuccess_sme", unsuccess);
  append_vector(r.to, b.bytes());
  r.pdus = 1;
}

void smsc_core::on_query_sm(reply_ctx& r) {
  const auto* id = pdu_.field("message_id");
  const std::string_view text = id ? id->text() : std::string_view{};
  const auto n = known_message(text);
  r.pdus = 1;
  if (!n) {
    write_header_only(r.to, resp_of(r.h.command_id), st::invmsgid, r.h.sequence_number);
    return;
  }
  const dlr_mix_entry& outcome = shared_.schedule.at(*n);
  decoder::pdu_builder b(resp_of(r.h.command_id), r.h.sequence_number);
  b.set("message_id", text)
      .set("message_state", message_state_of(outcome.state))
      .set("error_code", static_cast<std::uint32_t>(outcome.err & 0xFF));
  append_vector(r.to, b.bytes());
}

void smsc_core::on_cancel_sm(reply_ctx& r) {
  const auto* id = pdu_.field("message_id");
  const std::string_view text = id ? id->text() : std::string_view{};
  // An empty message_id cancels by source/destination (spec 4.9.1): accepted.
  const bool ok = text.empty() || known_message(text).has_value();
  write_header_only(r.to, resp_of(r.h.command_id), ok ? st::ok : st::cancelfail, r.h.sequence_number);
  r.pdus = 1;
}

void smsc_core::on_replace_sm(reply_ctx& r) {
  const auto* id = pdu_.field("message_id");
  const bool ok = id && known_message(id->text()).has_value();
  write_header_only(r.to, resp_of(r.h.command_id), ok ? st::ok : st::replacefail, r.h.sequence_number);
  r.pdus = 1;
}

void smsc_core::on_broadcast_sm(reply_ctx& r) {
  const std::uint64_t n = shared_.next_message.fetch_add(1, std::memory_order_relaxed);
  char id[message_id_digits];
  format_hex_id(n, id);
  append_vector(r.to, decoder::pdu_builder(resp_of(r.h.command_id), r.h.sequence_number)
                          .set("message_id", std::string_view(id, sizeof id))
                          .bytes());
  r.pdus = 1;
}

void smsc_core::on_query_broadcast_sm(reply_ctx& r) {
  const auto* id = pdu_.field("message_id");
  const std::string_view text = id ? id->text() : std::string_view{};
  r.pdus = 1;
  if (!known_message(text)) {
    write_header_only(r.to, resp_of(r.h.command_id), st::queryfail, r.h.sequence_number);
    return;
  }
  decoder::pdu_builder b(resp_of(r.h.command_id), r.h.sequence_number);
  b.set("message_id", text).tlv_int(decoder::tlv_tag::message_state, message_state_of(dlr_state::delivrd));
  b.tlv_int(0x0608, 100);  // broadcast_area_success: 100 %
  append_vector(r.to, b.bytes());
}

void smsc_core::on_cancel_broadcast_sm(reply_ctx& r) {
  write_header_only(r.to, resp_of(r.h.command_id), st::ok, r.h.sequence_number);
  r.pdus = 1;
}

void smsc_core::on_enquire_link(reply_ctx& r) {
  if (shared_.opt.drop_after_enquire_link) {
    r.v = verdict::close_now;
    return;
  }
  if (shared_.opt.no_enquire_link_resp) return;
  write_header_only(r.to, resp_of(r.h.command_id), st::ok, r.h.sequence_number);
  r.pdus = 1;
}

void smsc_core::on_unbind(reply_ctx& r) {
  write_header_only(r.to, resp_of(r.h.command_id), st::ok, r.h.sequence_number);
  r.pdus = 1;
  release_bind();
  bind_ = bind_kind::none;
  ++c_.unbinds;
  next_enquire_link_ = next_mo_ = next_forced_unbind_ = steady::time_point::max();
  r.v = verdict::close_after_flush;
}

// ---- timed work ---------------------------------------------------------------------------

steady::time_point smsc_core::next_deadline() const noexcept {
  steady::time_point t = std::min({next_enquire_link_, next_mo_, next_forced_unbind_, unbind_deadline_});
  if (!held_.empty()) t = std::min(t, held_.front().due);
  if (!dlrs_.empty()) t = std::min(t, dlrs_.front().due);
  return t;
}

void smsc_core::on_tick(const sim_time& t, byte_buffer& out, std::vector<dlr_record>& foreign) {
  // Delayed responses whose time has come, in arrival order.
  std::uint64_t end = delayed_base_;
  while (!held_.empty() && held_.front().due <= t.now) {
    const held& h = held_.front();
    end = h.end;
    in_out_ += h.windowed;
    c_.pdus_out += h.pdus;
    pdus_out_total_ += h.pdus;
    held_.pop();
  }
  if (end > delayed_base_) {
    const std::size_t n = static_cast<std::size_t>(end - delayed_base_);
    out.append({delayed_.data(), n});
    delayed_.consume(n);
    delayed_base_ = end;
  }
  while (!dlrs_.empty() && dlrs_.front().due <= t.now) {
    if (can_receive())
      write_receipt(dlrs_.front(), t, out);
    else
      foreign.push_back(dlrs_.front());
    dlrs_.pop();
  }
  if (t.now >= next_enquire_link_) {
    write_header_only(out, id_of(command_id::enquire_link), 0, next_seq());
    ++c_.pdus_out;
    ++pdus_out_total_;
    next_enquire_link_ = t.now + shared_.opt.enquire_link_interval;
  }
  if (t.now >= next_forced_unbind_) {
    // The provider ends every session after its period; the ESME answers and binds again.
    write_header_only(out, id_of(command_id::unbind), 0, next_seq());
    ++c_.pdus_out;
    ++pdus_out_total_;
    ++c_.forced_unbinds;
    release_bind();  // the session is over for the provider: the ESME may bind again at once
    forced_unbind_sent_ = true;
    next_forced_unbind_ = next_enquire_link_ = next_mo_ = steady::time_point::max();
    // Then close without its answer; no longer than the period itself (short under --time-scale).
    unbind_deadline_ = t.now + std::min<steady::duration>(std::chrono::seconds(5), shared_.forced_unbind_period);
  }
  if (t.now >= next_mo_) {
    const auto period =
        std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / shared_.opt.mo_rate));
    if (t.now - next_mo_ > std::chrono::seconds(1)) next_mo_ = t.now;  // do not burst after a stall
    while (t.now >= next_mo_) {
      write_mo(t, out);
      next_mo_ += period;
    }
  }
}

void smsc_core::write_receipts(std::span<const dlr_record> records, const sim_time& t, byte_buffer& out) {
  for (const auto& d : records) write_receipt(d, t, out);
}

std::string_view smsc_core::receipt_date(std::int64_t unix_seconds) noexcept {
  const std::int64_t minute = unix_seconds / 60;
  if (minute != date_minute_) {
    format_receipt_date(unix_seconds, date_);
    date_minute_ = minute;
  }
  return {date_.data(), date_.size()};
}

void smsc_core::write_receipt(const dlr_record& d, const sim_time& t, byte_buffer& out) {
  const dlr_mix_entry& outcome = shared_.schedule.at(d.message);
  char id[24];
  const std::size_t id_len = format_receipt_id(d.message, id);
  char submit_date[10];
  const std::string_view sd = receipt_date(d.submit_unix);
  std::memcpy(submit_date, sd.data(), sd.size());
  const std::string_view done = receipt_date(t.unix_seconds);

  receipt_fields rf;
  rf.id = {id, id_len};
  rf.sub = 1;
  rf.dlvrd = outcome.state == dlr_state::delivrd ? 1 : 0;
  rf.submit_date = {submit_date, sizeof submit_date};
  rf.done_date = done;
  rf.stat = receipt_state(outcome.state);
  rf.err = receipt_err(outcome);
  rf.text = {d.text.data(), d.text_len};
  std::array<char, 200> text;  // written before read: no zeroing on the hot path
  const auto* prof = shared_.profile;
  const std::size_t text_len = prof && !prof->receipt.text.empty()
                                   ? format_receipt(text, prof->receipt.text, rf, prof->receipt.err_digits)
                                   : format_receipt(text, rf);

  // Receipt text is limited to characters that are the same in ASCII and GSM7.
  std::array<std::uint8_t, 200> sm;
  std::size_t sm_len = text_len;
  if (shared_.opt.gsm7 == decoder::gsm7_packing::packed)
    sm_len = pack_septets({reinterpret_cast<const std::uint8_t*>(text.data()), text_len}, sm.data());
  else
    std::memcpy(sm.data(), text.data(), text_len);

  tlv_writer tlvs;
  std::array<std::uint8_t, 25> rid;
  std::memcpy(rid.data(), id, id_len);  // C-Octet String: NUL included
  rid[id_len] = 0;
  // Without a profile: the standard three. With one: the TLVs its receipts carry, in its order.
  auto wants = [&](decoder::tlv_tag tag) {
    const auto& list = shared_.receipt_tlvs;
    return !prof || std::find(list.begin(), list.end(), static_cast<std::uint16_t>(tag)) != list.end();
  };
  if (wants(decoder::tlv_tag::receipted_message_id))
    tlvs.add(static_cast<std::uint16_t>(decoder::tlv_tag::receipted_message_id), {rid.data(), id_len + 1});
  const std::uint8_t state = message_state_of(outcome.state);
  if (wants(decoder::tlv_tag::message_state)) tlvs.add(static_cast<std::uint16_t>(decoder::tlv_tag::message_state), {&state, 1});
  if (is_failure(outcome.state) && wants(decoder::tlv_tag::network_error_code)) {
    // network_error_code: type 3 (GSM) + code (SMPP v3.4 section 5.3.2)
    const std::uint8_t nec[3] = {3, static_cast<std::uint8_t>(outcome.err >> 8), static_cast<std::uint8_t>(outcome.err)};
    tlvs.add(static_cast<std::uint16_t>(decoder::tlv_tag::network_error_code), nec);
  }
  for (const auto* v : shared_.receipt_vendor_tlvs) {
    // The provider's own id for the receipt: the message id again, in the type it declares.
    static constexpr std::uint8_t zeros[4] = {};
    switch (v->type) {
      case decoder::tlv_type::int1: tlvs.add(v->tag, {zeros, 1}); break;
      case decoder::tlv_type::int2: tlvs.add(v->tag, {zeros, 2}); break;
      case decoder::tlv_type::int4: tlvs.add(v->tag, {zeros, 4}); break;
      case decoder::tlv_type::empty: tlvs.add(v->tag, {}); break;
      case decoder::tlv_type::c_string: tlvs.add(v->tag, {rid.data(), id_len + 1}); break;
      default: tlvs.add(v->tag, {rid.data(), id_len}); break;
    }
  }
  // A receipt goes from the original destination back to the original source.
  write_deliver_sm(out, {d.dst.data(), d.dst_len}, d.dst_ton, d.dst_npi, {d.src.data(), d.src_len}, d.src_ton,
                   d.src_npi, 0x04, 0x00, {sm.data(), sm_len}, tlvs.bytes());
  ++c_.dlrs_sent;
}

// The err: code of a receipt: the mix's when the profile has no table, or when the mix names a
// code (not the built-in default) the table lists; else the profile's code whose meaning names
// the final state (the last such: OVHcloud's 800-804 rather than its generic 9 "Undeliverable");
// 0 for a delivered message.
std::uint16_t smsc_core::receipt_err(const dlr_mix_entry& outcome) const noexcept {
  const auto* prof = shared_.profile;
  if (!prof || prof->receipt.errors.empty()) return outcome.err;
  if (outcome.err != default_dlr_err(outcome.state) && prof->find_receipt_error(outcome.err)) return outcome.err;
  if (!is_failure(outcome.state)) return 0;
  const profile::receipt_error* found = nullptr;
  for (const auto& e : prof->receipt.errors)
    if (meaning_names(e.meaning, outcome.state)) found = &e;
  return found ? static_cast<std::uint16_t>(found->code) : outcome.err;
}

void smsc_core::write_mo(const sim_time& t, byte_buffer& out) {
  (void)t;
  if (shared_.mo_texts.empty()) return;
  const auto& text = shared_.mo_texts[mo_count_ % shared_.mo_texts.size()];
  char src[16] = "447700900";
  const unsigned k = static_cast<unsigned>(mo_count_ % 1000);
  src[9] = static_cast<char>('0' + k / 100);
  src[10] = static_cast<char>('0' + k / 10 % 10);
  src[11] = static_cast<char>('0' + k % 10);
  const bool digits = !address_range_.empty() && address_range_.size() <= 20 &&
                      std::all_of(address_range_.begin(), address_range_.end(), [](char c) { return c >= '0' && c <= '9'; });
  const std::string_view dst = digits ? std::string_view(address_range_) : std::string_view("12345");
  write_deliver_sm(out, {src, 12}, 1, 1, dst, 0, 1, 0x00, text.data_coding, text.short_message, {});
  ++mo_count_;
  ++c_.mo_sent;
}

void smsc_core::write_deliver_sm(byte_buffer& out, std::string_view src, std::uint8_t src_ton, std::uint8_t src_npi,
                                 std::string_view dst, std::uint8_t dst_ton, std::uint8_t dst_npi,
                                 std::uint8_t esm_class, std::uint8_t data_coding, std::span<const std::uint8_t> sm,
                                 std::span<const std::uint8_t> tlvs) {
  const auto& f = shared_.deliver_f;
  const std::uint32_t seq = next_seq();
  deliver_prefix_key key;
  key.src_len = static_cast<std::uint8_t>(std::min(src.size(), key.src.size()));
  key.dst_len = static_cast<std::uint8_t>(std::min(dst.size(), key.dst.size()));
  std::memcpy(key.src.data(), src.data(), key.src_len);
  std::memcpy(key.dst.data(), dst.data(), key.dst_len);
  key.src_ton = src_ton;
  key.src_npi = src_npi;
  key.dst_ton = dst_ton;
  key.dst_npi = dst_npi;
  key.esm_class = esm_class;
  key.data_coding = data_coding;
  if (shared_.deliver_prefix_ok && !prefix_.empty() && key == prefix_key_ && sm.size() <= 254) {
    const std::size_t len = prefix_.size() + 1 + sm.size() + tlvs.size();
    std::uint8_t* p = out.prepare(len).data();
    std::memcpy(p, prefix_.data(), prefix_.size());
    put_be32(p, static_cast<std::uint32_t>(len));
    put_be32(p + 12, seq);
    std::uint8_t* q = p + prefix_.size();
    *q++ = static_cast<std::uint8_t>(sm.size());
    if (!sm.empty()) std::memcpy(q, sm.data(), sm.size());
    if (!tlvs.empty()) std::memcpy(q + sm.size(), tlvs.data(), tlvs.size());
    out.commit(len);
    ++c_.pdus_out;
    ++pdus_out_total_;
    return;
  }
  decoder::pdu p{};
  p.hdr = {0, id_of(command_id::deliver_sm), 0, seq};
  p.spec = shared_.deliver_sm;
  p.field_count = static_cast<std::uint8_t>(p.spec->fields.size());
  p.fields[f.source_ton].integer = src_ton;
  p.fields[f.source_npi].integer = src_npi;
  p.fields[f.source_addr].bytes = as_bytes(src);
  p.fields[f.dest_ton].integer = dst_ton;
  p.fields[f.dest_npi].integer = dst_npi;
  p.fields[f.destination_addr].bytes = as_bytes(dst);
  p.fields[f.esm_class].integer = esm_class;
  p.fields[f.data_coding].integer = data_coding;
  p.fields[f.sm_length].integer = static_cast<std::uint32_t>(sm.size());
  p.fields[f.short_message].bytes = sm;
  p.tlv_region = tlvs;
  auto room = out.prepare(512);
  std::size_t n = decoder::encode(p, room);
  if (n > room.size()) n = decoder::encode(p, out.prepare(n));
  if (shared_.deliver_prefix_ok) {  // remember everything before sm_length for the next one
    const std::uint8_t* written = out.data() + out.size();
    const std::size_t prefix = n - tlvs.size() - sm.size() - 1;
    prefix_.assign(written, written + prefix);
    prefix_key_ = key;
  }
  out.commit(n);
  ++c_.pdus_out;
  ++pdus_out_total_;
}

// ---- message ids ----------------------------------------------------------------------------

std::size_t smsc_core::format_hex_id(std::uint64_t n, char* out) noexcept {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = message_id_digits; i-- > 0;) {
    out[i] = digits[n & 0xF];
    n >>= 4;
  }
  return message_id_digits;
}

std::size_t smsc_core::format_receipt_id(std::uint64_t n, char* out) const noexcept {
  switch (shared_.opt.dlr_ids) {
    case dlr_id_format::decimal: return static_cast<std::size_t>(std::to_chars(out, out + 21, n).ptr - out);
    case dlr_id_format::mismatch:  // 'M' is no hex digit: matches no submit_sm_resp id
      out[0] = 'M';
      return 1 + format_hex_id(n, out + 1);
    default: return format_hex_id(n, out);
  }
}

std::optional<std::uint64_t> smsc_core::known_message(std::string_view id) const noexcept {
  if (id.size() != message_id_digits) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n, 16);
  if (ec != std::errc{} || end != id.data() + id.size()) return std::nullopt;
  if (n < shared_.first_message || n >= shared_.next_message.load(std::memory_order_relaxed)) return std::nullopt;
  return n;
}

void smsc_core::publish_counters() noexcept {
  auto add = [](std::atomic<std::uint64_t>& to, std::uint64_t& v) {
    if (v) to.fetch_add(v, std::memory_order_relaxed);
    v = 0;
  };
  auto& s = shared_.counters;
  add(s.pdus_in, c_.pdus_in);
  add(s.pdus_out, c_.pdus_out);
  add(s.submits, c_.submits);
  add(s.submits_ok, c_.submits_ok);
  add(s.throttled, c_.throttled);
  add(s.errors_injected, c_.errors_injected);
  add(s.unanswered, c_.unanswered);
  add(s.dlrs_sent, c_.dlrs_sent);
  add(s.mo_sent, c_.mo_sent);
  add(s.unbinds, c_.unbinds);
  add(s.binds_refused, c_.binds_refused);
  add(s.unsupported, c_.unsupported);
  add(s.forced_unbinds, c_.forced_unbinds);
}

}  // namespace smppscope::sim::detail
