// Live compliance check: every session against its provider profile (the contract the provider
// publishes: limits, bind rules, supported PDUs and data_codings, encoding, TLS).
//
//   analyzer (analysis thread) --on_session_open--> profile for the session (options.select, or
//                                                   the default), TLS version from the open record
//                              --on_pdu-->  per-PDU rules -> lint on that PDU's event
//                                           bind/unbind -> bound sessions per system_id / host
//                                           (across sessions) -> binds rule
//                              --on_tick--> enquire_link gaps, reconnect deadlines, alert clears
//   sustained breaches -> alert "profile_<rule>" {rule, profile, limit, measured}
//   web threads: render time -> vendor names of the session's profile (decoder::vendor_names),
//                "profile_lints" of the event, the session's "compliance" summary
//
// The profile is per session (not global), so a multi-upstream proxy can give each upstream its
// own. Time is injected (the records' timestamps); nothing reads a clock. Memory is bounded:
// per-session tables are capped, lints are kept for the newest max_lint_events events, closed
// sessions' summaries for the newest max_closed_sessions.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "smppscope/analysis/event.hpp"
#include "smppscope/analysis/observer.hpp"
#include "smppscope/profile/provider_profile.hpp"

namespace smppscope::analysis {

enum class compliance_rule : std::uint8_t {
  window,                 // outstanding ESME requests above the profile's window
  rate,                   // messages in the last second of one connection above the rate
  unsupported_pdu,        // a request the provider does not support
  unsupported_tlv,        // an optional parameter the provider does not support
  data_coding,            // a data_coding the provider does not support
  gsm7_packing,           // GSM 7-bit packed where the account reads unpacked, or the reverse
  sm_length,              // short message length rules (one SMS, UCS2 pairs, with message_payload)
  bind_type,              // a bind type the provider does not offer
  interface_version,      // a version the provider does not speak
  system_id,              // the system_id does not have the provider's shape
  binds,                  // too many concurrent binds (per account, server or host)
  tls,                    // plain TCP where TLS is required, or TLS below the minimum version
  enquire_link_interval,  // enquire_link far from the recommended interval
  reconnect,              // no new bind after the SMSC's (forced) unbind
};
inline constexpr std::size_t compliance_rule_count = 14;
std::string_view compliance_rule_name(compliance_rule r) noexcept;  // "window", ...

struct compliance_options {
  profile::profile_ptr profile;  // for every session unless `select` says otherwise; required
  // Per-session choice from the session_open record (e.g. by upstream); nullptr = `profile`.
  // Called on the analysis thread.
  std::function<profile::profile_ptr(const tap_record& open)> select;
  std::size_t max_lint_events = 100'000;     // PDU events whose profile lints are kept
  std::size_t max_closed_sessions = 1000;    // closed sessions whose summary is kept
  std::uint32_t sustain_count = 3;           // per-PDU rules: an alert after this many breaches...
  std::int64_t sustain_window_us = 10'000'000;  // ...within this long
  std::int64_t alert_quiet_us = 30'000'000;  // a per-PDU rule's alert clears after this long clean
  std::int64_t response_expiry_us = 60'000'000;  // an unanswered request stops counting in the window
  // One line per alert raised or cleared ("session 3 alert profile_window: ... [side esme,
  // direction esme_to_smsc]"), like the diagnostics' lines; empty: none. Analysis thread.
  std::function<void(std::string_view line)> log;
};

class compliance_checker final : public observer, public pdu_annotator {
 public:
  explicit compliance_checker(compliance_options opt);
  ~compliance_checker() override;
  compliance_checker(const compliance_checker&) = delete;
  compliance_checker& operator=(const compliance_checker&) = delete;

  // ---- observer: the analysis thread ----
  void on_session_open(const session_open_info&, analysis_context&) override;
  void on_session_close(const session_close_info&, analysis_context&) override;
  void on_pdu(const pdu_info&, analysis_context&) override;
  void on_tick(std::int64_t now_us, analysis_context&) override;

  // ---- readers: any thread ----
  // {"profile":"ovhcloud","compliant":true,"breaches":{}} or, broken, "compliant":false and
  // "breaches":{"window":3,...}; nullopt for a session it does not know.
  std::optional<std::string> session_summary_json(std::uint64_t session) const;
  // Breach counts of a session by rule (tests, the CLI's final line); empty when unknown.
  std::unordered_map<std::string, std::uint64_t> breaches(std::uint64_t session) const;
  // The profile a session is checked against; nullptr when unknown.
  profile::profile_ptr profile_of(std::uint64_t session) const;
  const profile::profile_ptr& default_profile() const noexcept { return opt_.profile; }

  // pdu_annotator
  std::shared_ptr<const decoder::vendor_names> vendor_names(std::uint64_t session) const override;
  void append_members(std::string& out, const event_info& e) const override;

 private:
  struct session;
  struct account;
  struct shared_state;
  class pdu_checks;

  void breach(session& s, compliance_rule r, std::uint64_t event_id, std::int64_t ts_us, std::string message,
              std::string_view limit, std::string_view measured, bool sustained_rule, analysis_context& ctx);
  void on_bound(session& s, std::uint64_t event_id, std::int64_t ts_us, analysis_context& ctx);
  void on_unbound(session& s);
  void check_request(session& s, const pdu_info& pi, analysis_context& ctx);

  compliance_options opt_;
  std::unordered_map<std::uint64_t, std::unique_ptr<session>> sessions_;  // analysis thread
  std::unordered_map<std::string, std::unique_ptr<account>> accounts_;    // by system_id
  std::unordered_map<std::string, std::uint32_t> host_binds_;             // by client address
  struct pending_reconnect {
    std::uint64_t session = 0;
    std::uint64_t unbind_event = 0;
    std::int64_t deadline_us = 0;
  };
  std::unordered_map<std::string, pending_reconnect> reconnects_;  // by system_id
  std::unique_ptr<shared_state> shared_;                           // what readers see (locked)
};

}  // namespace smppscope::analysis
