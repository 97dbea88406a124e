// framer: any chunking gives the same frames; bad lengths stop it at the right stream offset;
// frames inside one chunk are not copied; the buffer grows only with what arrived.
#include "smppscope/decoder/framer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "sample_pdus.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder {
namespace {

using test::from_hex;
using test::octets;

struct stream {
  octets bytes;
  std::vector<octets> pdus;
};

stream make_stream() {
  stream s;
  for (const char* v : {"smpp_bind_transceiver", "smpp_bind_transceiver_resp", "smpp_enquire_link", "smpp_deliver_sm_dlr",
                        "smpp_submit_sm_resp_error_header_only", "smpp_broadcast_sm_v50", "smpp_submit_sm_gsm7_alphabet_unpacked"})
    s.pdus.push_back(test::vector_pdu(v));
  for (const auto& spec : all_pdus()) s.pdus.push_back(test::make_sample(spec, 0).wire);
  for (const auto& p : s.pdus) s.bytes.insert(s.bytes.end(), p.begin(), p.end());
  return s;
}

// Feeds `bytes` in chunks whose sizes come from `next_size`; returns the frames handed out.
template <class NextSize>
std::vector<octets> run(framer& fr, const octets& bytes, NextSize&& next_size, bool* ok = nullptr) {
  std::vector<octets> frames;
  std::size_t pos = 0;
  bool good = true;
  while (pos < bytes.size()) {
    const std::size_t n = std::min(next_size(), bytes.size() - pos);
    good = fr.feed(std::span(bytes.data() + pos, n), [&](bytes_view f) { frames.emplace_back(f.begin(), f.end()); }) && good;
    pos += n;
  }
  if (ok) *ok = good;
  return frames;
}

TEST(framer, every_chunk_size_gives_the_same_frames) {
  const stream s = make_stream();
  ASSERT_GT(s.bytes.size(), 1000u);
  for (std::size_t k = 1; k <= s.bytes.size(); k += (k < 300 ? 1 : 97)) {
    SCOPED_TRACE("chunk size " + std::to_string(k));
    framer fr;
    bool ok = false;
    const auto frames = run(fr, s.bytes, [k] { return k; }, &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(frames, s.pdus);
    EXPECT_EQ(fr.buffered(), 0u);
    EXPECT_EQ(fr.stream_offset(), s.bytes.size());
    EXPECT_TRUE(fr.in_sync());
  }
  framer whole;
  EXPECT_EQ(run(whole, s.bytes, [&] { return s.bytes.size(); }), s.pdus);
}

TEST(framer, random_chunking) {
  const stream s = make_stream();
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    framer fr;
    std::uniform_int_distribution<std::size_t> size(1, round % 3 == 0 ? 8 : 400);
    ASSERT_EQ(run(fr, s.bytes, [&] { return size(rng); }), s.pdus) << "round " << round;
    ASSERT_EQ(fr.buffered(), 0u);
  }
}

TEST(framer, whole_pdus_in_a_chunk_are_not_copied) {
  const octets one = from_hex("00000010 00000015 00000000 00000009");
  octets chunk;
  for (int i = 0; i < 1000; ++i) chunk.insert(chunk.end(), one.begin(), one.end());
  framer fr;
  std::size_t n = 0;
  ASSERT_TRUE(fr.feed(chunk, [&](bytes_view f) {
    EXPECT_EQ(f.data(), chunk.data() + n * 16);  // a view into the chunk
    EXPECT_EQ(f.size(), 16u);
    ++n;
  }));
  EXPECT_EQ(n, 1000u);
  EXPECT_EQ(fr.buffer_capacity(), 0u);  // nothing was ever buffered
}

TEST(framer, split_header_then_many_pdus) {
  const stream s = make_stream();
  for (std::size_t first : {1u, 2u, 3u, 4u, 5u, 15u, 16u, 17u}) {
    framer fr;
    std::vector<octets> frames;
    auto keep = [&](bytes_view f) { frames.emplace_back(f.begin(), f.end()); };
    ASSERT_TRUE(fr.feed(std::span(s.bytes.data(), first), keep));
    EXPECT_TRUE(frames.empty());
    EXPECT_EQ(fr.buffered(), first);
    ASSERT_TRUE(fr.feed(std::span(s.bytes.data() + first, s.bytes.size() - first), keep));
    EXPECT_EQ(frames, s.pdus);
  }
}

struct bad_case {
  std::uint32_t length;
  framer_errc code;
};

TEST(framer, bad_lengths_stop_it_at_the_right_stream_offset) {
  const octets good = from_hex("00000010 00000015 00000000 00000001 0000001B 80000004 00000000 00000001 3031323334353637383900");
  const bad_case cases[] = {{0, framer_errc::length_too_small},
                            {15, framer_errc::length_too_small},
                            {0xFFFFFFFF, framer_errc::length_too_large},
                            {default_max_pdu + 1, framer_errc::length_too_large}};
  for (const bad_case& c : cases) {
    for (std::size_t chunk : {std::size_t(1), std::size_t(3), std::size_t(7), std::size_t(1000)}) {
      SCOPED_TRACE("length " + std::to_string(c.length) + " chunk " + std::to_string(chunk));
      octets bytes = good;
      for (int i = 3; i >= 0; --i) bytes.push_back(static_cast<std::uint8_t>(c.length >> (8 * i)));
      bytes.insert(bytes.end(), 40, 0x00);
      framer fr;
      bool ok = true;
      const auto frames = run(fr, bytes, [chunk] { return chunk; }, &ok);
      EXPECT_FALSE(ok);
      EXPECT_EQ(frames.size(), 2u);  // the PDUs before the bad header still come out
      EXPECT_FALSE(fr.in_sync());
      EXPECT_EQ(fr.error().code, c.code);
      EXPECT_EQ(fr.error().command_length, c.length);
      EXPECT_EQ(fr.error().stream_offset, good.size());
      const std::string m = fr.error().message(fr.max_pdu());
      EXPECT_NE(m.find("command_length " + std::to_string(c.length)), std::string::npos) << m;
      EXPECT_NE(m.find("at stream offset " + std::to_string(good.size())), std::string::npos) << m;
      // out of sync: further input is ignored until reset()
      int more = 0;
      EXPECT_FALSE(fr.feed(good, [&](bytes_view) { ++more; }));
      EXPECT_EQ(more, 0);
      fr.reset();
      EXPECT_TRUE(fr.in_sync());
      EXPECT_EQ(fr.stream_offset(), 0u);
      EXPECT_EQ(fr.buffered(), 0u);
      EXPECT_TRUE(fr.feed(good, [&](bytes_view) { ++more; }));
      EXPECT_EQ(more, 2);
    }
  }
}

TEST(framer, limits_are_inclusive) {
  // exactly 16 and exactly max_pdu are fine
  framer fr(64);
  octets pdu64 = pdu_builder(command_id::submit_sm_resp, 1).set("message_id", std::string(47, 'x')).bytes();
  ASSERT_EQ(pdu64.size(), 64u);
  int n = 0;
  EXPECT_TRUE(fr.feed(pdu64, [&](bytes_view f) { n += f.size() == 64; }));
  EXPECT_TRUE(fr.feed(from_hex("00000010 00000006 00000000 00000002"), [&](bytes_view f) { n += f.size() == 16; }));
  EXPECT_EQ(n, 2);
  octets pdu65 = pdu_builder(command_id::submit_sm_resp, 1).set("message_id", std::string(48, 'x')).bytes();
  EXPECT_FALSE(fr.feed(pdu65, [&](bytes_view) { ++n; }));
  EXPECT_EQ(fr.error().code, framer_errc::length_too_large);
  EXPECT_EQ(fr.error().stream_offset, 80u);
  EXPECT_EQ(fr.error().message(fr.max_pdu()), "command_length 65 exceeds the maximum 64 at stream offset 80");
}

TEST(framer, buffer_grows_with_what_arrived_not_with_what_is_claimed) {
  framer fr;  // max 64 KiB
  const octets header = from_hex("00010000 00000004 00000000 00000001");  // claims 65536 octets
  std::size_t arrived = 0;
  auto none = [](bytes_view) { FAIL() << "no frame expected"; };
  ASSERT_TRUE(fr.feed(header, none));
  arrived += header.size();
  const octets part(100, 0x41);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(fr.feed(part, none));
    arrived += part.size();
    EXPECT_EQ(fr.buffered(), arrived);
    EXPECT_LE(fr.buffer_capacity(), 2 * arrived + 64);
  }
  EXPECT_LT(fr.buffer_capacity(), 65536u / 4);
}

TEST(framer, stream_offset_counts_every_octet) {
  const stream s = make_stream();
  framer fr;
  std::size_t pos = 0;
  std::mt19937 rng(3);
  while (pos < s.bytes.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 50, s.bytes.size() - pos);
    fr.feed(std::span(s.bytes.data() + pos, n), [](bytes_view) {});
    pos += n;
    ASSERT_EQ(fr.stream_offset(), pos);
  }
}

// ---- resync mode ---------------------------------------------------------------------------

struct resync_run {
  std::vector<octets> frames;
  std::vector<framer_resync> resyncs;
};

// Feeds `bytes` to a resync-mode framer in chunks of `chunk` octets.
resync_run run_resync(framer& fr, const octets& bytes, std::size_t chunk) {
  resync_run r;
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
    const std::size_t n = std::min(chunk, bytes.size() - pos);
    EXPECT_TRUE(fr.feed(std::span(bytes.data() + pos, n), [&](bytes_view f) { r.frames.emplace_back(f.begin(), f.end()); },
                        [&](const framer_resync& x) { r.resyncs.push_back(x); }));
  }
  return r;
}

octets cat(std::initializer_list<octets> parts) {
  octets out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

octets resp(std::uint32_t seq) {
  return pdu_builder(command_id::submit_sm_resp, seq).set("message_id", "id" + std::to_string(seq)).bytes();
}

TEST(framer_resync, a_bad_header_is_skipped_and_framing_resumes_at_the_next_pdu) {
  const octets bad = from_hex("00000008 80000015 00000000 00000007");  // command_length 8
  const octets bytes = cat({resp(1), bad, resp(2), resp(3)});
  for (std::size_t chunk : {std::size_t(1), std::size_t(5), std::size_t(16), std::size_t(1000)}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    framer fr(default_max_pdu, framer_mode::resync);
    const auto r = run_resync(fr, bytes, chunk);
    ASSERT_EQ(r.frames, (std::vector<octets>{resp(1), resp(2), resp(3)}));
    ASSERT_EQ(r.resyncs.size(), 1u);  // one report per episode
    EXPECT_EQ(r.resyncs[0].cause.code, framer_errc::length_too_small);
    EXPECT_EQ(r.resyncs[0].cause.command_length, 8u);
    EXPECT_EQ(r.resyncs[0].cause.stream_offset, resp(1).size());
    EXPECT_EQ(r.resyncs[0].skipped, bad.size());
    EXPECT_EQ(r.resyncs[0].lost, 0u);
    EXPECT_EQ(r.resyncs[0].resumed_at, resp(1).size() + bad.size());
    EXPECT_TRUE(fr.in_sync());
    EXPECT_EQ(fr.buffered(), 0u);
    EXPECT_EQ(fr.stream_offset(), bytes.size());
  }
}

TEST(framer_resync, garbage_and_partial_headers_are_skipped) {
  // Garbage that holds a partial header, a length in range with an unknown command id, and a
  // known command id behind a length out of range.
  const octets garbage = from_hex("FFFFFFFF 00000010 12345678 00000008 00000004 7FFFFFFF 80000004 000000");
  const octets bytes = cat({resp(1), from_hex("00000001"), garbage, resp(2), resp(3)});
  for (std::size_t chunk = 1; chunk <= bytes.size(); chunk += 3) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    framer fr(default_max_pdu, framer_mode::resync);
    const auto r = run_resync(fr, bytes, chunk);
    ASSERT_EQ(r.frames, (std::vector<octets>{resp(1), resp(2), resp(3)}));
    ASSERT_EQ(r.resyncs.size(), 1u);
    EXPECT_EQ(r.resyncs[0].skipped, 4 + garbage.size());
    EXPECT_EQ(r.resyncs[0].resumed_at, resp(1).size() + 4 + garbage.size());
  }
}

TEST(framer_resync, a_plausible_but_wrong_header_is_rejected_by_the_one_after_it) {
  // 00000020 00000004: a submit_sm header claiming 32 octets; what sits 32 octets later is no
  // header, so the scan moves on and finds resp(2).
  octets fake = from_hex("00000020 00000004 00000000 00000009");
  fake.insert(fake.end(), 16, 0xEE);                  // 32 octets in all
  fake.insert(fake.end(), {0xEE, 0xEE, 0xEE, 0xEE});  // no header at offset 32
  const octets bytes = cat({resp(1), from_hex("00000003"), fake, resp(2), resp(3)});
  // Chunk sizes that do not end the input right where the fake PDU would end (there the end of
  // the bytes seen would confirm it, by design).
  ASSERT_EQ(resp(1).size() + 4 + 32, 56u);
  for (std::size_t chunk : {std::size_t(5), std::size_t(9), std::size_t(1000)}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    framer fr(default_max_pdu, framer_mode::resync);
    const auto r = run_resync(fr, bytes, chunk);
    ASSERT_EQ(r.frames, (std::vector<octets>{resp(1), resp(2), resp(3)}));
    ASSERT_EQ(r.resyncs.size(), 1u);
    EXPECT_EQ(r.resyncs[0].skipped, 4 + fake.size());
  }
}

TEST(framer_resync, the_last_header_is_confirmed_by_the_end_of_the_bytes) {
  framer fr(default_max_pdu, framer_mode::resync);
  const auto r = run_resync(fr, cat({from_hex("00000008 00000015"), resp(5)}), 1000);
  ASSERT_EQ(r.frames, std::vector<octets>{resp(5)});
  ASSERT_EQ(r.resyncs.size(), 1u);
  EXPECT_EQ(r.resyncs[0].skipped, 8u);
  // A candidate that runs past the end waits for more; it is not given up on.
  framer fr2(default_max_pdu, framer_mode::resync);
  const octets bytes = cat({from_hex("00000008 00000015"), resp(6), resp(7)});
  auto r2 = run_resync(fr2, octets(bytes.begin(), bytes.begin() + 8 + 10), 1000);
  EXPECT_TRUE(r2.frames.empty());
  EXPECT_FALSE(fr2.in_sync());
  EXPECT_EQ(fr2.pending_resync().skipped, 18u);  // held octets count as skipped if the stream ends
  const auto r3 = run_resync(fr2, octets(bytes.begin() + 18, bytes.end()), 1000);
  EXPECT_EQ(r3.frames, (std::vector<octets>{resp(6), resp(7)}));
}

TEST(framer_resync, a_gap_drops_the_partial_pdu_and_resumes_at_the_next_header) {
  const octets a = resp(1), b = resp(2), c = resp(3), d = resp(4);
  framer fr(default_max_pdu, framer_mode::resync);
  auto r = run_resync(fr, cat({a, octets(b.begin(), b.begin() + 10)}), 1000);
  EXPECT_EQ(r.frames.size(), 1u);
  fr.gap(b.size() - 10 + 7);  // the rest of b and the first 7 octets of c never arrived
  EXPECT_FALSE(fr.in_sync());
  EXPECT_EQ(fr.error().code, framer_errc::stream_gap);
  const auto r2 = run_resync(fr, cat({octets(c.begin() + 7, c.end()), d, a}), 1000);
  ASSERT_EQ(r2.frames, (std::vector<octets>{d, a}));
  ASSERT_EQ(r2.resyncs.size(), 1u);
  EXPECT_EQ(r2.resyncs[0].cause.code, framer_errc::stream_gap);
  EXPECT_EQ(r2.resyncs[0].cause.stream_offset, a.size() + 10);
  EXPECT_EQ(r2.resyncs[0].lost, b.size() - 10 + 7);
  EXPECT_EQ(r2.resyncs[0].skipped, 10 + c.size() - 7);
  EXPECT_EQ(r2.resyncs[0].resumed_at, a.size() + b.size() + c.size());
  EXPECT_EQ(fr.stream_offset(), a.size() + b.size() + c.size() + d.size() + a.size());
  // A gap on a PDU boundary: nothing skipped, framing goes on at once.
  fr.gap(100);
  const auto r3 = run_resync(fr, cat({b, c}), 1000);
  EXPECT_EQ(r3.frames, (std::vector<octets>{b, c}));
  ASSERT_EQ(r3.resyncs.size(), 1u);
  EXPECT_EQ(r3.resyncs[0].skipped, 0u);
  EXPECT_EQ(r3.resyncs[0].lost, 100u);
}

TEST(framer_resync, scan_state_stays_bounded_and_random_input_never_breaks_it) {
  std::mt19937 rng(5);
  framer fr(4096, framer_mode::resync);
  std::size_t frames = 0;
  for (int i = 0; i < 3000; ++i) {
    octets chunk(rng() % 3000);
    for (auto& x : chunk) x = std::uint8_t(rng() % 4 ? rng() % 3 : rng());
    if (i % 7 == 0) chunk = cat({chunk, resp(std::uint32_t(i)), resp(std::uint32_t(i + 1))});
    if (i % 11 == 0) fr.gap(rng() % 100);
    fr.feed(chunk, [&](bytes_view f) {
      ++frames;
      ASSERT_GE(f.size(), 16u);
      ASSERT_LE(f.size(), 4096u);
    }, [](const framer_resync&) {});
    ASSERT_LE(fr.buffered(), 2 * (4096u + 8));
  }
  EXPECT_GT(frames, 400u);  // it does find its way back
}

}  // namespace
}  // namespace smppscope::decoder
