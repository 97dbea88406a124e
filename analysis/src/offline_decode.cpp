#include "smppscope/analysis/offline_decode.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <unordered_map>
#include <vector>

#include "smppscope/analysis/event.hpp"
#include "smppscope/analysis/pcap_reader.hpp"
#include "smppscope/analysis/pipeline.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/text.hpp"
#include "smppscope/decoder/cmpp_json.hpp"
#include "detail/cmpp_analysis.hpp"
#include "detail/roles.hpp"

namespace smppscope::analysis {

namespace {

using decoder::command_id;

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// First 16 octets of a direction: does it start like SMPP? (command_length 16..max, known id)
bool looks_like_smpp(const std::uint8_t* h, std::uint32_t max_pdu) {
  const std::uint32_t len = be32(h);
  return len >= 16 && len <= max_pdu && decoder::find_pdu(be32(h + 4)) != nullptr;
}

struct half_state {
  enum class mode : std::uint8_t { probing, smpp, not_smpp, out_of_sync };
  decoder::framer fr;
  std::size_t accounted = 0;  // framer buffer capacity as last added to the walker's total
  mode m = mode::probing;
  std::uint8_t probe[16] = {};
  std::size_t probe_len = 0;
};

struct stream_state {
  bool known_roles = false;
  int esme_side = 0;  // 0 or 1
  half_state h[2];
  bool smpp_counted = false;  // counted in smpp_streams (once, whichever direction showed SMPP)
  detail::session_protocol proto;  // SMPP or CMPP, from the stream's first PDU
};

class walker {
 public:
  walker(offline_handler& h, offline_stats& st) : h_(h), st_(st) {}

  // Partial PDUs held by the framers of live streams, in octets of buffer capacity.
  std::size_t framer_bytes() const noexcept { return framer_bytes_; }

  // The reassembler forgot this stream: so does the walker.
  void forget(std::uint32_t idx) {
    const auto it = streams_.find(idx);
    if (it == streams_.end()) return;
    for (const half_state& h : it->second->h) framer_bytes_ -= h.accounted;
    streams_.erase(it);
  }

  void chunk(const tcp_reassembler::data_chunk& c) {
    // The reassembler keeps our state pointer with its stream: no lookup per chunk.
    auto* sp = static_cast<stream_state*>(c.stream->user);
    if (!sp) {
      auto& p = streams_[c.stream->index];
      if (!p) p = std::make_unique<stream_state>();
      sp = p.get();
      c.stream->user = sp;
    }
    stream_state& s = *sp;
    half_state& h = s.h[c.side];
    cur_ = &c;
    cur_stream_ = &s;
    decode_chunk(c, s, h);
    if (const std::size_t cap = h.fr.buffer_capacity(); cap != h.accounted) {
      framer_bytes_ += cap - h.accounted;
      h.accounted = cap;
    }
  }

 private:
  // The per-stream protocol step: in-order octets of one direction in, PDUs and out-of-sync
  // reports out. The first 16 octets of a direction decide whether it carries SMPP; a framer
  // then cuts PDUs, in place in the reader's buffer unless a PDU straddles segments.
  void decode_chunk(const tcp_reassembler::data_chunk& c, stream_state& s, half_state& h) {
    if (c.after_gap) {  // lost octets: look for a PDU start again
      h.fr.reset();
      h.m = half_state::mode::probing;
      h.probe_len = 0;
    }
    if (!s.proto.decided()) {
      // SMPP or CMPP: held until the stream's first PDU says, then framed from the start.
      if (!detail::sniff_protocol(s.proto, static_cast<direction>(c.side), c.bytes, c.after_gap)) return;
      if (s.proto.is_cmpp()) {
        ++st_.cmpp_streams;
        for (half_state& x : s.h) {
          x.fr = decoder::framer(x.fr.max_pdu(), decoder::framer_mode::stop, detail::cmpp_framer_layout());
          x.m = half_state::mode::smpp;  // framing (the mode names the SMPP path's states)
        }
      }
      for (int side = 0; side < 2; ++side) {
        const std::vector<std::uint8_t> held = std::move(s.proto.held[side]);
        if (held.empty()) continue;
        tcp_reassembler::data_chunk replay = c;
        replay.side = side;
        replay.bytes = held;
        replay.after_gap = false;
        cur_ = &replay;
        decode_chunk(replay, s, s.h[side]);
        cur_ = &c;
      }
      return;
    }
    if (s.proto.is_cmpp()) {
      if (c.after_gap) h.fr.reset();
      if (h.m == half_state::mode::smpp) feed(h, c.bytes);
      return;
    }
    std::span<const std::uint8_t> bytes = c.bytes;
    if (h.m == half_state::mode::probing) {
      const std::size_t take = std::min(bytes.size(), 16 - h.probe_len);
      std::memcpy(h.probe + h.probe_len, bytes.data(), take);
      h.probe_len += take;
      if (h.probe_len < 16) return;
      if (!looks_like_smpp(h.probe, h.fr.max_pdu())) {
        const bool other_smpp = s.h[1 - c.side].m == half_state::mode::smpp ||
                                s.h[1 - c.side].m == half_state::mode::out_of_sync;
        if (!other_smpp && !c.after_gap) {
          h.m = half_state::mode::not_smpp;
          return;
        }
        // The other direction is SMPP (or we lost octets): this one is out of sync.
        h.m = half_state::mode::out_of_sync;
        report_out_of_sync(c, s, "the stream does not start with an SMPP header: command_length " +
                                     std::to_string(be32(h.probe)) + ", command_id 0x" + hex32(be32(h.probe + 4)));
        return;
      }
      h.m = half_state::mode::smpp;
      if (!s.smpp_counted) {
        s.smpp_counted = true;
        ++st_.smpp_streams;
      }
      bytes = bytes.subspan(take);
      if (!feed(h, std::span<const std::uint8_t>(h.probe, 16))) return;
    }
    if (h.m != half_state::mode::smpp) return;
    feed(h, bytes);
  }

  static std::string hex32(std::uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08X", v);
    return buf;
  }

  direction dir_of(stream_state& s, int side, std::uint32_t first_cmd) {
    if (!s.known_roles) {
      s.known_roles = true;
      const tcp_reassembler::stream_info& info = *cur_->stream;
      if (info.saw_syn) {
        s.esme_side = 0;
      } else if (const int who = cur_stream_->proto.is_cmpp() ? detail::cmpp_sp_sender(first_cmd) : detail::esme_sender(first_cmd);
                 who != 0) {
        s.esme_side = who > 0 ? side : 1 - side;
      } else {
        // The SMSC is the listener: usually the lower (well-known) port.
        s.esme_side = info.a.port >= info.b.port ? 0 : 1;
      }
    }
    return side == s.esme_side ? direction::esme_to_smsc : direction::smsc_to_esme;
  }

  bool feed(half_state& h, std::span<const std::uint8_t> bytes) {
    const tcp_reassembler::data_chunk& c = *cur_;
    const bool ok = h.fr.feed(bytes, [&](std::span<const std::uint8_t> frame) {
      if (cur_stream_->proto.is_cmpp()) {
        cmpp_frame(c, frame);
        return;
      }
      decoder::pdu& p = pdu_;
      const decoder::decode_error err = decoder::decode(frame, p);
      ++st_.pdus;
      if (err) ++st_.decode_errors;
      offline_pdu o;
      o.stream = c.stream->index;
      o.dir = dir_of(*cur_stream_, c.side, p.hdr.command_id);
      o.ts_us = c.ts_us;
      o.src = c.side == 0 ? &c.stream->a : &c.stream->b;
      o.dst = c.side == 0 ? &c.stream->b : &c.stream->a;
      o.pdu = &p;
      o.error = err ? &err : nullptr;
      o.frame = frame;
      h_.on_pdu(o);
    });
    if (ok) return true;
    h.m = half_state::mode::out_of_sync;
    report_out_of_sync(c, *cur_stream_, h.fr.error().message(h.fr.max_pdu()));
    return false;
  }

  void cmpp_frame(const tcp_reassembler::data_chunk& c, std::span<const std::uint8_t> frame) {
    namespace cmpp = decoder::cmpp;
    cmpp::pdu p;
    const cmpp::decode_error err = cmpp::decode(frame, cur_stream_->proto.cmpp_version.observe(frame), p);
    ++st_.pdus;
    if (err) ++st_.decode_errors;
    offline_cmpp_pdu o;
    o.stream = c.stream->index;
    o.dir = dir_of(*cur_stream_, c.side, p.hdr.command_id);
    o.ts_us = c.ts_us;
    o.src = c.side == 0 ? &c.stream->a : &c.stream->b;
    o.dst = c.side == 0 ? &c.stream->b : &c.stream->a;
    o.pdu = &p;
    o.error = err ? &err : nullptr;
    o.frame = frame;
    h_.on_cmpp_pdu(o);
  }

  void report_out_of_sync(const tcp_reassembler::data_chunk& c, stream_state& s, const std::string& msg) {
    ++st_.out_of_sync;
    offline_out_of_sync o;
    o.stream = c.stream->index;
    o.dir = s.known_roles ? (c.side == s.esme_side ? direction::esme_to_smsc : direction::smsc_to_esme)
                          : (c.side == 0 ? direction::esme_to_smsc : direction::smsc_to_esme);
    o.ts_us = c.ts_us;
    o.src = c.side == 0 ? &c.stream->a : &c.stream->b;
    o.dst = c.side == 0 ? &c.stream->b : &c.stream->a;
    o.message = msg;
    h_.on_out_of_sync(o);
  }

  offline_handler& h_;
  offline_stats& st_;
  std::unordered_map<std::uint32_t, std::unique_ptr<stream_state>> streams_;  // live streams
  std::size_t framer_bytes_ = 0;
  // Reused for every PDU: decode() sets all it uses, and the fields array is too large to
  // clear per PDU.
  decoder::pdu pdu_;
  const tcp_reassembler::data_chunk* cur_ = nullptr;
  stream_state* cur_stream_ = nullptr;
};

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// "YYYY-MM-DD HH:MM:SS.uuuuuu" (UTC); the date part is formatted once per second.
class time_formatter {
 public:
  void append(std::string& out, std::int64_t ts_us) {
    const std::int64_t sec = ts_us >= 0 ? ts_us / 1000000 : (ts_us - 999999) / 1000000;
    if (sec != sec_ || len_ == 0) {
      const std::time_t t = std::time_t(sec);
      std::tm tm{};
      gmtime_r(&t, &tm);
      len_ = std::strftime(buf_, sizeof buf_, "%Y-%m-%d %H:%M:%S", &tm);
      sec_ = sec;
    }
    out.append(buf_, len_);
    std::uint32_t us = std::uint32_t(ts_us - sec * 1000000);
    char frac[7];
    frac[0] = '.';
    for (int i = 6; i >= 1; --i, us /= 10) frac[i] = char('0' + us % 10);
    out.append(frac, 7);
  }

 private:
  std::int64_t sec_ = 0;
  char buf_[32] = {};
  std::size_t len_ = 0;
};

// Buffered output: one fwrite per ~1 MiB.
class printer final : public offline_handler {
 public:
  printer(std::FILE* out, const decode_output_options& opt) : out_(out), opt_(opt) { buf_.reserve(2 << 20); }
  ~printer() override { flush(); }

  void on_pdu(const offline_pdu& o) override {
    if (opt_.json) {
      ctx_.session = o.stream;
      ctx_.direction = direction_name(o.dir);
      ctx_.ts_us = o.ts_us;
      ctx_.include_hex = opt_.hex;
      if (o.error) {
        err_ = o.error->message(*o.pdu);
        ctx_.error = err_;
      } else {
        ctx_.error = {};
      }
      decoder::append_pdu_json(buf_, *o.pdu, o.frame, ctx_);
    } else {
      text_line(o);
    }
    buf_ += '\n';
    if (buf_.size() >= (1 << 20)) flush();
  }

  void on_cmpp_pdu(const offline_cmpp_pdu& o) override {
    namespace cmpp = decoder::cmpp;
    const cmpp::pdu& p = *o.pdu;
    err_ = o.error ? o.error->message(p) : std::string();
    if (opt_.json) {
      ctx_.session = o.stream;
      ctx_.direction = direction_name(o.dir);
      ctx_.ts_us = o.ts_us;
      ctx_.include_hex = opt_.hex;
      ctx_.error = err_;
      cmpp::append_pdu_json(buf_, p, o.frame, ctx_);
    } else {
      time_.append(buf_, o.ts_us);
      buf_ += ' ';
      buf_ += arrow(offline_pdu{o.stream, o.dir, o.ts_us, o.src, o.dst, nullptr, nullptr, o.frame});
      buf_ += ' ';
      buf_ += p.name();
      buf_ += " (CMPP ";
      buf_ += cmpp::version_name(p.ver);
      buf_ += ") seq=";
      append_int(buf_, p.hdr.sequence_id);
      if (const auto st = cmpp::is_response(p.hdr.command_id) ? p.status() : std::nullopt) {
        buf_ += " status=";
        append_int(buf_, *st);
      }
      buf_ += " len=";
      append_int(buf_, p.hdr.total_length);
      for (const auto& [key, name] : {std::pair{"source_addr", "Source_Addr"}, std::pair{"from", "Src_Id"},
                                      std::pair{"from", "Src_terminal_Id"}, std::pair{"to", "Dest_Id"}}) {
        if (const auto v = p.text(name); v && !v->empty()) {
          buf_ += ' ';
          buf_ += key;
          buf_ += '=';
          decoder::append_log_safe(buf_, *v);
        }
      }
      if (p.dest_count() > 0) {
        buf_ += " to=";
        decoder::append_log_safe(buf_, p.dest_terminal_id(0));
      }
      if (const auto id = p.msg_id(); id && *id != 0) {
        char hex[32];
        std::snprintf(hex, sizeof hex, " msg_id=%016llx", static_cast<unsigned long long>(*id));
        buf_ += hex;
      }
      if (const auto m = cmpp::find_message(p)) {
        text_ = cmpp::decode_text(m->text_octets, p.msg_fmt().value_or(0)).utf8;
        buf_ += " text=\"";
        decoder::append_log_safe(buf_, text_);
        buf_ += '"';
      } else if (const auto r = p.is_status_report() ? cmpp::parse_status_report(p.msg_content(), p.ver) : std::nullopt) {
        buf_ += " report=";
        decoder::append_log_safe(buf_, r->stat);
      }
      if (o.error) {
        buf_ += " error=\"";
        decoder::append_log_safe(buf_, err_);
        buf_ += '"';
      }
    }
    buf_ += '\n';
    if (buf_.size() >= (1 << 20)) flush();
  }

  void on_out_of_sync(const offline_out_of_sync& o) override {
    if (opt_.json) {
      append_event_json_head(buf_, event_type::malformed, o.stream, o.dir, o.ts_us);
      buf_ += ",\"error\":";
      decoder::append_json_string(buf_, o.message);
      buf_ += '}';
    } else {
      time_.append(buf_, o.ts_us);
      buf_ += " #";
      append_int(buf_, o.stream);
      buf_ += ' ';
      buf_ += o.src->to_string();
      buf_ += " -> ";
      buf_ += o.dst->to_string();
      buf_ += " OUT OF SYNC (";
      buf_ += direction_name(o.dir);
      buf_ += "), decoding stops for this direction: ";
      decoder::append_log_safe(buf_, o.message);
    }
    buf_ += '\n';
  }

  // One alert of --diagnose.
  void alert(const alert_event& a) {
    if (opt_.json) {
      buf_ += a.json;
    } else {
      time_.append(buf_, a.ts_us);
      buf_ += " #";
      append_int(buf_, a.session);
      buf_ += " ALERT ";
      buf_ += a.kind;
      if (!a.side.empty()) {
        buf_ += " (";
        buf_ += a.side;
        buf_ += ')';
      }
      buf_ += ": ";
      decoder::append_log_safe(buf_, a.message);  // may quote what a peer sent
    }
    buf_ += '\n';
    if (buf_.size() >= (1 << 20)) flush();
  }

  bool flush() {
    if (buf_.empty()) return true;
    const bool ok = std::fwrite(buf_.data(), 1, buf_.size(), out_) == buf_.size();
    buf_.clear();
    return ok;
  }

 private:
  // Peer-controlled text, made safe for a terminal: the plain printable ASCII run at the front
  // (all of it, usually) is copied in one go; append_log_safe escapes from the first other octet.
  void append_safe(std::string_view v) {
    std::size_t i = 0;
    while (i < v.size() && static_cast<unsigned char>(v[i]) >= 0x20 && static_cast<unsigned char>(v[i]) < 0x7F &&
           v[i] != '\\')
      ++i;
    buf_.append(v.data(), i);
    if (i < v.size()) decoder::append_log_safe(buf_, v.substr(i));
  }

  void field(std::string_view key, const decoder::pdu& p, int index) {
    if (index < 0 || index >= p.field_count) return;
    const decoder::field_value& f = p.fields[std::size_t(index)];
    if (f.bytes.empty()) return;
    buf_ += ' ';
    buf_ += key;
    buf_ += '=';
    append_safe(f.text());  // the peer's octets: no raw control characters
  }

  // Where system_id, source_addr and destination_addr sit in a PDU type's fields (-1: absent),
  // found by name once per type and kept in a small direct-mapped cache.
  struct text_fields {
    const decoder::pdu_spec* spec = nullptr;
    int system_id = -1, source_addr = -1, destination_addr = -1;
  };
  const text_fields& fields_of(const decoder::pdu_spec* spec) {
    text_fields& f = field_cache_[(reinterpret_cast<std::uintptr_t>(spec) / sizeof(decoder::pdu_spec)) %
                                  field_cache_.size()];
    if (f.spec != spec) {
      f = {spec, -1, -1, -1};
      for (std::size_t i = 0; i < spec->fields.size(); ++i) {
        const std::string_view n = spec->fields[i].name;
        if (n == "system_id") f.system_id = int(i);
        if (n == "source_addr") f.source_addr = int(i);
        if (n == "destination_addr") f.destination_addr = int(i);
      }
    }
    return f;
  }

  void text_line(const offline_pdu& o) {
    const decoder::pdu& p = *o.pdu;
    time_.append(buf_, o.ts_us);
    buf_ += ' ';
    buf_ += arrow(o);
    buf_ += ' ';
    if (p.spec) {
      buf_ += p.name();
    } else {
      char id[16];
      std::snprintf(id, sizeof id, "0x%08X", p.hdr.command_id);
      buf_ += "unknown:";
      buf_ += id;
    }
    buf_ += " seq=";
    append_int(buf_, p.hdr.sequence_number);
    if (decoder::is_response(p.hdr.command_id) || p.hdr.command_status != 0) {
      buf_ += " status=";
      const std::string_view sn = decoder::status_name(p.hdr.command_status);
      if (!sn.empty()) {
        buf_ += sn;
      } else {
        char st[16];
        std::snprintf(st, sizeof st, "0x%08X", p.hdr.command_status);
        buf_ += st;
      }
    }
    buf_ += " len=";
    append_int(buf_, p.hdr.command_length);
    if (p.spec) {
      const text_fields& f = fields_of(p.spec);
      field("system_id", p, f.system_id);
      field("from", p, f.source_addr);
      field("to", p, f.destination_addr);
    }
    if (const auto mid = p.message_id(); mid && !mid->empty()) {
      buf_ += " message_id=";
      append_safe(*mid);
    }
    text_preview(p);
    if (o.error) {
      buf_ += " error=\"";
      decoder::append_log_safe(buf_, o.error->message(p));
      buf_ += '"';
    }
  }

  void text_preview(const decoder::pdu& p) {
    decoder::bytes_view ud = p.payload();
    const auto dcs = p.data_coding();
    if (ud.empty() || !dcs) return;
    unsigned fill = 0;
    const auto esm = p.esm_class();
    if (esm && (*esm & 0x40) && !ud.empty() && std::size_t(ud[0]) + 1 <= ud.size()) {
      const std::size_t udh = std::size_t(ud[0]) + 1;
      fill = unsigned((7 - (8 * udh) % 7) % 7);
      ud = ud.subspan(udh);
    }
    // Only the first max_preview octets of UTF-8 are shown, so a prefix of the text is decoded
    // when that is sure to give the same first octets: the reading (GSM7 packing) is still
    // decided on the whole text, and the prefix must yield a margin past the cut, since its last
    // character may differ (a septet or surrogate pair cut in two). Otherwise the whole text.
    constexpr std::size_t max_preview = 60, margin = 8;
    const std::uint8_t dc = *dcs;
    const decoder::text_alphabet alphabet = decoder::alphabet_of(dc);
    decoder::text_options topt;
    if (alphabet == decoder::text_alphabet::gsm7) topt.packing = decoder::detect_gsm7_packing(ud, fill);
    const std::size_t prefix = (alphabet == decoder::text_alphabet::ucs2 ? 2 : 1) * (max_preview + 2 * margin);
    text_.clear();
    if (ud.size() > prefix) decoder::append_text(text_, ud.first(prefix), dc, topt, fill);
    if (text_.size() < max_preview + margin) {
      text_.clear();
      decoder::append_text(text_, ud, dc, topt, fill);
    }
    buf_ += " text=\"";
    if (text_.size() > max_preview) {
      std::size_t cut = max_preview;
      while (cut > 0 && (static_cast<unsigned char>(text_[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
      text_.resize(cut);
      text_ += "...";
    }
    append_safe(text_);
    buf_ += '"';
  }

  // "#N src -> dst", formatted once per stream and direction while it stays in a small
  // direct-mapped cache (stream numbers are unbounded; the cache is not).
  const std::string& arrow(const offline_pdu& o) {
    arrow_slot& slot = arrows_[o.stream % arrows_.size()];
    if (!slot.used || slot.stream != o.stream) {
      slot.used = true;
      slot.stream = o.stream;
      slot.text[0].clear();
      slot.text[1].clear();
    }
    std::string& a = slot.text[static_cast<int>(o.dir)];
    if (a.empty()) {
      a += '#';
      append_int(a, o.stream);
      a += ' ';
      a += o.src->to_string();
      a += " -> ";
      a += o.dst->to_string();
    }
    return a;
  }

  std::FILE* out_;
  decode_output_options opt_;
  time_formatter time_;
  struct arrow_slot {
    bool used = false;
    std::uint32_t stream = 0;
    std::array<std::string, 2> text;
  };
  std::array<arrow_slot, 256> arrows_;
  std::array<text_fields, 64> field_cache_;
  std::string buf_;
  std::string err_;
  std::string text_;
  decoder::json_context ctx_;
};

}  // namespace

bool for_each_pdu(const std::string& path, offline_handler& h, offline_stats* stats, std::string& error,
                  const offline_limits& limits) {
  offline_stats local;
  offline_stats& st = stats ? *stats : local;
  std::unique_ptr<pcap_file_reader> r = pcap_file_reader::open(path, error);
  if (!r) return false;
  // One stream's out-of-order octets stay well inside the global bound.
  tcp_reassembler tr({.max_buffered_per_direction =
                          std::max<std::size_t>(1024, std::min<std::size_t>(4u << 20, limits.max_state_bytes / 4)),
                      .in_order_fast_path = limits.in_order_fast_path});
  walker w(h, st);
  auto on_data = [&](const tcp_reassembler::data_chunk& c) { w.chunk(c); };
  auto state_bytes = [&] {
    return tr.buffered_bytes() + w.framer_bytes() + tr.live_streams() * offline_stream_overhead;
  };
  raw_packet pkt;
  const int lt = r->linktype();
  while (r->next(pkt)) {
    ++st.packets;
    const auto seg = parse_tcp_packet(lt, pkt.data, pkt.ts_us);
    if (!seg) continue;
    ++st.tcp_segments;
    tr.feed(*seg, on_data);
    // Over a bound: forget the idlest streams (never the one just fed: it is the most recent).
    while (tr.live_streams() > 1 &&
           (tr.live_streams() > limits.max_streams || state_bytes() > limits.max_state_bytes)) {
      const auto gone = tr.evict_idlest(on_data);
      if (!gone) break;
      w.forget(*gone);
      if (st.evicted_streams++ == 0 && limits.on_first_eviction) {
        limits.on_first_eviction("more than " + std::to_string(limits.max_streams) + " live TCP streams or " +
                                 std::to_string(limits.max_state_bytes >> 20) +
                                 " MiB of reassembly state: the idlest streams are flushed and forgotten "
                                 "(counted in --stats)");
      }
    }
    st.peak_live_streams = std::max<std::uint64_t>(st.peak_live_streams, tr.live_streams());
    st.peak_state_bytes = std::max<std::uint64_t>(st.peak_state_bytes, state_bytes());
  }
  tr.finish(on_data);
  st.streams = tr.stream_count();
  st.gaps = tr.gaps();
  st.empty_streams_dropped = tr.empty_streams_dropped();
  if (!r->error().empty() && st.packets == 0) {
    error = path + ": " + r->error();
    return false;
  }
  // A read error after some packets (e.g. a truncated last record) ends the walk; what was read
  // is still reported.
  return true;
}

bool decode_pcap_file(const std::string& path, std::FILE* out, const decode_output_options& opt,
                      offline_stats* stats, std::string& error) {
  printer p(out, opt);
  if (!for_each_pdu(path, p, stats, error, opt.limits)) return false;
  if (opt.diagnose) {
    // The same file through the one analysis pipeline: sessions, diagnostics and their alerts,
    // ticking on the capture's own times. Its ring only has to hold what the diagnostics read.
    pipeline_options po;
    po.ring = {.max_events = 1024, .max_bytes = 4u << 20};
    po.max_closed_sessions = 16;
    po.diagnostics = opt.diag;
    po.analyzer.on_alert = [&p](const alert_event& a) { p.alert(a); };
    pipeline pl(std::move(po));
    capture_file_options co;
    co.first_session_id = 0;  // session = stream index, as on the PDU lines
    co.limits = opt.limits;
    co.limits.on_first_eviction = nullptr;  // said once already, by the first pass
    if (!feed_capture_file(pl, path, co, nullptr, error)) return false;
    pl.finish();
  }
  if (!p.flush() || std::fflush(out) != 0) {
    error = "cannot write the output";
    return false;
  }
  return true;
}

}  // namespace smppscope::analysis
