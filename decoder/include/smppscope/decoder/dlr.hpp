// Delivery receipts (SMPP v3.4 Appendix B): the `id:... sub:... dlvrd:... submit date:... done
// date:... stat:... err:... text:...` text and the receipted_message_id / message_state /
// network_error_code TLVs; the TLVs take precedence over the text. Views, no allocation.
// Parsing and writing live together (the simulator writes its receipts with format_receipt).
//
// Text parsing is tolerant: keys are matched case-insensitively at the start or after white
// space, in any order, each at most once ("submit_date" and "done_date" are accepted too); a
// value is the next white-space-delimited token, except text:, which runs to the next key not
// yet seen or to the end. It counts as a receipt when it has an id or a stat and at least one
// other key.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "smppscope/decoder/pdu.hpp"

namespace smppscope::decoder {

// message_state (SMPP v3.4 section 5.2.28).
enum class message_state : std::uint8_t {
  scheduled = 0, enroute = 1, delivered = 2, expired = 3, deleted = 4,
  undeliverable = 5, accepted = 6, unknown = 7, rejected = 8, skipped = 9,
};
std::string_view message_state_name(std::uint8_t state) noexcept;  // "DELIVERED", ..., "" if unknown
// The 7-character stat of a receipt text ("DELIVRD", ...; full state names accepted too).
std::optional<message_state> message_state_from_stat(std::string_view stat) noexcept;

// YYMMDDhhmm or YYMMDDhhmmss (SMPP v3.4 Appendix B).
struct receipt_date {
  std::uint16_t year = 0;  // 2000 + YY
  std::uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool has_seconds = false;
};
std::optional<receipt_date> parse_receipt_date(std::string_view digits) noexcept;

struct network_error {
  std::uint8_t type = 0;   // 1 ANSI-136, 2 IS-95, 3 GSM, ... (network_error_code, SMPP v3.4 5.3.2)
  std::uint16_t code = 0;
};

struct delivery_receipt {
  // From the text; empty when the key is absent.
  std::string_view id, sub, dlvrd, submit_date, done_date, stat, err, text;
  std::optional<receipt_date> submit_time, done_time;
  // From the TLVs.
  std::string_view receipted_message_id;
  std::optional<std::uint8_t> message_state_tlv;
  std::optional<network_error> network_error_code;
  bool has_text = false;  // the text parsed as a receipt

  // receipted_message_id when present, else the text's id.
  std::string_view message_id() const noexcept { return receipted_message_id.empty() ? id : receipted_message_id; }
  // message_state TLV when present, else the state the text's stat names.
  std::optional<std::uint8_t> state() const noexcept;
};

// The string_views of a delivery_receipt point into the text and the PDU: both must outlive it.
// Parses receipt text; nullopt when it does not look like a receipt.
std::optional<delivery_receipt> parse_receipt_text(std::string_view text) noexcept;

// The receipt of a deliver_sm / data_sm: its TLVs and, when it parses, `text` (the decoded short
// message). nullopt when neither the TLVs (receipted_message_id or message_state) nor the text
// make it a receipt.
std::optional<delivery_receipt> parse_receipt(const pdu& p, std::string_view text) noexcept;

// ---- writing receipts (the other direction of parse_receipt_text) ----
// The stat of a receipt text for a state ("DELIVRD", "UNDELIV", ...); "" for a value outside the
// enum.
std::string_view receipt_stat(message_state s) noexcept;

struct receipt_fields {
  std::string_view id;
  std::uint16_t sub = 1;
  std::uint16_t dlvrd = 0;
  std::string_view submit_date;  // YYMMDDhhmm (format_receipt_date)
  std::string_view done_date;
  message_state stat = message_state::delivered;
  std::uint16_t err = 0;
  std::string_view text;         // first characters of the message; may be empty
};

// Writes "id:... sub:001 dlvrd:001 submit date:... done date:... stat:DELIVRD err:000 text:..."
// (text: left out when empty) into `out`; returns the octets written, or 0 when `out` is too
// small. No allocation.
std::size_t format_receipt(std::span<char> out, const receipt_fields& r) noexcept;
// The same from a provider's template: {id} {sub} {dlvrd} {submit_date} {done_date} {stat} {err}
// {text}, sub and dlvrd as 3 digits, err as `err_digits` (at least); an unknown {name} is copied
// as it stands. Returns the octets written, or 0 when `out` is too small.
std::size_t format_receipt(std::span<char> out, std::string_view tmpl, const receipt_fields& r,
                           unsigned err_digits = 3) noexcept;
// "YYMMDDhhmm" of a UTC time (seconds since the epoch) into out[0..10).
void format_receipt_date(std::int64_t unix_seconds, std::span<char, 10> out) noexcept;

// ---- message ids across sides (hex vs decimal, case, zero padding) ----
// Trims spaces and NULs, lowercases, drops leading zeros ("000" -> "0"). Writes into `buf`;
// longer ids are cut to buf.size().
std::string_view normalise_message_id(std::string_view id, std::span<char> buf) noexcept;
std::string normalise_message_id(std::string_view id);
// The id's value read as decimal and as hex, when it reads so (and fits 64 bits).
struct message_id_values {
  std::optional<std::uint64_t> decimal, hex;
};
message_id_values message_id_numbers(std::string_view id) noexcept;
// Same normalised text, or one side's decimal value equals the other's hex value
// ("0A1B" matches "2587" and "00002587").
bool message_ids_match(std::string_view a, std::string_view b) noexcept;

}  // namespace smppscope::decoder
