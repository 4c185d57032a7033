// Job models written by hand, so the planner's arithmetic can be checked against numbers
// worked out on paper: no pipeline, store or video needed.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "plan/job_model.h"
#include "spec/latency_target.h"

namespace llama::plan_test {

// A target of `seconds`; none for 0.
inline spec::LatencyTarget slo(double seconds) {
  return seconds > 0 ? spec::LatencyTarget(seconds) : spec::LatencyTarget();
}

// ms per invocation at `batch`, holding `cores` cores (and `gpus` GPUs).
inline plan::Choice choice(double ms, int batch = 1, double cores = 1, int gpus = 0) {
  plan::Choice c;
  c.latency_ms = ms;
  c.batch = batch;
  c.held = {cores, gpus};
  c.config["threads"] = std::to_string(static_cast<int>(cores));
  c.config["batch"] = std::to_string(batch);
  if (gpus) c.config["device"] = "cuda";
  return c;
}

// As choice(), with a spread of `cv` x its latency.
inline plan::Choice noisy(double ms, double cv, int batch = 1, double cores = 1) {
  plan::Choice c = choice(ms, batch, cores);
  c.stdev_ms = ms * cv;
  return c;
}

inline plan::OpModel op(std::string name, std::vector<int> inputs,
                        std::vector<plan::Choice> choices, double fanout = 1,
                        double branch_rate = 1) {
  plan::OpModel o;
  o.name = std::move(name);
  o.inputs = std::move(inputs);
  o.source = o.inputs.empty();
  o.choices = std::move(choices);
  o.fanout = fanout;
  o.branch_rate = branch_rate;
  return o;
}

// $1e-5 per core-second, $1e-3 per GPU-second: a GPU costs 100 cores.
inline plan::JobModel job(std::vector<plan::OpModel> ops, std::vector<std::vector<int>> paths,
                          double frames, int cpus, int gpus = 0) {
  plan::JobModel m;
  m.pipeline = "test";
  m.ops = std::move(ops);
  m.paths = std::move(paths);
  m.video = {frames, 25};
  m.pool = {cpus, gpus, ""};
  m.prices.core_second = 1e-5;
  m.prices.gpu_second = 1e-3;
  return m;
}

}  // namespace llama::plan_test
