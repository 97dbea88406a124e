// Test peers for the proxy tests: blocking POSIX sockets with optional OpenSSL on top (written
// independently of the proxy's Asio code), a throwaway PKI, SMPP byte streams and a log sink.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "smppscope/proxy/proxy.hpp"

namespace smppscope::proxy::test {

using bytes = std::vector<std::uint8_t>;

// ---- a connection: fd plus optional TLS ----------------------------------------------------
class conn {
 public:
  conn() = default;
  explicit conn(int fd, SSL* ssl = nullptr) : fd_(fd), ssl_(ssl) {}
  conn(conn&& o) noexcept : fd_(o.fd_), ssl_(o.ssl_) { o.fd_ = -1; o.ssl_ = nullptr; }
  conn& operator=(conn&& o) noexcept;
  ~conn();

  bool valid() const { return fd_ >= 0; }
  int release() { const int f = fd_; fd_ = -1; return f; }
  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_; }
  // Returns false on error.
  bool write_all(const std::uint8_t* p, std::size_t n);
  bool write_all(const bytes& b) { return write_all(b.data(), b.size()); }
  // Writes `b` in random-sized pieces (1 octet .. max_piece).
  bool write_chunked(const bytes& b, std::mt19937_64& rng, std::size_t max_piece = 64 * 1024);
  // >0 octets, 0 on orderly EOF (FIN or close_notify), -1 on error or timeout.
  long read_some(std::uint8_t* p, std::size_t n);
  // Reads until EOF (or error); `ok` tells whether it ended with an orderly EOF.
  bytes read_to_eof(bool* ok = nullptr);
  bool read_exact(std::uint8_t* p, std::size_t n);
  // TLS: close_notify first. Then shutdown(SHUT_WR).
  void shutdown_send();
  // Both directions at once from one thread (an SSL object must not be used by two threads):
  // writes `out` in random pieces as write_chunked does, then half-closes, while reading into
  // `in` until the peer's orderly EOF. False on error, on an unclean EOF or after `timeout`.
  bool duplex(const bytes& out, std::mt19937_64& rng, bytes& in,
              std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void close();
  // Abortive close (RST).
  void reset();
  void set_timeout(std::chrono::milliseconds t);

 private:
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

// Connects to host:port (IPv4 or IPv6 literal). Invalid conn on failure.
conn connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(20));
// TLS client over a new TCP connection; nullopt-equivalent (invalid conn) when the handshake fails.
conn connect_tls(SSL_CTX* ctx, const std::string& host, std::uint16_t port, const std::string& sni = "localhost");

// ---- a listening server: one thread per accepted connection --------------------------------
class server {
 public:
  using handler = std::function<void(conn&)>;
  // `tls` null: plain TCP. backlog 0 and accept=false: a listener that never accepts.
  server(handler h, const std::string& host = "127.0.0.1", SSL_CTX* tls = nullptr, bool accept = true, int backlog = 1024);
  ~server();
  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  int handshake_failures() const { return tls_failures_.load(); }
  void wait_handlers();  // joins finished and running handler threads

 private:
  void run();
  handler handler_;
  SSL_CTX* tls_;
  int fd_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<int> tls_failures_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::thread> handlers_;
};

// ---- TLS material ---------------------------------------------------------------------------
struct pki {
  std::filesystem::path dir;
  std::filesystem::path ca_cert, leaf_cert, leaf_key;          // CA 1 and a leaf for localhost/127.0.0.1/::1
  std::filesystem::path other_ca_cert, other_leaf_cert, other_leaf_key;  // CA 2, same names
};
// Generates two self-signed CAs (EC P-256) and one leaf from each into a fresh temp directory.
const pki& test_pki();

struct ssl_ctx_deleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_deleter>;
ssl_ctx_ptr server_ctx(const std::filesystem::path& cert, const std::filesystem::path& key, int max_version = 0);
// Client context trusting `ca` (empty: no verification). max_version 0 = library maximum.
ssl_ctx_ptr client_ctx(const std::filesystem::path& ca, int max_version = 0);

// ---- SMPP byte streams ----------------------------------------------------------------------
// `count` well-formed PDUs of assorted commands and sizes (16..~1200 octets), raw wire bytes.
bytes make_pdu_stream(std::size_t count, std::uint64_t seed);
bytes pdu(std::uint32_t command_id, std::uint32_t seq, const bytes& body = {}, std::uint32_t status = 0);
bytes bind_transceiver(std::uint32_t seq, std::string_view system_id, std::string_view password);

// ---- log capture -----------------------------------------------------------------------------
class log_sink {
 public:
  std::function<void(std::string_view)> fn();
  // Waits until a line containing `needle` appears; returns it ("" on timeout).
  std::string wait_for(std::string_view needle, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::vector<std::string> lines() const;
  bool contains(std::string_view needle) const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

// Polls `pred` every few ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// proxy_options for 127.0.0.1:0 -> 127.0.0.1:port with logs into `sink`.
proxy_options local_options(std::uint16_t upstream_port, log_sink& sink);

// Picks a loopback port nobody listens on (bound then closed).
std::uint16_t unused_port();

// Echoes everything back; half-closes when the client does.
server::handler echo_handler();

}  // namespace smppscope::proxy::test
