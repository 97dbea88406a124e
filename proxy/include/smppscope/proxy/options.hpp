// Everything `smppscope proxy` is told on the command line that the relay itself needs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/capture/tap.hpp"
#include "smppscope/proxy/allow_list.hpp"
#include "smppscope/proxy/host_port.hpp"
#include "smppscope/proxy/tls.hpp"

namespace smppscope::proxy {

struct proxy_options {
  host_port listen{"127.0.0.1", 0};
  host_port upstream{"127.0.0.1", 2775};
  std::optional<tls_server_options> listen_tls;
  std::optional<tls_client_options> upstream_tls;
  allow_list allow;
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect and each TLS handshake
  std::chrono::milliseconds stop_grace{1'000};        // in-flight writes may finish within this
  unsigned threads = 1;                               // relay threads, one io_context each
  std::uint32_t max_pdu = 64 * 1024;                  // only for PDU counting; bytes flow anyway
  std::size_t buffer_size = 64 * 1024;                // one relay buffer: lent per chunk read, kept by TLS sources

  // Empty, or exactly one queue per relay thread (relay thread i is the only producer of taps[i]).
  // The queues must outlive the proxy.
  std::vector<capture::tap_queue*> taps;
  // One line without the trailing newline; called from any relay thread. Default: stderr.
  std::function<void(std::string_view)> log;
  // Asked once when a session closes, from its relay thread; "" when unknown.
  std::function<std::string(std::uint64_t session)> system_id_of;
};

}  // namespace smppscope::proxy
