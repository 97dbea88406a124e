// CMPP (China Mobile Peer to Peer) 2.0 and 3.0: the protocol tables, a decoder and an encoder, in
// the same table-driven style as the SMPP table (protocol.hpp). One table of commands per version;
// decoder, encoder, JSON writer and round-trip tests are all driven by it. Adding a field or a
// code is one row in cmpp_protocol.cpp. No I/O, no allocation when decoding.
//
// Wire format (CMPP 2.0 section 6, CMPP 3.0 section 6): a 12-octet header (Total_Length,
// Command_Id, Sequence_Id, all 4-octet big-endian), then a body of fixed-width fields. Integers are
// big-endian (1, 4 or 8 octets); octet strings have a fixed width and are padded (normally with
// NULs, sometimes with ASCII '0' on the left): a value is the width cut at the first NUL, and the
// padding stays visible in `field_value::raw`.
//
// 2.0 and 3.0 differ in the widths of a few fields (CONNECT_RESP Status, SUBMIT_RESP /
// DELIVER_RESP Result 1 vs 4 octets; terminal ids 21 vs 32 octets plus a type octet in 3.0;
// trailer Reserve 8 vs LinkID 20). A capture that starts after the CONNECT does not say which
// version a session speaks: version_detector decides from the lengths and the contents of the
// PDUs (see version_detector below).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/text.hpp"

namespace smppscope::decoder::cmpp {

using bytes_view = std::span<const std::uint8_t>;

// ---- versions -----------------------------------------------------------------------------

enum class version : std::uint8_t { v20 = 0x20, v30 = 0x30 };

// "2.0" / "3.0".
std::string_view version_name(version v) noexcept;
// The CONNECT / CONNECT_RESP Version octet: high nibble major, low nibble minor. 0x2x -> v20,
// 0x3x -> v30, anything else nullopt.
std::optional<version> version_from_byte(std::uint8_t octet) noexcept;
// The Version octet written for `v` (0x20, 0x30).
constexpr std::uint8_t version_byte(version v) noexcept { return static_cast<std::uint8_t>(v); }

// ---- commands -----------------------------------------------------------------------------

inline constexpr std::size_t header_size = 12;
inline constexpr std::uint32_t response_bit = 0x80000000u;
// The largest PDU either version defines: a 3.0 SUBMIT to 99 destinations with 160 octets of
// text is 163 + 32*99 + 160 = 3491 octets; FWD and route bodies are smaller.
inline constexpr std::uint32_t max_pdu_size = 4096;

enum class command_id : std::uint32_t {
  connect = 0x00000001,
  connect_resp = 0x80000001,
  terminate = 0x00000002,
  terminate_resp = 0x80000002,
  submit = 0x00000004,
  submit_resp = 0x80000004,
  deliver = 0x00000005,
  deliver_resp = 0x80000005,
  query = 0x00000006,
  query_resp = 0x80000006,
  cancel = 0x00000007,
  cancel_resp = 0x80000007,
  active_test = 0x00000008,
  active_test_resp = 0x80000008,
  fwd = 0x00000009,
  fwd_resp = 0x80000009,
  mt_route = 0x00000010,
  mt_route_resp = 0x80000010,
  mo_route = 0x00000011,
  mo_route_resp = 0x80000011,
  get_route = 0x00000012,  // 2.0 name; GET_MT_ROUTE in 3.0
  get_route_resp = 0x80000012,
  mt_route_update = 0x00000013,
  mt_route_update_resp = 0x80000013,
  mo_route_update = 0x00000014,
  mo_route_update_resp = 0x80000014,
  push_mt_route_update = 0x00000015,
  push_mt_route_update_resp = 0x80000015,
  push_mo_route_update = 0x00000016,
  push_mo_route_update_resp = 0x80000016,
  get_mo_route = 0x00000017,  // 3.0 only
  get_mo_route_resp = 0x80000017,
};

constexpr bool is_response(std::uint32_t id) noexcept { return (id & response_bit) != 0; }

// How a field is laid out on the wire.
enum class field_type : std::uint8_t {
  int1,          // 1-octet unsigned integer
  int4,          // 4-octet unsigned integer, big-endian
  int8,          // 8-octet unsigned integer, big-endian (Msg_Id)
  octets,        // fixed-width octet string of `width` octets, value cut at the first NUL
  binary,        // fixed-width octets shown as hex, never cut (AuthenticatorSource, AuthenticatorISMG)
  count,         // int1 giving the number of items of the following terminal_list (DestUsr_tl)
  terminal_list, // count x `width`-octet octet strings (Dest_terminal_Id)
  msg_length,    // int1 giving the length of the following msg_content (Msg_Length)
  msg_content,   // Msg_Length octets (Msg_Content)
  raw,           // the rest of the body, not modelled (FWD and route bodies)
};

struct field_spec {
  std::string_view name;  // the specification's field name (Msg_Id, Pk_total, ...): JSON and errors
  field_type type;
  std::uint16_t width;    // octets of one value (int: 1/4/8; octets and list items: their width)
};

// Which of the two versions have a command (bit set).
enum version_bits : std::uint8_t { bit_v20 = 1, bit_v30 = 2 };

struct command_spec {
  std::uint32_t id;
  std::string_view name;                // "CMPP_SUBMIT", "CMPP_SUBMIT_RESP", ...
  std::span<const field_spec> fields;   // in wire order; a single `raw` field when not modelled
  bool modelled;                        // false: the body is shown raw
};

// The command table of `v`; nullptr when `id` is not defined in that version.
const command_spec* find_command(std::uint32_t id, version v) noexcept;
const command_spec* find_command(std::string_view name, version v) noexcept;
std::span<const command_spec> all_commands(version v) noexcept;
// Name of a command id in `v`; "unknown" when not in the table.
std::string_view command_name(std::uint32_t id, version v) noexcept;
// True when `id` is a command of either version (used to judge a header plausible).
bool known_command(std::uint32_t id) noexcept;

// ---- code tables --------------------------------------------------------------------------

enum class code_table : std::uint8_t {
  connect_status,   // CMPP_CONNECT_RESP Status
  submit_result,    // CMPP_SUBMIT_RESP Result
  deliver_result,   // CMPP_DELIVER_RESP Result
  cancel_success,   // CMPP_CANCEL_RESP Success_Id
  msg_fmt,          // Msg_Fmt
  fee_user_type,    // Fee_UserType
  registered_delivery,  // Registered_Delivery of SUBMIT (DELIVER: 0 MO message, 1 status report)
};

struct code_spec {
  std::uint32_t value;
  std::string_view name;         // short name, e.g. "flow_control"
  std::string_view description;  // the specification's meaning
  std::uint8_t versions;         // version_bits
};

std::span<const code_spec> all_codes(code_table t) noexcept;
// The row for `value` in `v`, or nullptr (values the specification lumps as "other" have none).
const code_spec* find_code(code_table t, std::uint32_t value, version v) noexcept;
// Name of `value`: the row's name, else "other".
std::string_view code_name(code_table t, std::uint32_t value, version v) noexcept;
// FeeType (2 ASCII digits, "01".."06"): its meaning, or "" when unknown.
std::string_view fee_type_name(std::string_view fee_type) noexcept;

// Codes the tools act on by name.
inline constexpr std::uint32_t status_ok = 0;
inline constexpr std::uint32_t connect_status_auth_error = 3;
inline constexpr std::uint32_t connect_status_version_too_high = 4;
inline constexpr std::uint32_t result_flow_control = 8;
enum class msg_fmt : std::uint8_t { ascii = 0, sim_write = 3, binary = 4, ucs2 = 8, gbk = 15 };

// ---- the decoded PDU ----------------------------------------------------------------------

inline constexpr std::size_t max_fields = 32;

struct header {
  std::uint32_t total_length = 0;
  std::uint32_t command_id = 0;
  std::uint32_t sequence_id = 0;
};

// One decoded field. Integers live in `integer`. Octet strings: `bytes` is the value cut at the
// first NUL, `raw` the whole fixed width as on the wire (padding included). Lists, Msg_Content and
// raw bodies: `bytes` and `raw` are all their octets.
struct field_value {
  std::uint64_t integer = 0;
  bytes_view bytes;
  bytes_view raw;
  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  friend bool operator==(const field_value& a, const field_value& b) noexcept;
};

struct pdu {
  header hdr;
  version ver = version::v30;       // the layout the body was decoded with
  const command_spec* spec = nullptr;  // nullptr when Command_Id is not in ver's table
  std::array<field_value, max_fields> fields{};  // parallel to spec->fields
  std::uint8_t field_count = 0;     // fields decoded (fewer on a broken body)
  bytes_view body;                  // everything after the header, as on the wire
  bytes_view trailing;              // octets after the last field (Total_Length larger than the layout)

  std::string_view name() const noexcept { return command_name(hdr.command_id, ver); }
  // Field by the specification's name; nullptr when absent or not decoded.
  const field_value* field(std::string_view name) const noexcept;
  std::optional<std::uint64_t> integer(std::string_view name) const noexcept;
  std::optional<std::string_view> text(std::string_view name) const noexcept;

  // Typed accessors for what the tools act on; nullopt when the command has no such field.
  std::optional<std::uint64_t> msg_id() const noexcept { return integer("Msg_Id"); }
  // CONNECT_RESP Status, SUBMIT_RESP / DELIVER_RESP Result, CANCEL_RESP Success_Id.
  std::optional<std::uint32_t> status() const noexcept;
  std::optional<std::uint8_t> msg_fmt() const noexcept;
  bool tp_udhi() const noexcept;
  bool is_status_report() const noexcept;  // DELIVER with Registered_Delivery = 1
  bytes_view msg_content() const noexcept;
  // Dest_terminal_Id entry i (cut at NUL) of a SUBMIT; "" when out of range.
  std::string_view dest_terminal_id(std::size_t i) const noexcept;
  std::size_t dest_count() const noexcept;

  friend bool operator==(const pdu& a, const pdu& b) noexcept;  // header, version, fields, trailing
};

enum class decode_errc : std::uint8_t {
  none = 0,
  short_header,        // fewer than 12 octets
  length_mismatch,     // Total_Length differs from the frame size
  truncated_field,     // a field runs past Total_Length
  msg_length_overrun,  // Msg_Length larger than the octets left
  count_overrun,       // DestUsr_tl entries run past Total_Length
};

struct decode_error {
  decode_errc code = decode_errc::none;
  std::string_view field;    // field name ("Total_Length" for header errors)
  std::uint32_t offset = 0;  // byte offset within the PDU where the problem starts
  std::uint32_t detail = 0;  // octets present, Msg_Length, DestUsr_tl
  explicit operator bool() const noexcept { return code != decode_errc::none; }
  // e.g. "CMPP_SUBMIT: Msg_Content: Msg_Length 200 exceeds the 12 octets left at offset 130"
  std::string message(const pdu& p) const;
  friend bool operator==(const decode_error&, const decode_error&) = default;
};

header read_header(bytes_view frame) noexcept;  // frame must hold at least 12 octets

// Decodes one framed PDU with the layout of `v` into `out` (spans point into `frame`, which must
// outlive `out`). Never throws, never allocates. On error `out` holds the header and every field
// decoded before the break. Octets after the last field are kept in `trailing` (not an error).
decode_error decode(bytes_view frame, version v, pdu& out) noexcept;

enum class encode_errc : std::uint8_t {
  none = 0,
  unknown_command,   // Command_Id not in v's table
  value_too_long,    // an octet string longer than its width, a list or content over 255 items/octets
  too_large,         // the PDU would exceed max_pdu_size
};

struct encode_result {
  std::vector<std::uint8_t> bytes;
  encode_errc error = encode_errc::none;
  std::string_view field;  // the offending field
  explicit operator bool() const noexcept { return error == encode_errc::none; }
};

// Encodes `p` with the layout of `v`: Total_Length is computed; fields are taken by name from
// p (so a PDU decoded as 2.0 can be written as 3.0: terminal ids are re-padded, absent fields
// written as 0 / empty); count and msg_length fields are computed from the field after them.
// Octet strings keep their padding when `raw` has the target width, else are NUL-padded.
encode_result encode(const pdu& p, version v);

// Builds a PDU by field name (simulator, load generator, tests). Fields not set are 0 / empty;
// DestUsr_tl and Msg_Length follow the list / content. Throws std::invalid_argument for an unknown
// command or field, a value of the wrong kind, or an integer or string that does not fit.
class pdu_builder {
 public:
  pdu_builder(command_id id, version v, std::uint32_t sequence_id = 0);
  pdu_builder(std::uint32_t id, version v, std::uint32_t sequence_id = 0);
  pdu_builder& set(std::string_view field, std::uint64_t integer);
  pdu_builder& set(std::string_view field, std::string_view text_or_octets);  // octets, content
  pdu_builder& set_bytes(std::string_view field, bytes_view octets);
  pdu_builder& destinations(std::span<const std::string_view> terminal_ids);  // Dest_terminal_Id
  std::vector<std::uint8_t> bytes() const;
 private:
  const command_spec* spec_;
  version ver_;
  std::uint32_t seq_;
  std::vector<std::uint64_t> ints_;
  std::vector<std::vector<std::uint8_t>> octets_;
  std::vector<std::vector<std::uint8_t>> dests_;
  std::size_t index_of(std::string_view field) const;
};

// ---- authentication (CMPP_CONNECT / CMPP_CONNECT_RESP) -------------------------------------

// Timestamp MMDDHHMMSS as the integer CONNECT carries (1122134530 = 11/22 13:45:30).
struct connect_time {
  std::uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
};
std::uint32_t pack_timestamp(const connect_time& t) noexcept;
connect_time unpack_timestamp(std::uint32_t ts) noexcept;
// The authenticators (MD5) are computed by the smppscope_cmpp_auth library.

// ---- Msg_Id -------------------------------------------------------------------------------

// Msg_Id (8 octets, big-endian): month 4 bits, day 5, hour 5, minute 6, second 6, gateway (ISMG)
// code 22, sequence 16, from the most significant bit down.
struct msg_id_parts {
  std::uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::uint32_t gateway = 0;   // 22 bits
  std::uint16_t sequence = 0;
  friend bool operator==(const msg_id_parts&, const msg_id_parts&) = default;
};
msg_id_parts unpack_msg_id(std::uint64_t id) noexcept;
// Values wider than their bits are masked.
std::uint64_t pack_msg_id(const msg_id_parts& p) noexcept;

// ---- status report (Msg_Content of a DELIVER with Registered_Delivery = 1) -----------------

struct status_report {
  std::uint64_t msg_id = 0;
  std::string_view stat;              // "DELIVRD", ... (7 octets, cut at NUL)
  std::string_view submit_time;       // YYMMDDHHMM
  std::string_view done_time;         // YYMMDDHHMM
  std::string_view dest_terminal_id;  // 21 (2.0) / 32 (3.0) octets, cut at NUL
  std::uint32_t smsc_sequence = 0;
};
// 60 octets in 2.0, 71 in 3.0.
std::size_t status_report_size(version v) noexcept;
// Parses a report; nullopt when `content` is shorter than status_report_size(v). Views point into
// `content`.
std::optional<status_report> parse_status_report(bytes_view content, version v) noexcept;
// The status_report_size(v) octets of `r` (strings NUL-padded, cut to their width).
std::vector<std::uint8_t> format_status_report(const status_report& r, version v);

// ---- message text -------------------------------------------------------------------------

// Decodes Msg_Content octets (after any UDH) by Msg_Fmt: 0 ASCII, 8 UCS2, 15 GBK (iconv), 4, 3 and
// unknown values binary (lowercase hex). encoding: "ascii", "ucs2", "gbk", "binary".
decoded_text decode_text(bytes_view data, std::uint8_t msg_fmt);
// UTF-8 -> GBK; nullopt when a character has no GBK form.
std::optional<std::vector<std::uint8_t>> utf8_to_gbk(std::string_view utf8);

// The message a SUBMIT or DELIVER carries, in the SMPP message model so that the same
// reassembler joins long messages: user_data = Msg_Content, esm_class UDHI from TP_udhi,
// data_coding the SMPP equivalent of Msg_Fmt (0 -> 0x01 IA5, 8 -> 0x08 UCS2, others -> 0x04
// binary, so a joined GBK message comes back as hex and is decoded with decode_text(..., 15)),
// source / destination the terminal ids. nullopt for other commands and for status reports.
std::optional<message> find_message(const pdu& p) noexcept;
// The SMPP data_coding the message model uses for a Msg_Fmt.
std::uint8_t data_coding_of(std::uint8_t msg_fmt) noexcept;

// ---- version detection --------------------------------------------------------------------

// How the version of a session was decided, strongest first.
enum class version_source : std::uint8_t {
  none,          // nothing seen yet that says; the default version is used
  configured,    // set by the user
  connect,       // the CONNECT's Version octet (or a CONNECT_RESP's when it refused the version)
  response_length,  // a CONNECT_RESP (30/33), SUBMIT_RESP or DELIVER_RESP (21/24) length
  body_length,   // a SUBMIT or DELIVER whose Total_Length fits one version's formula only
  tie_break,     // a SUBMIT or DELIVER that fits both formulas, decided by its contents
};
std::string_view version_source_name(version_source s) noexcept;  // "connect", "response_length", ...

// What one PDU alone says about the version. Stateless.
struct version_evidence {
  std::optional<version> ver;      // nullopt: the PDU fits both or neither
  version_source source = version_source::none;
};
version_evidence examine(bytes_view frame) noexcept;

// Follows the version of one TCP connection (both directions) as its PDUs pass, in order:
//   1. a CONNECT sets the version from its Version octet; a CONNECT_RESP is read by its length,
//      and when it refuses the version (Status 4) its Version octet is what the SP must use next;
//   2. mid-session, response lengths decide (30/33, 21/24);
//   3. SUBMIT / DELIVER lengths decide when only one formula fits; when both fit, the contents
//      break the tie (DestUsr_tl >= 1, 0/1 flag octets holding 0 or 1, a known Msg_Fmt);
//   a weaker source never overrides a stronger one, except that a later CONNECT always does.
class version_detector {
 public:
  explicit version_detector(version fallback = version::v30) noexcept : fallback_(fallback) {}
  // Fixes the version (the user said so); observe() then changes it only on a CONNECT.
  void configure(version v) noexcept;
  // Observes one whole PDU and returns the version to decode it with.
  version observe(bytes_view frame) noexcept;
  version current() const noexcept { return decided_ ? *decided_ : fallback_; }
  bool decided() const noexcept { return decided_.has_value(); }
  version_source source() const noexcept { return source_; }
  // How many times a decided version changed (a session re-connecting as another version).
  std::uint32_t changes() const noexcept { return changes_; }
 private:
  void set(version v, version_source s) noexcept;
  version fallback_;
  std::optional<version> decided_;
  version_source source_ = version_source::none;
  std::uint32_t changes_ = 0;
};

// ---- telling SMPP from CMPP ---------------------------------------------------------------

enum class wire_protocol : std::uint8_t { unknown, smpp, cmpp };
std::string_view wire_protocol_name(wire_protocol p) noexcept;  // "unknown", "smpp", "cmpp"
// Which protocol the first octets of a TCP stream (either direction) speak. Both put a 4-octet
// length and a 4-octet command id first, and ids overlap (SMPP bind_receiver and CMPP CONNECT are
// both 1), so the header shape and body decide: a CMPP CONNECT is exactly 39 octets with a
// Version octet 0x2x/0x3x at offset 34, SMPP binds end in C-Octet Strings and carry
// interface_version, ... unknown: need more octets or neither fits.
wire_protocol sniff(bytes_view first_octets) noexcept;

}  // namespace smppscope::decoder::cmpp
