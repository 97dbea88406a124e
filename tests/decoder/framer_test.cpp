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

}  // namespace
}  // namespace smppscope::decoder
