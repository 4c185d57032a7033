#include "plan/job_model.h"

#include <algorithm>
#include <map>

#include "spec/duration.h"

namespace llama::plan {

namespace {

double number_param(const spec::OpSpec& op, const std::string& name, double fallback) {
  auto it = op.params.find(name);
  return it != op.params.end() && it->second.value.is_number() ? it->second.value.get<double>()
                                                               : fallback;
}

// Paths through the ops that run, as indices into the model's ops: a writer left out of
// `outputs:` is dropped from the paths that end in it, and a path left the same as another
// is kept once.
std::vector<std::vector<int>> paths_of_running(const graph::Graph& graph,
                                               const std::map<int, int>& index_of_node) {
  std::vector<std::vector<int>> paths;
  for (const std::vector<int>& path : graph.source_to_sink_paths()) {
    std::vector<int> kept;
    for (int node : path)
      if (auto it = index_of_node.find(node); it != index_of_node.end()) kept.push_back(it->second);
    if (!kept.empty() && std::find(paths.begin(), paths.end(), kept) == paths.end())
      paths.push_back(std::move(kept));
  }
  return paths;
}

}  // namespace

// The profiler measures the source at one config, so this is the one place its other
// configs' output is derived rather than measured.
double source_share(const spec::OpSpec& op, const profile::Config& config,
                    const VideoShape& video) {
  if (op.kind != "decode") return 1;
  double video_fps = video.fps;
  double share = 1;
  double fps = 0;
  if (auto knob = config.find("fps"); knob != config.end()) {
    fps = std::stod(knob->second);
  } else if (auto param = op.params.find("fps");
             param != op.params.end() && param->second.value.is_number()) {
    fps = param->second.value.get<double>();
  }
  if (fps > 0 && video_fps > 0) share = std::min(1.0, fps / video_fps);
  share /= std::max(1.0, number_param(op, "stride", 1));
  if (video.frames > 0 && video_fps > 0) {
    double duration = video.frames / video_fps;
    double start = std::clamp(spec::duration_param(op, "start", 0), 0.0, duration);
    double end = spec::duration_param(op, "end", -1);
    end = end < 0 ? duration : std::clamp(end, start, duration);
    share *= (end - start) / duration;
  }
  return share;
}

double OpModel::latency_ms_at(int k, int items) const {
  const Choice& c = choices[k];
  if (items >= c.batch) return c.latency_ms;
  // The nearest batch sizes of the same config at or below and above `items`.
  const Choice* lo = nullptr;
  const Choice* hi = &c;
  // Batch sizes are compared before configs: the simulator asks this millions of times.
  for (const Choice& other : choices) {
    bool lower = other.batch <= items && (!lo || other.batch > lo->batch);
    bool higher = other.batch >= items && other.batch < hi->batch;
    if (!lower && !higher) continue;
    if (c.family >= 0 ? other.family != c.family : !profile::same_but_batch(other.config, c.config))
      continue;
    if (lower) lo = &other;
    if (higher) hi = &other;
  }
  if (!lo) return hi->latency_ms * items / hi->batch;
  if (lo->batch == items || hi == lo) return lo->latency_ms;
  double t = static_cast<double>(items - lo->batch) / (hi->batch - lo->batch);
  return lo->latency_ms + t * (hi->latency_ms - lo->latency_ms);
}

Resources held_on(const Choice& c, const Pool& pool) {
  return {std::min(c.held.cores, static_cast<double>(std::max(1, pool.cpus))),
          std::min(c.held.gpus, pool.gpus)};
}

JobModel fixed_job_model(const graph::Pipeline& pipeline, const Pool& pool,
                         const VideoShape& video) {
  JobModel model;
  model.pipeline = pipeline.spec.name;
  model.video = video;
  model.pool = pool;
  const graph::Graph& graph = pipeline.graph;
  std::map<int, int> index_of_node;
  for (int node : graph.topological_order()) {
    if (!graph::runs(pipeline, node)) continue;
    index_of_node[node] = static_cast<int>(model.ops.size());
    const graph::Node& n = graph.nodes()[node];
    OpModel op;
    op.node = node;
    op.name = n.op->name;
    op.kind = n.op->kind;
    op.source = n.in_edges.empty();
    op.parallel = n.signature->parallel;
    for (int e : n.in_edges) op.inputs.push_back(index_of_node.at(graph.edges()[e].from));
    Choice c;
    for (const auto& [knob, values] : n.op->knobs) c.config[knob] = values.values.front();
    c.batch = profile::batch_of(c.config);
    c.held = resources_of(c.config);
    if (op.source) c.source_share = source_share(*n.op, c.config, video);
    op.choices.push_back(std::move(c));
    model.ops.push_back(std::move(op));
  }
  model.paths = paths_of_running(graph, index_of_node);
  return model;
}

std::vector<std::string> JobModel::unprofiled() const {
  std::vector<std::string> names;
  for (const OpModel& op : ops)
    if (op.choices.empty()) names.push_back(op.name);
  return names;
}

JobModel build_job_model(const graph::Pipeline& pipeline,
                         const std::vector<profile::OpTarget>& targets,
                         const profile::Predictor& predictor, const spec::PriceSheet& prices,
                         const Pool& pool, const VideoShape& video) {
  JobModel model;
  model.pipeline = pipeline.spec.name;
  model.video = video;
  model.pool = pool;
  model.prices = prices;

  std::map<int, int> index_of_node;  // graph node -> index into model.ops
  for (size_t i = 0; i < targets.size(); ++i) index_of_node[targets[i].node] = static_cast<int>(i);
  model.ops.resize(targets.size());

  const graph::Graph& graph = pipeline.graph;
  for (size_t i = 0; i < targets.size(); ++i) {
    const profile::OpTarget& t = targets[i];
    OpModel& op = model.ops[i];
    op.node = t.node;
    op.name = t.op->name;
    op.kind = t.op->kind;
    op.source = graph.nodes()[t.node].in_edges.empty();
    op.parallel = graph.nodes()[t.node].signature->parallel;
    for (int e : graph.nodes()[t.node].in_edges)
      if (auto up = index_of_node.find(graph.edges()[e].from); up != index_of_node.end())
        op.inputs.push_back(up->second);
    profile::OpKey key{pipeline.spec.name, op.name};
    op.fanout = predictor.fanout(key);
    op.branch_rate = t.op->when ? predictor.branch_rate(key) : 1.0;

    for (const profile::Config& config : t.configs) {
      Choice c;
      c.config = config;
      c.batch = profile::batch_of(config);
      c.held = resources_of(config);
      if (c.held.gpus > pool.gpus) continue;  // a GPU config on a pool without one
      std::optional<profile::Prediction> p = predictor.latency(profile::entry_key(t, config));
      if (!p) {
        op.missing.push_back(profile::format_config(profile::without_batch(config)) + " batch " +
                             std::to_string(c.batch));
        continue;
      }
      c.latency_ms = p->mean_ms;
      c.stdev_ms = p->stdev_ms;
      if (op.source) c.source_share = source_share(*t.op, config, video);
      c.family = static_cast<int>(op.choices.size());
      for (const Choice& earlier : op.choices)
        if (profile::same_but_batch(earlier.config, c.config)) {
          c.family = earlier.family;
          break;
        }
      op.choices.push_back(std::move(c));
    }
    // A config wanting more threads than the pool has cores runs on the cores there are
    // (ops::cap_torch_threads), slower than its profile says: leave it out while another fits.
    auto too_wide = [&](const Choice& c) { return c.held.cores > std::max(1, pool.cpus); };
    if (!std::all_of(op.choices.begin(), op.choices.end(), too_wide)) {
      op.choices.erase(std::remove_if(op.choices.begin(), op.choices.end(), too_wide),
                       op.choices.end());
      for (size_t k = 0; k < op.choices.size(); ++k) {  // families index the kept choices
        op.choices[k].family = static_cast<int>(k);
        for (size_t e = 0; e < k; ++e)
          if (profile::same_but_batch(op.choices[e].config, op.choices[k].config)) {
            op.choices[k].family = op.choices[e].family;
            break;
          }
      }
    }
  }

  model.paths = paths_of_running(graph, index_of_node);
  return model;
}

}  // namespace llama::plan
