// One event filter for GET /api/pdus (query parameters) and the WebSocket ("filter" messages).
//
//   session    only this session
//   commands   command names or numbers (pdu events; other types never match a command filter).
//              Names belong to one protocol and match only its PDUs (command ids overlap: CMPP's
//              SUBMIT is 0x00000004 like SMPP's submit_sm): SMPP names (submit_sm) match SMPP
//              PDUs, CMPP names (CMPP_SUBMIT) CMPP PDUs, both case-insensitive as in the UI;
//              a number matches that Command_Id in either protocol.
//   direction  esme_to_smsc | smsc_to_esme
//   status     ok | error | <number>; "error" = command_status != 0, a PDU that fails to decode,
//              or a malformed / upstream_failure event
//   text       case-insensitive substring of any string value of the event JSON but "hex"
//              (decoded text, addresses, message ids, names...)
//   types      event types ("pdu", "alert", ...); none = every type
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/analysis/event.hpp"

namespace smppscope::web {

enum class status_match : std::uint8_t { any, ok, error, value };

// Which protocol's PDUs a command in a filter names.
enum class command_protocol : std::uint8_t { smpp, cmpp, either };
struct command_match {
  std::uint32_t id = 0;
  command_protocol protocol = command_protocol::either;
  friend bool operator==(const command_match&, const command_match&) = default;
};

struct event_match {
  std::optional<std::uint64_t> session;
  std::vector<command_match> commands;
  std::optional<analysis::direction> dir;
  status_match status = status_match::any;
  std::uint32_t status_value = 0;
  std::string text;     // lower-cased
  std::uint32_t types = 0;  // bit (1 << event_type); 0 = all

  bool matches_everything() const noexcept;
  bool wants_type(analysis::event_type t) const noexcept {
    return types == 0 || (types & (1u << static_cast<unsigned>(t))) != 0;
  }
  // What can be decided from metadata alone (before a reader copies the payload).
  bool keep_info(const analysis::event_info& e) const noexcept;
  // The full decision. `json` is the event rendered by analysis::append_event_json (needed only
  // when `text` is set; pass {} otherwise).
  bool keep(const analysis::event& e, std::string_view json) const noexcept;
};

// The parameters accepted by the parsers below; errors are one line naming the parameter.
struct parse_error {
  std::string message;  // "command: unknown command 'submit'"
};

// Each returns the parsed value or sets `err`.
std::optional<std::vector<command_match>> parse_commands(std::string_view list, parse_error& err);
std::optional<analysis::direction> parse_direction(std::string_view s, parse_error& err);
bool parse_status(std::string_view s, event_match& m, parse_error& err);
std::optional<std::uint32_t> parse_types(std::string_view list, parse_error& err);  // "all" = 0
std::optional<std::uint64_t> parse_u64(std::string_view s);  // decimal or 0x hex

// Case-insensitive (ASCII) search of `needle_lower` in the string values of a JSON object text,
// skipping keys and the value of "hex".
bool json_values_contain(std::string_view json, std::string_view needle_lower) noexcept;

// A WebSocket filter message {"type":"filter", "session":.., "commands":[..], "direction":..,
// "errors_only":true, "status":.., "text":"..", "types":[..]} (missing/null members: no filter).
std::optional<event_match> parse_filter_message(std::string_view json_text, parse_error& err);
// The filter as JSON (echoed back as {"type":"filter_applied","filter":{...}}).
std::string filter_json(const event_match& m);

}  // namespace smppscope::web
