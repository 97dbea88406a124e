#include <cstdio>

#include "commands.hpp"

namespace smppscope::app {

command_runner add_load_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("load", "load (not built yet)");
  return [cmd] {
    std::fprintf(stderr, "smppscope %s: not built yet\n", cmd->get_name().c_str());
    return 1;
  };
}

}  // namespace smppscope::app
