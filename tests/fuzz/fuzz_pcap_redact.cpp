// libFuzzer target for the pcap writer's password masking (analysis/src/detail/pcap_synth.hpp,
// pdu_scanner): the input is one direction of a relayed byte stream. It is scanned whole and in
// chunks of input-derived sizes, with and without masking, and compared with a reference walk
// written here from the SMPP v3.4 bind layout (section 4.1):
//   - the output has exactly the input's length, and chunking changes nothing;
//   - without masking, not one octet changes;
//   - with masking, every octet of a bind_* (ESME to SMSC) or outbind (SMSC to ESME) password up
//     to its NUL (or the end of the body) is '*', and every other octet is unchanged.
// The first input octet picks the direction and the chunking; a second form builds well-formed
// bind PDUs around input-chosen passwords so the masked path is always reached.
// Invariants broken -> abort().
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "detail/pcap_synth.hpp"

namespace {

namespace c = smppscope::analysis;
using bytes = std::vector<std::uint8_t>;

void require(bool ok) {
  if (!ok) std::abort();
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// Marks the octets to be masked in every bind/outbind PDU of the stream: the password up to its
// NUL (or the end of the body), and the octets of an overlong system_id past its 16th (a reader
// that stops the system_id at 16 octets takes them as the password). After a broken header
// (command_length below 16 or above 2^24) the walk goes on at the first later offset holding a
// plausible header (pdu_scanner::hunt_plausible), as the scanner does.
std::vector<bool> reference_passwords(const bytes& s, c::direction d) {
  std::vector<bool> mark(s.size(), false);
  std::size_t pos = 0;
  while (pos + 16 <= s.size()) {
    const std::uint32_t len = be32(&s[pos]);
    const std::uint32_t cmd = be32(&s[pos + 4]);
    if (len < 16 || len > (1u << 24)) {
      std::size_t j = pos + 1;
      while (j + 16 <= s.size() && !c::detail::pdu_scanner::hunt_plausible(&s[j])) ++j;
      pos = j;
      continue;
    }
    const std::size_t body = pos + 16;
    const std::size_t end = std::min<std::size_t>(pos + len, s.size());
    const bool bind = d == c::direction::esme_to_smsc && (cmd == 0x01 || cmd == 0x02 || cmd == 0x09);
    const bool outbind = d == c::direction::smsc_to_esme && cmd == 0x0B;
    if (bind || outbind) {
      std::size_t i = body;
      // system_id: up to its NUL; octets past the 16th are masked.
      for (std::size_t n = 0; i < end; ++n) {
        if (s[i] == 0) {
          ++i;
          break;
        }
        if (n >= 16) mark[i] = true;
        ++i;
      }
      // password: up to its NUL or the end of the body.
      while (i < end && s[i] != 0) mark[i++] = true;
    }
    pos += len;
  }
  return mark;
}

bytes scan(const bytes& in, c::direction d, bool redact, std::uint32_t chunk_seed) {
  bytes out = in;
  c::detail::pdu_scanner sc;
  std::size_t pos = 0;
  std::uint32_t state = chunk_seed | 1;
  while (pos < out.size()) {
    std::size_t n = out.size() - pos;
    if (chunk_seed) {
      state = state * 1103515245u + 12345u;
      n = std::min<std::size_t>(n, 1 + (state >> 16) % 40);
    }
    sc.feed(out.data() + pos, n, d, redact);
    pos += n;
  }
  require(out.size() == in.size());
  return out;
}

void check(const bytes& in, c::direction d, std::uint32_t chunk_seed) {
  require(scan(in, d, false, 0) == in);
  require(scan(in, d, false, chunk_seed) == in);
  const bytes whole = scan(in, d, true, 0);
  require(scan(in, d, true, chunk_seed) == whole);
  const std::vector<bool> mark = reference_passwords(in, d);
  for (std::size_t i = 0; i < in.size(); ++i) require(whole[i] == (mark[i] ? '*' : in[i]));
}

void put32(bytes& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(std::uint8_t(x >> s));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto d = (data[0] & 1) ? c::direction::smsc_to_esme : c::direction::esme_to_smsc;
  const std::uint32_t chunk_seed = data[1] * 2654435761u + 1;
  if ((data[0] & 2) == 0) {
    check(bytes(data + 2, data + size), d, chunk_seed);
    return 0;
  }
  // Built form: records of [system_id length][password length][octets...]; each becomes a valid
  // bind (or outbind) PDU, system_id 0..15 octets, password 0..15 non-NUL octets, followed by an
  // enquire_link. The octets written as password must all come out as '*'.
  bytes s;
  std::vector<bool> password;
  std::size_t pos = 2;
  while (pos + 2 <= size) {
    const std::size_t sid = std::min<std::size_t>(data[pos] % 16, size - pos - 2);
    const std::size_t pw = std::min<std::size_t>(data[pos + 1] % 16, size - pos - 2 - sid);
    const std::uint32_t cmd = d == c::direction::esme_to_smsc ? 0x01u + (data[pos] & 1) * 8 : 0x0Bu;
    pos += 2;
    bytes pdu;
    put32(pdu, 0);
    put32(pdu, cmd);
    put32(pdu, 0);
    put32(pdu, 1);
    for (std::size_t i = 0; i < sid; ++i) pdu.push_back(data[pos + i] ? data[pos + i] : 's');
    pdu.push_back(0);
    const std::size_t pw_at = s.size() + pdu.size();
    for (std::size_t i = 0; i < pw; ++i) pdu.push_back(data[pos + sid + i] ? data[pos + sid + i] : 'p');
    pdu.push_back(0);
    if (cmd != 0x0B) pdu.insert(pdu.end(), {0, 0x34, 0, 0, 0});  // system_type, version, ton, npi, range
    pos += sid + pw;
    const auto n = std::uint32_t(pdu.size());
    pdu[0] = std::uint8_t(n >> 24);
    pdu[1] = std::uint8_t(n >> 16);
    pdu[2] = std::uint8_t(n >> 8);
    pdu[3] = std::uint8_t(n);
    s.insert(s.end(), pdu.begin(), pdu.end());
    s.insert(s.end(), {0, 0, 0, 0x10, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 2});  // enquire_link
    password.resize(s.size(), false);
    for (std::size_t i = 0; i < pw; ++i) password[pw_at + i] = true;
  }
  check(s, d, chunk_seed);
  const bytes masked = scan(s, d, true, chunk_seed);
  for (std::size_t i = 0; i < s.size(); ++i) require(masked[i] == (password[i] ? '*' : s[i]));
  return 0;
}
