// `smppscope decode FILE --diagnose` and `smppscope analyze FILE... [--web]`: the real binary on
// hand-built captures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <tuple>
#include <utility>
#include <regex>
#include <string>
#include <vector>

#include "analysis_test_util.hpp"
#include "pcap_builder.hpp"
#include "sim/child_process.hpp"

namespace {

using namespace analysis_test;
namespace pb = pcap_builder;
namespace json = boost::json;
using namespace std::chrono_literals;

const std::string binary = SMPPSCOPE_BINARY;
constexpr std::int64_t t0 = 1'760'000'000'000'000, s = 1'000'000;

// bind, then a submit_sm the SMSC never answers, then an enquire_link 20 s later.
std::string stall_capture(const temp_dir& dir) {
  std::vector<pb::packet> pkts;
  const pb::addr esme = pb::a4(10, 0, 0, 1, 40001), smsc = pb::a4(10, 0, 0, 2, 2775);
  std::uint32_t seq[2] = {100, 5000};
  auto send = [&](int from, std::int64_t ts, std::uint8_t flags, const bytes& b) {
    const pb::addr& src = from ? smsc : esme;
    const pb::addr& dst = from ? esme : smsc;
    pkts.push_back({ts, pb::ethernet(pb::ip_tcp(src, dst, seq[from], seq[1 - from], flags, b))});
    seq[from] += std::uint32_t(b.size()) + ((flags & pb::SYN) ? 1 : 0);
  };
  send(0, t0, pb::SYN, {});
  send(1, t0 + 10, pb::SYN | pb::ACK, {});
  send(0, t0 + 20, pb::ACK, {});
  send(0, t0 + 1000, pb::PSH | pb::ACK, bind_trx(1, "acme"));
  send(1, t0 + 2000, pb::PSH | pb::ACK, bind_trx_resp(1));
  send(0, t0 + 1 * s, pb::PSH | pb::ACK, submit(2));
  send(0, t0 + 21 * s, pb::PSH | pb::ACK, header_only(sd::command_id::enquire_link, 3));
  send(1, t0 + 21 * s + 500, pb::PSH | pb::ACK, header_only(sd::command_id::enquire_link_resp, 3));
  const std::string path = (dir.path / "stall.pcap").string();
  pb::write_pcap(path, 1, pkts);
  return path;
}

TEST(decode_diagnose, prints_the_alerts_after_the_pdu_lines_and_leaves_plain_decode_unchanged) {
  temp_dir dir;
  const std::string file = stall_capture(dir);
  int st = -1;
  const std::string plain = run(shell_quote(binary) + " decode " + shell_quote(file) + " 2>/dev/null", &st);
  ASSERT_EQ(st, 0);
  const std::string diag = run(shell_quote(binary) + " decode " + shell_quote(file) +
                                   " --diagnose --response-timeout 10 2>/dev/null",
                               &st);
  ASSERT_EQ(st, 0);
  ASSERT_EQ(diag.substr(0, plain.size()), plain) << "the PDU lines come first, as without --diagnose";
  const auto extra = lines(diag.substr(plain.size()));
  ASSERT_FALSE(extra.empty());
  bool found = false;
  for (const auto& l : extra) {
    EXPECT_NE(l.find(" ALERT "), std::string::npos) << l;
    // Dated in the capture: the submit at t0 + 1 s, unanswered for 10 s (ticks of 100 ms).
    if (l.find("ALERT response_timeout (smsc)") != std::string::npos) {
      found = true;
      EXPECT_TRUE(l.starts_with("2025-10-09 08:53:31.")) << l;
      EXPECT_NE(l.find(" #0 "), std::string::npos) << "session = stream index, as on the PDU lines: " << l;
    }
  }
  EXPECT_TRUE(found) << diag;

  const std::string js = run(shell_quote(binary) + " decode " + shell_quote(file) +
                                 " --json --diagnose --response-timeout 10 2>/dev/null",
                             &st);
  ASSERT_EQ(st, 0);
  std::size_t pdus = 0, alerts = 0;
  for (const auto& l : lines(js)) {
    const json::object ev = json::parse(l).as_object();
    const std::string type(ev.at("type").as_string());
    if (type == "pdu") {
      EXPECT_EQ(alerts, 0u) << "alerts follow the PDUs";
      ++pdus;
      continue;
    }
    ASSERT_EQ(type, "alert") << l;
    ++alerts;
    EXPECT_EQ(ev.at("session").to_number<std::uint64_t>(), 0u);
    if (ev.at("kind").as_string() == "response_timeout") {
      EXPECT_EQ(ev.at("side").as_string(), "smsc");
      const auto ts = ev.at("ts_us").to_number<std::int64_t>();
      EXPECT_GE(ts, t0 + 11 * s);
      EXPECT_LT(ts, t0 + 11 * s + 200'000);
    }
  }
  EXPECT_EQ(pdus, 5u);
  EXPECT_GE(alerts, 1u);
}

// One HTTP/1.1 GET on loopback; the body, or "" on failure.
std::string http_get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "";
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != ssize_t(req.size())) {
    ::close(fd);
    return "";
  }
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) resp.append(buf, std::size_t(n));
  ::close(fd);
  const auto body = resp.find("\r\n\r\n");
  if (resp.find(" 200 ") == std::string::npos || body == std::string::npos) return "";
  std::string b = resp.substr(body + 4);
  if (resp.find("chunked") != std::string::npos) {  // de-chunk
    std::string out;
    std::size_t pos = 0;
    while (pos < b.size()) {
      const auto eol = b.find("\r\n", pos);
      const std::size_t len = std::stoul(b.substr(pos, eol - pos), nullptr, 16);
      if (len == 0) break;
      out += b.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
    b = out;
  }
  return b;
}

TEST(analyze_cli, serves_the_sessions_of_a_capture_with_its_times_until_sigterm) {
  temp_dir dir;
  const std::string file = stall_capture(dir);
  smppscope::sim::test::child_process p(
      {binary, "analyze", file, "--web", "127.0.0.1:0", "--response-timeout", "10", "--no-alert-log"});
  std::smatch m;
  const std::regex url("web UI on https?://127\\.0\\.0\\.1:([0-9]+)");
  ASSERT_TRUE(p.wait_stderr([&](const std::string& e) { return std::regex_search(e, m, url); }, 60s)) << p.err_text;
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
  const std::string body = http_get(port, "/api/sessions");
  ASSERT_NE(body, "");
  const json::array sessions = json::parse(body).as_array();
  ASSERT_EQ(sessions.size(), 1u);
  const json::object& s0 = sessions[0].as_object();
  EXPECT_EQ(s0.at("id").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(s0.at("system_id").as_string(), "acme");
  EXPECT_EQ(s0.at("client").as_string(), "10.0.0.1:40001");
  EXPECT_EQ(s0.at("upstream").as_string(), "10.0.0.2:2775");
  EXPECT_EQ(s0.at("pdus_in").to_number<std::uint64_t>(), 3u);
  bool timeout = false;
  for (const auto& a : s0.at("alerts").as_array())
    if (a.as_object().at("kind").as_string() == "response_timeout") {
      timeout = true;
      const auto since = a.as_object().at("since_us").to_number<std::int64_t>();
      EXPECT_GE(since, t0 + 11 * s);
      EXPECT_LT(since, t0 + 11 * s + 200'000);
    }
  EXPECT_TRUE(timeout) << body;
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(30s), std::optional<int>(0));
}

TEST(analyze_cli, without_web_prints_the_session_and_alert_summary) {
  temp_dir dir;
  const std::string file = stall_capture(dir);
  int st = -1;
  const std::string out = run(shell_quote(binary) + " analyze " + shell_quote(file) + " " + shell_quote(file) +
                                  " --response-timeout 10 2>/dev/null",
                              &st);
  ASSERT_EQ(st, 0);
  const auto l = lines(out);
  ASSERT_GE(l.size(), 3u) << out;
  EXPECT_TRUE(l[0].starts_with("2 sessions, 10 PDUs, ")) << out;  // the file twice: sessions 1 and 2
  EXPECT_NE(out.find("session 1 10.0.0.1:40001 -> 10.0.0.2:2775 smpp system_id acme bound_trx"), std::string::npos)
      << out;
  EXPECT_NE(out.find("session 2 10.0.0.1:40001 -> 10.0.0.2:2775"), std::string::npos) << out;
  EXPECT_NE(out.find(" session 1 ALERT response_timeout (smsc): "), std::string::npos) << out;

  EXPECT_NE(run(shell_quote(binary) + " analyze " + shell_quote((dir.path / "missing.pcap").string()) + " 2>&1", &st),
            "");
  EXPECT_NE(st, 0);
}

// The live path and the offline path over the same traffic: sim and load through the proxy,
// which writes the client leg to a pcap; `analyze` on that pcap must show the same session,
// alerts and timeline as the proxy's own /api/sessions. What cannot match and is left out: the
// `upstream` address (live: the SMSC; in the client-leg capture: the proxy it connected to),
// the proxy's own upstream-side endpoint, the close reason (which side closed first), and the times of what a tick raises (alerts, their
// timeline entries, the sample that counts them): live ticks follow the wall clock and may run
// late on a loaded machine, a capture's fall on whole multiples of the interval.
// How late a live tick may run: the analysis thread has the lowest scheduling priority, so on a
// loaded machine (a test run sharing two cores) it can wait for the CPU well beyond one tick.
constexpr std::int64_t tick_slack_us = 2'000'000;

// A timeline's per-second samples count the alerts raised and cleared in that second: a late live
// tick moves a count into a later sample. Takes them out of the samples and returns their totals.
std::pair<std::int64_t, std::int64_t> take_sample_alert_counts(json::value& timeline) {
  std::pair<std::int64_t, std::int64_t> totals{0, 0};
  if (!timeline.is_object() || !timeline.as_object().contains("samples")) return totals;
  for (auto& sample : timeline.as_object()["samples"].as_array()) {
    auto& o = sample.as_object();
    if (auto* v = o.if_contains("alerts_raised")) totals.first += v->to_number<std::int64_t>();
    if (auto* v = o.if_contains("alerts_cleared")) totals.second += v->to_number<std::int64_t>();
    o.erase("alerts_raised");
    o.erase("alerts_cleared");
  }
  return totals;
}

// Equal JSON, except that times raised on a tick ("ts_us", "since_us") may differ by a late tick.
void same_but_tick_times(const json::value& o, const json::value& l, const std::string& where) {
  if (o.is_object() && l.is_object()) {
    const auto& oo = o.as_object();
    const auto& lo = l.as_object();
    EXPECT_EQ(oo.size(), lo.size()) << where;
    for (const auto& [k, v] : lo) {
      const std::string at = where + "." + std::string(k);
      if (!oo.contains(k)) {
        ADD_FAILURE() << "missing " << at;
        continue;
      }
      if ((k == "ts_us" || k == "since_us") && v.is_int64() && oo.at(k).is_int64())
        EXPECT_LE(std::abs(oo.at(k).as_int64() - v.as_int64()), tick_slack_us) << at;
      else
        same_but_tick_times(oo.at(k), v, at);
    }
  } else if (o.is_array() && l.is_array()) {
    ASSERT_EQ(o.as_array().size(), l.as_array().size()) << where;
    for (std::size_t i = 0; i < l.as_array().size(); ++i)
      same_but_tick_times(o.as_array()[i], l.as_array()[i], where + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(json::serialize(o), json::serialize(l)) << where;
  }
}

std::uint16_t port_after(smppscope::sim::test::child_process& p, const std::string& pattern) {
  std::smatch m;
  const std::regex re(pattern + "([0-9]+)");
  if (!p.wait_stderr([&](const std::string& e) { return std::regex_search(e, m, re); }, 60s)) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1].str()));
}

TEST(analyze_cli, a_capture_of_proxied_traffic_gives_what_the_proxy_showed_live) {
  temp_dir dir;
  using smppscope::sim::test::child_process;
  // Every fourth submit throttled; after 12 submits the SMSC stops answering them.
  child_process sim({binary, "sim", "--listen", "127.0.0.1:0", "--quiet", "--error-rate", "0.25", "--error-status",
                     "0x58", "--stop-submit-after", "12", "--enquire-link-interval", "0"});
  const std::uint16_t sim_port = port_after(sim, "listening on 127\\.0\\.0\\.1:");
  ASSERT_NE(sim_port, 0) << sim.err_text;
  const std::string pcap_dir = (dir.path / "pcap").string();
  const std::vector<std::string> diag_flags = {"--response-timeout", "1", "--no-alert-log"};
  std::vector<std::string> proxy_args = {binary, "proxy", "--listen", "127.0.0.1:0", "--upstream",
                                         "127.0.0.1:" + std::to_string(sim_port), "--pcap-dir", pcap_dir,
                                         "--pcap-legs", "client", "--web", "127.0.0.1:0"};
  proxy_args.insert(proxy_args.end(), diag_flags.begin(), diag_flags.end());
  child_process proxy(proxy_args);
  const std::uint16_t proxy_port = port_after(proxy, "listening on 127\\.0\\.0\\.1:");
  const std::uint16_t proxy_web = port_after(proxy, "web UI on https?://127\\.0\\.0\\.1:");
  ASSERT_NE(proxy_port, 0) << proxy.err_text;
  ASSERT_NE(proxy_web, 0) << proxy.err_text;
  child_process load({binary, "load", "--target", "127.0.0.1:" + std::to_string(proxy_port), "--system-id", "acme",
                      "--password", "pw", "--count", "20", "--window", "4", "--retry-max", "0", "--timeout", "2",
                      "--quiet"});
  ASSERT_TRUE(load.wait(60s).has_value()) << load.err_text;
  // The session closed, and its alerts raised, in the proxy's view.
  std::string live;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    live = http_get(proxy_web, "/api/sessions");
    if (live.find("\"closed\"") != std::string::npos && live.find("response_timeout") != std::string::npos) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << live;
    std::this_thread::sleep_for(50ms);
  }
  const std::string live_timeline = http_get(proxy_web, "/api/sessions/1/timeline");
  proxy.signal(SIGTERM);  // flushes and closes the pcap file
  ASSERT_EQ(proxy.wait(30s), std::optional<int>(0)) << proxy.err_text;
  sim.signal(SIGTERM);

  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(pcap_dir)) files.push_back(e.path().string());
  ASSERT_EQ(files.size(), 1u);
  std::vector<std::string> analyze_args = {binary, "analyze", files[0], "--web", "127.0.0.1:0"};
  analyze_args.insert(analyze_args.end(), diag_flags.begin(), diag_flags.end());
  child_process an(analyze_args);
  const std::uint16_t an_web = port_after(an, "web UI on https?://127\\.0\\.0\\.1:");
  ASSERT_NE(an_web, 0) << an.err_text;
  const std::string offline = http_get(an_web, "/api/sessions");
  const std::string offline_timeline = http_get(an_web, "/api/sessions/1/timeline");
  an.signal(SIGTERM);
  EXPECT_EQ(an.wait(30s), std::optional<int>(0));

  json::array lv = json::parse(live).as_array(), ov = json::parse(offline).as_array();
  ASSERT_EQ(lv.size(), 1u);
  ASSERT_EQ(ov.size(), 1u);
  json::object l = lv[0].as_object(), o = ov[0].as_object();
  auto take_alerts = [](json::object& x) {
    std::vector<std::tuple<std::string, std::string, std::int64_t>> out;
    for (auto& a : x.at("alerts").as_array()) {
      auto& ao = a.as_object();
      out.emplace_back(std::string(ao.at("kind").as_string()),
                       ao.contains("side") ? std::string(ao.at("side").as_string()) : "",
                       ao.at("since_us").to_number<std::int64_t>());
    }
    std::sort(out.begin(), out.end());
    x.erase("alerts");
    x.erase("upstream");
    return out;
  };
  const auto la = take_alerts(l), oa = take_alerts(o);
  // The proxy's own upstream leg is not in a client-leg capture; nor is which side closed first:
  // the pcap writer writes both FINs of a leg at the session's close.
  for (const char* k : {"proxy_upstream_side", "close_reason"}) {
    l.erase(k);
    o.erase(k);
  }
  for (const auto& [k, v] : l) EXPECT_EQ(json::serialize(o[k]), json::serialize(v)) << "session member " << k;
  EXPECT_EQ(o.size(), l.size());
  ASSERT_EQ(oa.size(), la.size()) << live << "\n" << offline;
  for (std::size_t i = 0; i < la.size(); ++i) {
    EXPECT_EQ(std::get<0>(oa[i]), std::get<0>(la[i]));
    EXPECT_EQ(std::get<1>(oa[i]), std::get<1>(la[i]));
    EXPECT_LE(std::abs(std::get<2>(oa[i]) - std::get<2>(la[i])), tick_slack_us) << std::get<0>(la[i]);
  }
  EXPECT_NE(live_timeline, "");
  json::value offline_tl = json::parse(offline_timeline), live_tl = json::parse(live_timeline);
  EXPECT_EQ(take_sample_alert_counts(offline_tl), take_sample_alert_counts(live_tl));
  same_but_tick_times(offline_tl, live_tl, "timeline");
}

}  // namespace
