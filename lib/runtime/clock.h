// Time as the runtime reads it. The runtime core never asks the system for the time: it gets a
// Clock, so the same code runs a real job (SteadyClock) and a simulated one on a virtual clock
// that jumps from event to event (VirtualClock), deterministically.
#pragma once

#include <chrono>

namespace llama::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now_s() const = 0;  // seconds since the job started
};

class SteadyClock : public Clock {
 public:
  SteadyClock() : start_(std::chrono::steady_clock::now()) {}
  double now_s() const override {
    return before_s_ +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  // A resumed job: its earlier runs took `seconds`, and its time goes on from there.
  void resume_after(double seconds) { before_s_ = seconds; }

 private:
  std::chrono::steady_clock::time_point start_;
  double before_s_ = 0;
};

class VirtualClock : public Clock {
 public:
  double now_s() const override { return now_; }
  void advance_to(double t) {
    if (t > now_) now_ = t;  // never backwards: events at the same time keep it
  }

 private:
  double now_ = 0;
};

}  // namespace llama::runtime
