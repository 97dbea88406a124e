// SMPP load generator: binds S sessions, keeps at most W submit_sm in flight per session, at an
// optional fixed rate, answers deliver_sm and enquire_link, waits for delivery receipts and
// unbinds. Runs on one thread. Submits are pre-encoded templates whose sequence_number (and
// concatenation reference) are patched in place; writes are batched; nothing is allocated per
// PDU once the tables have grown to the window size.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "smppscope/profile/provider_profile.hpp"
#include "smppscope/sim/cmpp_load.hpp"
#include "smppscope/sim/dlr.hpp"
#include "smppscope/sim/latency_histogram.hpp"

namespace smppscope::sim {
namespace detail {
struct load_state;
}  // namespace detail

enum class message_kind : std::uint8_t {
  gsm7,  // one-part GSM 7-bit text (data_coding 0, unpacked)
  ucs2,  // one-part UCS2 text (data_coding 8)
  long_gsm7,  // three-part GSM 7-bit text, concatenated with an 8-bit reference UDH
};
// "gsm7,ucs2,long"; nullopt on an unknown name (and *error says which).
std::optional<std::vector<message_kind>> parse_message_mix(std::string_view spec, std::string* error = nullptr);

enum class bind_mode : std::uint8_t { transceiver, transmitter };

// The protocol spoken; CMPP runs are driven by cmpp_load.cpp (see cmpp_load.hpp for what the
// options mean there).
enum class load_protocol : std::uint8_t { smpp, cmpp2, cmpp3 };

struct load_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  std::string system_id, password, system_type;
  std::uint64_t count = 1000;  // messages (a long message is several submit_sm); 0: until stop()
  unsigned window = 10;
  // Adapt the window per session to what the SMSC accepts (AIMD): start at `window`, halve it on a
  // throttled response, grow it by one per window of clean responses, never above window_max.
  bool window_auto = false;
  unsigned window_max = 1000;
  // A submit_sm answered ESME_RTHROTTLED or ESME_RMSGQFUL is sent again, at most retry_max times,
  // after the session has paused sending: retry_backoff, doubled for each further burst answered
  // only "not now", at most retry_backoff_max. retry_max 0: such answers are failures.
  unsigned retry_max = 10;
  std::chrono::milliseconds retry_backoff{10};
  std::chrono::milliseconds retry_backoff_max{2000};
  double rate = 0;             // messages per second over all sessions; 0: as fast as the window allows
  bool rate_counts_pdus = false;  // the rate counts submit_sm (each part of a long message), as providers do
  unsigned sessions = 1;
  bind_mode bind = bind_mode::transceiver;  // transmitter: one extra receiver binds for the DLRs
  std::vector<message_kind> mix{message_kind::gsm7};
  bool registered_delivery = false;
  std::chrono::milliseconds timeout{10000};  // no response / no new DLR for this long: give up
  std::chrono::seconds enquire_link_interval{0};  // 0: never send our own
  bool tls = false;
  bool insecure = false;  // TLS without certificate verification
  std::string ca_file;    // TLS trust anchors; empty: the system's
  std::string source_addr = "smppscope", destination_addr = "447700900000";
  std::uint32_t max_pdu = 64 * 1024;
  profile::profile_ptr profile;  // names the provider's own statuses in the report (see apply_profile_limits)
  load_protocol protocol = load_protocol::smpp;
  std::vector<cmpp_text> cmpp_mix{cmpp_text::ascii};  // CMPP's message kinds, in turn
};

struct load_progress {
  double elapsed_s = 0;
  std::uint64_t sent = 0, acknowledged = 0, errors = 0, in_flight = 0, dlrs = 0;
  std::uint64_t throttled = 0;  // responses that asked us to slow down (retried, not failures)
  double rate_per_s = 0;  // acknowledged per second since the previous report
};

struct load_report {
  std::string target;
  unsigned sessions = 0;
  bool bind_failed = false;
  std::string failure;       // why the run could not complete (bind, connect, TLS, ...)
  std::uint64_t messages = 0;  // messages completely handed to the socket
  std::uint64_t sent = 0;      // submit_sm PDUs
  std::uint64_t acknowledged = 0;  // submit_sm_resp ESME_ROK
  std::map<std::string, std::uint64_t> errors;  // status name (or 0x%08X) -> submit_sm_resp count
  std::uint64_t errors_total = 0;
  // ESME_RTHROTTLED / ESME_RMSGQFUL answers that were retried (not failures); a submit that runs
  // out of retries counts once in errors instead.
  std::map<std::string, std::uint64_t> throttled;  // status name -> count
  std::uint64_t throttled_total = 0;
  std::uint64_t retries = 0;  // submit_sm sent again (included in `sent`)
  bool window_auto = false;
  unsigned window_final_min = 0, window_final_max = 0;  // per-session window at the end (auto)
  std::uint64_t timed_out = 0;  // submit_sm without a response when the timeout struck
  double elapsed_s = 0;         // first submit to last response
  double throughput = 0;        // submit_sm_resp per second over elapsed_s
  latency_histogram submit_latency;  // submit_sm -> submit_sm_resp
  std::uint64_t dlrs_expected = 0;   // acknowledged submits that asked for a receipt
  std::uint64_t dlrs_received = 0;
  std::uint64_t dlrs_matched = 0;          // id equal to a submit_sm_resp message_id
  std::uint64_t dlrs_matched_decimal = 0;  // id is that message_id written in decimal
  std::uint64_t dlrs_unmatched = 0;
  std::map<std::string, std::uint64_t> dlr_states;  // "DELIVRD" -> count
  latency_histogram dlr_latency;     // submit_sm -> matching DLR
  std::uint64_t mo_received = 0;     // deliver_sm that are not receipts
  std::uint64_t enquire_links_answered = 0;  // the SMSC's enquire_link
  std::uint64_t enquire_links_sent = 0;      // ours (enquire_link_interval)
  std::uint64_t generic_nacks = 0;
  std::uint64_t rebinds = 0;  // sessions bound again after the SMSC unbound them mid-run
  bool ok() const noexcept { return !bind_failed && failure.empty() && errors_total == 0 && timed_out == 0; }
};

// Keeps `options` within a provider's limits: its window (per session), its rate per connection
// (times the sessions), a bind type it allows, no more sessions than the account may bind, its
// recommended enquire_link interval. Only what the caller has not fixed itself (`keep_*`) is
// changed. Returns one line per change, for the user.
struct profile_overrides {
  bool keep_window = false, keep_rate = false, keep_bind = false, keep_sessions = false, keep_enquire_link = false;
};
std::vector<std::string> apply_profile_limits(load_options& options, const profile::provider_profile& p,
                                              profile_overrides keep = {});

std::string to_json(const load_report& r);
std::string to_text(const load_report& r);

class load_generator {
 public:
  explicit load_generator(load_options options);
  ~load_generator();
  load_generator(const load_generator&) = delete;
  load_generator& operator=(const load_generator&) = delete;

  // Called from the run() thread every `every` with the running totals.
  void on_progress(std::function<void(const load_progress&)> cb, std::chrono::milliseconds every);
  // Blocks until the run completes, fails, or stop() is called; a stopped run unbinds cleanly.
  load_report run();
  void stop();   // thread-safe: send nothing more, wait for what is in flight, unbind
  void abort();  // thread-safe: end run() now, without unbinding

 private:
  std::unique_ptr<detail::load_state> impl_;
};

}  // namespace smppscope::sim
