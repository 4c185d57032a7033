// What `llama profile` (and the auto-profiling of `llama run`) shows while it measures.
#pragma once

#include <unistd.h>

#include <iostream>
#include <string>

#include "profile/profiler.h"

namespace llama::app {

// Progress on stderr: one line rewritten in place on a terminal, else one line per op (a
// log file full of \r is unreadable).
class ProgressLine {
 public:
  explicit ProgressLine(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO)) {}
  ~ProgressLine() { clear(); }

  void update(const profile::Progress& p) {
    if (quiet_) return;
    if (tty_) {
      std::string line = "profiling " + p.op + " " + profile::format_config(p.config) + "  " +
                         std::to_string(static_cast<int>(p.seconds_left + 0.5)) + "s left";
      if (line.size() > 110) line = line.substr(0, 107) + "...";
      std::cerr << "\r\033[K" << line << std::flush;
      shown_ = true;
    } else if (p.op != last_op_) {
      std::cerr << "llama: profiling " << p.op << " (" << static_cast<int>(p.seconds_left + 0.5)
                << "s of budget left)\n";
    }
    last_op_ = p.op;
  }

  void note(const std::string& line) {
    clear();
    if (!quiet_) std::cerr << "llama: warning: " << line << "\n";
  }

  void info(const std::string& line) {
    clear();
    if (!quiet_) std::cerr << "llama: note: " << line << "\n";
  }

  void clear() {
    if (shown_) std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
  }

 private:
  bool quiet_;
  bool tty_;
  bool shown_ = false;
  std::string last_op_;
};

}  // namespace llama::app
