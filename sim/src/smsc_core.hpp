// The simulator's protocol engine for one ESME connection. No I/O and no clock: it is fed framed
// PDUs and ticks with the current time, and appends what to send to a byte buffer. The
// connection (simulator.cpp) runs it on one thread; smsc_shared is reached from every thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/decoder/pdu.hpp"
#include "smppscope/sim/detail/byte_buffer.hpp"
#include "smppscope/sim/detail/fifo.hpp"
#include "smppscope/sim/dlr.hpp"
#include "smppscope/sim/simulator.hpp"

namespace smppscope::sim::detail {

using steady = std::chrono::steady_clock;

struct sim_time {
  steady::time_point now;
  std::int64_t unix_seconds = 0;
};

// Width of the hex submit_sm_resp message_id: fixed, so the response template is patched in place.
inline constexpr std::size_t message_id_digits = 12;

// Position of a field in a PDU spec, looked up by name once (the table stays the single
// source). Throws std::logic_error when the table has no such field.
std::size_t field_pos(const decoder::pdu_spec* spec, std::string_view name);

struct sim_counters {
  std::atomic<std::uint64_t> sessions_opened{0}, sessions_bound{0}, sessions_closed{0};
  std::atomic<std::uint64_t> pdus_in{0}, pdus_out{0}, submits{0}, submits_ok{0}, throttled{0};
  std::atomic<std::uint64_t> errors_injected{0}, unanswered{0}, dlrs_sent{0}, mo_sent{0}, unbinds{0};
  std::atomic<std::uint64_t> binds_refused{0}, unsupported{0}, forced_unbinds{0};
};

// Per-session counts, published to sim_counters in batches (no shared cache line per PDU).
struct session_counters {
  std::uint64_t pdus_in = 0, pdus_out = 0, submits = 0, submits_ok = 0, throttled = 0;
  std::uint64_t errors_injected = 0, unanswered = 0, dlrs_sent = 0, mo_sent = 0, unbinds = 0;
  std::uint64_t binds_refused = 0, unsupported = 0, forced_unbinds = 0;
};

enum class bind_kind : std::uint8_t { none, transmitter, receiver, transceiver };
std::string_view bind_kind_name(bind_kind b) noexcept;

// Bound sessions per system_id and per client host, for a profile's bind limits. Reached from
// every connection thread: one mutex, taken only on bind and close.
class bind_counts {
 public:
  // 0 when the bind may proceed (and is counted), else the status to refuse it with.
  std::uint32_t try_bind(const profile::provider_profile& p, bind_kind kind, const std::string& system_id,
                         const std::string& host);
  void release(bind_kind kind, const std::string& system_id, const std::string& host);

 private:
  struct account {
    std::uint32_t tx = 0, rx = 0, trx = 0;
  };
  std::mutex mu_;
  std::map<std::string, account, std::less<>> accounts_;
  std::map<std::string, std::uint32_t, std::less<>> hosts_;
};

// State every session of one simulator shares; const after construction except the atomics.
struct smsc_shared {
  explicit smsc_shared(const simulator_options& o);
  const simulator_options& opt;
  const profile::provider_profile* profile = nullptr;  // opt.profile.get()
  dlr_schedule schedule;
  bind_counts binds;
  steady::duration forced_unbind_period{};  // the profile's, divided by time_scale; 0: none
  std::vector<std::uint16_t> receipt_tlvs;   // standard TLV tags the profile's receipts carry
  std::vector<const profile::vendor_tlv*> receipt_vendor_tlvs;
  std::uint64_t first_message = 0;            // message numbers start here (time-derived)
  std::atomic<std::uint64_t> next_message{0};  // next number to hand out
  std::atomic<bool> stalled{false};
  sim_counters counters;

  // Pre-encoded PDUs patched in place.
  std::vector<std::uint8_t> submit_resp_template;  // submit_sm_resp, message_id of 12 hex digits
  std::vector<std::uint8_t> data_resp_template;    // data_sm_resp, same
  struct mo_text {
    std::vector<std::uint8_t> short_message;
    std::uint8_t data_coding;
  };
  std::vector<mo_text> mo_texts;

  // Field positions used on the hot path.
  const decoder::pdu_spec* submit_sm = nullptr;
  const decoder::pdu_spec* data_sm = nullptr;
  const decoder::pdu_spec* deliver_sm = nullptr;
  struct msg_fields {
    std::size_t source_ton, source_npi, source_addr, dest_ton, dest_npi, destination_addr;
    std::size_t esm_class, registered_delivery, data_coding, sm_length = SIZE_MAX, short_message = SIZE_MAX;
  };
  msg_fields submit_f{}, data_f{}, deliver_f{};
  bool deliver_prefix_ok = false;  // deliver_sm ends with sm_length, short_message (then TLVs)
};

// A receipt waiting for its due time: everything needed to write it later, inline.
struct dlr_record {
  steady::time_point due{};
  std::uint64_t message = 0;       // message number
  std::int64_t submit_unix = 0;
  std::uint8_t src_ton = 0, src_npi = 0, dst_ton = 0, dst_npi = 0;  // of the submit_sm
  std::uint8_t src_len = 0, dst_len = 0, text_len = 0;
  std::array<char, 21> src{}, dst{};
  std::array<char, 20> text{};
};

// Notified on bind (runs on the connection's thread).
class smsc_events {
 public:
  virtual void on_bind(bind_kind kind, std::string_view system_id, std::uint32_t status) = 0;
 protected:
  ~smsc_events() = default;
};

class smsc_core {
 public:
  enum class verdict : std::uint8_t { keep, close_after_flush, close_now };

  smsc_core(smsc_shared& shared, smsc_events& events);

  verdict on_frame(decoder::bytes_view frame, const sim_time& t, byte_buffer& out);
  // The ESME's stream broke (bad command_length): generic_nack ESME_RINVCMDLEN, then close.
  void on_framing_error(std::uint32_t sequence_number, byte_buffer& out);
  // Due delayed responses, receipts, MO and enquire_link. Receipts a transmitter session cannot
  // carry are appended to `foreign` for another session.
  void on_tick(const sim_time& t, byte_buffer& out, std::vector<dlr_record>& foreign);
  steady::time_point next_deadline() const noexcept;
  // Receipts routed from another session, written now.
  void write_receipts(std::span<const dlr_record> records, const sim_time& t, byte_buffer& out);
  // The responses in `out` went to the socket: they leave the window.
  void on_handed_off() noexcept {
    unanswered_ -= in_out_;
    in_out_ = 0;
  }
  void publish_counters() noexcept;  // adds this session's counts to the shared ones
  // The client's host (for a profile's per-host bind limit); set before the first frame.
  void set_peer_host(std::string host) { peer_host_ = std::move(host); }
  // The connection is gone: its bind no longer counts against the profile's limits. After our
  // own (forced) unbind, the receipts still due move to `orphans`: the ESME binds again for them.
  void on_closed(std::vector<dlr_record>& orphans);
  // The simulator unbound the session (profile's period) and the ESME did not answer in time.
  bool close_due(steady::time_point now) const noexcept { return now >= unbind_deadline_; }

  bind_kind bound() const noexcept { return bind_; }
  bool can_receive() const noexcept { return bind_ == bind_kind::receiver || bind_ == bind_kind::transceiver; }
  const std::string& system_id() const noexcept { return system_id_; }
  std::uint64_t pdus_in() const noexcept { return pdus_in_total_; }
  std::uint64_t pdus_out() const noexcept { return pdus_out_total_; }
  std::size_t pending_receipts() const noexcept { return dlrs_.size(); }
  bool holds_responses() const noexcept { return !held_.empty(); }

  // Message ids (exposed for tests).
  static std::size_t format_hex_id(std::uint64_t n, char* out) noexcept;  // 12 digits
  std::size_t format_receipt_id(std::uint64_t n, char* out) const noexcept;
  std::optional<std::uint64_t> known_message(std::string_view id) const noexcept;

 private:
  struct reply_ctx;
  struct rule;
  static const rule* find_rule(std::uint32_t command_id) noexcept;

  // Handlers (one per request the simulator answers; see the rule table in smsc_core.cpp).
  void on_bind(reply_ctx& r);
  void on_submit_sm(reply_ctx& r);
  void on_submit_multi(reply_ctx& r);
  void on_data_sm(reply_ctx& r);
  void on_query_sm(reply_ctx& r);
  void on_cancel_sm(reply_ctx& r);
  void on_replace_sm(reply_ctx& r);
  void on_enquire_link(reply_ctx& r);
  void on_unbind(reply_ctx& r);
  void on_broadcast_sm(reply_ctx& r);
  void on_query_broadcast_sm(reply_ctx& r);
  void on_cancel_broadcast_sm(reply_ctx& r);

  byte_buffer& reply_target(byte_buffer& out) noexcept { return shared_.opt.latency.count() > 0 ? delayed_ : out; }
  void finish_reply(reply_ctx& r, byte_buffer& out);
  void write_header_only(byte_buffer& to, std::uint32_t id, std::uint32_t status, std::uint32_t seq);
  std::uint64_t accept_message(const sim_time& t, const decoder::pdu& p, const smsc_shared::msg_fields& f,
                               std::uint8_t registered_delivery, std::span<const std::uint8_t> text,
                               std::uint8_t data_coding, std::string_view force_dest = {});
  void write_receipt(const dlr_record& d, const sim_time& t, byte_buffer& out);
  void write_mo(const sim_time& t, byte_buffer& out);
  void write_deliver_sm(byte_buffer& out, std::string_view src, std::uint8_t src_ton, std::uint8_t src_npi,
                        std::string_view dst, std::uint8_t dst_ton, std::uint8_t dst_npi, std::uint8_t esm_class,
                        std::uint8_t data_coding, std::span<const std::uint8_t> sm, std::span<const std::uint8_t> tlvs);
  bool take_rate_token(steady::time_point now) noexcept;
  std::uint32_t next_seq() noexcept {
    seq_ = seq_ >= 0x7FFFFFFF ? 1 : seq_ + 1;
    return seq_;
  }
  std::string_view receipt_date(std::int64_t unix_seconds) noexcept;
  // The profile's answer to a request it does not support; false when it is supported.
  bool refuse_unsupported(reply_ctx& r);
  // The profile's status for this short message's data_coding / GSM7 layout; 0 when acceptable.
  std::uint32_t coding_status(std::uint8_t data_coding, std::uint8_t esm_class,
                              std::span<const std::uint8_t> sm) const noexcept;
  std::uint16_t receipt_err(const dlr_mix_entry& outcome) const noexcept;
  void release_bind();

  smsc_shared& shared_;
  smsc_events& events_;
  decoder::pdu pdu_{};
  bind_kind bind_ = bind_kind::none;
  std::string system_id_;
  std::string address_range_;
  std::uint32_t seq_ = 0;

  // Window: requests received whose responses have not been handed to the socket.
  std::uint64_t unanswered_ = 0;
  std::uint64_t in_out_ = 0;
  // Rate: token bucket.
  double tokens_ = 0;
  steady::time_point tokens_at_{};
  // Fault mode state.
  std::uint64_t submits_seen_ = 0;
  std::uint64_t error_credit_ = 0;  // parts per million
  // Latency: responses held until due.
  byte_buffer delayed_{4096};
  std::uint64_t delayed_base_ = 0;  // octets of delayed_ already moved out
  struct held {
    steady::time_point due;
    std::uint64_t end;      // where this response ends, counted from the first delayed octet
    std::uint32_t windowed; // 1 when it counts in the window
    std::uint32_t pdus;
  };
  fifo<held> held_{64};
  fifo<dlr_record> dlrs_{256};
  steady::time_point next_enquire_link_ = steady::time_point::max();
  steady::time_point next_mo_ = steady::time_point::max();
  steady::time_point next_forced_unbind_ = steady::time_point::max();
  steady::time_point unbind_deadline_ = steady::time_point::max();  // our unbind unanswered until then
  std::string peer_host_;
  bool counted_bind_ = false;  // holds a place in shared_.binds
  bool forced_unbind_sent_ = false;
  std::uint64_t mo_count_ = 0;
  // The encoded deliver_sm up to sm_length for the last (addresses, esm_class, data_coding):
  // receipts to one ESME repeat it, so only sm_length, short_message and TLVs are written anew.
  struct deliver_prefix_key {
    std::array<char, 21> src{}, dst{};
    std::uint8_t src_len = 0, dst_len = 0, src_ton = 0, src_npi = 0, dst_ton = 0, dst_npi = 0, esm_class = 0,
                 data_coding = 0;
    bool operator==(const deliver_prefix_key&) const = default;
  };
  deliver_prefix_key prefix_key_{};
  std::vector<std::uint8_t> prefix_;  // empty: none cached
  std::int64_t date_minute_ = -1;
  std::array<char, 10> date_{};

  session_counters c_;
  std::uint64_t pdus_in_total_ = 0, pdus_out_total_ = 0;
};

}  // namespace smppscope::sim::detail
