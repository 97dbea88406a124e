// `smppscope demo` as a user runs it: it prints where the UI and the proxy are, traffic shows up
// in the web API and in pcap files, a client pointed at the printed address works, and SIGINT
// stops everything within a few seconds.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <set>

#include "child_process.hpp"
#include "smppscope/sim/host_port.hpp"

namespace smppscope::sim::test {
namespace {

using namespace std::chrono_literals;
namespace http = boost::beast::http;

// GET on the demo's web server; {status, body}.
std::pair<int, std::string> http_get(const host_port& at, const std::string& target) {
  boost::asio::io_context ctx;
  boost::asio::ip::tcp::socket sock(ctx);
  sock.connect({boost::asio::ip::make_address(at.host), at.port});
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, at.to_string());
  http::write(sock, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res);
  return {res.result_int(), res.body()};
}

TEST(DemoCli, RunsTrafficServesTheUiAndStopsOnSigint) {
  char tmpl[] = "/tmp/smppscope-demo-test-XXXXXX";
  const std::filesystem::path pcap_dir = ::mkdtemp(tmpl);
  child_process demo({SMPPSCOPE_BINARY, "demo", "--web", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--rate", "40",
                      "--pcap-dir", pcap_dir.string(), "--stall-every", "0"});
  ASSERT_TRUE(demo.wait_stdout([](const std::string& o) { return o.find("Ctrl-C stops.") != std::string::npos; }, 15s))
      << demo.out_text << demo.err_text;

  std::smatch m;
  ASSERT_TRUE(std::regex_search(demo.out_text, m, std::regex("web UI +http://([0-9.]+):([0-9]+)/")));
  const host_port web{m[1].str(), static_cast<std::uint16_t>(std::stoi(m[2].str()))};
  ASSERT_TRUE(std::regex_search(demo.out_text, m, std::regex("Point your own client at ([0-9.]+:[0-9]+)")));
  const std::string proxy_addr = m[1].str();
  EXPECT_NE(demo.out_text.find(pcap_dir.string()), std::string::npos);

  EXPECT_EQ(http_get(web, "/healthz").first, 200);
  const auto [ui_status, ui] = http_get(web, "/");
  EXPECT_EQ(ui_status, 200);
  EXPECT_NE(ui.find("<html"), std::string::npos);

  // Demo traffic reaches the ring buffer: submits, responses and receipts, from several sessions.
  std::set<std::string> commands;
  std::set<std::int64_t> session_ids;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline &&
         !(commands.count("submit_sm") && commands.count("submit_sm_resp") && commands.count("deliver_sm") &&
           session_ids.size() >= 3)) {
    const auto [status, body] = http_get(web, "/api/pdus?type=pdu&limit=500");
    ASSERT_EQ(status, 200) << body;
    const boost::json::value events = boost::json::parse(body);
    for (const auto& ev : events.as_array()) {
      commands.insert(std::string(ev.at("command").as_string()));
      session_ids.insert(ev.at("session").to_number<std::int64_t>());
    }
    if (!commands.count("deliver_sm")) std::this_thread::sleep_for(200ms);  // receipts follow after 1.5 s
  }
  EXPECT_TRUE(commands.count("submit_sm"));
  EXPECT_TRUE(commands.count("submit_sm_resp"));
  EXPECT_TRUE(commands.count("deliver_sm"));
  EXPECT_GE(session_ids.size(), 3u);

  // The demo wires the diagnostics into the web server: every session has a timeline.
  for (const auto id : session_ids) {
    const auto [status, body] = http_get(web, "/api/sessions/" + std::to_string(id) + "/timeline");
    EXPECT_EQ(status, 200) << "session " << id << ": " << body;
    if (status == 200) {
      EXPECT_TRUE(boost::json::parse(body).is_object()) << body;
    }
  }

  // The printed instructions work: a client of our own through the demo's proxy.
  child_process client({SMPPSCOPE_BINARY, "load", "--target", proxy_addr, "--system-id", "me", "--password", "x",
                        "--count", "50", "--window", "10", "--json", "--timeout", "20"});
  const auto client_code = client.wait(30s);
  ASSERT_TRUE(client_code.has_value());
  const auto report = boost::json::parse(client.out_text);
  // The demo's SMSC throttles ~3 % at random points: every submit is answered either way.
  EXPECT_EQ(report.at("acknowledged").to_number<int>() + report.at("errors_total").to_number<int>(), 50) << client.out_text;
  EXPECT_EQ(report.at("timed_out").to_number<int>(), 0);

  // The CMPP 2.0 gateway behind its own relay takes an SP of our own too.
  ASSERT_TRUE(std::regex_search(demo.out_text, m, std::regex("CMPP proxy +([0-9.]+:[0-9]+) -> simulated CMPP 2.0 ISMG")));
  child_process sp({SMPPSCOPE_BINARY, "load", "--protocol", "cmpp2", "--target", m[1].str(), "--system-id", "me",
                    "--password", "x", "--count", "20", "--window", "4", "--registered-delivery", "--json", "--timeout", "20"});
  const auto sp_code = sp.wait(30s);
  ASSERT_TRUE(sp_code.has_value());
  const auto sp_report = boost::json::parse(sp.out_text);
  EXPECT_EQ(sp_report.at("messages").to_number<int>(), 20) << sp.out_text << sp.err_text;
  EXPECT_EQ(sp_report.at("acknowledged").to_number<int>() + sp_report.at("errors_total").to_number<int>(),
            sp_report.at("sent").to_number<int>())
      << sp.out_text;
  EXPECT_EQ(sp_report.at("dlr").at("received").to_number<int>(), sp_report.at("acknowledged").to_number<int>());

  const auto t0 = std::chrono::steady_clock::now();
  demo.signal(SIGINT);
  const auto code = demo.wait(10s);
  ASSERT_TRUE(code.has_value()) << "demo did not stop";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(*code, 0) << demo.err_text;
  EXPECT_NE(demo.err_text.find("SIGINT, stopping"), std::string::npos) << demo.err_text;

  std::uintmax_t pcap_bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(pcap_dir))
    if (f.path().extension() == ".pcap") pcap_bytes += f.file_size();
  EXPECT_GT(pcap_bytes, 10000u);
  std::filesystem::remove_all(pcap_dir);
}

TEST(DemoCli, BadArgumentIsOneLine) {
  child_process demo({SMPPSCOPE_BINARY, "demo", "--web", "nowhere"});
  const auto code = demo.wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_EQ(std::count(demo.err_text.begin(), demo.err_text.end(), '\n'), 1) << demo.err_text;
}

}  // namespace
}  // namespace smppscope::sim::test
