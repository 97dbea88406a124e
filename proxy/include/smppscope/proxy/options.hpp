// Everything `smppscope proxy` is told on the command line that the relay itself needs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/analysis/tap.hpp"
#include "smppscope/proxy/allow_list.hpp"
#include "smppscope/proxy/host_port.hpp"
#include "smppscope/proxy/tls.hpp"

namespace smppscope::proxy {

// SO_KEEPALIVE with TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT on both legs, so a peer that
// vanished without FIN or RST (power loss, a NAT that forgot the flow) ends its session after
// idle + interval x count. idle 0: no keepalive.
struct tcp_keepalive_options {
  std::chrono::seconds idle{60};
  std::chrono::seconds interval{15};
  unsigned count = 4;
};

// Bounds of max_pdu: the SMPP header, and a size no SMPP peer needs (the framer and the
// analysis buffers are sized by it).
inline constexpr std::uint32_t min_max_pdu = 16;
inline constexpr std::uint32_t max_max_pdu = 16u * 1024 * 1024;

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

  // Resource limits. A refused connection is closed at once, logged and counted.
  std::size_t max_sessions = 10'000;   // sessions at once, any stage; 0: no limit
  std::size_t max_sessions_per_ip = 0; // sessions at once from one client address; 0: no limit
  // No byte relayed either way for this long ends the session. 0: never (SMPP sessions may be
  // quiet for minutes between enquire_links).
  std::chrono::milliseconds idle_timeout{0};
  // One write (at most buffer_size octets) not finished in this long means the receiving peer
  // stopped reading: the session ends instead of holding its buffers forever. 0: never.
  std::chrono::milliseconds write_timeout{30'000};
  tcp_keepalive_options keepalive;

  // Empty, or exactly one queue per relay thread (relay thread i is the only producer of taps[i]).
  // The queues must outlive the proxy.
  std::vector<analysis::tap_queue*> taps;
  // One line without the trailing newline; called from any relay thread. Default: stderr.
  std::function<void(std::string_view)> log;
  // Id of the first session; later ones count up. Proxies feeding one analyzer start apart.
  std::uint64_t first_session_id = 1;
  // Asked once when a session closes, from its relay thread; "" when unknown.
  std::function<std::string(std::uint64_t session)> system_id_of;
};

}  // namespace smppscope::proxy
