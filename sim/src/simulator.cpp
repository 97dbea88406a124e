#include "smppscope/sim/simulator.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/protocol.hpp"
#include "smsc_core.hpp"
#include "stream_util.hpp"

namespace smppscope::sim {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using detail::dlr_record;
using detail::steady;

detail::sim_time now_time() {
  return {steady::now(), std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count()};
}

class connection_base {
 public:
  virtual ~connection_base() = default;
  // Any thread: hands receipts to this connection's thread.
  virtual void post_receipts(std::vector<dlr_record> records) = 0;
  virtual void post_close() = 0;
};

// Receivers per system_id, for receipts of transmitter sessions; receipts nobody can take yet
// wait in a bounded backlog until a receiver binds.
class registry {
 public:
  static constexpr std::size_t max_backlog = 100000;

  void add_receiver(const std::string& system_id, std::weak_ptr<connection_base> c) {
    std::vector<dlr_record> backlog;
    std::shared_ptr<connection_base> target;
    {
      std::lock_guard lock(mu_);
      receivers_[system_id].push_back(c);
      auto it = backlog_.find(system_id);
      if (it != backlog_.end()) {
        backlog.swap(it->second);
        backlog_.erase(it);
        target = c.lock();
      }
    }
    if (target && !backlog.empty()) target->post_receipts(std::move(backlog));
  }
  void remove(const std::string& system_id, const connection_base* c) {
    std::lock_guard lock(mu_);
    auto it = receivers_.find(system_id);
    if (it == receivers_.end()) return;
    auto& v = it->second;
    std::erase_if(v, [c](const std::weak_ptr<connection_base>& w) {
      auto s = w.lock();
      return !s || s.get() == c;
    });
    if (v.empty()) receivers_.erase(it);
  }
  // Sends to a receiver of system_id (round-robin), or keeps them. Returns false when dropped.
  bool route(const std::string& system_id, std::vector<dlr_record> records) {
    std::shared_ptr<connection_base> target;
    {
      std::lock_guard lock(mu_);
      auto it = receivers_.find(system_id);
      if (it != receivers_.end()) {
        auto& v = it->second;
        for (std::size_t tries = 0; tries < v.size() && !target; ++tries) target = v[next_++ % v.size()].lock();
      }
      if (!target) {
        auto& b = backlog_[system_id];
        if (b.size() + records.size() > max_backlog) return false;
        b.insert(b.end(), records.begin(), records.end());
        return true;
      }
    }
    target->post_receipts(std::move(records));
    return true;
  }
  void add_session(std::weak_ptr<connection_base> c) {
    std::lock_guard lock(mu_);
    std::erase_if(all_, [](const std::weak_ptr<connection_base>& w) { return w.expired(); });
    all_.push_back(std::move(c));
  }
  std::vector<std::shared_ptr<connection_base>> sessions() {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<connection_base>> out;
    for (auto& w : all_)
      if (auto s = w.lock()) out.push_back(std::move(s));
    return out;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::weak_ptr<connection_base>>> receivers_;
  std::unordered_map<std::string, std::vector<dlr_record>> backlog_;
  std::vector<std::weak_ptr<connection_base>> all_;
  std::size_t next_ = 0;
};

}  // namespace

struct detail::simulator_state {
  explicit simulator_state(simulator_options o) : opt(std::move(o)), shared(opt) {}

  simulator_options opt;
  detail::smsc_shared shared;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<ssl::context> tls;
  registry reg;
  std::atomic<std::uint64_t> next_session{0};
  std::atomic<bool> stopping{false};
  std::uint16_t bound_port = 0;
  std::size_t next_context = 0;

  void log(const char* fmt, auto... args) {
    if (opt.log) std::fprintf(opt.log, fmt, args...);
  }
  asio::awaitable<void> accept_loop();
};

namespace {

template <class Stream>
class connection final : public connection_base,
                         public detail::smsc_events,
                         public std::enable_shared_from_this<connection<Stream>> {
 public:
  connection(detail::simulator_state& owner, Stream stream, std::uint64_t id, std::string peer, std::string host)
      : owner_(owner),
        stream_(std::move(stream)),
        id_(id),
        peer_(std::move(peer)),
        core_(owner.shared, *this),
        framer_(owner.opt.max_pdu),
        timer_(stream_.get_executor()),
        drained_(stream_.get_executor()),
        rbuf_(new std::uint8_t[read_size]) {
    timer_.expires_at(steady::time_point::max());
    drained_.expires_at(steady::time_point::max());
    core_.set_peer_host(std::move(host));
  }

  void start() {
    auto self = this->shared_from_this();
    asio::co_spawn(stream_.get_executor(), run(self), asio::detached);
  }

  void post_receipts(std::vector<dlr_record> records) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), records = std::move(records)]() mutable {
      if (self->closed_ || !self->core_.can_receive()) {
        self->owner_.reg.route(self->core_.system_id(), std::move(records));
        return;
      }
      self->core_.write_receipts(records, now_time(), self->out_);
      self->after_work();
    });
  }

  void post_close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->close("simulator stopping"); });
  }

 private:
  static constexpr std::size_t read_size = 64 * 1024;
  static constexpr std::size_t high_water = 4 * 1024 * 1024;  // stop reading while this much waits to go out

  asio::awaitable<void> run(std::shared_ptr<connection> self) {
    (void)self;
    owner_.shared.counters.sessions_opened.fetch_add(1, std::memory_order_relaxed);
    owner_.log("sim: session %llu open from %s%s\n", static_cast<unsigned long long>(id_), peer_.c_str(),
               detail::is_tls_stream<Stream> ? " (tls)" : "");
    if (auto ec = co_await detail::server_handshake(stream_)) {
      close(("TLS handshake failed: " + ec.message()).c_str());
      co_return;
    }
    asio::co_spawn(stream_.get_executor(), scheduler(this->shared_from_this()), asio::detached);
    co_await reader();
  }

  asio::awaitable<void> reader() {
    using core_verdict = detail::smsc_core::verdict;
    asio::steady_timer stall(stream_.get_executor());
    while (!closed_) {
      if (owner_.shared.stalled.load(std::memory_order_relaxed)) {
        stall.expires_after(std::chrono::milliseconds(50));
        co_await stall.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(rbuf_.get(), read_size),
                                                      asio::as_tuple(asio::use_awaitable));
      if (ec) {
        close(detail::is_expected_end(ec) ? "closed by peer" : ec.message().c_str());
        co_return;
      }
      while (owner_.shared.stalled.load(std::memory_order_relaxed) && !closed_) {  // hold what arrived
        stall.expires_after(std::chrono::milliseconds(50));
        co_await stall.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      if (closed_) co_return;
      const auto t = now_time();
      core_verdict v = core_verdict::keep;
      const bool in_sync = framer_.feed({rbuf_.get(), n}, [&](std::span<const std::uint8_t> frame) {
        if (v == core_verdict::keep) v = core_.on_frame(frame, t, out_);
      });
      if (!in_sync && v == core_verdict::keep) {
        owner_.log("sim: session %llu: %s\n", static_cast<unsigned long long>(id_),
                   framer_.error().message(framer_.max_pdu()).c_str());
        core_.on_framing_error(0, out_);
        v = core_verdict::close_after_flush;
      }
      if (v == core_verdict::close_now) {
        close("dropped (fault mode)");
        co_return;
      }
      if (v == core_verdict::close_after_flush) {
        closing_ = true;
        const auto& opt = owner_.opt;
        closing_why_ = !in_sync                                                           ? "framing error"
                       : opt.drop_after_pdus && core_.pdus_in() >= *opt.drop_after_pdus ? "dropped after --drop-after-pdus"
                                                                                          : "unbind";
        after_work();
        co_return;
      }
      after_work();
      while (out_.size() > high_water && !closed_)
        co_await drained_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  asio::awaitable<void> scheduler(std::shared_ptr<connection> self) {
    (void)self;
    std::vector<dlr_record> foreign;
    while (!closed_) {
      co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (closed_) break;
      armed_ = steady::time_point::max();
      if (owner_.shared.stalled.load(std::memory_order_relaxed)) {
        armed_ = steady::now() + std::chrono::milliseconds(50);
        timer_.expires_at(armed_);
        continue;
      }
      const auto t = now_time();
      core_.on_tick(t, out_, foreign);
      if (core_.close_due(t.now)) {
        close("the ESME did not answer the simulator's unbind");
        break;
      }
      if (!foreign.empty()) {
        if (!owner_.reg.route(core_.system_id(), std::move(foreign)))
          owner_.log("sim: session %llu: receipt backlog full, receipts dropped\n", static_cast<unsigned long long>(id_));
        foreign = {};
      }
      // Busy timers coalesce: at most one tick per millisecond, so receipts go out in batches.
      earliest_tick_ = steady::now() + std::chrono::milliseconds(1);
      armed_ = std::max(core_.next_deadline(), earliest_tick_);
      timer_.expires_at(armed_);
      after_work();
    }
  }

  // After the core produced output: publish counters (before the peer can see the answer: the
  // write may complete inside async_write), start writing, re-arm the scheduler.
  void after_work() {
    core_.publish_counters();
    flush();
    // Not before earliest_tick_: under load a receipt is always due, and re-arming for it after
    // every read would tick (and write) once per read instead of once per millisecond.
    const auto d = std::max(core_.next_deadline(), earliest_tick_);
    if (d < armed_) {
      armed_ = d;
      timer_.expires_at(d);
    }
  }

  void flush() {
    if (writing_ || closed_) return;
    if (out_.empty()) {
      if (closing_ && !core_.holds_responses()) close(closing_why_);
      return;
    }
    wbuf_.swap(out_);
    core_.on_handed_off();
    writing_ = true;
    asio::async_write(stream_, asio::buffer(wbuf_.data(), wbuf_.size()),
                      [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->wbuf_.clear();
                        if (ec) {
                          self->close(detail::is_expected_end(ec) ? "closed by peer" : ec.message().c_str());
                          return;
                        }
                        self->drained_.cancel();
                        self->flush();
                      });
  }

  void on_bind(detail::bind_kind kind, std::string_view system_id, std::uint32_t status) override {
    const std::string sid(system_id);
    if (status != 0) {
      std::string_view name = decoder::status_name(status);
      if (const auto* p = owner_.opt.profile.get(); name.empty() && p)
        if (const auto* vs = p->find_status(status)) name = vs->name;
      owner_.log("sim: session %llu bind_%s refused for system_id '%s': %.*s\n", static_cast<unsigned long long>(id_),
                 std::string(detail::bind_kind_name(kind)).c_str(), sid.c_str(), static_cast<int>(name.size()),
                 name.data());
      return;
    }
    owner_.shared.counters.sessions_bound.fetch_add(1, std::memory_order_relaxed);
    owner_.log("sim: session %llu bound as %s, system_id '%s'\n", static_cast<unsigned long long>(id_),
               std::string(detail::bind_kind_name(kind)).c_str(), sid.c_str());
    if (core_.can_receive()) {
      registered_ = true;
      owner_.reg.add_receiver(sid, this->weak_from_this());
    }
  }

  void close(const std::string& why) { close(why.c_str()); }
  void close(const char* why) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    auto& sock = detail::lowest(stream_);
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
    timer_.cancel();
    drained_.cancel();
    if (registered_) owner_.reg.remove(core_.system_id(), this);
    std::vector<dlr_record> orphans;
    core_.on_closed(orphans);
    if (!orphans.empty()) owner_.reg.route(core_.system_id(), std::move(orphans));
    core_.publish_counters();
    owner_.shared.counters.sessions_closed.fetch_add(1, std::memory_order_relaxed);
    owner_.log("sim: session %llu closed: %s (pdus in %llu, out %llu)\n", static_cast<unsigned long long>(id_), why,
               static_cast<unsigned long long>(core_.pdus_in()), static_cast<unsigned long long>(core_.pdus_out()));
  }

  detail::simulator_state& owner_;
  Stream stream_;
  std::uint64_t id_;
  std::string peer_;
  detail::smsc_core core_;
  decoder::framer framer_;
  asio::steady_timer timer_;    // the scheduler's: next deadline of the core
  asio::steady_timer drained_;  // cancelled when a write completes (reader back-pressure)
  steady::time_point armed_ = steady::time_point::max();
  steady::time_point earliest_tick_ = steady::time_point::min();
  std::unique_ptr<std::uint8_t[]> rbuf_;
  detail::byte_buffer out_{64 * 1024}, wbuf_{64 * 1024};
  bool writing_ = false, closing_ = false, closed_ = false, registered_ = false;
  const char* closing_why_ = "";
};

}  // namespace

asio::awaitable<void> detail::simulator_state::accept_loop() {
  for (;;) {
    auto& target = *contexts[next_context++ % contexts.size()];
    auto [ec, sock] = co_await acceptor->async_accept(target, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open() || stopping) co_return;
      log("sim: accept failed: %s\n", ec.message().c_str());
      asio::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));  // e.g. EMFILE
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    const std::uint64_t id = ++next_session;
    auto remote = sock.remote_endpoint(ignored);
    const std::string peer = detail::endpoint_string(remote);
    std::shared_ptr<connection_base> c;
    if (tls) {
      auto conn = std::make_shared<connection<ssl::stream<tcp::socket>>>(
          *this, ssl::stream<tcp::socket>(std::move(sock), *tls), id, peer, remote.address().to_string());
      conn->start();
      c = conn;
    } else {
      auto conn = std::make_shared<connection<tcp::socket>>(*this, std::move(sock), id, peer, remote.address().to_string());
      conn->start();
      c = conn;
    }
    reg.add_session(c);
  }
}

simulator::simulator(simulator_options options) : impl_(std::make_unique<detail::simulator_state>(std::move(options))) {}
simulator::~simulator() {
  stop();
  // The acceptor before its context; the contexts (and every pending coroutine) before the
  // shared state and the TLS context the sessions use.
  impl_->acceptor.reset();
  for (auto& c : impl_->contexts) c.reset();
}

void simulator::start() {
  auto& im = *impl_;
  const unsigned n = std::max(1u, im.opt.threads);
  for (unsigned i = 0; i < n; ++i) im.contexts.push_back(std::make_unique<asio::io_context>(1));
  if (im.opt.tls) im.tls = detail::make_server_tls(im.opt.cert_file, im.opt.key_file);
  const tcp::endpoint ep = detail::resolve_listen(*im.contexts[0], im.opt.host, im.opt.port);
  im.acceptor = detail::open_acceptor(*im.contexts[0], ep);
  im.bound_port = im.acceptor->local_endpoint().port();
  asio::co_spawn(*im.contexts[0], im.accept_loop(), asio::detached);
}

std::uint16_t simulator::port() const noexcept { return impl_->bound_port; }

void simulator::run() {
  auto& im = *impl_;
  if (im.contexts.empty()) throw std::logic_error("simulator::run() before start()");
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < im.contexts.size(); ++i) {
    threads.emplace_back([ctx = im.contexts[i].get()] {
      auto guard = asio::make_work_guard(*ctx);
      ctx->run();
    });
  }
  {
    auto guard = asio::make_work_guard(*im.contexts[0]);
    im.contexts[0]->run();
  }
  for (auto& t : threads) t.join();
}

void simulator::stop() {
  auto& im = *impl_;
  if (im.stopping.exchange(true)) return;
  if (im.contexts.empty()) return;
  asio::post(*im.contexts[0], [&im] {
    boost::system::error_code ignored;
    if (im.acceptor) im.acceptor->close(ignored);
  });
  for (auto& s : im.reg.sessions()) s->post_close();
  // Let the close handlers run, then stop every context.
  for (auto& c : im.contexts) {
    asio::io_context* ctx = c.get();
    asio::post(*ctx, [ctx] { ctx->stop(); });
  }
}

void simulator::set_stalled(bool stalled) noexcept { impl_->shared.stalled.store(stalled); }

simulator_stats simulator::stats() const noexcept {
  const auto& c = impl_->shared.counters;
  auto v = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  simulator_stats s;
  s.sessions_opened = v(c.sessions_opened);
  s.sessions_bound = v(c.sessions_bound);
  s.sessions_closed = v(c.sessions_closed);
  s.pdus_in = v(c.pdus_in);
  s.pdus_out = v(c.pdus_out);
  s.submits = v(c.submits);
  s.submits_ok = v(c.submits_ok);
  s.throttled = v(c.throttled);
  s.errors_injected = v(c.errors_injected);
  s.unanswered = v(c.unanswered);
  s.dlrs_sent = v(c.dlrs_sent);
  s.mo_sent = v(c.mo_sent);
  s.unbinds = v(c.unbinds);
  s.binds_refused = v(c.binds_refused);
  s.unsupported = v(c.unsupported);
  s.forced_unbinds = v(c.forced_unbinds);
  return s;
}

void apply_profile_limits(simulator_options& o, const profile::provider_profile& p) {
  if (p.window) o.window = *p.window;
  if (p.rate_per_connection) o.rate = *p.rate_per_connection;
}

}  // namespace smppscope::sim
