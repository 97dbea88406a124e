// The one table. Section marks (§N) are listed in protocol.hpp with the specification sections
// they stand for. Source keys in brackets say who agrees with a row: W Wireshark packet-smpp.c and
// tshark 4.0.17, R Rusmpp, K Kannel (smpp_pdu.def), N node-smpp 0.5.1, J Java smppapi, S34 / S50
// the v3.4 / v5.0 specification text, T tshark run on a vector in tests/data/vectors.
#include "smppscope/decoder/protocol.hpp"

#include "smppscope/decoder/pdu.hpp"  // max_fields

#include <array>
#include <cstddef>

namespace smppscope::decoder {
namespace {

using ft = field_type;
using tt = tlv_type;

constexpr std::uint8_t v3x = v33 | v34 | v50;
constexpr std::uint8_t v4x = v34 | v50;

// ---- mandatory bodies (§3) --------------------------------------------------------------

// §3 bind_transmitter / bind_receiver / bind_transceiver [S50 W R N]
constexpr field_spec bind_body[] = {
    {"system_id", ft::c_string, 16},
    {"password", ft::c_string, 9},
    {"system_type", ft::c_string, 13},
    {"interface_version", ft::int1, 0},
    {"addr_ton", ft::int1, 0},
    {"addr_npi", ft::int1, 0},
    {"address_range", ft::c_string, 41},
};
// §3 bind_*_resp [S50 W R K]
constexpr field_spec bind_resp_body[] = {
    {"system_id", ft::c_string, 16},
};
// §3 outbind [W R K]
constexpr field_spec outbind_body[] = {
    {"system_id", ft::c_string, 16},
    {"password", ft::c_string, 9},
};
// §3 query_sm [W R K N]
constexpr field_spec query_sm_body[] = {
    {"message_id", ft::c_string, 65},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
};
// §3 query_sm_resp [W R K]
constexpr field_spec query_sm_resp_body[] = {
    {"message_id", ft::c_string, 65},
    {"final_date", ft::time, 17},
    {"message_state", ft::int1, 0},
    {"error_code", ft::int1, 0},
};
// §3 submit_sm / deliver_sm, identical order [W R K N]
constexpr field_spec submit_sm_body[] = {
    {"service_type", ft::c_string, 6},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
    {"dest_addr_ton", ft::int1, 0},
    {"dest_addr_npi", ft::int1, 0},
    {"destination_addr", ft::c_string, 21},
    {"esm_class", ft::int1, 0},
    {"protocol_id", ft::int1, 0},
    {"priority_flag", ft::int1, 0},
    {"schedule_delivery_time", ft::time, 17},
    {"validity_period", ft::time, 17},
    {"registered_delivery", ft::int1, 0},
    {"replace_if_present_flag", ft::int1, 0},
    {"data_coding", ft::int1, 0},
    {"sm_default_msg_id", ft::int1, 0},
    {"sm_length", ft::sm_length, 0},
    {"short_message", ft::octet_string, 254},  // §13: 0-254 octets
};
// §3 submit_sm_resp, deliver_sm_resp, data_sm_resp, broadcast_sm_resp,
// query_broadcast_sm_resp [W K R]
constexpr field_spec message_id_body[] = {
    {"message_id", ft::c_string, 65},
};
// §3 replace_sm: no service_type [W R N]
constexpr field_spec replace_sm_body[] = {
    {"message_id", ft::c_string, 65},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
    {"schedule_delivery_time", ft::time, 17},
    {"validity_period", ft::time, 17},
    {"registered_delivery", ft::int1, 0},
    {"sm_default_msg_id", ft::int1, 0},
    {"sm_length", ft::sm_length, 0},
    {"short_message", ft::octet_string, 254},
};
// §3 cancel_sm [W R N]
constexpr field_spec cancel_sm_body[] = {
    {"service_type", ft::c_string, 6},
    {"message_id", ft::c_string, 65},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
    {"dest_addr_ton", ft::int1, 0},
    {"dest_addr_npi", ft::int1, 0},
    {"destination_addr", ft::c_string, 21},
};
// §3 submit_multi [W R K N]: dest_address entries carry Cstr<=21 addresses
constexpr field_spec submit_multi_body[] = {
    {"service_type", ft::c_string, 6},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
    {"number_of_dests", ft::count, 0},
    {"dest_address", ft::dest_list, 21},
    {"esm_class", ft::int1, 0},
    {"protocol_id", ft::int1, 0},
    {"priority_flag", ft::int1, 0},
    {"schedule_delivery_time", ft::time, 17},
    {"validity_period", ft::time, 17},
    {"registered_delivery", ft::int1, 0},
    {"replace_if_present_flag", ft::int1, 0},
    {"data_coding", ft::int1, 0},
    {"sm_default_msg_id", ft::int1, 0},
    {"sm_length", ft::sm_length, 0},
    {"short_message", ft::octet_string, 254},
};
// §3 submit_multi_resp [W K R]
constexpr field_spec submit_multi_resp_body[] = {
    {"message_id", ft::c_string, 65},
    {"no_unsuccess", ft::count, 0},
    {"unsuccess_sme", ft::unsuccess_list, 21},
};
// §3 data_sm: addresses Cstr<=65 [S50 K W N]
constexpr field_spec data_sm_body[] = {
    {"service_type", ft::c_string, 6},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 65},
    {"dest_addr_ton", ft::int1, 0},
    {"dest_addr_npi", ft::int1, 0},
    {"destination_addr", ft::c_string, 65},
    {"esm_class", ft::int1, 0},
    {"registered_delivery", ft::int1, 0},
    {"data_coding", ft::int1, 0},
};
// §3 alert_notification [W R]
constexpr field_spec alert_notification_body[] = {
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 65},
    {"esme_addr_ton", ft::int1, 0},
    {"esme_addr_npi", ft::int1, 0},
    {"esme_addr", ft::c_string, 65},
};
// §3 v5.0 broadcast_sm: no registered_delivery, no short_message [W R N]
constexpr field_spec broadcast_sm_body[] = {
    {"service_type", ft::c_string, 6},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
    {"message_id", ft::c_string, 65},
    {"priority_flag", ft::int1, 0},
    {"schedule_delivery_time", ft::time, 17},
    {"validity_period", ft::time, 17},
    {"replace_if_present_flag", ft::int1, 0},
    {"data_coding", ft::int1, 0},
    {"sm_default_msg_id", ft::int1, 0},
};
// §3 v5.0 query_broadcast_sm [W R K N]
constexpr field_spec query_broadcast_sm_body[] = {
    {"message_id", ft::c_string, 65},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
};
// §3 v5.0 cancel_broadcast_sm [W R K N]
constexpr field_spec cancel_broadcast_sm_body[] = {
    {"service_type", ft::c_string, 6},
    {"message_id", ft::c_string, 65},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
};
// §2 v3.3-only PDUs. Layouts from the Java smppapi (J, single source); v3.3 message ids are
// Cstr<=9 (one Java library's v3.3 profile, single source).
constexpr field_spec param_retrieve_body[] = {
    {"param_name", ft::c_string, 32},
};
constexpr field_spec param_retrieve_resp_body[] = {
    {"param_value", ft::c_string, 101},
};
constexpr field_spec query_last_msgs_body[] = {
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
    {"num_messages", ft::int1, 0},
};
constexpr field_spec query_last_msgs_resp_body[] = {
    {"number_msgs", ft::count, 0},
    {"message_ids", ft::c_string_list, 9},
};
// sm_length here is how many octets of the stored message to return, not a length prefix.
constexpr field_spec query_msg_details_body[] = {
    {"message_id", ft::c_string, 9},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
    {"sm_length", ft::int1, 0},
};
constexpr field_spec query_msg_details_resp_body[] = {
    {"service_type", ft::c_string, 6},
    {"source_addr_ton", ft::int1, 0},
    {"source_addr_npi", ft::int1, 0},
    {"source_addr", ft::c_string, 21},
    {"number_of_dests", ft::count, 0},
    {"dest_address", ft::dest_list, 21},
    {"protocol_id", ft::int1, 0},
    {"priority_flag", ft::int1, 0},
    {"schedule_delivery_time", ft::time, 17},
    {"validity_period", ft::time, 17},
    {"registered_delivery", ft::int1, 0},
    {"data_coding", ft::int1, 0},
    {"sm_length", ft::sm_length, 0},
    {"short_message", ft::octet_string, 254},
    {"message_id", ft::c_string, 9},
    {"final_date", ft::time, 17},
    {"message_status", ft::int1, 0},
    {"error_code", ft::int1, 0},
};

constexpr std::span<const field_spec> none{};

constexpr pdu_spec make_pdu(std::uint32_t id, std::string_view name, std::span<const field_spec> fields,
                            std::uint8_t versions, bool tlvs_allowed) {
  pdu_spec s{id, name, fields, versions, tlvs_allowed};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto idx = static_cast<std::int8_t>(i);
    if (fields[i].name == "message_id" && s.message_id_index == no_field) s.message_id_index = idx;
    if (fields[i].name == "esm_class") s.esm_class_index = idx;
    if (fields[i].name == "data_coding") s.data_coding_index = idx;
    if (fields[i].type == ft::sm_length) s.sm_length_index = idx;
  }
  return s;
}

// §2 command ids. tlvs_allowed follows v3.4/v5.0: bodies that end in optional parameters.
constexpr pdu_spec pdus[] = {
    make_pdu(0x80000000, "generic_nack", none, v3x, false),
    make_pdu(0x00000001, "bind_receiver", bind_body, v3x, false),
    make_pdu(0x80000001, "bind_receiver_resp", bind_resp_body, v3x, true),  // sc_interface_version
    make_pdu(0x00000002, "bind_transmitter", bind_body, v3x, false),
    make_pdu(0x80000002, "bind_transmitter_resp", bind_resp_body, v3x, true),
    make_pdu(0x00000003, "query_sm", query_sm_body, v3x, false),
    make_pdu(0x80000003, "query_sm_resp", query_sm_resp_body, v3x, false),
    make_pdu(0x00000004, "submit_sm", submit_sm_body, v3x, true),
    make_pdu(0x80000004, "submit_sm_resp", message_id_body, v3x, true),  // v5.0 adds TLVs
    make_pdu(0x00000005, "deliver_sm", submit_sm_body, v3x, true),
    make_pdu(0x80000005, "deliver_sm_resp", message_id_body, v3x, true),  // v5.0 adds TLVs
    make_pdu(0x00000006, "unbind", none, v3x, false),
    make_pdu(0x80000006, "unbind_resp", none, v3x, false),
    make_pdu(0x00000007, "replace_sm", replace_sm_body, v3x, true),  // v5.0 message_payload
    make_pdu(0x80000007, "replace_sm_resp", none, v3x, false),
    make_pdu(0x00000008, "cancel_sm", cancel_sm_body, v3x, false),
    make_pdu(0x80000008, "cancel_sm_resp", none, v3x, false),
    make_pdu(0x00000009, "bind_transceiver", bind_body, v4x, false),
    make_pdu(0x80000009, "bind_transceiver_resp", bind_resp_body, v4x, true),
    make_pdu(0x0000000B, "outbind", outbind_body, v4x, false),  // 3.3 disputed: Java libraries differ
    make_pdu(0x00000015, "enquire_link", none, v3x, false),
    make_pdu(0x80000015, "enquire_link_resp", none, v3x, false),
    make_pdu(0x00000021, "submit_multi", submit_multi_body, v3x, true),
    make_pdu(0x80000021, "submit_multi_resp", submit_multi_resp_body, v3x, true),  // v5.0 TLVs
    make_pdu(0x00000022, "param_retrieve", param_retrieve_body, v33, false),
    make_pdu(0x80000022, "param_retrieve_resp", param_retrieve_resp_body, v33, false),
    make_pdu(0x00000023, "query_last_msgs", query_last_msgs_body, v33, false),
    make_pdu(0x80000023, "query_last_msgs_resp", query_last_msgs_resp_body, v33, false),
    make_pdu(0x00000024, "query_msg_details", query_msg_details_body, v33, false),
    make_pdu(0x80000024, "query_msg_details_resp", query_msg_details_resp_body, v33, false),
    make_pdu(0x00000102, "alert_notification", alert_notification_body, v4x, true),
    make_pdu(0x00000103, "data_sm", data_sm_body, v4x, true),
    make_pdu(0x80000103, "data_sm_resp", message_id_body, v4x, true),
    make_pdu(0x00000111, "broadcast_sm", broadcast_sm_body, v50, true),
    make_pdu(0x80000111, "broadcast_sm_resp", message_id_body, v50, true),
    make_pdu(0x00000112, "query_broadcast_sm", query_broadcast_sm_body, v50, true),
    make_pdu(0x80000112, "query_broadcast_sm_resp", message_id_body, v50, true),
    make_pdu(0x00000113, "cancel_broadcast_sm", cancel_broadcast_sm_body, v50, true),
    make_pdu(0x80000113, "cancel_broadcast_sm_resp", none, v50, false),
};
static_assert(std::size(pdus) < 0xFF);
static_assert([] {
  for (const auto& p : pdus)
    if (p.fields.size() > max_fields || p.fields.size() > 32) return false;  // 32: pdu_builder mask
  return true;
}());

// ---- TLVs (§4) ------------------------------------------------------------------------------
// Lengths are value octets; c_string max counts the NUL. Disputed widths take the wider bound so
// that no real-world variant is flagged.
constexpr tlv_spec standard_tlvs[] = {
    {0x0005, "dest_addr_subunit", tt::int1, 1, 1, v4x, {}},
    {0x0006, "dest_network_type", tt::int1, 1, 1, v4x, {}},
    {0x0007, "dest_bearer_type", tt::int1, 1, 1, v4x, {}},
    {0x0008, "dest_telematics_id", tt::int2, 2, 2, v4x, {}},
    {0x000D, "source_addr_subunit", tt::int1, 1, 1, v4x, {}},
    {0x000E, "source_network_type", tt::int1, 1, 1, v4x, {}},
    {0x000F, "source_bearer_type", tt::int1, 1, 1, v4x, {}},
    {0x0010, "source_telematics_id", tt::int2, 1, 2, v4x, {}},  // I2 W R N, I1 K (disputed)
    {0x0017, "qos_time_to_live", tt::int4, 4, 4, v4x, {}},
    {0x0019, "payload_type", tt::int1, 1, 1, v4x, {}},
    {0x001D, "additional_status_info_text", tt::c_string, 1, 256, v4x, {}},
    {0x001E, "receipted_message_id", tt::c_string, 1, 65, v4x, {}},
    {0x0030, "ms_msg_wait_facilities", tt::int1, 1, 1, v4x, {}},
    {0x0201, "privacy_indicator", tt::int1, 1, 1, v4x, {}},
    {0x0202, "source_subaddress", tt::octets, 2, 23, v4x, {}},
    {0x0203, "dest_subaddress", tt::octets, 2, 23, v4x, {}},
    {0x0204, "user_message_reference", tt::int2, 2, 2, v4x, {}},
    {0x0205, "user_response_code", tt::int1, 1, 1, v4x, {}},
    {0x020A, "source_port", tt::int2, 2, 2, v4x, {}},
    {0x020B, "destination_port", tt::int2, 2, 2, v4x, {}},  // "dest_port" in v5.0
    {0x020C, "sar_msg_ref_num", tt::int2, 2, 2, v4x, {}},
    {0x020D, "language_indicator", tt::int1, 1, 1, v4x, {}},
    {0x020E, "sar_total_segments", tt::int1, 1, 1, v4x, {}},
    {0x020F, "sar_segment_seqnum", tt::int1, 1, 1, v4x, {}},
    {0x0210, "sc_interface_version", tt::int1, 1, 1, v4x, {}},
    {0x0302, "callback_num_pres_ind", tt::int1, 1, 1, v4x, {}},
    {0x0303, "callback_num_atag", tt::octets, 0, 65, v4x, {}},
    {0x0304, "number_of_messages", tt::int1, 1, 1, v4x, {}},
    {0x0381, "callback_num", tt::octets, 4, 19, v4x, {}},
    {0x0420, "dpf_result", tt::int1, 1, 1, v4x, {}},
    {0x0421, "set_dpf", tt::int1, 1, 1, v4x, {}},
    {0x0422, "ms_availability_status", tt::int1, 1, 1, v4x, {}},
    {0x0423, "network_error_code", tt::composite, 3, 3, v4x, {}},  // type I1 + code I2
    {0x0424, "message_payload", tt::octets, 0, 65535, v4x, {}},
    {0x0425, "delivery_failure_reason", tt::int1, 1, 1, v4x, {}},
    {0x0426, "more_messages_to_send", tt::int1, 1, 1, v4x, {}},
    {0x0427, "message_state", tt::int1, 1, 1, v4x, {}},
    {0x0428, "congestion_state", tt::int1, 1, 1, v50, {}},
    {0x0501, "ussd_service_op", tt::int1, 1, 1, v4x, {}},
    {0x0600, "broadcast_channel_indicator", tt::int1, 1, 1, v50, {}},
    {0x0601, "broadcast_content_type", tt::composite, 3, 3, v50, {}},  // network I1 + type I2
    {0x0602, "broadcast_content_type_info", tt::octets, 0, 65535, v50, {}},
    {0x0603, "broadcast_message_class", tt::int1, 1, 1, v50, {}},
    {0x0604, "broadcast_rep_num", tt::int2, 1, 2, v50, {}},  // I1 W R, I2 N (disputed)
    {0x0605, "broadcast_frequency_interval", tt::composite, 3, 3, v50, {}},  // unit I1 + value I2
    {0x0606, "broadcast_area_identifier", tt::composite, 1, 65535, v50, {}},  // format I1 + area
    {0x0607, "broadcast_error_status", tt::int4, 4, 4, v50, {}},
    {0x0608, "broadcast_area_success", tt::int1, 1, 1, v50, {}},
    {0x0609, "broadcast_end_time", tt::c_string, 1, 17, v50, {}},
    {0x060A, "broadcast_service_group", tt::octets, 0, 65535, v50, {}},
    {0x060B, "billing_identification", tt::octets, 1, 1024, v50, {}},
    {0x060D, "source_network_id", tt::c_string, 1, 66, v50, {}},  // <=65 K, 7-66 R
    {0x060E, "dest_network_id", tt::c_string, 1, 66, v50, {}},
    {0x060F, "source_node_id", tt::octets, 6, 6, v50, {}},
    {0x0610, "dest_node_id", tt::octets, 6, 6, v50, {}},
    {0x0611, "dest_addr_np_resolution", tt::int1, 1, 1, v50, {}},
    {0x0612, "dest_addr_np_information", tt::octets, 10, 10, v50, {}},
    {0x0613, "dest_addr_np_country", tt::octets, 1, 5, v50, {}},  // disputed width
    {0x1201, "display_time", tt::int1, 1, 1, v4x, {}},
    {0x1203, "sms_signal", tt::int2, 2, 2, v4x, {}},
    {0x1204, "ms_validity", tt::composite, 1, 4, v4x, {}},  // 3.4 I1; 5.0 1 or 4 octets [R]
    {0x130C, "alert_on_message_delivery", tt::empty, 0, 1, v4x, {}},  // 5.0 allows 1 octet [W]
    {0x1380, "its_reply_type", tt::int1, 1, 1, v4x, {}},
    {0x1383, "its_session_info", tt::composite, 2, 2, v4x, {}},  // session I1 + sequence/end bits
};

// No vendor TLVs (tags 0x1400-0x3FFF, §1) in this table: the same tag means different things at
// different providers, so vendor names live in the provider profiles (profiles/*.toml) and reach
// the JSON writer through json_context::vendor.
constexpr auto tlvs = std::to_array(standard_tlvs);
static_assert(tlvs.size() < 0xFF);

// ---- command_status (§5) --------------------------------------------------------------------
constexpr status_spec standard_statuses[] = {
    {0x00000000, "ESME_ROK", "no error", {}},
    {0x00000001, "ESME_RINVMSGLEN", "message length invalid", {}},
    {0x00000002, "ESME_RINVCMDLEN", "command length invalid", {}},
    {0x00000003, "ESME_RINVCMDID", "invalid command id", {}},
    {0x00000004, "ESME_RINVBNDSTS", "wrong bind state for command", {}},
    {0x00000005, "ESME_RALYBND", "already bound", {}},
    {0x00000006, "ESME_RINVPRTFLG", "invalid priority_flag", {}},
    {0x00000007, "ESME_RINVREGDLVFLG", "invalid registered_delivery", {}},
    {0x00000008, "ESME_RSYSERR", "system error", {}},
    {0x0000000A, "ESME_RINVSRCADR", "invalid source address", {}},
    {0x0000000B, "ESME_RINVDSTADR", "invalid destination address", {}},
    {0x0000000C, "ESME_RINVMSGID", "invalid message_id", {}},
    {0x0000000D, "ESME_RBINDFAIL", "bind failed", {}},
    {0x0000000E, "ESME_RINVPASWD", "invalid password", {}},
    {0x0000000F, "ESME_RINVSYSID", "invalid system_id", {}},
    {0x00000011, "ESME_RCANCELFAIL", "cancel_sm failed", {}},
    {0x00000013, "ESME_RREPLACEFAIL", "replace_sm failed", {}},
    {0x00000014, "ESME_RMSGQFUL", "message queue full", {}},
    {0x00000015, "ESME_RINVSERTYP", "invalid service_type", {}},
    {0x00000033, "ESME_RINVNUMDESTS", "invalid number of destinations", {}},
    {0x00000034, "ESME_RINVDLNAME", "invalid distribution list name", {}},
    {0x00000040, "ESME_RINVDESTFLAG", "invalid dest_flag (submit_multi)", {}},
    {0x00000042, "ESME_RINVSUBREP", "invalid \"submit with replace\"", {}},
    {0x00000043, "ESME_RINVESMCLASS", "invalid esm_class", {}},
    {0x00000044, "ESME_RCNTSUBDL", "cannot submit to distribution list", {}},
    {0x00000045, "ESME_RSUBMITFAIL", "submit_sm / submit_multi failed", {}},
    {0x00000048, "ESME_RINVSRCTON", "invalid source TON", {}},
    {0x00000049, "ESME_RINVSRCNPI", "invalid source NPI", {}},
    {0x00000050, "ESME_RINVDSTTON", "invalid destination TON", {}},
    {0x00000051, "ESME_RINVDSTNPI", "invalid destination NPI", {}},
    {0x00000053, "ESME_RINVSYSTYP", "invalid system_type", {}},
    {0x00000054, "ESME_RINVREPFLAG", "invalid replace_if_present_flag", {}},
    {0x00000055, "ESME_RINVNUMMSGS", "invalid number of messages", {}},
    {0x00000058, "ESME_RTHROTTLED", "throttling error", {}},
    {0x00000061, "ESME_RINVSCHED", "invalid scheduled delivery time", {}},
    {0x00000062, "ESME_RINVEXPIRY", "invalid validity period", {}},
    {0x00000063, "ESME_RINVDFTMSGID", "predefined message invalid / not found", {}},
    {0x00000064, "ESME_RX_T_APPN", "ESME receiver temporary app error", {}},
    {0x00000065, "ESME_RX_P_APPN", "ESME receiver permanent app error", {}},
    {0x00000066, "ESME_RX_R_APPN", "ESME receiver reject message error", {}},
    {0x00000067, "ESME_RQUERYFAIL", "query_sm failed", {}},
    {0x000000C0, "ESME_RINVTLVSTREAM", "error in the optional (TLV) part", {}},
    {0x000000C1, "ESME_RTLVNOTALLWD", "TLV not allowed", {}},
    {0x000000C2, "ESME_RINVTLVLEN", "invalid TLV length", {}},
    {0x000000C3, "ESME_RMISSINGTLV", "expected TLV missing", {}},
    {0x000000C4, "ESME_RINVTLVVAL", "invalid TLV value", {}},
    {0x000000FE, "ESME_RDELIVERYFAILURE", "transaction delivery failure (data_sm_resp)", {}},
    {0x000000FF, "ESME_RUNKNOWNERR", "unknown error", {}},
    // v5.0 [W R]
    {0x00000100, "ESME_RSERTYPUNAUTH", "not authorised for service_type", {}},
    {0x00000101, "ESME_RPROHIBITED", "operation prohibited", {}},
    {0x00000102, "ESME_RSERTYPUNAVAIL", "service_type unavailable", {}},
    {0x00000103, "ESME_RSERTYPDENIED", "service_type denied", {}},
    {0x00000104, "ESME_RINVDCS", "invalid data coding scheme", {}},
    {0x00000105, "ESME_RINVSRCADDRSUBUNIT", "invalid source address subunit", {}},
    {0x00000106, "ESME_RINVDSTADDRSUBUNIT", "invalid destination address subunit", {}},
    {0x00000107, "ESME_RINVBCASTFREQINT", "invalid broadcast frequency interval", {}},
    {0x00000108, "ESME_RINVBCASTALIAS_NAME", "invalid broadcast alias name", {}},
    {0x00000109, "ESME_RINVBCASTAREAFMT", "invalid broadcast area format", {}},
    {0x0000010A, "ESME_RINVNUMBCAST_AREAS", "invalid number of broadcast areas", {}},
    {0x0000010B, "ESME_RINVBCASTCNTTYPE", "invalid broadcast content type", {}},
    {0x0000010C, "ESME_RINVBCASTMSGCLASS", "invalid broadcast message class", {}},
    {0x0000010D, "ESME_RBCASTFAIL", "broadcast_sm failed", {}},
    {0x0000010E, "ESME_RBCASTQUERYFAIL", "query_broadcast_sm failed", {}},
    {0x0000010F, "ESME_RBCASTCANCELFAIL", "cancel_broadcast_sm failed", {}},
    {0x00000110, "ESME_RINVBCAST_REP", "invalid number of repeated broadcasts", {}},
    {0x00000111, "ESME_RINVBCASTSRVGRP", "invalid broadcast service group", {}},
    {0x00000112, "ESME_RINVBCASTCHANIND", "invalid broadcast channel indicator", {}},
};

// Vendor statuses (0x400-0x4FF, §5) are not here either: see the provider profiles.
constexpr auto statuses = std::to_array(standard_statuses);
static_assert(statuses.size() < 0xFF);

// ---- O(1) lookup indexes, built at compile time ---------------------------------------------
constexpr std::uint8_t absent = 0xFF;

// command ids live in 0x00-0x3F and 0x100-0x13F (request bit aside): slot = (low id, response).
struct pdu_index_t {
  std::array<std::uint8_t, 0x40 * 2> low{};
  std::array<std::uint8_t, 0x40 * 2> high{};
};
constexpr pdu_index_t make_pdu_index() {
  pdu_index_t r{};
  for (auto& v : r.low) v = absent;
  for (auto& v : r.high) v = absent;
  for (std::size_t i = 0; i < std::size(pdus); ++i) {
    const std::uint32_t key = pdus[i].id & ~response_bit;
    const std::size_t resp = is_response(pdus[i].id) ? 1 : 0;
    if (key < 0x40) r.low[key * 2 + resp] = static_cast<std::uint8_t>(i);
    else if (key >= 0x100 && key < 0x140) r.high[(key - 0x100) * 2 + resp] = static_cast<std::uint8_t>(i);
    else throw "command id outside the indexed ranges";  // compile-time error
  }
  return r;
}
constexpr pdu_index_t pdu_index = make_pdu_index();

// TLV tags: a page per used high octet, 256 slots each.
constexpr std::size_t tlv_page_count = [] {
  std::array<bool, 256> used{};
  for (const auto& t : tlvs) used[t.tag >> 8] = true;
  std::size_t n = 0;
  for (bool u : used) n += u ? 1 : 0;
  return n;
}();
struct tlv_index_t {
  std::array<std::uint8_t, 256> page_of_high{};  // absent or page number
  std::array<std::array<std::uint8_t, 256>, tlv_page_count> pages{};
};
constexpr tlv_index_t make_tlv_index() {
  tlv_index_t r{};
  for (auto& v : r.page_of_high) v = absent;
  for (auto& p : r.pages)
    for (auto& v : p) v = absent;
  std::uint8_t next = 0;
  for (std::size_t i = 0; i < tlvs.size(); ++i) {
    auto& page = r.page_of_high[tlvs[i].tag >> 8];
    if (page == absent) page = next++;
    if (r.pages[page][tlvs[i].tag & 0xFF] != absent) throw "duplicate TLV tag";
    r.pages[page][tlvs[i].tag & 0xFF] = static_cast<std::uint8_t>(i);
  }
  return r;
}
constexpr tlv_index_t tlv_index = make_tlv_index();

// Statuses: direct slots for 0x000-0x1FF, vendor range 0x400-0x4FF.
struct status_index_t {
  std::array<std::uint8_t, 0x200> standard{};
  std::array<std::uint8_t, 0x100> vendor{};
};
constexpr status_index_t make_status_index() {
  status_index_t r{};
  for (auto& v : r.standard) v = absent;
  for (auto& v : r.vendor) v = absent;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    const std::uint32_t v = statuses[i].value;
    if (v < 0x200) r.standard[v] = static_cast<std::uint8_t>(i);
    else if (v >= 0x400 && v < 0x500) r.vendor[v - 0x400] = static_cast<std::uint8_t>(i);
    else throw "status outside the indexed ranges";
  }
  return r;
}
constexpr status_index_t status_index = make_status_index();

}  // namespace

const pdu_spec* find_pdu(std::uint32_t id) noexcept {
  const std::uint32_t key = id & ~response_bit;
  const std::size_t resp = is_response(id) ? 1 : 0;
  std::uint8_t i = absent;
  if (key < 0x40) i = pdu_index.low[key * 2 + resp];
  else if (key - 0x100 < 0x40) i = pdu_index.high[(key - 0x100) * 2 + resp];
  return i == absent ? nullptr : &pdus[i];
}

const pdu_spec* find_pdu(std::string_view name) noexcept {
  for (const auto& p : pdus)
    if (p.name == name) return &p;
  return nullptr;
}

const tlv_spec* find_tlv(std::uint16_t tag) noexcept {
  const std::uint8_t page = tlv_index.page_of_high[tag >> 8];
  if (page == absent) return nullptr;
  const std::uint8_t i = tlv_index.pages[page][tag & 0xFF];
  return i == absent ? nullptr : &tlvs[i];
}

const tlv_spec* find_tlv(std::string_view name) noexcept {
  for (const auto& t : tlvs)
    if (t.name == name) return &t;
  return nullptr;
}

const status_spec* find_status(std::uint32_t value) noexcept {
  std::uint8_t i = absent;
  if (value < 0x200) i = status_index.standard[value];
  else if (value - 0x400 < 0x100) i = status_index.vendor[value - 0x400];
  return i == absent ? nullptr : &statuses[i];
}

std::span<const pdu_spec> all_pdus() noexcept { return pdus; }
std::span<const tlv_spec> all_tlvs() noexcept { return tlvs; }
std::span<const status_spec> all_statuses() noexcept { return statuses; }

std::string_view command_name(std::uint32_t id) noexcept {
  const pdu_spec* p = find_pdu(id);
  return p ? p->name : std::string_view("unknown");
}

std::string_view status_name(std::uint32_t value) noexcept {
  const status_spec* s = find_status(value);
  return s ? s->name : std::string_view();
}

}  // namespace smppscope::decoder
