// Each subcommand registers its options on the CLI11 app and returns the function that runs it.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace smppscope::app {

using command_runner = std::function<int()>;

command_runner add_proxy_command(CLI::App& app);
command_runner add_decode_command(CLI::App& app);
command_runner add_analyze_command(CLI::App& app);
command_runner add_sim_command(CLI::App& app);
command_runner add_load_command(CLI::App& app);
command_runner add_demo_command(CLI::App& app);
command_runner add_profiles_command(CLI::App& app);
command_runner add_sniff_command(CLI::App& app);

}  // namespace smppscope::app
