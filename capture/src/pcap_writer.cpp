#include "smppscope/capture/pcap_writer.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>
#include <unordered_map>

#include "detail/pcap_synth.hpp"
#include "smppscope/capture/analyzer.hpp"
#include "smppscope/capture/session_table.hpp"

namespace smppscope::capture {

namespace {

using detail::byte_out;
using detail::packet_writer;
using detail::pdu_scanner;
using detail::tcp_leg;

class null_out final : public byte_out {
 public:
  bool write(const void*, std::size_t) override { return true; }
};

class counting_file_out final : public byte_out {
 public:
  std::FILE* f = nullptr;
  std::uint64_t count = 0;
  bool write(const void* p, std::size_t n) override {
    if (std::fwrite(p, 1, n, f) != n) return false;
    count += n;
    return true;
  }
};

std::uint32_t isn_for(std::uint64_t session, unsigned which) {
  std::uint64_t z = session * 0x9E3779B97F4A7C15ull + which * 0xBF58476D1CE4E5B9ull + 0x94D049BB133111EBull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return std::uint32_t(z ^ (z >> 31));
}

bool is_unset(const endpoint& e) {
  static const endpoint zero{};
  return e == zero;
}

// The TCP legs of one session, and per direction: PDU boundaries (for redaction) and the start
// of a PDU header held back until it is complete. Wireshark's SMPP dissector (4.0) drops a PDU
// whose first segment holds fewer than 16 octets, so a chunk that ends inside a header gives
// those octets to the next chunk's segment: same byte stream, every PDU decodable.
struct session_streams {
  tcp_leg leg[2];  // [0] client <-> proxy, [1] proxy <-> SMSC
  pdu_scanner scanner[2];
  std::uint8_t held[2][16] = {};
  std::size_t held_len[2] = {0, 0};
};

// Prepares one direction's octets for writing: held-back octets first, redaction, then holds
// back a trailing partial header. `scratch` is reused. Returns what to write now.
std::span<const std::uint8_t> prepare(session_streams& s, direction d, std::span<const std::uint8_t> in,
                                      bool redact, std::vector<std::uint8_t>& scratch) {
  const int i = static_cast<int>(d);
  pdu_scanner& sc = s.scanner[i];
  std::span<const std::uint8_t> out = in;
  const std::size_t held = s.held_len[i];  // already scanned
  if (held || redact) {
    scratch.assign(s.held[i], s.held[i] + held);
    scratch.insert(scratch.end(), in.begin(), in.end());
    s.held_len[i] = 0;
    out = scratch;
  }
  if (!sc.in_sync()) return out;
  // Without `redact` the scanner only reads, so the const_cast never leads to a write.
  sc.feed(const_cast<std::uint8_t*>(out.data()) + held, out.size() - held, d, redact);
  const std::size_t keep = sc.in_sync() ? sc.partial_header() : 0;
  if (keep && keep <= out.size()) {
    std::copy(out.end() - long(keep), out.end(), s.held[i]);
    s.held_len[i] = keep;
    out = out.first(out.size() - keep);
  }
  return out;
}

void init_streams(session_streams& s, std::uint64_t session, const session_endpoints& ep) {
  s.leg[0].client = ep.client;
  s.leg[0].server = ep.proxy_client_side;
  s.leg[1].client = ep.proxy_upstream_side;
  s.leg[1].server = ep.upstream;
  (void)session;
}

session_endpoints endpoints_or_synthetic(std::uint64_t session, const session_endpoints* known) {
  session_endpoints ep;
  detail::synthetic_endpoints(session, ep.client, ep.proxy_client_side, ep.proxy_upstream_side, ep.upstream);
  if (known) {
    if (!is_unset(known->client)) ep.client = known->client;
    if (!is_unset(known->proxy_client_side)) ep.proxy_client_side = known->proxy_client_side;
    if (!is_unset(known->proxy_upstream_side)) ep.proxy_upstream_side = known->proxy_upstream_side;
    if (!is_unset(known->upstream)) ep.upstream = known->upstream;
  }
  // A leg's two ends must share an IP version; fall back to synthetic IPv4 for a mixed leg.
  session_endpoints syn;
  detail::synthetic_endpoints(session, syn.client, syn.proxy_client_side, syn.proxy_upstream_side, syn.upstream);
  if (ep.client.v6 != ep.proxy_client_side.v6) {
    ep.client = syn.client;
    ep.proxy_client_side = syn.proxy_client_side;
  }
  if (ep.proxy_upstream_side.v6 != ep.upstream.v6) {
    ep.proxy_upstream_side = syn.proxy_upstream_side;
    ep.upstream = syn.upstream;
  }
  return ep;
}

bool leg_enabled(pcap_legs legs, int leg) {
  return legs == pcap_legs::both || (legs == pcap_legs::client && leg == 0) ||
         (legs == pcap_legs::upstream && leg == 1);
}

std::string utc_stamp(std::int64_t ts_us) {
  const std::time_t t = std::time_t(ts_us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

}  // namespace

std::optional<pcap_legs> parse_pcap_legs(std::string_view s) noexcept {
  if (s == "both") return pcap_legs::both;
  if (s == "client") return pcap_legs::client;
  if (s == "upstream") return pcap_legs::upstream;
  return std::nullopt;
}

struct pcap_writer::impl {
  pcap_writer_options opt;
  counting_file_out out;
  null_out discard;
  std::unique_ptr<char[]> iobuf;
  std::filesystem::path path;
  mutable std::mutex path_mu;
  std::int64_t file_start_us = 0;
  std::uint64_t file_index = 0;
  bool dirty = false;
  bool paused = false;
  bool error_logged = false;
  std::int64_t retry_at_us = 0;
  packet_writer pw;
  std::unordered_map<std::uint64_t, session_streams> sessions;
  std::vector<std::uint8_t> scratch;

  std::atomic<std::uint64_t> files{0}, dropped_bytes{0}, write_errors{0}, bytes{0}, packets{0};
  std::atomic<bool> paused_flag{false};

  bool open_file(std::int64_t ts_us) {
    const std::string name = opt.file_prefix + "-" + utc_stamp(ts_us) + "-" + std::to_string(++file_index) + ".pcap";
    std::filesystem::path p = opt.dir / name;
    std::FILE* f = std::fopen(p.c_str(), "wb");
    if (!f) {
      fail(ts_us, p, errno);
      return false;
    }
    if (!iobuf) iobuf.reset(new char[1 << 20]);
    std::setvbuf(f, iobuf.get(), _IOFBF, 1 << 20);
    out.f = f;
    out.count = 0;
    file_start_us = ts_us;
    {
      const std::lock_guard lock(path_mu);
      path = std::move(p);
    }
    files.fetch_add(1, std::memory_order_relaxed);
    if (!detail::write_file_header(out)) {
      fail(ts_us, current(), errno);
      return false;
    }
    dirty = true;
    return true;
  }

  std::filesystem::path current() const {
    const std::lock_guard lock(path_mu);
    return path;
  }

  void close_file() {
    if (!out.f) return;
    std::fclose(out.f);  // flushed by the caller; a late error here is reported at the next write
    out.f = nullptr;
    const std::lock_guard lock(path_mu);
    path.clear();
  }

  // Never throws: pause, count, log once, retry later.
  void fail(std::int64_t now, const std::filesystem::path& p, int err) {
    write_errors.fetch_add(1, std::memory_order_relaxed);
    if (!error_logged) {
      std::fprintf(stderr, "smppscope: pcap: cannot write %s (%s); capture paused, retrying every %lld s\n",
                   p.c_str(), std::strerror(err), static_cast<long long>(opt.retry_after_us / 1000000));
      error_logged = true;
    }
    if (out.f) {
      std::fclose(out.f);
      out.f = nullptr;
    }
    {
      const std::lock_guard lock(path_mu);
      path.clear();
    }
    paused = true;
    paused_flag.store(true, std::memory_order_relaxed);
    retry_at_us = now + opt.retry_after_us;
  }

  byte_out& sink() { return paused || !out.f ? static_cast<byte_out&>(discard) : out; }

  // Runs one packet-writing step; on a write error pauses capture.
  template <class F>
  void step(std::int64_t ts_us, std::size_t payload, F&& f) {
    if (paused || !out.f) {
      f(static_cast<byte_out&>(discard));
      dropped_bytes.fetch_add(payload, std::memory_order_relaxed);
      return;
    }
    const std::uint64_t before = pw.packets;
    if (!f(static_cast<byte_out&>(out))) {
      fail(ts_us, current(), errno);
      dropped_bytes.fetch_add(payload, std::memory_order_relaxed);
      return;
    }
    dirty = true;
    packets.fetch_add(pw.packets - before, std::memory_order_relaxed);
    bytes.store(bytes_total_ + out.count, std::memory_order_relaxed);
  }
  std::uint64_t bytes_total_ = 0;  // octets of closed files

  void maybe_rotate(std::int64_t ts_us) {
    if (!out.f || paused) return;
    const bool by_size = opt.rotate_bytes && out.count >= opt.rotate_bytes;
    const bool by_time = opt.rotate_seconds && ts_us - file_start_us >= opt.rotate_seconds * 1000000;
    if (!by_size && !by_time) return;
    if (std::fflush(out.f) != 0) {
      fail(ts_us, current(), errno);
      return;
    }
    bytes_total_ += out.count;
    close_file();
    open_file(ts_us);
  }

  session_streams& streams_for(std::uint64_t session, std::int64_t ts_us, const tap_record* open) {
    auto [it, fresh] = sessions.try_emplace(session);
    session_streams& s = it->second;
    if (!fresh) return s;
    session_endpoints known;
    if (open) known = {open->client, open->proxy_client_side, open->proxy_upstream_side, open->upstream};
    init_streams(s, session, endpoints_or_synthetic(session, open ? &known : nullptr));
    for (int l = 0; l < 2; ++l) {
      if (!leg_enabled(opt.legs, l)) continue;
      step(ts_us, 0, [&](byte_out& o) {
        return pw.handshake(o, s.leg[l], ts_us, isn_for(session, 2 * l), isn_for(session, 2 * l + 1));
      });
    }
    return s;
  }
};

pcap_writer::pcap_writer(pcap_writer_options opt) : impl_(std::make_unique<impl>()) {
  impl_->opt = std::move(opt);
  std::error_code ec;
  std::filesystem::create_directories(impl_->opt.dir, ec);
  if (ec || !std::filesystem::is_directory(impl_->opt.dir))
    throw std::runtime_error("--pcap-dir " + impl_->opt.dir.string() + ": cannot create the directory" +
                             (ec ? " (" + ec.message() + ")" : std::string()));
  if (!impl_->open_file(now_us()))
    throw std::runtime_error("--pcap-dir " + impl_->opt.dir.string() + ": cannot create a pcap file there");
}

pcap_writer::~pcap_writer() { close(); }

void pcap_writer::close() {
  if (!impl_->out.f) return;
  std::fflush(impl_->out.f);
  impl_->bytes_total_ += impl_->out.count;
  impl_->close_file();
}

void pcap_writer::on_record(const tap_record& r) {
  impl& m = *impl_;
  m.maybe_rotate(r.ts_us);
  switch (r.kind) {
    case record_kind::session_open: {
      m.sessions.erase(r.session);
      m.streams_for(r.session, r.ts_us, &r);
      return;
    }
    case record_kind::data: {
      session_streams& s = m.streams_for(r.session, r.ts_us, nullptr);
      const std::span<const std::uint8_t> payload = prepare(s, r.dir, r.bytes, m.opt.redact_passwords, m.scratch);
      if (payload.empty()) return;
      const int side = r.dir == direction::esme_to_smsc ? 0 : 1;
      for (int l = 0; l < 2; ++l) {
        if (!leg_enabled(m.opt.legs, l)) continue;
        m.step(r.ts_us, payload.size(),
               [&](byte_out& o) { return m.pw.data(o, s.leg[l], side, r.ts_us, payload); });
      }
      return;
    }
    case record_kind::session_close: {
      const auto it = m.sessions.find(r.session);
      if (it == m.sessions.end()) return;
      session_streams& s = it->second;
      for (int l = 0; l < 2; ++l) {
        if (!leg_enabled(m.opt.legs, l)) continue;
        for (int side = 0; side < 2; ++side) {  // a header that never completed still goes out
          if (!s.held_len[side]) continue;
          const std::span<const std::uint8_t> rest(s.held[side], s.held_len[side]);
          m.step(r.ts_us, rest.size(), [&](byte_out& o) { return m.pw.data(o, s.leg[l], side, r.ts_us, rest); });
        }
        m.step(r.ts_us, 0, [&](byte_out& o) { return m.pw.fin(o, s.leg[l], r.ts_us); });
      }
      m.sessions.erase(it);
      return;
    }
    case record_kind::upstream_failure: return;  // no SMPP was relayed
  }
}

void pcap_writer::on_batch_end(std::int64_t now) {
  impl& m = *impl_;
  if (m.paused) {
    if (now < m.retry_at_us) return;
    m.paused = false;
    m.paused_flag.store(false, std::memory_order_relaxed);
    if (!m.open_file(now)) return;  // failed again: paused until the next retry
  }
  m.maybe_rotate(now);
  if (m.out.f && m.dirty) {
    if (std::fflush(m.out.f) != 0) {
      m.fail(now, m.current(), errno);
      return;
    }
    m.dirty = false;
    if (m.error_logged && m.out.count > detail::pcap_file_header_size) {
      std::fprintf(stderr, "smppscope: pcap: capture resumed in %s\n", m.current().c_str());
      m.error_logged = false;
    }
  }
}

pcap_writer_stats pcap_writer::stats() const noexcept {
  pcap_writer_stats s;
  s.files = impl_->files.load(std::memory_order_relaxed);
  s.packets = impl_->packets.load(std::memory_order_relaxed);
  s.bytes = impl_->bytes.load(std::memory_order_relaxed);
  s.dropped_bytes = impl_->dropped_bytes.load(std::memory_order_relaxed);
  s.write_errors = impl_->write_errors.load(std::memory_order_relaxed);
  s.paused = impl_->paused_flag.load(std::memory_order_relaxed);
  return s;
}

std::filesystem::path pcap_writer::current_file() const { return impl_->current(); }

// ---- export of ring events ----

endpoints_lookup endpoints_from(const session_table& t) {
  return [&t](std::uint64_t id) -> std::optional<session_endpoints> {
    const auto s = t.get(id);
    if (!s) return std::nullopt;
    return session_endpoints{s->client, s->proxy_client_side, s->proxy_upstream_side, s->upstream};
  };
}

struct pcap_export::impl {
  endpoints_lookup lookup;
  pcap_export_options opt;
  packet_writer pw;
  std::unordered_map<std::uint64_t, session_streams> sessions;
  std::vector<std::uint64_t> order;
  std::vector<std::uint8_t> scratch;
  std::int64_t last_ts = 0;

  bool add(byte_out& out, const event& e) {
    if (e.type != event_type::pdu || !e.dir) return true;
    bool ok = true;
    last_ts = std::max(last_ts, e.ts_us);
    auto [it, fresh] = sessions.try_emplace(e.session);
    session_streams& s = it->second;
    if (fresh) {
      order.push_back(e.session);
      std::optional<session_endpoints> known;
      if (lookup) known = lookup(e.session);
      init_streams(s, e.session, endpoints_or_synthetic(e.session, known ? &*known : nullptr));
      for (int l = 0; l < 2; ++l)
        if (leg_enabled(opt.legs, l))
          ok = pw.handshake(out, s.leg[l], e.ts_us, isn_for(e.session, 2 * l), isn_for(e.session, 2 * l + 1)) && ok;
    }
    const auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(e.payload.data()), e.payload.size());
    const std::span<const std::uint8_t> payload = prepare(s, *e.dir, bytes, opt.redact_passwords, scratch);
    const int side = *e.dir == direction::esme_to_smsc ? 0 : 1;
    for (int l = 0; l < 2; ++l)
      if (leg_enabled(opt.legs, l) && !payload.empty()) ok = pw.data(out, s.leg[l], side, e.ts_us, payload) && ok;
    return ok;
  }

  bool finish(byte_out& out) {
    bool ok = true;
    for (const std::uint64_t id : order) {
      session_streams& s = sessions[id];
      for (int l = 0; l < 2; ++l)
        if (leg_enabled(opt.legs, l)) ok = pw.fin(out, s.leg[l], last_ts) && ok;
    }
    sessions.clear();
    order.clear();
    return ok;
  }
};

pcap_export::pcap_export(endpoints_lookup lookup, pcap_export_options opt)
    : impl_(std::make_unique<impl>()) {
  impl_->lookup = std::move(lookup);
  impl_->opt = opt;
}

pcap_export::~pcap_export() = default;

void pcap_export::header(std::string& out) {
  detail::string_out o(out);
  detail::write_file_header(o);
}

void pcap_export::add(const event& e, std::string& out) {
  detail::string_out o(out);
  impl_->add(o, e);
}

void pcap_export::finish(std::string& out) {
  detail::string_out o(out);
  impl_->finish(o);
}

namespace {

bool export_events(byte_out& out, std::span<const event> events, const endpoints_lookup& lookup,
                   const pcap_export_options& opt) {
  pcap_export::impl m;
  m.lookup = lookup;
  m.opt = opt;
  bool ok = detail::write_file_header(out);
  for (const event& e : events)
    if (!m.add(out, e)) return false;
  return m.finish(out) && ok;
}

}  // namespace

std::string write_pcap(std::span<const event> events, const endpoints_lookup& lookup,
                       const pcap_export_options& opt) {
  std::string s;
  detail::string_out out(s);
  export_events(out, events, lookup, opt);
  return s;
}

bool write_pcap(std::FILE* f, std::span<const event> events, const endpoints_lookup& lookup,
                const pcap_export_options& opt) {
  detail::file_out out(f);
  return export_events(out, events, lookup, opt) && std::fflush(f) == 0;
}

}  // namespace smppscope::capture
