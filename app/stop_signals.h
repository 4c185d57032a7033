// Stopping a command from outside: Ctrl-C (SIGINT), and SIGTERM and SIGHUP, which Slurm,
// systemd and a closed terminal send. While a StopSignals lives, any of them asks the work to
// stop (the flag it hands out) instead of killing the process, so results so far are flushed.
#pragma once

#include <atomic>

namespace llama::app {

class StopSignals {
 public:
  StopSignals();   // clears the flag and takes SIGINT, SIGTERM and SIGHUP
  ~StopSignals();  // gives them back to their previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Set once a stop signal arrived; the executor and the profiler poll it.
  static const std::atomic<bool>* flag();
};

// The shell's convention for a process stopped by a signal, 128 + its number: 130 after
// Ctrl-C, 143 after SIGTERM, 129 after SIGHUP; 130 when no signal arrived (an interrupt
// reported by other means).
int stopped_exit_code();

}  // namespace llama::app
