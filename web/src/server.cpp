#include "smppscope/web/server.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <limits>
#include <stdexcept>
#include <utility>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
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

#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/web/auth.hpp"
#include "smppscope/web/detail/api.hpp"
#include "smppscope/web/detail/workspaces.hpp"
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
  std::atomic<std::uint64_t> http_connections{0}, http_refusing{0}, api_inflight{0},
      http_refused_connections{0}, http_refused_busy{0}, http_timeouts{0};
  std::atomic<std::uint64_t> captures_loaded{0}, captures_too_large{0}, captures_bad{0}, captures_refused{0};
  detail::ws_hub_counters hub;
};

// One unit of a capped count, given back when destroyed.
class slot {
 public:
  slot() = default;
  slot(slot&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
  slot& operator=(slot&& o) noexcept {
    release();
    n_ = std::exchange(o.n_, nullptr);
    return *this;
  }
  ~slot() { release(); }
  // Takes one unit when fewer than `max` are taken; an empty slot otherwise.
  static slot take(std::atomic<std::uint64_t>& n, std::size_t max) {
    slot s;
    for (std::uint64_t seen = n.load(std::memory_order_relaxed); seen < max;) {
      if (n.compare_exchange_weak(seen, seen + 1, std::memory_order_relaxed)) {
        s.n_ = &n;
        break;
      }
    }
    return s;
  }
  explicit operator bool() const noexcept { return n_ != nullptr; }
  void release() noexcept {
    if (n_) n_->fetch_sub(1, std::memory_order_relaxed);
    n_ = nullptr;
  }

 private:
  std::atomic<std::uint64_t>* n_ = nullptr;
};

// Shared by every connection (held through shared_ptr by their coroutines and sessions).
struct shared_state {
  server_options opt;
  detail::api api;
  token_check token;
  counters& count;
  std::shared_ptr<detail::ws_hub> hub;  // the live feed
  detail::workspace_registry& workspaces;
  net::io_context& ioc;                  // the server's: capture hubs run here
  net::thread_pool::executor_type loader;  // analyses uploaded captures, one at a time
  shared_state(server_options o, const analysis::event_ring& ring,
               const analysis::session_table& sessions, const metrics_registry& metrics,
               counters& c, detail::workspace_registry& w, net::io_context& io,
               net::thread_pool::executor_type l)
      : opt(std::move(o)),
        api(detail::api_options{.pdus_default_limit = opt.pdus_default_limit,
                                .pdus_max_limit = opt.pdus_max_limit,
                                .max_response_bytes = opt.api_max_response_bytes,
                                .timeline = opt.timeline,
                                .annotate = opt.annotate,
                                .session_compliance = opt.session_compliance},
            ring, sessions, metrics),
        token(opt.token), count(c), workspaces(w), ioc(io), loader(l) {}
};

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

// ---- WebSocket session: one per client, on the connection's strand ----

// Every frame, events or control, obeys the client's message and byte bounds. Event batches
// that do not fit are dropped and counted; a control message (hello, filter_applied, error)
// cannot be dropped, so a client whose queue has no room for one is cut off. So is a client
// whose write has been pending for ws_stall_timeout, and one that sends a message over
// ws_max_message octets: what one client can make the server hold is bounded either way.
template <class Stream>
class ws_session final : public detail::ws_client,
                         public std::enable_shared_from_this<ws_session<Stream>> {
 public:
  ws_session(Stream&& s, std::shared_ptr<shared_state> st, std::shared_ptr<detail::ws_hub> hub)
      : ws_(std::move(s)), st_(std::move(st)), hub_(std::move(hub)), write_timer_(ws_.get_executor()) {}

  void run(http::request<http::string_body> req) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, server_name);
    }));
    ws_.read_message_max(std::max<std::size_t>(st_->opt.ws_max_message, 256));
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
      if (self->acks_pending_) --self->acks_pending_;
      self->control(std::move(json));
    });
  }

  void end_feed() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      if (self->closed_) return;
      error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
      self->on_closed();
    });
  }

 private:
  void on_accept(error_code ec) {
    if (ec) return;
    st_->count.ws_connections.fetch_add(1, std::memory_order_relaxed);
    joined_ = true;
    hub_->join(this->weak_from_this(), this);
    do_read();
  }

  void do_read() {
    ws_.async_read(rbuf_, beast::bind_front_handler(&ws_session::on_read, this->shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec || closed_) {
      on_closed();
      return;
    }
    const std::string text = beast::buffers_to_string(rbuf_.data());
    rbuf_.consume(rbuf_.size());
    // Each message is answered once; answers on their way count against the queue too.
    if (!fits(text.size() + 64, acks_pending_)) {
      cut();
      return;
    }
    parse_error err;
    if (auto m = parse_filter_message(text, err)) {
      std::string ack = "{\"type\":\"filter_applied\",\"filter\":" + filter_json(*m) + "}";
      ++acks_pending_;
      hub_->set_filter(this, std::make_shared<const event_match>(std::move(*m)), std::move(ack));
    } else {
      std::string msg = "{\"type\":\"error\",\"message\":";
      decoder::append_json_string(msg, err.message);
      msg += '}';
      control(std::move(msg));
      if (closed_) return;
    }
    do_read();
  }

  // Room for one more frame of `size` octets (`extra` frames already promised)?
  bool fits(std::size_t size, std::size_t extra = 0) const {
    const auto& o = st_->opt;
    if (queue_.empty() && extra == 0) return true;  // one frame always fits
    return queue_.size() + extra < o.ws_queue_messages && queued_bytes_ + size <= o.ws_queue_bytes;
  }

  void control(std::string json) {
    if (closed_) return;
    if (!fits(json.size())) {
      cut();
      return;
    }
    enqueue(std::make_shared<const std::string>(std::move(json)));
  }

  // Client strand. Drops (and counts) when the queue is full: the hub never waits.
  void on_deliver(const std::shared_ptr<const std::string>& batch, std::size_t events) {
    if (closed_) return;
    const std::string notice =
        pending_lag_ ? "{\"type\":\"lagging\",\"dropped\":" + std::to_string(pending_lag_) + "}" : std::string();
    if (!fits(batch->size() + notice.size(), notice.empty() ? 0 : 1)) {
      pending_lag_ += events;
      st_->count.ws_events_dropped.fetch_add(events, std::memory_order_relaxed);
      return;
    }
    if (!notice.empty()) {
      enqueue(std::make_shared<const std::string>(notice));
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
    const std::uint64_t gen = ++write_gen_;
    write_timer_.expires_after(st_->opt.ws_stall_timeout);
    write_timer_.async_wait([self = this->shared_from_this(), gen](error_code ec) {
      if (!ec && self->writing_ && self->write_gen_ == gen && !self->closed_) self->cut();
    });
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&ws_session::on_write, this->shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    writing_ = false;
    write_timer_.cancel();
    if (ec) {
      on_closed();
      queue_.clear();
      queued_bytes_ = 0;
      return;
    }
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
    if (!closed_ && !queue_.empty()) do_write();
  }

  // A client that stopped reading: close the socket; pending operations end with an error.
  void cut() {
    if (closed_) return;
    st_->count.ws_clients_cut.fetch_add(1, std::memory_order_relaxed);
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    on_closed();
  }

  void on_closed() {
    if (closed_) return;
    closed_ = true;
    write_timer_.cancel();
    if (joined_) hub_->leave(this);
    if (!writing_) {
      queue_.clear();
      queued_bytes_ = 0;
    }
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<shared_state> st_;
  std::shared_ptr<detail::ws_hub> hub_;  // the live feed or a capture workspace's
  net::steady_timer write_timer_;
  beast::flat_buffer rbuf_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t acks_pending_ = 0;  // filter acknowledgements on their way from the hub
  std::uint64_t pending_lag_ = 0;
  std::uint64_t write_gen_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  bool joined_ = false;
};

// ---- HTTP ----

// Access control; nullopt = go ahead, else the reply to send instead. A token in the address
// (?token=) is taken only by the UI page, which trades it for a cookie: addresses end up in
// logs and histories, so the API, /metrics and /ws refuse one.
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
  const bool ui_page = path == "/";
  auto unauthorized = [](detail::http_reply r) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"smppscope\"");
    return r;
  };
  if (qt && !ui_page)
    return unauthorized(detail::json_error(
        401, "token= in the address is accepted only on / (which sets a cookie); send Authorization: "
             "Bearer TOKEN instead"));
  if (!st.token.allows(sv(req[http::field::authorization]), sv(req[http::field::cookie]),
                       qt ? std::string_view(*qt) : std::string_view{})) {
    detail::http_reply r;
    if (ui_page || path == "/index.html") {
      r.status = 401;
      r.content_type = "text/html; charset=utf-8";
      r.body = "<!doctype html><meta charset=utf-8><title>smppscope: token needed</title>"
               "<body style=\"font-family:sans-serif;background:#111;color:#ddd;padding:2em\">"
               "<h1>smppscope</h1><p>This server needs its access token. Open "
               "<code>/?token=TOKEN</code> once; a cookie keeps you signed in.</p>";
    } else {
      r = detail::json_error(401, "access token required (Authorization: Bearer TOKEN, or visit /?token=TOKEN)");
    }
    return unauthorized(std::move(r));
  }
  if (qt && req.method() == http::verb::get && st.token.matches(*qt)) {
    // Trade the query token for a cookie and drop it from the address bar.
    detail::http_reply r;
    r.status = 302;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", "/");
    std::string cookie = std::string(token_cookie_name) + "=" + *qt + "; Path=/; Max-Age=" +
                         std::to_string(st.opt.token_cookie_max_age.count()) + "; HttpOnly; SameSite=Strict";
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

// Writes `r` (moved from, never copied; a static file is sent from where it lives, a producer
// piece by piece with chunked coding). Returns whether the connection may serve another request.
template <class Stream>
net::awaitable<bool> write_reply(Stream& stream, detail::http_reply& r,
                                 const http::request<http::string_body>& req,
                                 std::chrono::milliseconds timeout) {
  const bool head = req.method() == http::verb::head;
  auto& low = beast::get_lowest_layer(stream);
  auto prepare = [&](auto& res) {
    res.set(http::field::server, server_name);
    if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.insert(k, v);
    res.keep_alive(req.keep_alive());
  };
  if (r.stream) {
    http::response<http::empty_body> res{static_cast<http::status>(r.status), req.version()};
    prepare(res);
    const bool chunked = req.version() >= 11;
    if (chunked) res.chunked(true);
    else res.keep_alive(false);  // HTTP/1.0: the end of the body is the end of the connection
    http::response_serializer<http::empty_body> sr{res};
    low.expires_after(timeout);
    auto [ec, n] = co_await http::async_write_header(stream, sr, use_tuple);
    if (ec) co_return false;
    if (head) co_return res.keep_alive();
    std::string piece;
    for (bool more = true; more;) {
      piece.clear();
      more = r.stream(piece);
      if (piece.empty()) continue;
      low.expires_after(timeout);
      error_code wec;
      if (chunked) std::tie(wec, n) = co_await net::async_write(stream, http::make_chunk(net::buffer(piece)), use_tuple);
      else std::tie(wec, n) = co_await net::async_write(stream, net::buffer(piece), use_tuple);
      if (wec) co_return false;
    }
    if (chunked) {
      low.expires_after(timeout);
      auto [lec, ln] = co_await net::async_write(stream, http::make_chunk_last(), use_tuple);
      if (lec) co_return false;
    }
    co_return res.keep_alive();
  }
  low.expires_after(timeout);
  if (r.asset) {
    http::response<http::span_body<const char>> res{static_cast<http::status>(r.status), req.version()};
    prepare(res);
    const std::size_t size = r.asset->data.size();
    if (!head) res.body() = {reinterpret_cast<const char*>(r.asset->data.data()), size};
    res.content_length(size);
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    co_return !ec && res.keep_alive();
  }
  http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
  prepare(res);
  const std::size_t size = r.body.size();
  if (!head && r.status != 304) res.body() = std::move(r.body);
  if (r.status != 304) res.content_length(size);
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  co_return !ec && res.keep_alive();
}

bool is_timeout(const error_code& ec) { return ec == beast::error::timeout; }

// ---- uploaded captures and workspaces ----

constexpr std::string_view captures_path = "/api/captures";

bool is_capture_upload(const http::request<http::string_body>& req) {
  const std::string_view target = sv(req.target());
  return req.method() == http::verb::post && target.substr(0, target.find('?')) == captures_path;
}

// The name a client gave its file, fit for display: control characters dropped, at most 200 octets.
std::string display_name(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    if (out.size() >= 200) break;
    out += c;
  }
  return out.empty() ? std::string("capture") : out;
}

// Writes all of `data` to `fd`; false with errno set on failure.
bool write_all(int fd, const char* data, std::size_t n) {
  while (n) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// The loader, on the loader thread (a plain coroutine function: its arguments live in its frame).
net::awaitable<std::optional<capture_analysis>> run_loader(capture_loader load, std::string path, std::string* error) {
  std::optional<capture_analysis> out;
  try {
    out = load(path, *error);
  } catch (const std::exception& e) {
    *error = e.what();
    out.reset();
  }
  co_return out;
}

// Reads the body of POST /api/captures into a temp file (64 KiB at a time, never the whole body
// in memory), has the loader thread analyse it and registers the workspace. `complete` says
// whether the whole body was read (else the connection cannot serve another request).
template <class Stream>
net::awaitable<detail::http_reply> receive_capture(std::shared_ptr<shared_state> st, Stream& stream,
                                                   beast::flat_buffer& buffer,
                                                   http::request_parser<http::string_body>& parser,
                                                   const detail::query_params& q, bool tls, bool& complete) {
  complete = false;
  auto& low = beast::get_lowest_layer(stream);
  const auto& o = st->opt;
  const auto& req = parser.get();
  if (auto deny = check_access(*st, req, captures_path, q, tls)) co_return std::move(*deny);
  if (!same_origin(req)) co_return detail::json_error(403, "upload refused: its Origin does not match Host");
  if (!o.load_capture) co_return detail::json_error(404, "capture upload is not enabled on this server");
  std::string name = "capture";
  for (const auto& [key, val] : q.items) {
    if (key == "name") name = display_name(val);
    else co_return detail::json_error(400, "unknown parameter '" + key + "' (name)");
  }
  const std::string limit_text = "the largest capture this server takes is " + std::to_string(o.capture_max_bytes) +
                                 " octets (--web-max-upload-mb)";
  if (const auto cl = parser.content_length(); cl && *cl > o.capture_max_bytes) {
    st->count.captures_too_large.fetch_add(1, std::memory_order_relaxed);
    co_return detail::json_error(413, name + " is too large: " + limit_text);
  }
  bool full = false;
  std::string error;
  std::unique_ptr<detail::upload_file> file = st->workspaces.begin_upload(full, error);
  if (!file) {
    if (!full) co_return detail::json_error(500, error);
    st->count.captures_refused.fetch_add(1, std::memory_order_relaxed);
    auto r = detail::json_error(429, "at most " + std::to_string(st->workspaces.max()) +
                                         " captures can be open at once: close one first "
                                         "(DELETE /api/workspaces/ID)");
    r.headers.emplace_back("Retry-After", "5");
    co_return r;
  }
  if (beast::iequals(sv(req[http::field::expect]), "100-continue")) {
    http::response<http::empty_body> cont{http::status::continue_, req.version()};
    low.expires_after(o.http_timeout);
    auto [ec, n] = co_await http::async_write(stream, cont, use_tuple);
    if (ec) co_return detail::json_error(400, "upload ended early: " + ec.message());
  }

  http::request_parser<http::buffer_body> body{std::move(parser)};
  body.body_limit(o.capture_max_bytes);
  std::vector<char> chunk(64u << 10);
  std::uint64_t total = 0;
  while (!body.is_done()) {
    body.get().body().data = chunk.data();
    body.get().body().size = chunk.size();
    low.expires_after(o.http_timeout);  // a deadline per chunk: a big upload may take long in all
    auto [ec, n] = co_await http::async_read(stream, buffer, body, use_tuple);
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t got = chunk.size() - body.get().body().size;
    if (got && !write_all(file->fd(), chunk.data(), got))
      co_return detail::json_error(507, "cannot store the upload: " + std::string(std::strerror(errno)));
    total += got;
    if (ec == http::error::body_limit) {
      st->count.captures_too_large.fetch_add(1, std::memory_order_relaxed);
      co_return detail::json_error(413, name + " is too large: " + limit_text);
    }
    if (ec) {
      if (is_timeout(ec)) st->count.http_timeouts.fetch_add(1, std::memory_order_relaxed);
      co_return detail::json_error(400, "upload ended early: " + ec.message());
    }
  }
  complete = true;
  file->close_fd();

  const std::string path = file->path().string();
  std::optional<capture_analysis> result =
      co_await net::co_spawn(st->loader, run_loader(o.load_capture, path, &error), net::use_awaitable);
  if (!result || !result->ring || !result->sessions) {
    st->count.captures_bad.fetch_add(1, std::memory_order_relaxed);
    if (error.empty()) error = "not a capture the analysis can read";
    // The reader names the file it opened: name the upload instead of the server's temp path.
    for (std::size_t at; (at = error.find(path)) != std::string::npos;) error.replace(at, path.size(), name);
    co_return detail::json_error(400, error);
  }
  auto hub = detail::ws_hub::make_static(st->ioc, *result->ring, result->owner, st->count.hub);
  hub->start();
  const auto w = st->workspaces.add(std::move(file), name, total, std::move(*result), std::move(hub));
  st->count.captures_loaded.fetch_add(1, std::memory_order_relaxed);
  detail::http_reply r;
  r.status = 201;
  detail::append_workspace_json(r.body, *w);
  r.headers.emplace_back("Location", "/api/workspaces/" + w->id);
  r.headers.emplace_back("Cache-Control", "no-store");
  co_return r;
}

// After refusing a body half read: stop sending, then read and discard what the client still
// sends for a little while, so it sees the answer instead of a reset. Bounded in time and octets.
template <class Stream>
net::awaitable<void> drain_and_close(Stream& stream, beast::flat_buffer& buffer) {
  auto& low = beast::get_lowest_layer(stream);
  error_code ignored;
  low.socket().shutdown(tcp::socket::shutdown_send, ignored);
  low.expires_after(std::chrono::seconds(2));
  buffer.clear();
  for (std::size_t total = 0; total < (64u << 20);) {
    auto [ec, n] = co_await low.async_read_some(buffer.prepare(64u << 10), use_tuple);
    if (ec) break;
    total += n;
  }
  buffer.clear();
}

template <class Stream>
net::awaitable<bool> serve_upload(std::shared_ptr<shared_state> st, Stream& stream, beast::flat_buffer& buffer,
                                  http::request_parser<http::string_body>& parser, bool tls) {
  http::request<http::string_body> head = parser.get();  // the header only: the body is not read yet
  const std::string_view target = sv(head.target());
  const std::size_t qmark = target.find('?');
  std::string qerr;
  const auto query = detail::parse_query(
      qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1), qerr);
  bool complete = false;
  detail::http_reply reply;
  if (query) reply = co_await receive_capture(st, stream, buffer, parser, *query, tls, complete);
  else reply = detail::json_error(400, qerr);
  if (!complete) head.keep_alive(false);
  const bool keep = co_await write_reply(stream, reply, head, st->opt.http_timeout);
  if (!complete) {
    co_await drain_and_close(stream, buffer);
    co_return false;
  }
  co_return keep;
}

// GET /api/workspaces, GET and DELETE /api/workspaces/ID, and the wrong methods on /api/captures.
detail::http_reply workspaces_endpoint(shared_state& st, const http::request<http::string_body>& req,
                                       std::string_view path) {
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  if (path == captures_path) {
    auto r = detail::json_error(405, "use POST to upload a capture to /api/captures");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  detail::http_reply r;
  r.headers.emplace_back("Cache-Control", "no-store");
  if (path == "/api/workspaces") {
    if (!get) {
      r = detail::json_error(405, "use GET on /api/workspaces");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    r.body = "{\"max_workspaces\":" + std::to_string(st.workspaces.max()) +
             ",\"max_upload_bytes\":" + std::to_string(st.opt.capture_max_bytes) +
             ",\"uploads\":" + (st.opt.load_capture ? "true" : "false") +
             ",\"workspaces\":" + st.workspaces.list_json() + "}";
    return r;
  }
  const std::string_view id = path.substr(std::string_view("/api/workspaces/").size());
  if (req.method() == http::verb::delete_) {
    if (!same_origin(req)) return detail::json_error(403, "refused: the request's Origin does not match Host");
    if (id == "live") return detail::json_error(400, "the live workspace cannot be closed");
    if (!st.workspaces.close(id))
      return detail::json_error(404, "workspace '" + std::string(id) + "' is not open (GET /api/workspaces lists them)");
    r.body = "{\"closed\":";
    decoder::append_json_string(r.body, id);
    r.body += '}';
    return r;
  }
  if (!get) {
    r = detail::json_error(405, "use GET or DELETE on /api/workspaces/ID");
    r.headers.emplace_back("Allow", "GET, HEAD, DELETE");
    return r;
  }
  const auto w = st.workspaces.find(id);
  if (!w) return detail::json_error(404, "workspace '" + std::string(id) + "' is not open (GET /api/workspaces lists them)");
  detail::append_workspace_json(r.body, *w);
  return r;
}

template <class Stream>
net::awaitable<void> serve_http(std::shared_ptr<shared_state> st, Stream stream, bool tls, [[maybe_unused]] slot conn) {
  auto& low = beast::get_lowest_layer(stream);
  const auto& o = st->opt;
  beast::flat_buffer buffer(32 * 1024);  // at most one request header and a little body
  for (bool first = true;; first = false) {
    if (!first && buffer.size() == 0) {
      // Keep-alive: the next request must start within the idle timeout.
      low.expires_after(o.http_idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      if (ec) {
        if (is_timeout(ec)) st->count.http_timeouts.fetch_add(1, std::memory_order_relaxed);
        co_return;
      }
      buffer.commit(n);
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    // The body limit is set once the header says what the request is: an upload streams its
    // body to a file (with its own limit), nothing else takes more than 16 KiB.
    parser.body_limit((std::numeric_limits<std::uint64_t>::max)());
    low.expires_after(o.http_header_timeout);  // a deadline: trickled bytes do not extend it
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (!ec && is_capture_upload(parser.get())) {
      st->count.http_requests.fetch_add(1, std::memory_order_relaxed);
      if (!co_await serve_upload(st, stream, buffer, parser, tls)) co_return;
      continue;
    }
    constexpr std::uint64_t max_body = 16 * 1024;
    if (!ec) {
      parser.body_limit(max_body);
      if (const auto cl = parser.content_length(); cl && *cl > max_body) ec = http::error::body_limit;
    }
    if (!ec && !parser.is_done()) {
      low.expires_after(o.http_timeout);
      std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_tuple);
    }
    if (ec == http::error::end_of_stream) break;
    if (ec) {
      if (is_timeout(ec)) st->count.http_timeouts.fetch_add(1, std::memory_order_relaxed);
      if (ec == http::error::header_limit || ec == http::error::body_limit ||
          ec.category() == http::make_error_code(http::error::bad_target).category()) {
        http::response<http::string_body> res{ec == http::error::body_limit ? http::status::payload_too_large
                                                                          : http::status::bad_request, 11};
        res.set(http::field::server, server_name);
        res.set(http::field::content_type, "application/json");
        res.body() = "{\"error\":\"bad HTTP request: " + ec.message() + "\"}";
        res.keep_alive(false);
        res.prepare_payload();
        low.expires_after(o.http_timeout);
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

    // workspace=ID: an uploaded capture instead of the live traffic. Held until answered.
    std::shared_ptr<const detail::workspace> ws;
    if (const std::string* id = query ? query->find("workspace") : nullptr;
        !early && id && !id->empty() && *id != "live") {
      ws = st->workspaces.find(*id);
      if (!ws) early = detail::json_error(404, "workspace '" + *id + "' is not open (GET /api/workspaces lists them)");
    }

    if (!early && websocket::is_upgrade(req)) {
      if (path != "/ws") {
        early = detail::json_error(404, "WebSocket endpoint is /ws");
      } else if (!same_origin(req)) {
        early = detail::json_error(403, "WebSocket Origin does not match Host");
      } else if (st->count.hub.clients.load(std::memory_order_relaxed) >= o.ws_max_clients) {
        early = detail::json_error(503, "too many WebSocket clients");
      } else {
        low.expires_never();  // WebSocket has its own timeouts
        std::make_shared<ws_session<Stream>>(std::move(stream), st, ws ? ws->hub : st->hub)->run(std::move(req));
        co_return;  // gives the HTTP connection slot back: WebSocket clients have their own cap
      }
    }
    if (!early && path == "/ws") early = detail::json_error(426, "/ws needs a WebSocket upgrade");

    // Handlers that copy from the ring or render much: a few at a time, held until written.
    slot api;
    if (!early && (path.starts_with("/api/") || path == "/metrics")) {
      api = slot::take(st->count.api_inflight, o.api_max_inflight);
      if (!api) {
        st->count.http_refused_busy.fetch_add(1, std::memory_order_relaxed);
        early = detail::json_error(503, "too many API requests at once (at most " +
                                            std::to_string(o.api_max_inflight) + "); retry shortly");
        early->headers.emplace_back("Retry-After", "1");
      }
    }
    const bool workspace_path =
        path == "/api/workspaces" || path.starts_with("/api/workspaces/") || path == captures_path;
    detail::http_reply reply =
        early            ? std::move(*early)
        : workspace_path ? workspaces_endpoint(*st, req, path)
                         : st->api.handle(sv(req.method_string()), path, *query, sv(req[http::field::if_none_match]),
                                          ws ? ws->source : st->api.live());
    const bool keep = co_await write_reply(stream, reply, req, o.http_timeout);
    if (!keep) break;
  }
  co_await shutdown_stream_async(stream);
}

net::awaitable<void> serve_tls(std::shared_ptr<shared_state> st, tcp::socket sock, slot conn) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *st->opt.tls);
  beast::get_lowest_layer(stream).expires_after(st->opt.http_header_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (ec) co_return;
  co_await serve_http(st, std::move(stream), true, std::move(conn));
}

// Over http_max_connections: a short 503 (read the request first, so closing does not reset
// the answer away), with its own small budget of connections and time; TLS ones are closed.
net::awaitable<void> refuse_http(std::shared_ptr<shared_state> st, tcp::socket sock, [[maybe_unused]] slot refusing) {
  beast::tcp_stream stream(std::move(sock));
  stream.expires_after(std::chrono::milliseconds(500));
  beast::flat_buffer buffer(16 * 1024);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8 * 1024);
  co_await http::async_read_header(stream, buffer, parser, use_tuple);
  http::response<http::string_body> res{http::status::service_unavailable, 11};
  res.set(http::field::server, server_name);
  res.set(http::field::content_type, "application/json");
  res.set(http::field::retry_after, "1");
  res.body() = "{\"error\":\"too many HTTP connections (at most " + std::to_string(st->opt.http_max_connections) +
               "); retry shortly\"}";
  res.keep_alive(false);
  res.prepare_payload();
  stream.expires_after(std::chrono::milliseconds(500));
  co_await http::async_write(stream, res, use_tuple);
  shutdown_stream(stream);
}

net::awaitable<void> accept_loop(std::shared_ptr<shared_state> st, tcp::acceptor& acceptor) {
  constexpr std::size_t max_refusing = 16;
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
    slot conn = slot::take(st->count.http_connections, st->opt.http_max_connections);
    if (!conn) {
      st->count.http_refused_connections.fetch_add(1, std::memory_order_relaxed);
      slot refusing = st->opt.tls ? slot() : slot::take(st->count.http_refusing, max_refusing);
      if (refusing) {
        net::co_spawn(ex, refuse_http(st, std::move(sock), std::move(refusing)), net::detached);
      } else {
        error_code ignored;
        sock.close(ignored);
      }
      continue;
    }
    if (st->opt.tls) net::co_spawn(ex, serve_tls(st, std::move(sock), std::move(conn)), net::detached);
    else net::co_spawn(ex, serve_http(st, beast::tcp_stream(std::move(sock)), false, std::move(conn)), net::detached);
  }
}

class server_metrics final : public analysis::metrics_source {
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
    one("smppscope_http_connections", "gauge", "HTTP connections open now (WebSocket clients apart).",
        c_.http_connections);
    one("smppscope_http_api_inflight", "gauge", "API and /metrics requests being answered now.",
        c_.api_inflight);
    append_metric_header(out, "smppscope_http_refused_total", "counter",
                         "HTTP requests and connections refused with 503, by reason.");
    append_metric_sample(out, "smppscope_http_refused_total", "reason=\"connections\"",
                         c_.http_refused_connections.load(std::memory_order_relaxed));
    append_metric_sample(out, "smppscope_http_refused_total", "reason=\"api_busy\"",
                         c_.http_refused_busy.load(std::memory_order_relaxed));
    one("smppscope_http_timeouts_total", "counter",
        "HTTP connections closed because a request header, the next request or a write took too long.",
        c_.http_timeouts);
    append_metric_header(out, "smppscope_web_workspaces", "gauge", "Uploaded captures open in the web UI now.");
    append_metric_sample(out, "smppscope_web_workspaces", {}, workspaces_());
    append_metric_header(out, "smppscope_web_capture_uploads_total", "counter",
                         "Captures uploaded to the web UI, by result.");
    const std::pair<std::string_view, const std::atomic<std::uint64_t>*> results[] = {
        {"result=\"loaded\"", &c_.captures_loaded},
        {"result=\"too_large\"", &c_.captures_too_large},
        {"result=\"bad_capture\"", &c_.captures_bad},
        {"result=\"no_workspace\"", &c_.captures_refused}};
    for (const auto& [labels, v] : results)
      append_metric_sample(out, "smppscope_web_capture_uploads_total", labels, v->load(std::memory_order_relaxed));
  }
  std::function<std::uint64_t()> workspaces_;

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
  const analysis::event_ring& ring;
  const analysis::session_table& sessions;
  metrics_registry& registry;
  counters count;
  server_metrics metrics{count};
  detail::workspace_registry workspaces;
  net::io_context ioc;
  net::thread_pool loader{1};  // uploaded captures are analysed here, off the I/O threads
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<tcp::endpoint> bound;
  std::shared_ptr<shared_state> state;
  std::vector<std::thread> threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  bool started = false;

  impl(server_options o, const analysis::event_ring& r, const analysis::session_table& s,
       metrics_registry& m)
      : opt(std::move(o)), ring(r), sessions(s), registry(m),
        workspaces(opt.max_workspaces, opt.capture_temp_parent) {
    metrics.workspaces_ = [this] { return static_cast<std::uint64_t>(workspace_count()); };
  }
  std::size_t workspace_count() const;
};

std::size_t server::impl::workspace_count() const { return workspaces.size(); }

server::server(server_options opt, const analysis::event_ring& ring,
               const analysis::session_table& sessions, metrics_registry& metrics)
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

  m.state = std::make_shared<shared_state>(m.opt, m.ring, m.sessions, m.registry, m.count, m.workspaces, m.ioc,
                                           m.loader.get_executor());
  m.state->hub = std::make_shared<detail::ws_hub>(m.ioc, m.ring, m.opt.ws_batch_interval,
                                                  m.opt.ws_batch_events, m.count.hub);
  m.state->hub->set_annotator(m.opt.annotate);
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
  m.loader.stop();
  m.loader.join();
  m.workspaces.close_all();  // their files go now; the directory with the registry
}

std::string server::capture_dir() const { return impl_->workspaces.dir().string(); }

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
  s.http_connections = c.http_connections.load(std::memory_order_relaxed);
  s.http_api_inflight = c.api_inflight.load(std::memory_order_relaxed);
  s.http_refused_connections = c.http_refused_connections.load(std::memory_order_relaxed);
  s.http_refused_busy = c.http_refused_busy.load(std::memory_order_relaxed);
  s.http_timeouts = c.http_timeouts.load(std::memory_order_relaxed);
  s.workspaces = impl_->workspace_count();
  s.captures_loaded = c.captures_loaded.load(std::memory_order_relaxed);
  s.captures_too_large = c.captures_too_large.load(std::memory_order_relaxed);
  s.captures_bad = c.captures_bad.load(std::memory_order_relaxed);
  s.captures_refused = c.captures_refused.load(std::memory_order_relaxed);
  return s;
}

}  // namespace smppscope::web
