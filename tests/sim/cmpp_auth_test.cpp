// CMPP authenticators against the worked examples of the reference vectors: the CONNECT in
// cmpp_connect_v20.pcap carries AuthenticatorSource for Source_Addr 901234, secret "secret",
// Timestamp 1122134530, and cmpp2_connect_resp.pcap the matching AuthenticatorISMG (both
// checked with md5sum when the vectors were built).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "smppscope/cmpp_auth/authenticator.hpp"
#include "test_data.hpp"

namespace smppscope::cmpp_auth {
namespace {

// The one PDU of a vector: Ethernet/IPv4/TCP frame after the pcap headers (24 + 16 + 54 octets).
std::vector<std::uint8_t> vector_pdu(const char* name) {
  std::ifstream in(test::vectors_dir() / name, std::ios::binary);
  std::vector<std::uint8_t> all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (all.size() < 94 + 12) return {};
  return {all.begin() + 94, all.end()};
}

digest from_hex(std::string_view hex) {
  digest d{};
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  return d;
}

TEST(CmppAuth, SourceAuthenticatorMatchesTheConnectVector) {
  const auto pdu = vector_pdu("cmpp_connect_v20.pcap");
  ASSERT_EQ(pdu.size(), 39u) << test::missing_data_message(test::vectors_dir());
  const std::uint32_t ts = (std::uint32_t(pdu[35]) << 24) | (std::uint32_t(pdu[36]) << 16) | (std::uint32_t(pdu[37]) << 8) | pdu[38];
  EXPECT_EQ(ts, 1122134530u);
  const auto a = authenticator_source("901234", "secret", ts);
  ASSERT_TRUE(a);
  digest on_wire{};
  std::copy(pdu.begin() + 18, pdu.begin() + 34, on_wire.begin());
  EXPECT_EQ(*a, on_wire);
  EXPECT_EQ(*a, from_hex("5EDD80A12B6FDF3C4521EE74984E2BC6"));
  EXPECT_TRUE(same(*a, on_wire));
}

TEST(CmppAuth, IsmgAuthenticatorMatchesTheConnectRespVector) {
  const auto pdu = vector_pdu("cmpp2_connect_resp.pcap");
  ASSERT_EQ(pdu.size(), 30u) << test::missing_data_message(test::vectors_dir());
  const auto src = from_hex("5EDD80A12B6FDF3C4521EE74984E2BC6");
  const auto a = authenticator_ismg(pdu[12], src, "secret", status_width::cmpp2);
  ASSERT_TRUE(a);
  digest on_wire{};
  std::copy(pdu.begin() + 13, pdu.begin() + 29, on_wire.begin());
  EXPECT_EQ(*a, on_wire);
  EXPECT_EQ(*a, from_hex("29E95B546E08CAD21BE2E481C6F86BC4"));
}

TEST(CmppAuth, Cmpp3HashesAFourOctetStatus) {
  const auto src = from_hex("5EDD80A12B6FDF3C4521EE74984E2BC6");
  const auto v3 = authenticator_ismg(0, src, "secret", status_width::cmpp3);
  const auto v2 = authenticator_ismg(0, src, "secret", status_width::cmpp2);
  ASSERT_TRUE(v3 && v2);
  EXPECT_NE(*v3, *v2);
  // MD5(00 00 00 00 + AuthenticatorSource + "secret"), computed with Python's hashlib.
  EXPECT_EQ(*v3, from_hex("94CCEF55C9C7B1EFEECB89E57F44AB15"));
}

TEST(CmppAuth, AnyChangedInputChangesTheAuthenticator) {
  const auto good = *authenticator_source("901234", "secret", 1122134530);
  EXPECT_NE(*authenticator_source("901234", "secreT", 1122134530), good);
  EXPECT_NE(*authenticator_source("901235", "secret", 1122134530), good);
  EXPECT_NE(*authenticator_source("901234", "secret", 1122134531), good);
  EXPECT_FALSE(same(*authenticator_source("901234", "secreT", 1122134530), good));
}

TEST(CmppAuth, TimestampIsMonthFirstAndZeroPadded) {
  const auto t = timestamp_text(201030405);  // 1 Feb 03:04:05
  EXPECT_EQ(std::string(t.data(), t.size()), "0201030405");
  EXPECT_EQ(timestamp_of(1795355130), 1122134530u);  // 2026-11-22 13:45:30 UTC
  EXPECT_EQ(timestamp_of(1709164800), 229000000u);   // 2024-02-29 00:00:00 UTC
  EXPECT_EQ(timestamp_of(1798761599), 1231235959u);  // 2026-12-31 23:59:59 UTC
  EXPECT_TRUE(plausible_timestamp(1122134530));
  EXPECT_TRUE(plausible_timestamp(229000000));
  EXPECT_FALSE(plausible_timestamp(1322134530));  // month 13
  EXPECT_FALSE(plausible_timestamp(1100134530));  // day 0
  EXPECT_FALSE(plausible_timestamp(1122246030));  // 24:60:30
}

}  // namespace
}  // namespace smppscope::cmpp_auth
