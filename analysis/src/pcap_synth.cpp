#include "detail/pcap_synth.hpp"

#include <algorithm>
#include <cstring>

#include "smppscope/decoder/protocol.hpp"
#include "smppscope/decoder/wire.hpp"

namespace smppscope::analysis::detail {

namespace {

constexpr std::uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_psh = 0x08, tcp_ack = 0x10;
constexpr std::size_t eth_size = 14, ipv4_size = 20, ipv6_size = 40, tcp_size = 20;
// Largest TCP payload per packet: IPv4 total length and IPv6 payload length are 16-bit.
constexpr std::size_t max_segment_v4 = 65535 - ipv4_size - tcp_size;
constexpr std::size_t max_segment_v6 = 65535 - tcp_size;
// Acknowledge before this much is in flight, so no "window full" in Wireshark (window 65535).
constexpr std::uint32_t ack_every = 32768;

using decoder::wire::put16;
using decoder::wire::put32;
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

namespace {

constexpr std::uint32_t block_shb = 0x0A0D0D0A, block_idb = 0x00000001, block_epb = 0x00000006;
constexpr std::uint16_t opt_endofopt = 0, opt_comment = 1, shb_userappl = 4, if_tsresol = 9;
constexpr std::string_view user_appl = "smppscope";
constexpr std::size_t shb_size = 28 + 4 + 12 + 4;  // with shb_userappl "smppscope" (9 -> 12 octets)
constexpr std::size_t idb_size = 20 + 8 + 4;        // with if_tsresol 6 (microseconds)

std::size_t pad4(std::size_t n) { return (n + 3) & ~std::size_t(3); }

void add_u16(std::string& o, std::uint16_t v) { o.append(reinterpret_cast<const char*>(&v), 2); }  // host order
void add_u32(std::string& o, std::uint32_t v) { o.append(reinterpret_cast<const char*>(&v), 4); }
void add_option(std::string& o, std::uint16_t code, std::string_view value) {
  add_u16(o, code);
  add_u16(o, std::uint16_t(value.size()));
  o.append(value);
  o.append(pad4(value.size()) - value.size(), '\0');
}
void set_u32(std::string& o, std::size_t at, std::uint32_t v) { std::memcpy(o.data() + at, &v, 4); }

// Length of the UTF-8 sequence starting at s[i] when it is valid (RFC 3629: no overlongs, no
// surrogates, at most U+10FFFF); 0 when not.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else return 0;
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  return n;
}

}  // namespace

std::size_t file_header_size(pcap_format f) noexcept {
  return f == pcap_format::pcapng ? shb_size + idb_size : pcap_file_header_size;
}

std::string comment_text(std::string_view in) {
  constexpr std::string_view cut_mark = "...";
  constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  std::size_t fits = 0;  // length of `out` at the last character boundary that leaves room for the mark
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t n = utf8_len(in, i);
    std::string_view piece = n ? in.substr(i, n) : replacement;
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (n == 1 && ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)) piece = " ";
    if (out.size() + piece.size() > max_comment_octets) {
      out.resize(fits);
      out += cut_mark;
      return out;
    }
    out += piece;
    if (out.size() <= max_comment_octets - cut_mark.size()) fits = out.size();
    i += n ? n : 1;
  }
  return out;
}

void append_epb(std::string& out, std::int64_t ts_us, std::span<const std::uint8_t> frame,
                std::span<const std::string> comments) {
  const std::size_t start = out.size();
  const std::uint64_t ts = ts_us >= 0 ? std::uint64_t(ts_us) : 0;
  add_u32(out, block_epb);
  add_u32(out, 0);  // total length, set below
  add_u32(out, 0);  // interface 0
  add_u32(out, std::uint32_t(ts >> 32));
  add_u32(out, std::uint32_t(ts));
  add_u32(out, std::uint32_t(frame.size()));
  add_u32(out, std::uint32_t(frame.size()));
  out.append(reinterpret_cast<const char*>(frame.data()), frame.size());
  out.append(pad4(frame.size()) - frame.size(), '\0');
  if (!comments.empty()) {
    const std::size_t shown = std::min(comments.size(), max_comments_per_packet);
    for (std::size_t i = 0; i < shown; ++i) add_option(out, opt_comment, comment_text(comments[i]));
    if (comments.size() > shown)
      add_option(out, opt_comment, "(" + std::to_string(comments.size() - shown) + " more comments)");
    add_option(out, opt_endofopt, {});
  }
  const std::uint32_t total = std::uint32_t(out.size() - start + 4);
  add_u32(out, total);
  set_u32(out, start + 4, total);
}

bool write_file_header(byte_out& out, pcap_format f) {
  if (f == pcap_format::pcapng) {
    std::string b;
    add_u32(b, block_shb);
    add_u32(b, std::uint32_t(shb_size));
    add_u32(b, 0x1A2B3C4D);  // byte-order magic: host order
    add_u16(b, 1);           // version 1.0
    add_u16(b, 0);
    add_u32(b, 0xFFFFFFFF);  // section length unknown (-1): the file is written as it goes
    add_u32(b, 0xFFFFFFFF);
    add_option(b, shb_userappl, user_appl);
    add_option(b, opt_endofopt, {});
    add_u32(b, std::uint32_t(shb_size));
    add_u32(b, block_idb);
    add_u32(b, std::uint32_t(idb_size));
    add_u16(b, 1);  // LINKTYPE_ETHERNET
    add_u16(b, 0);
    add_u32(b, pcap_snaplen);
    add_option(b, if_tsresol, std::string_view("\x06", 1));  // 10^-6 s
    add_option(b, opt_endofopt, {});
    add_u32(b, std::uint32_t(idb_size));
    return out.write(b.data(), b.size());
  }
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
  buf_.resize(pcap_record_header_size + frame);  // pcapng: the record header is left unused
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
  if (format == pcap_format::pcapng) {
    block_.clear();
    append_epb(block_, ts_us, std::span<const std::uint8_t>(buf_).subspan(pcap_record_header_size), comments_now_);
    comments_now_ = {};
    written += block_.size();
    return out.write(block_.data(), block_.size());
  }
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
    // The comments go on the last segment: where Wireshark shows the PDU that ends in it.
    if (n == payload.size()) comments_now_ = comments;
    ok = packet(out, leg, side, ts_us, tcp_psh | tcp_ack, payload.first(n)) && ok;
    payload = payload.subspan(n);
  }
  return ok;
}

bool packet_writer::fin(byte_out& out, tcp_leg& leg, std::int64_t ts_us) {
  if (leg.closed) return true;
  leg.closed = true;
  comments_now_ = comments;
  bool ok = packet(out, leg, 0, ts_us, tcp_fin | tcp_ack, {});
  ok = packet(out, leg, 1, ts_us, tcp_fin | tcp_ack, {}) && ok;
  ok = packet(out, leg, 0, ts_us, tcp_ack, {}) && ok;
  return ok;
}

void packet_writer::skip(tcp_leg& leg, int side, std::size_t n) {
  leg.next_seq[side] += std::uint32_t(n);
}

namespace {
constexpr auto be32 = decoder::wire::get32;
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
