// libFuzzer target for the decoder: the input is fed to a framer both whole and in chunks of
// input-derived sizes (the frames must be the same), and every frame (and the whole input) is
// decoded, its TLVs walked, its lists parsed and the decoded PDU encoded and decoded again.
// Invariants broken -> abort(), which libFuzzer reports as a crash.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace {

namespace d = smppscope::decoder;

void require(bool ok) {
  if (!ok) std::abort();
}

bool inside(d::bytes_view part, d::bytes_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_pdu(d::bytes_view frame) {
  d::pdu p;
  const d::decode_error e = d::decode(frame, p);
  if (e) {
    const std::string m = e.message(p);
    require(m.find(" at offset " + std::to_string(e.offset)) != std::string::npos);
    require(!e.field.empty());
    require(e.offset <= frame.size());
  }
  require(inside(p.body, frame) && inside(p.tlv_region, frame));
  std::size_t walked = 0;
  for (const d::tlv& t : p.tlvs()) {
    require(inside(t.value, p.tlv_region));
    (void)t.integer();
    (void)t.text();
    (void)t.spec();
    walked += 4 + t.value.size();
  }
  require(walked <= p.tlv_region.size());
  (void)p.payload();
  (void)p.message_id();
  (void)p.esm_class();
  (void)p.data_coding();
  if (p.spec) {
    require(p.field_count <= p.spec->fields.size());
    for (std::size_t i = 0; i < p.field_count; ++i) {
      const auto& f = p.spec->fields[i];
      require(inside(p.fields[i].bytes, frame));
      require(p.field(f.name) != nullptr);
      const std::uint32_t count = i > 0 ? p.fields[i - 1].integer : 0;
      if (f.type == d::field_type::dest_list) require(d::parse_dest_list(p.fields[i].bytes, count).size() == count);
      if (f.type == d::field_type::unsuccess_list)
        require(d::parse_unsuccess_list(p.fields[i].bytes, count).size() == count);
    }
  }
  // Encode what was decoded. A clean decode must come back byte for byte (a C-Octet String that
  // lacked its NUL gets one, so that case is compared field by field).
  const std::vector<std::uint8_t> out = d::encode(p);
  d::pdu q;
  const d::decode_error e2 = d::decode(out, q);
  if (!e) {
    require(!e2);
    require(q.field_count == p.field_count);
    for (std::size_t i = 0; i < p.field_count; ++i) require(q.fields[i] == p.fields[i]);
    if (!p.has_lint(d::lint::c_string_without_nul)) {
      require(out.size() == frame.size() && std::memcmp(out.data(), frame.data(), out.size()) == 0);
      require(q == p);
      require(q.lints == p.lints);
    }
  }
}

struct framed {
  std::vector<std::vector<std::uint8_t>> frames;
  bool ok = true;
  d::framer_error error;
};

template <class NextSize>
framed run_framer(d::bytes_view input, NextSize&& next_size) {
  framed r;
  d::framer fr(4096);
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t n = std::min(next_size(), input.size() - pos);
    r.ok = fr.feed(input.subspan(pos, n), [&](d::bytes_view f) {
      require(f.size() >= 16 && f.size() <= 4096);
      r.frames.emplace_back(f.begin(), f.end());
    }) && r.ok;
    require(fr.buffered() <= fr.max_pdu());
    pos += n;
  }
  if (!r.ok) {
    r.error = fr.error();
    (void)r.error.message(fr.max_pdu());
  } else {
    require(fr.stream_offset() == input.size());
  }
  return r;
}

// Resync mode with input-derived chunks and capture gaps: frames stay in bounds, the scan state
// stays bounded, and every octet fed is framed, skipped (reported) or still held.
void run_resync(d::bytes_view input, std::uint32_t state) {
  d::framer fr(4096, d::framer_mode::resync);
  std::uint64_t gaps = 0, framed_octets = 0, reported = 0;
  std::size_t pos = 0;
  while (pos < input.size()) {
    state = state * 1103515245u + 12345u;
    const std::size_t n = std::min<std::size_t>(1 + (state >> 16) % 300, input.size() - pos);
    if ((state >> 8) % 13 == 0) {
      const std::uint64_t lost = (state >> 4) % 50;
      fr.gap(lost);
      gaps += lost;
    }
    require(fr.feed(
        input.subspan(pos, n),
        [&](d::bytes_view f) {
          require(f.size() >= 16 && f.size() <= 4096);
          framed_octets += f.size();
        },
        [&](const d::framer_resync& r) {
          require(r.resumed_at <= fr.stream_offset());
          reported += r.skipped;
        }));
    require(fr.buffered() <= 2 * (std::size_t(fr.max_pdu()) + 8));
    pos += n;
  }
  require(fr.stream_offset() == input.size() + gaps);
  const std::uint64_t held = fr.in_sync() ? fr.buffered() : fr.pending_resync().skipped;
  require(framed_octets + reported + held == input.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const d::bytes_view input(data, size);
  check_pdu(input);

  const framed whole = run_framer(input, [&] { return input.size(); });
  std::uint32_t state = size ? data[size - 1] * 2654435761u + 1 : 1;  // chunk sizes 1..64
  const framed chunked = run_framer(input, [&] {
    state = state * 1103515245u + 12345u;
    return std::size_t(1 + (state >> 16) % 64);
  });
  require(whole.frames == chunked.frames);
  require(whole.ok == chunked.ok);
  require(whole.error.code == chunked.error.code && whole.error.stream_offset == chunked.error.stream_offset &&
          whole.error.command_length == chunked.error.command_length);
  for (const auto& f : whole.frames) check_pdu(f);
  run_resync(input, state);
  return 0;
}
