// smppscope sim: the SMSC simulator (sim/include/smppscope/sim/simulator.hpp).
#include <charconv>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "profile_wiring.hpp"
#include "smppscope/decoder/protocol.hpp"
#include "smppscope/profile/loader.hpp"
#include "smppscope/sim/host_port.hpp"
#include "smppscope/sim/ismg.hpp"
#include "smppscope/sim/simulator.hpp"
#include "smppscope/sim/stop_signal.hpp"

namespace smppscope::app {
namespace {

struct sim_args {
  std::string listen = "127.0.0.1:2775";
  std::string credentials_file;
  std::string dlr_mix;
  std::string dlr_id_format = "hex";
  std::string gsm7 = "unpacked";
  std::string error_status = "0x45";
  unsigned threads = 1;
  unsigned dlr_delay_ms = 100;
  double mo_rate = 0;
  unsigned enquire_link_interval = 30;
  unsigned window = 10;
  double rate = 0;
  unsigned latency_ms = 0;
  long long stop_submit_after = -1;
  bool no_enquire_link_resp = false;
  double error_rate = 0;
  long long drop_after_pdus = -1;
  bool drop_after_enquire_link = false;
  bool tls = false;
  std::string cert, key;
  std::string system_id = "smppscope";
  bool quiet = false;
  // Provider profile: the simulator stands in for that provider.
  std::string profile, profile_file;
  double time_scale = 1;
  bool window_given = false, rate_given = false;
  // CMPP (--protocol cmpp2|cmpp3): an ISMG instead of an SMSC.
  std::string protocol = "smpp";
  std::uint32_t gateway_code = 123456;
};

// --profile NAME (a shipped profile) or --profile-file PATH; nullptr for neither.
// sim and load take on a provider's behaviour only when asked: no flag, no profile.
profile::profile_ptr optional_profile(const std::string& name, const std::string& file) {
  if (name.empty() && file.empty()) return nullptr;
  return resolve_profile(profile_cli_options{.name = name, .file = file});
}

const CLI::Validator host_port_check(
    [](std::string& s) -> std::string {
      return sim::parse_host_port(s) ? std::string{} : "must be HOST:PORT (got '" + s + "')";
    },
    "HOST:PORT");

// 0xNN, decimal, or a status name (ESME_RTHROTTLED).
std::uint32_t parse_status(const std::string& s) {
  for (const auto& st : decoder::all_statuses())
    if (st.name == s) return st.value;
  std::uint32_t v = 0;
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char* b = s.data() + (hex ? 2 : 0);
  auto [end, ec] = std::from_chars(b, s.data() + s.size(), v, hex ? 16 : 10);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    throw std::runtime_error("--error-status must be 0xNN, a number or a status name (got '" + s + "')");
  return v;
}

std::map<std::string, std::string, std::less<>> read_credentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--credentials: cannot read " + path);
  std::map<std::string, std::string, std::less<>> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0)
      throw std::runtime_error("--credentials " + path + ": line " + std::to_string(n) + " is not system_id:password");
    out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  if (out.empty()) throw std::runtime_error("--credentials " + path + ": no system_id:password lines");
  return out;
}

sim::simulator_options to_options(const sim_args& a) {
  sim::simulator_options o;
  const auto hp = sim::parse_host_port(a.listen);
  o.host = hp->host;
  o.port = hp->port;
  o.threads = a.threads;
  o.system_id = a.system_id;
  if (!a.credentials_file.empty()) o.credentials = read_credentials(a.credentials_file);
  o.dlr_delay = std::chrono::milliseconds(a.dlr_delay_ms);
  if (!a.dlr_mix.empty()) {
    std::string err;
    auto mix = sim::parse_dlr_mix(a.dlr_mix, &err);
    if (!mix) throw std::runtime_error("--dlr-mix: " + err);
    o.dlr_mix = *mix;
  }
  if (a.dlr_id_format == "decimal") o.dlr_ids = sim::dlr_id_format::decimal;
  if (a.dlr_id_format == "mismatch") o.dlr_ids = sim::dlr_id_format::mismatch;
  o.gsm7 = a.gsm7 == "packed" ? decoder::gsm7_packing::packed : decoder::gsm7_packing::unpacked;
  o.mo_rate = a.mo_rate;
  o.enquire_link_interval = std::chrono::seconds(a.enquire_link_interval);
  o.window = a.window;
  o.rate = a.rate;
  o.latency = std::chrono::milliseconds(a.latency_ms);
  if (a.stop_submit_after >= 0) o.stop_submit_after = static_cast<std::uint64_t>(a.stop_submit_after);
  o.no_enquire_link_resp = a.no_enquire_link_resp;
  o.error_rate = a.error_rate;
  o.error_status = parse_status(a.error_status);
  if (a.drop_after_pdus >= 0) o.drop_after_pdus = static_cast<std::uint64_t>(a.drop_after_pdus);
  o.drop_after_enquire_link = a.drop_after_enquire_link;
  o.tls = a.tls;
  o.cert_file = a.cert;
  o.key_file = a.key;
  o.log = a.quiet ? nullptr : stderr;
  o.profile = optional_profile(a.profile, a.profile_file);
  o.time_scale = a.time_scale;
  if (o.profile) {  // the provider's window and rate, unless given on the command line
    const auto w = o.window;
    const auto r = o.rate;
    sim::apply_profile_limits(o, *o.profile);
    if (a.window_given) o.window = w;
    if (a.rate_given) o.rate = r;
  }
  return o;
}

// --protocol cmpp2|cmpp3: the same options with the ISMG's defaults where the user gave none
// (port 7890, ACTIVE_TEST after 180 s idle, window 16, Result 9 for --error-rate).
int run_ismg(const CLI::App& cmd, const sim_args& a) {
  const auto given = [&cmd](const char* flag) { return cmd.get_option(flag)->count() > 0; };
  sim::ismg_options o;
  static_cast<sim::simulator_options&>(o) = to_options(a);
  o.version = a.protocol == "cmpp3" ? decoder::cmpp::version::v30 : decoder::cmpp::version::v20;
  o.gateway_code = a.gateway_code;
  if (!given("--listen")) o.port = 7890;
  if (!given("--enquire-link-interval")) o.enquire_link_interval = std::chrono::seconds(180);
  if (!given("--window")) o.window = 16;
  if (!given("--error-status")) o.error_status = 9;
  sim::ismg s(std::move(o));
  sim::stop_signal sig([&s] { s.stop(); });
  s.start();
  const auto hp = sim::parse_host_port(a.listen);
  std::fprintf(stderr, "sim: CMPP %s ISMG listening on %s%s\n", a.protocol == "cmpp3" ? "3.0" : "2.0",
               sim::host_port{hp->host, s.port()}.to_string().c_str(), a.tls ? " (tls)" : "");
  s.run();
  const auto st = s.stats();
  if (!a.quiet)
    std::fprintf(stderr, "sim: stopped: %llu sessions, %llu CMPP_SUBMIT, %llu status reports, %llu MO\n",
                 static_cast<unsigned long long>(st.sessions_opened), static_cast<unsigned long long>(st.submits),
                 static_cast<unsigned long long>(st.dlrs_sent), static_cast<unsigned long long>(st.mo_sent));
  return 0;
}

}  // namespace

command_runner add_sim_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("sim", "SMSC simulator: answers binds, submits and queries, sends receipts and MO");
  auto a = std::make_shared<sim_args>();
  cmd->add_option("--listen", a->listen, "address to listen on")->check(host_port_check)->capture_default_str();
  cmd->add_option("--threads", a->threads, "io threads (sessions are spread over them)")
      ->check(CLI::Range(1u, 64u))->capture_default_str();
  cmd->add_option("--system-id", a->system_id, "system_id in bind responses")->capture_default_str();
  cmd->add_option("--credentials", a->credentials_file,
                  "file of system_id:password lines; without it any credentials bind")->check(CLI::ExistingFile);
  cmd->add_option("--dlr-delay", a->dlr_delay_ms, "ms between submit_sm_resp and the delivery receipt")
      ->capture_default_str();
  cmd->add_option("--dlr-mix", a->dlr_mix, "final states of receipts, e.g. DELIVRD=90,UNDELIV:001=5,EXPIRED=3,REJECTD=2");
  cmd->add_option("--dlr-id-format", a->dlr_id_format, "receipt id: hex (as submit_sm_resp), decimal or mismatch")
      ->check(CLI::IsMember({"hex", "decimal", "mismatch"}))->capture_default_str();
  cmd->add_option("--gsm7", a->gsm7, "GSM 7-bit text of MO and receipts: packed or unpacked")
      ->check(CLI::IsMember({"packed", "unpacked"}))->capture_default_str();
  cmd->add_option("--mo-rate", a->mo_rate, "MO deliver_sm per second to each receiver session")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--enquire-link-interval", a->enquire_link_interval, "seconds between our enquire_links (0: off)")
      ->capture_default_str();
  auto* window = cmd->add_option("--window", a->window,
                                 "unanswered requests per session before ESME_RTHROTTLED (0: no limit; default: the "
                                 "profile's, else 10)");
  auto* rate = cmd->add_option("--rate", a->rate,
                               "messages per second per session before ESME_RTHROTTLED (0: no limit; default: the "
                               "profile's, else 0)")
                   ->check(CLI::NonNegativeNumber);
  cmd->add_option("--latency-ms", a->latency_ms, "delay every response by this many ms");
  cmd->add_option("--stop-submit-after", a->stop_submit_after, "stop answering submit_sm after N per session")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-enquire-link-resp", a->no_enquire_link_resp, "never answer enquire_link");
  cmd->add_option("--error-rate", a->error_rate, "fraction of submit_sm answered with --error-status")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--error-status", a->error_status, "status for --error-rate: 0xNN or a name")->capture_default_str();
  cmd->add_option("--drop-after-pdus", a->drop_after_pdus, "close the connection after the N-th PDU")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--drop-after-enquire-link", a->drop_after_enquire_link, "close the connection on enquire_link");
  auto* tls = cmd->add_flag("--tls", a->tls, "TLS listener (needs --cert and --key)");
  cmd->add_option("--cert", a->cert, "PEM certificate chain")->check(CLI::ExistingFile);
  cmd->add_option("--key", a->key, "PEM private key")->check(CLI::ExistingFile);
  (void)tls;
  cmd->add_flag("--quiet", a->quiet, "no session log on stderr");
  auto* prof = cmd->add_option("--profile", a->profile,
                               "behave like this provider (a shipped profile: see 'smppscope profiles'): its bind "
                               "limits, window, rate, unsupported PDUs and data_codings, statuses, receipt format "
                               "and forced unbind");
  cmd->add_option("--profile-file", a->profile_file, "behave like the provider of this profile file (TOML)")
      ->check(CLI::ExistingFile)
      ->excludes(prof);
  cmd->add_option("--time-scale", a->time_scale,
                  "run the profile's periods (forced unbind) this many times faster, for tests")
      ->check(CLI::Range(1e-3, 1e9))
      ->capture_default_str();

  // CMPP: an ISMG. --credentials then holds Source_Addr:shared-secret lines; --error-status is
  // a SUBMIT_RESP Result; the ACTIVE_TEST interval, window and port default to the specification's.
  cmd->add_option("--protocol", a->protocol,
                  "smpp (an SMSC), or cmpp2 / cmpp3 (a CMPP 2.0 / 3.0 ISMG; defaults then: --listen 127.0.0.1:7890, "
                  "--window 16, --enquire-link-interval 180 for ACTIVE_TEST, --error-status 9)")
      ->check(CLI::IsMember({"smpp", "cmpp2", "cmpp3"}))->capture_default_str();
  cmd->add_option("--gateway-code", a->gateway_code, "CMPP: ISMG code in Msg_Ids (0-4194303)")
      ->check(CLI::Range(0u, 0x3FFFFFu))->capture_default_str();

  return [a, cmd, window, rate] {
    a->window_given = window->count() > 0;
    a->rate_given = rate->count() > 0;
    if (a->tls && (a->cert.empty() || a->key.empty())) {
      std::fprintf(stderr, "smppscope sim: --tls needs --cert FILE and --key FILE\n");
      return 2;
    }
    if (a->protocol != "smpp") return run_ismg(*cmd, *a);
    auto options = to_options(*a);
    const profile::profile_ptr prof = options.profile;
    sim::simulator s(std::move(options));
    sim::stop_signal sig([&s] { s.stop(); });
    s.start();
    const auto hp = sim::parse_host_port(a->listen);
    std::fprintf(stderr, "sim: listening on %s%s\n", sim::host_port{hp->host, s.port()}.to_string().c_str(),
                 a->tls ? " (tls)" : "");
    if (prof) std::fprintf(stderr, "sim: behaving like %s (%s)\n", prof->name.c_str(), prof->title.c_str());
    s.run();
    const auto st = s.stats();
    if (!a->quiet)
      std::fprintf(stderr, "sim: stopped: %llu sessions, %llu submit_sm, %llu receipts, %llu MO\n",
                   static_cast<unsigned long long>(st.sessions_opened), static_cast<unsigned long long>(st.submits),
                   static_cast<unsigned long long>(st.dlrs_sent), static_cast<unsigned long long>(st.mo_sent));
    return 0;
  };
}

}  // namespace smppscope::app
