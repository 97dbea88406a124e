// The CMPP tables: one command table per version, and the code tables. Source keys in brackets say
// who agrees with a row: S2 the CMPP 2.0 specification (V2.0, April 2002) and public C headers
// that carry its tables, S3 the CMPP 3.0 specification text, G gocmpp, Z SMSGate (separate 2.0
// and 3.0 packet classes), W Wireshark packet-cmpp.c (3.0 layouts only), T tshark 4.0.17 run on
// a vector in tests/data/vectors. Section marks: §5 message definitions (2.0 section 7.4, 3.0
// section 7.4), §6 value tables, §7 Msg_Id.
#include "smppscope/decoder/cmpp.hpp"

#include <algorithm>

namespace smppscope::decoder::cmpp {
namespace {

using ft = field_type;

// §5 CMPP_CONNECT, 39 octets, same in both versions [S2 S3 G Z W T]
constexpr field_spec connect_body[] = {
    {"Source_Addr", ft::octets, 6},
    {"AuthenticatorSource", ft::binary, 16},  // MD5, never a secret
    {"Version", ft::int1, 1},
    {"Timestamp", ft::int4, 4},  // MMDDHHMMSS as an integer
};
// §5 CMPP_CONNECT_RESP: Status 1 octet (30 octets) in 2.0 [S2 G Z] ...
constexpr field_spec connect_resp_v20[] = {
    {"Status", ft::int1, 1},
    {"AuthenticatorISMG", ft::binary, 16},
    {"Version", ft::int1, 1},
};
// ... 4 octets (33 octets) in 3.0 [S3 G Z W]
constexpr field_spec connect_resp_v30[] = {
    {"Status", ft::int4, 4},
    {"AuthenticatorISMG", ft::binary, 16},
    {"Version", ft::int1, 1},
};
// §5 CMPP_SUBMIT 2.0: Total_Length = 138 + 21 n + L [S2 G Z]
constexpr field_spec submit_v20[] = {
    {"Msg_Id", ft::int8, 8},
    {"Pk_total", ft::int1, 1},
    {"Pk_number", ft::int1, 1},
    {"Registered_Delivery", ft::int1, 1},
    {"Msg_level", ft::int1, 1},
    {"Service_Id", ft::octets, 10},
    {"Fee_UserType", ft::int1, 1},
    {"Fee_terminal_Id", ft::octets, 21},
    {"TP_pId", ft::int1, 1},
    {"TP_udhi", ft::int1, 1},
    {"Msg_Fmt", ft::int1, 1},
    {"Msg_src", ft::octets, 6},
    {"FeeType", ft::octets, 2},
    {"FeeCode", ft::octets, 6},
    {"ValId_Time", ft::octets, 17},
    {"At_Time", ft::octets, 17},
    {"Src_Id", ft::octets, 21},
    {"DestUsr_tl", ft::count, 1},
    {"Dest_terminal_Id", ft::terminal_list, 21},
    {"Msg_Length", ft::msg_length, 1},
    {"Msg_Content", ft::msg_content, 0},
    {"Reserve", ft::octets, 8},
};
// §5 CMPP_SUBMIT 3.0: 32-octet terminal ids with a type octet, LinkID; 163 + 32 n + L [S3 G Z W T]
constexpr field_spec submit_v30[] = {
    {"Msg_Id", ft::int8, 8},
    {"Pk_total", ft::int1, 1},
    {"Pk_number", ft::int1, 1},
    {"Registered_Delivery", ft::int1, 1},
    {"Msg_level", ft::int1, 1},
    {"Service_Id", ft::octets, 10},
    {"Fee_UserType", ft::int1, 1},
    {"Fee_terminal_Id", ft::octets, 32},
    {"Fee_terminal_type", ft::int1, 1},  // 0 real number, 1 pseudo code
    {"TP_pId", ft::int1, 1},
    {"TP_udhi", ft::int1, 1},
    {"Msg_Fmt", ft::int1, 1},
    {"Msg_src", ft::octets, 6},
    {"FeeType", ft::octets, 2},
    {"FeeCode", ft::octets, 6},
    {"ValId_Time", ft::octets, 17},
    {"At_Time", ft::octets, 17},
    {"Src_Id", ft::octets, 21},
    {"DestUsr_tl", ft::count, 1},
    {"Dest_terminal_Id", ft::terminal_list, 32},
    {"Dest_terminal_type", ft::int1, 1},
    {"Msg_Length", ft::msg_length, 1},
    {"Msg_Content", ft::msg_content, 0},
    {"LinkID", ft::octets, 20},
};
// §5 CMPP_SUBMIT_RESP / CMPP_DELIVER_RESP: Result 1 octet (21) in 2.0 [S2 G Z] ...
constexpr field_spec msg_id_result_v20[] = {
    {"Msg_Id", ft::int8, 8},
    {"Result", ft::int1, 1},
};
// ... 4 octets (24) in 3.0 [S3 G Z W]
constexpr field_spec msg_id_result_v30[] = {
    {"Msg_Id", ft::int8, 8},
    {"Result", ft::int4, 4},
};
// §5 CMPP_QUERY, 39 octets, both versions [S2 S3 Z]
constexpr field_spec query_body[] = {
    {"Time", ft::octets, 8},  // YYYYMMDD
    {"Query_Type", ft::int1, 1},
    {"Query_Code", ft::octets, 10},
    {"Reserve", ft::octets, 8},
};
// §5 CMPP_QUERY_RESP, 63 octets, both versions [S2 S3 Z]
constexpr field_spec query_resp_body[] = {
    {"Time", ft::octets, 8},
    {"Query_Type", ft::int1, 1},
    {"Query_Code", ft::octets, 10},
    {"MT_TLMsg", ft::int4, 4},
    {"MT_Tlusr", ft::int4, 4},
    {"MT_Scs", ft::int4, 4},
    {"MT_WT", ft::int4, 4},
    {"MT_FL", ft::int4, 4},
    {"MO_Scs", ft::int4, 4},
    {"MO_WT", ft::int4, 4},
    {"MO_FL", ft::int4, 4},
};
// §5 CMPP_DELIVER 2.0: Total_Length = 85 + L, Msg_Length at offset 76 [S2 G Z T]
constexpr field_spec deliver_v20[] = {
    {"Msg_Id", ft::int8, 8},
    {"Dest_Id", ft::octets, 21},
    {"Service_Id", ft::octets, 10},
    {"TP_pid", ft::int1, 1},
    {"TP_udhi", ft::int1, 1},
    {"Msg_Fmt", ft::int1, 1},
    {"Src_terminal_Id", ft::octets, 21},
    {"Registered_Delivery", ft::int1, 1},
    {"Msg_Length", ft::msg_length, 1},
    {"Msg_Content", ft::msg_content, 0},
    {"Reserved", ft::octets, 8},
};
// §5 CMPP_DELIVER 3.0: Total_Length = 109 + L, Msg_Length at offset 88 [S3 G Z W T]
constexpr field_spec deliver_v30[] = {
    {"Msg_Id", ft::int8, 8},
    {"Dest_Id", ft::octets, 21},
    {"Service_Id", ft::octets, 10},
    {"TP_pid", ft::int1, 1},
    {"TP_udhi", ft::int1, 1},
    {"Msg_Fmt", ft::int1, 1},
    {"Src_terminal_Id", ft::octets, 32},
    {"Src_terminal_type", ft::int1, 1},
    {"Registered_Delivery", ft::int1, 1},
    {"Msg_Length", ft::msg_length, 1},
    {"Msg_Content", ft::msg_content, 0},
    {"LinkID", ft::octets, 20},
};
// §5 CMPP_CANCEL, 20 octets [S2 S3 Z]
constexpr field_spec cancel_body[] = {
    {"Msg_Id", ft::int8, 8},
};
// §5 CMPP_CANCEL_RESP: Success_Id 1 octet in 2.0 (S2, single source), 4 in 3.0 [S3 Z]
constexpr field_spec cancel_resp_v20[] = {
    {"Success_Id", ft::int1, 1},
};
constexpr field_spec cancel_resp_v30[] = {
    {"Success_Id", ft::int4, 4},
};
// §5 CMPP_ACTIVE_TEST_RESP, 13 octets [S2 S3 Z T]
constexpr field_spec active_test_resp_body[] = {
    {"Reserved", ft::int1, 1},
};
// FWD and the route commands: named, body not modelled [S2 S3 W G]
constexpr field_spec raw_body[] = {
    {"Body", ft::raw, 0},
};

constexpr std::span<const field_spec> none{};

// Commands both versions define with the same layout, then the ones that differ.
#define CMPP_SHARED_COMMANDS                                                            \
  {0x00000001, "CMPP_CONNECT", connect_body, true},                                    \
      {0x00000002, "CMPP_TERMINATE", none, true},                                      \
      {0x80000002, "CMPP_TERMINATE_RESP", none, true},                                 \
      {0x00000006, "CMPP_QUERY", query_body, true},                                    \
      {0x80000006, "CMPP_QUERY_RESP", query_resp_body, true},                          \
      {0x00000007, "CMPP_CANCEL", cancel_body, true},                                  \
      {0x00000008, "CMPP_ACTIVE_TEST", none, true},                                    \
      {0x80000008, "CMPP_ACTIVE_TEST_RESP", active_test_resp_body, true},              \
      {0x00000009, "CMPP_FWD", raw_body, false},                                       \
      {0x80000009, "CMPP_FWD_RESP", raw_body, false},                                  \
      {0x00000010, "CMPP_MT_ROUTE", raw_body, false},                                  \
      {0x80000010, "CMPP_MT_ROUTE_RESP", raw_body, false},                             \
      {0x00000011, "CMPP_MO_ROUTE", raw_body, false},                                  \
      {0x80000011, "CMPP_MO_ROUTE_RESP", raw_body, false},                             \
      {0x00000013, "CMPP_MT_ROUTE_UPDATE", raw_body, false},                           \
      {0x80000013, "CMPP_MT_ROUTE_UPDATE_RESP", raw_body, false},                      \
      {0x00000014, "CMPP_MO_ROUTE_UPDATE", raw_body, false},                           \
      {0x80000014, "CMPP_MO_ROUTE_UPDATE_RESP", raw_body, false},                      \
      {0x00000015, "CMPP_PUSH_MT_ROUTE_UPDATE", raw_body, false},                      \
      {0x80000015, "CMPP_PUSH_MT_ROUTE_UPDATE_RESP", raw_body, false},                 \
      {0x00000016, "CMPP_PUSH_MO_ROUTE_UPDATE", raw_body, false},                      \
      {0x80000016, "CMPP_PUSH_MO_ROUTE_UPDATE_RESP", raw_body, false}

constexpr command_spec commands_v20[] = {
    CMPP_SHARED_COMMANDS,
    {0x80000001, "CMPP_CONNECT_RESP", connect_resp_v20, true},
    {0x00000004, "CMPP_SUBMIT", submit_v20, true},
    {0x80000004, "CMPP_SUBMIT_RESP", msg_id_result_v20, true},
    {0x00000005, "CMPP_DELIVER", deliver_v20, true},
    {0x80000005, "CMPP_DELIVER_RESP", msg_id_result_v20, true},
    {0x80000007, "CMPP_CANCEL_RESP", cancel_resp_v20, true},
    {0x00000012, "CMPP_GET_ROUTE", raw_body, false},  // 2.0 name [Y]
    {0x80000012, "CMPP_GET_ROUTE_RESP", raw_body, false},
};

constexpr command_spec commands_v30[] = {
    CMPP_SHARED_COMMANDS,
    {0x80000001, "CMPP_CONNECT_RESP", connect_resp_v30, true},
    {0x00000004, "CMPP_SUBMIT", submit_v30, true},
    {0x80000004, "CMPP_SUBMIT_RESP", msg_id_result_v30, true},
    {0x00000005, "CMPP_DELIVER", deliver_v30, true},
    {0x80000005, "CMPP_DELIVER_RESP", msg_id_result_v30, true},
    {0x80000007, "CMPP_CANCEL_RESP", cancel_resp_v30, true},
    {0x00000012, "CMPP_GET_MT_ROUTE", raw_body, false},  // 3.0 name [S3 W G]
    {0x80000012, "CMPP_GET_MT_ROUTE_RESP", raw_body, false},
    {0x00000017, "CMPP_GET_MO_ROUTE", raw_body, false},  // 3.0 only [S3 W G]
    {0x80000017, "CMPP_GET_MO_ROUTE_RESP", raw_body, false},
};
#undef CMPP_SHARED_COMMANDS

static_assert(std::size(submit_v30) <= max_fields && std::size(query_resp_body) <= max_fields);

constexpr std::uint8_t both = bit_v20 | bit_v30;

// §6 CONNECT_RESP Status [S2 S3 W G]; 5 and above: other errors
constexpr code_spec connect_status_codes[] = {
    {0, "ok", "correct", both},
    {1, "structure_error", "message structure error", both},
    {2, "illegal_source_address", "illegal source address", both},
    {3, "authentication_error", "authentication error", both},
    {4, "version_too_high", "version too high", both},
};
// §6 SUBMIT_RESP Result [S2 S3 W G]; 9+ other in 2.0, 3.0 defines 9-13
constexpr code_spec submit_result_codes[] = {
    {0, "ok", "correct", both},
    {1, "structure_error", "message structure error", both},
    {2, "command_error", "command word error", both},
    {3, "duplicate_sequence", "duplicate message sequence", both},
    {4, "message_length_error", "message length error", both},
    {5, "fee_code_error", "fee code error", both},
    {6, "message_too_long", "message exceeds the maximum length", both},
    {7, "service_code_error", "service code error", both},
    {8, "flow_control", "flow control error", both},
    {9, "fee_number_not_served", "this gateway does not serve the charged number", bit_v30},
    {10, "src_id_error", "Src_Id error", bit_v30},
    {11, "msg_src_error", "Msg_src error", bit_v30},
    {12, "fee_terminal_id_error", "Fee_terminal_Id error", bit_v30},
    {13, "dest_terminal_id_error", "Dest_terminal_Id error", bit_v30},
};
// §6 DELIVER_RESP Result [S2 S3 W G]; 9+ other
constexpr code_spec deliver_result_codes[] = {
    {0, "ok", "correct", both},
    {1, "structure_error", "message structure error", both},
    {2, "command_error", "command word error", both},
    {3, "duplicate_sequence", "duplicate message sequence", both},
    {4, "message_length_error", "message length error", both},
    {5, "fee_code_error", "fee code error", both},
    {6, "message_too_long", "message exceeds the maximum length", both},
    {7, "service_code_error", "service code error", both},
    {8, "flow_control", "flow control error", both},
};
// §5 CANCEL_RESP Success_Id [S2 S3]
constexpr code_spec cancel_success_codes[] = {
    {0, "success", "cancelled", both},
    {1, "failure", "not cancelled", both},
};
// §6 Msg_Fmt [S2 S3 W]
constexpr code_spec msg_fmt_codes[] = {
    {0, "ascii", "ASCII", both},
    {3, "sim_write", "SIM card write", both},
    {4, "binary", "binary", both},
    {8, "ucs2", "UCS2", both},
    {15, "gbk", "GB-coded Chinese", both},
};
// §6 Fee_UserType [S2 S3 W]
constexpr code_spec fee_user_type_codes[] = {
    {0, "destination", "charge the destination number", both},
    {1, "source", "charge the source number", both},
    {2, "sp", "charge the SP", both},
    {3, "fee_terminal_id", "charge Fee_terminal_Id", both},
};
// §5 SUBMIT Registered_Delivery [S2 S3]
constexpr code_spec registered_delivery_codes[] = {
    {0, "no", "no status report", both},
    {1, "yes", "status report", both},
    {2, "bill_only", "SMC bill, not sent to the handset", bit_v20},
};
// §6 FeeType [S2 S3]
struct fee_type_row {
  std::string_view code, name;
};
constexpr fee_type_row fee_types[] = {
    {"01", "free"}, {"02", "per message"}, {"03", "monthly"},
    {"04", "capped"}, {"05", "charged by SP"}, {"06", "monthly query fee"},
};

std::span<const command_spec> table(version v) noexcept {
  return v == version::v20 ? std::span<const command_spec>(commands_v20) : std::span<const command_spec>(commands_v30);
}

constexpr std::uint8_t bit_of(version v) noexcept { return v == version::v20 ? bit_v20 : bit_v30; }

}  // namespace

std::string_view version_name(version v) noexcept { return v == version::v20 ? "2.0" : "3.0"; }

std::optional<version> version_from_byte(std::uint8_t octet) noexcept {
  switch (octet >> 4) {
    case 2: return version::v20;
    case 3: return version::v30;
    default: return std::nullopt;
  }
}

const command_spec* find_command(std::uint32_t id, version v) noexcept {
  for (const command_spec& c : table(v)) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const command_spec* find_command(std::string_view name, version v) noexcept {
  for (const command_spec& c : table(v)) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::span<const command_spec> all_commands(version v) noexcept { return table(v); }

std::string_view command_name(std::uint32_t id, version v) noexcept {
  const command_spec* c = find_command(id, v);
  return c ? c->name : std::string_view("unknown");
}

bool known_command(std::uint32_t id) noexcept {
  return find_command(id, version::v30) != nullptr || find_command(id, version::v20) != nullptr;
}

std::span<const code_spec> all_codes(code_table t) noexcept {
  switch (t) {
    case code_table::connect_status: return connect_status_codes;
    case code_table::submit_result: return submit_result_codes;
    case code_table::deliver_result: return deliver_result_codes;
    case code_table::cancel_success: return cancel_success_codes;
    case code_table::msg_fmt: return msg_fmt_codes;
    case code_table::fee_user_type: return fee_user_type_codes;
    case code_table::registered_delivery: return registered_delivery_codes;
  }
  return {};
}

const code_spec* find_code(code_table t, std::uint32_t value, version v) noexcept {
  for (const code_spec& c : all_codes(t)) {
    if (c.value == value && (c.versions & bit_of(v)) != 0) return &c;
  }
  return nullptr;
}

std::string_view code_name(code_table t, std::uint32_t value, version v) noexcept {
  const code_spec* c = find_code(t, value, v);
  return c ? c->name : std::string_view("other");
}

std::string_view fee_type_name(std::string_view fee_type) noexcept {
  for (const fee_type_row& r : fee_types) {
    if (r.code == fee_type) return r.name;
  }
  return {};
}

std::string_view wire_protocol_name(wire_protocol p) noexcept {
  switch (p) {
    case wire_protocol::smpp: return "smpp";
    case wire_protocol::cmpp: return "cmpp";
    case wire_protocol::unknown: break;
  }
  return "unknown";
}

std::string_view version_source_name(version_source s) noexcept {
  switch (s) {
    case version_source::none: return "none";
    case version_source::configured: return "configured";
    case version_source::connect: return "connect";
    case version_source::response_length: return "response_length";
    case version_source::body_length: return "body_length";
    case version_source::tie_break: return "tie_break";
  }
  return "none";
}

}  // namespace smppscope::decoder::cmpp
