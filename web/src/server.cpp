#include "smppscope/web/server.hpp"

#include <atomic>
#include <deque>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "smppscope/capture/event_ring.hpp"
#include "smppscope/capture/session_table.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/web/auth.hpp"
#include "smppscope/web/detail/api.hpp"
#include "smppscope/web/detail/ws_hub.hpp"
#include "smppscope/web/event_match.hpp"
#include "smppscope/web/metrics.hpp"

namespace smppscope::web {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::string_view server_name = "smppscope/0.1.0";

struct counters {
  std::atomic<std::uint64_t> http_requests{0}, ws_connections{0}, ws_events_sent{0},
      ws_events_dropped{0}, ws_clients_cut{0}, ws_queue_high_water{0};
  detail::ws_hub_counters hub;
};

// Shared by every connection (held through shared_ptr by their coroutines and sessions).
struct shared_state {
  server_options opt;
  detail::api api;
  token_check token;
  counters& count;
  std::shared_ptr<detail::ws_hub> hub;
  shared_state(server_options o, const capture::event_ring& ring,
               const capture::session_table& sessions, const metrics_registry& metrics,
               counters& c)
      : opt(std::move(o)),
        api(detail::api_options{opt.pdus_default_limit, opt.pdus_max_limit, opt.timeline}, ring, sessions, metrics),
        token(opt.token), count(c) {}
};

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

// ---- WebSocket session: one per client, on the connection's strand ----

template <class Stream>
class ws_session final : public detail::ws_client,
                         public std::enable_shared_from_this<ws_session<Stream>> {
 public:
  ws_session(Stream&& s, std::shared_ptr<shared_state> st) : ws_(std::move(s)), st_(std::move(st)) {}

  void run(http::request<http::string_body> req) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, server_name);
    }));
    ws_.read_message_max(64 * 1024);
    ws_.text(true);
    ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, this->shared_from_this()));
  }

  void deliver(std::shared_ptr<const std::string> batch, std::size_t events) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), batch = std::move(batch), events] {
      self->on_deliver(batch, events);
    });
  }

  void send_control(std::string json) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), json = std::move(json)]() mutable {
      if (self->closed_) return;
      self->enqueue(std::make_shared<const std::string>(std::move(json)));
    });
  }

 private:
  void on_accept(error_code ec) {
    if (ec) return;
    st_->count.ws_connections.fetch_add(1, std::memory_order_relaxed);
    joined_ = true;
    st_->hub->join(this->weak_from_this(), this);
    do_read();
  }

  void do_read() {
    ws_.async_read(rbuf_, beast::bind_front_handler(&ws_session::on_read, this->shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec) {
      on_closed();
      return;
    }
    const std::string text = beast::buffers_to_string(rbuf_.data());
    rbuf_.consume(rbuf_.size());
    parse_error err;
    if (auto m = parse_filter_message(text, err)) {
      std::string ack = "{\"type\":\"filter_applied\",\"filter\":" + filter_json(*m) + "}";
      st_->hub->set_filter(this, std::make_shared<const event_match>(std::move(*m)), std::move(ack));
    } else {
      std::string msg = "{\"type\":\"error\",\"message\":";
      decoder::append_json_string(msg, err.message);
      msg += '}';
      enqueue(std::make_shared<const std::string>(std::move(msg)));
    }
    do_read();
  }

  // Client strand. Drops (and counts) when the queue is full: the hub never waits.
  void on_deliver(const std::shared_ptr<const std::string>& batch, std::size_t events) {
    if (closed_) return;
    const auto& o = st_->opt;
    const bool full = !queue_.empty() && (queue_.size() >= o.ws_queue_messages ||
                                          queued_bytes_ + batch->size() > o.ws_queue_bytes);
    if (full) {
      pending_lag_ += events;
      st_->count.ws_events_dropped.fetch_add(events, std::memory_order_relaxed);
      if (writing_ && std::chrono::steady_clock::now() - write_started_ > o.ws_stall_timeout) cut();
      return;
    }
    if (pending_lag_) {
      enqueue(std::make_shared<const std::string>("{\"type\":\"lagging\",\"dropped\":" +
                                                  std::to_string(pending_lag_) + "}"));
      pending_lag_ = 0;
    }
    st_->count.ws_events_sent.fetch_add(events, std::memory_order_relaxed);
    enqueue(batch);
  }

  void enqueue(std::shared_ptr<const std::string> msg) {
    queued_bytes_ += msg->size();
    auto& hw = st_->count.ws_queue_high_water;
    for (std::uint64_t seen = hw.load(std::memory_order_relaxed);
         seen < queued_bytes_ && !hw.compare_exchange_weak(seen, queued_bytes_, std::memory_order_relaxed);) {
    }
    queue_.push_back(std::move(msg));
    if (!writing_) do_write();
  }

  void do_write() {
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&ws_session::on_write, this->shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    writing_ = false;
    if (ec) {
      on_closed();
      return;
    }
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
    if (!closed_ && !queue_.empty()) do_write();
  }

  // A client that stopped reading: close the socket; pending operations end with an error.
  void cut() {
    st_->count.ws_clients_cut.fetch_add(1, std::memory_order_relaxed);
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    on_closed();
  }

  void on_closed() {
    if (closed_) return;
    closed_ = true;
    if (joined_) st_->hub->leave(this);
    if (!writing_) {
      queue_.clear();
      queued_bytes_ = 0;
    }
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<shared_state> st_;
  beast::flat_buffer rbuf_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t pending_lag_ = 0;
  std::chrono::steady_clock::time_point write_started_{};
  bool writing_ = false;
  bool closed_ = false;
  bool joined_ = false;
};

// ---- HTTP ----

http::response<http::string_body> to_response(const detail::http_reply& r,
                                              const http::request<http::string_body>& req) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
  res.set(http::field::server, server_name);
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.insert(k, v);
  const bool head = req.method() == http::verb::head;
  std::size_t size = r.asset ? r.asset->data.size() : r.body.size();
  if (r.status == 304) size = 0;
  if (!head && r.status != 304) {
    if (r.asset) res.body().assign(reinterpret_cast<const char*>(r.asset->data.data()), size);
    else res.body() = r.body;
  }
  if (r.status != 304) res.content_length(size);
  res.keep_alive(req.keep_alive());
  return res;
}

bool is_ui_page(std::string_view path) {
  return path == "/" || path == "/index.html";
}

// Access control; nullopt = go ahead, else the reply to send instead.
std::optional<detail::http_reply> check_access(const shared_state& st,
                                               const http::request<http::string_body>& req,
                                               std::string_view path, const detail::query_params& q,
                                               bool tls) {
  if (path == "/healthz") return std::nullopt;
  if (!st.token.enabled()) {
    if (!host_header_allowed(sv(req[http::field::host]), st.opt.host))
      return detail::json_error(403, "Host header not allowed (use the address the server listens on)");
    return std::nullopt;
  }
  const std::string* qt = q.find("token");
  if (!st.token.allows(sv(req[http::field::authorization]), sv(req[http::field::cookie]),
                       qt ? std::string_view(*qt) : std::string_view{})) {
    detail::http_reply r;
    if (is_ui_page(path)) {
      r.status = 401;
      r.content_type = "text/html; charset=utf-8";
      r.body = "<!doctype html><meta charset=utf-8><title>smppscope: token needed</title>"
               "<body style=\"font-family:sans-serif;background:#111;color:#ddd;padding:2em\">"
               "<h1>smppscope</h1><p>This server needs its access token. Open "
               "<code>/?token=TOKEN</code> once; a cookie keeps you signed in.</p>";
    } else {
      r = detail::json_error(401, "access token required (Authorization: Bearer TOKEN, or visit /?token=TOKEN)");
    }
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"smppscope\"");
    return r;
  }
  if (qt && req.method() == http::verb::get && is_ui_page(path) &&
      st.token.matches(*qt)) {
    // Trade the query token for a cookie and drop it from the address bar.
    detail::http_reply r;
    r.status = 302;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", "/");
    std::string cookie = std::string(token_cookie_name) + "=" + *qt + "; Path=/; HttpOnly; SameSite=Strict";
    if (tls) cookie += "; Secure";
    r.headers.emplace_back("Set-Cookie", std::move(cookie));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  return std::nullopt;
}

// Cross-site WebSocket hijacking guard: a browser's Origin must name the host it connects to.
bool same_origin(const http::request<http::string_body>& req) {
  const std::string_view origin = sv(req[http::field::origin]);
  if (origin.empty()) return true;  // not a browser
  const std::size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return false;
  return origin.substr(scheme + 3) == sv(req[http::field::host]);
}

void shutdown_stream(beast::tcp_stream& s) {
  error_code ec;
  s.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> shutdown_stream_async(beast::tcp_stream& s) {
  shutdown_stream(s);
  co_return;
}

net::awaitable<void> shutdown_stream_async(beast::ssl_stream<beast::tcp_stream>& s) {
  beast::get_lowest_layer(s).expires_after(std::chrono::seconds(5));
  co_await s.async_shutdown(use_tuple);
}

template <class Stream>
net::awaitable<void> serve_http(std::shared_ptr<shared_state> st, Stream stream, bool tls) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    beast::get_lowest_layer(stream).expires_after(st->opt.http_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec == http::error::end_of_stream) break;
    if (ec) {
      if (ec == http::error::header_limit || ec == http::error::body_limit ||
          ec.category() == http::make_error_code(http::error::bad_target).category()) {
        http::response<http::string_body> res{http::status::bad_request, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = "{\"error\":\"bad HTTP request: " + ec.message() + "\"}";
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(stream, res, use_tuple);
      }
      co_return;
    }
    http::request<http::string_body> req = parser.release();
    st->count.http_requests.fetch_add(1, std::memory_order_relaxed);

    const std::string_view target = sv(req.target());
    const std::size_t qmark = target.find('?');
    const std::string_view path = target.substr(0, qmark);
    std::string qerr;
    const auto query = detail::parse_query(
        qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1), qerr);

    std::optional<detail::http_reply> early;
    if (!query) early = detail::json_error(400, qerr);
    else early = check_access(*st, req, path, *query, tls);

    if (!early && websocket::is_upgrade(req)) {
      if (path != "/ws") {
        early = detail::json_error(404, "WebSocket endpoint is /ws");
      } else if (!same_origin(req)) {
        early = detail::json_error(403, "WebSocket Origin does not match Host");
      } else if (st->count.hub.clients.load(std::memory_order_relaxed) >= st->opt.ws_max_clients) {
        early = detail::json_error(503, "too many WebSocket clients");
      } else {
        beast::get_lowest_layer(stream).expires_never();  // WebSocket has its own timeouts
        std::make_shared<ws_session<Stream>>(std::move(stream), st)->run(std::move(req));
        co_return;
      }
    }
    if (!early && path == "/ws") early = detail::json_error(426, "/ws needs a WebSocket upgrade");

    const detail::http_reply reply =
        early ? std::move(*early)
              : st->api.handle(sv(req.method_string()), path, *query, sv(req[http::field::if_none_match]));
    http::response<http::string_body> res = to_response(reply, req);
    const bool keep = res.keep_alive();
    beast::get_lowest_layer(stream).expires_after(st->opt.http_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec) co_return;
    if (!keep) break;
  }
  co_await shutdown_stream_async(stream);
}

net::awaitable<void> serve_tls(std::shared_ptr<shared_state> st, tcp::socket sock) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *st->opt.tls);
  beast::get_lowest_layer(stream).expires_after(st->opt.http_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (ec) co_return;
  co_await serve_http(st, std::move(stream), true);
}

net::awaitable<void> accept_loop(std::shared_ptr<shared_state> st, tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(net::make_strand(acceptor.get_executor()), use_tuple);
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      net::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(use_tuple);
      continue;
    }
    const auto ex = sock.get_executor();
    if (st->opt.tls) net::co_spawn(ex, serve_tls(st, std::move(sock)), net::detached);
    else net::co_spawn(ex, serve_http(st, beast::tcp_stream(std::move(sock)), false), net::detached);
  }
}

class server_metrics final : public capture::metrics_source {
 public:
  explicit server_metrics(const counters& c) : c_(c) {}
  void append_prometheus(std::string& out) const override {
    auto one = [&](std::string_view name, std::string_view type, std::string_view help,
                   const std::atomic<std::uint64_t>& v) {
      append_metric_header(out, name, type, help);
      append_metric_sample(out, name, {}, v.load(std::memory_order_relaxed));
    };
    one("smppscope_http_requests_total", "counter", "HTTP requests served by the web server.",
        c_.http_requests);
    one("smppscope_ws_clients", "gauge", "WebSocket clients connected now.", c_.hub.clients);
    one("smppscope_ws_connections_total", "counter", "WebSocket clients accepted.", c_.ws_connections);
    one("smppscope_ws_events_sent_total", "counter", "Events queued to WebSocket clients.",
        c_.ws_events_sent);
    one("smppscope_ws_events_dropped_total", "counter",
        "Events dropped for WebSocket clients that fell behind.", c_.ws_events_dropped);
    one("smppscope_ws_clients_cut_total", "counter",
        "WebSocket clients disconnected because they stopped reading.", c_.ws_clients_cut);
    one("smppscope_ws_hub_missed_total", "counter",
        "Events overwritten in the ring buffer before the WebSocket hub read them.", c_.hub.missed);
  }

 private:
  const counters& c_;
};

}  // namespace

bool is_loopback(const net::ip::address& a) noexcept {
  if (a.is_v4()) return a.to_v4().is_loopback();
  const auto v6 = a.to_v6();
  if (v6.is_loopback()) return true;
  if (v6.is_v4_mapped()) return net::ip::make_address_v4(net::ip::v4_mapped, v6).is_loopback();
  return false;
}

struct server::impl {
  server_options opt;
  const capture::event_ring& ring;
  const capture::session_table& sessions;
  metrics_registry& registry;
  counters count;
  server_metrics metrics{count};
  net::io_context ioc;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<tcp::endpoint> bound;
  std::shared_ptr<shared_state> state;
  std::vector<std::thread> threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  bool started = false;

  impl(server_options o, const capture::event_ring& r, const capture::session_table& s,
       metrics_registry& m)
      : opt(std::move(o)), ring(r), sessions(s), registry(m) {}
};

server::server(server_options opt, const capture::event_ring& ring,
               const capture::session_table& sessions, metrics_registry& metrics)
    : impl_(std::make_unique<impl>(std::move(opt), ring, sessions, metrics)) {}

server::~server() {
  stop();
  impl_->registry.remove(impl_->metrics);
}

void server::start() {
  impl& m = *impl_;
  if (m.started) return;
  const std::string shown = m.opt.host.find(':') != std::string::npos
                                ? "[" + m.opt.host + "]:" + std::to_string(m.opt.port)
                                : m.opt.host + ":" + std::to_string(m.opt.port);
  tcp::resolver resolver(m.ioc);
  error_code ec;
  const auto results = resolver.resolve(m.opt.host, std::to_string(m.opt.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    throw std::runtime_error("web: cannot resolve '" + m.opt.host + "': " +
                             (ec ? ec.message() : std::string("no address")));
  std::vector<tcp::endpoint> eps;
  for (const auto& r : results)
    if (std::find(eps.begin(), eps.end(), r.endpoint()) == eps.end()) eps.push_back(r.endpoint());
  for (const auto& ep : eps) {
    if (!is_loopback(ep.address()) && m.opt.token.empty() && !m.opt.insecure)
      throw std::runtime_error("web: " + shown + " is reachable from other hosts: set an access token "
                               "(--web-token TOKEN) or allow it without one (--web-insecure)");
  }
  // A name may resolve to several addresses (localhost: 127.0.0.1 and ::1): listen on each one
  // that can be bound; fail only when none can (a host without IPv6 still serves on IPv4).
  std::uint16_t port = m.opt.port;
  std::string first_error;
  for (auto ep : eps) {
    if (port) ep.port(port);
    auto a = std::make_unique<tcp::acceptor>(m.ioc);
    const char* what = "open";
    a->open(ep.protocol(), ec);
    if (!ec) {
      a->set_option(net::socket_base::reuse_address(true), ec);
      if (ep.address().is_v6()) a->set_option(net::ip::v6_only(true), ec);
      what = "bind";
      a->bind(ep, ec);
    }
    if (!ec) {
      what = "listen";
      a->listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      if (first_error.empty())
        first_error = "cannot listen on " +
                      (ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string()) +
                      ":" + std::to_string(ep.port()) + " (web): " + what + ": " + ec.message();
      continue;
    }
    m.bound.push_back(a->local_endpoint());
    port = m.bound.back().port();
    m.acceptors.push_back(std::move(a));
  }
  if (m.acceptors.empty()) throw std::runtime_error(first_error);

  m.state = std::make_shared<shared_state>(m.opt, m.ring, m.sessions, m.registry, m.count);
  m.state->hub = std::make_shared<detail::ws_hub>(m.ioc, m.ring, m.opt.ws_batch_interval,
                                                  m.opt.ws_batch_events, m.count.hub);
  m.state->hub->start();
  for (auto& a : m.acceptors) net::co_spawn(m.ioc, accept_loop(m.state, *a), net::detached);
  m.registry.add(m.metrics);
  m.work.emplace(m.ioc.get_executor());
  const unsigned n = std::max(1u, m.opt.threads);
  for (unsigned i = 0; i < n; ++i) m.threads.emplace_back([&m] { m.ioc.run(); });
  m.started = true;
}

void server::stop() {
  impl& m = *impl_;
  if (!m.started) return;
  m.started = false;
  net::post(m.ioc, [&m] {
    for (auto& a : m.acceptors) {
      error_code ignored;
      a->close(ignored);
    }
  });
  if (m.state && m.state->hub) m.state->hub->stop();
  m.work.reset();
  m.ioc.stop();
  for (auto& t : m.threads) t.join();
  m.threads.clear();
}

std::uint16_t server::port() const {
  return impl_->bound.empty() ? 0 : impl_->bound.front().port();
}

std::vector<tcp::endpoint> server::endpoints() const { return impl_->bound; }

std::string server::url() const {
  const impl& m = *impl_;
  std::string host = m.opt.host;
  if (!m.bound.empty()) {
    const auto a = m.bound.front().address();
    if (a.is_unspecified()) host = a.is_v6() ? "::1" : "127.0.0.1";
    else if (host.empty() || a.to_string() != host) host = host.empty() ? a.to_string() : host;
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(m.opt.tls ? "https://" : "http://") + host + ":" + std::to_string(port()) + "/";
}

server_stats server::stats() const {
  const counters& c = impl_->count;
  server_stats s;
  s.http_requests = c.http_requests.load(std::memory_order_relaxed);
  s.ws_clients = c.hub.clients.load(std::memory_order_relaxed);
  s.ws_connections = c.ws_connections.load(std::memory_order_relaxed);
  s.ws_events_sent = c.ws_events_sent.load(std::memory_order_relaxed);
  s.ws_events_dropped = c.ws_events_dropped.load(std::memory_order_relaxed);
  s.ws_clients_cut = c.ws_clients_cut.load(std::memory_order_relaxed);
  s.ws_hub_missed = c.hub.missed.load(std::memory_order_relaxed);
  s.ws_queue_high_water = c.ws_queue_high_water.load(std::memory_order_relaxed);
  return s;
}

}  // namespace smppscope::web
