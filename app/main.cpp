// llama: auto-tunes video analytics pipelines. This file wires the subcommands and is the
// one place that turns errors into exit codes (README "Exit codes").
#include <malloc.h>

#include <csignal>
#include <iostream>
#include <map>

#include "base/error.h"
#include "commands.h"
#include "stop_signals.h"

#ifndef LLAMA_VERSION
#define LLAMA_VERSION "dev"
#endif

int main(int argc, char** argv) {
  // Frames are 1-6 MB each and freed on another thread than the one that made them. With
  // glibc's defaults every such buffer is a fresh mmap, so each frame costs hundreds of page
  // faults (this halved decode throughput). Keep them in the heap; the bounded queues cap
  // how much that can hold.
  // One arena: with one per thread, each worker's arena keeps its own high-water mark of
  // frames, and the sum crept up with video length (236 -> 305 MiB, 1 vs 10 min of 1080p).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_ARENA_MAX, 1);
  // A file grown past `ulimit -f` would kill the process with SIGXFSZ before it could flush
  // or report; ignored, the write fails with EFBIG and the run stops as on a full disk.
  std::signal(SIGXFSZ, SIG_IGN);
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
  add(llama::app::add_models_command);
  add(llama::app::add_profile_command);
  add(llama::app::add_explain_command);
  add(llama::app::add_simulate_command);
  add(llama::app::add_merge_command);
  add(llama::app::add_report_command);
  add(llama::app::add_task_command);

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
    // 130, 143 or 129, by the signal that stopped it.
    if (e.code() == llama::ExitCode::interrupted) return llama::app::stopped_exit_code();
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "llama: internal error: " << e.what()
              << "\n(this is a bug in llama; please report it with the command you ran)\n";
    return static_cast<int>(llama::ExitCode::internal);
  }
  return static_cast<int>(llama::ExitCode::usage);
}
