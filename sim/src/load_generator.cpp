#include "smppscope/sim/load_generator.hpp"

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "smppscope/decoder/dlr.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/protocol.hpp"
#include "smppscope/decoder/text.hpp"
#include "smppscope/sim/detail/byte_buffer.hpp"
#include "smppscope/sim/detail/fifo.hpp"
#include "smppscope/sim/detail/flat_map.hpp"
#include "cmpp_load_run.hpp"
#include "smppscope/sim/host_port.hpp"
#include "stream_util.hpp"

namespace smppscope::sim {

std::optional<std::vector<message_kind>> parse_message_mix(std::string_view spec, std::string* error) {
  std::vector<message_kind> mix;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    if (item == "gsm7")
      mix.push_back(message_kind::gsm7);
    else if (item == "ucs2")
      mix.push_back(message_kind::ucs2);
    else if (item == "long")
      mix.push_back(message_kind::long_gsm7);
    else {
      if (error) *error = "unknown message kind '" + std::string(item) + "' (gsm7, ucs2, long)";
      return std::nullopt;
    }
  }
  if (mix.empty()) {
    if (error) *error = "the mix is empty (gsm7, ucs2, long)";
    return std::nullopt;
  }
  return mix;
}

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;
using decoder::command_id;
using detail::byte_buffer;
using detail::get_be32;
using detail::put_be32;

constexpr std::uint32_t id_of(command_id c) noexcept { return static_cast<std::uint32_t>(c); }

// Answers that mean "not now" rather than "no" (SMPP v3.4 section 5.1.3): the submit is sent again
// after a pause instead of being counted as failed.
constexpr std::uint32_t status_msgqful = 0x14, status_throttled = 0x58;
constexpr bool is_retryable(std::uint32_t status) noexcept {
  return status == status_throttled || status == status_msgqful;
}

// What a submit_sm in flight was, so that it can be sent again: packed into the 64-bit value of a
// flat_map beside its send time.
struct submit_ref {
  std::uint32_t mix = 0;     // index into load_state::templates
  std::uint8_t part = 0;     // part of a concatenated message
  std::uint8_t ref = 0;      // its concatenation reference
  std::uint8_t attempt = 0;  // 0: first send
  std::uint64_t pack() const noexcept {
    return std::uint64_t{mix} << 24 | std::uint64_t{part} << 16 | std::uint64_t{ref} << 8 | attempt;
  }
  static submit_ref unpack(std::uint64_t v) noexcept {
    return {static_cast<std::uint32_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
  }
};

std::int64_t now_ns(steady::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool is_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_dec(char c) noexcept { return c >= '0' && c <= '9'; }

// Key under which a message_id is remembered until its receipt: hex ids of up to 15 digits by
// numeric value (so the same number written in decimal can be recognised), others by hash.
std::uint64_t id_key(std::string_view id) noexcept {
  if (!id.empty() && id.size() <= 15 && std::all_of(id.begin(), id.end(), is_hex)) {
    std::uint64_t v = 0;
    std::from_chars(id.data(), id.data() + id.size(), v, 16);
    return v;
  }
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char c : id) h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ULL;
  return h | (std::uint64_t{1} << 63);
}

std::optional<std::uint64_t> decimal_key(std::string_view id) noexcept {
  if (id.empty() || id.size() > 19 || !std::all_of(id.begin(), id.end(), is_dec)) return std::nullopt;
  std::uint64_t v = 0;
  std::from_chars(id.data(), id.data() + id.size(), v, 10);
  if (v >> 60) return std::nullopt;
  return v;
}

// A status's name: the standard one, else the provider's (when a profile is given), else hex.
std::string status_label(std::uint32_t status, const profile::provider_profile* p = nullptr) {
  const auto name = decoder::status_name(status);
  if (!name.empty()) return std::string(name);
  if (p)
    if (const auto* v = p->find_status(status)) return v->name;
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIX32, status);
  return buf;
}

// One pre-encoded submit_sm: the sequence_number (offset 12) and, for concatenated parts, the
// UDH reference octet are patched per message.
struct submit_template {
  std::vector<std::uint8_t> bytes;
  std::size_t ref_offset = 0;  // 0: none
};

std::vector<submit_template> make_templates(message_kind kind, const load_options& o) {
  auto base = [&](std::uint8_t data_coding, std::uint8_t esm_class) {
    decoder::pdu_builder b(command_id::submit_sm, 1);
    const bool alnum = !o.source_addr.empty() &&
                       !std::all_of(o.source_addr.begin(), o.source_addr.end(), [](char c) { return is_dec(c); });
    b.set("source_addr_ton", alnum ? 5u : 1u).set("source_addr_npi", alnum ? 0u : 1u).set("source_addr", o.source_addr);
    b.set("dest_addr_ton", 1u).set("dest_addr_npi", 1u).set("destination_addr", o.destination_addr);
    b.set("esm_class", esm_class).set("registered_delivery", o.registered_delivery ? 1u : 0u);
    b.set("data_coding", data_coding);
    return b;
  };
  std::vector<submit_template> out;
  switch (kind) {
    case message_kind::gsm7: {
      auto septets = decoder::utf8_to_gsm7("Hello from smppscope: your code is 4711 (valid 10 min) \xE2\x82\xAC");
      if (!septets) throw std::logic_error("GSM7 template text");
      out.push_back({base(0, 0).short_message(*septets).bytes(), 0});
      break;
    }
    case message_kind::ucs2: {
      const auto ucs2 = decoder::utf8_to_ucs2(
          "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x91\x8B smppscope");
      out.push_back({base(8, 0).short_message(ucs2).bytes(), 0});
      break;
    }
    case message_kind::long_gsm7: {
      std::string text;
      while (text.size() < 400) text += "This long message is split in parts with a concatenation header. ";
      auto septets = decoder::utf8_to_gsm7(text.substr(0, 400));
      if (!septets) throw std::logic_error("GSM7 template text");
      constexpr std::size_t per_part = 153;  // 3GPP TS 23.040 section 9.2.3.24: 160 - 7 septets of UDH
      const std::size_t parts = (septets->size() + per_part - 1) / per_part;
      for (std::size_t i = 0; i < parts; ++i) {
        std::vector<std::uint8_t> sm{0x05, 0x00, 0x03, 0x00, static_cast<std::uint8_t>(parts),
                                     static_cast<std::uint8_t>(i + 1)};
        const auto from = septets->begin() + static_cast<std::ptrdiff_t>(i * per_part);
        const auto to = septets->begin() + static_cast<std::ptrdiff_t>(std::min(septets->size(), (i + 1) * per_part));
        sm.insert(sm.end(), from, to);
        auto bytes = base(0, 0x40).short_message(sm).bytes();
        const std::size_t ref = bytes.size() - sm.size() + 3;
        out.push_back({std::move(bytes), ref});
      }
      break;
    }
  }
  return out;
}

enum class phase : std::uint8_t { connecting, running, waiting_dlrs, unbinding, done };
enum class role : std::uint8_t { transceiver, transmitter, receiver };

class session_iface {
 public:
  virtual ~session_iface() = default;
  virtual void start() = 0;
  virtual void fill(steady::time_point now) = 0;
  virtual void keepalive(steady::time_point now) = 0;  // our enquire_link when due
  virtual void unbind() = 0;
  virtual void abort() = 0;
  virtual bool closed() const = 0;
  virtual bool binding() const = 0;
  virtual std::uint64_t forget_outstanding() = 0;  // drops the in-flight submits, returns how many
  virtual unsigned window_now() const = 0;          // submit_sm it may have in flight now
  virtual bool sends() const = 0;                    // not a receiver
  // Submits of a session the SMSC unbound, to send once this one is bound (packed submit_refs).
  virtual void adopt(const std::vector<std::uint64_t>& refs) = 0;
  steady::time_point bind_sent{};
};

}  // namespace

struct detail::load_state {
  explicit load_state(load_options o) : opt(std::move(o)) {}

  load_options opt;
  std::unique_ptr<ssl::context> tls;  // outlives the context whose sessions use it
  asio::io_context ctx{1};
  std::function<std::shared_ptr<session_iface>(role)> make_session;
  std::function<void(const load_progress&)> progress_cb;
  steady::duration progress_every = std::chrono::seconds(1);
  std::atomic<bool> stop_flag{false};
  std::atomic<bool> aborted{false};

  load_report rep;
  phase ph = phase::connecting;
  std::vector<std::shared_ptr<session_iface>> sessions;
  std::vector<std::vector<submit_template>> templates;  // per position of opt.mix
  std::size_t mix_pos = 0;
  std::size_t fill_start = 0;
  std::uint64_t messages_left = 0;
  double tokens = 0;
  steady::time_point tokens_at{};
  detail::flat_map dlrs{4096};  // id key -> submit time (ns)
  std::uint64_t in_flight = 0;
  std::uint8_t concat_ref = 0;
  steady::time_point start_at{}, last_response_at{}, last_progress{}, phase_since{};
  std::array<std::uint64_t, dlr_state_count> dlr_counts{};
  std::uint64_t dlr_other_state = 0;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> errors;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> throttles;
  steady::time_point next_report{};
  std::uint64_t acked_at_report = 0;
  steady::time_point report_at{};

  bool unlimited() const noexcept { return opt.count == 0; }
  bool sending() const noexcept { return ph == phase::running && (unlimited() || messages_left > 0) && !stop_flag; }

  // Takes the next message if the count and the rate allow; returns its index in templates.
  std::optional<std::uint32_t> take_message() {
    if (!sending()) return std::nullopt;
    if (!take_token()) return std::nullopt;
    // Counting submit_sm (a provider's rate): the other parts of a long message are a debt.
    if (opt.rate > 0 && opt.rate_counts_pdus) tokens -= static_cast<double>(templates[mix_pos].size() - 1);
    if (!unlimited()) --messages_left;
    const auto m = static_cast<std::uint32_t>(mix_pos);
    mix_pos = (mix_pos + 1) % templates.size();
    return m;
  }
  // The SMSC unbound a session mid-run (a provider's periodic unbind): bind a new one in its place
  // and hand it what the old one still owed.
  void rebind(role r, const std::vector<std::uint64_t>& owed) {
    if ((ph != phase::running && ph != phase::waiting_dlrs) || stop_flag || !make_session) return;
    auto s = make_session(r);
    s->adopt(owed);
    sessions.push_back(s);
    ++rep.rebinds;
    s->start();
  }

  // A retry spends rate like a new message: the SMSC counts submit_sm, not messages.
  bool take_token() noexcept {
    if (opt.rate <= 0) return true;
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }

  static void bump(std::vector<std::pair<std::uint32_t, std::uint64_t>>& counts, std::uint32_t status) {
    for (auto& [s, n] : counts)
      if (s == status) {
        ++n;
        return;
      }
    counts.emplace_back(status, 1);
  }
  void count_error(std::uint32_t status) {
    ++rep.errors_total;
    bump(errors, status);
  }
  void count_throttled(std::uint32_t status) {
    ++rep.throttled_total;
    bump(throttles, status);
  }

  // How long a session pauses after the attempt-th "not now" answer to one submit.
  steady::duration backoff(unsigned attempt) const noexcept {
    auto d = opt.retry_backoff;
    for (unsigned i = 1; i < attempt && d < opt.retry_backoff_max; ++i) d *= 2;
    return std::min(d, opt.retry_backoff_max);
  }

  void on_receipt(std::string_view id, std::optional<dlr_state> state, steady::time_point at) {
    const std::int64_t now = now_ns(at);
    ++rep.dlrs_received;
    if (state)
      ++dlr_counts[static_cast<std::size_t>(*state)];
    else
      ++dlr_other_state;
    std::optional<std::uint64_t> sent = dlrs.take(id_key(id));
    if (sent) {
      ++rep.dlrs_matched;
    } else if (auto k = decimal_key(id); k && (sent = dlrs.take(*k))) {
      ++rep.dlrs_matched_decimal;
    } else {
      ++rep.dlrs_unmatched;
    }
    if (sent) rep.dlr_latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - static_cast<std::int64_t>(*sent))));
    last_progress = at;
    check();
  }

  void fail(std::string why, bool bind_failure) {
    if (!rep.failure.empty()) return;
    rep.failure = std::move(why);
    rep.bind_failed = bind_failure;
    for (auto& s : sessions) s->abort();
    set_phase(phase::done);
  }

  void set_phase(phase p) {
    ph = p;
    phase_since = steady::now();
    if (p == phase::done) ctx.stop();
  }

  void on_bound() {
    for (auto& s : sessions)
      if (s->binding() || s->closed()) return;
    if (ph != phase::connecting) return;
    start_at = last_progress = last_response_at = tokens_at = steady::now();
    next_report = start_at + progress_every;
    tokens = 1.0;
    set_phase(phase::running);
    fill_all();
  }

  // Each call starts at the next session, so that a rate limit shares messages out evenly.
  void fill_all() {
    const auto now = steady::now();
    const std::size_t n = sessions.size();
    for (std::size_t i = 0; i < n; ++i) sessions[(fill_start + i) % n]->fill(now);
    fill_start = (fill_start + 1) % std::max<std::size_t>(1, n);
  }

  // Moves the run forward when the current phase is complete.
  void check() {
    if (ph == phase::running && !sending() && in_flight == 0) set_phase(phase::waiting_dlrs);
    if (ph == phase::waiting_dlrs) {
      const bool all_dlrs = rep.dlrs_received >= rep.dlrs_expected;
      if (!opt.registered_delivery || all_dlrs || stop_flag) begin_unbind();
    }
    if (ph == phase::unbinding) {
      for (auto& s : sessions)
        if (!s->closed()) return;
      set_phase(phase::done);
    }
  }

  void begin_unbind() {
    set_phase(phase::unbinding);
    for (auto& s : sessions) s->unbind();
    check();
  }

  void tick() {
    const auto now = steady::now();
    if (opt.rate > 0 && ph == phase::running) {
      const double dt = std::chrono::duration<double>(now - tokens_at).count();
      tokens = std::min(std::max(1.0, opt.rate * 0.05), tokens + dt * opt.rate);  // bursts of at most 50 ms
      tokens_at = now;
    }
    if (ph == phase::running) fill_all();
    if (ph == phase::running || ph == phase::waiting_dlrs)
      for (auto& s : sessions) s->keepalive(now);
    if (ph == phase::connecting) {
      for (auto& s : sessions)
        if (s->binding() && now - s->bind_sent > opt.timeout) {
          fail("not bound within " + std::to_string(opt.timeout.count()) + " ms (connect, TLS or bind_resp)", true);
          return;
        }
    }
    if ((ph == phase::running || ph == phase::waiting_dlrs) && in_flight > 0 && now - last_progress > opt.timeout) {
      // The SMSC stopped answering: what is in flight has timed out; send nothing more.
      for (auto& s : sessions) rep.timed_out += s->forget_outstanding();
      in_flight = 0;
      messages_left = 0;
      if (ph == phase::running) set_phase(phase::waiting_dlrs);
    }
    if (ph == phase::waiting_dlrs && now - std::max(last_progress, phase_since) > opt.timeout) begin_unbind();
    if (ph == phase::unbinding && now - phase_since > std::min<steady::duration>(opt.timeout, std::chrono::seconds(2))) {
      for (auto& s : sessions) s->abort();
    }
    if (stop_flag && ph == phase::connecting) fail("stopped before the sessions were bound", false);
    check();
    if (progress_cb && now >= next_report) {
      next_report = now + progress_every;
      load_progress p;
      p.elapsed_s = ph == phase::connecting ? 0 : std::chrono::duration<double>(now - start_at).count();
      p.sent = rep.sent;
      p.acknowledged = rep.acknowledged;
      p.errors = rep.errors_total;
      p.in_flight = in_flight;
      p.throttled = rep.throttled_total;
      p.dlrs = rep.dlrs_received;
      const double dt = std::chrono::duration<double>(now - report_at).count();
      p.rate_per_s = report_at != steady::time_point{} && dt > 0 ? static_cast<double>(rep.acknowledged - acked_at_report) / dt : 0;
      acked_at_report = rep.acknowledged;
      report_at = now;
      progress_cb(p);
    }
  }

  asio::awaitable<void> ticker() {
    asio::steady_timer t(ctx);
    // Short ticks when a rate or a retry back-off decides when the next submit may go.
    const auto period = opt.rate > 0 || opt.retry_max > 0 ? std::chrono::milliseconds(5) : std::chrono::milliseconds(50);
    while (ph != phase::done) {
      t.expires_after(period);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      tick();
    }
  }

  void finish_report() {
    rep.target = host_port{opt.host, opt.port}.to_string();
    rep.sessions = opt.sessions;
    const auto end = last_response_at > start_at ? last_response_at : start_at;
    rep.elapsed_s = std::chrono::duration<double>(end - start_at).count();
    const double answered = static_cast<double>(rep.acknowledged + rep.errors_total);
    rep.throughput = rep.elapsed_s > 0 ? answered / rep.elapsed_s : 0;
    for (const auto& [s, n] : errors) rep.errors[status_label(s, opt.profile.get())] += n;
    for (const auto& [s, n] : throttles) rep.throttled[status_label(s, opt.profile.get())] += n;
    rep.window_auto = opt.window_auto;
    bool first = true;
    for (const auto& s : sessions) {
      const unsigned w = s->window_now();
      if (!s->sends()) continue;
      rep.window_final_min = first ? w : std::min(rep.window_final_min, w);
      rep.window_final_max = first ? w : std::max(rep.window_final_max, w);
      first = false;
    }
    for (std::size_t i = 0; i < dlr_state_count; ++i)
      if (dlr_counts[i]) rep.dlr_states[std::string(dlr_stat_text(static_cast<dlr_state>(i)))] = dlr_counts[i];
    if (dlr_other_state) rep.dlr_states["other"] = dlr_other_state;
  }
};

namespace {

template <class Stream>
class load_session final : public session_iface, public std::enable_shared_from_this<load_session<Stream>> {
 public:
  load_session(detail::load_state& owner, Stream stream, role r)
      : owner_(owner), stream_(std::move(stream)), role_(r), framer_(owner.opt.max_pdu), rbuf_(new std::uint8_t[read_size]) {}

  void start() override {
    bind_sent = steady::now();  // the bind timeout covers connect and TLS handshake too
    asio::co_spawn(owner_.ctx, run(this->shared_from_this()), asio::detached);
  }

  bool closed() const override { return state_ == state::closed; }
  bool binding() const override { return state_ == state::connecting || state_ == state::binding; }

  std::uint64_t forget_outstanding() override {
    const std::uint64_t n = outstanding_ + retries_.size();
    seqs_.clear();
    refs_.clear();
    retries_.clear();
    outstanding_ = 0;
    return n;
  }

  void adopt(const std::vector<std::uint64_t>& refs) override {
    for (std::uint64_t v : refs) retries_.push(submit_ref::unpack(v));
  }

  unsigned window_now() const override {
    return owner_.opt.window_auto ? static_cast<unsigned>(cwnd_) : std::max(1u, owner_.opt.window);
  }
  bool sends() const override { return role_ != role::receiver; }

  void fill(steady::time_point now) override {
    if (state_ != state::bound || role_ == role::receiver) return;
    if (now < paused_until_) return;  // backing off after a "not now"
    const std::int64_t t = now_ns(now);
    const unsigned window = window_now();
    // Retries first, oldest first: they have waited longest.
    while (!retries_.empty() && outstanding_ < window && owner_.take_token()) {
      const submit_ref r = retries_.front();
      retries_.pop();
      --owner_.in_flight;  // send() counts it again
      owner_.last_progress = now;
      send(r, t);
      ++owner_.rep.retries;
    }
    if (!retries_.empty()) {
      flush();
      return;
    }
    while (outstanding_ < window) {
      // A concatenated message goes out whole; it may exceed the window only when nothing is in flight.
      const auto& next = owner_.templates[owner_.mix_pos];
      if (outstanding_ > 0 && outstanding_ + next.size() > window) break;
      const auto mix = owner_.take_message();
      if (!mix) break;
      if (owner_.in_flight == 0) owner_.last_progress = now;  // the response timeout starts now
      const std::uint8_t ref = ++owner_.concat_ref;
      const auto& parts = owner_.templates[*mix];
      for (std::size_t i = 0; i < parts.size(); ++i) send({*mix, static_cast<std::uint8_t>(i), ref, 0}, t);
      ++owner_.rep.messages;
    }
    flush();
  }

  void send(const submit_ref& r, std::int64_t t) {
    const submit_template& part = owner_.templates[r.mix][r.part];
    std::uint8_t* p = out_.append_patchable(part.bytes);
    const std::uint32_t seq = next_seq();
    put_be32(p + 12, seq);
    if (part.ref_offset) p[part.ref_offset] = r.ref;
    seqs_.insert(seq, static_cast<std::uint64_t>(t));
    refs_.insert(seq, r.pack());
    ++outstanding_;
    ++owner_.in_flight;
    ++owner_.rep.sent;
  }

  void keepalive(steady::time_point now) override {
    const auto every = owner_.opt.enquire_link_interval;
    if (state_ != state::bound || every.count() <= 0) return;
    if (next_enquire_ == steady::time_point{}) next_enquire_ = now + every;
    if (now < next_enquire_) return;
    write_header_only(id_of(command_id::enquire_link), 0, next_seq());
    ++owner_.rep.enquire_links_sent;
    next_enquire_ = now + every;
    flush();
  }

  void unbind() override {
    if (state_ == state::bound) {
      write_header_only(id_of(command_id::unbind), 0, next_seq());
      state_ = state::unbinding;
      flush();
    } else if (state_ != state::closed && state_ != state::unbinding) {
      abort();
    }
  }

  void abort() override { close(); }

 private:
  enum class state : std::uint8_t { connecting, binding, bound, unbinding, closing, closed };
  static constexpr std::size_t read_size = 64 * 1024;

  asio::awaitable<void> run(std::shared_ptr<load_session> self) {
    (void)self;
    const auto& o = owner_.opt;
    tcp::resolver resolver(owner_.ctx);
    auto [rec, endpoints] = co_await resolver.async_resolve(o.host, std::to_string(o.port), asio::as_tuple(asio::use_awaitable));
    const std::string target = host_port{o.host, o.port}.to_string();
    if (rec) {
      owner_.fail("cannot resolve " + o.host + ": " + rec.message(), false);
      co_return;
    }
    auto [cec, ep] = co_await asio::async_connect(detail::lowest(stream_), endpoints, asio::as_tuple(asio::use_awaitable));
    if (cec) {
      owner_.fail("cannot connect to " + target + ": " + cec.message(), false);
      co_return;
    }
    boost::system::error_code ignored;
    detail::lowest(stream_).set_option(tcp::no_delay(true), ignored);
    if (auto hec = co_await detail::client_handshake(stream_, o.host)) {
      owner_.fail("TLS handshake with " + target + " failed: " + hec.message(), false);
      close();
      co_return;
    }
    if (state_ == state::closed) co_return;
    command_id bind = command_id::bind_transceiver;
    if (role_ == role::transmitter) bind = command_id::bind_transmitter;
    if (role_ == role::receiver) bind = command_id::bind_receiver;
    decoder::pdu_builder b(bind, next_seq());
    b.set("system_id", o.system_id).set("password", o.password).set("system_type", o.system_type);
    b.set("interface_version", 0x34u);
    out_.append(b.bytes());
    state_ = state::binding;
    bind_sent = steady::now();
    flush();
    co_await reader();
  }

  asio::awaitable<void> reader() {
    while (state_ != state::closed) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(rbuf_.get(), read_size), asio::as_tuple(asio::use_awaitable));
      if (ec) {
        lost(detail::is_expected_end(ec) ? "the SMSC closed the connection" : ec.message());
        co_return;
      }
      const auto now = steady::now();
      const std::int64_t t = now_ns(now);
      const bool in_sync =
          framer_.feed({rbuf_.get(), n}, [&](std::span<const std::uint8_t> frame) { on_frame(frame, t, now); });
      if (!in_sync) {
        owner_.fail("framing error from the SMSC: " + framer_.error().message(framer_.max_pdu()), false);
        co_return;
      }
      if (owner_.ph == phase::running) fill(now);
      flush();
      owner_.check();
    }
  }

  // The connection ended on its own.
  void lost(const std::string& why) {
    const bool expected = state_ == state::unbinding || state_ == state::closing || state_ == state::closed;
    close();
    if (expected) {
      owner_.check();
      return;
    }
    if (owner_.ph == phase::connecting) {
      owner_.fail("connection closed during bind: " + why, true);
      return;
    }
    // Mid-run: what was in flight (or waiting for a retry) on this session will never be answered.
    const std::uint64_t lost_submits = forget_outstanding();
    owner_.rep.timed_out += lost_submits;
    owner_.in_flight -= lost_submits;
    if (owner_.rep.failure.empty()) owner_.rep.failure = "session lost: " + why;
    bool any_open = false;
    for (auto& s : owner_.sessions) any_open |= !s->closed();
    if (!any_open) owner_.set_phase(phase::done);
    owner_.check();
  }

  void on_frame(std::span<const std::uint8_t> frame, std::int64_t t, steady::time_point now) {
    const decoder::header h = decoder::read_header(frame);
    switch (static_cast<command_id>(h.command_id)) {
      case command_id::submit_sm_resp: on_submit_resp(h, frame, t, now); break;
      case command_id::generic_nack:
        ++owner_.rep.generic_nacks;
        if (seqs_.find(h.sequence_number)) on_submit_resp(h, frame, t, now);
        break;
      case command_id::deliver_sm: on_deliver_sm(h, frame, now); break;
      case command_id::data_sm:
        respond_with_empty_id(id_of(command_id::data_sm_resp), h.sequence_number);
        ++owner_.rep.mo_received;
        break;
      case command_id::enquire_link:
        write_header_only(id_of(command_id::enquire_link_resp), 0, h.sequence_number);
        ++owner_.rep.enquire_links_answered;
        break;
      case command_id::unbind:
        write_header_only(id_of(command_id::unbind_resp), 0, h.sequence_number);
        if (state_ == state::bound) unbound_by_smsc_ = true;
        if (state_ != state::unbinding) state_ = state::closing;
        break;
      case command_id::unbind_resp:
        if (state_ == state::unbinding) state_ = state::closing;
        break;
      case command_id::bind_transceiver_resp:
      case command_id::bind_transmitter_resp:
      case command_id::bind_receiver_resp: on_bind_resp(h); break;
      case command_id::enquire_link_resp:
      case command_id::alert_notification:
      case command_id::deliver_sm_resp:
        break;
      default:
        if (!decoder::is_response(h.command_id))
          write_header_only(id_of(command_id::generic_nack), 0x03 /* ESME_RINVCMDID */, h.sequence_number);
        break;
    }
  }

  void on_bind_resp(const decoder::header& h) {
    if (state_ != state::binding) return;
    if (h.command_status != 0) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%08" PRIX32, h.command_status);
      const std::string label = status_label(h.command_status, owner_.opt.profile.get());
      owner_.fail("bind failed: " + (label == buf ? label : label + " (" + buf + ")"), true);
      return;
    }
    state_ = state::bound;
    owner_.on_bound();
  }

  void on_submit_resp(const decoder::header& h, std::span<const std::uint8_t> frame, std::int64_t t,
                      steady::time_point now) {
    const auto sent = seqs_.take(h.sequence_number);
    if (!sent) return;  // already given up on, or not ours
    const submit_ref ref = submit_ref::unpack(refs_.take(h.sequence_number).value_or(0));
    --outstanding_;
    --owner_.in_flight;
    auto& rep = owner_.rep;
    rep.submit_latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, t - static_cast<std::int64_t>(*sent))));
    owner_.last_progress = owner_.last_response_at = now;
    const bool nack = h.command_id == id_of(command_id::generic_nack);
    if (!nack && is_retryable(h.command_status) && ref.attempt < owner_.opt.retry_max) {
      on_not_now(h.command_status, ref, static_cast<std::int64_t>(*sent), now);
      return;
    }
    if (h.command_status != 0 || nack) {
      owner_.count_error(h.command_status);
      return;
    }
    if (owner_.opt.window_auto) cwnd_ = std::min<double>(owner_.opt.window_max, cwnd_ + 1.0 / cwnd_);
    throttle_streak_ = 0;
    ++rep.acknowledged;
    if (!owner_.opt.registered_delivery) return;
    // message_id: the C-Octet String right after the header.
    const auto body = frame.subspan(decoder::header_size);
    const auto* p = reinterpret_cast<const char*>(body.data());
    const std::size_t len = strnlen(p, body.size());
    owner_.dlrs.insert(id_key({p, len}), *sent);
    ++rep.dlrs_expected;
  }

  // The SMSC said "not now": queue the submit again and pause this session. One pause (and one
  // window cut) per burst, as TCP cuts once per round trip: answers to submits sent before the
  // last pause began do not extend it. Pauses grow while bursts meet nothing but "not now".
  void on_not_now(std::uint32_t status, submit_ref ref, std::int64_t sent_ns, steady::time_point now) {
    owner_.count_throttled(status);
    ++ref.attempt;
    retries_.push(ref);
    ++owner_.in_flight;  // still owed an answer
    if (sent_ns < last_cut_ns_) return;
    last_cut_ns_ = now_ns(now);
    paused_until_ = now + owner_.backoff(++throttle_streak_);
    if (owner_.opt.window_auto) cwnd_ = std::max(1.0, std::floor(cwnd_ / 2));
  }

  void on_deliver_sm(const decoder::header& h, std::span<const std::uint8_t> frame, steady::time_point now) {
    respond_with_empty_id(id_of(command_id::deliver_sm_resp), h.sequence_number);
    const decoder::decode_error err = decoder::decode(frame, pdu_);
    const auto* esm = pdu_.field("esm_class");
    if (err || !esm || (esm->integer & 0x3C) != 0x04) {  // not an MC delivery receipt (SMPP v3.4 5.2.12)
      ++owner_.rep.mo_received;
      return;
    }
    // SMPP v3.4 Appendix B: the TLVs first; the text (decoded, which allocates) only without them.
    auto r = decoder::parse_receipt(pdu_, {});
    std::string text;
    if (!r || r->message_id().empty() || !r->state()) {
      const auto* sm = pdu_.field("short_message");
      const auto* dc = pdu_.field("data_coding");
      if (sm && dc) {
        text = decoder::decode_text(sm->bytes, static_cast<std::uint8_t>(dc->integer)).utf8;
        r = decoder::parse_receipt(pdu_, text);
      }
    }
    std::optional<dlr_state> state;
    if (r && r->state()) state = dlr_state_of_message_state(*r->state());
    owner_.on_receipt(r ? r->message_id() : std::string_view{}, state, now);
  }

  void respond_with_empty_id(std::uint32_t id, std::uint32_t seq) {
    std::uint8_t* p = out_.prepare(decoder::header_size + 1).data();
    decoder::wire::put_smpp_header(p, decoder::header_size + 1, id, 0, seq);
    p[16] = 0;  // message_id: unused, one NUL (SMPP v3.4 section 4)
    out_.commit(decoder::header_size + 1);
  }

  void write_header_only(std::uint32_t id, std::uint32_t status, std::uint32_t seq) {
    decoder::wire::put_smpp_header(out_.prepare(decoder::header_size).data(), decoder::header_size, id, status, seq);
    out_.commit(decoder::header_size);
  }

  std::uint32_t next_seq() noexcept {
    seq_ = seq_ >= 0x7FFFFFFF ? 1 : seq_ + 1;
    return seq_;
  }

  void flush() {
    if (writing_ || state_ == state::closed) return;
    if (out_.empty()) {
      if (state_ == state::closing) close();
      return;
    }
    wbuf_.swap(out_);
    writing_ = true;
    asio::async_write(stream_, asio::buffer(wbuf_.data(), wbuf_.size()),
                      [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->wbuf_.clear();
                        if (ec) {
                          self->lost(ec.message());
                          return;
                        }
                        self->flush();
                        if (self->state_ == state::closed) self->owner_.check();
                      });
  }

  void close() {
    if (state_ == state::closed) return;
    state_ = state::closed;
    boost::system::error_code ignored;
    auto& sock = detail::lowest(stream_);
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
    if (unbound_by_smsc_) {
      // What was in flight when the SMSC unbound us is sent again on the next session.
      unbound_by_smsc_ = false;
      std::vector<std::uint64_t> owed;
      refs_.for_each([&owed](std::uint64_t, std::uint64_t v) { owed.push_back(v); });
      while (!retries_.empty()) {
        owed.push_back(retries_.front().pack());
        retries_.pop();
      }
      owner_.rebind(role_, owed);
      // They stay in owner_.in_flight: the new session owes them now.
      seqs_.clear();
      refs_.clear();
      outstanding_ = 0;
    }
  }

  detail::load_state& owner_;
  Stream stream_;
  role role_;
  state state_ = state::connecting;
  decoder::framer framer_;
  decoder::pdu pdu_{};
  std::unique_ptr<std::uint8_t[]> rbuf_;
  byte_buffer out_{64 * 1024}, wbuf_{64 * 1024};
  bool writing_ = false;
  std::uint32_t seq_ = 0;
  detail::flat_map seqs_{256};  // sequence_number -> send time (ns)
  detail::flat_map refs_{256};  // sequence_number -> submit_ref::pack()
  detail::fifo<submit_ref> retries_{64};
  steady::time_point paused_until_{};
  std::int64_t last_cut_ns_ = 0;
  bool unbound_by_smsc_ = false;
  unsigned throttle_streak_ = 0;  // pauses since the last accepted submit
  double cwnd_ = std::max(1u, owner_.opt.window);  // the window when it adapts (window_auto)
  std::uint64_t outstanding_ = 0;
  steady::time_point next_enquire_{};
};

}  // namespace

load_generator::load_generator(load_options options) : impl_(std::make_unique<detail::load_state>(std::move(options))) {}
load_generator::~load_generator() {
  impl_->sessions.clear();
  impl_->make_session = nullptr;
}

void load_generator::on_progress(std::function<void(const load_progress&)> cb, std::chrono::milliseconds every) {
  impl_->progress_cb = std::move(cb);
  impl_->progress_every = every;
}

void load_generator::stop() {
  impl_->stop_flag = true;
}

void load_generator::abort() {
  impl_->stop_flag = true;
  impl_->aborted = true;
  impl_->ctx.stop();
}

load_report load_generator::run() {
  auto& im = *impl_;
  auto& o = im.opt;
  if (o.protocol != load_protocol::smpp)
    return detail::run_cmpp_load({o, im.ctx, im.stop_flag, im.aborted, im.progress_cb, im.progress_every});
  if (o.mix.empty()) o.mix = {message_kind::gsm7};
  for (auto kind : o.mix) im.templates.push_back(make_templates(kind, o));
  im.messages_left = o.count;
  if (o.tls) im.tls = detail::make_client_tls(o.insecure, o.ca_file);
  const unsigned n = std::max(1u, o.sessions);
  im.make_session = [&im](role r) -> std::shared_ptr<session_iface> {
    if (im.tls)
      return std::make_shared<load_session<ssl::stream<tcp::socket>>>(im, ssl::stream<tcp::socket>(im.ctx, *im.tls), r);
    return std::make_shared<load_session<tcp::socket>>(im, tcp::socket(im.ctx), r);
  };
  auto add = [&](role r) { im.sessions.push_back(im.make_session(r)); };
  for (unsigned i = 0; i < n; ++i) add(o.bind == bind_mode::transmitter ? role::transmitter : role::transceiver);
  if (o.bind == bind_mode::transmitter && o.registered_delivery) add(role::receiver);
  for (auto& s : im.sessions) s->start();
  asio::co_spawn(im.ctx, im.ticker(), asio::detached);
  im.ctx.run();
  if (im.aborted && im.ph != phase::done && im.rep.failure.empty()) im.rep.failure = "aborted";
  im.finish_report();
  return im.rep;
}

std::vector<std::string> apply_profile_limits(load_options& o, const profile::provider_profile& p,
                                              profile_overrides keep) {
  using profile::bind_type;
  std::vector<std::string> notes;
  const std::string& who = p.name;
  if (!keep.keep_bind) {
    if (o.bind == bind_mode::transceiver && !p.bind_allowed(bind_type::transceiver) &&
        p.bind_allowed(bind_type::transmitter)) {
      o.bind = bind_mode::transmitter;
      notes.push_back("bind tx: " + who + " allows no transceiver");
    } else if (o.bind == bind_mode::transmitter && !p.bind_allowed(bind_type::transmitter) &&
               p.bind_allowed(bind_type::transceiver)) {
      o.bind = bind_mode::transceiver;
      notes.push_back("bind trx: " + who + " allows no transmitter");
    }
  }
  if (!keep.keep_sessions) {
    // Sending sessions the account may hold at once (a transmitter run adds one receiver).
    const auto& b = p.binds;
    const bool trx = o.bind == bind_mode::transceiver;
    const std::uint32_t receiver = !trx && o.registered_delivery ? 1 : 0;
    std::optional<std::uint32_t> cap;
    auto lower = [&cap](std::optional<std::uint32_t> v) {
      if (v && (!cap || *v < *cap)) cap = v;
    };
    auto minus = [](std::optional<std::uint32_t> v, std::uint32_t k) -> std::optional<std::uint32_t> {
      if (!v) return std::nullopt;
      return *v > k ? *v - k : 0;
    };
    lower(trx ? b.max_transceivers : b.max_transmitters);
    if (b.max_per_account) lower(trx ? *b.max_per_account / std::max(1u, b.transceiver_weight) : *minus(b.max_per_account, receiver));
    lower(minus(b.max_per_server, receiver));
    lower(minus(b.max_per_host, receiver));
    if (cap && *cap >= 1 && o.sessions > *cap) {
      o.sessions = *cap;
      notes.push_back("sessions " + std::to_string(*cap) + ": what " + who + " lets one account bind");
    }
  }
  if (!keep.keep_window && p.window) {
    if (o.window_auto) {
      o.window_max = *p.window;
      o.window = std::min(o.window, o.window_max);
    } else {
      o.window = *p.window;
    }
    notes.push_back("window " + std::to_string(*p.window) + " per session (" + who + ")");
  }
  if (!keep.keep_rate && p.rate_per_connection) {
    o.rate = *p.rate_per_connection * std::max(1u, o.sessions);
    o.rate_counts_pdus = true;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", *p.rate_per_connection);
    notes.push_back(std::string("rate ") + buf + " submit_sm/s per session (" + who + ")");
  }
  if (!keep.keep_enquire_link && p.enquire_link_interval_s) {
    o.enquire_link_interval = std::chrono::seconds(*p.enquire_link_interval_s);
    notes.push_back("enquire_link every " + std::to_string(*p.enquire_link_interval_s) + " s (" + who + ")");
  }
  return notes;
}

// ---- report output ----------------------------------------------------------------------------

namespace {

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

// The report's strings are ASCII labels and error messages: escape quotes, backslashes and
// control characters.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

void json_latency(std::string& out, const latency_histogram& h) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "{\"count\":%" PRIu64 ",\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f}", h.count(),
                us(h.percentile(0.50)), us(h.percentile(0.90)), us(h.percentile(0.99)), us(h.max()));
  out += buf;
}

void json_counts(std::string& out, const std::map<std::string, std::uint64_t>& m) {
  out += '{';
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, k);
    out += ':';
    out += std::to_string(v);
  }
  out += '}';
}

std::string ms_text(std::uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

}  // namespace

std::string to_json(const load_report& r) {
  std::string out = "{\"target\":";
  append_json_string(out, r.target);
  auto num = [&](const char* key, std::uint64_t v) {
    out += ",\"";
    out += key;
    out += "\":";
    out += std::to_string(v);
  };
  auto real = [&](const char* key, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, ",\"%s\":%.3f", key, v);
    out += buf;
  };
  num("sessions", r.sessions);
  out += ",\"ok\":";
  out += r.ok() ? "true" : "false";
  out += ",\"bind_failed\":";
  out += r.bind_failed ? "true" : "false";
  if (!r.failure.empty()) {
    out += ",\"failure\":";
    append_json_string(out, r.failure);
  }
  num("messages", r.messages);
  num("sent", r.sent);
  num("acknowledged", r.acknowledged);
  num("errors_total", r.errors_total);
  out += ",\"errors\":";
  json_counts(out, r.errors);
  num("timed_out", r.timed_out);
  num("throttled_total", r.throttled_total);
  out += ",\"throttled\":";
  json_counts(out, r.throttled);
  num("retries", r.retries);
  num("rebinds", r.rebinds);
  if (r.window_auto) {
    num("window_final_min", r.window_final_min);
    num("window_final_max", r.window_final_max);
  }
  num("generic_nacks", r.generic_nacks);
  real("elapsed_s", r.elapsed_s);
  real("throughput_per_s", r.throughput);
  out += ",\"submit_resp_latency_us\":";
  json_latency(out, r.submit_latency);
  out += ",\"dlr\":{\"expected\":" + std::to_string(r.dlrs_expected) + ",\"received\":" + std::to_string(r.dlrs_received) +
         ",\"matched\":" + std::to_string(r.dlrs_matched) + ",\"matched_decimal\":" + std::to_string(r.dlrs_matched_decimal) +
         ",\"unmatched\":" + std::to_string(r.dlrs_unmatched) + ",\"by_state\":";
  json_counts(out, r.dlr_states);
  out += ",\"latency_us\":";
  json_latency(out, r.dlr_latency);
  out += '}';
  num("mo_received", r.mo_received);
  num("enquire_links_answered", r.enquire_links_answered);
  num("enquire_links_sent", r.enquire_links_sent);
  out += "}";
  return out;
}

std::string to_text(const load_report& r) {
  std::string out;
  char buf[512];
  auto line = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof buf, fmt, args...);
    out += buf;
  };
  line("target          %s, %u session(s)\n", r.target.c_str(), r.sessions);
  if (!r.failure.empty()) line("FAILED          %s\n", r.failure.c_str());
  line("messages        %" PRIu64 " (%" PRIu64 " submit_sm)\n", r.messages, r.sent);
  line("acknowledged    %" PRIu64 "\n", r.acknowledged);
  line("errors          %" PRIu64, r.errors_total);
  if (!r.errors.empty()) {
    out += " (";
    bool first = true;
    for (const auto& [k, v] : r.errors) {
      line("%s%s %" PRIu64, first ? "" : ", ", k.c_str(), v);
      first = false;
    }
    out += ")";
  }
  out += "\n";
  line("timed out       %" PRIu64 "\n", r.timed_out);
  line("throttled       %" PRIu64 " (retried %" PRIu64 " submit_sm", r.throttled_total, r.retries);
  for (const auto& [k, v] : r.throttled) line(", %s %" PRIu64, k.c_str(), v);
  out += ")\n";
  if (r.window_auto) line("window (auto)   %u..%u at the end\n", r.window_final_min, r.window_final_max);
  line("throughput      %.0f submit_sm/s over %.3f s\n", r.throughput, r.elapsed_s);
  const auto& s = r.submit_latency;
  line("submit->resp    p50 %s  p90 %s  p99 %s  max %s\n", ms_text(s.percentile(0.5)).c_str(),
       ms_text(s.percentile(0.9)).c_str(), ms_text(s.percentile(0.99)).c_str(), ms_text(s.max()).c_str());
  if (r.dlrs_expected || r.dlrs_received) {
    line("DLRs            %" PRIu64 " of %" PRIu64 " expected", r.dlrs_received, r.dlrs_expected);
    for (const auto& [k, v] : r.dlr_states) line(", %s %" PRIu64, k.c_str(), v);
    out += "\n";
    if (r.dlrs_matched_decimal || r.dlrs_unmatched)
      line("DLR ids         %" PRIu64 " matched, %" PRIu64 " matched only as decimal, %" PRIu64 " unmatched\n",
           r.dlrs_matched, r.dlrs_matched_decimal, r.dlrs_unmatched);
    const auto& d = r.dlr_latency;
    line("submit->DLR     p50 %s  p90 %s  p99 %s  max %s\n", ms_text(d.percentile(0.5)).c_str(),
         ms_text(d.percentile(0.9)).c_str(), ms_text(d.percentile(0.99)).c_str(), ms_text(d.max()).c_str());
  }
  if (r.mo_received) line("MO received     %" PRIu64 "\n", r.mo_received);
  if (r.rebinds) line("rebinds         %" PRIu64 " (the SMSC unbound a session mid-run)\n", r.rebinds);
  return out;
}

}  // namespace smppscope::sim
