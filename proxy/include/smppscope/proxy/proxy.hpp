// The relay: accepts ESMEs, connects each to the SMSC, copies bytes both ways unchanged and hands
// a copy of every chunk to analysis::tap_queue. See detail/session.hpp for the data flow.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "smppscope/proxy/options.hpp"

namespace smppscope::proxy {

struct proxy_stats {
  std::uint64_t accepted = 0;           // TCP connections accepted (allowed or not)
  std::uint64_t rejected = 0;           // refused by the allow-list
  std::uint64_t client_tls_failures = 0;
  std::uint64_t upstream_failures = 0;  // connect or TLS handshake to the SMSC failed
  std::uint64_t opened = 0;             // sessions relaying
  std::uint64_t closed = 0;             // sessions that ended after opening
  std::uint64_t active = 0;             // accepted and not yet finished (any stage)
  std::uint64_t refused_max_sessions = 0;  // refused: max_sessions reached
  std::uint64_t refused_per_ip = 0;        // refused: max_sessions_per_ip reached for that address
  std::uint64_t accept_failures = 0;       // accept() errors (EMFILE, ENFILE, ENOBUFS...)
  std::uint64_t idle_timeouts = 0;         // sessions ended by idle_timeout
  std::uint64_t write_timeouts = 0;        // sessions ended by write_timeout
  std::uint64_t bytes_esme_to_smsc = 0; // relayed so far, all sessions
  std::uint64_t bytes_smsc_to_esme = 0;
  // Relay buffers (proxy_options::buffer_size each): lent to a direction while its bytes are in
  // flight (and held by TLS sources), and allocated = lent + kept for reuse. An idle plain-TCP
  // session holds none.
  std::uint64_t relay_buffers_lent = 0;
  std::uint64_t relay_buffers_allocated = 0;
};

class proxy {
 public:
  // Builds the TLS contexts; throws std::runtime_error with a message for the user.
  explicit proxy(proxy_options options);
  ~proxy();  // stop()
  proxy(const proxy&) = delete;
  proxy& operator=(const proxy&) = delete;

  // Binds the listener(s) and starts the relay threads. Throws std::runtime_error
  // ("cannot listen on 127.0.0.1:2775: Address already in use").
  void start();
  // Stops accepting, ends every session (in-flight writes get options.stop_grace), joins the
  // threads. Idempotent; call from any thread but a relay thread.
  void stop();

  std::uint16_t port() const;                  // bound port of the first listener (for port 0)
  std::vector<std::string> listening() const;  // "127.0.0.1:2775", "[::1]:2775"
  proxy_stats stats() const;
  const proxy_options& options() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Raises the RLIMIT_NOFILE soft limit to the hard limit; returns the new soft limit.
std::uint64_t raise_fd_limit() noexcept;

}  // namespace smppscope::proxy
