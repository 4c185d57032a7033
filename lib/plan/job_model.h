// What the planner knows about one job before it runs: for every op, the configs it may use
// with their predicted latency and the resources they hold; how many items reach it per
// frame (fan-out and branch rates from the profile store); the video's length; the pool.
// Built once from the pipeline, the store and the price sheet, then read by the planner, the
// allocator and the simulator, none of which need the pipeline or the store again.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "plan/cost_model.h"
#include "profile/predictor.h"
#include "profile/targets.h"
#include "spec/price_sheet.h"

namespace llama::plan {

// One config an op may run at, batch included.
struct Choice {
  profile::Config config;
  int batch = 1;
  double latency_ms = 0;  // predicted per invocation
  double stdev_ms = 0;
  Resources held;
  // Sources only: the share of the video's frames this config emits (decode's fps knob).
  double source_share = 1;
  // Failed during the run even on a fresh instance (a CUDA out-of-memory at a large batch, a
  // device gone): no invocation is given this config again (Manager::set_aside).
  bool set_aside = false;
  // Choices of one config at different batch sizes share a family (an index into the op's
  // choices, set by build_job_model), so OpModel::latency_ms_at finds them without comparing
  // configs on every decision; -1 (a model written by hand) compares the configs instead.
  int family = -1;
};

struct OpModel {
  int node = -1;  // index in the pipeline's graph
  std::string name;
  std::string kind;
  std::vector<int> inputs;  // upstream ops, as indices into JobModel::ops
  bool source = false;
  bool parallel = false;        // invocations may overlap (spec::OpSignature::parallel)
  double fanout = 1;            // items out per item in (expected)
  double branch_rate = 1;       // share of upstream items its `when:` lets through
  std::vector<Choice> choices;  // the knob space's configs that have a prediction
  // Configs of its knob space with no prediction ("{threads=1} batch 8"); when `choices` is
  // empty the op cannot be planned until it is profiled.
  std::vector<std::string> missing;

  // Predicted ms of an invocation at choice `k`'s config with `items` items (at most its
  // batch): linear between the batch sizes of the same config that are choices, per item
  // below the smallest.
  double latency_ms_at(int k, int items) const;
};

// What the job runs on: CPU cores and GPU streams.
struct Pool {
  int cpus = 1;
  int gpus = 0;
  std::string gpu_name;  // picks the GPU's price
};

struct VideoShape {
  double frames = 0;  // frames in the job's input, all videos together
  double fps = 0;     // their native rate
};

struct JobModel {
  std::string pipeline;
  std::vector<OpModel> ops;             // topological order
  std::vector<std::vector<int>> paths;  // source-to-sink, as indices into ops
  VideoShape video;
  Pool pool;
  spec::PriceSheet prices;

  // Ops with no config to plan with, by name: they need `llama profile`.
  std::vector<std::string> unprofiled() const;
};

// The share of the video's frames a source emits at `config`: only decode thins them (its fps
// knob or param, stride, start and end params); 1 for any other op.
double source_share(const spec::OpSpec& op, const profile::Config& config, const VideoShape& video);

// The held resources of `c` on `pool`: a config asking for more cores or GPUs than the pool
// has gets all of them (it can run, just slower), so no op waits forever for a pool too small.
Resources held_on(const Choice& c, const Pool& pool);

// The model of a static run (--static, or no SLO): every op that runs, with one choice, the
// YAML's first knob values, and no predictions (latency 0); fan-out and branch rates 1.
JobModel fixed_job_model(const graph::Pipeline& pipeline, const Pool& pool,
                         const VideoShape& video);

// `targets` are profile::profile_targets(pipeline, ...): the ops that run, keyed as the store
// keys them. Configs that need a GPU are dropped when the pool has none.
JobModel build_job_model(const graph::Pipeline& pipeline,
                         const std::vector<profile::OpTarget>& targets,
                         const profile::Predictor& predictor, const spec::PriceSheet& prices,
                         const Pool& pool, const VideoShape& video);

}  // namespace llama::plan
