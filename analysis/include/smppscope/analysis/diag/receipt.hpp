// Delivery receipts as the diagnostics see them: the receipt of a deliver_sm / data_sm (parsed by
// decoder/dlr.hpp: TLVs first, the text second, SMPP v3.4 Appendix B) and lookup keys for message
// ids that two sides wrote differently (case, zero padding, hex versus decimal).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace smppscope::decoder {
struct pdu;
}

namespace smppscope::analysis::diag {

// The keys one id may have been stored under by the other side: [0] the normalised text
// (decoder::normalise_message_id); then,
// when it reads as a number, the same number written in the other base (decimal digits read as
// decimal -> hex text; hex digits read as hex -> decimal text). Distinct keys only.
struct message_id_keys {
  std::array<std::uint64_t, 3> key{};
  std::uint8_t count = 0;
};
message_id_keys keys_of_message_id(std::string_view id) noexcept;
std::uint64_t hash_message_id(std::string_view normalised) noexcept;  // FNV-1a 64

struct receipt_info {
  std::string_view id;                         // receipted_message_id, else the text's id:
  std::optional<std::uint8_t> message_state;   // the TLV, else what the text's stat: names
  std::string_view stat;                       // the text's stat: ("DELIVRD") when read (TLVs incomplete)
  bool intermediate = false;                   // esm_class intermediate notification or ENROUTE
};

// The receipt carried by a deliver_sm or data_sm whose esm_class says MC delivery receipt (0x04)
// or intermediate delivery notification (0x20); nullopt for anything else or without an id.
std::optional<receipt_info> find_receipt(const decoder::pdu& p) noexcept;

}  // namespace smppscope::analysis::diag
