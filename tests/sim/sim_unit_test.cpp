// Pure parts of the simulator and load generator: parsing, receipt text, the DLR schedule, the
// latency histogram, the hash map, and the SMSC engine driven with an injected clock.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <unordered_map>
#include <vector>

#include "smppscope/decoder/dlr.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/protocol.hpp"
#include "smppscope/decoder/text.hpp"
#include "smppscope/sim/detail/fifo.hpp"
#include "smppscope/sim/detail/flat_map.hpp"
#include "smppscope/sim/dlr.hpp"
#include "smppscope/sim/host_port.hpp"
#include "smppscope/sim/latency_histogram.hpp"
#include "smppscope/sim/load_generator.hpp"
#include "smsc_core.hpp"

namespace smppscope::sim {
namespace {

TEST(HostPort, Parses) {
  auto a = parse_host_port("127.0.0.1:2775");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 2775);
  auto b = parse_host_port("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  EXPECT_EQ(b->to_string(), "[::1]:0");
  auto c = parse_host_port("smsc.example:65535");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "smsc.example");
  for (const char* bad : {"", "host", ":80", "host:", "host:65536", "host:12x", "::1:80", "[::1]80", "[::1", "h:-1"})
    EXPECT_FALSE(parse_host_port(bad)) << bad;
}

TEST(DlrMix, ParsesStatesWeightsAndErrCodes) {
  auto m = parse_dlr_mix("DELIVRD=90, UNDELIV:034=5,EXPIRED=3,REJECTD=2");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[0], (dlr_mix_entry{dlr_state::delivrd, 0, 90}));
  EXPECT_EQ((*m)[1], (dlr_mix_entry{dlr_state::undeliv, 34, 5}));
  EXPECT_EQ((*m)[2].err, default_dlr_err(dlr_state::expired));
  std::string err;
  EXPECT_FALSE(parse_dlr_mix("FOO=1", &err));
  EXPECT_NE(err.find("unknown state 'FOO'"), std::string::npos) << err;
  EXPECT_FALSE(parse_dlr_mix("DELIVRD", &err));
  EXPECT_FALSE(parse_dlr_mix("DELIVRD=x", &err));
  EXPECT_FALSE(parse_dlr_mix("DELIVRD:1000=1", &err));
  EXPECT_FALSE(parse_dlr_mix("DELIVRD=0", &err));
  EXPECT_FALSE(parse_dlr_mix("", &err));
}

TEST(DlrSchedule, EveryWindowOfOnePeriodHasTheExactMix) {
  const auto mix = *parse_dlr_mix("DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2");
  dlr_schedule s(mix);
  EXPECT_EQ(s.period(), 100u);
  for (std::uint64_t start : {0ull, 17ull, 12345678901ull}) {
    std::map<dlr_state, int> n;
    for (std::uint64_t i = 0; i < 100; ++i) ++n[s.at(start + i).state];
    EXPECT_EQ(n[dlr_state::delivrd], 90);
    EXPECT_EQ(n[dlr_state::undeliv], 5);
    EXPECT_EQ(n[dlr_state::expired], 3);
    EXPECT_EQ(n[dlr_state::rejectd], 2);
  }
  dlr_schedule halves(*parse_dlr_mix("DELIVRD=50,UNDELIV=50"));
  EXPECT_EQ(halves.period(), 2u);  // reduced by the common divisor
  EXPECT_NE(halves.at(0).state, halves.at(1).state);
}

TEST(Receipt, FormatMatchesTheReferenceVectorAndTheDecoderReadsIt) {
  receipt_fields r;
  r.id = "0123456789";
  r.sub = 1;
  r.dlvrd = 1;
  r.submit_date = "2311221345";
  r.done_date = "2311221346";
  r.stat = receipt_state(dlr_state::delivrd);
  r.err = 0;
  r.text = "Hello";
  char buf[200];
  const std::size_t n = format_receipt(buf, r);
  const std::string text(buf, n);
  // The text of the reference vector smpp_deliver_sm_dlr (vectors/README.md).
  EXPECT_EQ(text, "id:0123456789 sub:001 dlvrd:001 submit date:2311221345 done date:2311221346 stat:DELIVRD err:000 text:Hello");
  auto p = decoder::parse_receipt_text(text);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, "0123456789");
  EXPECT_EQ(p->submit_date, "2311221345");
  EXPECT_EQ(p->stat, "DELIVRD");
  EXPECT_EQ(p->text, "Hello");
  EXPECT_EQ(format_receipt({buf, 20}, r), 0u);  // too small: nothing written
  r.text = {};
  r.err = 7;
  const std::string no_text(buf, format_receipt(buf, r));
  EXPECT_TRUE(no_text.ends_with("stat:DELIVRD err:007")) << no_text;
}

TEST(Receipt, StatesMapToMessageState) {
  EXPECT_EQ(message_state_of(dlr_state::delivrd), 2);
  EXPECT_EQ(message_state_of(dlr_state::undeliv), 5);
  EXPECT_EQ(message_state_of(dlr_state::rejectd), 8);
  for (std::size_t i = 0; i < dlr_state_count; ++i) {
    const auto s = static_cast<dlr_state>(i);
    EXPECT_EQ(parse_dlr_stat(dlr_stat_text(s)), s);
    EXPECT_EQ(dlr_state_of_message_state(message_state_of(s)), s);
  }
  char d[10];
  format_receipt_date(1700660700, d);  // 2023-11-22 13:45:00 UTC
  EXPECT_EQ(std::string(d, 10), "2311221345");
}

TEST(LatencyHistogram, PercentilesWithinResolution) {
  latency_histogram h;
  for (std::uint64_t v = 1; v <= 10000; ++v) h.record(v * 1000);  // 1 us .. 10 ms
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_EQ(h.max(), 10'000'000u);
  EXPECT_EQ(h.min(), 1000u);
  auto near = [](std::uint64_t got, double want) { return std::abs(static_cast<double>(got) - want) <= want * 0.07; };
  EXPECT_TRUE(near(h.percentile(0.5), 5e6)) << h.percentile(0.5);
  EXPECT_TRUE(near(h.percentile(0.9), 9e6)) << h.percentile(0.9);
  EXPECT_TRUE(near(h.percentile(0.99), 9.9e6)) << h.percentile(0.99);
  EXPECT_EQ(h.percentile(1.0), h.max());
  latency_histogram small;
  small.record(3);
  EXPECT_EQ(small.percentile(0.5), 3u);
  small.merge(h);
  EXPECT_EQ(small.count(), 10001u);
  EXPECT_EQ(small.min(), 3u);
  EXPECT_EQ(latency_histogram{}.percentile(0.5), 0u);
}

TEST(FlatMap, BehavesLikeAHashMapUnderChurn) {
  detail::flat_map m(16);
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t k = rng() % 5000;
    if (rng() % 2) {
      m.insert(k, k * 3 + static_cast<std::uint64_t>(i));
      ref[k] = k * 3 + static_cast<std::uint64_t>(i);
    } else {
      const auto got = m.take(k);
      const auto it = ref.find(k);
      ASSERT_EQ(got.has_value(), it != ref.end());
      if (got) {
        EXPECT_EQ(*got, it->second);
        ref.erase(it);
      }
    }
    ASSERT_EQ(m.size(), ref.size());
  }
  for (const auto& [k, v] : ref) EXPECT_EQ(m.find(k), v);
}

TEST(FlatMap, CountingAndStridedKeysInFifoOrder) {
  // The load generator's pattern: ids counting up, taken back roughly in the same order.
  for (std::uint64_t stride : {1ull, 2ull, 1024ull, 1ull << 17, 1ull << 40}) {
    detail::flat_map m(16);
    std::uint64_t next_in = 0, next_out = 0;
    const std::uint64_t base = 0x5a5a0000000ULL;
    for (int round = 0; round < 300000; ++round) {
      m.insert(base + next_in * stride, next_in);
      ++next_in;
      if (next_in - next_out > 5000 || round % 7 == 0) {
        ASSERT_EQ(m.take(base + next_out * stride), next_out) << "stride " << stride;
        ++next_out;
      }
    }
    EXPECT_EQ(m.size(), next_in - next_out);
    EXPECT_FALSE(m.take(base + (next_in + 1) * stride));
    for (; next_out < next_in; ++next_out) ASSERT_EQ(m.find(base + next_out * stride), next_out);
  }
  detail::flat_map m;
  m.insert(~0ULL, 1);  // the empty marker still works as a key
  EXPECT_EQ(m.find(~0ULL), 1u);
  EXPECT_EQ(m.take(~0ULL), 1u);
  EXPECT_TRUE(m.empty());
}

TEST(FlatMap, ProbesStayShortWhenManyCountingKeysAreHeld) {
  // Receipts held for 100 ms at ~3 M submits/s: 300,000 message ids in the map, a table of 2^20
  // slots. Counting, strided and random keys must all stay a few probes from their home slot
  // (an earlier slot function let runs of consecutive keys pile up into probes of tens of thousands).
  constexpr std::uint64_t held = 300000;
  std::mt19937_64 rng(7);
  for (const std::uint64_t stride : {1ull, 2ull, 10ull, 4096ull, 0ull /* random */}) {
    detail::flat_map m(4096);
    auto key = [&](std::uint64_t i) { return stride ? 0x1000000ULL + i * stride : rng(); };
    std::vector<std::uint64_t> keys;
    for (std::uint64_t i = 0; i < held; ++i) {
      keys.push_back(key(i));
      m.insert(keys.back(), i);
    }
    EXPECT_LT(m.longest_probe(), 32u) << "stride " << stride;
    // Then churn in FIFO order, as receipts come back.
    for (std::uint64_t i = 0; i < held; ++i) {
      ASSERT_EQ(m.take(keys[i]), i) << "stride " << stride;
      keys[i] = key(held + i);
      m.insert(keys[i], held + i);
      if (i % 30000 == 0) {
        ASSERT_LT(m.longest_probe(), 32u) << "stride " << stride << " after " << i;
      }
    }
    EXPECT_EQ(m.size(), held);
    EXPECT_LT(m.longest_probe(), 32u) << "stride " << stride;
  }
}

TEST(Fifo, GrowsAndKeepsOrder) {
  detail::fifo<int> f(2);
  int next_out = 0;
  for (int i = 0; i < 1000; ++i) {
    f.push(i);
    if (i % 3 == 0) {
      EXPECT_EQ(f.front(), next_out++);
      f.pop();
    }
  }
  while (!f.empty()) {
    EXPECT_EQ(f.front(), next_out++);
    f.pop();
  }
  EXPECT_EQ(next_out, 1000);
}

TEST(MessageMix, Parses) {
  auto m = parse_message_mix("gsm7, ucs2,long");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size(), 3u);
  std::string err;
  EXPECT_FALSE(parse_message_mix("gsm7,klingon", &err));
  EXPECT_NE(err.find("klingon"), std::string::npos);
}

// ---- the SMSC engine with an injected clock ----------------------------------------------

using detail::steady;

struct recorder : detail::smsc_events {
  std::vector<std::pair<detail::bind_kind, std::uint32_t>> binds;
  void on_bind(detail::bind_kind k, std::string_view, std::uint32_t status) override { binds.emplace_back(k, status); }
};

struct engine {
  explicit engine(simulator_options o) : opt(std::move(o)), shared(opt), core(shared, events) {}
  simulator_options opt;
  detail::smsc_shared shared;
  recorder events;
  detail::smsc_core core;
  detail::byte_buffer out{1024};
  std::vector<detail::dlr_record> foreign;
  steady::time_point t0 = steady::time_point{} + std::chrono::hours(1);

  detail::sim_time at(std::chrono::milliseconds ms) const { return {t0 + ms, 1700660700 + ms.count() / 1000}; }
  void feed(const std::vector<std::uint8_t>& pdu, std::chrono::milliseconds ms) { core.on_frame(pdu, at(ms), out); }
  void tick(std::chrono::milliseconds ms) { core.on_tick(at(ms), out, foreign); }
  // Decodes and clears what the engine wrote.
  std::vector<decoder::header> take() {
    std::vector<decoder::header> hs;
    decoder::framer f;
    f.feed(out.bytes(), [&](std::span<const std::uint8_t> frame) {
      decoder::pdu p;
      EXPECT_FALSE(decoder::decode(frame, p)) << "engine wrote an undecodable PDU";
      hs.push_back(decoder::read_header(frame));
    });
    out.clear();
    core.on_handed_off();
    return hs;
  }
};

std::vector<std::uint8_t> bind_pdu(decoder::command_id kind) {
  return decoder::pdu_builder(kind, 1).set("system_id", "e").set("interface_version", 0x34u).bytes();
}
std::vector<std::uint8_t> submit_pdu(std::uint32_t seq, std::uint32_t rd) {
  return decoder::pdu_builder(decoder::command_id::submit_sm, seq)
      .set("source_addr", "1")
      .set("destination_addr", "2")
      .set("registered_delivery", rd)
      .short_message(std::vector<std::uint8_t>{'h', 'i'})
      .bytes();
}

TEST(SmscCore, ReceiptFallsDueExactlyAfterTheDelay) {
  simulator_options o;
  o.dlr_delay = std::chrono::milliseconds(250);
  o.enquire_link_interval = std::chrono::seconds(0);
  engine e(o);
  using namespace std::chrono_literals;
  e.feed(bind_pdu(decoder::command_id::bind_transceiver), 0ms);
  ASSERT_EQ(e.events.binds.size(), 1u);
  e.take();
  e.feed(submit_pdu(2, 1), 10ms);
  EXPECT_EQ(e.take().size(), 1u);
  EXPECT_EQ(e.core.next_deadline(), e.t0 + 260ms);
  e.tick(259ms);
  EXPECT_TRUE(e.take().empty());
  e.tick(260ms);
  const auto hs = e.take();
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].command_id, static_cast<std::uint32_t>(decoder::command_id::deliver_sm));
  EXPECT_EQ(e.core.next_deadline(), steady::time_point::max());
}

TEST(SmscCore, TransmitterReceiptsAreHandedOut) {
  simulator_options o;
  o.dlr_delay = std::chrono::milliseconds(5);
  engine e(o);
  using namespace std::chrono_literals;
  e.feed(bind_pdu(decoder::command_id::bind_transmitter), 0ms);
  e.feed(submit_pdu(2, 1), 0ms);
  e.take();
  e.tick(5ms);
  EXPECT_TRUE(e.take().empty());
  ASSERT_EQ(e.foreign.size(), 1u);
  EXPECT_EQ(std::string_view(e.foreign[0].dst.data(), e.foreign[0].dst_len), "2");
}

TEST(SmscCore, EnquireLinkAndMoPacing) {
  simulator_options o;
  o.enquire_link_interval = std::chrono::seconds(30);
  o.mo_rate = 2;  // every 500 ms
  o.dlr_delay = std::chrono::milliseconds(100);
  engine e(o);
  using namespace std::chrono_literals;
  e.feed(bind_pdu(decoder::command_id::bind_receiver), 0ms);
  e.take();
  int mo = 0, el = 0;
  for (auto ms = 0ms; ms <= 60000ms; ms += 100ms) {
    e.tick(ms);
    for (const auto& h : e.take()) {
      if (h.command_id == static_cast<std::uint32_t>(decoder::command_id::deliver_sm)) ++mo;
      if (h.command_id == static_cast<std::uint32_t>(decoder::command_id::enquire_link)) ++el;
    }
  }
  EXPECT_EQ(el, 2);    // at 30 s and 60 s
  EXPECT_EQ(mo, 120);  // 2 per second for 60 s
}

TEST(SmscCore, WindowCountsUntilHandedOff) {
  simulator_options o;
  o.window = 3;
  engine e(o);
  using namespace std::chrono_literals;
  e.feed(bind_pdu(decoder::command_id::bind_transceiver), 0ms);
  e.take();
  // Five submits read in one chunk: the responses to the first three are not handed off yet.
  for (std::uint32_t s = 2; s < 7; ++s) e.feed(submit_pdu(s, 0), 0ms);
  std::vector<std::uint32_t> statuses;
  for (const auto& h : e.take()) statuses.push_back(h.command_status);
  EXPECT_EQ(statuses, (std::vector<std::uint32_t>{0, 0, 0, 0x58, 0x58}));
  // After the hand-off the window is free again.
  e.feed(submit_pdu(8, 0), 1ms);
  ASSERT_EQ(e.take().at(0).command_status, 0u);
}

TEST(SmscCore, ReceiptsFromTheCachedPrefixMatchTheEncoder) {
  simulator_options o;
  o.dlr_delay = std::chrono::milliseconds(1);
  o.dlr_mix = {{dlr_state::undeliv, 34, 1}};
  engine e(o);
  using namespace std::chrono_literals;
  e.feed(bind_pdu(decoder::command_id::bind_transceiver), 0ms);
  e.take();
  e.feed(submit_pdu(2, 1), 0ms);
  e.feed(submit_pdu(3, 1), 0ms);  // same addresses: the second receipt reuses the first one's prefix
  e.take();
  e.tick(1ms);
  std::vector<std::vector<std::uint8_t>> frames;
  decoder::framer f;
  f.feed(e.out.bytes(), [&](std::span<const std::uint8_t> fr) { frames.emplace_back(fr.begin(), fr.end()); });
  ASSERT_EQ(frames.size(), 2u);
  decoder::pdu a, b;
  ASSERT_FALSE(decoder::decode(frames[0], a));
  ASSERT_FALSE(decoder::decode(frames[1], b));
  EXPECT_EQ(a.hdr.command_length, frames[0].size());
  EXPECT_EQ(b.hdr.command_length, frames[1].size());
  EXPECT_NE(a.hdr.sequence_number, b.hdr.sequence_number);
  for (std::string_view name : {"source_addr", "destination_addr", "esm_class", "data_coding"})
    EXPECT_TRUE(*a.field(name) == *b.field(name)) << name;
  EXPECT_EQ(b.field("esm_class")->integer, 0x04u);
  const auto ra = decoder::parse_receipt(a, a.field("short_message")->text());
  const auto rb = decoder::parse_receipt(b, b.field("short_message")->text());
  ASSERT_TRUE(ra && rb);
  EXPECT_NE(ra->message_id(), rb->message_id());
  EXPECT_EQ(rb->stat, "UNDELIV");
  EXPECT_EQ(rb->message_id(), rb->id);
  ASSERT_TRUE(rb->network_error_code);
  EXPECT_EQ(rb->network_error_code->code, 34);
}

TEST(SmscCore, Gsm7PackingOfMoText) {
  for (auto packing : {decoder::gsm7_packing::unpacked, decoder::gsm7_packing::packed}) {
    simulator_options o;
    o.gsm7 = packing;
    detail::smsc_shared shared(o);
    ASSERT_FALSE(shared.mo_texts.empty());
    const auto& t = shared.mo_texts.front();
    ASSERT_EQ(t.data_coding, 0);
    EXPECT_EQ(decoder::decode_text(t.short_message, 0, {packing}).utf8, "Hello from a handset");
  }
}

}  // namespace
}  // namespace smppscope::sim
