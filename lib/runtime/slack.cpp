#include "runtime/slack.h"

#include <algorithm>
#include <limits>

namespace llama::runtime {

SlackModel::SlackModel(const plan::JobModel& model) : model_(model), on_paths_(model.ops.size()) {
  for (size_t p = 0; p < model.paths.size(); ++p)
    for (size_t place = 0; place < model.paths[p].size(); ++place)
      on_paths_[model.paths[p][place]].push_back({static_cast<int>(p), static_cast<int>(place)});
}

double SlackModel::expected_latency_s(int path, int op, int path_op,
                                      const plan::Assignment& choice) const {
  const std::vector<int>& ops = model_.paths[path];
  auto at = std::find(ops.begin(), ops.end(), op);
  double items = 1;  // items reaching the current op per item entering at `op`
  for (auto it = at; it != ops.end(); ++it) {
    if (it != at) items *= model_.ops[*it].branch_rate;
    if (*it == path_op) {
      const plan::Choice& c = model_.ops[*it].choices[choice[*it]];
      return c.latency_ms / 1000 * std::max(items / c.batch, std::min(1.0, items));
    }
    items *= model_.ops[*it].fanout;
  }
  return 0;  // path_op is not at or after `op` on this path
}

double SlackModel::slack_s(int op, double time_left_s, const plan::Assignment& choice) const {
  double slack = std::numeric_limits<double>::infinity();
  for (auto [path, place] : on_paths_[op]) {
    const std::vector<int>& ops = model_.paths[path];
    double own = expected_latency_s(path, op, op, choice);
    double rest = 0;
    for (size_t k = place; k < ops.size(); ++k)
      rest += expected_latency_s(path, op, ops[k], choice);
    // An op with no predicted latency on its path (all zero) takes it all.
    double share = rest > 0 ? own / rest : 1.0;
    slack = std::min(slack, share * time_left_s);
  }
  return on_paths_[op].empty() ? time_left_s : slack;
}

}  // namespace llama::runtime
