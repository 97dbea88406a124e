// Delivery receipts as the diagnostics see them: finding the receipt in a deliver_sm / data_sm
// (smpp.md section 10: TLVs receipted_message_id and message_state first, the text second) and
// message ids that two sides wrote differently (case, zero padding, hex versus decimal).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace smppscope::decoder {
struct pdu;
}

namespace smppscope::capture::diag {

// Trims spaces and NULs, lowercases, drops leading zeros ("000" -> "0"). Writes into `buf` and
// returns a view of it; ids longer than `buf` are cut. No allocation.
std::string_view normalise_message_id(std::string_view id, std::span<char> buf) noexcept;

// The keys one id may have been stored under by the other side: [0] the normalised text; then,
// when it reads as a number, the same number written in the other base (decimal digits read as
// decimal -> hex text; hex digits read as hex -> decimal text). Distinct keys only.
struct message_id_keys {
  std::array<std::uint64_t, 3> key{};
  std::uint8_t count = 0;
};
message_id_keys keys_of_message_id(std::string_view id) noexcept;
std::uint64_t hash_message_id(std::string_view normalised) noexcept;  // FNV-1a 64

// message_state values (smpp.md section 8).
inline constexpr std::uint8_t message_state_enroute = 1;
inline constexpr std::uint8_t message_state_accepted = 6;

struct receipt_info {
  std::string_view id;                         // receipted_message_id, else the text's id:
  std::optional<std::uint8_t> message_state;   // the TLV
  std::string_view stat;                       // the text's stat: ("DELIVRD"), may be empty
  bool intermediate = false;                   // esm_class intermediate notification or ENROUTE
};

// The receipt carried by a deliver_sm or data_sm whose esm_class says MC delivery receipt (0x04)
// or intermediate delivery notification (0x20); nullopt for anything else or without an id.
std::optional<receipt_info> find_receipt(const decoder::pdu& p) noexcept;

}  // namespace smppscope::capture::diag
