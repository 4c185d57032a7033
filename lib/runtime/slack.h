// The allocator's first half (DESIGN "During the run"): how much of the time left to the
// deadline one invocation of an op may take. The pipeline is cut into its source-to-sink
// paths; on each path through the op, the op gets its share of the path's remaining expected
// latency; the slack is the smallest such share (the worst path wins).
//
// Expected latency of op k, per item entering the path at op o, counts fan-out and branch
// rates: m items reach k per item at o (the product of the fan-outs and branch rates between
// them), which takes m / batch invocations of k, but at least one whenever an item gets there
// at all (min(1, m)): E_k = latency_k x max(m / batch_k, min(1, m)).
#pragma once

#include <vector>

#include "plan/job_model.h"
#include "plan/planner.h"

namespace llama::runtime {

class SlackModel {
 public:
  // Keeps a reference to `model`: its fan-outs and branch rates are read at every call, so
  // the manager's online updates to them show in the next slack.
  explicit SlackModel(const plan::JobModel& model);

  // Seconds one invocation of `op` may take when `time_left_s` remain to its items'
  // deadline and every op runs at `choice`.
  double slack_s(int op, double time_left_s, const plan::Assignment& choice) const;

  // Expected seconds of latency that `path_op` (a later op, or `op` itself) adds for one item
  // entering at `op` along the path `path` (an index into plan::JobModel::paths).
  double expected_latency_s(int path, int op, int path_op, const plan::Assignment& choice) const;

 private:
  const plan::JobModel& model_;
  // For every op, the paths through it (indices into model_.paths) and its place on each.
  std::vector<std::vector<std::pair<int, int>>> on_paths_;
};

}  // namespace llama::runtime
