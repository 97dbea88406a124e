// Hand-built captures for reader tests: raw link/IP/TCP bytes, classic pcap and pcapng files.
// Deliberately independent of capture's own pcap writer.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace pcap_builder {

using bytes = std::vector<std::uint8_t>;

struct addr {
  bool v6 = false;
  std::uint8_t ip[16] = {};
  std::uint16_t port = 0;
};

inline addr a4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  addr x;
  x.ip[0] = a;
  x.ip[1] = b;
  x.ip[2] = c;
  x.ip[3] = d;
  x.port = port;
  return x;
}
inline addr a6(std::uint8_t last, std::uint16_t port) {
  addr x;
  x.v6 = true;
  x.ip[0] = 0x20;
  x.ip[1] = 0x01;
  x.ip[2] = 0x0d;
  x.ip[3] = 0xb8;
  x.ip[15] = last;
  x.port = port;
  return x;
}

inline void be16(bytes& b, std::uint16_t v) {
  b.push_back(std::uint8_t(v >> 8));
  b.push_back(std::uint8_t(v));
}
inline void be32(bytes& b, std::uint32_t v) {
  be16(b, std::uint16_t(v >> 16));
  be16(b, std::uint16_t(v));
}
inline void le16(bytes& b, std::uint16_t v) {
  b.push_back(std::uint8_t(v));
  b.push_back(std::uint8_t(v >> 8));
}
inline void le32(bytes& b, std::uint32_t v) {
  le16(b, std::uint16_t(v));
  le16(b, std::uint16_t(v >> 16));
}

constexpr std::uint8_t FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

// An IPv4 or IPv6 packet carrying one TCP segment (TCP checksum left 0: readers do not check).
inline bytes ip_tcp(const addr& src, const addr& dst, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                    const bytes& payload) {
  bytes tcp;
  be16(tcp, src.port);
  be16(tcp, dst.port);
  be32(tcp, seq);
  be32(tcp, ack);
  tcp.push_back(0x50);
  tcp.push_back(flags);
  be16(tcp, 65535);
  be16(tcp, 0);
  be16(tcp, 0);
  tcp.insert(tcp.end(), payload.begin(), payload.end());
  bytes ip;
  if (src.v6) {
    be32(ip, 0x60000000);
    be16(ip, std::uint16_t(tcp.size()));
    ip.push_back(6);
    ip.push_back(64);
    ip.insert(ip.end(), src.ip, src.ip + 16);
    ip.insert(ip.end(), dst.ip, dst.ip + 16);
  } else {
    ip.push_back(0x45);
    ip.push_back(0);
    be16(ip, std::uint16_t(20 + tcp.size()));
    be16(ip, 1);
    be16(ip, 0x4000);
    ip.push_back(64);
    ip.push_back(6);
    be16(ip, 0);
    ip.insert(ip.end(), src.ip, src.ip + 4);
    ip.insert(ip.end(), dst.ip, dst.ip + 4);
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    ip[10] = std::uint8_t(~sum >> 8);
    ip[11] = std::uint8_t(~sum);
  }
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  return ip;
}

inline std::uint16_t ethertype_of(const bytes& ip) { return (ip[0] >> 4) == 6 ? 0x86DD : 0x0800; }

inline bytes ethernet(const bytes& ip, bool vlan = false, bool pad = false) {
  bytes f = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
  if (vlan) {
    be16(f, 0x8100);
    be16(f, 42);
  }
  be16(f, ethertype_of(ip));
  f.insert(f.end(), ip.begin(), ip.end());
  if (pad)
    while (f.size() < 60) f.push_back(0xEE);  // Ethernet minimum-size padding after the IP packet
  return f;
}
inline bytes sll(const bytes& ip) {  // LINKTYPE_LINUX_SLL
  bytes f;
  be16(f, 0);  // packet type: to us
  be16(f, 772);  // ARPHRD_LOOPBACK
  be16(f, 6);
  f.insert(f.end(), {0, 0, 0, 0, 0, 0, 0, 0});
  be16(f, ethertype_of(ip));
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}
inline bytes sll2(const bytes& ip) {  // LINKTYPE_LINUX_SLL2
  bytes f;
  be16(f, ethertype_of(ip));
  be16(f, 0);       // reserved
  be32(f, 1);       // interface index
  be16(f, 1);       // ARPHRD_ETHER
  f.push_back(4);   // packet type: outgoing
  f.push_back(6);   // address length
  f.insert(f.end(), {2, 0, 0, 0, 0, 1, 0, 0});
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}
inline bytes null_loopback(const bytes& ip) {  // LINKTYPE_NULL: host-order address family
  bytes f;
  le32(f, (ip[0] >> 4) == 6 ? 24u : 2u);  // little-endian host: AF_INET 2, BSD AF_INET6 24
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

struct packet {
  std::int64_t ts_us;
  bytes frame;
};

inline void write_pcap(const std::string& path, std::uint32_t linktype, const std::vector<packet>& pkts,
                       std::size_t truncate_last_by = 0) {
  bytes f;
  le32(f, 0xA1B2C3D4);
  le16(f, 2);
  le16(f, 4);
  le32(f, 0);
  le32(f, 0);
  le32(f, 65535);
  le32(f, linktype);
  for (const auto& p : pkts) {
    le32(f, std::uint32_t(p.ts_us / 1000000));
    le32(f, std::uint32_t(p.ts_us % 1000000));
    le32(f, std::uint32_t(p.frame.size()));
    le32(f, std::uint32_t(p.frame.size()));
    f.insert(f.end(), p.frame.begin(), p.frame.end());
  }
  f.resize(f.size() - truncate_last_by);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(f.data()), std::streamsize(f.size()));
}

// pcapng: Section Header Block, one Interface Description Block, Enhanced Packet Blocks.
inline void write_pcapng(const std::string& path, std::uint16_t linktype, const std::vector<packet>& pkts) {
  bytes f;
  auto block = [&](std::uint32_t type, const bytes& body) {
    const std::uint32_t len = std::uint32_t(12 + body.size());
    le32(f, type);
    le32(f, len);
    f.insert(f.end(), body.begin(), body.end());
    le32(f, len);
  };
  bytes shb;
  le32(shb, 0x1A2B3C4D);
  le16(shb, 1);
  le16(shb, 0);
  le32(shb, 0xFFFFFFFF);  // section length unknown
  le32(shb, 0xFFFFFFFF);
  block(0x0A0D0D0A, shb);
  bytes idb;
  le16(idb, linktype);
  le16(idb, 0);
  le32(idb, 0);  // snaplen: no limit
  block(1, idb);  // default resolution: microseconds
  for (const auto& p : pkts) {
    bytes epb;
    le32(epb, 0);  // interface 0
    const std::uint64_t ts = std::uint64_t(p.ts_us);
    le32(epb, std::uint32_t(ts >> 32));
    le32(epb, std::uint32_t(ts));
    le32(epb, std::uint32_t(p.frame.size()));
    le32(epb, std::uint32_t(p.frame.size()));
    epb.insert(epb.end(), p.frame.begin(), p.frame.end());
    while (epb.size() % 4) epb.push_back(0);
    block(6, epb);
  }
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(f.data()), std::streamsize(f.size()));
}

// A TCP conversation: keeps each side's sequence number.
struct conversation {
  addr client, server;
  std::uint32_t seq_c = 1000, seq_s = 500000;
  std::int64_t ts = 1'700'000'000'000'000;

  bytes syn() { return ip_tcp(client, server, seq_c++, 0, SYN, {}); }
  bytes synack() { return ip_tcp(server, client, seq_s++, seq_c, SYN | ACK, {}); }
  bytes ack() { return ip_tcp(client, server, seq_c, seq_s, ACK, {}); }
  // Data from the client (to_server) or the server; advances that side's sequence number.
  bytes data(bool from_client, const bytes& payload) {
    std::uint32_t& seq = from_client ? seq_c : seq_s;
    bytes p = from_client ? ip_tcp(client, server, seq, seq_s, PSH | ACK, payload)
                          : ip_tcp(server, client, seq, seq_c, PSH | ACK, payload);
    seq += std::uint32_t(payload.size());
    return p;
  }
  // Data at an explicit sequence number (retransmissions, out of order); does not advance.
  bytes data_at(bool from_client, std::uint32_t seq, const bytes& payload) const {
    return from_client ? ip_tcp(client, server, seq, seq_s, PSH | ACK, payload)
                       : ip_tcp(server, client, seq, seq_c, PSH | ACK, payload);
  }
};

}  // namespace pcap_builder
