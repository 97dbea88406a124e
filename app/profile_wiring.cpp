#include "profile_wiring.hpp"

#include <stdexcept>

#include "smppscope/profile/loader.hpp"

namespace smppscope::app {

namespace {

std::string shipped_names() {
  std::string s;
  for (const auto& p : profile::builtin_profiles()) s += (s.empty() ? "" : ", ") + p->name;
  return s;
}

}  // namespace

void add_profile_options(CLI::App& cmd, profile_cli_options& o, const std::string& what) {
  const std::string group = "Provider profile";
  cmd.add_option("--profile", o.name, what + " (shipped: " + shipped_names() + "; see `smppscope profiles`)")
      ->capture_default_str()
      ->type_name("NAME")
      ->group(group);
  cmd.add_option("--profile-file", o.file, "a provider profile of your own (TOML, see docs/PROFILES.md); overrides --profile")
      ->type_name("PATH")
      ->group(group);
}

profile::profile_ptr resolve_profile(const profile_cli_options& o) {
  if (!o.file.empty()) {
    const profile::load_result r = profile::load_profile_file(o.file);
    if (!r) throw std::runtime_error("--profile-file: " + r.error.to_string());
    return r.profile;
  }
  if (auto p = profile::find_builtin(o.name)) return p;
  throw std::runtime_error("--profile: no shipped profile '" + o.name + "' (shipped: " + shipped_names() +
                           "; or give a file with --profile-file PATH)");
}

}  // namespace smppscope::app
