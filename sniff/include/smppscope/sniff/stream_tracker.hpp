// TCP segments in, tap records out: the part of `smppscope sniff` that needs no socket, no
// clock and no capture handle (the sniffer thread drives it; tests feed it segments directly).
//
//   tcp_segment --> tcp_reassembler --> per stream: detecting --> SMPP / CMPP --> tap_queue
//                   (per direction,                      |         session_open, data (with
//                    bounded buffering)                   |         lost_before), session_close
//                                                         +--> neither: ignored (payload dropped
//                                                              at the reassembler from then on)
//
// Each TCP connection that speaks SMPP or CMPP becomes one analysis session, exactly as a relayed
// session would: the client is the side that sent the SYN, or, when the capture began after the
// handshake, the side that sent the first request (deliver_sm, outbind and alert_notification
// come from the SMSC). A passive observer is no proxy: the session's two "proxy" endpoints are
// the peers' own (proxy_client_side = the server, proxy_upstream_side = the client).
//
// Bounded: at most max_streams TCP connections (any protocol) are tracked, the idlest are evicted
// beyond that and after idle_timeout; out-of-order octets per direction are bounded by the
// reassembler; octets held while deciding the protocol are bounded by max_detect_octets.
//
// Runs on one thread (the sniffer's), which is the tap_queue's only producer. stats() from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "smppscope/analysis/pcap_reader.hpp"
#include "smppscope/analysis/tap.hpp"

namespace smppscope::sniff {

struct tracker_options {
  std::size_t max_streams = 100'000;               // TCP connections tracked at once
  std::int64_t idle_timeout_us = 600'000'000;      // a connection silent this long is let go
  std::size_t max_buffered_per_direction = 1u << 20;  // out-of-order octets held per direction
  // Octets of one direction held while the protocol is undecided (the first PDU must fit).
  std::size_t max_detect_octets = 64u << 10;
  // When the capture began mid-stream (no SYN seen), the first octets may be the middle of a PDU:
  // detection is tried again at this many segment starts before the stream is ignored.
  unsigned max_detect_attempts = 16;
};

struct tracker_stats {
  std::uint64_t streams = 0;           // TCP connections seen with payload
  std::uint64_t smpp_sessions = 0;     // connections detected as SMPP
  std::uint64_t cmpp_sessions = 0;     // ... as CMPP
  std::uint64_t ignored_streams = 0;   // ... as neither
  std::uint64_t sessions_closed = 0;   // session_close records pushed
  std::uint64_t tracked = 0;           // SMPP/CMPP sessions open now
  std::uint64_t gaps = 0;              // holes skipped in reassembled streams
  std::uint64_t gap_octets = 0;        // octets in them (when known)
  std::uint64_t evicted_idle = 0;      // connections let go after idle_timeout
  std::uint64_t evicted_limit = 0;     // connections let go because max_streams was reached
};

class stream_tracker {
 public:
  stream_tracker(analysis::tap_queue& queue, tracker_options opt = {});
  ~stream_tracker();
  stream_tracker(const stream_tracker&) = delete;
  stream_tracker& operator=(const stream_tracker&) = delete;

  // One captured TCP segment (its payload is only read during the call).
  void on_segment(const analysis::tcp_segment& seg);
  // Packets were lost before they reached us (kernel or interface drops): holes that streams
  // are waiting on will not be filled, so they are skipped now and the sessions marked lossy.
  void on_packets_lost();
  // Lets go of connections idle since before now_us - idle_timeout (call periodically).
  void expire(std::int64_t now_us);
  // Ends every session (shutdown): buffered octets flushed, session_close pushed.
  void finish(std::int64_t now_us, std::string_view reason);

  tracker_stats stats() const noexcept;

 private:
  struct flow;
  void on_chunk(const analysis::tcp_reassembler::data_chunk& c);
  void detect(flow& f, const analysis::tcp_reassembler::data_chunk& c);
  void start_session(flow& f, int sender_side, std::int64_t ts_us);
  void push(flow& f, int side, std::int64_t ts_us, std::span<const std::uint8_t> bytes, std::uint64_t lost);
  void end(std::uint32_t index, std::int64_t ts_us, std::string_view reason);
  flow& flow_of(const analysis::tcp_reassembler::stream_info& s);

  analysis::tap_queue& queue_;
  tracker_options opt_;
  analysis::tcp_reassembler reassembler_;
  std::unordered_map<std::uint32_t, std::unique_ptr<flow>> flows_;  // by stream index
  std::uint64_t next_session_ = 1;
  // Written on the sniffer thread, read by stats() anywhere.
  struct counters {
    std::atomic<std::uint64_t> streams{0}, smpp{0}, cmpp{0}, ignored{0}, closed{0}, tracked{0}, gaps{0},
        gap_octets{0}, evicted_idle{0}, evicted_limit{0};
  } c_;
};

}  // namespace smppscope::sniff
