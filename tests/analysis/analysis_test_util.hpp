// Helpers shared by the capture tests: PDUs, tap records, temp dirs, running tshark.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "smppscope/analysis/tap.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace analysis_test {

namespace sc = smppscope::analysis;
namespace sd = smppscope::decoder;
using bytes = std::vector<std::uint8_t>;

inline sc::endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  sc::endpoint e;
  e.addr[0] = a;
  e.addr[1] = b;
  e.addr[2] = c;
  e.addr[3] = d;
  e.port = port;
  return e;
}

inline sc::endpoint v6_loop(std::uint8_t last, std::uint16_t port) {
  sc::endpoint e;
  e.v6 = true;
  e.addr[0] = 0xfd;
  e.addr[15] = last;
  e.port = port;
  return e;
}

inline sc::tap_record open_record(std::uint64_t session, std::int64_t ts, bool v6_upstream = false) {
  sc::tap_record r;
  r.kind = sc::record_kind::session_open;
  r.session = session;
  r.ts_us = ts;
  r.client = v4(127, 0, 0, 2, std::uint16_t(41000 + session));
  r.proxy_client_side = v4(127, 0, 0, 1, 2775);
  if (v6_upstream) {
    r.proxy_upstream_side = v6_loop(1, std::uint16_t(51000 + session));
    r.upstream = v6_loop(2, 2776);
  } else {
    r.proxy_upstream_side = v4(127, 0, 0, 1, std::uint16_t(51000 + session));
    r.upstream = v4(127, 0, 0, 3, 2776);
  }
  return r;
}

inline sc::tap_record data_record(std::uint64_t session, sc::direction d, std::int64_t ts, const bytes& b) {
  sc::tap_record r;
  r.kind = sc::record_kind::data;
  r.session = session;
  r.dir = d;
  r.ts_us = ts;
  r.bytes = b;
  return r;
}

inline sc::tap_record text_record(sc::record_kind k, std::uint64_t session, std::int64_t ts, const std::string& text) {
  sc::tap_record r;
  r.kind = k;
  r.session = session;
  r.ts_us = ts;
  r.bytes = {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
  return r;
}

inline bytes bind_trx(std::uint32_t seq, const std::string& sys = "client1", const std::string& pw = "secret") {
  return sd::pdu_builder(sd::command_id::bind_transceiver, seq)
      .set("system_id", sys)
      .set("password", pw)
      .set("interface_version", 0x34)
      .bytes();
}
inline bytes bind_trx_resp(std::uint32_t seq, std::uint32_t status = 0) {
  return sd::pdu_builder(sd::command_id::bind_transceiver_resp, seq, status).set("system_id", "SMSC").bytes();
}
inline bytes submit(std::uint32_t seq, const std::string& text = "hello") {
  return sd::pdu_builder(sd::command_id::submit_sm, seq)
      .set("source_addr", "1234")
      .set("destination_addr", "5678")
      .set("data_coding", 1)
      .short_message(bytes(text.begin(), text.end()))
      .bytes();
}
inline bytes submit_resp(std::uint32_t seq, std::uint32_t status = 0) {
  if (status) return sd::pdu_builder(sd::command_id::submit_sm_resp, seq, status).header_only().bytes();
  return sd::pdu_builder(sd::command_id::submit_sm_resp, seq).set("message_id", "m" + std::to_string(seq)).bytes();
}
inline bytes header_only(sd::command_id id, std::uint32_t seq, std::uint32_t status = 0) {
  return sd::pdu_builder(id, seq, status).bytes();
}

inline bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/smppscope-capture-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Runs a shell command, returns stdout (stderr discarded unless redirected by the caller).
inline std::string run(const std::string& cmd, int* status = nullptr) {
  std::string out;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 65536> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = ::pclose(p);
  if (status) *status = st;
  return out;
}

inline bool have_tshark() {
  int st = 0;
  run("tshark --version >/dev/null 2>&1", &st);
  return st == 0;
}

// tshark is the outside oracle: in CI its absence is a failure, elsewhere the test is skipped.
#define REQUIRE_TSHARK()                                                        \
  do {                                                                          \
    if (!analysis_test::have_tshark()) {                                         \
      const char* ci = std::getenv("CI");                                       \
      if (ci && std::string(ci) == "true") FAIL() << "tshark is required in CI"; \
      GTEST_SKIP() << "tshark not installed";                                   \
    }                                                                           \
  } while (0)

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    if (nl > pos) out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// tshark shows smpp.command_status for responses only; with several PDUs in a packet the values
// are aggregated, so the i-th status belongs to the i-th response. Requests get 0.
inline std::uint32_t status_for(const std::vector<std::uint32_t>& ids, const std::vector<std::uint32_t>& statuses,
                                std::size_t i) {
  if (!(ids[i] & 0x80000000u)) return 0;
  std::size_t k = 0;
  for (std::size_t j = 0; j < i; ++j)
    if (ids[j] & 0x80000000u) ++k;
  return k < statuses.size() ? statuses[k] : 0;
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace analysis_test
