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
#include "detail/roles.hpp"

namespace smppscope::analysis {

namespace {

constexpr std::uint8_t tcp_fin = 0x01, tcp_rst = 0x04;

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// The two endpoints of a TCP connection, either order.
struct pair_key {
  endpoint lo, hi;
  friend bool operator==(const pair_key&, const pair_key&) = default;
};
bool ep_less(const endpoint& a, const endpoint& b) {
  if (a.v6 != b.v6) return a.v6 < b.v6;
  if (const int c = std::memcmp(a.addr, b.addr, 16)) return c < 0;
  return a.port < b.port;
}
pair_key key_of(const endpoint& x, const endpoint& y) { return ep_less(x, y) ? pair_key{x, y} : pair_key{y, x}; }
struct pair_hash {
  std::size_t operator()(const pair_key& k) const noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&h](const endpoint& e) {
      for (const std::uint8_t b : e.addr) h = (h ^ b) * 0x100000001b3ull;
      h = (h ^ e.port) * 0x100000001b3ull;
      h = (h ^ std::uint64_t(e.v6)) * 0x100000001b3ull;
    };
    mix(k.lo);
    mix(k.hi);
    return std::size_t(h);
  }
};

// One TCP stream as a session. Lives as long as the reassembler's stream (stream_info::user).
struct stream_session {
  std::uint64_t id = 0;
  std::uint32_t index = 0;     // the reassembler's stream index
  std::uint32_t reopened = 0;  // sessions this stream carried before
  bool open = false;       // a session_open was pushed and no session_close yet
  int esme_side = 0;       // reassembler side (0 or 1) the ESME sends from
  endpoint side_ep[2];     // side 0's source, side 1's source
  bool fin[2] = {false, false};
  int first_fin = -1;      // side that sent the first FIN
  bool seen_data[2] = {false, false};
  pair_key key;
};

// A plausible first PDU header (SMPP or CMPP share the layout: length, then command id).
bool plausible_header(std::span<const std::uint8_t> b, std::uint32_t max_pdu) {
  if (b.size() < 8) return true;  // too short to tell: let the framer decide
  const std::uint32_t len = be32(b.data()), id = be32(b.data() + 4);
  if (len < 12 || len > max_pdu) return false;
  return decoder::find_pdu(id) != nullptr || detail::cmpp_sp_sender(id) != 0 ||
         (id & ~decoder::cmpp::response_bit) <= 0x0Fu;
}

class feeder {
 public:
  feeder(pipeline& p, const capture_file_options& opt, capture_file_stats& st)
      : p_(p), opt_(opt), st_(st), next_id_(opt.first_session_id) {}

  void chunk(const tcp_reassembler::data_chunk& c) {
    auto* s = static_cast<stream_session*>(c.stream->user);
    if (!s) {
      auto owned = std::make_unique<stream_session>();
      s = owned.get();
      s->index = c.stream->index;
      s->side_ep[0] = c.stream->a;
      s->side_ep[1] = c.stream->b;
      s->key = key_of(c.stream->a, c.stream->b);
      s->esme_side = esme_side_of(*c.stream, c.side, c.bytes);
      by_index_[c.stream->index] = std::move(owned);
      by_key_[s->key] = s;
      c.stream->user = s;
    }
    if (!s->open) open(*s, c.ts_us);  // the first chunk, or a new connection on the same ports
    tap_record r;
    r.kind = record_kind::data;
    r.session = s->id;
    r.dir = c.side == s->esme_side ? direction::esme_to_smsc : direction::smsc_to_esme;
    r.ts_us = c.ts_us;
    r.bytes = c.bytes;
    if (c.after_gap) {
      ++st_.gaps;
      r.lost_before = std::max<std::uint64_t>(c.lost, 1);
    } else if (!s->seen_data[c.side] && !c.stream->saw_syn &&
               !plausible_header(c.bytes, p_.max_pdu())) {
      // The capture began inside a PDU: what came before is lost, not broken by the peer.
      r.lost_before = 1;
    }
    s->seen_data[c.side] = true;
    p_.push(r);
  }

  // After each packet: FIN both ways or a RST ends the session.
  void flags(const tcp_segment& seg) {
    if (!(seg.flags & (tcp_fin | tcp_rst))) return;
    const auto it = by_key_.find(key_of(seg.src, seg.dst));
    if (it == by_key_.end()) return;
    stream_session& s = *it->second;
    if (!s.open) return;
    const int side = seg.src == s.side_ep[0] ? 0 : 1;
    const bool esme = side == s.esme_side;
    if (seg.flags & tcp_rst) {
      close(s, seg.ts_us, std::string(esme ? "client" : "upstream") + " read failed: Connection reset by peer");
      return;
    }
    if (!s.fin[side]) {
      s.fin[side] = true;
      if (s.first_fin < 0) s.first_fin = side;
    }
    if (s.fin[0] && s.fin[1])
      close(s, seg.ts_us, std::string(s.first_fin == s.esme_side ? "client" : "upstream") + " closed");
  }

  // The reassembler forgot a stream (limits): its session ends here.
  void forget(std::uint32_t index, std::int64_t ts_us) {
    const auto it = by_index_.find(index);
    if (it == by_index_.end()) return;
    if (it->second->open) close(*it->second, ts_us, "capture analysis limits: stream forgotten");
    by_key_.erase(it->second->key);
    by_index_.erase(it);
  }

  void close_all(std::int64_t ts_us) {
    std::vector<stream_session*> open;
    for (auto& [idx, s] : by_index_)
      if (s->open) open.push_back(s.get());
    std::sort(open.begin(), open.end(), [](auto* a, auto* b) { return a->id < b->id; });
    for (stream_session* s : open) close(*s, ts_us, "capture ended");
  }

  std::uint64_t next_id() const noexcept { return next_id_; }

 private:
  int esme_side_of(const tcp_reassembler::stream_info& info, int side, std::span<const std::uint8_t> first) {
    if (info.saw_syn) return 0;  // side 0 sent the SYN: the client
    if (first.size() >= 8) {
      const std::uint32_t len = be32(first.data()), id = be32(first.data() + 4);
      int who = 0;
      if (len >= 16 && decoder::find_pdu(id)) who = detail::esme_sender(id);
      else if (len >= 12) who = detail::cmpp_sp_sender(id);
      if (who != 0) return who > 0 ? side : 1 - side;
    }
    // The SMSC listens: usually the lower (well-known) port.
    return info.a.port >= info.b.port ? 0 : 1;
  }

  void open(stream_session& s, std::int64_t ts_us) {
    // The stream's index, as `decode` numbers streams; a new connection on the same ports (a
    // reused stream) gets an id of its own above 2^32.
    s.id = opt_.first_session_id + s.index + (std::uint64_t(s.reopened++) << 32);
    next_id_ = std::max(next_id_, opt_.first_session_id + s.index + 1);
    s.open = true;
    s.fin[0] = s.fin[1] = false;
    s.first_fin = -1;
    s.seen_data[0] = s.seen_data[1] = false;
    ++st_.streams;
    tap_record r;
    r.kind = record_kind::session_open;
    r.session = s.id;
    r.ts_us = ts_us;
    r.client = s.side_ep[s.esme_side];
    r.upstream = s.side_ep[1 - s.esme_side];
    // No proxy in between: both legs are the one captured connection.
    r.proxy_client_side = r.upstream;
    r.proxy_upstream_side = r.client;
    p_.push(r);
  }

  void close(stream_session& s, std::int64_t ts_us, const std::string& reason) {
    s.open = false;
    ++st_.closed;
    tap_record r;
    r.kind = record_kind::session_close;
    r.session = s.id;
    r.ts_us = ts_us;
    r.bytes = {reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()};
    p_.push(r);
  }

  pipeline& p_;
  const capture_file_options& opt_;
  capture_file_stats& st_;
  std::uint64_t next_id_;
  std::unordered_map<std::uint32_t, std::unique_ptr<stream_session>> by_index_;
  std::unordered_map<pair_key, stream_session*, pair_hash> by_key_;
};

}  // namespace

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
  feeder f(p, opt, st);
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
