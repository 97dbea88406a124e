#include "smppscope/analysis/pcap_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>
#include <unordered_map>

#include "detail/pcap_comments.hpp"
#include "detail/pcap_dir.hpp"
#include "detail/pcap_synth.hpp"
#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::analysis {

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
  // CMPP never carries a secret (CONNECT sends an MD5 digest), and its 12-octet header does not
  // frame as SMPP: a CMPP session is written as relayed, without the SMPP password scanner.
  bool checked = false;
  bool cmpp = false;
};

// Prepares one direction's octets for writing: held-back octets first, redaction, then holds
// back a trailing partial header. `scratch` is reused. Returns what to write now.
std::span<const std::uint8_t> prepare(session_streams& s, direction d, std::span<const std::uint8_t> in,
                                      bool redact, std::vector<std::uint8_t>& scratch) {
  if (!s.checked) {  // the session's first octets: its first PDU says SMPP or CMPP
    s.checked = true;
    s.cmpp = decoder::cmpp::sniff(in) == decoder::cmpp::wire_protocol::cmpp;
  }
  if (s.cmpp) return in;
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
  // Without `redact` the scanner only reads, so the const_cast never leads to a write. Out of
  // sync it hunts for the next header, so masking resumes after garbage.
  sc.feed(const_cast<std::uint8_t*>(out.data()) + held, out.size() - held, d, redact);
  const std::size_t keep = sc.partial_header();
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

std::optional<std::int64_t> parse_duration_seconds(std::string_view s) noexcept {
  std::int64_t unit = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: unit = 0;
    }
    if (unit) s.remove_suffix(1);
    else unit = 1;
  }
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v * unit;  // at most 10^12 weeks: no overflow
}

std::optional<pcap_format> parse_pcap_format(std::string_view s) noexcept {
  if (s == "pcap") return pcap_format::pcap;
  if (s == "pcapng") return pcap_format::pcapng;
  return std::nullopt;
}

std::string_view pcap_format_extension(pcap_format f) noexcept {
  return f == pcap_format::pcapng ? ".pcapng" : ".pcap";
}

std::optional<pcap_legs> parse_pcap_legs(std::string_view s) noexcept {
  if (s == "both") return pcap_legs::both;
  if (s == "client") return pcap_legs::client;
  if (s == "upstream") return pcap_legs::upstream;
  return std::nullopt;
}

namespace {
bool disk_full(int err) { return err == ENOSPC || err == EDQUOT; }
}  // namespace

struct pcap_writer::impl {
  pcap_writer_options opt;
  std::unique_ptr<detail::pcap_dir> dir;
  counting_file_out out;
  null_out discard;
  std::unique_ptr<char[]> iobuf;
  std::string name;  // the current file's name in `dir`, while one is open
  std::filesystem::path path;
  mutable std::mutex path_mu;
  std::int64_t file_start_us = 0;
  std::uint64_t file_index = 0;
  // Octets of the current file known to be on disk: always a record boundary (flushes happen
  // between records), so a failed file is cut back to a valid pcap.
  std::uint64_t synced = 0;
  std::uint64_t payload_since_sync = 0, records_since_sync = 0;
  bool dirty = false;
  bool paused = false;
  bool pause_logged = false;
  int last_error = 0;
  std::int64_t retry_at_us = 0;
  std::int64_t backoff_us = 0;
  std::uint64_t others_bytes = 0;  // our other files, as of the last retention scan
  std::int64_t next_age_check_us = 0;
  std::int64_t last_scan_us = 0;
  packet_writer pw;
  std::unordered_map<std::uint64_t, session_streams> sessions;
  std::vector<std::uint8_t> scratch;

  // pcapng: the one record held back until the analysis has spoken about it (see the header).
  bool held = false;
  tap_record held_rec;
  std::vector<std::uint8_t> held_bytes;
  std::vector<std::string> held_comments;       // said about it so far
  std::vector<std::uint64_t> held_pdu_events;   // its PDUs' ring events (for the lints)
  detail::pcap_comments comments;
  const event_ring* ring = nullptr;              // from the first observer callback
  std::uint64_t ring_seen = 0;                   // events up to here were turned into comments

  std::atomic<std::uint64_t> files{0}, dropped_bytes{0}, dropped_records{0}, write_errors{0}, bytes{0}, packets{0};
  std::atomic<std::uint64_t> deleted_files{0}, deleted_bytes{0};
  std::atomic<bool> paused_flag{false};

  // A new file under the next free name; an existing file or symlink there is left untouched.
  bool open_file(std::int64_t ts_us) {
    int fd = -1;
    std::string n;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      n = opt.file_prefix + "-" + utc_stamp(ts_us) + "-" + std::to_string(++file_index) +
          std::string(pcap_format_extension(opt.format));
      fd = dir->create(n);
      if (fd >= 0 || errno != EEXIST) break;
      if (attempt == 0)
        std::fprintf(stderr, "smppscope: pcap: %s already exists; left untouched, using the next free name\n",
                     (*dir / n).c_str());
    }
    if (fd < 0) {
      fail(ts_us, *dir / n, errno);
      return false;
    }
    std::FILE* f = ::fdopen(fd, "wb");  // "w" on a descriptor truncates nothing
    if (!f) {
      const int err = errno;
      ::close(fd);
      dir->remove(n);
      fail(ts_us, *dir / n, err);
      return false;
    }
    if (!iobuf) iobuf.reset(new char[1 << 20]);
    std::setvbuf(f, iobuf.get(), _IOFBF, 1 << 20);
    out.f = f;
    out.count = 0;
    synced = 0;
    payload_since_sync = records_since_sync = 0;
    file_start_us = ts_us;
    name = n;
    {
      const std::lock_guard lock(path_mu);
      path = *dir / n;
    }
    files.fetch_add(1, std::memory_order_relaxed);
    // Flushed at once: a disk that cannot take the header is found now, and the file removed.
    if (!detail::write_file_header(out, opt.format) || std::fflush(f) != 0) {
      fail(ts_us, current(), errno);
      return false;
    }
    synced = out.count;
    dirty = false;
    bytes.store(bytes_total_ + out.count, std::memory_order_relaxed);
    return true;
  }

  std::filesystem::path current() const {
    const std::lock_guard lock(path_mu);
    return path;
  }

  void forget_path() {
    name.clear();
    const std::lock_guard lock(path_mu);
    path.clear();
  }

  void mark_synced() {
    synced = out.count;
    payload_since_sync = records_since_sync = 0;
    dirty = false;
  }

  void close_file() {  // after a successful flush
    if (!out.f) return;
    std::fclose(out.f);
    out.f = nullptr;
    bytes_total_ += out.count;
    forget_path();
  }

  // After a write error: cut the file back to its last complete record on disk, or remove it
  // when it holds none, so retries never leave empty or torn files behind.
  void abandon_file() {
    if (!out.f) return;
    const int fd = ::dup(::fileno(out.f));
    std::fclose(out.f);  // may write part of the buffer: cut off below
    out.f = nullptr;
    if (synced <= detail::file_header_size(opt.format)) {
      dir->remove(name);
    } else {
      if (fd >= 0 && ::ftruncate(fd, off_t(synced)) != 0) {
        // Left as it is: Wireshark reads up to the torn record and says the file was cut short.
      }
      bytes_total_ += synced;
    }
    if (fd >= 0) ::close(fd);
    dropped_bytes.fetch_add(payload_since_sync, std::memory_order_relaxed);
    dropped_records.fetch_add(records_since_sync, std::memory_order_relaxed);
    payload_since_sync = records_since_sync = 0;
    bytes.store(bytes_total_, std::memory_order_relaxed);
    forget_path();
  }

  void schedule_retry(std::int64_t now) {
    retry_at_us = now + backoff_us;
    backoff_us = std::min(backoff_us * 2, std::max(opt.retry_max_us, opt.retry_after_us));
  }

  // Never throws: pause, count, log once, retry later.
  void fail(std::int64_t now, const std::filesystem::path& p, int err) {
    write_errors.fetch_add(1, std::memory_order_relaxed);
    if (!pause_logged) {
      std::fprintf(stderr,
                   "smppscope: pcap: cannot write %s (%s); capture paused (relaying continues), "
                   "retrying from %lld s with back-off\n",
                   p.c_str(), std::strerror(err), static_cast<long long>(backoff_us / 1000000));
      pause_logged = true;
    }
    abandon_file();
    paused = true;
    paused_flag.store(true, std::memory_order_relaxed);
    last_error = err;
    schedule_retry(now);
  }

  // Retention first, then (after a full disk) wait for free space, then a new file.
  bool try_resume(std::int64_t now) {
    apply_retention(now);
    if (disk_full(last_error)) {
      const auto free = dir->free_bytes();
      if (free && *free < opt.resume_free_bytes) {
        schedule_retry(now);
        return false;
      }
    }
    if (!open_file(now)) return false;  // fail() scheduled the next retry
    paused = false;
    paused_flag.store(false, std::memory_order_relaxed);
    pause_logged = false;
    std::fprintf(stderr, "smppscope: pcap: capture resumed in %s (%llu relayed chunks, %llu octets dropped so far)\n",
                 current().c_str(), static_cast<unsigned long long>(dropped_records.load()),
                 static_cast<unsigned long long>(dropped_bytes.load()));
    return true;
  }

  // Deletes the oldest of our own files (never the current one) while over --pcap-max-total-mb,
  // and any older than --pcap-max-age.
  void apply_retention(std::int64_t now) {
    if (!opt.max_total_bytes && !opt.max_age_seconds) return;
    last_scan_us = now;
    next_age_check_us = now + opt.retention_every_us;
    const std::vector<detail::own_file> own = dir->own_files();
    const bool open = out.f != nullptr;
    std::uint64_t total = open ? out.count : 0;
    for (const auto& f : own)
      if (!open || f.name != name) total += f.size;
    std::uint64_t n = 0, freed = 0;
    for (const auto& f : own) {
      if (open && f.name == name) continue;
      const bool too_old = opt.max_age_seconds && now - f.mtime_us > opt.max_age_seconds * 1'000'000;
      const bool too_big = opt.max_total_bytes && total > opt.max_total_bytes;
      if (!too_old && !too_big) continue;
      if (!dir->remove(f.name)) continue;
      total -= f.size;
      ++n;
      freed += f.size;
    }
    others_bytes = total - (open ? out.count : 0);
    if (!n) return;
    deleted_files.fetch_add(n, std::memory_order_relaxed);
    deleted_bytes.fetch_add(freed, std::memory_order_relaxed);
    std::fprintf(stderr, "smppscope: pcap: retention removed the %llu oldest capture file(s), %llu KiB, from %s\n",
                 static_cast<unsigned long long>(n), static_cast<unsigned long long>(freed / 1024),
                 dir->path().c_str());
  }

  void retention_if_due(std::int64_t now) {
    const bool age_due = opt.max_age_seconds && now >= next_age_check_us;
    const bool over = opt.max_total_bytes && others_bytes && others_bytes + out.count > opt.max_total_bytes &&
                      now - last_scan_us >= 1'000'000;
    if (age_due || over) apply_retention(now);
  }

  // Runs one packet-writing step; on a write error pauses capture.
  template <class F>
  void step(std::int64_t ts_us, std::size_t payload, F&& f) {
    if (paused || !out.f) {
      f(static_cast<byte_out&>(discard));
      return;
    }
    const std::uint64_t before = pw.packets;
    if (!f(static_cast<byte_out&>(out))) {
      fail(ts_us, current(), errno);
      return;
    }
    (void)payload;
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
    mark_synced();
    close_file();
    if (open_file(ts_us)) apply_retention(ts_us);
  }

  void write(const tap_record& r);  // the record's packets, with held_comments (pcapng)
  void hold(const tap_record& r);
  void commit();         // writes the held record
  void collect_events();  // ring events since ring_seen -> comments

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
  impl& m = *impl_;
  m.opt = std::move(opt);
  m.backoff_us = m.opt.retry_after_us;
  m.pw.format = m.opt.format;
  m.dir = std::make_unique<detail::pcap_dir>(m.opt.dir, m.opt.file_prefix);  // throws: a clear error
  const std::int64_t now = now_us();
  m.apply_retention(now);
  m.pause_logged = true;  // a failure here is reported below, not as a pause
  const bool opened = m.open_file(now);
  m.pause_logged = false;
  if (opened) return;
  if (!disk_full(m.last_error))
    throw std::runtime_error("--pcap-dir " + m.dir->path().string() + ": cannot create a pcap file there (" +
                             std::strerror(m.last_error) + ")");
  std::fprintf(stderr, "smppscope: pcap: %s is full (%s); capture starts paused (relaying continues), retrying with back-off\n",
               m.dir->path().c_str(), std::strerror(m.last_error));
  m.pause_logged = true;
}

pcap_writer::~pcap_writer() {
  impl_->ring = nullptr;  // the ring may be gone already; analyzer.stop() collected its events
  close();
}

void pcap_writer::close() {
  impl& m = *impl_;
  if (m.opt.format == pcap_format::pcapng) m.commit();
  if (!m.out.f) return;
  if (std::fflush(m.out.f) != 0) {
    m.fail(now_us(), m.current(), errno);
    return;
  }
  m.mark_synced();
  m.close_file();
}

void pcap_writer::on_record(const tap_record& r) {
  impl& m = *impl_;
  if (m.opt.format == pcap_format::pcap) {
    m.write(r);
    return;
  }
  m.commit();
  m.hold(r);
}

void pcap_writer::impl::hold(const tap_record& r) {
  held_rec = r;
  held_bytes.assign(r.bytes.begin(), r.bytes.end());
  held_rec.bytes = held_bytes;
  held = true;
}

void pcap_writer::impl::collect_events() {
  if (!ring) return;
  const std::uint64_t upper = ring->last_id();  // the ring is written on this thread only
  const event_filter keep = [upper](const event_info& e) {
    return e.id <= upper && (e.type == event_type::alert || e.type == event_type::alert_cleared ||
                             e.type == event_type::malformed || e.type == event_type::capture_gap);
  };
  while (ring_seen < upper) {
    const std::vector<event> evs = ring->read_since(ring_seen, 64, keep);
    if (evs.empty()) break;
    for (const event& e : evs) {
      ring_seen = e.id;
      std::string t = detail::pcap_comments::event_comment(e);
      // Said while the held chunk was analysed (same session, same timestamp): on its packet.
      if (held && held_rec.kind == record_kind::data && e.session == held_rec.session && e.ts_us == held_rec.ts_us)
        held_comments.push_back(std::move(t));
      else
        comments.queue(e.session, std::move(t));
    }
  }
  ring_seen = upper;
}

void pcap_writer::impl::commit() {
  collect_events();
  if (!held) return;
  held = false;
  if (opt.annotate) {
    std::string members;
    for (const std::uint64_t id : held_pdu_events) {
      event_info info;
      info.id = id;
      info.type = event_type::pdu;
      info.session = held_rec.session;
      info.ts_us = held_rec.ts_us;
      members.clear();
      opt.annotate->append_members(members, info);
      detail::pcap_comments::lint_comments(members, held_comments);
    }
  }
  held_pdu_events.clear();
  write(held_rec);
  held_comments.clear();
}

void pcap_writer::on_pdu(const pdu_info& p, analysis_context& ctx) {
  impl& m = *impl_;
  if (m.opt.format != pcap_format::pcapng) return;
  m.ring = &ctx.ring();
  if (!m.held || m.held_rec.session != p.session) return;  // not from the held record: cannot be
  std::string t = m.comments.on_pdu(p.session, p.dir, p.ts_us, p.frame);
  if (!t.empty()) m.held_comments.push_back(std::move(t));
  if (p.event_id && m.held_pdu_events.size() < detail::max_comments_per_packet) m.held_pdu_events.push_back(p.event_id);
}

void pcap_writer::on_tick(std::int64_t, analysis_context& ctx) {
  if (impl_->opt.format == pcap_format::pcapng) impl_->ring = &ctx.ring();
}

void pcap_writer::impl::write(const tap_record& r) {
  impl& m = *this;
  m.maybe_rotate(r.ts_us);
  switch (r.kind) {
    case record_kind::session_open: {
      m.sessions.erase(r.session);
      m.streams_for(r.session, r.ts_us, &r);
      return;
    }
    case record_kind::data: {
      session_streams& s = m.streams_for(r.session, r.ts_us, nullptr);
      const int side = r.dir == direction::esme_to_smsc ? 0 : 1;
      if (r.lost_before) {
        // The tap dropped octets before these: what was held goes out first, then the sequence
        // numbers jump over the hole, so readers see "previous segment not captured" (the truth)
        // rather than a stream that joins across it.
        const std::size_t held = s.held_len[side];
        s.held_len[side] = 0;
        s.scanner[side].lost_octets();  // PDU boundaries are unknown after the hole: hunt
        for (int l = 0; l < 2; ++l) {
          if (!leg_enabled(m.opt.legs, l)) continue;
          if (held) {
            const std::span<const std::uint8_t> rest(s.held[side], held);
            m.step(r.ts_us, rest.size(), [&](byte_out& o) { return m.pw.data(o, s.leg[l], side, r.ts_us, rest); });
          }
          detail::packet_writer::skip(s.leg[l], side, r.lost_before);
        }
      }
      const std::span<const std::uint8_t> payload = prepare(s, r.dir, r.bytes, m.opt.redact_passwords, m.scratch);
      if (m.opt.format == pcap_format::pcapng) {
        std::vector<std::string>& c = m.pw.comments;
        c.clear();
        m.comments.take(r.session, c);
        if (r.lost_before)
          c.push_back("lossy: " + std::to_string(r.lost_before) + " octets of " + std::string(direction_name(r.dir)) +
                      " not captured before this packet (capture gap)");
        for (std::string& t : m.held_comments) c.push_back(std::move(t));
        if (payload.empty()) {  // all held back (a partial header): the next packet says it
          for (std::string& t : c) m.comments.queue(r.session, std::move(t));
          c.clear();
        }
      }
      if (payload.empty()) return;
      for (int l = 0; l < 2; ++l) {
        if (!leg_enabled(m.opt.legs, l)) continue;
        m.step(r.ts_us, payload.size(),
               [&](byte_out& o) { return m.pw.data(o, s.leg[l], side, r.ts_us, payload); });
      }
      m.pw.comments.clear();
      if (m.paused || !m.out.f) {  // paused before, or the write just failed
        m.dropped_records.fetch_add(1, std::memory_order_relaxed);
        m.dropped_bytes.fetch_add(payload.size(), std::memory_order_relaxed);
      } else {  // on disk at the next flush; dropped if that flush fails
        ++m.records_since_sync;
        m.payload_since_sync += payload.size();
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
        m.pw.comments.clear();  // what is still waiting goes on the first leg's FIN
        if (m.opt.format == pcap_format::pcapng) m.comments.take(r.session, m.pw.comments);
        m.step(r.ts_us, 0, [&](byte_out& o) { return m.pw.fin(o, s.leg[l], r.ts_us); });
      }
      m.pw.comments.clear();
      m.comments.forget(r.session);
      m.sessions.erase(it);
      return;
    }
    case record_kind::upstream_failure: return;  // no SMPP was relayed
  }
}

void pcap_writer::on_batch_end(std::int64_t now) {
  impl& m = *impl_;
  if (m.opt.format == pcap_format::pcapng) m.commit();
  if (m.paused) {
    if (now < m.retry_at_us) return;
    if (!m.try_resume(now)) return;  // still paused until the next retry
  }
  m.maybe_rotate(now);
  if (m.out.f && m.dirty) {
    if (std::fflush(m.out.f) != 0) {
      m.fail(now, m.current(), errno);
      return;
    }
    if (m.records_since_sync) m.backoff_us = m.opt.retry_after_us;  // writing again for real
    m.mark_synced();
  }
  if (m.out.f) m.retention_if_due(now);
}

pcap_writer_stats pcap_writer::stats() const noexcept {
  pcap_writer_stats s;
  s.files = impl_->files.load(std::memory_order_relaxed);
  s.packets = impl_->packets.load(std::memory_order_relaxed);
  s.bytes = impl_->bytes.load(std::memory_order_relaxed);
  s.dropped_bytes = impl_->dropped_bytes.load(std::memory_order_relaxed);
  s.dropped_records = impl_->dropped_records.load(std::memory_order_relaxed);
  s.write_errors = impl_->write_errors.load(std::memory_order_relaxed);
  s.deleted_files = impl_->deleted_files.load(std::memory_order_relaxed);
  s.deleted_bytes = impl_->deleted_bytes.load(std::memory_order_relaxed);
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
  detail::pcap_comments comments;
  // pcapng: the last pdu event, held until the next event, so what the analysis said about it
  // (alerts that follow it in the ring with its session and timestamp) goes on its packet.
  std::optional<event> held;
  std::vector<std::string> held_comments;

  bool add(byte_out& out, const event& e) {
    pw.format = opt.format;
    if (opt.format == pcap_format::pcap) return write(out, e);
    if (e.type != event_type::pdu) {
      std::string t = detail::pcap_comments::event_comment(e);
      if (t.empty()) return true;
      if (held && held->session == e.session && held->ts_us == e.ts_us) held_comments.push_back(std::move(t));
      else if (sessions.count(e.session)) comments.queue(e.session, std::move(t));  // on its next packet
      return true;
    }
    const bool ok = flush(out);
    held = e;
    return ok;
  }

  bool flush(byte_out& out) {
    if (!held) return true;
    const bool ok = write(out, *held);
    held.reset();
    held_comments.clear();
    return ok;
  }

  bool write(byte_out& out, const event& e) {
    const bool ng = opt.format == pcap_format::pcapng;
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
    // Each event is one framed PDU: realign, so an event at odds with its command_length cannot
    // hide the next one's password.
    if (!s.held_len[int(*e.dir)]) s.scanner[int(*e.dir)].at_pdu_start();
    if (e.protocol != protocol_smpp) s.checked = s.cmpp = true;
    const std::span<const std::uint8_t> payload = prepare(s, *e.dir, bytes, opt.redact_passwords, scratch);
    const int side = *e.dir == direction::esme_to_smsc ? 0 : 1;
    pw.comments.clear();
    if (ng) {
      comments.take(e.session, pw.comments);
      if (!s.cmpp) {
        std::string t = comments.on_pdu(e.session, *e.dir, e.ts_us, bytes);
        if (!t.empty()) pw.comments.push_back(std::move(t));
      }
      if (opt.annotate) {
        std::string members;
        opt.annotate->append_members(members, e);
        detail::pcap_comments::lint_comments(members, pw.comments);
      }
      for (std::string& t : held_comments) pw.comments.push_back(std::move(t));
      if (payload.empty()) {
        for (std::string& t : pw.comments) comments.queue(e.session, std::move(t));
        pw.comments.clear();
      }
    }
    for (int l = 0; l < 2; ++l)
      if (leg_enabled(opt.legs, l) && !payload.empty()) ok = pw.data(out, s.leg[l], side, e.ts_us, payload) && ok;
    pw.comments.clear();
    return ok;
  }

  bool finish(byte_out& out) {
    bool ok = flush(out);
    pw.format = opt.format;
    for (const std::uint64_t id : order) {
      session_streams& s = sessions[id];
      pw.comments.clear();
      if (opt.format == pcap_format::pcapng) comments.take(id, pw.comments);
      for (int l = 0; l < 2; ++l) {
        if (leg_enabled(opt.legs, l)) ok = pw.fin(out, s.leg[l], last_ts) && ok;
        pw.comments.clear();  // on the first leg's FIN only
      }
      comments.forget(id);
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

void pcap_export::header(std::string& out, pcap_format f) {
  detail::string_out o(out);
  detail::write_file_header(o, f);
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
  bool ok = detail::write_file_header(out, opt.format);
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

}  // namespace smppscope::analysis
