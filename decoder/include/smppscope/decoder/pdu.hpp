// The PDU model: a non-owning view over one framed PDU, as decoded by decode() and written
// by encode(). Decoding allocates nothing: strings and octets are spans into the frame.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/decoder/protocol.hpp"

namespace smppscope::decoder {

using bytes_view = std::span<const std::uint8_t>;

inline constexpr std::size_t header_size = 16;
inline constexpr std::size_t max_fields = 24;

struct header {
  std::uint32_t command_length = 0;
  std::uint32_t command_id = 0;
  std::uint32_t command_status = 0;
  std::uint32_t sequence_number = 0;
};

// One decoded mandatory field. Integers live in `integer`; C-Octet Strings (without the NUL),
// octet strings and the raw bytes of lists live in `bytes`.
struct field_value {
  std::uint32_t integer = 0;
  bytes_view bytes;
  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  friend bool operator==(const field_value& a, const field_value& b) noexcept;
};

// One TLV as it stands on the wire.
struct tlv {
  std::uint16_t tag = 0;
  bytes_view value;
  const tlv_spec* spec() const noexcept { return find_tlv(tag); }
  // Integer value for int1/int2/int4 TLVs (by actual length, 1..4 octets), else nullopt.
  std::optional<std::uint32_t> integer() const noexcept;
  // Text of a c_string TLV without its trailing NUL.
  std::string_view text() const noexcept;
};

// Iterates the TLVs of a TLV region, stepping by each TLV's own length field (SMPP v3.4 section 5.3).
// Stops at the first TLV whose header or value runs past the end.
class tlv_range {
 public:
  class iterator {
   public:
    using value_type = tlv;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(bytes_view rest) noexcept : rest_(rest) { load(); }
    const tlv& operator*() const noexcept { return cur_; }
    const tlv* operator->() const noexcept { return &cur_; }
    iterator& operator++() noexcept;
    iterator operator++(int) noexcept { auto t = *this; ++*this; return t; }
    bool operator==(const iterator& o) const noexcept { return done_ == o.done_ && (done_ || rest_.data() == o.rest_.data()); }
   private:
    void load() noexcept;
    bytes_view rest_;
    tlv cur_;
    bool done_ = true;
  };
  tlv_range() = default;
  explicit tlv_range(bytes_view region) noexcept : region_(region) {}
  iterator begin() const noexcept { return iterator(region_); }
  iterator end() const noexcept { return iterator(); }
  std::optional<tlv> find(std::uint16_t tag) const noexcept;
  std::optional<tlv> find(tlv_tag tag) const noexcept { return find(static_cast<std::uint16_t>(tag)); }
  bytes_view bytes() const noexcept { return region_; }
 private:
  bytes_view region_;
};

// submit_multi dest_address entry (dest_flag 1 = SME address, 2 = distribution list).
struct dest_address {
  std::uint8_t dest_flag = 0;
  std::uint8_t ton = 0;
  std::uint8_t npi = 0;
  std::string_view address;  // destination_addr (flag 1) or dl_name (flag 2)
};
// submit_multi_resp unsuccess_sme entry.
struct unsuccess_sme {
  std::uint8_t ton = 0;
  std::uint8_t npi = 0;
  std::string_view address;
  std::uint32_t error_status = 0;
};
// Parse the raw bytes of a dest_list / unsuccess_list field (already validated by decode()).
std::vector<dest_address> parse_dest_list(bytes_view raw, std::size_t count);
std::vector<unsuccess_sme> parse_unsuccess_list(bytes_view raw, std::size_t count);
// Append the wire form of one entry (for building submit_multi / submit_multi_resp).
void append_dest_address(std::vector<std::uint8_t>& out, const dest_address& d);
void append_unsuccess_sme(std::vector<std::uint8_t>& out, const unsuccess_sme& u);

// Lint warnings: problems that do not stop decoding.
enum class lint : std::uint16_t {
  sm_length_mismatch = 1 << 0,         // sm_length disagrees with the octets present
  sm_and_payload = 1 << 1,             // short_message and message_payload both present
  gsm7_outside_alphabet = 1 << 2,      // set by text decoding: octets > 0x7F or bad escape
  udhi_without_udh = 1 << 3,           // esm_class UDHI set but no valid UDH
  c_string_without_nul = 1 << 4,      // a C-Octet String ended at the end of the PDU without NUL
  tlv_length_mismatch = 1 << 5,        // TLV length outside its type's bounds
  tlv_truncated = 1 << 6,              // TLV region ends inside a TLV
  tlvs_in_v33_pdu = 1 << 7,            // TLVs on a PDU that allows none
  gsm7_packed_in_default_coding = 1 << 8,  // data_coding 0 octets read as packed septets (auto-detected)
};
std::string_view lint_name(lint l) noexcept;
std::string_view lint_message(lint l) noexcept;

struct pdu {
  header hdr;
  const pdu_spec* spec = nullptr;  // nullptr when command_id is not in the table
  std::array<field_value, max_fields> fields{};  // parallel to spec->fields; past field_count: unspecified
  std::uint8_t field_count = 0;    // fields decoded (fewer on a header-only or broken body)
  bytes_view body;                 // everything after the header, as on the wire (raw when spec is nullptr)
  bytes_view tlv_region;           // the TLVs, as on the wire
  std::uint16_t lints = 0;         // bit set of `lint`

  std::string_view name() const noexcept { return command_name(hdr.command_id); }
  bool has_lint(lint l) const noexcept { return (lints & static_cast<std::uint16_t>(l)) != 0; }
  void add_lint(lint l) noexcept { lints |= static_cast<std::uint16_t>(l); }
  tlv_range tlvs() const noexcept { return tlv_range(tlv_region); }
  // Field by spec name; nullptr when the PDU has no such field or it was not decoded.
  const field_value* field(std::string_view name) const noexcept;
  field_value* field(std::string_view name) noexcept;

  // Typed accessors for the fields the proxy acts on (no name lookup); nullopt when the PDU type
  // has no such field or it was not decoded.
  std::optional<std::string_view> message_id() const noexcept { return text_at(spec ? spec->message_id_index : no_field); }
  std::optional<std::uint8_t> esm_class() const noexcept { return int_at(spec ? spec->esm_class_index : no_field); }
  std::optional<std::uint8_t> data_coding() const noexcept { return int_at(spec ? spec->data_coding_index : no_field); }
  // short_message octets; empty when the PDU has none.
  bytes_view short_message() const noexcept {
    const int i = spec ? spec->sm_length_index + 1 : 0;
    return i > 0 && i < field_count ? fields[static_cast<std::size_t>(i)].bytes : bytes_view{};
  }
  // The user data: short_message when not empty, else the message_payload TLV value, else empty.
  bytes_view payload() const noexcept;

  friend bool operator==(const pdu& a, const pdu& b) noexcept;  // header, spec, fields, TLVs (body if no spec)

 private:
  bool decoded(int i) const noexcept { return i >= 0 && i < field_count; }
  std::optional<std::string_view> text_at(int i) const noexcept {
    if (!decoded(i)) return std::nullopt;
    return fields[static_cast<std::size_t>(i)].text();
  }
  std::optional<std::uint8_t> int_at(int i) const noexcept {
    if (!decoded(i)) return std::nullopt;
    return static_cast<std::uint8_t>(fields[static_cast<std::size_t>(i)].integer);
  }
};

enum class decode_errc : std::uint8_t {
  none = 0,
  short_header,        // fewer than 16 octets
  length_mismatch,     // command_length differs from the frame size
  truncated_field,     // a field runs past the end of the PDU
  c_string_too_long,   // no NUL within max_len
  bad_time_length,     // time field neither 1, 13 nor 17 octets
  sm_length_overrun,   // sm_length larger than the octets left
  bad_dest_flag,       // submit_multi dest_flag not 1 or 2
};

struct decode_error {
  decode_errc code = decode_errc::none;
  std::string_view field;   // field name ("command_length" for header errors)
  std::uint32_t offset = 0; // byte offset within the PDU where the problem starts
  std::uint32_t detail = 0; // octets present (header errors), limit, octets found, sm_length or dest_flag
  explicit operator bool() const noexcept { return code != decode_errc::none; }
  // e.g. "submit_sm: destination_addr: C-Octet String exceeds 21 octets at offset 34"
  std::string message(const pdu& p) const;
  friend bool operator==(const decode_error&, const decode_error&) = default;
};

// Decodes one framed PDU into `out` (spans point into `frame`, which must outlive `out`).
// Never throws and never allocates. On error, `out` still holds the header and every field
// decoded before the break. A response with command_status != 0 and no body is valid.
decode_error decode(bytes_view frame, pdu& out) noexcept;

// Reads just the 16-octet header (frame must hold at least 16 octets).
header read_header(bytes_view frame) noexcept;

// Encodes `p` (header command_length is computed, not taken from p). Field values are taken
// in spec order for p.field_count fields; TLVs are copied from p.tlv_region.
// Returns the number of octets the PDU needs; writes only when out.size() is large enough.
std::size_t encode(const pdu& p, std::span<std::uint8_t> out) noexcept;
std::vector<std::uint8_t> encode(const pdu& p);

// Owns the storage for building a PDU by field name (simulator, load generator, tests).
// Fields not set are written as 0 / empty; sm_length and count fields not set explicitly are
// computed from the field that follows them. Values are written as given (an over-long address
// is sent as is, for fault tests). Throws std::invalid_argument for unknown names, a value of the
// wrong kind for the field, or an integer that does not fit the field.
class pdu_builder {
 public:
  explicit pdu_builder(std::uint32_t command_id, std::uint32_t sequence_number = 0,
                       std::uint32_t command_status = 0);
  explicit pdu_builder(command_id id, std::uint32_t sequence_number = 0, std::uint32_t command_status = 0)
      : pdu_builder(static_cast<std::uint32_t>(id), sequence_number, command_status) {}
  pdu_builder& set(std::string_view field, std::uint32_t integer);
  pdu_builder& set(std::string_view field, std::string_view text_or_octets);
  pdu_builder& set_bytes(std::string_view field, bytes_view octets);
  // short_message and sm_length together.
  pdu_builder& short_message(bytes_view octets);
  pdu_builder& tlv(std::uint16_t tag, bytes_view value);
  pdu_builder& tlv(tlv_tag tag, bytes_view value) { return tlv(static_cast<std::uint16_t>(tag), value); }
  // Integer TLV sized by the table (int1/int2/int4).
  pdu_builder& tlv_int(std::uint16_t tag, std::uint32_t value);
  pdu_builder& tlv_int(tlv_tag tag, std::uint32_t value) { return tlv_int(static_cast<std::uint16_t>(tag), value); }
  // C-string TLV (NUL appended).
  pdu_builder& tlv_text(std::uint16_t tag, std::string_view text);
  pdu_builder& tlv_text(tlv_tag tag, std::string_view text) { return tlv_text(static_cast<std::uint16_t>(tag), text); }
  // Omit the body entirely (error responses without body).
  pdu_builder& header_only();

  std::vector<std::uint8_t> bytes() const;
 private:
  std::uint32_t id_;
  std::uint32_t seq_;
  std::uint32_t status_;
  bool header_only_ = false;
  const pdu_spec* spec_;
  std::vector<std::uint32_t> ints_;
  std::vector<std::vector<std::uint8_t>> octets_;
  std::vector<std::uint8_t> tlvs_;
  std::uint32_t explicit_ = 0;  // bit i: field i was set explicitly
  std::size_t index_of(std::string_view field) const;
};

}  // namespace smppscope::decoder
