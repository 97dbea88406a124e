// Live capture for `smppscope sniff`: a libpcap handle read on a thread of its own, each TCP
// segment handed to a stream_tracker, which queues session records on a tap_queue exactly as a
// relay thread does. Nothing sits in the traffic path: a sniffer that falls behind loses packets
// (counted by the kernel, reported here), never slows a peer.
//
//   NIC --kernel ring (buffer_bytes)--> sniffer thread: parse_tcp_packet -> stream_tracker
//                                          --tap_queue--> analyzer thread (as for the proxy)
//   every 100 ms: idle eviction; every second: pcap_stats (kernel drops -> holes skipped, lossy)
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "smppscope/analysis/tap.hpp"
#include "smppscope/sniff/stream_tracker.hpp"

struct pcap_pkthdr;  // <pcap/pcap.h>, kept out of this header

namespace smppscope::sniff {

// Opening or starting the capture failed; what() is one line for the user, saying what to do.
class sniff_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct sniffer_options {
  std::string interface;                 // a name from `ip link`, or "any"
  std::string filter;                    // BPF expression; empty: "tcp"
  std::vector<std::uint16_t> ports;      // narrow the capture to these TCP ports (either end)
  bool promiscuous = false;
  // The kernel ring between the NIC and this thread: what absorbs a burst while we are busy.
  std::size_t buffer_bytes = 64u << 20;
  // Whole segments (GRO/TSO hands up to 64 KiB at once); libpcap's maximum.
  int snapshot_length = 262144;
  // Packets are handed over in blocks; a quiet link still delivers within this many ms.
  int block_timeout_ms = 20;
  tracker_options tracker;
  std::function<void(std::string_view)> log;  // one line per call; none: silent
};

struct sniffer_stats {
  std::uint64_t packets = 0;          // packets read from the capture
  std::uint64_t tcp_segments = 0;     // of which parsed as TCP (others: not IP/TCP, fragments)
  std::uint64_t kernel_drops = 0;     // pcap_stats ps_drop: the ring was full, we were too slow
  std::uint64_t interface_drops = 0;  // pcap_stats ps_ifdrop: dropped by the interface / driver
  tracker_stats tracker;
};

// The BPF program text for a filter and a port list: "tcp", "tcp and (port 2775 or port 7890)",
// "(FILTER) and (tcp port 2775)".
std::string capture_filter(const std::string& filter, const std::vector<std::uint16_t>& ports);

class sniffer {
 public:
  // Opens and activates the capture and installs the filter. Throws sniff_error: no such
  // interface, no permission (CAP_NET_RAW), a filter that does not compile, ...
  sniffer(analysis::tap_queue& queue, sniffer_options opt);
  ~sniffer();  // stops
  sniffer(const sniffer&) = delete;
  sniffer& operator=(const sniffer&) = delete;

  void start();
  // Ends the thread; every session still open gets its session_close ("capture stopped").
  void stop();

  const std::string& filter() const noexcept { return filter_; }
  int linktype() const noexcept { return linktype_; }
  sniffer_stats stats() const noexcept;  // any thread

 private:
  void run();
  void poll_stats();
  static void on_packet(unsigned char* self, const ::pcap_pkthdr* h, const unsigned char* data);
  void log(const std::string& line) const;

  analysis::tap_queue& queue_;
  sniffer_options opt_;
  stream_tracker tracker_;
  void* handle_ = nullptr;  // pcap_t*
  int linktype_ = 0;
  std::string filter_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  // Owned by the sniffer thread, published for stats().
  std::uint64_t packets_ = 0, segments_ = 0;
  std::atomic<std::uint64_t> packets_pub_{0}, segments_pub_{0};
  std::atomic<std::uint64_t> kernel_drops_{0}, interface_drops_{0};
};

}  // namespace smppscope::sniff
