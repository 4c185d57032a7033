// llama: auto-tunes video analytics pipelines. This file wires the subcommands and is the
// one place that turns errors into exit codes (README "Exit codes").
#include <iostream>
#include <map>

#include "base/error.h"
#include "commands.h"

#ifndef LLAMA_VERSION
#define LLAMA_VERSION "dev"
#endif

int main(int argc, char** argv) {
  CLI::App app{"llama: run video analytics pipelines on real video, within a latency target"};
  app.set_version_flag("--version", std::string("llama ") + LLAMA_VERSION);
  app.require_subcommand(1);

  std::map<CLI::App*, llama::app::Command> commands;
  auto add = [&](llama::app::Command (*adder)(CLI::App&)) {
    llama::app::Command command = adder(app);
    commands[app.get_subcommands({}).back()] = std::move(command);
  };
  add(llama::app::add_run_command);
  add(llama::app::add_validate_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(llama::ExitCode::usage);
  }

  try {
    for (auto& [sub, command] : commands)
      if (sub->parsed()) return command();
  } catch (const llama::Error& e) {
    std::cerr << "llama: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "llama: internal error: " << e.what()
              << "\n(this is a bug in llama; please report it with the command you ran)\n";
    return static_cast<int>(llama::ExitCode::internal);
  }
  return static_cast<int>(llama::ExitCode::usage);
}
