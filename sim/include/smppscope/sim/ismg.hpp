// CMPP ISMG simulator (CMPP 2.0 or 3.0 gateway): accepts SP connections over TCP or TLS, checks
// the CONNECT authenticator, answers SUBMIT with real Msg_Ids, sends status reports, MO DELIVERs
// and its own ACTIVE_TESTs, and has the SMPP simulator's window, rate and fault modes.
//
//   accept --> ismg connection<Stream> (one per SP, on one io_context thread)
//                 read --> CMPP framer --> ismg_core::on_frame --> responses into out buffer
//                 scheduler timer --> ismg_core::on_tick --> reports, MO, ACTIVE_TEST, delayed resps
//                 out buffer --> one batched async_write at a time
//   A status report goes out on the connection that submitted the message (CMPP SP connections
//   carry both directions).
#pragma once

#include <memory>

#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/sim/simulator.hpp"

namespace smppscope::sim {
namespace detail {
struct ismg_state;
}  // namespace detail

// The SMPP simulator's options with CMPP meanings where they differ:
//   credentials      Source_Addr -> shared secret; empty: any CONNECT is accepted
//   system_id        unused
//   enquire_link_interval  idle time before the ISMG sends ACTIVE_TEST
//   window, rate     above them SUBMIT is answered Result 8 (flow control)
//   error_status     the SUBMIT_RESP Result for error_rate
//   no_enquire_link_resp / drop_after_enquire_link  apply to ACTIVE_TEST
//   dlr_ids          mismatch: reports carry a Msg_Id no SUBMIT_RESP had; decimal acts as hex
//   gsm7             unused (MO text is ASCII, UCS2 or GBK)
struct ismg_options : simulator_options {
  ismg_options() {
    port = 7890;                                     // CMPP long connection, SP <-> ISMG
    enquire_link_interval = std::chrono::seconds(180);  // C = 3 min idle (CMPP 3.0 section 6)
    window = 16;                                     // W = 16
    error_status = 9;                                // "other error"
  }
  // Highest version spoken. A 2.0 SP is served in 2.0 by a 3.0 ISMG; a 3.0 SP connecting to a 2.0
  // ISMG is refused with Status 4 (version too high) and Version 0x20.
  decoder::cmpp::version version = decoder::cmpp::version::v20;
  std::uint32_t gateway_code = 123456;  // ISMG code in Msg_Ids (22 bits)
};

class ismg {
 public:
  explicit ismg(ismg_options options);
  ~ismg();
  ismg(const ismg&) = delete;
  ismg& operator=(const ismg&) = delete;

  // Opens the listener; throws std::runtime_error naming the address when it cannot.
  void start();
  std::uint16_t port() const noexcept;
  void run();   // runs the io threads until stop()
  void stop();  // thread-safe
  void set_stalled(bool stalled) noexcept;  // thread-safe: neither read nor answer nor send
  // sessions_bound counts accepted CONNECTs, submits CMPP_SUBMITs, dlrs_sent status reports,
  // unbinds answered TERMINATEs.
  simulator_stats stats() const noexcept;

 private:
  std::unique_ptr<detail::ismg_state> impl_;
};

}  // namespace smppscope::sim
