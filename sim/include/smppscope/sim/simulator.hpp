// SMSC simulator: accepts ESME binds over TCP or TLS and answers like a provider would, with
// delivery receipts, MO traffic, its own enquire_links, window and rate limits, and fault modes.
//
//   accept --> connection<Stream> (one per ESME, on one io_context thread)
//                 read --> framer --> smsc_core::on_frame --> responses into out buffer
//                 scheduler timer --> smsc_core::on_tick --> DLRs, MO, enquire_link, delayed resps
//                 out buffer --> one batched async_write at a time
//   DLRs of a transmitter session are routed through the registry to a receiver of the same
//   system_id (posted to that connection's thread), or kept until one binds.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smppscope/decoder/text.hpp"
#include "smppscope/profile/provider_profile.hpp"
#include "smppscope/sim/dlr.hpp"

namespace smppscope::sim {
namespace detail {
struct simulator_state;
}  // namespace detail

// How the id in a delivery receipt relates to the submit_sm_resp message_id (which is hex).
enum class dlr_id_format : std::uint8_t {
  hex,       // the same string (what a well-behaved SMSC does)
  decimal,   // the same number written in decimal (a common provider quirk)
  mismatch,  // an id that matches no submit_sm_resp
};

struct simulator_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;  // 0 picks a free port (see simulator::port())
  unsigned threads = 1;
  std::string system_id = "smppscope";  // sent in bind_*_resp

  // system_id -> password; empty: any credentials are accepted.
  std::map<std::string, std::string, std::less<>> credentials;

  std::chrono::milliseconds dlr_delay{100};
  std::vector<dlr_mix_entry> dlr_mix = default_dlr_mix();
  dlr_id_format dlr_ids = dlr_id_format::hex;
  decoder::gsm7_packing gsm7 = decoder::gsm7_packing::unpacked;  // MO and receipt text (data_coding 0)
  double mo_rate = 0;  // MO deliver_sm per second to each receiver / transceiver session
  std::chrono::seconds enquire_link_interval{30};  // 0: never
  unsigned window = 10;  // unanswered requests per session before ESME_RTHROTTLED; 0: no limit
  double rate = 0;       // messages per second per session before ESME_RTHROTTLED; 0: no limit

  // Fault modes (combinable).
  std::chrono::milliseconds latency{0};          // added to every response
  std::optional<std::uint64_t> stop_submit_after;  // per session: submit_sm beyond N get no answer
  bool no_enquire_link_resp = false;
  double error_rate = 0;                  // fraction of submit_sm answered with error_status
  std::uint32_t error_status = 0x45;      // ESME_RSUBMITFAIL
  std::optional<std::uint64_t> drop_after_pdus;  // close after answering the N-th PDU received
  bool drop_after_enquire_link = false;  // close, unanswered, on the first enquire_link

  // The provider the simulator stands in for (nullptr: SMPP v3.4 alone). It refuses binds beyond
  // the profile's counts and bind types it does not allow, answers unsupported PDUs and
  // data_codings with the provider's statuses, throttles with its statuses, writes receipts in
  // its format with its TLVs and err: codes, and unbinds every forced_unbind_period. Its window
  // and rate are applied to `window` and `rate` by apply_profile_limits().
  profile::profile_ptr profile;
  double time_scale = 1;  // the profile's periods run this many times faster (tests)

  bool tls = false;
  std::string cert_file, key_file;
  std::uint32_t max_pdu = 64 * 1024;
  std::FILE* log = stderr;  // session open/bind/close lines; nullptr: silent
};

struct simulator_stats {
  std::uint64_t sessions_opened = 0;
  std::uint64_t sessions_bound = 0;
  std::uint64_t sessions_closed = 0;
  std::uint64_t pdus_in = 0;
  std::uint64_t pdus_out = 0;
  std::uint64_t submits = 0;          // submit_sm received
  std::uint64_t submits_ok = 0;       // answered ESME_ROK
  std::uint64_t throttled = 0;        // answered ESME_RTHROTTLED
  std::uint64_t errors_injected = 0;  // answered error_status by --error-rate
  std::uint64_t unanswered = 0;       // not answered on purpose (stop_submit_after)
  std::uint64_t dlrs_sent = 0;
  std::uint64_t mo_sent = 0;
  std::uint64_t unbinds = 0;          // unbind requests answered
  std::uint64_t binds_refused = 0;    // by the profile's bind rules (count or type)
  std::uint64_t unsupported = 0;      // requests refused as unsupported PDU or data_coding
  std::uint64_t forced_unbinds = 0;   // unbinds the simulator sent (profile's period)
};

// Sets options.window and options.rate from the profile's window and rate per connection
// (where it gives them).
void apply_profile_limits(simulator_options& options, const profile::provider_profile& p);

class simulator {
 public:
  explicit simulator(simulator_options options);
  ~simulator();
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  // Opens the listener. Throws std::runtime_error naming the address when it cannot (bad
  // certificate, address in use, ...). Call once, before run().
  void start();
  std::uint16_t port() const noexcept;  // the bound port, after start()

  // Runs the io_context threads (the calling thread is one of them) until stop().
  void run();
  // Thread-safe. Closes the listener and every session, and makes run() return.
  void stop();
  // Thread-safe. While stalled the simulator neither reads nor answers nor sends (a hung SMSC).
  void set_stalled(bool stalled) noexcept;

  simulator_stats stats() const noexcept;  // totals so far, from any thread

 private:
  std::unique_ptr<detail::simulator_state> impl_;
};

}  // namespace smppscope::sim
