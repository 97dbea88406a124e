// A capture file as a pipeline source: packets -> TCP streams -> session records with the
// capture's endpoints and times (see pipeline.hpp).
#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "smppscope/analysis/pcap_reader.hpp"
#include "smppscope/analysis/pipeline.hpp"
#include "smppscope/decoder/framer.hpp"
#include "detail/capture_feeder.hpp"

namespace smppscope::analysis {

bool feed_capture_file(pipeline& p, const std::string& path, const capture_file_options& opt,
                       capture_file_stats* stats, std::string& error) {
  capture_file_stats local;
  capture_file_stats& st = stats ? *stats : local;
  st = capture_file_stats{};
  st.next_session_id = opt.first_session_id;
  std::unique_ptr<pcap_file_reader> r = pcap_file_reader::open(path, error);
  if (!r) return false;
  const offline_limits& lim = opt.limits;
  tcp_reassembler tr({.max_buffered_per_direction =
                          std::max<std::size_t>(1024, std::min<std::size_t>(4u << 20, lim.max_state_bytes / 4)),
                      .in_order_fast_path = lim.in_order_fast_path});
  detail::capture_feeder f(p, opt, st);
  auto on_data = [&f](const tcp_reassembler::data_chunk& c) { f.chunk(c); };
  raw_packet pkt;
  const int lt = r->linktype();
  while (r->next(pkt)) {
    ++st.packets;
    if (st.packets == 1) st.first_ts_us = pkt.ts_us;
    st.last_ts_us = std::max(st.last_ts_us, pkt.ts_us);
    const auto seg = parse_tcp_packet(lt, pkt.data, pkt.ts_us);
    if (!seg) continue;
    ++st.tcp_segments;
    tr.feed(*seg, on_data);
    f.flags(*seg);
    while (tr.live_streams() > 1 &&
           (tr.live_streams() > lim.max_streams ||
            tr.buffered_bytes() + tr.live_streams() * offline_stream_overhead > lim.max_state_bytes)) {
      const auto gone = tr.evict_idlest(on_data);
      if (!gone) break;
      f.forget(*gone, pkt.ts_us);
      if (st.evicted_streams++ == 0 && lim.on_first_eviction)
        lim.on_first_eviction("more than " + std::to_string(lim.max_streams) + " live TCP streams or " +
                              std::to_string(lim.max_state_bytes >> 20) +
                              " MiB of reassembly state: the idlest streams are flushed and forgotten");
    }
  }
  tr.finish(on_data);
  if (!r->error().empty() && st.packets == 0) {
    error = path + ": " + r->error();
    return false;
  }
  if (opt.close_at_end) f.close_all(st.last_ts_us);
  if (opt.advance_at_end) p.advance_to(st.last_ts_us);
  st.next_session_id = f.next_id();
  return true;
}

}  // namespace smppscope::analysis
