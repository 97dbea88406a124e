// Writes the PDU event JSON for a CMPP PDU: the envelope every PDU event has, so the UI and the
// filters treat both protocols alike, and the body under the CMPP specification's field names.
//
// Members, in this order (optional ones only when they apply):
//   type "pdu", id, protocol "cmpp", protocol_version "2.0" | "3.0", session, direction, ts_us,
//   command ("CMPP_SUBMIT", ...), command_id, command_status (Status / Result / Success_Id of a
//   response, else 0), status_name (its code name, "" when none), sequence_number (Sequence_Id),
//   command_length (Total_Length),
//   fields   {field name: integer | string (octet string cut at its first NUL) | hex string
//             (Msg_Id as 16 hex digits; AuthenticatorSource / AuthenticatorISMG, Msg_Content and
//             raw bodies as hex) | array of strings (Dest_terminal_Id)}
//   padding  {field name: hex of the whole fixed-width field} for octet strings whose padding
//             after the first NUL is not all NULs (what a NUL-cut value would hide)
//   names    {field name: meaning}: Version "2.0", Timestamp "MM-DD hh:mm:ss", Status / Result /
//             Success_Id, Msg_Fmt, Fee_UserType, FeeType, Registered_Delivery code names
//   msg_id   {hex, month, day, hour, minute, second, gateway, sequence}: the parts of Msg_Id
//   text, encoding, udh, concat   the message (SUBMIT, DELIVER that is not a report), as for SMPP
//   report   {Msg_Id, msg_id{...}, Stat, Submit_time, Done_time, Dest_terminal_Id, SMSC_sequence}
//   trailing hex of octets after the last field
//   hex, error   as for SMPP; with hex also layout [[name, offset, length], ...]: the header fields
//                (Total_Length, Command_Id, Sequence_Id) and every decoded body field
// AuthenticatorSource and AuthenticatorISMG are MD5 digests: shown as hex, the shared secret is
// never on the wire.
#pragma once

#include <string>

#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/json.hpp"

namespace smppscope::decoder::cmpp {

void append_pdu_json(std::string& out, const pdu& p, bytes_view frame, const json_context& ctx);

// Appends the msg_id object: {"hex":..., "month":..., ..., "sequence":...}.
void append_msg_id_json(std::string& out, std::uint64_t msg_id);

}  // namespace smppscope::decoder::cmpp
