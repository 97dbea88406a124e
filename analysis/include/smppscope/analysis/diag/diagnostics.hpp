// Session diagnostics: an analyzer observer that follows every session's requests and
// responses and raises alerts through analysis_context.
//
//   analyzer (analysis thread) --on_pdu--> diagnostics
//       request  -> outstanding[dir] (seq -> sent time, command)       window, high-water
//       response -> match by seq (generic_nack too) -> latency histograms (per command, per second)
//                   bind_resp -> bind_failed | bound;  submit_sm_resp message_id -> DLR pending
//       deliver_sm receipt -> DLR pending (normalised id) -> time-to-receipt | dlr_unmatched
//       short message part (UDH / SAR) -> concat tracker (decoder::reassembler, bounded)
//   analyzer --on_tick(now)--> timeouts, window_full, silence, quiet-period clears, DLR expiry,
//                              concat_incomplete, one timeline sample per second per session
//   alerts -> analysis_context (session table + ring -> /api/sessions, WebSocket), log line
//   web threads -> timeline_json(id), append_prometheus()  (locks/atomics, never the hot path)
//
// Time is injected: every callback carries its timestamp and nothing reads a clock, so tests
// drive hours of protocol time without sleeping. Per PDU: no lock, no syscall, and no allocation
// once a session's tables have grown to its traffic.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <deque>
#include <vector>

#include "smppscope/analysis/diag/alert_kind.hpp"
#include "smppscope/analysis/diag/diag_options.hpp"
#include "smppscope/analysis/diag/histogram.hpp"
#include "smppscope/analysis/metrics_source.hpp"
#include "smppscope/analysis/observer.hpp"

namespace smppscope::decoder {
struct incomplete_message;
namespace cmpp {
struct pdu;
}
}  // namespace smppscope::decoder

namespace smppscope::analysis::diag {

class timeline_store;
class concat_tracker;
namespace state {
struct request_entry;
}

// Receives one line per alert raise and clear (no newline). Called on the analysis thread.
using alert_logger = std::function<void(std::string_view line)>;
alert_logger stderr_alert_logger();  // "smppscope: session 12 alert window_full: ..." on stderr
alert_logger null_alert_logger();

// Request commands with their own latency histogram (SMPP's, then CMPP's by their CMPP names);
// anything else is filed under "other".
std::size_t tracked_command_count() noexcept;              // including "other" (the last index)
std::size_t tracked_command_index(std::uint32_t request_id, bool cmpp = false) noexcept;
std::string_view tracked_command_name(std::size_t index) noexcept;

// Totals over all sessions since start (any thread).
struct diag_totals {
  std::array<std::uint64_t, alert_kind_count> alerts_raised{};
  std::array<std::uint64_t, alert_kind_count> alerts_active{};  // on live sessions
  std::uint64_t requests[2] = {};          // by request direction
  std::uint64_t responses_matched[2] = {};
  std::uint64_t responses_unmatched[2] = {};
  std::uint64_t response_timeouts[2] = {};     // requests (not enquire_link) that passed their timeout
  std::uint64_t enquire_link_timeouts[2] = {}; // enquire_links that passed theirs
  std::uint64_t late_responses[2] = {};        // answered after their timeout
  std::uint64_t expired_requests[2] = {};      // forgotten after request_expiry
  std::uint64_t duplicate_sequence[2] = {};    // a new request reused an outstanding seq
  std::uint64_t outstanding_overflow[2] = {};  // requests not tracked: max_outstanding reached
  std::uint64_t outstanding[2] = {};           // now, live sessions
  std::uint64_t throttled_responses[2] = {};
  std::uint64_t congestion_reports[2] = {};    // congestion_state at or above the threshold
  std::uint64_t out_of_sync[2] = {};           // directions whose framing broke, by their direction
  std::uint64_t malformed_pdus = 0;            // decode errors plus framing breaks (out of sync)
  std::uint64_t binds_ok = 0, binds_failed = 0;
  std::uint64_t dlr_tracked = 0;        // successful submits whose id awaits a receipt
  std::uint64_t dlr_pending = 0;        // now
  std::uint64_t dlr_matched = 0;        // final receipts matched to a submit
  std::uint64_t dlr_intermediate = 0;   // intermediate receipts matched (entry kept)
  std::uint64_t dlr_unmatched = 0;      // receipts with no submit after the grace period
  std::uint64_t dlr_missing = 0;        // receipt requested (registered_delivery 1) and not seen in dlr_timeout
  std::uint64_t dlr_evicted = 0;        // dropped to stay within max_dlr_pending
  std::uint64_t concat_parts = 0;       // PDUs carrying a part of a multi-part message
  std::uint64_t concat_completed = 0;   // messages whose every part arrived
  std::uint64_t concat_incomplete = 0;  // messages reported with parts missing
  std::uint64_t concat_evicted = 0;     // dropped to stay within the concat bounds
  std::uint64_t concat_pending = 0;     // now
  std::uint64_t concat_buffered_bytes = 0;  // now
};

class diagnostics final : public observer, public metrics_source {
 public:
  explicit diagnostics(diag_options opt = {}, alert_logger log = stderr_alert_logger());
  ~diagnostics() override;
  diagnostics(const diagnostics&) = delete;
  diagnostics& operator=(const diagnostics&) = delete;

  // ---- observer: the analysis thread ----
  void on_session_open(const session_open_info& i, analysis_context& ctx) override;
  void on_session_close(const session_close_info& i, analysis_context& ctx) override;
  void on_pdu(const pdu_info& i, analysis_context& ctx) override;
  void on_out_of_sync(const out_of_sync_info& i, analysis_context& ctx) override;
  void on_resync(const resync_info& i, analysis_context& ctx) override;
  void on_tick(std::int64_t now_us, analysis_context& ctx) override;

  // ---- any thread ----
  // The timeline JSON of a live or recently closed session (see timeline.hpp); nullopt if unknown.
  // since_second > 0 returns only samples from that unix second on.
  std::optional<std::string> timeline_json(std::uint64_t session, std::int64_t since_second = 0) const;
  // metrics_source: smppscope_diag_* families.
  void append_prometheus(std::string& out) const override;
  diag_totals totals() const;
  const diag_options& options() const noexcept { return opt_; }

 private:
  struct session;
  struct dlr_state;
  struct counters;
  struct blame;
  struct request_facts {
    std::uint32_t command = 0, seq = 0;
    bool keepalive = false;  // enquire_link / CMPP_ACTIVE_TEST (their own list and timeout)
    bool submit = false;
    std::uint8_t registered_delivery = 0;
  };

  // The options a session runs under: CMPP sessions take the specification's timers for the
  // options not given (diag_options::for_cmpp).
  const diag_options& opts(const session& s) const noexcept;
  static std::string_view command_label(const session& s, std::uint32_t id) noexcept;

  session& session_for(std::uint64_t id, std::int64_t ts_us, analysis_context& ctx);
  void handle_request(session& s, direction d, const decoder::pdu& p, std::int64_t ts,
                      analysis_context& ctx);
  void handle_response(session& s, direction req_dir, const decoder::pdu& p, std::int64_t ts,
                       analysis_context& ctx);
  // Protocol-neutral request/response tracking (SMPP and CMPP share the sequence-number rules).
  void track_request(session& s, direction d, const request_facts& f, std::int64_t ts, analysis_context& ctx);
  // False when the response matched nothing (counted, unmatched_response); else `matched` is its request.
  bool match_response(session& s, direction req_dir, std::uint32_t response_id, std::uint32_t seq, bool keepalive,
                      bool error, std::int64_t ts, analysis_context& ctx, state::request_entry& matched);
  void note_throttled_response(session& s, direction req_dir, std::string_view why, std::int64_t ts,
                               analysis_context& ctx);
  void note_pdu(session& s, direction d, std::int64_t ts, analysis_context& ctx);
  // A PDU that did not decode: counted; true when the malformed alert is due (a new one or an update).
  bool malformed_due(session& s, std::int64_t ts);
  void raise_malformed(session& s, direction d, std::string_view what, std::uint32_t seq, std::int64_t ts,
                       analysis_context& ctx);
  // CMPP (diag_cmpp.cpp): the same detectors with CMPP's commands, codes and authenticators.
  void on_cmpp_pdu(const pdu_info& i, analysis_context& ctx);
  void cmpp_connect(session& s, direction d, const decoder::cmpp::pdu& p, std::uint64_t event_id, std::int64_t ts,
                    analysis_context& ctx);
  void cmpp_connect_resp(session& s, direction req_dir, const decoder::cmpp::pdu& p, std::uint64_t event_id,
                         std::int64_t ts, analysis_context& ctx);
  void cmpp_receipt(session& s, direction d, const decoder::cmpp::pdu& p, std::int64_t ts);
  void match_receipt(session& s, direction d, std::string_view id, bool intermediate, std::int64_t ts);
  void handle_bind_response(session& s, direction req_dir, const decoder::pdu& p,
                            std::uint32_t request_id, std::int64_t ts, analysis_context& ctx);
  void track_submit(session& s, std::string_view message_id, std::int64_t sent_us,
                    std::uint8_t registered_delivery);
  void handle_receipt(session& s, direction d, const decoder::pdu& p, std::int64_t ts,
                      analysis_context& ctx);
  void handle_congestion(session& s, direction d, const decoder::pdu& p, std::int64_t ts,
                         analysis_context& ctx);
  void note_throttle(session& s, direction req_dir, std::int64_t ts, std::string_view why,
                     analysis_context& ctx);
  void check_session(session& s, std::int64_t now, analysis_context& ctx);
  void check_timeouts(session& s, direction req_dir, bool enquire_links, std::int64_t now,
                      analysis_context& ctx);
  void check_dlr(std::int64_t now, analysis_context& ctx);
  void report_incomplete(const std::vector<decoder::incomplete_message>& gone, std::int64_t now,
                         analysis_context& ctx);
  void update_outstanding(session& s, direction d, std::int64_t ts, analysis_context& ctx);
  // The answers to req_dir's requests may be in octets never framed: they become "unknown".
  void forget_answers(session& s, direction req_dir, std::int64_t ts, analysis_context& ctx);
  void roll_second(session& s, std::int64_t ts, analysis_context& ctx);
  // Reads the bind state from the session table (its one owner).
  void publish_summary(session& s, analysis_context& ctx);

  // Alerts: per kind and (for directional kinds) per direction; the session's alert message joins
  // the active directions. Every alert names the side at fault and the direction concerned
  // (`side` and `direction` members; "both" when two directions are joined).
  void raise(session& s, alert_kind k, std::optional<direction> d, const blame& who, std::string message,
             std::string extra_json, std::int64_t ts, analysis_context& ctx, bool force_update = false);
  void clear(session& s, alert_kind k, std::optional<direction> d, std::int64_t ts,
             analysis_context& ctx);
  void log_alert(std::uint64_t session, alert_kind k, bool raised, std::string_view message,
                 std::string_view side, std::string_view dir);

  diag_options opt_;
  diag_options cmpp_opt_;  // opt_ with CMPP's defaults for what was not given
  alert_logger log_;
  std::unordered_map<std::uint64_t, std::unique_ptr<session>> sessions_;  // analysis thread
  session* last_ = nullptr;
  std::unique_ptr<dlr_state> dlr_;
  std::unique_ptr<counters> c_;
  std::unique_ptr<concat_tracker> concat_;

  // Timelines, live and recently closed; guarded by timelines_mu_ (web reads them).
  mutable std::mutex timelines_mu_;
  std::unordered_map<std::uint64_t, std::shared_ptr<timeline_store>> timelines_;
  std::deque<std::uint64_t> closed_order_;
};

}  // namespace smppscope::analysis::diag
