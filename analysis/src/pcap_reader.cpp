#include "smppscope/analysis/pcap_reader.hpp"

#include <algorithm>

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

namespace smppscope::analysis {

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

namespace {

// libpcap's bound on a record's captured length for the link types we read (MAXIMUM_SNAPLEN).
constexpr std::uint32_t max_snaplen = 262144;
constexpr std::size_t read_size = 1u << 20;

std::uint32_t swap32(std::uint32_t v) { return __builtin_bswap32(v); }
std::uint32_t load32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// The DLT_ value libpcap reports for a LINKTYPE_ value in a file header, for the link types
// parse_tcp_packet knows; -1 for the others (libpcap reads those files).
int dlt_of_linktype(std::uint32_t lt) {
  switch (lt) {
    case 101:  // LINKTYPE_RAW
      return dlt_raw;
    case dlt_null:
    case dlt_en10mb:
    case dlt_raw:
    case dlt_raw_openbsd:
    case dlt_loop:
    case dlt_linux_sll:
    case dlt_ipv4:
    case dlt_ipv6:
    case dlt_linux_sll2:
      return int(lt);
    default:
      return -1;
  }
}

}  // namespace

std::unique_ptr<pcap_file_reader> pcap_file_reader::open(const std::string& path, std::string& error) {
  std::unique_ptr<pcap_file_reader> r(new pcap_file_reader());
  // The record walker, for a classic pcap file on a regular file. Anything else is not even
  // opened here: opening a FIFO would block, and closing it again could cut off its writer.
  // "-" is libpcap's name for standard input.
  struct stat sb {};
  const bool regular = path != "-" && ::stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode);
  const int fd = regular ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC) : -1;
  if (fd >= 0 && ::fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
    std::uint8_t h[24];
    std::size_t got = 0;
    while (got < sizeof h) {
      const ssize_t n = ::read(fd, h + got, sizeof h - got);
      if (n <= 0) break;
      got += std::size_t(n);
    }
    const std::uint32_t magic = load32(h);
    bool swapped = false, nano = false, ok = got == sizeof h;
    if (magic == 0xA1B2C3D4 || magic == 0xA1B23C4D) {
      nano = magic == 0xA1B23C4D;
    } else if (magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1) {
      swapped = true;
      nano = magic == 0x4D3CB2A1;
    } else {
      ok = false;
    }
    if (ok) {
      auto u16 = [&](const std::uint8_t* p) {
        std::uint16_t v;
        std::memcpy(&v, p, 2);
        return swapped ? std::uint16_t(__builtin_bswap16(v)) : v;
      };
      auto u32 = [&](const std::uint8_t* p) { return swapped ? swap32(load32(p)) : load32(p); };
      const std::uint32_t snaplen = u32(h + 16);
      const int dlt = dlt_of_linktype(u32(h + 20) & 0x03FFFFFF);
      // Version 2.4, as every writer since 1998 (libpcap has quirks for older minor versions).
      if (u16(h + 4) == 2 && u16(h + 6) == 4 && dlt >= 0) {
        r->fd_ = fd;
        r->swapped_ = swapped;
        r->nanoseconds_ = nano;
        // As libpcap: a snapshot length of 0 or beyond the maximum means the maximum.
        r->snapshot_ = snaplen == 0 || snaplen > max_snaplen ? max_snaplen : snaplen;
        r->linktype_ = dlt;
        r->buf_.resize(read_size);
        return r;
      }
    }
  }
  if (fd >= 0) ::close(fd);
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
  if (!p) {
    error = path + ": not a readable pcap or pcapng capture (" + errbuf + ")";
    return nullptr;
  }
  r->handle_ = p;
  r->linktype_ = pcap_datalink(p);
  return r;
}

pcap_file_reader::~pcap_file_reader() {
  if (handle_) pcap_close(static_cast<pcap_t*>(handle_));
  if (fd_ >= 0) ::close(fd_);
}

bool pcap_file_reader::fill(std::size_t n) {
  if (end_ - pos_ >= n) return true;
  if (pos_ > 0) {  // keep the unread tail, at the front
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (buf_.size() < n) buf_.resize(n);
  while (end_ < n && !eof_) {
    const ssize_t got = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error_ = std::string("read error: ") + std::strerror(errno);
      eof_ = true;
      break;
    }
    if (got == 0) eof_ = true;
    end_ += std::size_t(got);
  }
  return end_ - pos_ >= n;
}

bool pcap_file_reader::next_direct(raw_packet& out) {
  if (!fill(16)) {
    if (end_ > pos_ && error_.empty())
      error_ = "truncated dump file; tried to read 16 header bytes, only got " + std::to_string(end_ - pos_);
    return false;
  }
  const std::uint8_t* h = buf_.data() + pos_;
  auto u32 = [&](const std::uint8_t* p) { return swapped_ ? swap32(load32(p)) : load32(p); };
  const std::uint32_t sec = u32(h), frac = u32(h + 4), caplen = u32(h + 8), len = u32(h + 12);
  // libpcap's checks, with its messages: a damaged or hostile record ends the walk.
  if (caplen > max_snaplen) {
    error_ = "invalid packet capture length " + std::to_string(caplen) +
             (caplen > snapshot_ ? ", bigger than snaplen of " + std::to_string(snapshot_)
                                 : ", bigger than maximum of " + std::to_string(max_snaplen));
    return false;
  }
  if (!fill(16 + std::size_t(caplen))) {
    if (error_.empty())
      error_ = "truncated dump file; tried to read " + std::to_string(caplen) + " captured bytes, only got " +
               std::to_string(end_ - pos_ - 16);
    return false;
  }
  const std::uint8_t* data = buf_.data() + pos_ + 16;
  pos_ += 16 + std::size_t(caplen);
  out.ts_us = std::int64_t(sec) * 1000000 + (nanoseconds_ ? frac / 1000 : frac);
  // Longer than the snapshot length but within the maximum: libpcap keeps the first part.
  out.data = {data, std::min(caplen, snapshot_)};
  out.orig_len = len;
  return true;
}

bool pcap_file_reader::next(raw_packet& out) {
  if (fd_ >= 0) return next_direct(out);
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
    std::uint64_t lost = 0;  // ...this many
  };
  stream_info info;
  half h[2];
  flow_key key;
  std::list<stream*>::iterator lru;
  bool payload = false;  // a segment with payload was seen
};

std::size_t tcp_reassembler::flow_hash::operator()(const flow_key& k) const noexcept {
  // Cheap and good enough: the 16-octet addresses as words, ports and family, multiplied in.
  auto words = [](const endpoint& e) {
    std::uint64_t a, b;
    std::memcpy(&a, e.addr, 8);
    std::memcpy(&b, e.addr + 8, 8);
    return a ^ (b * 0x9E3779B97F4A7C15ull) ^ (std::uint64_t(e.port) << 48) ^ (std::uint64_t(e.v6) << 47);
  };
  std::uint64_t h = words(k.lo) * 0xFF51AFD7ED558CCDull;
  h ^= words(k.hi) + (h >> 29);
  h *= 0xC4CEB9FE1A85EC53ull;
  return std::size_t(h ^ (h >> 32));
}

tcp_reassembler::tcp_reassembler() : tcp_reassembler(options{}) {}
tcp_reassembler::tcp_reassembler(options opt) : opt_(opt) {}
tcp_reassembler::~tcp_reassembler() = default;

void tcp_reassembler::feed_impl(const tcp_segment& seg, deliver_fn fn, void* ctx) {
  const bool a_first = less(seg.src, seg.dst);
  const flow_key key{a_first ? seg.src : seg.dst, a_first ? seg.dst : seg.src};
  if (last_ && last_->key == key) {
    if (lru_.back() != last_) lru_.splice(lru_.end(), lru_, last_->lru);
    feed_stream(*last_, seg, fn, ctx);
    return;
  }
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    auto s = std::make_unique<stream>();
    s->info.index = next_index_++;
    s->key = key;
    s->lru = lru_.insert(lru_.end(), s.get());
    // Side 0 is the client when the handshake is visible, else the first sender.
    const bool synack = (seg.flags & (tcp_syn | tcp_ack)) == (tcp_syn | tcp_ack);
    s->info.a = synack ? seg.dst : seg.src;
    s->info.b = synack ? seg.src : seg.dst;
    s->info.saw_syn = (seg.flags & tcp_syn) != 0;
    it = streams_.emplace(key, std::move(s)).first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second->lru);
  }
  last_ = it->second.get();
  feed_stream(*last_, seg, fn, ctx);
}

void tcp_reassembler::feed_stream(stream& st, const tcp_segment& seg, deliver_fn fn, void* ctx) {
  if (!st.payload && !seg.payload.empty()) st.payload = true;
  if (!st.payload && (seg.flags & (tcp_fin | tcp_rst))) {  // ended without payload: nothing to keep
    ++empty_dropped_;
    erase(st);
    return;
  }
  const int side = seg.src == st.info.a ? 0 : 1;
  stream::half& h = st.h[side];

  auto deliver = [&](std::int64_t ts, std::span<const std::uint8_t> bytes) {
    const data_chunk c{&st.info, side, ts, bytes, h.gap, h.lost};
    h.gap = false;
    h.lost = 0;
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
    h.lost += first->first - h.abs;
    h.next_seq += std::uint32_t(first->first - h.abs);
    h.abs = first->first;
  } else {
    // In order, or a retransmission overlapping what was delivered: trim the old part.
    const std::size_t old = std::size_t(-std::int64_t(diff));
    if (old >= payload.size()) return;
    payload = payload.subspan(old);
    if (opt_.in_order_fast_path) {  // straight from the reader's buffer, no copy
      deliver(seg.ts_us, payload);
      h.abs += payload.size();
      h.next_seq += std::uint32_t(payload.size());
    } else {  // through the buffer, as out-of-order octets go; delivered just below
      pending_segment& p = h.pending[h.abs];
      p.ts_us = seg.ts_us;
      p.bytes.assign(payload.begin(), payload.end());
      h.buffered += payload.size();
      buffered_ += payload.size();
    }
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
        h.lost += pos - h.abs;
        h.next_seq += std::uint32_t(pos - h.abs);
        h.abs = pos;
      }
      const std::uint64_t old = h.abs - pos;
      if (old >= p.bytes.size()) continue;
      const std::span<const std::uint8_t> rest = std::span<const std::uint8_t>(p.bytes).subspan(std::size_t(old));
      const data_chunk c{&st.info, side, p.ts_us, rest, h.gap, h.lost};
      h.gap = false;
      h.lost = 0;
      fn(ctx, c);
      h.abs += rest.size();
      h.next_seq += std::uint32_t(rest.size());
    }
  }
}

void tcp_reassembler::erase(stream& st) {
  if (last_ == &st) last_ = nullptr;
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

}  // namespace smppscope::analysis
