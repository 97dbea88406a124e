#include "smppscope/proxy/proxy.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "smppscope/decoder/json.hpp"
#include "smppscope/proxy/detail/session.hpp"

namespace smppscope::proxy {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using detail::relay_end;
using detail::session_core;
using detail::session_stage;
using detail::tcp;
using detail::tls_stream;
using analysis::direction;

namespace {

// "2026-11-22T10:00:00.123Z"
std::string utc_timestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", t.tm_year + 1900, t.tm_mon + 1,
                t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1'000'000);
  return buf;
}

void log_to_stderr(std::string_view line) {
  std::string out = utc_timestamp();
  out += ' ';
  out += line;
  out += '\n';
  // One write per line so lines from different threads do not interleave.
  const char* p = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

std::string endpoint_text(const tcp::endpoint& e) {
  const auto a = unmapped(e.address());
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(e.port()) : a.to_string() + ":" + std::to_string(e.port());
}

analysis::endpoint to_capture(const tcp::endpoint& e) {
  analysis::endpoint c;
  const auto a = unmapped(e.address());
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), c.addr);
  } else {
    const auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), c.addr);
    c.v6 = true;
  }
  c.port = e.port();
  return c;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  if (ms.count() % 1000 == 0)
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(ms.count() / 1000));
  else
    std::snprintf(buf, sizeof buf, "%.3g s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

std::string_view side_name(direction d) { return d == direction::esme_to_smsc ? "client" : "upstream"; }
std::string_view other_side_name(direction d) { return d == direction::esme_to_smsc ? "upstream" : "client"; }

// Why a relaying session ended: the watchdog's cut, else the first direction that ended.
std::string close_reason(const session_core& s, const proxy_options& opt) {
  switch (s.cut) {
    case detail::watchdog_end::idle: return "idle timeout after " + seconds_text(opt.idle_timeout);
    case detail::watchdog_end::write_timeout:
      // The write of direction cut_dir goes to the other side: that peer stopped reading.
      return std::string(other_side_name(s.cut_dir)) + " not reading: write timed out after " +
             seconds_text(opt.write_timeout);
    case detail::watchdog_end::none: break;
  }
  const auto& r = s.dirs[static_cast<int>(s.first_dir)].result;
  switch (s.first_end) {
    case relay_end::eof: return std::string(side_name(s.first_dir)) + " closed";
    case relay_end::read_error:
      // ETIMEDOUT on a read: TCP keepalive probes or retransmissions went unanswered.
      return std::string(side_name(s.first_dir)) + " read failed: " + r.ec.message() +
             (r.ec == asio::error::timed_out ? " (peer gone: no TCP keepalive or retransmission answer)" : "");
    case relay_end::write_error:
      return std::string(other_side_name(s.first_dir)) + " write failed: " + r.ec.message();
    case relay_end::stopped: return "proxy shutdown";
    case relay_end::none: break;
  }
  return "closed";
}

// At most one line a second for a kind of event an attacker or an fd shortage can repeat at will;
// the next line says how many were left out. Used from one thread (the acceptor's).
class log_limiter {
 public:
  // Returns the suffix to append ("" or " (N similar lines suppressed)"), or nullopt to drop.
  std::optional<std::string> admit() {
    const std::int64_t now = detail::steady_us();
    if (last_us_ != 0 && now - last_us_ < 1'000'000) {
      ++suppressed_;
      return std::nullopt;
    }
    last_us_ = now;
    std::string suffix;
    if (suppressed_ > 0) suffix = " (" + std::to_string(suppressed_) + " similar lines suppressed)";
    suppressed_ = 0;
    return suffix;
  }

 private:
  std::int64_t last_us_ = 0;
  std::uint64_t suppressed_ = 0;
};

void set_int_option(tcp::socket& s, int level, int name, int value) {
  (void)::setsockopt(s.native_handle(), level, name, &value, sizeof value);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct relay_thread {
  relay_thread(unsigned i, std::size_t buffer_size)
      : index(i), ctx(1), work(asio::make_work_guard(ctx)), grace(ctx), watch(ctx), pool(buffer_size) {}
  unsigned index;
  asio::io_context ctx;  // run by `thread` only
  asio::executor_work_guard<asio::io_context::executor_type> work;
  analysis::tap_queue* tap = nullptr;
  std::thread thread;
  // Sessions living on this thread (intrusive list; only this thread touches it).
  session_core* sessions = nullptr;
  bool stopping = false;
  asio::steady_timer grace;
  asio::steady_timer watch;  // the session watchdog of every session on this thread
  detail::buffer_pool pool;  // relay buffers of this thread's sessions
  alignas(64) std::atomic<std::uint64_t> bytes[2] = {0, 0};  // relayed so far, by direction

  void add(session_core* s) {
    s->next = sessions;
    if (sessions) sessions->prev = s;
    sessions = s;
  }
  void remove(session_core* s) {
    if (s->prev) s->prev->next = s->next;
    else sessions = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = nullptr;
    if (stopping && !sessions) grace.cancel();
  }
};

struct proxy::impl {
  proxy_options opt;
  std::optional<asio::ssl::context> server_tls;
  std::optional<asio::ssl::context> client_tls;
  std::deque<relay_thread> threads;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;  // on threads[0]
  std::vector<std::string> listening;
  std::uint16_t bound_port = 0;
  std::optional<tcp::endpoint> upstream_literal;  // set when the upstream host is an address
  std::string upstream_text;
  std::atomic<std::uint64_t> next_session{1};
  std::atomic<unsigned> next_thread{0};
  bool started = false;
  std::once_flag stop_once;

  struct counters {
    std::atomic<std::uint64_t> accepted{0}, rejected{0}, client_tls_failures{0}, upstream_failures{0}, opened{0},
        closed{0}, active{0}, refused_max_sessions{0}, refused_per_ip{0}, accept_failures{0}, idle_timeouts{0},
        write_timeouts{0};
  } stats;

  // Sessions per client address, for max_sessions_per_ip: incremented by the acceptor, decremented
  // by whichever relay thread ends the session.
  std::mutex per_ip_mu;
  std::map<asio::ip::address, std::size_t> per_ip;

  // One descriptor held in reserve: when accept() fails for lack of descriptors, it is closed so
  // the waiting connection can be accepted and closed at once, instead of sitting in the backlog
  // and keeping the listener readable. Acceptor thread only.
  int reserve_fd = -1;
  log_limiter accept_failure_log, refusal_log[2];

  // One admitted session, counted in `active` (and for its address) until destroyed, however the
  // session coroutine ends (returns, throws, or is destroyed before it ever ran).
  class session_slot {
   public:
    session_slot(impl& p, const asio::ip::address& a) : p_(&p), addr_(a) {}
    session_slot(session_slot&& o) noexcept : p_(std::exchange(o.p_, nullptr)), addr_(o.addr_) {}
    session_slot& operator=(session_slot&&) = delete;
    ~session_slot() {
      if (p_) p_->release_slot(addr_);
    }

   private:
    impl* p_;
    asio::ip::address addr_;
  };

  // Acceptor thread. nullopt when a limit refuses the address; the reason is then in `why`.
  std::optional<session_slot> admit(const asio::ip::address& a, std::string& why, int& kind) {
    const std::uint64_t active = stats.active.load(std::memory_order_relaxed);
    if (opt.max_sessions != 0 && active >= opt.max_sessions) {
      stats.refused_max_sessions.fetch_add(1, std::memory_order_relaxed);
      why = "max_sessions " + std::to_string(opt.max_sessions) + " reached";
      kind = 0;
      return std::nullopt;
    }
    if (opt.max_sessions_per_ip != 0) {
      std::lock_guard lk(per_ip_mu);
      std::size_t& n = per_ip[a];
      if (n >= opt.max_sessions_per_ip) {
        stats.refused_per_ip.fetch_add(1, std::memory_order_relaxed);
        why = "max_sessions_per_ip " + std::to_string(opt.max_sessions_per_ip) + " reached for " +
              unmapped(a).to_string();
        kind = 1;
        return std::nullopt;
      }
      ++n;
    }
    stats.active.fetch_add(1, std::memory_order_relaxed);
    return session_slot(*this, a);
  }

  void release_slot(const asio::ip::address& a) noexcept {
    if (opt.max_sessions_per_ip != 0) {
      std::lock_guard lk(per_ip_mu);
      const auto it = per_ip.find(a);
      if (it != per_ip.end() && --it->second == 0) per_ip.erase(it);
    }
    stats.active.fetch_sub(1, std::memory_order_relaxed);
  }

  // Keeps `s` in its relay thread's session list for as long as this lives.
  struct registration {
    relay_thread& t;
    session_core& s;
    registration(relay_thread& th, session_core& sc) : t(th), s(sc) { t.add(&s); }
    ~registration() { t.remove(&s); }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
  };

  explicit impl(proxy_options o) : opt(std::move(o)), next_session(opt.first_session_id) {
    if (opt.threads == 0) throw std::runtime_error("--threads must be at least 1");
    if (!opt.taps.empty() && opt.taps.size() != opt.threads)
      throw std::runtime_error("proxy: one tap queue per relay thread is required");
    if (opt.upstream.port == 0) throw std::runtime_error("--upstream port must not be 0");
    if (opt.buffer_size < 512) opt.buffer_size = 512;
    if (opt.max_pdu < min_max_pdu || opt.max_pdu > max_max_pdu)
      throw std::runtime_error("proxy: max_pdu must be between " + std::to_string(min_max_pdu) + " and " +
                               std::to_string(max_max_pdu) + " octets");
    if (opt.keepalive.idle.count() < 0 || opt.idle_timeout.count() < 0 || opt.write_timeout.count() < 0)
      throw std::runtime_error("proxy: timeouts must not be negative");
    if (opt.keepalive.idle.count() > 0 && (opt.keepalive.interval.count() < 1 || opt.keepalive.count < 1))
      throw std::runtime_error("proxy: keepalive interval and count must be at least 1");
    if (!opt.log) opt.log = log_to_stderr;
    if (opt.listen_tls) server_tls.emplace(make_server_context(*opt.listen_tls));
    if (opt.upstream_tls) client_tls.emplace(make_client_context(*opt.upstream_tls));
    if (opt.upstream.is_ip_literal())
      upstream_literal = tcp::endpoint(asio::ip::make_address(opt.upstream.host), opt.upstream.port);
    upstream_text = opt.upstream.to_string();
  }

  void log(std::string_view line) const { opt.log(line); }

  // ---- listening ----------------------------------------------------------------------------

  void bind_listeners() {
    auto& ctx = threads.front().ctx;
    std::vector<tcp::endpoint> eps;
    if (opt.listen.is_ip_literal()) {
      eps.emplace_back(asio::ip::make_address(opt.listen.host), opt.listen.port);
    } else {
      tcp::resolver r(ctx);
      boost::system::error_code ec;
      const auto res = r.resolve(opt.listen.host, std::to_string(opt.listen.port), tcp::resolver::passive, ec);
      if (ec) throw std::runtime_error("--listen: cannot resolve " + opt.listen.host + ": " + ec.message());
      for (const auto& e : res)
        if (std::find(eps.begin(), eps.end(), e.endpoint()) == eps.end()) eps.push_back(e.endpoint());
    }
    std::uint16_t port = opt.listen.port;
    std::string first_error;
    for (auto ep : eps) {
      if (port != 0) ep.port(port);
      auto a = std::make_unique<tcp::acceptor>(ctx);
      boost::system::error_code ec;
      a->open(ep.protocol(), ec);
      if (!ec) a->set_option(asio::socket_base::reuse_address(true), ec);
      // A name may resolve to both families; keep the IPv6 socket to IPv6 so both can bind.
      if (!ec && ep.address().is_v6() && eps.size() > 1) a->set_option(asio::ip::v6_only(true), ec);
      if (!ec) a->bind(ep, ec);
      if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        // A name may resolve to addresses this host cannot bind (::1 without IPv6): use the
        // others, and fail only when none can be bound.
        const std::string e = "cannot listen on " + endpoint_text(ep) + ": " + ec.message();
        if (first_error.empty()) first_error = e;
        if (eps.size() > 1) log(e);
        continue;
      }
      const auto bound = a->local_endpoint();
      port = bound.port();
      if (acceptors.empty()) bound_port = bound.port();
      listening.push_back(endpoint_text(bound));
      acceptors.push_back(std::move(a));
    }
    if (acceptors.empty()) throw std::runtime_error(first_error);
  }

  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    asio::steady_timer backoff(acceptor.get_executor());
    for (;;) {
      relay_thread& t = threads[next_thread.fetch_add(1, std::memory_order_relaxed) % threads.size()];
      auto [ec, sock] = co_await acceptor.async_accept(t.ctx, asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // EMFILE and friends: keep the listener and the sessions; shed what waits, retry shortly.
        stats.accept_failures.fetch_add(1, std::memory_order_relaxed);
        const std::size_t shed = shed_pending(acceptor, ec);
        if (auto suffix = accept_failure_log.admit())
          log("accept failed: " + ec.message() + (shed ? "; closed " + std::to_string(shed) + " waiting connection(s)" : "") +
              ", retrying" + *suffix);
        backoff.expires_after(std::chrono::milliseconds(50));
        (void)co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      stats.accepted.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code rec;
      const auto remote = sock.remote_endpoint(rec);
      if (rec) continue;  // already gone
      if (!opt.allow.allows(remote.address())) {
        stats.rejected.fetch_add(1, std::memory_order_relaxed);
        boost::system::error_code cec;
        sock.close(cec);
        log("client " + endpoint_text(remote) + " rejected: not in the --allow list");
        continue;
      }
      std::string why;
      int kind = 0;
      auto slot = admit(unmapped(remote.address()), why, kind);
      if (!slot) {
        boost::system::error_code cec;
        sock.close(cec);
        if (auto suffix = refusal_log[kind].admit())
          log("client " + endpoint_text(remote) + " refused: " + why + *suffix);
        continue;
      }
      const std::uint64_t id = next_session.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(t.ctx, run_session(t, std::move(sock), id, std::move(*slot)), asio::detached);
    }
  }

  // After accept() failed with `ec`: when descriptors ran out, frees the reserve one to accept and
  // close waiting connections (their clients see a close, not a hang). Returns how many.
  std::size_t shed_pending(tcp::acceptor& acceptor, const boost::system::error_code& ec) {
    if (ec != asio::error::no_descriptors && ec.value() != ENFILE) return 0;
    if (reserve_fd < 0) return 0;
    ::close(reserve_fd);
    reserve_fd = -1;
    std::size_t shed = 0;
    for (; shed < 64; ++shed) {
      const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      ::close(fd);
    }
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return shed;
  }

  // ---- one session --------------------------------------------------------------------------

  struct session_info {
    tcp::endpoint client, proxy_client_side, proxy_upstream_side, upstream;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  };

  void push_event(session_core& s, const session_info& info, analysis::record_kind kind, std::string_view text) {
    if (!s.tap) return;
    analysis::tap_record r{};
    r.kind = kind;
    r.session = s.id;
    r.ts_us = detail::now_us();
    r.bytes = {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
    r.client = to_capture(info.client);
    r.proxy_client_side = to_capture(info.proxy_client_side);
    if (info.proxy_upstream_side.port() != 0) r.proxy_upstream_side = to_capture(info.proxy_upstream_side);
    if (info.upstream.port() != 0) r.upstream = to_capture(info.upstream);
    r.client_tls = opt.listen_tls.has_value();
    r.upstream_tls = opt.upstream_tls.has_value();
    (void)s.tap->push_event(r);
  }

  std::string session_prefix(const session_core& s, const session_info& info) const {
    return "session " + std::to_string(s.id) + " client " + endpoint_text(info.client);
  }

  void upstream_failed(session_core& s, const session_info& info, const std::string& why) {
    stats.upstream_failures.fetch_add(1, std::memory_order_relaxed);
    log(session_prefix(s, info) + ": " + why);
    push_event(s, info, analysis::record_kind::upstream_failure, why);
  }

  // Runs `op` (an awaitable yielding an error_code) with the connect timeout. Returns the op's
  // error, or timed_out.
  template <class Awaitable>
  asio::awaitable<boost::system::error_code> with_timeout(Awaitable op) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(opt.connect_timeout);
    auto r = co_await (std::move(op) || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (r.index() == 1) co_return asio::error::timed_out;
    co_return std::get<0>(r);
  }

  asio::awaitable<boost::system::error_code> connect_upstream(tcp::socket& u, session_info& info) {
    if (upstream_literal) {
      auto [ec] = co_await u.async_connect(*upstream_literal, asio::as_tuple(asio::use_awaitable));
      if (!ec) info.upstream = *upstream_literal;
      co_return ec;
    }
    tcp::resolver resolver(u.get_executor());
    auto [rec, results] = co_await resolver.async_resolve(opt.upstream.host, std::to_string(opt.upstream.port),
                                                          asio::as_tuple(asio::use_awaitable));
    if (rec) co_return rec;
    auto [ec, ep] = co_await asio::async_connect(u, results, asio::as_tuple(asio::use_awaitable));
    if (!ec) info.upstream = ep;
    co_return ec;
  }

  template <class Stream>
  asio::awaitable<boost::system::error_code> handshake(Stream& s, asio::ssl::stream_base::handshake_type type) {
    auto [ec] = co_await s.async_handshake(type, asio::as_tuple(asio::use_awaitable));
    co_return ec;
  }

  // Points `slot` at a socket for as long as the socket lives; closes it on the way out.
  struct socket_binding {
    tcp::socket*& slot;
    socket_binding(tcp::socket*& sl, tcp::socket& sock) : slot(sl) { slot = &sock; }
    ~socket_binding() {
      boost::system::error_code ec;
      if (slot) slot->close(ec);
      slot = nullptr;
    }
    socket_binding(const socket_binding&) = delete;
    socket_binding& operator=(const socket_binding&) = delete;
  };

  // TCP_NODELAY, and keepalive so a vanished peer is noticed (both legs).
  void tune_socket(tcp::socket& sock) {
    boost::system::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    const auto& ka = opt.keepalive;
    if (ka.idle.count() <= 0) return;
    sock.set_option(asio::socket_base::keep_alive(true), ec);
    set_int_option(sock, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(std::min<long long>(ka.idle.count(), 32767)));
    set_int_option(sock, IPPROTO_TCP, TCP_KEEPINTVL,
                   static_cast<int>(std::min<long long>(ka.interval.count(), 32767)));
    set_int_option(sock, IPPROTO_TCP, TCP_KEEPCNT, static_cast<int>(std::min(ka.count, 127u)));
  }

  asio::awaitable<void> run_session(relay_thread& t, tcp::socket client_sock, std::uint64_t id, session_slot slot) {
    (void)slot;  // released when this frame goes, however it goes
    session_core s(opt.max_pdu);
    s.id = id;
    s.tap = t.tap;
    s.pool = &t.pool;
    s.thread_bytes = t.bytes;
    const registration listed(t, s);
    session_info info;
    boost::system::error_code ec;
    info.client = client_sock.remote_endpoint(ec);
    info.proxy_client_side = client_sock.local_endpoint(ec);
    tune_socket(client_sock);
    if (t.stopping) s.stopping = true;

    if (server_tls && !s.stopping) {
      tls_stream c(std::move(client_sock), *server_tls);
      socket_binding bind_client(s.client, c.next_layer());
      const auto hec = co_await with_timeout(handshake(c, asio::ssl::stream_base::server));
      if (hec) {
        if (!s.stopping) {
          stats.client_tls_failures.fetch_add(1, std::memory_order_relaxed);
          log(session_prefix(s, info) + ": client TLS handshake failed: " +
              (hec == asio::error::timed_out ? "timed out after " + seconds_text(opt.connect_timeout)
                                             : tls_error_text(hec, c.native_handle())));
        }
      } else if (!s.stopping) {
        co_await with_client(t, c, s, info);
      }
    } else if (!s.stopping) {
      socket_binding bind_client(s.client, client_sock);
      co_await with_client(t, client_sock, s, info);
    }
  }

  template <class Client>
  asio::awaitable<void> with_client(relay_thread& t, Client& c, session_core& s, session_info& info) {
    (void)t;
    s.stage = session_stage::connecting;
    tcp::socket u(c.get_executor());
    std::optional<socket_binding> bind_upstream(std::in_place, s.upstream, u);
    const auto cec = co_await with_timeout(connect_upstream(u, info));
    if (s.stopping) co_return;
    if (cec) {
      upstream_failed(s, info,
                      "upstream " + upstream_text + " connect failed: " +
                          (cec == asio::error::timed_out ? "timed out after " + seconds_text(opt.connect_timeout)
                                                         : cec.message()));
      co_return;
    }
    boost::system::error_code ec;
    info.proxy_upstream_side = u.local_endpoint(ec);
    tune_socket(u);

    if (!client_tls) {
      co_await open_and_relay(c, u, s, info);
      co_return;
    }
    s.stage = session_stage::upstream_handshake;
    s.upstream = nullptr;  // moving into the TLS stream, not closing
    bind_upstream.reset();
    tls_stream us(std::move(u), *client_tls);
    socket_binding bind_tls_upstream(s.upstream, us.next_layer());
    SSL* ssl = us.native_handle();
    const auto& tls = *opt.upstream_tls;
    const std::string& name = tls.sni.empty() ? opt.upstream.host : tls.sni;
    // SNI carries host names only (RFC 6066 section 3), never an address literal.
    boost::system::error_code aec;
    (void)asio::ip::make_address(name, aec);
    const bool name_is_address = !aec;
    if (!name_is_address) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (!tls.insecure) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (name_is_address) X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      else X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
    const auto hec = co_await with_timeout(handshake(us, asio::ssl::stream_base::client));
    if (s.stopping) co_return;
    if (hec) {
      upstream_failed(s, info,
                      "upstream TLS handshake failed: " +
                          (hec == asio::error::timed_out ? "timed out after " + seconds_text(opt.connect_timeout)
                                                         : tls_error_text(hec, ssl)));
      co_return;
    }
    co_await open_and_relay(c, us, s, info);
  }

  // The session_open record's text: the TLS versions the handshakes settled on, as
  // "client_tls_version=TLSv1.3 upstream_tls_version=TLSv1.3" (a leg in clear is left out), for
  // checks against a provider's minimum version.
  template <class Client, class Upstream>
  static std::string negotiated_tls(Client& c, Upstream& u) {
    std::string text;
    auto add = [&text](const char* key, auto& stream) {
      if constexpr (requires { SSL_get_version(stream.native_handle()); }) {
        if (!text.empty()) text += ' ';
        text += key;
        text += SSL_get_version(stream.native_handle());
      }
    };
    add("client_tls_version=", c);
    add("upstream_tls_version=", u);
    return text;
  }

  template <class Client, class Upstream>
  asio::awaitable<void> open_and_relay(Client& c, Upstream& u, session_core& s, session_info& info) {
    s.stage = session_stage::relaying;
    stats.opened.fetch_add(1, std::memory_order_relaxed);
    log(session_prefix(s, info) + " open -> upstream " + endpoint_text(info.upstream));
    push_event(s, info, analysis::record_kind::session_open, negotiated_tls(c, u));

    s.relay_start_us = detail::steady_us();  // the relay thread's watchdog looks from here on
    co_await (detail::relay(c, u, s, direction::esme_to_smsc) && detail::relay(u, c, s, direction::smsc_to_esme));

    s.stage = session_stage::done;
    const auto& e2s = s.dirs[0];
    const auto& s2e = s.dirs[1];
    stats.closed.fetch_add(1, std::memory_order_relaxed);
    const std::string reason = close_reason(s, opt);
    std::string system_id;
    if (opt.system_id_of) {
      try {
        system_id = decoder::log_safe(opt.system_id_of(s.id));  // the peer chose it
      } catch (const std::exception& e) {
        log(session_prefix(s, info) + ": system_id lookup failed: " + e.what());
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - info.started).count();
    char counts[200];
    std::snprintf(counts, sizeof counts,
                  "esme_to_smsc %llu PDUs %llu bytes, smsc_to_esme %llu PDUs %llu bytes, %.3f s",
                  static_cast<unsigned long long>(e2s.pdus.pdus()), static_cast<unsigned long long>(e2s.bytes),
                  static_cast<unsigned long long>(s2e.pdus.pdus()), static_cast<unsigned long long>(s2e.bytes), secs);
    log(session_prefix(s, info) + " close -> upstream " + endpoint_text(info.upstream) +
        (system_id.empty() ? "" : " system_id " + system_id) + ": " + counts + ", " + reason);
    push_event(s, info, analysis::record_kind::session_close, reason);
  }

  // The session watchdog: one timer per relay thread (not one coroutine and timer per session,
  // which an idle session would carry for its whole life) looks at the thread's relaying sessions
  // every watch_period and ends one (closing both legs) when no byte moved either way for
  // idle_timeout, or one write has not finished within write_timeout. Cuts are at most a period
  // late: an eighth of the shorter timeout, between 10 ms and 1 s.
  std::chrono::milliseconds watch_period() const {
    std::chrono::milliseconds shortest{0};
    for (const auto t : {opt.idle_timeout, opt.write_timeout})
      if (t.count() > 0 && (shortest.count() == 0 || t < shortest)) shortest = t;
    if (shortest.count() == 0) return shortest;  // no watchdog
    return std::clamp(shortest / 8, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  }

  void arm_watchdog(relay_thread& t, std::chrono::milliseconds period) {
    t.watch.expires_after(period);
    t.watch.async_wait([this, &t, period](boost::system::error_code ec) {
      if (ec || t.stopping) return;
      const std::int64_t now = detail::steady_us();
      for (session_core* s = t.sessions; s; s = s->next) check_session(*s, now);
      arm_watchdog(t, period);
    });
  }

  void check_session(session_core& s, std::int64_t now) {
    if (s.stage != session_stage::relaying || s.cut != detail::watchdog_end::none) return;
    using us = std::chrono::microseconds;
    const std::int64_t idle = std::chrono::duration_cast<us>(opt.idle_timeout).count();
    const std::int64_t write = std::chrono::duration_cast<us>(opt.write_timeout).count();
    bool writing = false;
    for (int i = 0; i < 2 && s.cut == detail::watchdog_end::none; ++i) {
      const std::int64_t began = s.dirs[i].write_started_us;
      if (began == 0) continue;
      writing = true;  // a write in flight is not idleness
      if (write > 0 && now - began >= write) {
        s.cut = detail::watchdog_end::write_timeout;
        s.cut_dir = static_cast<direction>(i);
        stats.write_timeouts.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (idle > 0 && !writing && s.cut == detail::watchdog_end::none) {
      const std::int64_t last = std::max({s.relay_start_us, s.dirs[0].last_write_us, s.dirs[1].last_write_us});
      if (now - last >= idle) {
        s.cut = detail::watchdog_end::idle;
        stats.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (s.cut != detail::watchdog_end::none) s.abort();  // both relays end with errors; close_reason() says why
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  void start() {
    if (started) throw std::runtime_error("proxy: already started");
    for (unsigned i = 0; i < opt.threads; ++i) {
      auto& t = threads.emplace_back(i, opt.buffer_size);
      if (!opt.taps.empty()) t.tap = opt.taps[i];
    }
    bind_listeners();
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    started = true;
    for (auto& a : acceptors) asio::co_spawn(threads.front().ctx, accept_loop(*a), asio::detached);
    std::string tls_note = std::string(opt.listen_tls ? " (TLS)" : "");
    for (const auto& l : listening)
      log("listening on " + l + tls_note + ", upstream " + upstream_text + (opt.upstream_tls ? " (TLS)" : ""));
    if (const auto period = watch_period(); period.count() > 0)
      for (auto& t : threads) arm_watchdog(t, period);
    for (auto& t : threads)
      t.thread = std::thread([&t] {
#if defined(__linux__)
        const std::string name = "relay-" + std::to_string(t.index);  // for top -H, perf, bench/relay
        pthread_setname_np(pthread_self(), name.c_str());
#endif
        for (;;) {
          try {
            t.ctx.run();
            return;
          } catch (const std::exception& e) {
            log_to_stderr(std::string("relay thread: unexpected error: ") + e.what());
          }
        }
      });
  }

  void stop() {
    if (!started) return;
    std::call_once(stop_once, [this] {
      asio::post(threads.front().ctx, [this] {
        for (auto& a : acceptors) {
          boost::system::error_code ec;
          a->close(ec);
        }
      });
      for (auto& t : threads) {
        asio::post(t.ctx, [this, &t] {
          t.stopping = true;
          t.watch.cancel();  // the grace timer below ends what is left
          for (auto* s = t.sessions; s; s = s->next) s->request_stop();
          t.work.reset();
          if (!t.sessions) return;
          t.grace.expires_after(opt.stop_grace);
          t.grace.async_wait([&t](boost::system::error_code ec) {
            if (ec) return;
            for (auto* s = t.sessions; s; s = s->next) s->abort();
          });
        });
      }
      for (auto& t : threads)
        if (t.thread.joinable()) t.thread.join();
      if (reserve_fd >= 0) ::close(reserve_fd);
      reserve_fd = -1;
    });
  }
};

proxy::proxy(proxy_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
proxy::~proxy() { stop(); }
void proxy::start() { impl_->start(); }
void proxy::stop() { impl_->stop(); }
std::uint16_t proxy::port() const {
  return impl_->bound_port;
}
std::vector<std::string> proxy::listening() const { return impl_->listening; }
const proxy_options& proxy::options() const { return impl_->opt; }

proxy_stats proxy::stats() const {
  const auto& c = impl_->stats;
  proxy_stats s;
  s.accepted = c.accepted.load(std::memory_order_relaxed);
  s.rejected = c.rejected.load(std::memory_order_relaxed);
  s.client_tls_failures = c.client_tls_failures.load(std::memory_order_relaxed);
  s.upstream_failures = c.upstream_failures.load(std::memory_order_relaxed);
  s.opened = c.opened.load(std::memory_order_relaxed);
  s.closed = c.closed.load(std::memory_order_relaxed);
  s.active = c.active.load(std::memory_order_relaxed);
  s.refused_max_sessions = c.refused_max_sessions.load(std::memory_order_relaxed);
  s.refused_per_ip = c.refused_per_ip.load(std::memory_order_relaxed);
  s.accept_failures = c.accept_failures.load(std::memory_order_relaxed);
  s.idle_timeouts = c.idle_timeouts.load(std::memory_order_relaxed);
  s.write_timeouts = c.write_timeouts.load(std::memory_order_relaxed);
  for (const auto& t : impl_->threads) {
    s.bytes_esme_to_smsc += t.bytes[0].load(std::memory_order_relaxed);
    s.bytes_smsc_to_esme += t.bytes[1].load(std::memory_order_relaxed);
    s.relay_buffers_lent += t.pool.in_use();
    s.relay_buffers_allocated += t.pool.allocated();
  }
  return s;
}

std::uint64_t raise_fd_limit() noexcept {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
    (void)getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

}  // namespace smppscope::proxy
