// CMPP decoder throughput beside the SMPP one (decode_bench.cpp), on a busy SP <-> ISMG mix in
// CMPP 3.0 and 2.0: CMPP_SUBMIT (ASCII and GBK), CMPP_SUBMIT_RESP, a status report (CMPP_DELIVER
// with Registered_Delivery 1), CMPP_DELIVER_RESP, CMPP_ACTIVE_TEST and its response. Each PDU:
// header, the version's field table, and the typed accessors an analyser uses. Heap allocations
// are counted by a replaced operator new and reported per PDU (must be 0). Target: the same order
// as SMPP, >= 10 million PDUs/s per core (Release).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/framer.hpp"

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

namespace c = smppscope::decoder::cmpp;
using octets = std::vector<std::uint8_t>;

std::vector<octets> mix(c::version v) {
  std::vector<octets> out;
  std::uint32_t seq = 1;
  const std::string_view dest[] = {"13800138000"};
  const octets gbk = c::utf8_to_gbk("您的验证码是482913，十分钟内有效。").value();
  c::status_report r;
  r.stat = "DELIVRD";
  r.submit_time = "2311221345";
  r.done_time = "2311221346";
  r.dest_terminal_id = "13800138000";
  for (int round = 0; round < 64; ++round) {
    for (const bool chinese : {false, true}) {
      c::pdu_builder b(c::command_id::submit, v, seq);
      b.set("Pk_total", 1).set("Pk_number", 1).set("Registered_Delivery", 1).set("Service_Id", "MI0001");
      b.set("Msg_Fmt", chinese ? 15 : 0).set("Msg_src", "901234").set("FeeType", "02").set("FeeCode", "000010");
      b.set("Src_Id", "1066888801").destinations(dest);
      if (chinese) b.set_bytes("Msg_Content", gbk);
      else b.set("Msg_Content", "Your verification code is 482913. It expires in 10 minutes.");
      out.push_back(b.bytes());
      const std::uint64_t id = 0xBB36D781E2400000u + seq;
      out.push_back(c::pdu_builder(c::command_id::submit_resp, v, seq++).set("Msg_Id", id).set("Result", 0).bytes());
      r.msg_id = id;
      out.push_back(c::pdu_builder(c::command_id::deliver, v, seq)
                        .set("Msg_Id", id + 7)
                        .set("Dest_Id", "1066888801")
                        .set("Src_terminal_Id", "13800138000")
                        .set("Registered_Delivery", 1)
                        .set_bytes("Msg_Content", c::format_status_report(r, v))
                        .bytes());
      out.push_back(c::pdu_builder(c::command_id::deliver_resp, v, seq++).set("Msg_Id", id + 7).set("Result", 0).bytes());
    }
    if (round % 4 == 0) {
      out.push_back(c::pdu_builder(c::command_id::active_test, v, seq).bytes());
      out.push_back(c::pdu_builder(c::command_id::active_test_resp, v, seq++).bytes());
    }
  }
  return out;
}

// What an analyser does with each PDU; returns something the optimiser cannot drop.
std::size_t inspect(const c::pdu& p) {
  std::size_t sink = p.hdr.sequence_id + p.field_count;
  if (auto id = p.msg_id()) sink += static_cast<std::size_t>(*id);
  if (auto s = p.status()) sink += *s;
  if (auto f = p.msg_fmt()) sink += *f;
  sink += p.msg_content().size() + p.dest_count() + p.is_status_report();
  return sink;
}

void report(benchmark::State& state, std::size_t pdus, std::size_t bytes, std::size_t allocs) {
  state.SetItemsProcessed(static_cast<std::int64_t>(pdus));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["allocs_per_pdu"] = pdus ? double(allocs) / double(pdus) : 0.0;
}

// decode() of already framed PDUs, in the session's version.
void BM_cmpp_decode_mix(benchmark::State& state) {
  const c::version v = state.range(0) == 2 ? c::version::v20 : c::version::v30;
  const std::vector<octets> pdus = mix(v);
  std::size_t bytes_per_round = 0;
  for (const auto& p : pdus) bytes_per_round += p.size();
  c::pdu p;
  std::size_t n = 0, errors = 0;
  const std::size_t before = allocations;
  for (auto _ : state) {
    for (const octets& w : pdus) {
      errors += static_cast<bool>(c::decode(w, v, p));
      benchmark::DoNotOptimize(inspect(p));
    }
    n += pdus.size();
  }
  if (errors) state.SkipWithError("a PDU of the mix did not decode");
  report(state, n, n / pdus.size() * bytes_per_round, allocations - before);
}
BENCHMARK(BM_cmpp_decode_mix)->Arg(3)->Arg(2);

// decode() alone (header, field table), no accessors: how much of the above the name-based
// accessors (msg_id(), status(), msg_fmt() look fields up by name) cost.
void BM_cmpp_decode_only(benchmark::State& state) {
  const std::vector<octets> pdus = mix(c::version::v30);
  c::pdu p;
  std::size_t n = 0, sink = 0;
  const std::size_t before = allocations;
  for (auto _ : state) {
    for (const octets& w : pdus) {
      sink += static_cast<bool>(c::decode(w, c::version::v30, p)) + p.field_count;
    }
    n += pdus.size();
  }
  benchmark::DoNotOptimize(sink);
  report(state, n, 0, allocations - before);
}
BENCHMARK(BM_cmpp_decode_only);

// framer (CMPP layout: 12-octet header) + decode over a TCP-like stream cut into 16 KiB reads.
void BM_cmpp_frame_and_decode_mix(benchmark::State& state) {
  octets stream;
  std::size_t count = 0;
  for (const auto& p : mix(c::version::v30)) {
    stream.insert(stream.end(), p.begin(), p.end());
    ++count;
  }
  smppscope::decoder::framer fr(c::max_pdu_size, smppscope::decoder::framer_mode::resync,
                                {static_cast<std::uint32_t>(c::header_size), &c::known_command});
  c::pdu p;
  std::size_t n = 0, sink = 0;
  const std::size_t chunk = static_cast<std::size_t>(state.range(0));
  auto feed_all = [&](auto&& on_frame) {
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk)
      fr.feed(smppscope::decoder::bytes_view(stream.data() + pos, std::min(chunk, stream.size() - pos)), on_frame,
              [](const auto&) {});
  };
  feed_all([](smppscope::decoder::bytes_view) {});  // warm-up: the split-PDU buffer reaches its size once
  const std::size_t before = allocations;
  for (auto _ : state) {
    feed_all([&](smppscope::decoder::bytes_view frame) {
      c::decode(frame, c::version::v30, p);
      sink += inspect(p);
      ++n;
    });
  }
  benchmark::DoNotOptimize(sink);
  if (n != count * state.iterations()) state.SkipWithError("framer lost PDUs");
  report(state, n, stream.size() * state.iterations(), allocations - before);
}
BENCHMARK(BM_cmpp_frame_and_decode_mix)->Arg(16 * 1024)->Arg(1460);

}  // namespace

BENCHMARK_MAIN();
