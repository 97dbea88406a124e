#include "smppscope/sniff/stream_tracker.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::sniff {

namespace {

using analysis::tcp_reassembler;

constexpr std::uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_rst = 0x04;
// Both SMPP and CMPP mark a response with the top bit of command_id.
constexpr std::uint32_t response_bit = 0x80000000u;

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// Requests that the server side sends: SMPP deliver_sm (5), outbind (0x0B), alert_notification
// (0x102); CMPP_DELIVER (5). Every other request comes from the client (ESME / SP), or from
// either side (enquire_link, unbind; ACTIVE_TEST, TERMINATE), where the client is the better guess.
bool server_sends(std::uint32_t request_id) {
  return request_id == 0x05 || request_id == 0x0B || request_id == 0x102;
}

enum class verdict { wait, smpp, cmpp, neither };

// What the first octets of one direction say. The whole first PDU is needed (the sniff looks
// at its body), and is held up to `limit` octets.
verdict classify(const std::vector<std::uint8_t>& head, std::size_t limit) {
  if (head.size() < 8) return verdict::wait;
  const std::uint32_t len = be32(head.data());
  if (len < 12 || len > limit) return verdict::neither;  // no SMPP or CMPP header says this
  if (head.size() < len) return verdict::wait;
  switch (decoder::cmpp::sniff({head.data(), head.size()})) {
    case decoder::cmpp::wire_protocol::smpp: return verdict::smpp;
    case decoder::cmpp::wire_protocol::cmpp: return verdict::cmpp;
    case decoder::cmpp::wire_protocol::unknown: break;
  }
  return verdict::neither;
}

}  // namespace

struct stream_tracker::flow {
  enum class state : std::uint8_t { detecting, tracked, ignored };
  const tcp_reassembler::stream_info* info = nullptr;  // valid while the stream is live
  state st = state::detecting;
  std::uint64_t session = 0;
  int client_side = 0;            // the reassembler's side (0: info->a sends) of the client
  // While detecting: the octets each side sent so far, and the chunks in arrival order, so the
  // session's first records come out as they were captured.
  struct held_chunk {
    int side;
    std::int64_t ts_us;
    std::size_t size;
    std::uint64_t lost;
  };
  std::vector<std::uint8_t> head[2];
  std::vector<held_chunk> held;
  unsigned attempts = 0;
  std::uint64_t lost[2] = {};     // octets of a side not queued (gaps, full queue) before the next push
  bool fin[2] = {};
  int first_fin = -1;
};

stream_tracker::stream_tracker(analysis::tap_queue& queue, tracker_options opt)
    : queue_(queue),
      opt_(opt),
      reassembler_(tcp_reassembler::options{.max_buffered_per_direction = opt.max_buffered_per_direction}) {}

stream_tracker::~stream_tracker() = default;

stream_tracker::flow& stream_tracker::flow_of(const tcp_reassembler::stream_info& s) {
  if (s.user) return *static_cast<flow*>(s.user);
  auto f = std::make_unique<flow>();
  f->info = &s;
  s.user = f.get();
  c_.streams.fetch_add(1, std::memory_order_relaxed);
  return *flows_.emplace(s.index, std::move(f)).first->second;
}

void stream_tracker::on_segment(const analysis::tcp_segment& seg) {
  // A bare ACK, FIN or RST of no stream we know (the last ACK after both FINs, a capture that
  // began at the close) would only start a stream that never carries anything.
  if (seg.payload.empty() && !(seg.flags & tcp_syn) && !reassembler_.find(seg.src, seg.dst)) return;
  reassembler_.feed(seg, [this](const tcp_reassembler::data_chunk& c) { on_chunk(c); });
  if (seg.flags & (tcp_fin | tcp_rst)) {
    // A stream that ended before any payload is already forgotten by the reassembler.
    if (const tcp_reassembler::stream_info* s = reassembler_.find(seg.src, seg.dst)) {
      flow& f = flow_of(*s);
      const int side = seg.src == s->a ? 0 : 1;
      const bool rst = (seg.flags & tcp_rst) != 0;
      if (!f.fin[side] && f.first_fin < 0) f.first_fin = side;
      f.fin[side] = true;
      if (rst || (f.fin[0] && f.fin[1])) {
        const int by = rst ? side : f.first_fin;
        const std::string reason = std::string(by == f.client_side ? "client" : "upstream") +
                                   (rst ? " reset" : " closed");
        const std::uint32_t index = s->index;
        reassembler_.close(*s, [this](const tcp_reassembler::data_chunk& c) { on_chunk(c); });
        end(index, seg.ts_us, reason);
      }
    }
  }
  while (reassembler_.live_streams() > opt_.max_streams) {
    const auto index = reassembler_.evict_idlest([this](const tcp_reassembler::data_chunk& c) { on_chunk(c); });
    if (!index) break;
    c_.evicted_limit.fetch_add(1, std::memory_order_relaxed);
    end(*index, seg.ts_us, "evicted: more than " + std::to_string(opt_.max_streams) + " connections tracked");
  }
}

void stream_tracker::on_chunk(const tcp_reassembler::data_chunk& c) {
  flow& f = flow_of(*c.stream);
  std::uint64_t lost = 0;
  if (c.after_gap) {
    c_.gaps.fetch_add(1, std::memory_order_relaxed);
    c_.gap_octets.fetch_add(c.lost, std::memory_order_relaxed);
    lost = std::max<std::uint64_t>(c.lost, 1);  // 1 when the size is unknown: still a hole
  }
  switch (f.st) {
    case flow::state::tracked:
      push(f, c.side, c.ts_us, c.bytes, lost);
      break;
    case flow::state::detecting:
      if (lost && !f.head[c.side].empty()) {
        // What this side sent so far is no longer contiguous: start its detection again here.
        std::erase_if(f.held, [&](const flow::held_chunk& h) { return h.side == c.side; });
        f.head[c.side].clear();
        ++f.attempts;
      }
      f.head[c.side].insert(f.head[c.side].end(), c.bytes.begin(), c.bytes.end());
      f.held.push_back({c.side, c.ts_us, c.bytes.size(), lost});
      detect(f, c);
      break;
    case flow::state::ignored:  // the reassembler no longer delivers it
      break;
  }
}

void stream_tracker::detect(flow& f, const tcp_reassembler::data_chunk& c) {
  std::vector<std::uint8_t>& head = f.head[c.side];
  verdict v = classify(head, opt_.max_detect_octets);
  if (v == verdict::wait && head.size() > opt_.max_detect_octets) v = verdict::neither;
  if (v == verdict::wait) return;
  if (v == verdict::smpp || v == verdict::cmpp) {
    (v == verdict::smpp ? c_.smpp : c_.cmpp).fetch_add(1, std::memory_order_relaxed);
    start_session(f, c.side, f.held.front().ts_us);
    // Replay what was held, in arrival order, from each side's contiguous octets.
    std::size_t offset[2] = {0, 0};
    for (const flow::held_chunk& h : f.held) {
      const std::span<const std::uint8_t> bytes(f.head[h.side].data() + offset[h.side], h.size);
      offset[h.side] += h.size;
      push(f, h.side, h.ts_us, bytes, h.lost);
    }
    f.held = {};
    f.head[0] = {};
    f.head[1] = {};
    return;
  }
  // Neither. A stream whose handshake was captured is judged by its first octets; one joined
  // mid-stream may have started in the middle of a PDU, so a later segment start gets a chance.
  std::erase_if(f.held, [&](const flow::held_chunk& h) { return h.side == c.side; });
  head = {};
  if (f.info->saw_syn || ++f.attempts >= opt_.max_detect_attempts) {
    f.st = flow::state::ignored;
    f.held = {};
    f.head[0] = {};
    f.head[1] = {};
    c_.ignored.fetch_add(1, std::memory_order_relaxed);
    reassembler_.ignore(*f.info);
  }
}

void stream_tracker::start_session(flow& f, int sender_side, std::int64_t ts_us) {
  if (f.info->saw_syn) {
    f.client_side = 0;
  } else {
    const std::uint32_t id = be32(f.head[sender_side].data() + 4);
    const bool request = (id & response_bit) == 0;
    const bool client_requested = !server_sends(id & ~response_bit);
    f.client_side = request == client_requested ? sender_side : 1 - sender_side;
  }
  f.st = flow::state::tracked;
  f.session = next_session_++;
  c_.tracked.fetch_add(1, std::memory_order_relaxed);
  analysis::tap_record r;
  r.kind = analysis::record_kind::session_open;
  r.session = f.session;
  r.ts_us = ts_us;
  r.client = f.client_side == 0 ? f.info->a : f.info->b;
  r.upstream = f.client_side == 0 ? f.info->b : f.info->a;
  // Seen from the wire there is no proxy in between: each leg's near end is the far peer.
  r.proxy_client_side = r.upstream;
  r.proxy_upstream_side = r.client;
  queue_.push_event(r);  // may only fail when the queue is full even for events (counted there)
}

void stream_tracker::push(flow& f, int side, std::int64_t ts_us, std::span<const std::uint8_t> bytes,
                          std::uint64_t lost) {
  const auto dir = side == f.client_side ? analysis::direction::esme_to_smsc : analysis::direction::smsc_to_esme;
  const std::uint64_t before = f.lost[side] + lost;
  if (queue_.push_data(f.session, dir, ts_us, bytes, before))
    f.lost[side] = 0;
  else
    f.lost[side] = before + bytes.size();
}

void stream_tracker::end(std::uint32_t index, std::int64_t ts_us, std::string_view reason) {
  const auto it = flows_.find(index);
  if (it == flows_.end()) return;  // a stream that never delivered payload
  flow& f = *it->second;
  if (f.st == flow::state::tracked) {
    analysis::tap_record r;
    r.kind = analysis::record_kind::session_close;
    r.session = f.session;
    r.ts_us = ts_us;
    r.bytes = {reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()};
    queue_.push_event(r);
    c_.closed.fetch_add(1, std::memory_order_relaxed);
    c_.tracked.fetch_sub(1, std::memory_order_relaxed);
  }
  flows_.erase(it);
}

void stream_tracker::on_packets_lost() {
  reassembler_.skip_holes([this](const tcp_reassembler::data_chunk& c) { on_chunk(c); });
}

void stream_tracker::expire(std::int64_t now_us) {
  while (const tcp_reassembler::stream_info* s = reassembler_.idlest()) {
    if (now_us - s->last_ts_us < opt_.idle_timeout_us) break;
    const auto index = reassembler_.evict_idlest([this](const tcp_reassembler::data_chunk& c) { on_chunk(c); });
    if (!index) break;
    c_.evicted_idle.fetch_add(1, std::memory_order_relaxed);
    end(*index, now_us,
        "idle: no packet for " + std::to_string(opt_.idle_timeout_us / 1'000'000) + " s (capture let it go)");
  }
}

void stream_tracker::finish(std::int64_t now_us, std::string_view reason) {
  while (const auto index =
             reassembler_.evict_idlest([this](const tcp_reassembler::data_chunk& c) { on_chunk(c); }))
    end(*index, now_us, reason);
}

tracker_stats stream_tracker::stats() const noexcept {
  tracker_stats s;
  s.streams = c_.streams.load(std::memory_order_relaxed);
  s.smpp_sessions = c_.smpp.load(std::memory_order_relaxed);
  s.cmpp_sessions = c_.cmpp.load(std::memory_order_relaxed);
  s.ignored_streams = c_.ignored.load(std::memory_order_relaxed);
  s.sessions_closed = c_.closed.load(std::memory_order_relaxed);
  s.tracked = c_.tracked.load(std::memory_order_relaxed);
  s.gaps = c_.gaps.load(std::memory_order_relaxed);
  s.gap_octets = c_.gap_octets.load(std::memory_order_relaxed);
  s.evicted_idle = c_.evicted_idle.load(std::memory_order_relaxed);
  s.evicted_limit = c_.evicted_limit.load(std::memory_order_relaxed);
  return s;
}

}  // namespace smppscope::sniff
