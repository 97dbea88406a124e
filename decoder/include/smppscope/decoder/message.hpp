// The short message a PDU carries (submit_sm, deliver_sm, data_sm, submit_multi, replace_sm,
// broadcast_sm): where its octets are, its UDH, how it is concatenated, and its text.
// find_message() is a view and allocates nothing; decode_message() adds the decoded text.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/text.hpp"
#include "smppscope/decoder/udh.hpp"

namespace smppscope::decoder {

inline constexpr std::uint8_t esm_class_udhi = 0x40;  // SMPP v3.4 section 5.2.12

// Where a concatenated part's numbering comes from.
enum class concat_source : std::uint8_t { udh_8bit, udh_16bit, sar };
std::string_view concat_source_name(concat_source s) noexcept;  // "udh_8bit", "udh_16bit", "sar"

struct concat_part {
  std::uint16_t ref = 0;
  std::uint8_t total = 0;
  std::uint8_t seq = 0;  // 1..total
  concat_source source = concat_source::udh_8bit;
};

struct message {
  bytes_view user_data;          // short_message or message_payload, UDH included
  bool from_payload_tlv = false; // user_data is the message_payload TLV
  std::uint8_t data_coding = 0;  // 0 when the PDU has no data_coding (replace_sm)
  std::uint8_t esm_class = 0;    // 0 when the PDU has no esm_class (replace_sm, broadcast_sm)
  std::optional<udh> header;     // esm_class UDHI and a valid UDH
  bool udhi_without_udh = false; // UDHI set but the UDH is missing or invalid
  udh_error udh_problem;         // why, when udhi_without_udh
  bytes_view text_octets;        // user_data after the UDH
  unsigned fill_bits = 0;        // for packed GSM7 after the UDH (3GPP TS 23.040 9.2.3.24)
  std::optional<concat_part> concat;  // the UDH's concat IE, else the SAR TLVs (3GPP TS 23.040 9.2.3.24)
  std::string_view source_addr;       // "" when the PDU has none
  std::string_view destination_addr;  // "" for submit_multi / broadcast_sm

  // esm_class bits 5-2 (SMPP v3.4 section 5.2.12): MC delivery receipt or intermediate notification.
  bool is_receipt() const noexcept { return (esm_class & 0x3C) == 0x04 || (esm_class & 0x3C) == 0x20; }
};

// True for the PDU types that carry a short message.
bool carries_message(std::uint32_t command_id) noexcept;

// The message of `p`, or nullopt when its type carries none. short_message is used when not
// empty, else message_payload (SMPP v3.4 sections 5.2.21 and 5.3.2.32).
std::optional<message> find_message(const pdu& p) noexcept;

struct decoded_message {
  message msg;
  decoded_text text;
  // The text is GSM7 and had octets > 0x7F or undefined escapes: the caller may set
  // lint::gsm7_outside_alphabet on the pdu.
  bool gsm7_outside_alphabet() const noexcept {
    return text.outside_alphabet && text.encoding.starts_with("gsm7");
  }
  // data_coding 0 whose octets read as packed septets (auto-detected): most SMSCs read one septet
  // per octet there, so the caller may set lint::gsm7_packed_in_default_coding on the pdu.
  bool gsm7_packed_in_default_coding() const noexcept {
    return msg.data_coding == 0 && text.encoding == "gsm7-packed";
  }
};

std::optional<decoded_message> decode_message(const pdu& p, const text_options& opts = {});

// `opts` with the national language tables the message's UDH selects (IEIs 0x24 / 0x25).
text_options message_text_options(const message& m, text_options opts = {}) noexcept;

// Text of a found message: decode_text() of its text octets with the UDH's fill bits and
// national language tables.
decoded_text message_text(const message& m, const text_options& opts = {});
text_info append_message_text(std::string& out, const message& m, const text_options& opts = {});

}  // namespace smppscope::decoder
