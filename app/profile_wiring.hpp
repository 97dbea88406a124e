// Provider profiles on the command line: --profile NAME / --profile-file PATH (proxy, and any
// command that enforces or keeps to a provider's rules), and `smppscope profiles`.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "smppscope/profile/provider_profile.hpp"

namespace smppscope::app {

struct profile_cli_options {
  std::string name = "generic-3.4";  // --profile: a shipped profile
  std::string file;                  // --profile-file: a user's TOML file (wins over --profile)
};

// Registers --profile and --profile-file on `cmd` (group "Provider profile").
void add_profile_options(CLI::App& cmd, profile_cli_options& o, const std::string& what);

// The profile the flags name. Throws std::runtime_error with one line: an unknown name lists the
// shipped ones; a broken file names file, line and column.
profile::profile_ptr resolve_profile(const profile_cli_options& o);

}  // namespace smppscope::app
