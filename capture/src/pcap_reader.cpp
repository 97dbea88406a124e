#include "smppscope/capture/pcap_reader.hpp"

#include <algorithm>

#include <pcap/pcap.h>

#include <cstring>
#include <map>

namespace smppscope::capture {

namespace {

// Link-layer types by their DLT_ values as libpcap reports them.
constexpr int dlt_null = 0, dlt_en10mb = 1, dlt_raw = 12, dlt_raw_openbsd = 14, dlt_loop = 108,
              dlt_linux_sll = 113, dlt_ipv4 = 228, dlt_ipv6 = 229, dlt_linux_sll2 = 276;
constexpr std::uint16_t ethertype_ipv4 = 0x0800, ethertype_ipv6 = 0x86DD, ethertype_vlan = 0x8100,
                        ethertype_qinq = 0x88A8, ethertype_vlan_9100 = 0x9100;

std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// Returns the IP packet (version from its first nibble) or an empty span.
std::span<const std::uint8_t> ip_of(int linktype, std::span<const std::uint8_t> d) noexcept {
  switch (linktype) {
    case dlt_en10mb: {
      if (d.size() < 14) return {};
      std::size_t off = 12;
      std::uint16_t type = be16(d.data() + off);
      while ((type == ethertype_vlan || type == ethertype_qinq || type == ethertype_vlan_9100) &&
             d.size() >= off + 6) {
        off += 4;
        type = be16(d.data() + off);
      }
      if (type != ethertype_ipv4 && type != ethertype_ipv6) return {};
      return d.subspan(off + 2);
    }
    case dlt_linux_sll: {
      if (d.size() < 16) return {};
      const std::uint16_t type = be16(d.data() + 14);
      if (type != ethertype_ipv4 && type != ethertype_ipv6) return {};
      return d.subspan(16);
    }
    case dlt_linux_sll2: {
      if (d.size() < 20) return {};
      const std::uint16_t type = be16(d.data());
      if (type != ethertype_ipv4 && type != ethertype_ipv6) return {};
      return d.subspan(20);
    }
    case dlt_null:
    case dlt_loop: {
      // 4-octet address family: host order for DLT_NULL, network order for DLT_LOOP. AF_INET is
      // 2 everywhere; AF_INET6 is 10 (Linux), 24, 28 or 30 (BSDs, macOS). The IP version nibble
      // decides in the end.
      if (d.size() < 4) return {};
      return d.subspan(4);
    }
    case dlt_raw:
    case dlt_raw_openbsd:
    case dlt_ipv4:
    case dlt_ipv6:
      return d;
    default:
      return {};
  }
}

}  // namespace

// ---- pcap_file_reader ----

std::unique_ptr<pcap_file_reader> pcap_file_reader::open(const std::string& path, std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
  if (!p) {
    error = path + ": not a readable pcap or pcapng capture (" + errbuf + ")";
    return nullptr;
  }
  return std::unique_ptr<pcap_file_reader>(new pcap_file_reader(p, pcap_datalink(p)));
}

pcap_file_reader::~pcap_file_reader() {
  if (handle_) pcap_close(static_cast<pcap_t*>(handle_));
}

bool pcap_file_reader::next(raw_packet& out) {
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(static_cast<pcap_t*>(handle_), &h, &data);
  if (rc == 1) {
    out.ts_us = std::int64_t(h->ts.tv_sec) * 1000000 + h->ts.tv_usec;
    out.data = {data, h->caplen};
    out.orig_len = h->len;
    return true;
  }
  if (rc == PCAP_ERROR) error_ = pcap_geterr(static_cast<pcap_t*>(handle_));
  return false;
}

// ---- parse_tcp_packet ----

std::optional<tcp_segment> parse_tcp_packet(int linktype, std::span<const std::uint8_t> data,
                                            std::int64_t ts_us) noexcept {
  std::span<const std::uint8_t> ip = ip_of(linktype, data);
  if (ip.empty()) return std::nullopt;
  tcp_segment seg;
  seg.ts_us = ts_us;
  std::span<const std::uint8_t> tcp;
  const int version = ip[0] >> 4;
  if (version == 4) {
    if (ip.size() < 20) return std::nullopt;
    const std::size_t ihl = std::size_t(ip[0] & 0x0F) * 4;
    const std::size_t total = be16(ip.data() + 2);
    if (ihl < 20 || total < ihl || ip.size() < ihl) return std::nullopt;
    if (ip[9] != 6) return std::nullopt;
    if ((be16(ip.data() + 6) & 0x3FFF) != 0) return std::nullopt;  // a fragment (MF or offset)
    const std::size_t end = std::min(total, ip.size());                // drop Ethernet padding
    seg.src.v6 = seg.dst.v6 = false;
    std::memcpy(seg.src.addr, ip.data() + 12, 4);
    std::memcpy(seg.dst.addr, ip.data() + 16, 4);
    tcp = ip.subspan(ihl, end - ihl);
  } else if (version == 6) {
    if (ip.size() < 40) return std::nullopt;
    std::uint8_t next = ip[6];
    const std::size_t end = std::min<std::size_t>(40 + be16(ip.data() + 4), ip.size());
    std::size_t off = 40;
    // Skip hop-by-hop, routing and destination options headers; give up on fragments.
    while (next == 0 || next == 43 || next == 60) {
      if (end < off + 8) return std::nullopt;
      next = ip[off];
      off += (std::size_t(ip[off + 1]) + 1) * 8;
    }
    if (next != 6 || off > end) return std::nullopt;
    seg.src.v6 = seg.dst.v6 = true;
    std::memcpy(seg.src.addr, ip.data() + 8, 16);
    std::memcpy(seg.dst.addr, ip.data() + 24, 16);
    tcp = ip.subspan(off, end - off);
  } else {
    return std::nullopt;
  }
  if (tcp.size() < 20) return std::nullopt;
  const std::size_t doff = std::size_t(tcp[12] >> 4) * 4;
  if (doff < 20 || doff > tcp.size()) return std::nullopt;
  seg.src.port = be16(tcp.data());
  seg.dst.port = be16(tcp.data() + 2);
  seg.seq = be32(tcp.data() + 4);
  seg.ack = be32(tcp.data() + 8);
  seg.flags = tcp[13];
  seg.payload = tcp.subspan(doff);
  return seg;
}

// ---- tcp_reassembler ----

namespace {

constexpr std::uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_rst = 0x04, tcp_ack = 0x10;

struct pending_segment {
  std::int64_t ts_us;
  std::vector<std::uint8_t> bytes;
};

void put_key(std::string& k, const endpoint& e) {
  k.append(reinterpret_cast<const char*>(e.addr), 16);
  k += char(e.port >> 8);
  k += char(e.port & 0xFF);
  k += e.v6 ? '6' : '4';
}

bool less(const endpoint& a, const endpoint& b) {
  if (a.v6 != b.v6) return a.v6 < b.v6;
  if (const int c = std::memcmp(a.addr, b.addr, 16)) return c < 0;
  return a.port < b.port;
}

}  // namespace

struct tcp_reassembler::stream {
  struct half {
    bool started = false;
    std::uint32_t next_seq = 0;  // next expected sequence number
    std::uint64_t abs = 0;       // octets delivered (or skipped) so far: unwrapped position
    std::map<std::uint64_t, pending_segment> pending;  // keyed by unwrapped position
    std::size_t buffered = 0;
    bool gap = false;  // the next delivery follows lost octets
  };
  stream_info info;
  half h[2];
  std::string key;
  std::list<stream*>::iterator lru;
  bool payload = false;  // a segment with payload was seen
};

tcp_reassembler::tcp_reassembler() : tcp_reassembler(options{}) {}
tcp_reassembler::tcp_reassembler(options opt) : opt_(opt) {}
tcp_reassembler::~tcp_reassembler() = default;

void tcp_reassembler::feed_impl(const tcp_segment& seg, deliver_fn fn, void* ctx) {
  const bool a_first = less(seg.src, seg.dst);
  key_.clear();
  put_key(key_, a_first ? seg.src : seg.dst);
  put_key(key_, a_first ? seg.dst : seg.src);
  auto it = streams_.find(key_);
  if (it == streams_.end()) {
    auto s = std::make_unique<stream>();
    s->info.index = next_index_++;
    s->key = key_;
    s->lru = lru_.insert(lru_.end(), s.get());
    // Side 0 is the client when the handshake is visible, else the first sender.
    const bool synack = (seg.flags & (tcp_syn | tcp_ack)) == (tcp_syn | tcp_ack);
    s->info.a = synack ? seg.dst : seg.src;
    s->info.b = synack ? seg.src : seg.dst;
    s->info.saw_syn = (seg.flags & tcp_syn) != 0;
    it = streams_.emplace(key_, std::move(s)).first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second->lru);
  }
  stream& st = *it->second;
  if (!st.payload && !seg.payload.empty()) st.payload = true;
  if (!st.payload && (seg.flags & (tcp_fin | tcp_rst))) {  // ended without payload: nothing to keep
    ++empty_dropped_;
    erase(st);
    return;
  }
  const int side = seg.src == st.info.a ? 0 : 1;
  stream::half& h = st.h[side];

  auto deliver = [&](std::int64_t ts, std::span<const std::uint8_t> bytes) {
    const data_chunk c{&st.info, side, ts, bytes, h.gap};
    h.gap = false;
    fn(ctx, c);
  };

  std::span<const std::uint8_t> payload = seg.payload;
  std::uint32_t seq = seg.seq;
  if (seg.flags & tcp_syn) {
    if (h.started && seq + 1 != h.next_seq) {  // a new connection on the same ports
      h.pending.clear();
      buffered_ -= h.buffered;
      h.buffered = 0;
      h.gap = true;
    }
    if (!h.started || seq + 1 != h.next_seq) {
      h.started = true;
      h.next_seq = seq + 1;
    }
    seq += 1;
  }
  if (payload.empty()) return;
  if (!h.started) {  // capture began mid-stream
    h.started = true;
    h.next_seq = seq;
  }

  const std::int32_t diff = std::int32_t(seq - h.next_seq);
  if (diff > 0) {  // ahead of a hole: keep it for later (bounded)
    const std::uint64_t pos = h.abs + std::uint64_t(diff);
    auto [pit, fresh] = h.pending.try_emplace(pos);
    if (fresh || pit->second.bytes.size() < payload.size()) {
      const std::size_t added = payload.size() - (fresh ? 0 : pit->second.bytes.size());
      h.buffered += added;
      buffered_ += added;
      pit->second.ts_us = seg.ts_us;
      pit->second.bytes.assign(payload.begin(), payload.end());
    }
    if (h.buffered <= opt_.max_buffered_per_direction) return;
    // Too much waiting on a hole: give up on it.
    auto first = h.pending.begin();
    ++gaps_;
    h.gap = true;
    h.next_seq += std::uint32_t(first->first - h.abs);
    h.abs = first->first;
  } else {
    // In order, or a retransmission overlapping what was delivered: trim the old part.
    const std::size_t old = std::size_t(-std::int64_t(diff));
    if (old >= payload.size()) return;
    payload = payload.subspan(old);
    deliver(seg.ts_us, payload);
    h.abs += payload.size();
    h.next_seq += std::uint32_t(payload.size());
  }
  // Deliver buffered segments that are now in order.
  while (!h.pending.empty()) {
    auto first = h.pending.begin();
    if (first->first > h.abs) break;
    pending_segment p = std::move(first->second);
    const std::uint64_t pos = first->first;
    h.pending.erase(first);
    h.buffered -= p.bytes.size();
    buffered_ -= p.bytes.size();
    const std::uint64_t old = h.abs - pos;
    if (old >= p.bytes.size()) continue;
    const std::span<const std::uint8_t> rest = std::span<const std::uint8_t>(p.bytes).subspan(std::size_t(old));
    deliver(p.ts_us, rest);
    h.abs += rest.size();
    h.next_seq += std::uint32_t(rest.size());
  }
}

void tcp_reassembler::flush(stream& st, deliver_fn fn, void* ctx) {
  for (int side = 0; side < 2; ++side) {
    stream::half& h = st.h[side];
    while (!h.pending.empty()) {
      auto first = h.pending.begin();
      pending_segment p = std::move(first->second);
      const std::uint64_t pos = first->first;
      h.pending.erase(first);
      h.buffered -= p.bytes.size();
      buffered_ -= p.bytes.size();
      if (pos > h.abs) {
        ++gaps_;
        h.gap = true;
        h.next_seq += std::uint32_t(pos - h.abs);
        h.abs = pos;
      }
      const std::uint64_t old = h.abs - pos;
      if (old >= p.bytes.size()) continue;
      const std::span<const std::uint8_t> rest = std::span<const std::uint8_t>(p.bytes).subspan(std::size_t(old));
      const data_chunk c{&st.info, side, p.ts_us, rest, h.gap};
      h.gap = false;
      fn(ctx, c);
      h.abs += rest.size();
      h.next_seq += std::uint32_t(rest.size());
    }
  }
}

void tcp_reassembler::erase(stream& st) {
  for (const stream::half& h : st.h) buffered_ -= h.buffered;
  lru_.erase(st.lru);
  streams_.erase(streams_.find(st.key));  // destroys st
}

void tcp_reassembler::finish_impl(deliver_fn fn, void* ctx) {
  std::vector<stream*> by_index(lru_.begin(), lru_.end());
  std::sort(by_index.begin(), by_index.end(),
            [](const stream* x, const stream* y) { return x->info.index < y->info.index; });
  for (stream* st : by_index) flush(*st, fn, ctx);
}

std::optional<std::uint32_t> tcp_reassembler::evict_impl(deliver_fn fn, void* ctx) {
  if (lru_.empty()) return std::nullopt;
  stream& st = *lru_.front();
  const std::uint32_t index = st.info.index;
  flush(st, fn, ctx);
  erase(st);
  return index;
}

}  // namespace smppscope::capture
