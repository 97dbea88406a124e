// How per-session trackers (diagnostics) plug into the analyzer. Every callback runs on the
// analysis thread, in stream order; observers need no locking of their own state. Keep them
// fast: they run once per PDU.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "smppscope/analysis/event.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/analysis/tap.hpp"

namespace smppscope::decoder {
struct pdu;
struct decode_error;
namespace cmpp {
struct pdu;
struct decode_error;
}  // namespace cmpp
}  // namespace smppscope::decoder

namespace smppscope::analysis {

class event_ring;

// What an observer may do back, from inside a callback (analysis thread only).
class analysis_context {
 public:
  virtual ~analysis_context() = default;
  // Appends a non-pdu event; `members` is already-JSON text (see make_event_json). Returns its id.
  virtual std::uint64_t emit(event_type type, std::uint64_t session, std::optional<direction> dir,
                             std::int64_t ts_us, std::string_view members) = 0;
  // Sets the session's active alert of this kind and emits an "alert" event
  // {kind, message, since_us, ...extra}. Raising an already-active kind only updates it (no event).
  virtual void raise_alert(std::uint64_t session, std::string_view kind, std::string_view message,
                           std::int64_t ts_us, std::string_view extra_json = {}) = 0;
  // Clears it and emits "alert_cleared" {kind}; nothing if it was not active.
  virtual void clear_alert(std::uint64_t session, std::string_view kind, std::int64_t ts_us) = 0;
  virtual void set_outstanding(std::uint64_t session, direction d, std::uint32_t n) = 0;
  virtual session_table& sessions() = 0;
  virtual const event_ring& ring() const = 0;
};

struct session_open_info {
  std::uint64_t session = 0;
  std::int64_t ts_us = 0;
  const tap_record* record = nullptr;  // the session_open record (endpoints, TLS flags)
};

struct session_close_info {
  std::uint64_t session = 0;
  std::int64_t ts_us = 0;
  std::string_view reason;
};

struct pdu_info {
  std::uint64_t session = 0;
  direction dir = direction::esme_to_smsc;
  std::int64_t ts_us = 0;                 // of the chunk that completed the PDU
  const decoder::pdu* pdu = nullptr;      // header always valid; body as far as decoded
  const decoder::decode_error* error = nullptr;  // nullptr when decode() succeeded
  std::span<const std::uint8_t> frame;    // the PDU's octets
  std::uint64_t event_id = 0;             // its pdu event in the ring (0 if rejected)
  // A CMPP session's PDU comes here instead of `pdu` (which is then nullptr).
  const decoder::cmpp::pdu* cmpp = nullptr;
  const decoder::cmpp::decode_error* cmpp_error = nullptr;  // nullptr when it decoded
};

struct out_of_sync_info {
  std::uint64_t session = 0;
  direction dir = direction::esme_to_smsc;
  std::int64_t ts_us = 0;
  std::string_view message;  // framer error text
  bool capture_gap = false;  // the tap dropped octets (not the peer's fault); no `malformed` alert
};

// Framing of a direction resumed after an out-of-sync episode (a bad header or a capture gap).
// PDUs in the skipped or lost octets were never seen: responses among them answered requests
// of the other direction, requests among them will get responses that match nothing.
struct resync_info {
  std::uint64_t session = 0;
  direction dir = direction::esme_to_smsc;
  std::int64_t ts_us = 0;
  std::uint64_t skipped = 0;  // octets seen but not framed
  std::uint64_t lost = 0;     // octets the tap dropped
  bool capture_gap = false;   // the episode began with a capture gap
};

class observer {
 public:
  virtual ~observer() = default;
  virtual void on_session_open(const session_open_info&, analysis_context&) {}
  virtual void on_session_close(const session_close_info&, analysis_context&) {}
  virtual void on_pdu(const pdu_info&, analysis_context&) {}
  // A direction lost framing. For a bad header the analyzer already raised the `malformed` alert;
  // its event (with the skipped octet count) follows when the episode ends.
  virtual void on_out_of_sync(const out_of_sync_info&, analysis_context&) {}
  // That direction is framed again; PDUs follow.
  virtual void on_resync(const resync_info&, analysis_context&) {}
  // Periodic (analyzer_options::tick_interval_us, default 100 ms) and once more at stop.
  virtual void on_tick(std::int64_t /*now_us*/, analysis_context&) {}
};

// Receives every tap record unchanged (the pcap writer). Analysis thread only.
class record_sink {
 public:
  virtual ~record_sink() = default;
  virtual void on_record(const tap_record& r) = 0;
  // After each drained batch (flush point) and on every tick.
  virtual void on_batch_end(std::int64_t now_us) { (void)now_us; }
};

}  // namespace smppscope::analysis
