// The one error type users see: a message that names the file, the place and the fix,
// and the exit code the CLI maps it to. Library code throws it; only app/main.cpp catches.
#pragma once

#include <stdexcept>
#include <string>

namespace llama {

// Exit codes are part of the CLI's contract (README "Exit codes"); never renumber.
enum class ExitCode : int {
  ok = 0,
  internal = 1,        // a bug in llama
  usage = 2,           // bad command line
  bad_spec = 3,        // pipeline YAML invalid
  bad_input = 4,       // input video missing, not a video, empty, or (with --strict) truncated
  runtime = 5,         // an op failed while running
  output = 6,          // cannot write results (--out not writable, disk full)
  slo_missed = 7,      // --strict and the job missed its SLO
  bad_store = 8,       // profile store corrupt, from a newer llama, or (--no-auto-profile) lacking
                       // what the plan needs
  slo_infeasible = 9,  // --strict and the SLO is below the fastest plan's predicted latency
  cluster = 10,        // --cluster slurm: Slurm not installed, no controller, or sbatch refused
  interrupted = 130    // a stop signal: partial results flushed and marked incomplete; the
                       // CLI exits 128 + the signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP)
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

}  // namespace llama
