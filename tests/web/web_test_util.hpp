// Helpers for the web tests: a capture rig fed in-process (analyzer.process), an HTTP client and
// a WebSocket client (Beast, each on its own io_context with a deadline), PDU builders, tshark.
#pragma once

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/web/metrics.hpp"
#include "smppscope/web/server.hpp"

namespace web_test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
namespace sc = smppscope::analysis;
namespace sd = smppscope::decoder;
namespace sw = smppscope::web;
using tcp = net::ip::tcp;
using bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// ---- PDUs ----
inline bytes submit_sm(std::uint32_t seq, std::string_view text, std::string_view src = "447700900001",
                       std::string_view dst = "447700900002") {
  return sd::pdu_builder(sd::command_id::submit_sm, seq)
      .set("source_addr", src)
      .set("destination_addr", dst)
      .set("data_coding", 1u)
      .short_message({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()})
      .bytes();
}
inline bytes submit_sm_resp(std::uint32_t seq, std::uint32_t status, std::string_view id = "msg-1") {
  if (status != 0) return sd::pdu_builder(sd::command_id::submit_sm_resp, seq, status).header_only().bytes();
  return sd::pdu_builder(sd::command_id::submit_sm_resp, seq).set("message_id", id).bytes();
}
inline bytes deliver_sm(std::uint32_t seq, std::string_view text) {
  return sd::pdu_builder(sd::command_id::deliver_sm, seq)
      .set("source_addr", "447700900002")
      .set("destination_addr", "447700900001")
      .set("data_coding", 1u)
      .short_message({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()})
      .bytes();
}
inline bytes bind_trx(std::uint32_t seq, std::string_view system_id, std::string_view password) {
  return sd::pdu_builder(sd::command_id::bind_transceiver, seq)
      .set("system_id", system_id)
      .set("password", password)
      .set("interface_version", 0x34u)
      .bytes();
}
inline bytes bind_trx_resp(std::uint32_t seq) {
  return sd::pdu_builder(sd::command_id::bind_transceiver_resp, seq).set("system_id", "SMSC").bytes();
}

inline sc::endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  sc::endpoint e;
  e.addr[0] = a;
  e.addr[1] = b;
  e.addr[2] = c;
  e.addr[3] = d;
  e.port = port;
  return e;
}

// ---- capture without a proxy: records go straight into analyzer.process() ----
struct capture_rig {
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer analyzer;
  sw::metrics_registry registry;
  sw::pdu_counter counter;
  sw::capture_metrics cm;

  explicit capture_rig(sc::event_ring_options ro = {})
      : ring(ro), analyzer(ring, sessions), cm(ring, sessions, &analyzer) {
    analyzer.add_observer(counter);
    registry.add(counter);
    registry.add(cm);
  }
  void open(std::uint64_t session) {
    sc::tap_record r;
    r.kind = sc::record_kind::session_open;
    r.session = session;
    r.ts_us = sc::now_us();
    r.client = v4(10, 0, 0, 1, static_cast<std::uint16_t>(40000 + session));
    r.proxy_client_side = v4(10, 0, 0, 2, 2775);
    r.proxy_upstream_side = v4(10, 0, 0, 2, static_cast<std::uint16_t>(50000 + session));
    r.upstream = v4(10, 0, 0, 3, 2776);
    analyzer.process(r);
  }
  void send(std::uint64_t session, sc::direction d, const bytes& b) {
    sc::tap_record r;
    r.kind = sc::record_kind::data;
    r.session = session;
    r.dir = d;
    r.ts_us = sc::now_us();
    r.bytes = b;
    analyzer.process(r);
  }
  void close(std::uint64_t session, std::string_view why = "client closed") {
    sc::tap_record r;
    r.kind = sc::record_kind::session_close;
    r.session = session;
    r.ts_us = sc::now_us();
    r.bytes = {reinterpret_cast<const std::uint8_t*>(why.data()), why.size()};
    analyzer.process(r);
  }
  static constexpr auto up = sc::direction::esme_to_smsc;
  static constexpr auto down = sc::direction::smsc_to_esme;
};

// ---- HTTP ----
struct http_result {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // transport failure
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  json::value json_body() const { return json::parse(body); }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

template <class Stream>
inline net::awaitable<void> http_exchange(Stream& stream, http::request<http::string_body>& req,
                                          http_result& out) {
  co_await http::async_write(stream, req, net::use_awaitable);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(512u << 20);
  if (req.method() == http::verb::head) parser.skip(true);
  co_await http::async_read(stream, buf, parser, net::use_awaitable);
  auto res = parser.release();
  out.status = res.result_int();
  out.body = std::move(res.body());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
}

// One request on a new connection; `tls` set: HTTPS with that client context.
inline http_result http_do(std::uint16_t port, std::string target, const header_list& headers = {},
                           http::verb method = http::verb::get, net::ssl::context* tls = nullptr,
                           std::string host = "127.0.0.1") {
  net::io_context ioc;
  http_result out;
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  req.set(http::field::user_agent, "smppscope-test");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.prepare_payload();
  bool done = false;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
        if (tls) {
          beast::ssl_stream<beast::tcp_stream> s(ioc, *tls);
          co_await beast::get_lowest_layer(s).async_connect(ep, net::use_awaitable);
          co_await s.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
          co_await http_exchange(s, req, out);
        } else {
          beast::tcp_stream s(ioc);
          co_await s.async_connect(ep, net::use_awaitable);
          co_await http_exchange(s, req, out);
        }
      },
      [&](std::exception_ptr e) {
        done = true;
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            out.error = x.what();
          }
        }
      });
  ioc.run_for(30s);
  if (!done) out.error = "timed out";
  return out;
}

inline http_result http_get(std::uint16_t port, std::string target, const header_list& headers = {}) {
  return http_do(port, std::move(target), headers);
}

// ---- WebSocket client: a read loop fills an inbox; the test pumps the io_context ----
class ws_client {
 public:
  ws_client() : ws_(ioc_) {}
  // Small receive buffer (set before connect) for clients meant to fall behind.
  bool connect(std::uint16_t port, const header_list& headers = {}, int rcvbuf = 0,
               std::string target = "/ws") {
    bool done = false;
    auto& sock = beast::get_lowest_layer(ws_).socket();
    sock.open(tcp::v4());
    if (rcvbuf) sock.set_option(net::socket_base::receive_buffer_size(rcvbuf));
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
          if (ec) {
            error_ = ec.message();
            done = true;
            return;
          }
          ws_.async_handshake(upgrade_, "127.0.0.1:" + std::to_string(port), target,
                              [&](beast::error_code ec2) {
                                done = true;
                                if (ec2) error_ = ec2.message();
                              });
        });
    pump_until([&] { return done; }, 10s);
    if (!done || !error_.empty()) return false;
    ws_.read_message_max(512u << 20);
    start_read();
    return true;
  }
  const std::string& error() const { return error_; }
  int upgrade_status() const { return upgrade_.result_int(); }

  void send(const std::string& text) {
    bool done = false;
    out_ = text;
    ws_.text(true);
    ws_.async_write(net::buffer(out_), [&](beast::error_code ec, std::size_t) {
      done = true;
      if (ec) error_ = ec.message();
    });
    pump_until([&] { return done; }, 10s);
  }

  // Next message (text), pumping up to `timeout`.
  std::optional<std::string> next(std::chrono::milliseconds timeout = 10s) {
    pump_until([&] { return !inbox_.empty() || closed_; }, timeout);
    if (inbox_.empty()) return std::nullopt;
    std::string m = std::move(inbox_.front());
    inbox_.pop_front();
    return m;
  }

  // Events of the next messages, flattened (arrays -> objects), until `stop` says so or timeout.
  std::vector<json::object> events_until(const std::function<bool(const std::vector<json::object>&)>& stop,
                                         std::chrono::milliseconds timeout = 15s) {
    std::vector<json::object> got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!stop(got)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) break;
      auto m = next(left);
      if (!m) break;
      const json::value v = json::parse(*m);
      if (v.is_array()) {
        for (const auto& e : v.as_array()) got.push_back(e.as_object());
      } else {
        got.push_back(v.as_object());
      }
    }
    return got;
  }

  bool closed() const { return closed_; }
  // Runs the io_context (reads) for a while.
  void pump(std::chrono::milliseconds d) { ioc_.restart(); ioc_.run_for(d); }
  template <class Pred>
  void pump_until(Pred p, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!p() && std::chrono::steady_clock::now() < deadline) {
      ioc_.restart();
      ioc_.run_one_for(20ms);
    }
  }
  std::size_t messages_received() const { return received_; }

 private:
  void start_read() {
    ws_.async_read(buf_, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        closed_ = true;
        return;
      }
      inbox_.push_back(beast::buffers_to_string(buf_.data()));
      buf_.consume(buf_.size());
      ++received_;
      start_read();
    });
  }

  net::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  websocket::response_type upgrade_;
  beast::flat_buffer buf_;
  std::deque<std::string> inbox_;
  std::string out_;
  std::string error_;
  bool closed_ = false;
  std::size_t received_ = 0;
};

// A PDU of `size` octets (header + zeros) with an unknown command id: kept raw, never an error.
inline bytes big_pdu(std::uint32_t seq, std::size_t size) {
  bytes b(size, 0);
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  };
  put32(0, static_cast<std::uint32_t>(size));
  put32(4, 0x00010200u);
  put32(12, seq);
  return b;
}

// Resident set size of this process.
inline std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%lu %lu", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// A plain blocking TCP client for hostile-client tests: it writes what it is told and reads
// only when asked (with a deadline), so it can stall a server's writes on purpose.
class raw_conn {
 public:
  // `rcvbuf` > 0: a small receive buffer (set before connecting), for a reader that stalls.
  explicit raw_conn(std::uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~raw_conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;
  bool connected() const { return ok_; }
  bool send(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads until the peer closes or `timeout` passes; true when it closed.
  bool read_until_closed(std::chrono::milliseconds timeout, std::string* got = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[16384];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds(0)) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;
      if (got) got->append(buf, static_cast<std::size_t>(n));
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// Waits for `p` up to `timeout` (checking every 10 ms).
template <class Pred>
inline bool wait_for(Pred p, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!p()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// ---- outside tools ----
inline std::string run_command(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (status) *status = rc;
  return out;
}

inline std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("smppscope-web-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace web_test
