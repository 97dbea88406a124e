// smppscope: SMPP proxy and protocol analyser. See README.md for the command reference.
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"smppscope: SMPP proxy and protocol analyser", "smppscope"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("smppscope 0.1.0"));

  std::vector<std::pair<CLI::App*, smppscope::app::command_runner>> commands;
  auto add = [&](auto adder) {
    auto runner = adder(app);
    auto after = app.get_subcommands({});
    commands.emplace_back(after.back(), std::move(runner));
  };
  add(smppscope::app::add_proxy_command);
  add(smppscope::app::add_sim_command);
  add(smppscope::app::add_load_command);
  add(smppscope::app::add_decode_command);
  add(smppscope::app::add_analyze_command);
  add(smppscope::app::add_demo_command);
  add(smppscope::app::add_profiles_command);
  add(smppscope::app::add_sniff_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One clear line on stderr, non-zero exit (docs/INTERFACE.md).
    std::fprintf(stderr, "smppscope: %s (see smppscope --help)\n", e.what());
    return 2;
  }
  try {
    for (auto& [sub, run] : commands) {
      if (sub->parsed()) return run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smppscope: %s\n", e.what());
    return 1;
  }
  return 2;
}
