// The one table of SMPP protocol facts: PDU layouts, TLVs and command_status values.
// The decoder, encoder, JSON writer, UI labels and round-trip tests are all driven by it.
// Sources: the SMPP v3.3, v3.4 and v5.0 specifications, checked against other decoders (the keys
// in brackets on the rows of protocol.cpp). The section marks there (§N) stand for:
//   §1  wire format: header, Integer, C-Octet String, TLV format   SMPP v3.4 sections 3, 5.1, 5.3
//   §2  command ids and the versions that have them                SMPP v3.4 section 5.1.2.1
//   §3  mandatory body layouts, in order                           SMPP v3.4 section 4 (v5.0: broadcast)
//   §4  TLV tags, names and widths                                 SMPP v3.4 section 5.3.2 (+ v5.0)
//   §5  command_status values                                      SMPP v3.4 section 5.1.3 (+ v5.0)
//   §6  data_coding 5.2.19;  §7  esm_class 5.2.12, registered_delivery 5.2.17
//   §8  TON 5.2.5, NPI 5.2.6, priority_flag 5.2.14, message_state 5.2.28;  §9  time format 7.1
//   §10 delivery receipt text: SMPP v3.4 Appendix B
//   §11 UDH, concatenation, ports: 3GPP TS 23.040 section 9.2.3.24
//   §12 GSM 7-bit default alphabet and packing: 3GPP TS 23.038 section 6
//   §13 sm_length / short_message / message_payload: SMPP v3.4 5.2.21, 5.2.22, 5.3.2.32
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace smppscope::decoder {

// Protocol versions a PDU or TLV is defined in (bit set).
enum version_bits : std::uint8_t { v33 = 1, v34 = 2, v50 = 4 };

// Command ids the proxy and tools act on by name. Any other uint32_t value is kept raw.
enum class command_id : std::uint32_t {
  generic_nack = 0x80000000,
  bind_receiver = 0x00000001,
  bind_receiver_resp = 0x80000001,
  bind_transmitter = 0x00000002,
  bind_transmitter_resp = 0x80000002,
  query_sm = 0x00000003,
  query_sm_resp = 0x80000003,
  submit_sm = 0x00000004,
  submit_sm_resp = 0x80000004,
  deliver_sm = 0x00000005,
  deliver_sm_resp = 0x80000005,
  unbind = 0x00000006,
  unbind_resp = 0x80000006,
  replace_sm = 0x00000007,
  replace_sm_resp = 0x80000007,
  cancel_sm = 0x00000008,
  cancel_sm_resp = 0x80000008,
  bind_transceiver = 0x00000009,
  bind_transceiver_resp = 0x80000009,
  outbind = 0x0000000B,
  enquire_link = 0x00000015,
  enquire_link_resp = 0x80000015,
  submit_multi = 0x00000021,
  submit_multi_resp = 0x80000021,
  alert_notification = 0x00000102,
  data_sm = 0x00000103,
  data_sm_resp = 0x80000103,
  broadcast_sm = 0x00000111,
  broadcast_sm_resp = 0x80000111,
  query_broadcast_sm = 0x00000112,
  query_broadcast_sm_resp = 0x80000112,
  cancel_broadcast_sm = 0x00000113,
  cancel_broadcast_sm_resp = 0x80000113,
};

inline constexpr std::uint32_t response_bit = 0x80000000u;

// Statuses the tools act on by name.
enum class command_status : std::uint32_t {
  ok = 0x00000000,
  invalid_password = 0x0000000E,
  message_queue_full = 0x00000014,
  throttled = 0x00000058,
  submit_failed = 0x00000045,
};

// TLV tags the tools act on by name.
enum class tlv_tag : std::uint16_t {
  receipted_message_id = 0x001E,
  sar_msg_ref_num = 0x020C,
  sar_total_segments = 0x020E,
  sar_segment_seqnum = 0x020F,
  sc_interface_version = 0x0210,
  network_error_code = 0x0423,
  message_payload = 0x0424,
  message_state = 0x0427,
  congestion_state = 0x0428,
};

// How a mandatory field is laid out on the wire.
enum class field_type : std::uint8_t {
  int1,           // 1-octet unsigned integer
  int2,           // 2-octet unsigned integer, big-endian
  int4,           // 4-octet unsigned integer, big-endian
  c_string,       // C-Octet String; max_len counts the NUL
  time,           // C-Octet String of 1 (NUL only) or 17 octets (SMPP v3.4 section 7.1)
  sm_length,      // int1 that gives the length of the following octet_string
  octet_string,   // raw octets, length from the preceding sm_length field
  count,          // int1 that gives the number of items of the following list field
  dest_list,      // submit_multi dest_address list (SMPP v3.4 section 4.5.1); max_len = address max
  unsuccess_list, // submit_multi_resp unsuccess_sme list; max_len = address max
  c_string_list,  // count x C-Octet String (v3.3 query_last_msgs_resp); max_len = item max incl. NUL
};

struct field_spec {
  std::string_view name;  // the spec's field name, used in JSON and errors
  field_type type;
  std::uint16_t max_len;  // c_string: max octets incl. NUL; octet_string: max octets; else 0
};

inline constexpr std::int8_t no_field = -1;

struct pdu_spec {
  std::uint32_t id;
  std::string_view name;
  std::span<const field_spec> fields;  // mandatory fields, in wire order
  std::uint8_t versions;               // version_bits
  bool tlvs_allowed;                   // TLVs may follow the mandatory fields
  // Indexes into `fields` of the fields the tools act on (no_field when absent); derived from
  // `fields` at compile time so typed accessors need no name lookup.
  std::int8_t message_id_index = no_field;
  std::int8_t esm_class_index = no_field;
  std::int8_t data_coding_index = no_field;
  std::int8_t sm_length_index = no_field;      // the sm_length field (short_message follows it)
};

// How a TLV value is typed.
enum class tlv_type : std::uint8_t {
  empty,     // no value (length 0)
  int1,
  int2,
  int4,
  c_string,  // NUL-terminated text; max_len counts the NUL
  octets,    // raw octets between min_len and max_len
  composite, // fixed structure shown as hex + named parts by the JSON writer (e.g. network_error_code)
};

struct tlv_spec {
  std::uint16_t tag;
  std::string_view name;
  tlv_type type;
  std::uint16_t min_len;
  std::uint16_t max_len;
  std::uint8_t versions;  // version_bits; 0 = vendor-specific
  std::string_view vendor;  // empty in the table; a provider profile's rows hold its name
};

struct status_spec {
  std::uint32_t value;
  std::string_view name;
  std::string_view description;
  std::string_view vendor;  // empty in the table; a provider profile's rows hold its name
};

// Lookups. Each returns nullptr when the value is unknown (unknowns are kept raw, never fatal).
const pdu_spec* find_pdu(std::uint32_t id) noexcept;
const pdu_spec* find_pdu(std::string_view name) noexcept;
const tlv_spec* find_tlv(std::uint16_t tag) noexcept;
const tlv_spec* find_tlv(std::string_view name) noexcept;
const status_spec* find_status(std::uint32_t value) noexcept;

std::span<const pdu_spec> all_pdus() noexcept;
std::span<const tlv_spec> all_tlvs() noexcept;      // standard TLVs (vendor ones: provider profiles)
std::span<const status_spec> all_statuses() noexcept;  // standard statuses (vendor ones: provider profiles)

// Name of a command id; "unknown" when not in the table.
std::string_view command_name(std::uint32_t id) noexcept;
// Name of a status; "" when not in the table.
std::string_view status_name(std::uint32_t value) noexcept;

inline constexpr bool is_response(std::uint32_t id) noexcept { return (id & response_bit) != 0; }

}  // namespace smppscope::decoder
