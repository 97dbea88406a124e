// The event model shared by the analyzer (writer), the event ring, the web (readers) and the
// pcap export. An event is small fixed metadata plus a payload:
//   pdu events:   the raw PDU bytes as framed (rendered to JSON on demand, decode error included)
//   other types:  a complete JSON object text, written once by whoever raised the event
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "smppscope/analysis/tap.hpp"

namespace smppscope::decoder {
struct vendor_names;
}

namespace smppscope::analysis {

enum class event_type : std::uint8_t {
  pdu = 0,           // one framed PDU (decoded or not)
  malformed,         // a direction went out of sync (framing broke); one per direction
  session_open,
  session_close,
  upstream_failure,
  alert,             // raised by diagnostics (or the analyzer for `malformed`)
  alert_cleared,
  capture_gap,       // the tap dropped octets of a direction; where and how analysis resumed
  // room for more; keep event_type_name() in step
};
inline constexpr std::size_t event_type_count = 8;
std::string_view event_type_name(event_type t) noexcept;  // "pdu", "malformed", ...
std::optional<event_type> parse_event_type(std::string_view name) noexcept;

// Metadata of a stored event (what filters see before the payload is copied).
struct event_info {
  std::uint64_t id = 0;                 // monotonic, from 1
  event_type type = event_type::pdu;
  std::optional<direction> dir;         // pdu / malformed / capture_gap events; none for session events
  std::uint64_t session = 0;
  std::int64_t ts_us = 0;
  std::uint32_t payload_size = 0;
  // pdu events: the wire protocol of the payload. 0 = SMPP; a CMPP PDU carries its version's
  // Version octet (0x20 CMPP 2.0, 0x30 CMPP 3.0), the layout it is decoded with.
  std::uint8_t protocol = 0;
};

inline constexpr std::uint8_t protocol_smpp = 0;

// An owning copy of one event, as handed to readers.
struct event : event_info {
  std::string payload;  // pdu: raw PDU octets; other types: JSON object text
};

// What a session's analysis adds to its pdu events at render time: the provider profile's vendor
// names (decoder::json_context::vendor) and extra members such as compliance lints. Called on
// reader threads; implementations guard their own state.
class pdu_annotator {
 public:
  virtual ~pdu_annotator() = default;
  // nullptr: the specification alone.
  virtual std::shared_ptr<const decoder::vendor_names> vendor_names(std::uint64_t session) const = 0;
  // Appends members (",\"name\":value...") to the event's object; nothing when it has none.
  virtual void append_members(std::string& out, const event_info& e) const = 0;
};

struct render_options {
  bool include_hex = false;  // pdu events: add "hex" with the PDU octets
  const pdu_annotator* annotate = nullptr;  // pdu events: provider names and extra members
};

// Appends the event's JSON object to `out`:
//   pdu events via decoder::append_pdu_json (plus "id"; "error" when decode() fails),
//   other types: the stored object with "id" added as its first member.
void append_event_json(std::string& out, const event& e, const render_options& opt = {});
std::string event_json(const event& e, const render_options& opt = {});
// A JSON array of events ("[...]").
template <class Range>
std::string events_json_array(const Range& events, const render_options& opt = {}) {
  std::string out = "[";
  bool first = true;
  for (const event& e : events) {
    if (!first) out += ',';
    first = false;
    append_event_json(out, e, opt);
  }
  out += ']';
  return out;
}

// Starts the JSON object of a non-pdu event: {"type":"...","session":N[,"direction":"..."],"ts_us":T
// The caller appends ,"member":value ... and the closing '}' (or uses make_event_json).
void append_event_json_head(std::string& out, event_type t, std::uint64_t session,
                            std::optional<direction> dir, std::int64_t ts_us);
// Full object: head + `members` (already-JSON text like "\"kind\":\"x\",\"n\":1", may be empty) + '}'.
std::string make_event_json(event_type t, std::uint64_t session, std::optional<direction> dir,
                            std::int64_t ts_us, std::string_view members);

}  // namespace smppscope::analysis
