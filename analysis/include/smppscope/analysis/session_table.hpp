// Proxied sessions, live and recently closed, as the UI and /api/sessions show them.
//
// Written by the analysis thread only (the analyzer, and observers through analysis_context);
// read by any thread (web) through snapshot()/get(). Per-PDU counters are relaxed atomics, so
// the per-PDU path takes no lock; structural changes (open, close, bind state, system_id,
// alerts) and snapshots take one mutex for a few copies.
//
// Counting convention: pdus_in / bytes_in = esme_to_smsc (client -> SMSC),
//                      pdus_out / bytes_out = smsc_to_esme (SMSC -> client).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smppscope/analysis/tap.hpp"

namespace smppscope::decoder {
struct pdu;
namespace cmpp {
struct pdu;
}
}

namespace smppscope::analysis {

// Bind state follows the bind/bind_resp/unbind/unbind_resp PDUs actually seen.
enum class session_state : std::uint8_t {
  connecting,  // known but upstream not yet connected
  open,        // TCP up, not bound (also after a failed bind or a completed unbind)
  bound_tx,
  bound_rx,
  bound_trx,
  unbinding,   // unbind sent, unbind_resp not yet seen
  closed,
};
std::string_view session_state_name(session_state s) noexcept;  // "open", "bound_trx", ...

struct session_alert {
  std::string kind;        // enquire_link_timeout, window_full, response_timeout, throttled, malformed, ...
  std::string message;
  std::int64_t since_us = 0;
  std::string extra_json;  // further members, already JSON: "\"outstanding\":10" (may be empty)
};

// A plain copy of one session (what readers get).
struct session_info {
  std::uint64_t id = 0;
  endpoint client, proxy_client_side, proxy_upstream_side, upstream;
  bool client_tls = false, upstream_tls = false;
  session_state state = session_state::connecting;
  std::string system_id;
  std::string bind_type;  // "transmitter" / "receiver" / "transceiver" / "" before any bind
  std::optional<std::uint8_t> interface_version;
  std::string protocol = "smpp";  // "smpp" or "cmpp" (decided from the first PDU)
  std::string protocol_version;   // CMPP: "2.0" / "3.0"; "" for SMPP (see interface_version)
  std::uint64_t pdus_in = 0, pdus_out = 0;    // esme_to_smsc / smsc_to_esme
  std::uint64_t bytes_in = 0, bytes_out = 0;  // relayed octets, same convention
  std::uint64_t malformed = 0;                // PDUs that failed decode + out-of-sync directions
  std::uint64_t lost_bytes[2] = {0, 0};      // per direction: relayed octets the tap dropped
  std::uint64_t skipped_bytes[2] = {0, 0};   // per direction: octets seen but not framed (resync)
  bool lossy() const noexcept { return lost_bytes[0] || lost_bytes[1]; }  // analysis saw a hole
  std::uint32_t outstanding_esme_to_smsc = 0;  // filled by diagnostics
  std::uint32_t outstanding_smsc_to_esme = 0;
  std::int64_t started_us = 0;
  std::int64_t closed_us = 0;  // 0 while live
  std::string close_reason;
  std::vector<session_alert> alerts;  // active alerts
};

// The bind state of a live session, as the analysis thread reads it (see session_table::bind_state).
// The session table is its one owner: diagnostics and the UI read it from here.
struct bind_view {
  session_state state = session_state::open;
  bool binding = false;                      // a bind (CMPP: CONNECT) awaits its answer
  std::uint32_t bind_command = 0;            // the last bind request's command id (its protocol's)
  std::optional<std::uint32_t> bind_status;  // the status of its answer (generic_nack's for SMPP)
  std::int64_t bound_since_us = 0;           // when the successful answer was seen
  std::optional<std::uint8_t> interface_version, sc_interface_version;
  bool bound() const noexcept {
    return state == session_state::bound_tx || state == session_state::bound_rx ||
           state == session_state::bound_trx;
  }
};

// Appends the /api/sessions object of docs/INTERFACE.md (plus extra members).
void append_session_json(std::string& out, const session_info& s);

class session_table {
 public:
  explicit session_table(std::size_t max_closed = 1000);
  ~session_table();
  session_table(const session_table&) = delete;
  session_table& operator=(const session_table&) = delete;

  // ---- writer: the analysis thread only ----
  // session_open record (state open) or upstream_failure record (state closed, reason = text).
  void open(const tap_record& r);
  void close(std::uint64_t id, std::int64_t ts_us, std::string_view reason);
  // Counts a relayed chunk (no lock).
  void add_bytes(std::uint64_t id, direction d, std::size_t n) noexcept;
  // Counts one framed PDU and follows the bind state; `decoded` false = decode() failed.
  // `ts_us` (the PDU's time) stamps a successful bind.
  void on_pdu(std::uint64_t id, direction d, const decoder::pdu& p, bool decoded, std::int64_t ts_us = 0);
  // The same for a CMPP PDU: CONNECT gives system_id (Source_Addr); CONNECT_RESP Status 0 binds
  // (a CMPP long connection carries both directions: bound_trx); TERMINATE unbinds.
  void on_cmpp_pdu(std::uint64_t id, direction d, const decoder::cmpp::pdu& p, bool decoded,
                   std::int64_t ts_us = 0);
  // The session's protocol and version as the analyzer decided them.
  void set_protocol(std::uint64_t id, std::string_view protocol, std::string_view version);
  void add_malformed(std::uint64_t id) noexcept;
  // Octets the tap dropped (the session becomes "lossy") / the framer skipped to resynchronise.
  void add_lost(std::uint64_t id, direction d, std::uint64_t n) noexcept;
  void add_skipped(std::uint64_t id, direction d, std::uint64_t n) noexcept;
  void set_outstanding(std::uint64_t id, direction d, std::uint32_t n) noexcept;
  // Adds or replaces (same kind) an active alert.
  enum class alert_change : std::uint8_t { unknown_session, added, updated };
  alert_change set_alert(std::uint64_t id, session_alert a);
  // Removes the alert of that kind; false when it was not active.
  bool clear_alert(std::uint64_t id, std::string_view kind);

  // The bind state of a live session without a lock or a copy of its strings: for observers on
  // the analysis thread (the only writer), once per PDU or tick. nullopt when not live.
  std::optional<bind_view> bind_state(std::uint64_t id) noexcept;

  // ---- readers: any thread ----
  // Live sessions by id, then closed ones, oldest first.
  std::vector<session_info> snapshot() const;
  std::optional<session_info> get(std::uint64_t id) const;
  std::string json() const;  // JSON array of snapshot()
  std::size_t live_count() const;
  std::size_t closed_count() const;

 private:
  struct entry;
  entry* find(std::uint64_t id) noexcept;  // writer thread only
  static session_info copy(const entry& e);

  std::size_t max_closed_;
  mutable std::mutex mu_;  // guards the containers and entry strings/state/alerts
  std::unordered_map<std::uint64_t, std::unique_ptr<entry>> live_;
  std::deque<std::unique_ptr<entry>> closed_;
  entry* last_ = nullptr;  // writer-side lookup cache
};

}  // namespace smppscope::analysis
