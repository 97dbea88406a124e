// Decoder throughput on a realistic mix: submit_sm (GSM7 and UCS2), submit_sm_resp, deliver_sm
// delivery receipt with TLVs, enquire_link and its response. Each PDU: header, mandatory fields,
// TLV walk and the typed accessors. Heap allocations are counted by a replaced operator new and
// reported per PDU (must be 0). Target: >= 10 million PDUs/s per core (Release).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace {
std::size_t allocations = 0;  // the benchmarks are single-threaded
}  // namespace
[[gnu::noinline]] void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace d = smppscope::decoder;
using octets = std::vector<std::uint8_t>;

d::bytes_view text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// One PDU of each kind, in the proportions of a busy transmitter/receiver pair.
std::vector<octets> mix() {
  std::vector<octets> v;
  std::uint32_t seq = 1;
  const std::string gsm7 = "Your verification code is 482913. It expires in 10 minutes.";  // unpacked GSM7
  octets ucs2;
  for (char16_t c : std::u16string(u"Ваш код подтверждения: 482913")) {
    ucs2.push_back(static_cast<std::uint8_t>(c >> 8));
    ucs2.push_back(static_cast<std::uint8_t>(c));
  }
  for (int round = 0; round < 64; ++round) {
    v.push_back(d::pdu_builder(d::command_id::submit_sm, seq++)
                    .set("source_addr_ton", 5u)
                    .set("source_addr", "ovh123")
                    .set("dest_addr_ton", 1u)
                    .set("dest_addr_npi", 1u)
                    .set("destination_addr", "33600000001")
                    .set("registered_delivery", 1u)
                    .short_message(text(gsm7))
                    .bytes());
    v.push_back(d::pdu_builder(d::command_id::submit_sm_resp, seq - 1).set("message_id", "0f3c9a1e-5b77").bytes());
    v.push_back(d::pdu_builder(d::command_id::submit_sm, seq++)
                    .set("source_addr_ton", 1u)
                    .set("source_addr_npi", 1u)
                    .set("source_addr", "33700000002")
                    .set("dest_addr_ton", 1u)
                    .set("dest_addr_npi", 1u)
                    .set("destination_addr", "33600000001")
                    .set("data_coding", 8u)
                    .short_message(ucs2)
                    .bytes());
    v.push_back(d::pdu_builder(d::command_id::submit_sm_resp, seq - 1).set("message_id", "0f3c9a1e-5b78").bytes());
    v.push_back(d::pdu_builder(d::command_id::deliver_sm, seq++)
                    .set("source_addr_ton", 1u)
                    .set("source_addr_npi", 1u)
                    .set("source_addr", "33600000001")
                    .set("destination_addr", "ovh123")
                    .set("esm_class", 0x04u)
                    .short_message(text("id:0f3c9a1e-5b77 sub:001 dlvrd:001 submit date:2311221345 done date:2311221346 "
                                        "stat:DELIVRD err:000 text:Your verification"))
                    .tlv_text(d::tlv_tag::receipted_message_id, "0f3c9a1e-5b77")
                    .tlv_int(d::tlv_tag::message_state, 2)
                    .tlv(d::tlv_tag::network_error_code, octets{3, 0, 0})
                    .tlv_text(0x1401, "ovh-out-42")
                    .bytes());
    v.push_back(d::pdu_builder(d::command_id::deliver_sm_resp, seq - 1).set("message_id", "").bytes());
    if (round % 4 == 0) {
      v.push_back(d::pdu_builder(d::command_id::enquire_link, seq++).bytes());
      v.push_back(d::pdu_builder(d::command_id::enquire_link_resp, seq - 1).bytes());
    }
  }
  return v;
}

// What an analyser does with each PDU; returns something the optimiser cannot drop.
std::size_t inspect(const d::pdu& p) {
  std::size_t sink = p.hdr.sequence_number + p.field_count + p.lints;
  for (const d::tlv& t : p.tlvs()) sink += t.tag + t.value.size();
  if (auto id = p.message_id()) sink += id->size();
  if (auto dc = p.data_coding()) sink += *dc;
  if (auto esm = p.esm_class()) sink += *esm;
  sink += p.short_message().size();
  return sink;
}

void report(benchmark::State& state, std::size_t pdus, std::size_t bytes, std::size_t allocs) {
  state.SetItemsProcessed(static_cast<std::int64_t>(pdus));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["allocs_per_pdu"] = pdus ? double(allocs) / double(pdus) : 0.0;
}

// decode() of already framed PDUs.
void BM_decode_mix(benchmark::State& state) {
  const std::vector<octets> pdus = mix();
  std::size_t bytes_per_round = 0;
  for (const auto& p : pdus) bytes_per_round += p.size();
  d::pdu p;
  std::size_t n = 0, errors = 0;
  const std::size_t before = allocations;
  for (auto _ : state) {
    for (const octets& w : pdus) {
      errors += static_cast<bool>(d::decode(w, p));
      benchmark::DoNotOptimize(inspect(p));
    }
    n += pdus.size();
  }
  if (errors) state.SkipWithError("a PDU of the mix did not decode");
  report(state, n, n / pdus.size() * bytes_per_round, allocations - before);
}
BENCHMARK(BM_decode_mix);

// framer + decode over a TCP-like stream cut into 16 KiB reads.
void BM_frame_and_decode_mix(benchmark::State& state) {
  octets stream;
  std::size_t count = 0;
  for (const auto& p : mix()) {
    stream.insert(stream.end(), p.begin(), p.end());
    ++count;
  }
  d::framer fr;
  d::pdu p;
  std::size_t n = 0, sink = 0;
  const std::size_t chunk = static_cast<std::size_t>(state.range(0));
  auto feed_all = [&](auto&& on_frame) {
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk)
      fr.feed(d::bytes_view(stream.data() + pos, std::min(chunk, stream.size() - pos)), on_frame);
  };
  feed_all([](d::bytes_view) {});  // warm-up: the framer's split-PDU buffer reaches its size once
  const std::size_t before = allocations;
  for (auto _ : state) {
    feed_all([&](d::bytes_view frame) {
      d::decode(frame, p);
      sink += inspect(p);
      ++n;
    });
  }
  benchmark::DoNotOptimize(sink);
  if (n != count * state.iterations()) state.SkipWithError("framer lost PDUs");
  report(state, n, stream.size() * state.iterations(), allocations - before);
}
BENCHMARK(BM_frame_and_decode_mix)->Arg(16 * 1024)->Arg(1460);

}  // namespace

BENCHMARK_MAIN();
