#include "smppscope/capture/diag/receipt.hpp"

#include <charconv>

#include "smppscope/decoder/dlr.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace smppscope::capture::diag {

std::uint64_t hash_message_id(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

message_id_keys keys_of_message_id(std::string_view id) noexcept {
  message_id_keys k;
  char buf[72];
  const std::string_view norm = decoder::normalise_message_id(id, buf);
  if (norm.empty()) return k;
  auto add = [&](std::string_view s) {
    const std::uint64_t h = hash_message_id(s);
    for (std::uint8_t i = 0; i < k.count; ++i)
      if (k.key[i] == h) return;
    k.key[k.count++] = h;
  };
  add(norm);
  const decoder::message_id_values v = decoder::message_id_numbers(norm);
  char other[24];
  if (v.decimal) {  // decimal text -> the same number as hex text
    const auto r = std::to_chars(other, other + sizeof other, *v.decimal, 16);
    add({other, static_cast<std::size_t>(r.ptr - other)});
  }
  if (v.hex) {  // hex text -> the same number as decimal text
    const auto r = std::to_chars(other, other + sizeof other, *v.hex, 10);
    add({other, static_cast<std::size_t>(r.ptr - other)});
  }
  return k;
}

std::optional<receipt_info> find_receipt(const decoder::pdu& p) noexcept {
  using decoder::command_id;
  if (p.hdr.command_id != static_cast<std::uint32_t>(command_id::deliver_sm) &&
      p.hdr.command_id != static_cast<std::uint32_t>(command_id::data_sm))
    return std::nullopt;
  const auto esm = p.esm_class();
  if (!esm) return std::nullopt;
  const std::uint8_t type = *esm & 0x3C;  // smpp.md section 7, bits 5-2
  if (type != 0x04 && type != 0x20) return std::nullopt;
  // Receipt text is ASCII in practice; read the octets as they are (no text decoding, no copy).
  const decoder::bytes_view payload = p.payload();
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  const auto d = decoder::parse_receipt(p, text);
  if (!d || d->message_id().empty()) return std::nullopt;
  receipt_info r;
  r.id = d->message_id();
  r.message_state = d->state();
  r.stat = d->stat;
  r.intermediate = type == 0x20 || r.message_state == static_cast<std::uint8_t>(decoder::message_state::enroute);
  return r;
}

}  // namespace smppscope::capture::diag
