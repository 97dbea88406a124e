// Big-endian integers and the SMPP header on the wire, both ways: the one place that spells out
// network byte order, for the decoder, the encoder, the analysis (pcap synthesis, framing
// probes) and the simulator. SMPP v3.4 section 3.2 (CMPP's 12-octet header uses the same order).
#pragma once

#include <cstdint>

namespace smppscope::decoder::wire {

constexpr std::uint16_t get16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((std::uint16_t(p[0]) << 8) | p[1]);
}
constexpr std::uint32_t get32(const std::uint8_t* p) noexcept {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
// Each put returns the octet after what it wrote.
constexpr std::uint8_t* put16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = std::uint8_t(v >> 8);
  p[1] = std::uint8_t(v);
  return p + 2;
}
constexpr std::uint8_t* put32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = std::uint8_t(v >> 24);
  p[1] = std::uint8_t(v >> 16);
  p[2] = std::uint8_t(v >> 8);
  p[3] = std::uint8_t(v);
  return p + 4;
}

// The 16-octet SMPP header (decoder::header_size): command_length, command_id, command_status,
// sequence_number.
constexpr std::uint8_t* put_smpp_header(std::uint8_t* p, std::uint32_t command_length, std::uint32_t command_id,
                                        std::uint32_t command_status, std::uint32_t sequence_number) noexcept {
  p = put32(p, command_length);
  p = put32(p, command_id);
  p = put32(p, command_status);
  return put32(p, sequence_number);
}

}  // namespace smppscope::decoder::wire
