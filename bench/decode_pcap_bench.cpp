// Offline decode throughput: a 1,000,000-PDU pcap (written once by pcap_writer) decoded to
// /dev/null as JSON lines and as text. Target: >= 2 million PDUs/s for --json.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "smppscope/capture/analyzer.hpp"
#include "smppscope/capture/offline_decode.hpp"
#include "smppscope/capture/pcap_writer.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace sc = smppscope::capture;
namespace sd = smppscope::decoder;

namespace {

constexpr int total_pdus = 1'000'000;

const std::string& bench_pcap() {
  static const std::string path = [] {
    const auto dir = std::filesystem::temp_directory_path() / "smppscope-decode-bench";
    std::filesystem::remove_all(dir);
    sc::event_ring ring({.max_events = 1024, .max_bytes = 1 << 20});
    sc::session_table sessions;
    sc::analyzer an(ring, sessions);
    sc::pcap_writer w({.dir = dir, .legs = sc::pcap_legs::client, .rotate_bytes = 0, .rotate_seconds = 0});
    an.add_sink(w);
    sc::tap_record open;
    open.kind = sc::record_kind::session_open;
    open.session = 1;
    open.ts_us = 1'763'800'000'000'000;
    open.client.addr[0] = 10;
    open.client.addr[3] = 1;
    open.client.port = 40000;
    open.proxy_client_side.addr[0] = 10;
    open.proxy_client_side.addr[3] = 2;
    open.proxy_client_side.port = 2775;
    an.process(open);
    std::vector<std::uint8_t> req, resp;
    const std::string text = "benchmark message text";
    for (int i = 0; i < total_pdus / 2; i += 10) {  // 10 submits per chunk, then 10 responses
      req.clear();
      resp.clear();
      for (int k = 0; k < 10; ++k) {
        const auto s = sd::pdu_builder(sd::command_id::submit_sm, std::uint32_t(i + k))
                           .set("source_addr", "12345")
                           .set("destination_addr", "4915112345678")
                           .short_message(std::vector<std::uint8_t>(text.begin(), text.end()))
                           .bytes();
        req.insert(req.end(), s.begin(), s.end());
        const auto r = sd::pdu_builder(sd::command_id::submit_sm_resp, std::uint32_t(i + k)).set("message_id", "abcdef0123").bytes();
        resp.insert(resp.end(), r.begin(), r.end());
      }
      sc::tap_record d;
      d.kind = sc::record_kind::data;
      d.session = 1;
      d.ts_us = ++open.ts_us;
      d.dir = sc::direction::esme_to_smsc;
      d.bytes = req;
      w.on_record(d);
      d.dir = sc::direction::smsc_to_esme;
      d.bytes = resp;
      w.on_record(d);
    }
    w.close();
    for (const auto& e : std::filesystem::directory_iterator(dir)) return e.path().string();
    return std::string();
  }();
  return path;
}

void decode_to_devnull(benchmark::State& state, bool json) {
  const std::string& file = bench_pcap();
  std::FILE* out = std::fopen("/dev/null", "wb");
  std::uint64_t pdus = 0;
  for (auto _ : state) {
    sc::offline_stats st;
    std::string err;
    if (!sc::decode_pcap_file(file, out, {.json = json}, &st, err)) state.SkipWithError(err.c_str());
    pdus += st.pdus;
  }
  std::fclose(out);
  state.counters["pdus_per_s"] = benchmark::Counter(double(pdus), benchmark::Counter::kIsRate);
}

// Reader + TCP reassembly + framing + decode() only, no output: the capture side's own cost.
void BM_walk_decode_only(benchmark::State& state) {
  struct counter final : sc::offline_handler {
    std::uint64_t n = 0;
    void on_pdu(const sc::offline_pdu& p) override { n += p.pdu->hdr.sequence_number != 0xFFFFFFFF; }
  } c;
  const std::string& file = bench_pcap();
  std::uint64_t pdus = 0;
  for (auto _ : state) {
    sc::offline_stats st;
    std::string err;
    if (!sc::for_each_pdu(file, c, &st, err)) state.SkipWithError(err.c_str());
    pdus += st.pdus;
  }
  state.counters["pdus_per_s"] = benchmark::Counter(double(pdus), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_walk_decode_only)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_decode_json(benchmark::State& s) { decode_to_devnull(s, true); }
void BM_decode_text(benchmark::State& s) { decode_to_devnull(s, false); }
BENCHMARK(BM_decode_json)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_decode_text)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
