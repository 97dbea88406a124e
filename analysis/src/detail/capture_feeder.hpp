// The capture-file source's core (see pipeline.hpp, feed_capture_file): reassembled TCP chunks
// and packet flags in, session records out, pushed into a pipeline. Separate from the file loop so
// `decode --diagnose` can feed it from the reassembly its PDU walk already does.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "smppscope/analysis/pcap_reader.hpp"
#include "smppscope/analysis/pipeline.hpp"
#include "roles.hpp"

namespace smppscope::analysis::detail {

constexpr std::uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_rst = 0x04, tcp_ack = 0x10;

inline std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// The two endpoints of a TCP connection, either order.
struct pair_key {
  endpoint lo, hi;
  friend bool operator==(const pair_key&, const pair_key&) = default;
};
inline bool ep_less(const endpoint& a, const endpoint& b) {
  if (a.v6 != b.v6) return a.v6 < b.v6;
  if (const int c = std::memcmp(a.addr, b.addr, 16)) return c < 0;
  return a.port < b.port;
}
inline pair_key key_of(const endpoint& x, const endpoint& y) { return ep_less(x, y) ? pair_key{x, y} : pair_key{y, x}; }
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
inline bool plausible_header(std::span<const std::uint8_t> b, std::uint32_t max_pdu) {
  if (b.size() < 8) return true;  // too short to tell: let the framer decide
  const std::uint32_t len = be32(b.data()), id = be32(b.data() + 4);
  if (len < 12 || len > max_pdu) return false;
  return decoder::find_pdu(id) != nullptr || cmpp_sp_sender(id) != 0 ||
         (id & ~decoder::cmpp::response_bit) <= 0x0Fu;
}

class capture_feeder {
 public:
  capture_feeder(pipeline& p, const capture_file_options& opt, capture_file_stats& st)
      : p_(p), opt_(opt), st_(st), next_id_(opt.first_session_id) {}

  void chunk(const tcp_reassembler::data_chunk& c) {
    // Looked up by index, not through stream_info::user: decode's walker owns that pointer when
    // both read the same reassembly.
    stream_session* s = last_ && last_->index == c.stream->index ? last_ : nullptr;
    if (!s) {
      const auto it = by_index_.find(c.stream->index);
      if (it != by_index_.end()) s = it->second.get();
    }
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
    }
    last_ = s;
    if (!s->open) {  // the first chunk, or a new connection on the same ports
      std::int64_t ts = c.ts_us;
      if (const auto syn = syn_ts_.find(s->key); syn != syn_ts_.end()) {
        ts = std::min(ts, syn->second);  // the session began with the handshake
        syn_ts_.erase(syn);
      }
      open(*s, ts);
    }
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

  // After each packet: a SYN notes when a session begins; FIN both ways or a RST ends it.
  void flags(const tcp_segment& seg) {
    st_.last_ts_us = std::max(st_.last_ts_us, seg.ts_us);
    if ((seg.flags & (tcp_syn | tcp_ack)) == tcp_syn) {
      // Kept until the connection's first data; a flood of SYNs without data is forgotten.
      if (syn_ts_.size() >= opt_.limits.max_streams) syn_ts_.clear();
      syn_ts_.try_emplace(key_of(seg.src, seg.dst), seg.ts_us);
      return;
    }
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
    if (last_ == it->second.get()) last_ = nullptr;
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
      if (len >= 16 && decoder::find_pdu(id)) who = esme_sender(id);
      else if (len >= 12) who = cmpp_sp_sender(id);
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
  std::unordered_map<pair_key, std::int64_t, pair_hash> syn_ts_;
  stream_session* last_ = nullptr;  // the previous chunk's: most chunks follow their own  // SYN times of streams without data yet
};


}  // namespace smppscope::analysis::detail
