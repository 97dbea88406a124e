// libFuzzer target for the event JSON writer (decoder/json.hpp): no password octet ever reaches
// its output. Each input builds a bind_* or outbind PDU whose system_id, password (4 to 12
// octets, none of them NUL) and everything after the password (the rest of the body, TLVs,
// garbage) come from the fuzz input; command_length always equals the frame's size, as the framer
// guarantees. The same PDU is then built a second time with a different password of the same
// length (every octet changed) and both are written with and without "hex": the outputs must be
// identical, so nothing of the password (raw, escaped, as hex, in an error or lint message) can
// be in them. And when the password does not occur in the JSON of the other PDU, it must not
// occur in this one either, raw or as lowercase hex. Invariants broken -> abort().
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace {

namespace d = smppscope::decoder;

void require(bool ok) {
  if (!ok) std::abort();
}

void put32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(std::uint8_t(x >> s));
}

std::string to_hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h += digits[c >> 4];
    h += digits[c & 15];
  }
  return h;
}

std::vector<std::uint8_t> build(std::uint32_t command_id, std::uint32_t status, std::string_view system_id,
                                std::string_view password, bool password_nul, d::bytes_view rest) {
  std::vector<std::uint8_t> f;
  put32(f, 0);  // command_length, set below
  put32(f, command_id);
  put32(f, status);
  put32(f, 1);
  f.insert(f.end(), system_id.begin(), system_id.end());
  f.push_back(0);
  f.insert(f.end(), password.begin(), password.end());
  if (password_nul) f.push_back(0);
  f.insert(f.end(), rest.begin(), rest.end());
  const auto n = std::uint32_t(f.size());
  f[0] = std::uint8_t(n >> 24);
  f[1] = std::uint8_t(n >> 16);
  f[2] = std::uint8_t(n >> 8);
  f[3] = std::uint8_t(n);
  return f;
}

std::string write(const std::vector<std::uint8_t>& frame, bool hex) {
  d::pdu p;
  const d::decode_error e = d::decode(frame, p);
  const std::string message = e ? e.message(p) : std::string();
  d::json_context ctx;
  ctx.session = 7;
  ctx.direction = "esme_to_smsc";
  ctx.ts_us = 1'763'800'000'000'000;
  ctx.event_id = 42;
  ctx.error = message;
  ctx.include_hex = hex;
  std::string out;
  d::append_pdu_json(out, p, frame, ctx);
  require(!out.empty() && out.front() == '{' && out.back() == '}');
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  static constexpr std::uint32_t commands[] = {0x01, 0x02, 0x09, 0x0B};
  const std::uint32_t command_id = commands[data[0] & 3];
  const std::uint32_t status = (data[0] & 4) ? data[3] : 0;  // a bind with a status is odd, not invalid
  const bool password_nul = (data[0] & 8) == 0;                // without it the password runs on
  const std::size_t system_id_len = data[1] % 17;              // 16 = one octet over the limit
  const std::size_t password_len = 4 + data[2] % 9;            // 4..12: 9+ is over the limit
  std::size_t pos = 4;
  if (size < pos + system_id_len + password_len) return 0;
  std::string system_id(reinterpret_cast<const char*>(data + pos), system_id_len);
  for (char& c : system_id)
    if (c == 0) c = 'S';
  pos += system_id_len;
  std::string password(reinterpret_cast<const char*>(data + pos), password_len);
  for (char& c : password)
    if (c == 0) c = 'P';
  pos += password_len;
  const d::bytes_view rest(data + pos, size - pos);

  // The other password: same length, every octet different, none NUL.
  std::string other = password;
  for (char& c : other) c = c == 'x' ? 'y' : 'x';

  const auto frame = build(command_id, status, system_id, password, password_nul, rest);
  const auto frame2 = build(command_id, status, system_id, other, password_nul, rest);
  for (const bool hex : {false, true}) {
    const std::string a = write(frame, hex);
    const std::string b = write(frame2, hex);
    require(a == b);
    if (b.find(password) == std::string::npos) require(a.find(password) == std::string::npos);
    if (hex) {
      const std::string h = to_hex(password);
      if (b.find(h) == std::string::npos) require(a.find(h) == std::string::npos);
    }
  }
  return 0;
}
