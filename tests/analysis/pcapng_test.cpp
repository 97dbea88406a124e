// pcapng files with the analysis' findings as packet comments: written live by pcap_writer (as a
// record sink and an observer, behind the diagnostics and the compliance checker) and exported
// from the ring by write_pcap; read back by tshark (the outside oracle): no malformed packets, no
// expert warnings, and the comments in frame.comment on the packets that carry the PDUs.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <regex>

#include "analysis_test_util.hpp"
#include "detail/pcap_synth.hpp"
#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/compliance.hpp"
#include "smppscope/analysis/pcap_writer.hpp"
#include "smppscope/profile/loader.hpp"

using namespace analysis_test;
namespace pf = smppscope::profile;

namespace {

constexpr auto e2s = sc::direction::esme_to_smsc;
constexpr auto s2e = sc::direction::smsc_to_esme;
constexpr std::int64_t t0 = 1'763'800'000'000'000;
constexpr std::int64_t ms = 1'000, sec = 1'000'000;

std::vector<std::filesystem::path> files_with(const std::filesystem::path& dir, const std::string& ext) {
  std::vector<std::filesystem::path> v;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ext) v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// One tshark pass over a file's packets, and one over its Expert Info (tshark is slow to start,
// so each test asks it as little as possible).
struct frame_row {
  int number = 0;
  std::string comment, command_id, sequence_number, password;
};
std::vector<frame_row> frames_of(const std::string& file) {
  std::vector<frame_row> v;
  const auto out = run("tshark -r " + shell_quote(file) +
                       " -T fields -E occurrence=a -e frame.number -e frame.comment -e smpp.command_id"
                       " -e smpp.sequence_number -e smpp.password 2>/dev/null");
  for (const auto& line : lines(out)) {
    std::vector<std::string> cols;
    std::size_t from = 0;
    for (;;) {
      const auto tab = line.find('\t', from);
      cols.push_back(line.substr(from, tab == std::string::npos ? std::string::npos : tab - from));
      if (tab == std::string::npos) break;
      from = tab + 1;
    }
    cols.resize(5);
    v.push_back({std::stoi(cols[0]), cols[1], cols[2], cols[3], cols[4]});
  }
  return v;
}

// Expert Info from the comment level up: the packet comments, and any warning or error (a
// malformed packet is an error). "" for `problems` when there is none. With `gap`, the two TCP
// warnings a real capture gap gives (the truth) are required, and no other.
struct expert_view {
  std::string all, problems;
};
expert_view expert_of(const std::string& file, bool gap = false) {
  int status = 0;
  expert_view e;
  e.all = run("tshark -r " + shell_quote(file) +
                  " -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -q -z expert,comment 2>/dev/null",
              &status);
  if (status != 0) e.problems += "tshark exit status " + std::to_string(status) + "\n";
  bool in_problems = false, gap_seen = false;
  for (const auto& l : lines(e.all)) {
    if (l.rfind("Errors (", 0) == 0 || l.rfind("Warns (", 0) == 0) in_problems = true;
    else if (l.rfind("Notes (", 0) == 0 || l.rfind("Chats (", 0) == 0 || l.rfind("Comments (", 0) == 0) in_problems = false;
    if (!in_problems || l.empty() || l.find("=====") != std::string::npos || l.find("Frequency") != std::string::npos ||
        l.rfind("Warns (", 0) == 0)
      continue;
    if (gap && (l.find("Previous segment(s) not captured") != std::string::npos ||
                l.find("ACKed segment that wasn't captured") != std::string::npos)) {
      gap_seen = true;
      continue;
    }
    e.problems += l + "\n";
  }
  if (gap && !gap_seen) e.problems += "the capture gap is not shown\n";
  return e;
}

std::string all_comments(const std::vector<frame_row>& rows) {
  std::string s;
  for (const auto& r : rows)
    if (!r.comment.empty()) s += std::to_string(r.number) + ": " + r.comment + "\n";
  return s;
}
std::string passwords(const std::vector<frame_row>& rows) {
  std::string s;
  for (const auto& r : rows)
    if (!r.password.empty()) s += r.password + "\n";
  return s;
}

// A session against the ovhcloud profile (window 10): 13 submits unanswered (lints from the 11th,
// the profile_window alert on the 13th), then answered; a quiet period clears the alert.
struct session_run {
  sc::event_ring ring{sc::event_ring_options{100000, 32u << 20}};
  sc::session_table sessions;
  sc::analyzer an{ring, sessions};
  sc::compliance_checker check{[] {
    sc::compliance_options o;
    o.profile = pf::find_builtin("ovhcloud");
    return o;
  }()};

  void send(sc::direction d, std::int64_t ts, const bytes& b, std::uint64_t lost_before = 0) {
    auto r = data_record(1, d, ts, b);
    r.lost_before = lost_before;
    an.process(r);
  }
  void traffic() {
    an.process(open_record(1, t0));
    send(e2s, t0 + ms, bind_trx(1, "smpp-abc123", "secret"));
    send(s2e, t0 + 2 * ms, bind_trx_resp(1));
    for (std::uint32_t i = 0; i < 13; ++i) send(e2s, t0 + sec + i * ms, submit(10 + i));
    for (std::uint32_t i = 0; i < 13; ++i) send(s2e, t0 + sec + 100 * ms + i * ms, submit_resp(10 + i, i == 12 ? 0x58 : 0));
    for (std::int64_t t = t0 + 2 * sec; t <= t0 + 40 * sec; t += 500 * ms) an.tick(t);
    send(e2s, t0 + 41 * sec, header_only(sd::command_id::enquire_link, 50));
    // The tap lost 100 octets before this response: a capture gap.
    send(s2e, t0 + 41 * sec + 5 * ms, header_only(sd::command_id::enquire_link_resp, 50), 100);
    send(e2s, t0 + 42 * sec, header_only(sd::command_id::unbind, 51));
    send(s2e, t0 + 42 * sec + 1 * ms, header_only(sd::command_id::unbind_resp, 51));
    an.process(text_record(sc::record_kind::session_close, 1, t0 + 43 * sec, "closed by client"));
    an.tick(t0 + 43 * sec);
  }
};

void expect_findings(const std::string& all, bool live) {
  // Response latency, with the request's name and sequence number; a failed one with its status.
  EXPECT_NE(all.find("bind_transceiver_resp: 1.0 ms after bind_transceiver (seq 1)"), std::string::npos) << all;
  EXPECT_NE(all.find("submit_sm_resp: 100.0 ms after submit_sm (seq 10)"), std::string::npos) << all;
  EXPECT_NE(all.find("submit_sm_resp: 100.0 ms after submit_sm (seq 22), status ESME_RTHROTTLED"), std::string::npos)
      << all;
  // The profile alert raised, its lints, and the alert cleared after the quiet period.
  EXPECT_NE(all.find("alert raised: profile_window: ovhcloud: window 13 above the limit 10"), std::string::npos) << all;
  EXPECT_NE(all.find("lint profile_window: window 11 above the limit 10"), std::string::npos) << all;
  EXPECT_NE(all.find("alert cleared: profile_window"), std::string::npos) << all;
  if (live) {
    EXPECT_NE(all.find("lossy: 100 octets of smsc_to_esme not captured before this packet"), std::string::npos) << all;
  }
  EXPECT_NE(all.find("lossy: capture gap of 100 octets"), std::string::npos) << all;
}

}  // namespace

TEST(Pcapng, LiveWriterCommentsLatencyAlertsLintsAndGapsTsharkReadsClean) {
  REQUIRE_TSHARK();
  temp_dir dir;
  session_run s;
  sc::pcap_writer w({.dir = dir.path, .format = sc::pcap_format::pcapng, .annotate = &s.check});
  s.an.add_observer(s.check);
  s.an.add_observer(w);
  s.an.add_sink(w);
  s.traffic();
  w.close();

  const auto files = files_with(dir.path, ".pcapng");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(std::regex_match(files[0].filename().string(), std::regex(R"(smppscope-\d{8}-\d{6}-1\.pcapng)")));
  EXPECT_EQ(std::filesystem::status(files[0]).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string f = files[0].string();
  EXPECT_NE(run("capinfos -t " + shell_quote(f) + " 2>&1").find("pcapng"), std::string::npos);
  const auto expert = expert_of(f, true);
  EXPECT_EQ(expert.problems, "");
  // Wireshark lists the comments in Expert Info.
  EXPECT_NE(expert.all.find("alert raised: profile_window"), std::string::npos) << expert.all;

  const auto rows = frames_of(f);
  const std::string all = all_comments(rows);
  expect_findings(all, true);
  // Each comment sits on a packet that carries the PDU it speaks of (both legs: twice).
  int latency_on_resp = 0, alert_on_submit = 0;
  for (const auto& r : rows) {
    if (r.command_id == "0x80000004" && r.sequence_number == "10" &&
        r.comment.find("100.0 ms after submit_sm (seq 10)") != std::string::npos)
      ++latency_on_resp;
    if (r.command_id == "0x00000004" && r.sequence_number == "22" &&
        r.comment.find("alert raised: profile_window") != std::string::npos)
      ++alert_on_submit;
  }
  EXPECT_EQ(latency_on_resp, 2) << all;
  EXPECT_EQ(alert_on_submit, 2) << all;
  // The password is masked in pcapng as in pcap.
  EXPECT_EQ(passwords(rows), "******\n******\n");
  EXPECT_EQ(w.stats().bytes, std::filesystem::file_size(files[0]));
}

TEST(Pcapng, ClassicPcapIsUnchangedAndHasNoComments) {
  REQUIRE_TSHARK();
  temp_dir dir;
  session_run s;
  sc::pcap_writer w({.dir = dir.path, .annotate = &s.check});
  s.an.add_observer(s.check);
  s.an.add_observer(w);
  s.an.add_sink(w);
  s.traffic();
  w.close();
  const auto files = files_with(dir.path, ".pcap");
  ASSERT_EQ(files.size(), 1u);
  const std::string f = files[0].string();
  EXPECT_EQ(expert_of(f, true).problems, "");
  EXPECT_NE(run("capinfos -t " + shell_quote(f) + " 2>&1").find("Wireshark/tcpdump/... - pcap"), std::string::npos);
  const auto rows = frames_of(f);
  EXPECT_EQ(all_comments(rows), "");
  EXPECT_EQ(passwords(rows), "******\n******\n");
}

TEST(Pcapng, RingExportCarriesTheSameFindings) {
  REQUIRE_TSHARK();
  session_run s;
  s.an.add_observer(s.check);
  s.traffic();
  const auto events = s.ring.read_since(0, 100000);
  temp_dir dir;
  const std::string f = (dir.path / "export.pcapng").string();
  {
    sc::pcap_export_options o;
    o.format = sc::pcap_format::pcapng;
    o.annotate = &s.check;
    o.legs = sc::pcap_legs::both;
    std::ofstream(f, std::ios::binary) << sc::write_pcap(events, sc::endpoints_from(s.sessions), o);
  }
  EXPECT_EQ(expert_of(f).problems, "");
  const auto rows = frames_of(f);
  expect_findings(all_comments(rows), false);
  EXPECT_EQ(passwords(rows), "******\n******\n");
}

TEST(Pcapng, RotationGivesValidPcapngFilesAndRetentionCountsThem) {
  REQUIRE_TSHARK();
  temp_dir dir;
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an(ring, sessions);
  sc::pcap_writer w({.dir = dir.path, .rotate_bytes = 20000, .rotate_seconds = 0, .max_total_bytes = 40000,
                     .format = sc::pcap_format::pcapng});
  an.add_observer(w);
  an.add_sink(w);
  an.process(open_record(1, t0));
  for (std::uint32_t i = 0; i < 120; ++i) {
    an.process(data_record(1, e2s, t0 + i * ms, submit(i + 1, std::string(60, 'x'))));
    an.process(data_record(1, s2e, t0 + i * ms + 500, submit_resp(i + 1)));
    if (i % 20 == 19) an.tick(t0 + i * ms + 600);
  }
  w.close();
  const auto files = files_with(dir.path, ".pcapng");
  ASSERT_GE(files.size(), 2u);
  EXPECT_GT(w.stats().deleted_files, 0u);  // retention sees .pcapng files as its own
  std::uint64_t total = 0;
  for (const auto& p : files) {
    const auto expert = expert_of(p.string());
    EXPECT_EQ(expert.problems, "") << p;
    total += std::filesystem::file_size(p);
    // Every file starts with its own section and interface: latency comments in each.
    EXPECT_NE(expert.all.find("after submit_sm"), std::string::npos) << p;
  }
  EXPECT_LE(total, 40000u + 20000u);
}

// Any comment text (random octets, long, control characters, invalid UTF-8) gives a well-formed
// block: lengths and padding right, text valid UTF-8 within the cap; tshark reads the file.
TEST(Pcapng, ArbitraryCommentTextYieldsValidBlocks) {
  std::mt19937 rng(1234);
  std::string file;
  smppscope::analysis::detail::string_out out(file);
  ASSERT_TRUE(smppscope::analysis::detail::write_file_header(out, sc::pcap_format::pcapng));
  const std::size_t header = file.size();
  EXPECT_EQ(header, smppscope::analysis::detail::file_header_size(sc::pcap_format::pcapng));
  const bytes frame(60, 0);  // an Ethernet frame of zeros: a valid (if dull) packet
  for (int round = 0; round < 150; ++round) {
    std::vector<std::string> comments(rng() % 20);
    for (auto& c : comments) {
      const std::size_t n = rng() % 3 == 0 ? rng() % 5000 : rng() % 40;
      for (std::size_t i = 0; i < n; ++i) c += char(rng() % 4 == 0 ? rng() % 256 : 0x20 + rng() % 95);
    }
    if (round == 0) comments = {std::string(5000, 'a'), std::string(3000, '\xC3') + "\xA9", "tab\there\nnl", "\xF0\x9F\x98\x80"};
    const std::size_t at = file.size();
    smppscope::analysis::detail::append_epb(file, t0 + round, frame, comments);
    // Block: type 6, total length at both ends, a multiple of 4; options walk to opt_endofopt.
    std::uint32_t type, len, len2;
    std::memcpy(&type, file.data() + at, 4);
    std::memcpy(&len, file.data() + at + 4, 4);
    ASSERT_EQ(type, 6u);
    ASSERT_EQ(len % 4, 0u);
    ASSERT_EQ(at + len, file.size());
    std::memcpy(&len2, file.data() + at + len - 4, 4);
    ASSERT_EQ(len, len2);
    std::size_t p = at + 28 + frame.size();
    std::size_t seen = 0;
    while (p < at + len - 4) {
      std::uint16_t code, olen;
      std::memcpy(&code, file.data() + p, 2);
      std::memcpy(&olen, file.data() + p + 2, 2);
      p += 4;
      if (code == 0) break;
      ASSERT_EQ(code, 1u);
      ASSERT_LE(olen, smppscope::analysis::detail::max_comment_octets);
      const std::string text = file.substr(p, olen);
      // Valid UTF-8 (the comment_text contract), no control characters but tab and newline.
      for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        ASSERT_FALSE(c < 0x20 && c != '\t' && c != '\n') << round;
        ASSERT_NE(c, 0x7F);
      }
      ASSERT_EQ(smppscope::analysis::detail::comment_text(text), text) << "not already clean: round " << round;
      p += (olen + 3) & ~3u;
      ++seen;
    }
    ASSERT_EQ(p, at + len - 4);
    ASSERT_LE(seen, smppscope::analysis::detail::max_comments_per_packet + 1);
    if (!comments.empty()) {
      ASSERT_EQ(seen, std::min(comments.size(), smppscope::analysis::detail::max_comments_per_packet + 1));
    }
  }
  if (!have_tshark()) return;
  temp_dir dir;
  const std::string f = (dir.path / "fuzz.pcapng").string();
  std::ofstream(f, std::ios::binary) << file;
  const auto rows = frames_of(f);
  ASSERT_EQ(rows.size(), 150u);
  EXPECT_NE(rows[0].comment.find(std::string(1020, 'a') + "..."), std::string::npos);
  EXPECT_NE(rows[0].comment.find("\xF0\x9F\x98\x80"), std::string::npos);
}
