// Runs a program with an argument vector, never through a shell: file names with spaces,
// quotes or `$(...)` reach it unchanged. Used for Slurm's commands (sbatch, squeue, ...).
#pragma once

#include <string>
#include <vector>

namespace llama::cluster {

struct ProcessResult {
  int exit_code = -1;  // 128 + N when killed by signal N
  std::string out;     // standard output
  std::string err;     // standard error
  bool timed_out = false;
};

// Runs argv[0] (looked up in PATH) with argv, waits for it, and returns what it printed.
// Kills it after timeout_s. Throws Error(runtime) when it cannot be started at all, with
// `missing_hint` said when the program is not installed.
ProcessResult run_process(const std::vector<std::string>& argv, double timeout_s = 60,
                          const std::string& missing_hint = "");

// Whether `name` is an executable found in PATH.
bool in_path(const std::string& name);

}  // namespace llama::cluster
