// smppscope load: the SMPP load generator (sim/include/smppscope/sim/load_generator.hpp).
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "profile_wiring.hpp"
#include "smppscope/profile/loader.hpp"
#include "smppscope/sim/host_port.hpp"
#include "smppscope/sim/load_generator.hpp"
#include "smppscope/sim/stop_signal.hpp"

namespace smppscope::app {
namespace {

struct load_args {
  std::string target;
  std::string system_id, password, system_type;
  std::uint64_t count = 1000;
  std::string window = "10";
  unsigned window_max = 1000;
  unsigned retry_max = 10;
  unsigned retry_backoff_ms = 10, retry_backoff_max_ms = 2000;
  double rate = 0;
  unsigned sessions = 1;
  std::string bind = "trx";
  std::string mix = "gsm7";
  bool registered_delivery = false;
  bool json = false;
  double timeout_s = 10;
  unsigned enquire_link_interval = 0;
  bool tls = false, insecure = false;
  std::string ca;
  bool quiet = false;
  // Provider profile: keep to its limits.
  std::string profile, profile_file;
  // CMPP (--protocol cmpp2|cmpp3): an SP instead of an ESME.
  std::string protocol = "smpp";
};

// --profile NAME (a shipped profile) or --profile-file PATH; nullptr for neither.
// load keeps to a provider's limits only when asked: no flag, no profile.
profile::profile_ptr resolve_load_profile(const load_args& a) {
  if (a.profile.empty() && a.profile_file.empty()) return nullptr;
  return resolve_profile(profile_cli_options{.name = a.profile, .file = a.profile_file});
}

}  // namespace

command_runner add_load_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("load", "SMPP load generator: binds, submits with a window, waits for receipts");
  auto a = std::make_shared<load_args>();
  cmd->add_option("--target", a->target, "SMSC (or proxy) address")
      ->required()
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            return sim::parse_host_port(s) ? std::string{} : "must be HOST:PORT (got '" + s + "')";
          },
          "HOST:PORT"));
  cmd->add_option("--system-id", a->system_id, "bind system_id")->required();
  cmd->add_option("--password", a->password, "bind password");
  cmd->add_option("--system-type", a->system_type, "bind system_type");
  cmd->add_option("--count", a->count, "messages to send (a long message is several submit_sm; 0: until Ctrl-C)")
      ->capture_default_str();
  auto* window_opt = cmd->add_option("--window", a->window,
                  "submit_sm in flight per session, or 'auto': start at 10 (or the profile's window), halve on "
                  "throttling, grow by one per clean window")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            if (s == "auto") return {};
            unsigned v = 0;
            const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            return ec == std::errc{} && p == s.data() + s.size() && v >= 1 && v <= 1000000
                       ? std::string{}
                       : "must be a number from 1 to 1000000 or 'auto' (got '" + s + "')";
          },
          "N|auto"))
      ->capture_default_str();
  cmd->add_option("--window-max", a->window_max, "ceiling of --window auto")->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  cmd->add_option("--retry-max", a->retry_max,
                  "times a submit_sm answered ESME_RTHROTTLED or ESME_RMSGQFUL is sent again (0: count them as failures)")
      ->check(CLI::Range(0u, 255u))
      ->capture_default_str();
  cmd->add_option("--retry-backoff-ms", a->retry_backoff_ms,
                  "pause after a throttled burst, doubled for each further burst answered only with throttling")
      ->check(CLI::Range(1u, 600000u))
      ->capture_default_str();
  cmd->add_option("--retry-backoff-max-ms", a->retry_backoff_max_ms, "longest pause")
      ->check(CLI::Range(1u, 600000u))
      ->capture_default_str();
  auto* rate_opt = cmd->add_option("--rate", a->rate, "messages per second over all sessions (0: as fast as the window allows)")
      ->check(CLI::NonNegativeNumber);
  auto* sessions_opt =
      cmd->add_option("--sessions", a->sessions, "parallel binds")->check(CLI::Range(1u, 1000u))->capture_default_str();
  auto* bind_opt = cmd->add_option("--bind", a->bind, "trx (transceiver) or tx (transmitter, plus a receiver for receipts)")
      ->check(CLI::IsMember({"trx", "tx"}))->capture_default_str();
  cmd->add_option("--mix", a->mix, "message kinds in turn: gsm7, ucs2, long")->capture_default_str();
  cmd->add_flag("--registered-delivery", a->registered_delivery, "ask for delivery receipts and wait for them");
  cmd->add_flag("--json", a->json, "print the report as JSON");
  cmd->add_option("--timeout", a->timeout_s, "seconds without a response or receipt before giving up")
      ->check(CLI::PositiveNumber)->capture_default_str();
  auto* enquire_opt =
      cmd->add_option("--enquire-link-interval", a->enquire_link_interval, "seconds between our enquire_links (0: off)");
  cmd->add_flag("--tls", a->tls, "connect with TLS");
  cmd->add_flag("--insecure", a->insecure, "TLS without certificate verification");
  cmd->add_option("--ca", a->ca, "PEM trust anchors for TLS")->check(CLI::ExistingFile);
  cmd->add_flag("--quiet", a->quiet, "no progress lines");
  auto* prof = cmd->add_option("--profile", a->profile,
                               "keep to this provider's limits (a shipped profile): its window, rate per connection, "
                               "bind types and counts, enquire_link interval; flags given explicitly win");
  cmd->add_option("--profile-file", a->profile_file, "keep to the limits of this profile file (TOML)")
      ->check(CLI::ExistingFile)
      ->excludes(prof);

  // CMPP: --system-id is Source_Addr (SP_Id, at most 6 characters), --password the shared secret,
  // --mix takes ascii, gbk, ucs2, long (default all four), --enquire-link-interval sends ACTIVE_TEST.
  cmd->add_option("--protocol", a->protocol,
                  "smpp, or cmpp2 / cmpp3 (a CMPP 2.0 / 3.0 SP: --system-id is Source_Addr, --password the shared "
                  "secret, --mix of ascii, gbk, ucs2, long; default mix all four)")
      ->check(CLI::IsMember({"smpp", "cmpp2", "cmpp3"}))->capture_default_str();

  return [a, cmd, window_opt, rate_opt, sessions_opt, bind_opt, enquire_opt] {
    std::string err;
    const bool cmpp = a->protocol != "smpp";
    std::optional<std::vector<sim::cmpp_text>> cmpp_mix;
    if (cmpp) {
      cmpp_mix = sim::parse_cmpp_mix(cmd->get_option("--mix")->count() ? a->mix : "ascii,gbk,ucs2,long", &err);
      if (!cmpp_mix) {
        std::fprintf(stderr, "smppscope load: --mix: %s\n", err.c_str());
        return 2;
      }
    }
    const auto mix = cmpp ? std::optional<std::vector<sim::message_kind>>(std::vector{sim::message_kind::gsm7})
                          : sim::parse_message_mix(a->mix, &err);
    if (!mix) {
      std::fprintf(stderr, "smppscope load: --mix: %s\n", err.c_str());
      return 2;
    }
    if (a->insecure && !a->tls) {
      std::fprintf(stderr, "smppscope load: --insecure needs --tls\n");
      return 2;
    }
    const auto hp = sim::parse_host_port(a->target);
    sim::load_options o;
    o.host = hp->host;
    o.port = hp->port;
    o.system_id = a->system_id;
    o.password = a->password;
    o.system_type = a->system_type;
    o.count = a->count;
    o.window_auto = a->window == "auto";
    o.window = o.window_auto ? 10u : static_cast<unsigned>(std::stoul(a->window));
    o.window_max = a->window_max;
    if (o.window_auto) o.window = std::min(o.window, o.window_max);
    o.retry_max = a->retry_max;
    o.retry_backoff = std::chrono::milliseconds(a->retry_backoff_ms);
    o.retry_backoff_max = std::chrono::milliseconds(std::max(a->retry_backoff_ms, a->retry_backoff_max_ms));
    o.rate = a->rate;
    o.sessions = a->sessions;
    o.bind = a->bind == "tx" ? sim::bind_mode::transmitter : sim::bind_mode::transceiver;
    o.mix = *mix;
    o.registered_delivery = a->registered_delivery;
    o.timeout = std::chrono::milliseconds(static_cast<long long>(a->timeout_s * 1000));
    o.enquire_link_interval = std::chrono::seconds(a->enquire_link_interval);
    o.tls = a->tls;
    o.insecure = a->insecure;
    o.ca_file = a->ca;
    if (const auto p = resolve_load_profile(*a)) {
      o.profile = p;
      sim::profile_overrides keep;
      keep.keep_window = window_opt->count() > 0 && !o.window_auto;
      keep.keep_rate = rate_opt->count() > 0;
      keep.keep_sessions = sessions_opt->count() > 0;
      keep.keep_bind = bind_opt->count() > 0;
      keep.keep_enquire_link = enquire_opt->count() > 0;
      for (const auto& note : sim::apply_profile_limits(o, *p, keep))
        if (!a->quiet) std::fprintf(stderr, "load: %s\n", note.c_str());
    }
    if (cmpp) {
      o.protocol = a->protocol == "cmpp3" ? sim::load_protocol::cmpp3 : sim::load_protocol::cmpp2;
      o.cmpp_mix = *cmpp_mix;
      o.source_addr = "1066888";  // Src_Id: the SP's service code
      o.destination_addr = "13800138000";
    }

    sim::load_generator gen(o);
    const bool tty = isatty(fileno(stderr)) != 0;
    if (!a->quiet) {
      gen.on_progress(
          [tty](const sim::load_progress& p) {
            std::fprintf(stderr,
                         "%s%7.1fs  sent %llu  acked %llu  throttled %llu  errors %llu  in flight %llu  DLRs %llu  %.0f/s%s",
                         tty ? "\r\033[K" : "", p.elapsed_s, static_cast<unsigned long long>(p.sent),
                         static_cast<unsigned long long>(p.acknowledged), static_cast<unsigned long long>(p.throttled),
                         static_cast<unsigned long long>(p.errors),
                         static_cast<unsigned long long>(p.in_flight), static_cast<unsigned long long>(p.dlrs),
                         p.rate_per_s, tty ? "" : "\n");
            std::fflush(stderr);
          },
          tty ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000));
    }
    sim::stop_signal sig([&gen] { gen.stop(); });
    const sim::load_report r = gen.run();
    if (!a->quiet && tty) std::fputs("\r\033[K", stderr);
    if (a->json)
      std::printf("%s\n", sim::to_json(r).c_str());
    else
      std::fputs(sim::to_text(r).c_str(), stdout);
    std::fflush(stdout);
    if (!r.failure.empty()) std::fprintf(stderr, "smppscope load: %s\n", r.failure.c_str());
    else if (!r.ok())
      std::fprintf(stderr, "smppscope load: %llu submit_sm failed, %llu timed out\n",
                   static_cast<unsigned long long>(r.errors_total), static_cast<unsigned long long>(r.timed_out));
    return r.ok() ? 0 : 1;
  };
}

}  // namespace smppscope::app
