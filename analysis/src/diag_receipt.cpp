#include "smppscope/analysis/diag/receipt.hpp"

#include <algorithm>

#include "smppscope/decoder/dlr.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace smppscope::analysis::diag {

namespace {

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

// The value of "key:" (lowercase key) at the start of the text or after a space, matched
// case-insensitively, up to the next space.
std::string_view receipt_value(std::string_view text, std::string_view key) noexcept {
  for (std::size_t at = text.find(':'); at != std::string_view::npos; at = text.find(':', at + 1)) {
    if (at + 1 < key.size()) continue;
    const std::size_t begin = at + 1 - key.size();
    if (begin > 0 && text[begin - 1] != ' ') continue;
    bool match = true;
    for (std::size_t i = 0; i + 1 < key.size() && match; ++i) match = lower(text[begin + i]) == key[i];
    if (!match) continue;
    const std::size_t end = text.find(' ', at + 1);
    return text.substr(at + 1, end == std::string_view::npos ? std::string_view::npos : end - at - 1);
  }
  return {};
}

}  // namespace

std::uint64_t hash_message_id(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// One pass: the same normalisation as decoder::normalise_message_id (trim, drop leading zeros,
// lowercase), the number in both bases when it reads as one, then the hashes. Runs for every
// submit_sm_resp and receipt, so no second pass and no from_chars.
message_id_keys keys_of_message_id(std::string_view id) noexcept {
  message_id_keys k;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; };
  while (!id.empty() && space(id.front())) id.remove_prefix(1);
  while (!id.empty() && space(id.back())) id.remove_suffix(1);
  while (id.size() > 1 && id.front() == '0') id.remove_prefix(1);
  if (id.empty()) return k;
  char norm[72];
  const std::size_t n = std::min(id.size(), sizeof norm);
  bool dec = n <= 19, hex = n <= 16;  // both fit 64 bits
  std::uint64_t dv = 0, hv = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = lower(id[i]);
    norm[i] = c;
    const bool digit = c >= '0' && c <= '9';
    const bool hexletter = c >= 'a' && c <= 'f';
    dec = dec && digit;
    hex = hex && (digit || hexletter);
    if (dec) dv = dv * 10 + std::uint64_t(c - '0');
    if (hex) hv = hv * 16 + std::uint64_t(digit ? c - '0' : c - 'a' + 10);
  }
  auto add = [&](std::string_view s) {
    const std::uint64_t h = hash_message_id(s);
    for (std::uint8_t i = 0; i < k.count; ++i)
      if (k.key[i] == h) return;
    k.key[k.count++] = h;
  };
  add({norm, n});
  char other[24];
  auto write = [&other](std::uint64_t v, unsigned base) {
    char* e = other + sizeof other;
    char* p = e;
    do {
      const unsigned d = static_cast<unsigned>(v % base);
      *--p = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
      v /= base;
    } while (v);
    return std::string_view(p, static_cast<std::size_t>(e - p));
  };
  if (dec) add(write(dv, 16));  // decimal text -> the same number as hex text
  if (hex) add(write(hv, 10));  // hex text -> the same number as decimal text
  return k;
}

std::optional<receipt_info> find_receipt(const decoder::pdu& p) noexcept {
  using decoder::command_id;
  if (p.hdr.command_id != static_cast<std::uint32_t>(command_id::deliver_sm) &&
      p.hdr.command_id != static_cast<std::uint32_t>(command_id::data_sm))
    return std::nullopt;
  const auto esm = p.esm_class();
  if (!esm) return std::nullopt;
  const std::uint8_t type = *esm & 0x3C;  // SMPP v3.4 section 5.2.12, bits 5-2
  if (type != 0x04 && type != 0x20) return std::nullopt;
  receipt_info r;
  const decoder::tlv_range tlvs = p.tlvs();
  if (const auto t = tlvs.find(decoder::tlv_tag::receipted_message_id)) r.id = t->text();
  if (const auto t = tlvs.find(decoder::tlv_tag::message_state)) {
    if (const auto v = t->integer()) r.message_state = static_cast<std::uint8_t>(*v);
  }
  // The text only for what the TLVs did not say (it runs once per receipt; decoder::parse_receipt
  // reads every key and date, several times the cost). Receipt text is ASCII in practice.
  if (r.id.empty() || !r.message_state) {
    const decoder::bytes_view payload = p.payload();
    const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    if (r.id.empty()) r.id = receipt_value(text, "id:");
    r.stat = receipt_value(text, "stat:");
    if (!r.message_state && !r.stat.empty()) {
      if (const auto st = decoder::message_state_from_stat(r.stat)) r.message_state = static_cast<std::uint8_t>(*st);
    }
  }
  if (r.id.empty()) return std::nullopt;
  r.intermediate = type == 0x20 || r.message_state == static_cast<std::uint8_t>(decoder::message_state::enroute);
  return r;
}

}  // namespace smppscope::analysis::diag
