// Offline decode throughput on a 1,000,000-PDU capture shaped like production traffic: 4 SMPP
// sessions interleaved, each message a submit_sm (~190 octets), its submit_sm_resp, a delivery
// receipt (deliver_sm with receipt text and TLVs) and its deliver_sm_resp. Mostly one PDU per
// packet, as a windowed client sends them; every 8th message's submit shares a packet with the
// next ones and every 16th receipt is split across two packets inside its header, so framing
// across segments is exercised too. Written once by pcap_writer and kept in
// $TMPDIR/smppscope-decode-bench/decode-bench-1M.pcap for bench/decode_pcap.sh.
//
// BM_io_floor walks the file's records (mmap, record headers only): what any reader must pay.
// The others are reported beside it as multiples of that floor.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/offline_decode.hpp"
#include "smppscope/analysis/pcap_reader.hpp"
#include "smppscope/analysis/pcap_writer.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace sc = smppscope::analysis;
namespace sd = smppscope::decoder;

namespace {

constexpr int total_pdus = 1'000'000;
constexpr int sessions = 4;

std::vector<std::uint8_t> text_octets(std::string_view s) { return {s.begin(), s.end()}; }

void write_capture(const std::filesystem::path& dir, const std::filesystem::path& final_path) {
  std::filesystem::remove_all(dir);
  sc::event_ring ring({.max_events = 1024, .max_bytes = 1 << 20});
  sc::session_table table;
  sc::analyzer an(ring, table);
  sc::pcap_writer w({.dir = dir, .legs = sc::pcap_legs::client, .rotate_bytes = 0, .rotate_seconds = 0});
  an.add_sink(w);
  std::int64_t ts = 1'763'800'000'000'000;
  for (int s = 1; s <= sessions; ++s) {
    sc::tap_record open;
    open.kind = sc::record_kind::session_open;
    open.session = std::uint64_t(s);
    open.ts_us = ts;
    open.client.addr[0] = 10;
    open.client.addr[3] = std::uint8_t(s);
    open.client.port = std::uint16_t(40000 + s);
    open.proxy_client_side.addr[0] = 10;
    open.proxy_client_side.addr[3] = 200;
    open.proxy_client_side.port = 2775;
    an.process(open);
  }
  const std::string text =
      "Your verification code is 482913. It expires in 10 minutes. Do not share this code with anyone, "
      "including our staff. Msg&data rates may apply.";
  auto put = [&](int s, sc::direction dir, std::span<const std::uint8_t> bytes) {
    sc::tap_record d;
    d.kind = sc::record_kind::data;
    d.session = std::uint64_t(s);
    d.ts_us = ts += 3;
    d.dir = dir;
    d.bytes = bytes;
    w.on_record(d);
  };
  struct message {
    std::vector<std::uint8_t> submit, resp, receipt, receipt_resp;
    bool split = false;  // the receipt goes out in two packets, split inside its header
  };
  auto make = [&](int s, std::uint32_t seq, int n) {
    char id[24];
    std::snprintf(id, sizeof id, "%04x%012x", s, unsigned(n));
    message m;
    m.split = n % 16 == 5;
    m.submit = sd::pdu_builder(sd::command_id::submit_sm, seq)
                   .set("source_addr_ton", 5u)
                   .set("source_addr", "ACME Bank")
                   .set("dest_addr_ton", 1u)
                   .set("dest_addr_npi", 1u)
                   .set("destination_addr", "4915112345678")
                   .set("registered_delivery", 1u)
                   .short_message(text_octets(text))
                   .bytes();
    m.resp = sd::pdu_builder(sd::command_id::submit_sm_resp, seq).set("message_id", id).bytes();
    char receipt_text[200];
    std::snprintf(receipt_text, sizeof receipt_text,
                  "id:%s sub:001 dlvrd:001 submit date:2611221000 done date:2611221000 stat:DELIVRD err:000 "
                  "text:Your verification",
                  id);
    m.receipt = sd::pdu_builder(sd::command_id::deliver_sm, seq)
                    .set("source_addr_ton", 1u)
                    .set("source_addr_npi", 1u)
                    .set("source_addr", "4915112345678")
                    .set("destination_addr", "ACME Bank")
                    .set("esm_class", 0x04u)
                    .short_message(text_octets(receipt_text))
                    .tlv_text(sd::tlv_tag::receipted_message_id, id)
                    .tlv_int(sd::tlv_tag::message_state, 2)
                    .tlv(sd::tlv_tag::network_error_code, std::vector<std::uint8_t>{3, 0, 0})
                    .bytes();
    m.receipt_resp = sd::pdu_builder(sd::command_id::deliver_sm_resp, seq).set("message_id", "").bytes();
    return m;
  };
  // Rounds of 4 messages per session, sessions taking turns. Every 4th round a session sends its
  // 4 submits in one packet before the answers come back.
  int n = 0;
  std::vector<std::uint8_t> batch;
  for (int round = 0; n < total_pdus / 4; ++round) {
    for (int s = 1; s <= sessions && n < total_pdus / 4; ++s) {
      std::vector<message> ms;
      for (int k = 0; k < 4 && n < total_pdus / 4; ++k, ++n) ms.push_back(make(s, std::uint32_t(round * 4 + k + 1), n));
      const bool batched = round % 4 == 0;
      if (batched) {
        batch.clear();
        for (const auto& m : ms) batch.insert(batch.end(), m.submit.begin(), m.submit.end());
        put(s, sc::direction::esme_to_smsc, batch);
      }
      for (const auto& m : ms) {
        if (!batched) put(s, sc::direction::esme_to_smsc, m.submit);
        put(s, sc::direction::smsc_to_esme, m.resp);
        if (m.split) {
          put(s, sc::direction::smsc_to_esme, std::span(m.receipt).first(10));
          put(s, sc::direction::smsc_to_esme, std::span(m.receipt).subspan(10));
        } else {
          put(s, sc::direction::smsc_to_esme, m.receipt);
        }
        put(s, sc::direction::esme_to_smsc, m.receipt_resp);
      }
    }
  }
  w.close();
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::filesystem::rename(e.path(), final_path);
    return;
  }
}

const std::string& bench_pcap() {
  static const std::string path = [] {
    const auto dir = std::filesystem::temp_directory_path() / "smppscope-decode-bench";
    const auto file = dir / "decode-bench-1M.pcap";
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      const auto tmp = std::filesystem::temp_directory_path() / "smppscope-decode-bench.tmp";
      write_capture(tmp, std::filesystem::temp_directory_path() / "decode-bench-1M.pcap.tmp");
      std::filesystem::remove_all(tmp);
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      std::filesystem::rename(std::filesystem::temp_directory_path() / "decode-bench-1M.pcap.tmp", file);
    }
    return file.string();
  }();
  return path;
}

// The I/O floor: every record of the file visited by pcap_file_reader (large read() calls into
// one buffer, record headers checked), one octet of each touched. Nothing offline decode does can
// take less.
void BM_io_floor(benchmark::State& state) {
  const std::string& file = bench_pcap();
  std::uint64_t records = 0, sink = 0;
  for (auto _ : state) {
    std::string err;
    auto r = sc::pcap_file_reader::open(file, err);
    if (!r) {
      state.SkipWithError(err.c_str());
      break;
    }
    sc::raw_packet pkt;
    while (r->next(pkt)) {
      sink += pkt.data.empty() ? 0 : pkt.data[0];
      ++records;
    }
  }
  benchmark::DoNotOptimize(sink);
  state.counters["records_per_s"] = benchmark::Counter(double(records), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_io_floor)->Unit(benchmark::kMillisecond);

// The same walk over a mapping of the file (MAP_POPULATE, record headers only), for comparison.
void BM_io_floor_mmap(benchmark::State& state) {
  const std::string& file = bench_pcap();
  std::uint64_t records = 0, sink = 0;
  for (auto _ : state) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat sb {};
    if (fd < 0 || ::fstat(fd, &sb) != 0) {
      state.SkipWithError("cannot open the capture");
      break;
    }
    const std::size_t size = std::size_t(sb.st_size);
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) {
      state.SkipWithError("mmap failed");
      break;
    }
    const auto* p = static_cast<const std::uint8_t*>(m);
    std::size_t off = 24;
    while (off + 16 <= size) {
      std::uint32_t caplen;
      std::memcpy(&caplen, p + off + 8, 4);  // written little-endian by pcap_writer (this host's order)
      off += 16;
      if (caplen > size - off) break;
      sink += caplen ? p[off] : 0;
      off += caplen;
      ++records;
    }
    ::munmap(m, size);
  }
  benchmark::DoNotOptimize(sink);
  state.counters["records_per_s"] = benchmark::Counter(double(records), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_io_floor_mmap)->Unit(benchmark::kMillisecond);

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
BENCHMARK(BM_walk_decode_only)->Unit(benchmark::kMillisecond);

void BM_decode_json(benchmark::State& s) { decode_to_devnull(s, true); }
void BM_decode_text(benchmark::State& s) { decode_to_devnull(s, false); }
BENCHMARK(BM_decode_json)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_text)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
