#include "stop_signals.h"

#include <csignal>
#include <iterator>

namespace llama::app {

namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
struct sigaction g_previous[std::size(kStopSignals)];
bool g_taken[std::size(kStopSignals)];

// Only async-signal-safe work here: two lock-free atomic stores.
void on_stop_signal(int signal) {
  g_signal = signal;
  g_stop = true;
}

}  // namespace

StopSignals::StopSignals() {
  g_stop = false;
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // Restart interrupted reads and writes: the flag, not EINTR, is how the work learns of it.
  action.sa_flags = SA_RESTART;
  for (size_t i = 0; i < std::size(kStopSignals); ++i) {
    sigaction(kStopSignals[i], nullptr, &g_previous[i]);
    // Under nohup SIGHUP is ignored on purpose: the job must outlive its terminal.
    g_taken[i] = !(kStopSignals[i] == SIGHUP && g_previous[i].sa_handler == SIG_IGN);
    if (g_taken[i]) sigaction(kStopSignals[i], &action, nullptr);
  }
}

StopSignals::~StopSignals() {
  for (size_t i = 0; i < std::size(kStopSignals); ++i)
    if (g_taken[i]) sigaction(kStopSignals[i], &g_previous[i], nullptr);
}

const std::atomic<bool>* StopSignals::flag() {
  return &g_stop;
}

int stopped_exit_code() {
  const int signal = g_signal;
  return 128 + (signal != 0 ? signal : SIGINT);
}

}  // namespace llama::app
