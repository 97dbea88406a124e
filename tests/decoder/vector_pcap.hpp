// Test helper: the TCP payload (one PDU) of a vector pcap in tests/data/vectors/.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_data.hpp"

namespace smppscope::test {

// Reads the first packet of a little-endian classic pcap (Ethernet / IPv4 / TCP) and returns
// its TCP payload. Throws on anything else so a broken vector fails the test loudly.
inline std::vector<std::uint8_t> vector_pdu(const std::string& name) {
  const std::string path = (vectors_dir() / (name + ".pcap")).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path + " (" + missing_data_message(vectors_dir()) + ")");
  const std::vector<std::uint8_t> f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto le32 = [&](std::size_t at) {
    return std::uint32_t(f.at(at)) | std::uint32_t(f.at(at + 1)) << 8 | std::uint32_t(f.at(at + 2)) << 16 |
           std::uint32_t(f.at(at + 3)) << 24;
  };
  if (f.size() < 24 + 16 || le32(0) != 0xA1B2C3D4u || le32(20) != 1) throw std::runtime_error("not an Ethernet pcap: " + path);
  const std::size_t caplen = le32(24 + 8);
  const std::size_t eth = 24 + 16;
  if (f.size() < eth + caplen || caplen < 14 + 20 + 20) throw std::runtime_error("short packet: " + path);
  const std::size_t ip = eth + 14;
  const std::size_t ihl = (f[ip] & 0x0F) * 4u;
  const std::size_t ip_total = std::size_t(f[ip + 2]) << 8 | f[ip + 3];
  const std::size_t tcp = ip + ihl;
  const std::size_t tcp_len = (f[tcp + 12] >> 4) * 4u;
  const std::size_t payload = tcp + tcp_len;
  const std::size_t end = ip + ip_total;
  if (end > eth + caplen || payload > end) throw std::runtime_error("bad IP/TCP lengths: " + path);
  return {f.begin() + static_cast<std::ptrdiff_t>(payload), f.begin() + static_cast<std::ptrdiff_t>(end)};
}

}  // namespace smppscope::test
