// Big-endian get/put and the SMPP header writer (decoder/wire.hpp), checked against the header
// reader (read_header) and octets written out by hand from SMPP v3.4 section 3.2.
#include "smppscope/decoder/wire.hpp"

#include <gtest/gtest.h>

#include <array>

#include "smppscope/decoder/pdu.hpp"

namespace smppscope::decoder {
namespace {

TEST(Wire, PutAndGetRoundTripInNetworkOrder) {
  std::array<std::uint8_t, 6> b{};
  EXPECT_EQ(wire::put32(b.data(), 0x0A0B0C0Du), b.data() + 4);
  EXPECT_EQ(wire::put16(b.data() + 4, 0xBEEF), b.data() + 6);
  EXPECT_EQ(b, (std::array<std::uint8_t, 6>{0x0A, 0x0B, 0x0C, 0x0D, 0xBE, 0xEF}));
  EXPECT_EQ(wire::get32(b.data()), 0x0A0B0C0Du);
  EXPECT_EQ(wire::get16(b.data() + 4), 0xBEEF);
  for (const std::uint32_t v : {0u, 1u, 0x80u, 0x8000u, 0x80000000u, 0xFFFFFFFFu}) {
    wire::put32(b.data(), v);
    EXPECT_EQ(wire::get32(b.data()), v);
  }
}

TEST(Wire, SmppHeaderReadsBackAndMatchesTheSpecLayout) {
  std::array<std::uint8_t, header_size> h{};
  EXPECT_EQ(wire::put_smpp_header(h.data(), 16, 0x80000015, 0x58, 7), h.data() + header_size);
  // enquire_link_resp, ESME_RTHROTTLED, sequence 7
  EXPECT_EQ(h, (std::array<std::uint8_t, header_size>{0, 0, 0, 16, 0x80, 0, 0, 0x15, 0, 0, 0, 0x58, 0, 0, 0, 7}));
  const header r = read_header(h);
  EXPECT_EQ(r.command_length, 16u);
  EXPECT_EQ(r.command_id, 0x80000015u);
  EXPECT_EQ(r.command_status, 0x58u);
  EXPECT_EQ(r.sequence_number, 7u);
}

}  // namespace
}  // namespace smppscope::decoder
