// The ISMG simulator's listener and connections: the SMPP simulator's I/O pattern (one
// connection per io_context thread, a reader, a scheduler timer, one batched write at a time,
// back-pressure on a full out buffer) driving ismg_core instead of smsc_core.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ismg_core.hpp"
#include "smppscope/sim/ismg.hpp"
#include "stream_util.hpp"

namespace smppscope::sim {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using detail::steady;

detail::sim_time now_time() {
  return {steady::now(), std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count()};
}

class ismg_connection_base {
 public:
  virtual ~ismg_connection_base() = default;
  virtual void post_close() = 0;  // any thread
};

}  // namespace

struct detail::ismg_state {
  explicit ismg_state(ismg_options o) : opt(std::move(o)), shared(opt) {}

  ismg_options opt;
  detail::ismg_shared shared;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<ssl::context> tls;
  std::mutex mu;
  std::vector<std::weak_ptr<ismg_connection_base>> sessions;
  std::atomic<std::uint64_t> next_session{0};
  std::atomic<bool> stopping{false};
  std::uint16_t bound_port = 0;
  std::size_t next_context = 0;

  void log(const char* fmt, auto... args) {
    if (opt.log) std::fprintf(opt.log, fmt, args...);
  }
  void add_session(std::weak_ptr<ismg_connection_base> c) {
    std::lock_guard lock(mu);
    std::erase_if(sessions, [](const auto& w) { return w.expired(); });
    sessions.push_back(std::move(c));
  }
  asio::awaitable<void> accept_loop();
};

namespace {

template <class Stream>
class ismg_connection final : public ismg_connection_base,
                              public detail::ismg_events,
                              public std::enable_shared_from_this<ismg_connection<Stream>> {
 public:
  ismg_connection(detail::ismg_state& owner, Stream stream, std::uint64_t id, std::string peer)
      : owner_(owner),
        stream_(std::move(stream)),
        id_(id),
        peer_(std::move(peer)),
        core_(owner.shared, *this),
        framer_(detail::cmpp_framer(std::min<std::uint32_t>(owner.opt.max_pdu, decoder::cmpp::max_pdu_size))),
        timer_(stream_.get_executor()),
        drained_(stream_.get_executor()),
        rbuf_(new std::uint8_t[read_size]) {
    timer_.expires_at(steady::time_point::max());
    drained_.expires_at(steady::time_point::max());
  }

  void start() { asio::co_spawn(stream_.get_executor(), run(this->shared_from_this()), asio::detached); }

  void post_close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->close("simulator stopping"); });
  }

 private:
  static constexpr std::size_t read_size = 64 * 1024;
  static constexpr std::size_t high_water = 4 * 1024 * 1024;

  asio::awaitable<void> run(std::shared_ptr<ismg_connection> self) {
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
    using core_verdict = detail::ismg_core::verdict;
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
      if (v == core_verdict::close_now) {
        close("dropped (fault mode)");
        co_return;
      }
      if (!in_sync || v == core_verdict::close_after_flush) {
        // CMPP has no negative acknowledgement: a broken stream is answered by closing it.
        if (!in_sync) owner_.log("sim: session %llu: %s\n", static_cast<unsigned long long>(id_), framer_.error().message(framer_.max_pdu()).c_str());
        closing_ = true;
        const auto& opt = owner_.opt;
        closing_why_ = !in_sync ? "framing error"
                       : opt.drop_after_pdus && core_.pdus_in() >= *opt.drop_after_pdus ? "dropped after --drop-after-pdus"
                                                                                          : "TERMINATE or refused CONNECT";
        after_work();
        co_return;
      }
      after_work();
      while (out_.size() > high_water && !closed_)
        co_await drained_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  asio::awaitable<void> scheduler(std::shared_ptr<ismg_connection> self) {
    (void)self;
    while (!closed_) {
      co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (closed_) break;
      armed_ = steady::time_point::max();
      if (owner_.shared.stalled.load(std::memory_order_relaxed)) {
        armed_ = steady::now() + std::chrono::milliseconds(50);
        timer_.expires_at(armed_);
        continue;
      }
      core_.on_tick(now_time(), out_);
      // Busy timers coalesce: at most one tick per millisecond, so reports go out in batches.
      earliest_tick_ = steady::now() + std::chrono::milliseconds(1);
      armed_ = std::max(core_.next_deadline(), earliest_tick_);
      timer_.expires_at(armed_);
      after_work();
    }
  }

  void after_work() {
    core_.publish_counters();
    flush();
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

  void on_connect(std::string_view source_addr, std::uint8_t client_version, std::uint32_t status) override {
    const std::string src(source_addr);
    if (status != 0) {
      const auto name = decoder::cmpp::code_name(decoder::cmpp::code_table::connect_status, status, owner_.opt.version);
      owner_.log("sim: session %llu CONNECT refused for Source_Addr '%s' (Version 0x%02X): Status %u %.*s\n",
                 static_cast<unsigned long long>(id_), src.c_str(), client_version, status,
                 static_cast<int>(name.size()), name.data());
      return;
    }
    owner_.shared.counters.sessions_bound.fetch_add(1, std::memory_order_relaxed);
    owner_.log("sim: session %llu connected, Source_Addr '%s', CMPP %.*s\n", static_cast<unsigned long long>(id_),
               src.c_str(), 3, decoder::cmpp::version_name(core_.version()).data());
  }

  void close(const char* why) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    auto& sock = detail::lowest(stream_);
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
    timer_.cancel();
    drained_.cancel();
    core_.publish_counters();
    owner_.shared.counters.sessions_closed.fetch_add(1, std::memory_order_relaxed);
    owner_.log("sim: session %llu closed: %s (pdus in %llu, out %llu)\n", static_cast<unsigned long long>(id_), why,
               static_cast<unsigned long long>(core_.pdus_in()), static_cast<unsigned long long>(core_.pdus_out()));
  }

  detail::ismg_state& owner_;
  Stream stream_;
  std::uint64_t id_;
  std::string peer_;
  detail::ismg_core core_;
  decoder::framer framer_;
  asio::steady_timer timer_;
  asio::steady_timer drained_;
  steady::time_point armed_ = steady::time_point::max();
  steady::time_point earliest_tick_ = steady::time_point::min();
  std::unique_ptr<std::uint8_t[]> rbuf_;
  detail::byte_buffer out_{64 * 1024}, wbuf_{64 * 1024};
  bool writing_ = false, closing_ = false, closed_ = false;
  const char* closing_why_ = "";
};

}  // namespace

asio::awaitable<void> detail::ismg_state::accept_loop() {
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
    const std::string peer = detail::endpoint_string(sock.remote_endpoint(ignored));
    std::shared_ptr<ismg_connection_base> c;
    if (tls) {
      auto conn = std::make_shared<ismg_connection<ssl::stream<tcp::socket>>>(
          *this, ssl::stream<tcp::socket>(std::move(sock), *tls), id, peer);
      conn->start();
      c = conn;
    } else {
      auto conn = std::make_shared<ismg_connection<tcp::socket>>(*this, std::move(sock), id, peer);
      conn->start();
      c = conn;
    }
    add_session(c);
  }
}

ismg::ismg(ismg_options options) : impl_(std::make_unique<detail::ismg_state>(std::move(options))) {}
ismg::~ismg() {
  stop();
  impl_->acceptor.reset();
  for (auto& c : impl_->contexts) c.reset();
}

void ismg::start() {
  auto& im = *impl_;
  const unsigned n = std::max(1u, im.opt.threads);
  for (unsigned i = 0; i < n; ++i) im.contexts.push_back(std::make_unique<asio::io_context>(1));
  if (im.opt.tls) im.tls = detail::make_server_tls(im.opt.cert_file, im.opt.key_file);
  const tcp::endpoint ep = detail::resolve_listen(*im.contexts[0], im.opt.host, im.opt.port);
  im.acceptor = detail::open_acceptor(*im.contexts[0], ep);
  im.bound_port = im.acceptor->local_endpoint().port();
  asio::co_spawn(*im.contexts[0], im.accept_loop(), asio::detached);
}

std::uint16_t ismg::port() const noexcept { return impl_->bound_port; }

void ismg::run() {
  auto& im = *impl_;
  if (im.contexts.empty()) throw std::logic_error("ismg::run() before start()");
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

void ismg::stop() {
  auto& im = *impl_;
  if (im.stopping.exchange(true)) return;
  if (im.contexts.empty()) return;
  asio::post(*im.contexts[0], [&im] {
    boost::system::error_code ignored;
    if (im.acceptor) im.acceptor->close(ignored);
  });
  std::vector<std::shared_ptr<ismg_connection_base>> live;
  {
    std::lock_guard lock(im.mu);
    for (auto& w : im.sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->post_close();
  for (auto& c : im.contexts) {
    asio::io_context* ctx = c.get();
    asio::post(*ctx, [ctx] { ctx->stop(); });
  }
}

void ismg::set_stalled(bool stalled) noexcept { impl_->shared.stalled.store(stalled); }

simulator_stats ismg::stats() const noexcept {
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
  return s;
}

}  // namespace smppscope::sim
