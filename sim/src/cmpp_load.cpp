// The load generator speaking CMPP 2.0 / 3.0 as an SP: S connections, each CONNECTs with an
// AuthenticatorSource, keeps at most W SUBMITs in flight, answers DELIVER (status reports and
// MO) and ACTIVE_TEST, and TERMINATEs when done. Runs on one thread. SUBMITs are templates built
// once with the codec's pdu_builder; per message only Sequence_Id and the UDH reference octet are
// patched; writes are batched. Same report as the SMPP run (load_report).
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "cmpp_load_run.hpp"
#include "ismg_core.hpp"
#include "smppscope/cmpp_auth/authenticator.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/sim/detail/byte_buffer.hpp"
#include "smppscope/sim/detail/flat_map.hpp"
#include "smppscope/sim/host_port.hpp"
#include "stream_util.hpp"

namespace smppscope::sim {

std::optional<std::vector<cmpp_text>> parse_cmpp_mix(std::string_view spec, std::string* error) {
  std::vector<cmpp_text> mix;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    if (item == "ascii")
      mix.push_back(cmpp_text::ascii);
    else if (item == "ucs2")
      mix.push_back(cmpp_text::ucs2);
    else if (item == "gbk")
      mix.push_back(cmpp_text::gbk);
    else if (item == "long")
      mix.push_back(cmpp_text::long_ucs2);
    else {
      if (error) *error = "unknown CMPP message kind '" + std::string(item) + "' (ascii, gbk, ucs2, long)";
      return std::nullopt;
    }
  }
  if (mix.empty()) {
    if (error) *error = "the mix is empty (ascii, gbk, ucs2, long)";
    return std::nullopt;
  }
  return mix;
}

namespace detail {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using cmpp::command_id;

constexpr std::uint32_t id_of(command_id c) noexcept { return static_cast<std::uint32_t>(c); }

std::int64_t now_ns(steady::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// One pre-encoded SUBMIT: Sequence_Id (offset 8) and, for long messages, the UDH reference octet
// are patched per message.
struct part_template {
  std::vector<std::uint8_t> bytes;
  std::size_t ref_offset = 0;  // 0: none
};

std::vector<part_template> make_templates(cmpp_text kind, const load_options& o, cmpp::version v) {
  const auto* spec = cmpp::find_command(id_of(command_id::submit), v);
  const std::string_view dest = o.destination_addr;
  auto build = [&](std::uint8_t fmt, std::span<const std::uint8_t> content, std::uint8_t total, std::uint8_t number,
                   bool udhi) {
    return cmpp::pdu_builder(command_id::submit, v)
        .set("Pk_total", total)
        .set("Pk_number", number)
        .set("Registered_Delivery", o.registered_delivery ? 1u : 0u)
        .set("Service_Id", "SMPPSCOPE")
        .set("Fee_UserType", 2u)  // charge the SP
        .set("TP_udhi", udhi ? 1u : 0u)
        .set("Msg_Fmt", fmt)
        .set("Msg_src", o.system_id)
        .set("FeeType", "01")  // free
        .set("FeeCode", "000000")
        .set("Src_Id", o.source_addr)
        .destinations(std::span<const std::string_view>(&dest, 1))
        .set_bytes("Msg_Content", content)
        .bytes();
  };
  auto ascii = [](std::string_view s) {
    return std::vector<std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()),
                                     reinterpret_cast<const std::uint8_t*>(s.data()) + s.size());
  };
  std::vector<part_template> out;
  switch (kind) {
    case cmpp_text::ascii:
      out.push_back({build(0, ascii("Hello from smppscope: your code is 4711 (valid 10 min)"), 1, 1, false), 0});
      break;
    case cmpp_text::ucs2:
      out.push_back({build(8,
                           decoder::utf8_to_ucs2("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xE4\xBD\xA0\xE5\xA5"
                                                 "\xBD \xF0\x9F\x91\x8B smppscope"),
                           1, 1, false),
                     0});
      break;
    case cmpp_text::gbk: {
      // 你好，smppscope 验证码 4711（10 分钟内有效）
      auto gbk = cmpp::utf8_to_gbk(
          "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C" "smppscope \xE9\xAA\x8C\xE8\xAF\x81\xE7\xA0\x81 4711"
          "\xEF\xBC\x88" "10 \xE5\x88\x86\xE9\x92\x9F\xE5\x86\x85\xE6\x9C\x89\xE6\x95\x88\xEF\xBC\x89");
      if (!gbk) throw std::runtime_error("this system's iconv cannot convert to GBK");
      out.push_back({build(15, *gbk, 1, 1, false), 0});
      break;
    }
    case cmpp_text::long_ucs2: {
      std::string text;
      while (text.size() < 180) text += "A long CMPP message in three parts, joined by the handset with a UDH. ";
      const auto ucs2 = decoder::utf8_to_ucs2(text.substr(0, 180));
      constexpr std::size_t per_part = 134;  // 140 octets less a 6-octet concatenation UDH
      const std::size_t parts = (ucs2.size() + per_part - 1) / per_part;
      const std::size_t trailer = spec->fields.back().width;  // Reserve / LinkID after Msg_Content
      for (std::size_t i = 0; i < parts; ++i) {
        std::vector<std::uint8_t> content{0x05, 0x00, 0x03, 0x00, static_cast<std::uint8_t>(parts),
                                          static_cast<std::uint8_t>(i + 1)};
        const auto from = ucs2.begin() + static_cast<std::ptrdiff_t>(i * per_part);
        const auto to = ucs2.begin() + static_cast<std::ptrdiff_t>(std::min(ucs2.size(), (i + 1) * per_part));
        content.insert(content.end(), from, to);
        auto bytes = build(8, content, static_cast<std::uint8_t>(parts), static_cast<std::uint8_t>(i + 1), true);
        const std::size_t ref = bytes.size() - trailer - content.size() + 3;
        out.push_back({std::move(bytes), ref});
      }
      break;
    }
  }
  return out;
}

std::string result_label(std::uint32_t result, cmpp::version v) {
  const auto name = cmpp::code_name(cmpp::code_table::submit_result, result, v);
  return "Result " + std::to_string(result) + " " + std::string(name);
}

enum class phase : std::uint8_t { connecting, running, waiting_dlrs, unbinding, done };

class cmpp_session_iface {
 public:
  virtual ~cmpp_session_iface() = default;
  virtual void start() = 0;
  virtual void fill(steady::time_point now) = 0;
  virtual void keepalive(steady::time_point now) = 0;
  virtual void terminate() = 0;
  virtual void abort() = 0;
  virtual bool closed() const = 0;
  virtual bool connecting() const = 0;
  virtual std::uint64_t forget_outstanding() = 0;
  steady::time_point connect_sent{};
};

// The state of one run, shared by its sessions (one thread).
struct cmpp_run {
  explicit cmpp_run(cmpp_load_hooks h)
      : hooks(h), opt(h.opt), ctx(h.ctx), ver(opt.protocol == load_protocol::cmpp3 ? cmpp::version::v30 : cmpp::version::v20) {}

  cmpp_load_hooks hooks;
  load_options& opt;
  asio::io_context& ctx;
  cmpp::version ver;
  std::unique_ptr<ssl::context> tls;
  load_report rep;
  phase ph = phase::connecting;
  std::vector<std::shared_ptr<cmpp_session_iface>> sessions;
  std::vector<std::vector<part_template>> templates;
  std::vector<std::uint8_t> deliver_resp;  // template: Sequence_Id and Msg_Id patched
  std::size_t deliver_resp_msg_id_at = 0;
  std::size_t mix_pos = 0, fill_start = 0;
  std::uint64_t messages_left = 0;
  double tokens = 0;
  steady::time_point tokens_at{};
  flat_map dlrs{4096};  // Msg_Id -> submit time (ns)
  std::uint64_t in_flight = 0;
  std::uint8_t concat_ref = 0;
  steady::time_point start_at{}, last_response_at{}, last_progress{}, phase_since{};
  std::array<std::uint64_t, dlr_state_count> dlr_counts{};
  std::uint64_t dlr_other_state = 0;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> errors;
  steady::time_point next_report{}, report_at{};
  std::uint64_t acked_at_report = 0;

  bool unlimited() const noexcept { return opt.count == 0; }
  bool sending() const noexcept {
    return ph == phase::running && (unlimited() || messages_left > 0) && !hooks.stop_flag;
  }

  const std::vector<part_template>* take_message() {
    if (!sending()) return nullptr;
    if (opt.rate > 0) {
      if (tokens < 1.0) return nullptr;
      tokens -= 1.0;
    }
    if (!unlimited()) --messages_left;
    const auto* t = &templates[mix_pos];
    mix_pos = (mix_pos + 1) % templates.size();
    return t;
  }

  void count_error(std::uint32_t result) {
    ++rep.errors_total;
    for (auto& [r, n] : errors)
      if (r == result) {
        ++n;
        return;
      }
    errors.emplace_back(result, 1);
  }

  void on_report(std::uint64_t msg_id, std::string_view stat, steady::time_point at) {
    ++rep.dlrs_received;
    if (auto s = parse_dlr_stat(stat))
      ++dlr_counts[static_cast<std::size_t>(*s)];
    else
      ++dlr_other_state;
    if (auto sent = dlrs.take(msg_id)) {
      ++rep.dlrs_matched;
      rep.dlr_latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_ns(at) - static_cast<std::int64_t>(*sent))));
    } else {
      ++rep.dlrs_unmatched;
    }
    last_progress = at;
    check();
  }

  void fail(std::string why, bool connect_failure) {
    if (!rep.failure.empty()) return;
    rep.failure = std::move(why);
    rep.bind_failed = connect_failure;
    for (auto& s : sessions) s->abort();
    set_phase(phase::done);
  }

  void set_phase(phase p) {
    ph = p;
    phase_since = steady::now();
    if (p == phase::done) ctx.stop();
  }

  void on_connected() {
    for (auto& s : sessions)
      if (s->connecting() || s->closed()) return;
    if (ph != phase::connecting) return;
    start_at = last_progress = last_response_at = tokens_at = steady::now();
    next_report = start_at + hooks.progress_every;
    tokens = 1.0;
    set_phase(phase::running);
    fill_all();
  }

  void fill_all() {
    const auto now = steady::now();
    const std::size_t n = sessions.size();
    for (std::size_t i = 0; i < n; ++i) sessions[(fill_start + i) % n]->fill(now);
    fill_start = (fill_start + 1) % std::max<std::size_t>(1, n);
  }

  void check() {
    if (ph == phase::running && !sending() && in_flight == 0) set_phase(phase::waiting_dlrs);
    if (ph == phase::waiting_dlrs) {
      if (!opt.registered_delivery || rep.dlrs_received >= rep.dlrs_expected || hooks.stop_flag) begin_terminate();
    }
    if (ph == phase::unbinding) {
      for (auto& s : sessions)
        if (!s->closed()) return;
      set_phase(phase::done);
    }
  }

  void begin_terminate() {
    set_phase(phase::unbinding);
    for (auto& s : sessions) s->terminate();
    check();
  }

  void tick() {
    const auto now = steady::now();
    if (opt.rate > 0 && ph == phase::running) {
      const double dt = std::chrono::duration<double>(now - tokens_at).count();
      tokens = std::min(std::max(1.0, opt.rate * 0.05), tokens + dt * opt.rate);
      tokens_at = now;
    }
    if (ph == phase::running) fill_all();
    if (ph == phase::running || ph == phase::waiting_dlrs)
      for (auto& s : sessions) s->keepalive(now);
    if (ph == phase::connecting) {
      for (auto& s : sessions)
        if (s->connecting() && now - s->connect_sent > opt.timeout) {
          fail("not connected within " + std::to_string(opt.timeout.count()) + " ms (connect, TLS or CMPP_CONNECT_RESP)", true);
          return;
        }
    }
    if ((ph == phase::running || ph == phase::waiting_dlrs) && in_flight > 0 && now - last_progress > opt.timeout) {
      for (auto& s : sessions) rep.timed_out += s->forget_outstanding();
      in_flight = 0;
      messages_left = 0;
      if (ph == phase::running) set_phase(phase::waiting_dlrs);
    }
    if (ph == phase::waiting_dlrs && now - std::max(last_progress, phase_since) > opt.timeout) begin_terminate();
    if (ph == phase::unbinding && now - phase_since > std::min<steady::duration>(opt.timeout, std::chrono::seconds(2)))
      for (auto& s : sessions) s->abort();
    if (hooks.stop_flag && ph == phase::connecting) fail("stopped before the sessions were connected", false);
    check();
    if (hooks.progress_cb && now >= next_report) {
      next_report = now + hooks.progress_every;
      load_progress p;
      p.elapsed_s = ph == phase::connecting ? 0 : std::chrono::duration<double>(now - start_at).count();
      p.sent = rep.sent;
      p.acknowledged = rep.acknowledged;
      p.errors = rep.errors_total;
      p.in_flight = in_flight;
      p.dlrs = rep.dlrs_received;
      const double dt = std::chrono::duration<double>(now - report_at).count();
      p.rate_per_s = report_at != steady::time_point{} && dt > 0 ? static_cast<double>(rep.acknowledged - acked_at_report) / dt : 0;
      acked_at_report = rep.acknowledged;
      report_at = now;
      hooks.progress_cb(p);
    }
  }

  asio::awaitable<void> ticker() {
    asio::steady_timer t(ctx);
    const auto period = opt.rate > 0 ? std::chrono::milliseconds(5) : std::chrono::milliseconds(50);
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
    for (const auto& [r, n] : errors) rep.errors[result_label(r, ver)] += n;
    for (std::size_t i = 0; i < dlr_state_count; ++i)
      if (dlr_counts[i]) rep.dlr_states[std::string(dlr_stat_text(static_cast<dlr_state>(i)))] = dlr_counts[i];
    if (dlr_other_state) rep.dlr_states["other"] = dlr_other_state;
  }
};

template <class Stream>
class cmpp_session final : public cmpp_session_iface, public std::enable_shared_from_this<cmpp_session<Stream>> {
 public:
  cmpp_session(cmpp_run& owner, Stream stream)
      : owner_(owner), stream_(std::move(stream)), framer_(cmpp_framer()), rbuf_(new std::uint8_t[read_size]) {}

  void start() override {
    connect_sent = steady::now();
    asio::co_spawn(owner_.ctx, run(this->shared_from_this()), asio::detached);
  }
  bool closed() const override { return state_ == state::closed; }
  bool connecting() const override { return state_ == state::connecting || state_ == state::awaiting_resp; }

  std::uint64_t forget_outstanding() override {
    const std::uint64_t n = outstanding_;
    seqs_.clear();
    outstanding_ = 0;
    return n;
  }

  void fill(steady::time_point now) override {
    if (state_ != state::connected) return;
    const std::int64_t t = now_ns(now);
    const unsigned window = std::max(1u, owner_.opt.window);
    while (outstanding_ < window) {
      // A long message goes out whole; it may exceed the window only when nothing is in flight.
      const auto& next = owner_.templates[owner_.mix_pos];
      if (outstanding_ > 0 && outstanding_ + next.size() > window) break;
      const auto* parts = owner_.take_message();
      if (!parts) break;
      if (owner_.in_flight == 0) owner_.last_progress = now;
      const std::uint8_t ref = ++owner_.concat_ref;
      for (const auto& part : *parts) {
        std::uint8_t* p = out_.append_patchable(part.bytes);
        const std::uint32_t seq = next_seq();
        put_be32(p + 8, seq);
        if (part.ref_offset) p[part.ref_offset] = ref;
        seqs_.insert(seq, static_cast<std::uint64_t>(t));
        ++outstanding_;
        ++owner_.in_flight;
        ++owner_.rep.sent;
      }
      ++owner_.rep.messages;
    }
    flush();
  }

  void keepalive(steady::time_point now) override {
    const auto every = owner_.opt.enquire_link_interval;
    if (state_ != state::connected || every.count() <= 0) return;
    if (next_active_test_ == steady::time_point{}) next_active_test_ = now + every;
    if (now < next_active_test_) return;
    write_header_only(id_of(command_id::active_test), next_seq());
    ++owner_.rep.enquire_links_sent;
    next_active_test_ = now + every;
    flush();
  }

  void terminate() override {
    if (state_ == state::connected) {
      write_header_only(id_of(command_id::terminate), next_seq());
      state_ = state::terminating;
      flush();
    } else if (state_ != state::closed && state_ != state::terminating) {
      abort();
    }
  }

  void abort() override { close(); }

 private:
  enum class state : std::uint8_t { connecting, awaiting_resp, connected, terminating, closing, closed };
  static constexpr std::size_t read_size = 64 * 1024;

  asio::awaitable<void> run(std::shared_ptr<cmpp_session> self) {
    (void)self;
    const auto& o = owner_.opt;
    tcp::resolver resolver(owner_.ctx);
    auto [rec, endpoints] = co_await resolver.async_resolve(o.host, std::to_string(o.port), asio::as_tuple(asio::use_awaitable));
    const std::string target = host_port{o.host, o.port}.to_string();
    if (rec) {
      owner_.fail("cannot resolve " + o.host + ": " + rec.message(), false);
      co_return;
    }
    auto [cec, ep] = co_await asio::async_connect(lowest(stream_), endpoints, asio::as_tuple(asio::use_awaitable));
    if (cec) {
      owner_.fail("cannot connect to " + target + ": " + cec.message(), false);
      co_return;
    }
    boost::system::error_code ignored;
    lowest(stream_).set_option(tcp::no_delay(true), ignored);
    if (auto hec = co_await client_handshake(stream_, o.host)) {
      owner_.fail("TLS handshake with " + target + " failed: " + hec.message(), false);
      close();
      co_return;
    }
    if (state_ == state::closed) co_return;
    // CMPP_CONNECT: Source_Addr, AuthenticatorSource over the shared secret and the timestamp.
    const std::int64_t unix_now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::uint32_t ts = cmpp_auth::timestamp_of(unix_now);
    const auto auth = cmpp_auth::authenticator_source(o.system_id, o.password, ts);
    if (!auth) {
      owner_.fail("MD5 is not available in this OpenSSL configuration (CMPP authenticator)", true);
      co_return;
    }
    out_.append(cmpp::pdu_builder(command_id::connect, owner_.ver, next_seq())
                    .set("Source_Addr", o.system_id)
                    .set_bytes("AuthenticatorSource", *auth)
                    .set("Version", cmpp::version_byte(owner_.ver))
                    .set("Timestamp", ts)
                    .bytes());
    state_ = state::awaiting_resp;
    connect_sent = steady::now();
    flush();
    co_await reader();
  }

  asio::awaitable<void> reader() {
    while (state_ != state::closed) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(rbuf_.get(), read_size), asio::as_tuple(asio::use_awaitable));
      if (ec) {
        lost(is_expected_end(ec) ? "the ISMG closed the connection" : ec.message());
        co_return;
      }
      const auto now = steady::now();
      const std::int64_t t = now_ns(now);
      const bool in_sync = framer_.feed({rbuf_.get(), n}, [&](std::span<const std::uint8_t> frame) { on_frame(frame, t, now); });
      if (!in_sync) {
        owner_.fail("framing error from the ISMG: " + framer_.error().message(framer_.max_pdu()), false);
        co_return;
      }
      if (owner_.ph == phase::running) fill(now);
      flush();
      owner_.check();
    }
  }

  void lost(const std::string& why) {
    const bool expected = state_ == state::terminating || state_ == state::closing || state_ == state::closed;
    close();
    if (expected) {
      owner_.check();
      return;
    }
    if (owner_.ph == phase::connecting) {
      owner_.fail("connection closed during CMPP_CONNECT: " + why, true);
      return;
    }
    owner_.rep.timed_out += outstanding_;
    owner_.in_flight -= outstanding_;
    outstanding_ = 0;
    seqs_.clear();
    if (owner_.rep.failure.empty()) owner_.rep.failure = "session lost: " + why;
    bool any_open = false;
    for (auto& s : owner_.sessions) any_open |= !s->closed();
    if (!any_open) owner_.set_phase(phase::done);
    owner_.check();
  }

  void on_frame(std::span<const std::uint8_t> frame, std::int64_t t, steady::time_point now) {
    const cmpp::header h = cmpp::read_header(frame);
    switch (static_cast<command_id>(h.command_id)) {
      case command_id::submit_resp: on_submit_resp(h, frame, t, now); break;
      case command_id::deliver: on_deliver(h, frame, now); break;
      case command_id::active_test:
        out_.append(cmpp::pdu_builder(command_id::active_test_resp, owner_.ver, h.sequence_id).bytes());
        ++owner_.rep.enquire_links_answered;
        break;
      case command_id::terminate:
        write_header_only(id_of(command_id::terminate_resp), h.sequence_id);
        if (state_ != state::terminating) state_ = state::closing;
        break;
      case command_id::terminate_resp:
        if (state_ == state::terminating) state_ = state::closing;
        break;
      case command_id::connect_resp: on_connect_resp(frame); break;
      default: break;  // ACTIVE_TEST_RESP and anything else: nothing to answer
    }
  }

  void on_connect_resp(std::span<const std::uint8_t> frame) {
    if (state_ != state::awaiting_resp) return;
    // The length tells the layout: a 2.0 ISMG answers a 3.0 CONNECT in its own (30-octet) form.
    const auto ev = cmpp::examine(frame);
    const cmpp::decode_error err = cmpp::decode(frame, ev.ver.value_or(owner_.ver), pdu_);
    const auto st = pdu_.status();
    if (err || !st) {
      owner_.fail("malformed CMPP_CONNECT_RESP: " + (err ? err.message(pdu_) : std::string("no Status")), true);
      return;
    }
    if (*st != 0) {
      char buf[160];
      const auto name = cmpp::code_name(cmpp::code_table::connect_status, *st, owner_.ver);
      std::snprintf(buf, sizeof buf, "CONNECT refused: Status %" PRIu32 " %.*s (the ISMG speaks Version 0x%02X)", *st,
                    static_cast<int>(name.size()), name.data(), static_cast<unsigned>(pdu_.integer("Version").value_or(0)));
      owner_.fail(buf, true);
      return;
    }
    state_ = state::connected;
    owner_.on_connected();
  }

  void on_submit_resp(const cmpp::header& h, std::span<const std::uint8_t> frame, std::int64_t t, steady::time_point now) {
    const auto sent = seqs_.take(h.sequence_id);
    if (!sent) return;  // given up on, or not ours
    --outstanding_;
    --owner_.in_flight;
    auto& rep = owner_.rep;
    rep.submit_latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, t - static_cast<std::int64_t>(*sent))));
    owner_.last_progress = owner_.last_response_at = now;
    const cmpp::decode_error err = cmpp::decode(frame, owner_.ver, pdu_);
    const auto result = pdu_.status();
    if (err || !result || *result != 0) {
      owner_.count_error(result.value_or(1));
      return;
    }
    ++rep.acknowledged;
    if (!owner_.opt.registered_delivery) return;
    owner_.dlrs.insert(pdu_.msg_id().value_or(0), *sent);
    ++rep.dlrs_expected;
  }

  void on_deliver(const cmpp::header& h, std::span<const std::uint8_t> frame, steady::time_point now) {
    const cmpp::decode_error err = cmpp::decode(frame, owner_.ver, pdu_);
    std::uint8_t* p = out_.append_patchable(owner_.deliver_resp);
    put_be32(p + 8, h.sequence_id);
    std::uint64_t id = pdu_.msg_id().value_or(0);
    for (std::size_t i = 8; i-- > 0; id >>= 8) p[owner_.deliver_resp_msg_id_at + i] = static_cast<std::uint8_t>(id);
    if (err || !pdu_.is_status_report()) {
      ++owner_.rep.mo_received;
      return;
    }
    const auto r = cmpp::parse_status_report(pdu_.msg_content(), owner_.ver);
    if (!r) {
      owner_.on_report(0, {}, now);
      return;
    }
    owner_.on_report(r->msg_id, r->stat, now);
  }

  void write_header_only(std::uint32_t id, std::uint32_t seq) {
    std::uint8_t* p = out_.prepare(cmpp::header_size).data();
    put_be32(p, cmpp::header_size);
    put_be32(p + 4, id);
    put_be32(p + 8, seq);
    out_.commit(cmpp::header_size);
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
    auto& sock = lowest(stream_);
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
  }

  cmpp_run& owner_;
  Stream stream_;
  state state_ = state::connecting;
  decoder::framer framer_;
  cmpp::pdu pdu_{};
  std::unique_ptr<std::uint8_t[]> rbuf_;
  byte_buffer out_{64 * 1024}, wbuf_{64 * 1024};
  bool writing_ = false;
  std::uint32_t seq_ = 0;
  flat_map seqs_{256};  // Sequence_Id -> send time (ns)
  std::uint64_t outstanding_ = 0;
  steady::time_point next_active_test_{};
};

}  // namespace

load_report run_cmpp_load(cmpp_load_hooks hooks) {
  cmpp_run run(hooks);
  auto& o = run.opt;
  try {
    if (o.cmpp_mix.empty()) o.cmpp_mix = {cmpp_text::ascii};
    for (auto kind : o.cmpp_mix) run.templates.push_back(make_templates(kind, o, run.ver));
    run.deliver_resp = cmpp::pdu_builder(command_id::deliver_resp, run.ver).set("Msg_Id", 0).set("Result", 0).bytes();
    run.deliver_resp_msg_id_at =
        cmpp_field_offset(cmpp::find_command(id_of(command_id::deliver_resp), run.ver), "Msg_Id");
  } catch (const std::invalid_argument& e) {
    // pdu_builder refuses values that do not fit their fields (Source_Addr is 6 octets).
    run.rep.failure = std::string("cannot build the CMPP PDUs (--system-id is Source_Addr, at most 6 characters): ") + e.what();
    run.rep.bind_failed = true;
    run.finish_report();
    return run.rep;
  }
  run.messages_left = o.count;
  if (o.tls) run.tls = make_client_tls(o.insecure, o.ca_file);
  const unsigned n = std::max(1u, o.sessions);
  for (unsigned i = 0; i < n; ++i) {
    std::shared_ptr<cmpp_session_iface> s;
    if (run.tls)
      s = std::make_shared<cmpp_session<ssl::stream<tcp::socket>>>(run, ssl::stream<tcp::socket>(run.ctx, *run.tls));
    else
      s = std::make_shared<cmpp_session<tcp::socket>>(run, tcp::socket(run.ctx));
    run.sessions.push_back(std::move(s));
  }
  for (auto& s : run.sessions) s->start();
  asio::co_spawn(run.ctx, run.ticker(), asio::detached);
  run.ctx.run();
  if (hooks.aborted && run.ph != phase::done && run.rep.failure.empty()) run.rep.failure = "aborted";
  run.finish_report();
  // Every coroutine of this run refers to `run` (and its TLS context): close the sockets and let
  // them all end before it goes out of scope.
  run.ph = phase::done;
  for (auto& s : run.sessions) s->abort();
  run.ctx.restart();
  run.ctx.run();
  run.sessions.clear();
  return run.rep;
}

}  // namespace detail
}  // namespace smppscope::sim
