// Time as the runtime reads it. The scheduler and the manager never ask the system for the
// time: they get a Clock, so the same code runs a real job (SteadyClock) and a simulated one
// on a virtual clock that jumps from event to event (VirtualClock), deterministically.
#pragma once

#include <chrono>

namespace llama::plan {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now_s() const = 0;  // seconds since the job started
};

class SteadyClock : public Clock {
 public:
  SteadyClock() : start_(std::chrono::steady_clock::now()) {}
  double now_s() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
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

}  // namespace llama::plan
