// Offline input: pcap / pcapng files (read with libpcap), link layer + IP + TCP parsing, and
// per-direction TCP reassembly by sequence number. Used by `smppscope decode` and the tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "smppscope/analysis/tap.hpp"

namespace smppscope::analysis {

struct raw_packet {
  std::int64_t ts_us = 0;
  std::span<const std::uint8_t> data;  // valid until the next next() call
  std::uint32_t orig_len = 0;
};

// One capture file. Link types: Ethernet (with 802.1Q/QinQ), Linux cooked SLL and SLL2,
// raw IP (DLT_RAW / LINKTYPE_IPV4 / LINKTYPE_IPV6), BSD loopback (DLT_NULL, DLT_LOOP).
//
// A classic pcap file (either byte order, micro- or nanosecond timestamps) on a regular file is
// read by our own record walker: large read() calls into one buffer that is reused, and packets
// handed out as views into it, so a record costs a header check and no copy. Everything else
// (pcapng, a pipe, an unusual header) goes through libpcap. Both give the same packets, the same
// bounds (a record's captured length is checked against the snapshot length and libpcap's
// 256 KiB maximum) and the same errors. read() rather than mmap(): a file cut short while it is
// read (a capture being rotated) must end the walk, not raise SIGBUS.
class pcap_file_reader {
 public:
  // nullptr and `error` set ("FILE: not a pcap or pcapng capture (...)") when it cannot be read.
  static std::unique_ptr<pcap_file_reader> open(const std::string& path, std::string& error);
  ~pcap_file_reader();
  pcap_file_reader(const pcap_file_reader&) = delete;
  pcap_file_reader& operator=(const pcap_file_reader&) = delete;

  // false at the end of the file or on a read error (then error() is not empty).
  bool next(raw_packet& out);
  int linktype() const noexcept { return linktype_; }
  const std::string& error() const noexcept { return error_; }
  // true when the file is read by the record walker rather than libpcap (for tests).
  bool direct() const noexcept { return fd_ >= 0; }

 private:
  pcap_file_reader() = default;
  bool next_direct(raw_packet& out);
  // Makes at least `n` octets available at buf_[pos_]; false at the end of the file.
  bool fill(std::size_t n);

  void* handle_ = nullptr;  // pcap_t*, when libpcap reads the file
  int linktype_ = 0;
  std::string error_;
  // The record walker's state.
  int fd_ = -1;
  bool swapped_ = false;     // the file's byte order is not this host's
  bool nanoseconds_ = false;
  std::uint32_t snapshot_ = 0;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0, end_ = 0;  // unread octets: buf_[pos_, end_)
  bool eof_ = false;
};
struct tcp_segment {
  std::int64_t ts_us = 0;
  endpoint src, dst;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;  // TCP flag octet (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10)
  std::span<const std::uint8_t> payload;
};

// Parses link layer, IPv4/IPv6 (no fragments) and TCP. nullopt for anything else.
std::optional<tcp_segment> parse_tcp_packet(int linktype, std::span<const std::uint8_t> data,
                                            std::int64_t ts_us) noexcept;

// Reassembles TCP streams per direction. In-order data is handed out without a copy (the fast
// path: a view into the segment, so into the reader's buffer); segments
// ahead of the expected sequence number are buffered (bounded), retransmitted and overlapping
// octets are trimmed. When the buffer bound is hit the stream skips the hole (a gap).
// A stream that ends (FIN or RST) before any payload is forgotten at once. Live streams are kept
// in order of last activity so the caller can evict the idlest (evict_idlest) to bound the total.
class tcp_reassembler {
 public:
  struct options {
    std::size_t max_buffered_per_direction = 4u << 20;
    // In-order octets are handed out as views into the caller's segment. false sends every
    // segment through the out-of-order buffer (a copy) instead: the same output, slower; tests
    // compare the two.
    bool in_order_fast_path = true;
  };
  // Side 0 = from the stream's first-seen source (the SYN sender when a SYN was seen).
  struct stream_info {
    std::uint32_t index = 0;   // 0, 1, 2 ... in order of first appearance
    endpoint a, b;             // a = side 0's source
    bool saw_syn = false;      // a sent the SYN (a is the client)
    // The consumer's own state for this stream (nullptr until it sets it), so it needs no
    // lookup of its own per chunk. Forgotten with the stream: after evict_idlest() returned
    // this stream's index, the pointer is not seen again.
    mutable void* user = nullptr;
  };
  struct data_chunk {
    const stream_info* stream;
    int side;                  // 0: a -> b, 1: b -> a
    std::int64_t ts_us;
    std::span<const std::uint8_t> bytes;
    bool after_gap;            // octets before these were lost
    std::uint64_t lost = 0;    // after_gap: how many (0 when unknown: a new connection on the same ports)
  };

  tcp_reassembler();
  explicit tcp_reassembler(options opt);
  ~tcp_reassembler();

  // Calls on_data(const data_chunk&) for each run of in-order octets.
  template <class F>
  void feed(const tcp_segment& seg, F&& on_data);
  // Flushes what is still buffered (skipping holes) at the end of input.
  template <class F>
  void finish(F&& on_data);
  // Flushes the least recently active stream's buffered octets (skipping holes) and forgets it.
  // Returns its index; nothing (and no call) when no stream is live.
  template <class F>
  std::optional<std::uint32_t> evict_idlest(F&& on_data);

  std::uint64_t gaps() const noexcept { return gaps_; }
  std::size_t stream_count() const noexcept { return next_index_; }  // every stream seen
  std::size_t live_streams() const noexcept { return streams_.size(); }
  std::size_t buffered_bytes() const noexcept { return buffered_; }  // out-of-order octets held, all streams
  std::uint64_t empty_streams_dropped() const noexcept { return empty_dropped_; }

 private:
  struct stream;
  using deliver_fn = void (*)(void* ctx, const data_chunk&);
  void feed_impl(const tcp_segment& seg, deliver_fn fn, void* ctx);
  void feed_stream(stream& st, const tcp_segment& seg, deliver_fn fn, void* ctx);
  void finish_impl(deliver_fn fn, void* ctx);
  std::optional<std::uint32_t> evict_impl(deliver_fn fn, void* ctx);
  void flush(stream& st, deliver_fn fn, void* ctx);
  void erase(stream& st);

  options opt_;
  struct flow_key {
    endpoint lo, hi;  // the two endpoints, lower first: both directions share one key
    friend bool operator==(const flow_key& a, const flow_key& b) noexcept {
      return same(a.lo, b.lo) && same(a.hi, b.hi);
    }
    static bool same(const endpoint& a, const endpoint& b) noexcept {  // word compares, no memcmp call
      std::uint64_t a0, a1, b0, b1;
      std::memcpy(&a0, a.addr, 8);
      std::memcpy(&a1, a.addr + 8, 8);
      std::memcpy(&b0, b.addr, 8);
      std::memcpy(&b1, b.addr + 8, 8);
      return ((a0 ^ b0) | (a1 ^ b1)) == 0 && a.port == b.port && a.v6 == b.v6;
    }
  };
  struct flow_hash {
    std::size_t operator()(const flow_key& k) const noexcept;
  };
  std::unordered_map<flow_key, std::unique_ptr<stream>, flow_hash> streams_;
  std::list<stream*> lru_;      // live streams, least recently active first
  stream* last_ = nullptr;      // the stream of the previous segment: most segments follow their own
  std::uint32_t next_index_ = 0;
  std::size_t buffered_ = 0;
  std::uint64_t gaps_ = 0;
  std::uint64_t empty_dropped_ = 0;
};

template <class F>
void tcp_reassembler::feed(const tcp_segment& seg, F&& on_data) {
  feed_impl(seg, [](void* c, const data_chunk& d) { (*static_cast<std::remove_reference_t<F>*>(c))(d); },
            &on_data);
}
template <class F>
void tcp_reassembler::finish(F&& on_data) {
  finish_impl([](void* c, const data_chunk& d) { (*static_cast<std::remove_reference_t<F>*>(c))(d); },
              &on_data);
}
template <class F>
std::optional<std::uint32_t> tcp_reassembler::evict_idlest(F&& on_data) {
  return evict_impl([](void* c, const data_chunk& d) { (*static_cast<std::remove_reference_t<F>*>(c))(d); },
                    &on_data);
}

}  // namespace smppscope::analysis
