// Writes the PDU event JSON of docs/INTERFACE.md ("type":"pdu"). Passwords are masked.
//
// Members, in this order (optional ones only when they apply):
//   type "pdu", id (event_id != 0), protocol "smpp", session, direction, ts_us, command, command_id,
//   command_status, status_name, status_meaning?, status_vendor_hint?, sequence_number,
//   command_length,
//   fields   {spec field name: integer | string (C-Octet String) | hex (octet string) |
//             array (submit_multi dest_address / unsuccess_sme lists, c_string lists)};
//             "password" is always "********"
//   tlvs     [{tag, name, value, hex?}]: ints as numbers, C-strings as strings, octets as hex,
//             composites as an object of named parts (+ hex); unknown tags are named "unknown"
//             or "vendor_0xNNNN" (0x1400-0x3FFF) with the value as hex; "hex" also when the
//             length does not fit the type; a vendor tag that json_context::vendor names gets
//             that name and type, one it does not gets "vendor_hint": [profiles that name it]
//   text, encoding           the decoded short message (message_payload when sm_length is 0)
//   udh      {length, ies: [{iei, name, hex}], concat?: {ref, total, seq, ref_bits}, ports?: {dest, orig, bits}}
//   concat   {ref, total, seq, source: "udh_8bit" | "udh_16bit" | "sar"}
//   receipt  {message_id, id, sub, dlvrd, submit_date, submit_time, done_date, done_time, stat,
//             err, text, state, state_name, receipted_message_id, message_state, network_error}
//   receipt_err_meaning     the receipt's err: code in json_context::vendor's table
//   lints    [{name, message}]
//   hex      the PDU's bytes, lowercase (password octets replaced by '*' 0x2A)
//   error    the decode error, when there is one
// Output is valid UTF-8 whatever the input: control characters are escaped and invalid UTF-8
// is replaced by U+FFFD. Appends into `out` with no per-field allocation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/text.hpp"
#include "smppscope/decoder/udh.hpp"

namespace smppscope::decoder {

inline constexpr std::string_view password_mask = "********";

// One code of a provider's receipt err: table.
struct receipt_err_meaning {
  std::uint32_t code = 0;
  std::string_view meaning;
};

// Values the specification leaves to each provider (vendor TLVs and statuses, the receipt err:
// codes), as a provider profile names them; row `vendor` fields hold the profile's name.
// The same vendor tag means different things at different providers, so the protocol table has
// none: without these rows a vendor value is shown raw, with a hint of who names it.
struct vendor_names {
  std::span<const tlv_spec> tlvs;
  std::span<const status_spec> statuses;
  std::span<const receipt_err_meaning> receipt_errors;  // sorted by code
  // Rows of every known profile, for "vendor_hint" / "status_vendor_hint" only.
  std::span<const tlv_spec> hint_tlvs;
  std::span<const status_spec> hint_statuses;
};

struct json_context {
  std::uint64_t session = 0;
  std::string_view direction;     // "esme_to_smsc" or "smsc_to_esme"
  std::int64_t ts_us = 0;
  std::uint64_t event_id = 0;     // written as "id" when non-zero
  std::string_view error;         // decode error message; written as "error" when not empty
  text_options text;              // GSM7 packing override etc.
  bool include_hex = true;        // write "hex": the PDU's bytes as lowercase hex
  const vendor_names* vendor = nullptr;  // the session's provider names; nullptr: spec only
};

// Appends one PDU event object to `out`. `frame` is the PDU's bytes (for "hex").
void append_pdu_json(std::string& out, const pdu& p, bytes_view frame, const json_context& ctx);

// Appends the ,"udh":{...} member (the layout above) for a parsed UDH; shared with the CMPP writer.
void append_udh_json(std::string& out, const udh& h);

// Appends `s` as a JSON string literal (quoted, escaped; invalid UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view s);

// Appends peer-controlled text (system_id, addresses, message_id, decoded text) for a log line or
// a terminal: printable ASCII and valid UTF-8 pass, everything else becomes a visible escape.
// Control characters (C0, DEL, C1 such as U+009B CSI), invalid UTF-8, and the Unicode format
// characters that reorder or split lines (U+2028/2029, bidi marks and overrides) are written as
// \xNN per octet; a backslash is doubled, so the result reads back unambiguously. No ANSI escape
// sequence, carriage return or newline survives.
void append_log_safe(std::string& out, std::string_view s);
std::string log_safe(std::string_view s);

}  // namespace smppscope::decoder
