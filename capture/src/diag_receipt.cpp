#include "smppscope/capture/diag/receipt.hpp"

#include <charconv>

#include "smppscope/decoder/pdu.hpp"

namespace smppscope::capture::diag {

namespace {

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }

bool all_of(std::string_view s, bool (*pred)(char) noexcept) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}

// Finds "key:" at the start of the text or after a space, case-insensitively; returns the value
// up to the next space.
std::string_view receipt_value(std::string_view text, std::string_view key) noexcept {
  for (std::size_t at = 0; at + key.size() < text.size(); ++at) {
    if (at > 0 && text[at - 1] != ' ') continue;
    bool match = true;
    for (std::size_t i = 0; i < key.size() && match; ++i) match = lower(text[at + i]) == key[i];
    if (!match) continue;
    const std::size_t begin = at + key.size();
    const std::size_t end = text.find(' ', begin);
    return text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
  }
  return {};
}

}  // namespace

std::string_view normalise_message_id(std::string_view id, std::span<char> buf) noexcept {
  while (!id.empty() && (id.front() == ' ' || id.front() == '\0')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == ' ' || id.back() == '\0')) id.remove_suffix(1);
  while (id.size() > 1 && id.front() == '0') id.remove_prefix(1);
  const std::size_t n = std::min(id.size(), buf.size());
  for (std::size_t i = 0; i < n; ++i) buf[i] = lower(id[i]);
  return {buf.data(), n};
}

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
  const std::string_view norm = normalise_message_id(id, buf);
  if (norm.empty()) return k;
  auto add = [&](std::string_view s) {
    const std::uint64_t h = hash_message_id(s);
    for (std::uint8_t i = 0; i < k.count; ++i)
      if (k.key[i] == h) return;
    k.key[k.count++] = h;
  };
  add(norm);
  char other[24];
  std::uint64_t v = 0;
  const char* end = norm.data() + norm.size();
  if (all_of(norm, is_digit) && norm.size() <= 19 &&
      std::from_chars(norm.data(), end, v, 10).ec == std::errc()) {
    const auto r = std::to_chars(other, other + sizeof other, v, 16);
    add({other, static_cast<std::size_t>(r.ptr - other)});
  }
  if (all_of(norm, is_hex) && norm.size() <= 16 &&
      std::from_chars(norm.data(), end, v, 16).ec == std::errc()) {
    const auto r = std::to_chars(other, other + sizeof other, v, 10);
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
  receipt_info r;
  r.intermediate = type == 0x20;
  const decoder::tlv_range tlvs = p.tlvs();
  if (const auto t = tlvs.find(decoder::tlv_tag::receipted_message_id)) r.id = t->text();
  if (const auto t = tlvs.find(decoder::tlv_tag::message_state)) {
    if (const auto v = t->integer()) r.message_state = static_cast<std::uint8_t>(*v);
  }
  const decoder::bytes_view payload = p.payload();
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (r.id.empty()) r.id = receipt_value(text, "id:");
  r.stat = receipt_value(text, "stat:");
  if (r.message_state == message_state_enroute || r.stat == "ENROUTE" || r.stat == "enroute")
    r.intermediate = true;
  if (r.id.empty()) return std::nullopt;
  return r;
}

}  // namespace smppscope::capture::diag
