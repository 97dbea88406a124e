#include "smppscope/sniff/sniffer.hpp"

#include <pcap/pcap.h>

#include <algorithm>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/pcap_reader.hpp"

namespace smppscope::sniff {

namespace {

constexpr std::int64_t expire_every_us = 100'000;
constexpr std::int64_t stats_every_us = 1'000'000;
// After the kernel reports drops, holes are skipped at every expiry tick for this long: a lost
// packet whose direction carries nothing more yet only shows up as a hole later.
constexpr std::int64_t loss_window_us = 2'000'000;

std::string permission_help() {
  return "capturing needs CAP_NET_RAW (and CAP_NET_ADMIN for --promiscuous and the capture buffer): "
         "run as root, or grant them once with: setcap cap_net_raw,cap_net_admin=eip $(command -v smppscope)";
}

}  // namespace

std::string capture_filter(const std::string& filter, const std::vector<std::uint16_t>& ports) {
  std::string p;
  for (const std::uint16_t port : ports) p += (p.empty() ? "tcp port " : " or tcp port ") + std::to_string(port);
  if (filter.empty()) return p.empty() ? "tcp" : "tcp and (" + p + ")";
  return p.empty() ? filter : "(" + filter + ") and (" + p + ")";
}

sniffer::sniffer(analysis::tap_queue& queue, sniffer_options opt)
    : queue_(queue), opt_(std::move(opt)), tracker_(queue_, opt_.tracker) {
  filter_ = capture_filter(opt_.filter, opt_.ports);
  const std::string& ifname = opt_.interface;
  if (ifname.empty()) throw sniff_error("no interface given: name one from `ip link`, or any");
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(ifname.c_str(), errbuf);
  if (!p) throw sniff_error("cannot capture on " + ifname + ": " + errbuf);
  handle_ = p;
  auto fail = [&](const std::string& what) {
    pcap_close(p);
    handle_ = nullptr;
    throw sniff_error(what);
  };
  pcap_set_snaplen(p, opt_.snapshot_length);
  pcap_set_promisc(p, opt_.promiscuous ? 1 : 0);
  pcap_set_timeout(p, opt_.block_timeout_ms);
  pcap_set_buffer_size(p, static_cast<int>(std::min<std::size_t>(opt_.buffer_bytes, 1u << 30)));
  // Not immediate mode: a packet per wake-up cannot keep up with 500k PDUs/s; blocks with a
  // short timeout keep the live UI within tens of milliseconds.
  pcap_set_immediate_mode(p, 0);
  const int rc = pcap_activate(p);
  if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
    fail("cannot capture on " + ifname + ": permission denied. " + permission_help());
  if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
    fail("cannot capture on " + ifname + ": no such interface (list them with `ip link`; any captures on all)");
  if (rc == PCAP_ERROR_IFACE_NOT_UP) fail("cannot capture on " + ifname + ": the interface is down");
  if (rc < 0) {
    const std::string detail = pcap_geterr(p);
    fail("cannot capture on " + ifname + ": " + pcap_statustostr(rc) + (detail.empty() ? "" : " (" + detail + ")"));
  }
  if (rc > 0) log("warning on " + ifname + ": " + pcap_statustostr(rc) + " (" + pcap_geterr(p) + ")");
  linktype_ = pcap_datalink(p);
  bpf_program prog{};
  if (pcap_compile(p, &prog, filter_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    fail("capture filter '" + filter_ + "' does not compile: " + pcap_geterr(p));
  const int set = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (set != 0) fail("capture filter '" + filter_ + "' cannot be installed: " + pcap_geterr(p));
}

sniffer::~sniffer() {
  stop();
  if (handle_) pcap_close(static_cast<pcap_t*>(handle_));
}

void sniffer::log(const std::string& line) const {
  if (opt_.log) opt_.log(line);
}

void sniffer::start() {
  if (thread_.joinable()) return;
  stop_.store(false);
  thread_ = std::thread([this] { run(); });
}

void sniffer::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  pcap_breakloop(static_cast<pcap_t*>(handle_));  // wakes a waiting read (libpcap 1.10+)
  thread_.join();
}

void sniffer::on_packet(unsigned char* user, const pcap_pkthdr* h, const unsigned char* data) {
  auto& self = *reinterpret_cast<sniffer*>(user);
  ++self.packets_;
  const std::int64_t ts = std::int64_t(h->ts.tv_sec) * 1'000'000 + h->ts.tv_usec;
  if (const auto seg = analysis::parse_tcp_packet(self.linktype_, {data, h->caplen}, ts)) {
    ++self.segments_;
    self.tracker_.on_segment(*seg);
  }
}

void sniffer::run() {
  pcap_t* p = static_cast<pcap_t*>(handle_);
  std::int64_t next_expire = analysis::now_us() + expire_every_us;
  std::int64_t next_stats = analysis::now_us() + stats_every_us;
  std::int64_t loss_until = 0;
  std::uint64_t seen_drops = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    const int n = pcap_dispatch(p, -1, &sniffer::on_packet, reinterpret_cast<unsigned char*>(this));
    if (n == PCAP_ERROR) {
      log(std::string("capture on ") + opt_.interface + " failed: " + pcap_geterr(p) + "; no more packets are read");
      break;
    }
    packets_pub_.store(packets_, std::memory_order_relaxed);
    segments_pub_.store(segments_, std::memory_order_relaxed);
    const std::int64_t now = analysis::now_us();
    if (now >= next_stats) {
      next_stats = now + stats_every_us;
      poll_stats();
      const std::uint64_t drops = kernel_drops_.load(std::memory_order_relaxed);
      if (drops != seen_drops) {
        seen_drops = drops;
        loss_until = now + loss_window_us;
        tracker_.on_packets_lost();
      }
    }
    if (now >= next_expire) {
      next_expire = now + expire_every_us;
      if (now < loss_until) tracker_.on_packets_lost();
      tracker_.expire(now);
    }
  }
  poll_stats();
  tracker_.finish(analysis::now_us(), "capture stopped");
  packets_pub_.store(packets_, std::memory_order_relaxed);
  segments_pub_.store(segments_, std::memory_order_relaxed);
}

void sniffer::poll_stats() {
  pcap_stat ps{};
  if (pcap_stats(static_cast<pcap_t*>(handle_), &ps) != 0) return;
  // Cumulative since activation (libpcap keeps the totals on Linux).
  const std::uint64_t before = kernel_drops_.exchange(ps.ps_drop, std::memory_order_relaxed);
  const std::uint64_t if_before = interface_drops_.exchange(ps.ps_ifdrop, std::memory_order_relaxed);
  if (ps.ps_drop > before)
    log("capture on " + opt_.interface + ": the kernel dropped " + std::to_string(ps.ps_drop - before) +
        " packets (" + std::to_string(ps.ps_drop) + " in all; the sniffer fell behind): sessions with holes are "
        "marked lossy");
  if (ps.ps_ifdrop > if_before)
    log("capture on " + opt_.interface + ": the interface dropped " + std::to_string(ps.ps_ifdrop - if_before) +
        " packets (" + std::to_string(ps.ps_ifdrop) + " in all)");
}

sniffer_stats sniffer::stats() const noexcept {
  sniffer_stats s;
  s.packets = packets_pub_.load(std::memory_order_relaxed);
  s.tcp_segments = segments_pub_.load(std::memory_order_relaxed);
  s.kernel_drops = kernel_drops_.load(std::memory_order_relaxed);
  s.interface_drops = interface_drops_.load(std::memory_order_relaxed);
  s.tracker = tracker_.stats();
  return s;
}

}  // namespace smppscope::sniff
