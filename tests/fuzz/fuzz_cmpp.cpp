// libFuzzer target for the CMPP decoder and version detector. The first input octet picks the
// version to decode with (and seeds the detector's fallback); the rest is a CMPP byte stream. It is
// framed whole and in input-derived chunks (the frames must be the same), and in resync mode; every frame is decoded
// with both layouts, rendered as JSON, re-encoded (the encoding of a cleanly decoded frame must be
// the frame itself), its message, report and Msg_Id parsed; the version detector and the SMPP/CMPP
// sniffer see every frame and the whole input. Invariants broken -> abort().
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/cmpp_json.hpp"
#include "smppscope/decoder/framer.hpp"

namespace {

namespace d = smppscope::decoder;
namespace c = smppscope::decoder::cmpp;

void require(bool ok) {
  if (!ok) std::abort();
}

bool inside(d::bytes_view part, d::bytes_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_frame(d::bytes_view frame, c::version v) {
  c::pdu p;
  const c::decode_error e = c::decode(frame, v, p);
  if (e) {
    require(!e.field.empty());
    require(e.offset <= frame.size());
    require(e.message(p).find(std::string(e.field)) != std::string::npos);
  }
  require(inside(p.body, frame) && inside(p.trailing, frame));
  for (std::size_t i = 0; i < p.field_count; ++i) {
    require(inside(p.fields[i].raw, frame));
    require(inside(p.fields[i].bytes, p.fields[i].raw) || p.fields[i].bytes.empty());
  }
  for (std::size_t i = 0; i < p.dest_count(); ++i) require(p.dest_terminal_id(i).size() <= 32);
  if (!e && p.spec) {
    c::encode_result r = c::encode(p, v);
    require(static_cast<bool>(r));
    // Octets past the last field are not part of the layout: the encoding stops before them.
    require(r.bytes.size() + p.trailing.size() == frame.size());
    require(std::equal(r.bytes.begin() + 4, r.bytes.end(), frame.begin() + 4));
    c::pdu again;
    require(!c::decode(r.bytes, v, again));
    require(again.field_count == p.field_count);
    // Written with the other version's layout, it must decode with that layout.
    const c::version other = v == c::version::v20 ? c::version::v30 : c::version::v20;
    const c::encode_result t = c::encode(p, other);
    if (t) {
      c::pdu q;
      require(!c::decode(t.bytes, other, q));
    }
  }
  if (const auto m = c::find_message(p)) {
    require(inside(m->text_octets, m->user_data));
    const d::decoded_text t = c::decode_text(m->text_octets, p.msg_fmt().value_or(0));
    (void)t;
  }
  if (p.is_status_report()) {
    if (const auto r = c::parse_status_report(p.msg_content(), p.ver)) {
      require(c::format_status_report(*r, p.ver).size() == c::status_report_size(p.ver));
    }
  }
  if (const auto id = p.msg_id()) require(c::pack_msg_id(c::unpack_msg_id(*id)) == *id);
  std::string json;
  d::json_context ctx;
  ctx.direction = "esme_to_smsc";
  c::append_pdu_json(json, p, frame, ctx);
  require(json.size() >= 2 && json.front() == '{' && json.back() == '}');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const c::version v = (data[0] & 1) ? c::version::v30 : c::version::v20;
  const d::bytes_view in(data + 1, size - 1);
  (void)c::sniff(in);
  (void)c::examine(in);
  c::version_detector det(v);
  const d::framer_layout layout{static_cast<std::uint32_t>(c::header_size), &c::known_command};

  // Stop mode: framing does not depend on how the stream is cut, so whole and chunked agree.
  std::vector<std::vector<std::uint8_t>> whole, chunked;
  d::framer f1(c::max_pdu_size, d::framer_mode::stop, layout);
  f1.feed(in, [&](d::bytes_view fr) {
    whole.emplace_back(fr.begin(), fr.end());
    require(fr.size() >= c::header_size);
    const c::version dv = det.observe(fr);
    check_frame(fr, dv);
    check_frame(fr, dv == c::version::v20 ? c::version::v30 : c::version::v20);
  });
  d::framer f2(c::max_pdu_size, d::framer_mode::stop, layout);
  const auto next_step = [](std::size_t step) { return step * 7 % 31 + 1; };
  std::size_t pos = 0, step = 1 + data[0] % 13;
  while (pos < in.size()) {
    const std::size_t n = std::min(step, in.size() - pos);
    f2.feed(in.subspan(pos, n), [&](d::bytes_view fr) { chunked.emplace_back(fr.begin(), fr.end()); });
    pos += n;
    step = next_step(step);
  }
  require(whole == chunked);
  // Resync mode: where framing resumes may depend on where the input paused (a candidate that
  // ends exactly where the octets seen so far end is taken, as on a live link), so only the
  // frames themselves are checked: in bounds and decodable without a crash.
  d::framer f3(c::max_pdu_size, d::framer_mode::resync, layout);
  c::version_detector det3(v);
  pos = 0;
  step = 1 + data[0] % 13;
  while (pos < in.size()) {
    const std::size_t n = std::min(step, in.size() - pos);
    f3.feed(in.subspan(pos, n), [&](d::bytes_view fr) {
      require(fr.size() >= c::header_size && fr.size() <= c::max_pdu_size);
      check_frame(fr, det3.observe(fr));
    });
    pos += n;
    step = next_step(step);
  }
  check_frame(in, v);
  return 0;
}
