// The redaction scanner on its own (analysis/src/detail/pcap_synth.hpp): after the framing
// breaks it hunts for the next plausible header and keeps masking; chunking never matters.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "analysis_test_util.hpp"
#include "detail/pcap_synth.hpp"

using namespace analysis_test;

namespace {

constexpr auto e2s = sc::direction::esme_to_smsc;

bytes scan(bytes s, std::size_t max_chunk, unsigned seed, bool redact = true) {
  sc::detail::pdu_scanner sc;
  std::mt19937 rng(seed);
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t n = std::min<std::size_t>(s.size() - pos, 1 + rng() % max_chunk);
    sc.feed(s.data() + pos, n, e2s, redact);
    pos += n;
  }
  return s;
}

std::string str(const bytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST(PcapRedact, BadHeaderThenBindIsMasked) {
  for (const bytes& bad : {bytes{0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1},             // too short
                          bytes{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1}}) {  // too long
    const bytes in = cat({bad, bind_trx(1, "sysA", "pwAlpha1"), submit(2)});
    for (std::size_t chunk : {1u, 3u, 16u, 1000u}) {
      const std::string out = str(scan(in, chunk, unsigned(chunk)));
      EXPECT_EQ(out.size(), in.size());
      EXPECT_EQ(out.find("pwAlpha1"), std::string::npos) << chunk;
      EXPECT_NE(out.find(std::string("sysA\0********\0", 14)), std::string::npos) << chunk;
    }
    EXPECT_EQ(scan(in, 7, 1, false), in);  // without masking nothing changes
  }
}

// Random garbage between PDUs: every bind after it is masked, whole or chunked alike, and the
// scanner counts each break.
TEST(PcapRedact, KeepsMaskingThroughRepeatedGarbage) {
  std::mt19937 rng(42);
  bytes in;
  std::vector<std::string> passwords;
  for (int i = 0; i < 50; ++i) {
    bytes junk(16 + rng() % 40);
    for (auto& b : junk) b = std::uint8_t(rng());
    junk[0] = 0xEE;  // command_length far beyond 16 MiB: a certain break
    passwords.push_back("pw" + std::to_string(1000 + i));
    in = cat({in, junk, submit(std::uint32_t(i), "x"), bind_trx(std::uint32_t(i), "s", passwords.back())});
  }
  sc::detail::pdu_scanner sc;
  bytes whole = in;
  sc.feed(whole.data(), whole.size(), e2s, true);
  for (unsigned seed = 2; seed < 6; ++seed) EXPECT_EQ(scan(in, 1 + seed * 5, seed), whole);
  const std::string out = str(whole);
  for (const auto& p : passwords) EXPECT_EQ(out.find(p), std::string::npos) << p;
  std::size_t starred = 0;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (whole[i] != in[i]) starred += whole[i] == '*' ? 1 : 1000;
  EXPECT_EQ(starred, 50u * 6);  // the six octets of each password, nothing else
  EXPECT_GE(sc.resyncs(), 50u);
  EXPECT_TRUE(sc.in_sync());
}

TEST(PcapRedact, HuntAcceptsOnlyPlausibleHeaders) {
  using sc::detail::pdu_scanner;
  EXPECT_TRUE(pdu_scanner::hunt_plausible(bind_trx(1).data()));
  EXPECT_TRUE(pdu_scanner::hunt_plausible(submit_resp(1, 0x45).data()));  // a response may carry an error
  bytes b = bind_trx(1);
  b[11] = 1;  // a request with a status
  EXPECT_FALSE(pdu_scanner::hunt_plausible(b.data()));
  b = bind_trx(1);
  b[7] = 0x77;  // unknown command id
  EXPECT_FALSE(pdu_scanner::hunt_plausible(b.data()));
  b = bind_trx(1);
  b[12] = 0x80;  // sequence_number above 0x7FFFFFFF
  EXPECT_FALSE(pdu_scanner::hunt_plausible(b.data()));
  b = bind_trx(1);
  b[1] = 2;  // 128 KiB
  EXPECT_FALSE(pdu_scanner::hunt_plausible(b.data()));
}

// A system_id of 16 octets or more with no NUL within them: tshark and our decoder read it up to
// its NUL and the password after it, a reader stopping at 16 octets takes the overflow as the
// password. Neither reading may find a password octet in clear.
TEST(PcapRedact, OverlongSystemIdLeavesNoPasswordInClear) {
  const std::string sid = "SIDSIDSIDSIDSIDSovf";  // 19 octets, no NUL in the first 16
  const bytes in = cat({bind_trx(1, sid, "pwSecret9"), submit(2)});
  for (std::size_t chunk : {1u, 5u, 1000u}) {
    const std::string out = str(scan(in, chunk, unsigned(chunk)));
    ASSERT_EQ(out.size(), in.size());
    EXPECT_EQ(out.find("pwSecret9"), std::string::npos) << chunk;
    EXPECT_EQ(out.find("ovf"), std::string::npos) << chunk;
    EXPECT_NE(out.find(std::string("SIDSIDSIDSIDSIDS***\0*********\0", 30)), std::string::npos) << chunk;
  }
  EXPECT_EQ(scan(in, 7, 1, false), in);
}
