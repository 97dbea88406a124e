// smppscope profiles [show NAME | --file PATH]: the shipped provider profiles and their key limits.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "smppscope/decoder/protocol.hpp"
#include "smppscope/profile/loader.hpp"

namespace smppscope::app {

namespace {

std::string limits_line(const profile::provider_profile& p) {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
  if (p.window) add("window " + std::to_string(*p.window));
  if (p.rate_per_connection) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", *p.rate_per_connection);
    add(std::string(buf) + " msg/s per connection");
  }
  const auto& b = p.binds;
  if (b.max_per_account) add(std::to_string(*b.max_per_account) + " binds per account");
  if (b.max_per_server) add(std::to_string(*b.max_per_server) + " session per server/port");
  if (b.max_per_host) add(std::to_string(*b.max_per_host) + " binds per host");
  if (!b.allowed.empty() && b.allowed.size() < 3) {
    std::string t;
    for (auto x : b.allowed) t += (t.empty() ? "" : "/") + std::string(profile::to_string(x));
    add(t + " only");
  }
  if (p.tls.required) add("TLS required");
  if (p.tls.min_version != profile::tls_version::none) add("TLS >= " + std::string(profile::to_string(p.tls.min_version)));
  if (p.tls.port) add("TLS port " + std::to_string(*p.tls.port));
  if (p.enquire_link_interval_s) add("enquire_link every " + std::to_string(*p.enquire_link_interval_s) + " s");
  if (p.forced_unbind_period_s) add("unbinds every " + std::to_string(*p.forced_unbind_period_s) + " s");
  return s.empty() ? "no provider limits" : s;
}

void show(const profile::provider_profile& p) {
  std::printf("%s: %s\n", p.name.c_str(), p.title.c_str());
  if (!p.description.empty()) std::printf("  %s\n", p.description.c_str());
  if (!p.source.empty()) std::printf("  source: %s\n", p.source.c_str());
  std::printf("  limits: %s\n", limits_line(p).c_str());
  if (!p.interface_versions.empty()) {
    std::printf("  versions:");
    for (auto v : p.interface_versions) std::printf(" %u.%u", v >> 4, v & 0xF);
    std::printf("\n");
  }
  if (!p.unsupported_pdus.empty()) {
    std::printf("  unsupported PDUs:");
    for (auto id : p.unsupported_pdus) std::printf(" %s", std::string(decoder::command_name(id)).c_str());
    std::printf("\n");
  }
  if (!p.data_codings.empty()) {
    std::printf("  data_coding:");
    for (auto dc : p.data_codings) std::printf(" %u", dc);
    std::printf(" (GSM 7-bit %s)\n", std::string(profile::to_string(p.gsm7)).c_str());
  }
  for (const auto& s : p.vendor_statuses)
    std::printf("  status 0x%08X %s: %s\n", s.value, s.name.c_str(), s.description.c_str());
  for (const auto& t : p.vendor_tlvs) std::printf("  TLV 0x%04X %s: %s\n", t.tag, t.name.c_str(), t.description.c_str());
  if (!p.receipt.errors.empty()) {
    std::printf("  receipt err: codes (%zu):\n", p.receipt.errors.size());
    for (const auto& e : p.receipt.errors) std::printf("    %u %s\n", e.code, e.meaning.c_str());
  }
}

}  // namespace

command_runner add_profiles_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("profiles", "list the shipped provider profiles (or show one) and check a profile file");
  auto name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto* show_cmd = cmd->add_subcommand("show", "everything a profile says: limits, statuses, TLVs, receipt err: codes");
  show_cmd->add_option("NAME", *name, "a shipped profile")->required();
  cmd->add_option("--file", *file, "load this profile file and show it (checks it: errors name the line)")->type_name("PATH");
  return [cmd, show_cmd, name, file]() -> int {
    (void)cmd;
    if (!file->empty()) {
      const profile::load_result r = profile::load_profile_file(*file);
      if (!r) throw std::runtime_error(r.error.to_string());
      show(*r.profile);
      return 0;
    }
    if (show_cmd->parsed()) {
      const auto p = profile::find_builtin(*name);
      if (!p) throw std::runtime_error("no shipped profile '" + *name + "' (see smppscope profiles)");
      show(*p);
      return 0;
    }
    for (const auto& p : profile::builtin_profiles())
      std::printf("%-14s %s\n%-14s   %s\n", p->name.c_str(), p->description.c_str(), "", limits_line(*p).c_str());
    return 0;
  };
}

}  // namespace smppscope::app
