#include "detail/pcap_synth.hpp"

#include <algorithm>
#include <cstring>

#include "smppscope/decoder/protocol.hpp"

namespace smppscope::analysis::detail {

namespace {

constexpr std::uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_psh = 0x08, tcp_ack = 0x10;
constexpr std::size_t eth_size = 14, ipv4_size = 20, ipv6_size = 40, tcp_size = 20;
// Largest TCP payload per packet: IPv4 total length and IPv6 payload length are 16-bit.
constexpr std::size_t max_segment_v4 = 65535 - ipv4_size - tcp_size;
constexpr std::size_t max_segment_v6 = 65535 - tcp_size;
// Acknowledge before this much is in flight, so no "window full" in Wireshark (window 65535).
constexpr std::uint32_t ack_every = 32768;

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = std::uint8_t(v >> 8);
  p[1] = std::uint8_t(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = std::uint8_t(v >> 24);
  p[1] = std::uint8_t(v >> 16);
  p[2] = std::uint8_t(v >> 8);
  p[3] = std::uint8_t(v);
}
void put32le(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, 4); }  // pcap: host order

// RFC 1071 one's-complement sum (not yet folded/inverted).
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  std::uint64_t s = acc;
  std::size_t i = 0;
  for (; i + 1 < n; i += 2) s += (std::uint32_t(p[i]) << 8) | p[i + 1];
  if (i < n) s += std::uint32_t(p[i]) << 8;
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return std::uint32_t(s);
}
std::uint16_t fold(std::uint32_t s) {
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return std::uint16_t(~s & 0xFFFF);
}

void mac_of(const endpoint& e, std::uint8_t* mac) {
  mac[0] = 0x02;  // locally administered
  mac[1] = 0x00;
  std::memcpy(mac + 2, e.v6 ? e.addr + 12 : e.addr, 4);
}

}  // namespace

bool write_file_header(byte_out& out) {
  std::uint8_t h[pcap_file_header_size];
  put32le(h, 0xA1B2C3D4);  // microsecond timestamps, host byte order
  const std::uint16_t major = 2, minor = 4;
  std::memcpy(h + 4, &major, 2);
  std::memcpy(h + 6, &minor, 2);
  put32le(h + 8, 0);   // thiszone
  put32le(h + 12, 0);  // sigfigs
  put32le(h + 16, pcap_snaplen);
  put32le(h + 20, 1);  // LINKTYPE_ETHERNET
  return out.write(h, sizeof h);
}

bool packet_writer::packet(byte_out& out, tcp_leg& leg, int side, std::int64_t ts_us,
                           std::uint8_t flags, std::span<const std::uint8_t> payload) {
  const endpoint& src = side == 0 ? leg.client : leg.server;
  const endpoint& dst = side == 0 ? leg.server : leg.client;
  const bool v6 = src.v6;
  const std::size_t ip_size = v6 ? ipv6_size : ipv4_size;
  // SYNs carry MSS and window scale 7 (RFC 7323), so the window is never the limit in
  // Wireshark's eyes.
  const std::size_t th_size = (flags & tcp_syn) ? tcp_size + 8 : tcp_size;
  const std::size_t frame = eth_size + ip_size + th_size + payload.size();
  buf_.resize(pcap_record_header_size + frame);
  std::uint8_t* rec = buf_.data();
  const std::int64_t sec = ts_us >= 0 ? ts_us / 1000000 : 0;
  const std::int64_t usec = ts_us >= 0 ? ts_us % 1000000 : 0;
  put32le(rec, std::uint32_t(sec));
  put32le(rec + 4, std::uint32_t(usec));
  put32le(rec + 8, std::uint32_t(frame));
  put32le(rec + 12, std::uint32_t(frame));

  std::uint8_t* eth = rec + pcap_record_header_size;
  mac_of(dst, eth);
  mac_of(src, eth + 6);
  put16(eth + 12, v6 ? 0x86DD : 0x0800);

  std::uint8_t* ip = eth + eth_size;
  std::uint8_t* tcp = ip + ip_size;
  const std::size_t tcp_len = th_size + payload.size();
  std::uint32_t pseudo;
  if (v6) {
    put32(ip, 0x60000000);  // version 6, class 0, flow 0
    put16(ip + 4, std::uint16_t(tcp_len));
    ip[6] = 6;   // TCP
    ip[7] = 64;  // hop limit
    std::memcpy(ip + 8, src.addr, 16);
    std::memcpy(ip + 24, dst.addr, 16);
    pseudo = sum16(ip + 8, 32);
    pseudo = sum16(nullptr, 0, pseudo + std::uint32_t(tcp_len >> 16) + std::uint32_t(tcp_len & 0xFFFF) + 6);
  } else {
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, std::uint16_t(ipv4_size + tcp_len));
    put16(ip + 4, leg.ip_id[side]++);
    put16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = 6;
    put16(ip + 10, 0);
    std::memcpy(ip + 12, src.addr, 4);
    std::memcpy(ip + 16, dst.addr, 4);
    put16(ip + 10, fold(sum16(ip, ipv4_size)));
    pseudo = sum16(ip + 12, 8);
    pseudo = sum16(nullptr, 0, pseudo + 6 + std::uint32_t(tcp_len));
  }
  put16(tcp, src.port);
  put16(tcp + 2, dst.port);
  put32(tcp + 4, leg.next_seq[side]);
  put32(tcp + 8, (flags & tcp_ack) ? leg.next_seq[1 - side] : 0);
  tcp[12] = std::uint8_t((th_size / 4) << 4);  // data offset in 32-bit words
  tcp[13] = flags;
  put16(tcp + 14, 65535);
  put16(tcp + 16, 0);
  put16(tcp + 18, 0);
  if (flags & tcp_syn) {
    tcp[20] = 2;  // MSS
    tcp[21] = 4;
    put16(tcp + 22, std::uint16_t(v6 ? max_segment_v6 - 20 : max_segment_v4));
    tcp[24] = 1;  // NOP
    tcp[25] = 3;  // window scale
    tcp[26] = 3;
    tcp[27] = 7;
  }
  if (!payload.empty()) std::memcpy(tcp + th_size, payload.data(), payload.size());
  put16(tcp + 16, fold(sum16(tcp, tcp_len, pseudo)));

  leg.next_seq[side] += std::uint32_t(payload.size()) + ((flags & (tcp_syn | tcp_fin)) ? 1 : 0);
  leg.unacked[side] += std::uint32_t(payload.size());
  if (flags & tcp_ack) leg.unacked[1 - side] = 0;
  ++packets;
  written += buf_.size();
  return out.write(buf_.data(), buf_.size());
}

bool packet_writer::handshake(byte_out& out, tcp_leg& leg, std::int64_t ts_us,
                              std::uint32_t isn_client, std::uint32_t isn_server) {
  leg.next_seq[0] = isn_client;
  leg.next_seq[1] = isn_server;
  leg.established = true;
  bool ok = packet(out, leg, 0, ts_us, tcp_syn, {});
  ok = packet(out, leg, 1, ts_us, tcp_syn | tcp_ack, {}) && ok;
  ok = packet(out, leg, 0, ts_us, tcp_ack, {}) && ok;
  return ok;
}

bool packet_writer::data(byte_out& out, tcp_leg& leg, int side, std::int64_t ts_us,
                         std::span<const std::uint8_t> payload) {
  const std::size_t max_seg = (side == 0 ? leg.client : leg.server).v6 ? max_segment_v6 : max_segment_v4;
  bool ok = true;
  while (!payload.empty()) {
    if (leg.unacked[side] >= ack_every) ok = packet(out, leg, 1 - side, ts_us, tcp_ack, {}) && ok;
    const std::size_t n = std::min(payload.size(), max_seg);
    ok = packet(out, leg, side, ts_us, tcp_psh | tcp_ack, payload.first(n)) && ok;
    payload = payload.subspan(n);
  }
  return ok;
}

bool packet_writer::fin(byte_out& out, tcp_leg& leg, std::int64_t ts_us) {
  if (leg.closed) return true;
  leg.closed = true;
  bool ok = packet(out, leg, 0, ts_us, tcp_fin | tcp_ack, {});
  ok = packet(out, leg, 1, ts_us, tcp_fin | tcp_ack, {}) && ok;
  ok = packet(out, leg, 0, ts_us, tcp_ack, {}) && ok;
  return ok;
}

void packet_writer::skip(tcp_leg& leg, int side, std::size_t n) {
  leg.next_seq[side] += std::uint32_t(n);
}

namespace {
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
}  // namespace

bool pdu_scanner::hunt_plausible(const std::uint8_t* h) noexcept {
  const std::uint32_t len = be32(h), cmd = be32(h + 4), status = be32(h + 8), seq = be32(h + 12);
  if (len < 16 || len > (1u << 16)) return false;
  if (!decoder::find_pdu(cmd)) return false;
  if (!decoder::is_response(cmd) && status != 0) return false;
  return seq <= 0x7FFFFFFFu;
}

void pdu_scanner::lost_octets() noexcept {
  if (phase_ == phase::hunt) return;
  phase_ = phase::hunt;
  hdr_got_ = 0;
  ++resyncs_;
}

void pdu_scanner::start_pdu(direction d) noexcept {
  hdr_got_ = 0;
  const std::uint32_t len = be32(hdr_), cmd = be32(hdr_ + 4);
  body_left_ = len - 16;
  const bool bind = d == direction::esme_to_smsc && (cmd == 0x01 || cmd == 0x02 || cmd == 0x09);
  const bool outbind = d == direction::smsc_to_esme && cmd == 0x0B;
  phase_ = body_left_ == 0 ? phase::header : (bind || outbind) ? phase::system_id : phase::skip;
  field_len_ = 0;
}

void pdu_scanner::feed(std::uint8_t* p, std::size_t n, direction d, bool redact) noexcept {
  while (n) {
    switch (phase_) {
      case phase::header: {
        const std::size_t take = std::min(n, 16 - hdr_got_);
        std::memcpy(hdr_ + hdr_got_, p, take);
        hdr_got_ += take;
        p += take;
        n -= take;
        if (hdr_got_ < 16) return;
        const std::uint32_t len = be32(hdr_);
        if (len < 16 || len > (1u << 24)) {  // framing broke: hunt, starting inside this header
          phase_ = phase::hunt;
          ++resyncs_;
          break;
        }
        start_pdu(d);
        break;
      }
      case phase::hunt: {
        // A 16-octet window slides one octet at a time until it holds a plausible header.
        while (n) {
          if (hdr_got_ == 16) {
            std::memmove(hdr_, hdr_ + 1, 15);
            hdr_got_ = 15;
          }
          hdr_[hdr_got_++] = *p++;
          --n;
          if (hdr_got_ == 16 && hunt_plausible(hdr_)) {
            start_pdu(d);
            break;
          }
        }
        break;
      }
      case phase::skip: {
        const std::size_t take = std::min<std::size_t>(n, body_left_);
        p += take;
        n -= take;
        body_left_ -= std::uint32_t(take);
        if (body_left_ == 0) phase_ = phase::header;
        break;
      }
      case phase::system_id:
      case phase::password: {
        const std::uint8_t c = *p;
        // system_id is a C-Octet String of at most 16 octets, but readers (tshark, our decoder)
        // take it up to its NUL; a reader that stops at 16 takes the overflow as the password.
        // So an overlong system_id ends only at its NUL, and its octets past the 16th are masked
        // too: whichever way a reader splits it, no password octet is left readable. The
        // password ends at its NUL (or the body's end), so an overlong one is masked whole.
        const bool secret = phase_ == phase::password || field_len_ >= 16;
        if (redact && secret && c != 0) *p = '*';
        ++p;
        --n;
        --body_left_;
        ++field_len_;
        const bool ends = c == 0;
        if (ends) {
          phase_ = phase_ == phase::system_id ? phase::password : phase::skip;
          field_len_ = 0;
        }
        if (body_left_ == 0) phase_ = phase::header;
        break;
      }
    }
  }
}

void synthetic_endpoints(std::uint64_t session, endpoint& client, endpoint& proxy_client_side,
                         endpoint& proxy_upstream_side, endpoint& upstream) {
  // 10.0.0.0/8 client addresses derived from the session id; proxy 10.255.0.1, SMSC 10.255.0.2.
  client = {};
  client.addr[0] = 10;
  client.addr[1] = std::uint8_t((session >> 16) % 254);
  client.addr[2] = std::uint8_t(session >> 8);
  client.addr[3] = std::uint8_t(1 + session % 250);
  client.port = std::uint16_t(40000 + session % 20000);
  proxy_client_side = {};
  proxy_client_side.addr[0] = 10;
  proxy_client_side.addr[1] = 255;
  proxy_client_side.addr[3] = 1;
  proxy_client_side.port = 2775;
  proxy_upstream_side = proxy_client_side;
  proxy_upstream_side.port = std::uint16_t(30000 + session % 20000);
  upstream = proxy_client_side;
  upstream.addr[3] = 2;
  upstream.port = 2775;
}

}  // namespace smppscope::analysis::detail
