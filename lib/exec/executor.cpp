#include "exec/executor.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "exec/run.h"
#include "plan/planner.h"

namespace llama::exec {

namespace {

runtime::CoreOptions core_options(const ExecOptions& options) {
  runtime::CoreOptions core;
  core.scheduler.objective = options.objective;
  core.scheduler.slo = options.slo;
  core.feedback = options.feedback;
  core.journal = options.record_invocations;
  return core;
}

}  // namespace

Run::Run(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
         const ExecOptions& options, const plan::JobModel& model, const plan::Assignment& initial)
    : pipeline_(pipeline),
      graph_(pipeline.graph),
      registry_(registry),
      options_(options),
      core_(model, initial, clock_, core_options(options)),
      estimates_(core_.estimates()),
      nodes_(graph_.nodes().size()),
      rng_(options.seed) {
  for (const spec::ModelSpec& m : pipeline.spec.models) models_[m.name] = m;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const spec::OpSpec& op = *graph_.nodes()[i].op;
    nodes_[i].stats.name = op.name;
    nodes_[i].stats.kind = op.kind;
    nodes_[i].finished = true;  // until the model says it runs
  }
  for (size_t k = 0; k < model.ops.size(); ++k) {
    const plan::OpModel& m = model.ops[k];
    NodeState& n = nodes_[m.node];
    n.op = static_cast<int>(k);
    n.finished = false;
    const plan::Choice& c = m.choices[initial[k]];
    n.stats.config = c.config;
    // Built now, so a bad model file fails before anything runs.
    auto instance = std::make_unique<Instance>();
    instance->key = instance_key(c.config);
    instance->threads = threads_of(c.config);
    instance->op = build(m.node, c.config);
    n.instances.push_back(std::move(instance));
  }
  if (options.resume_from) resume(*options.resume_from);
}

RunResult Run::run() {
  start_ = last_progress_ = SteadyClock::now();
  std::vector<std::thread> workers;
  for (int i = 0; i < std::max(1, estimates_.pool.cpus); ++i)
    workers.emplace_back([this, i] { work(i); });
  for (auto& w : workers) w.join();

  RunResult result;
  result.wall_s =
      prior_wall_s_ + std::chrono::duration<double>(SteadyClock::now() - start_).count();
  result.resumed_from = resumed_from_;
  result.checkpoints = checkpoints_;
  result.checkpoint_s = checkpoint_s_;
  result.complete = failure_ == ExitCode::ok;
  result.failure = failure_;
  result.error = error_;
  result.invocations = std::move(records_);
  if (options_.record_invocations) result.journal = core_.journal();
  std::vector<float>& decisions = core_.decision_us();
  result.decisions = static_cast<int64_t>(decisions.size());
  if (!decisions.empty()) {
    auto at = [&](size_t rank) {
      std::nth_element(decisions.begin(), decisions.begin() + rank, decisions.end());
      return decisions[rank];
    };
    result.decision_us_median = at(decisions.size() / 2);
    result.decision_us_p99 = at(decisions.size() * 99 / 100);
  }
  for (NodeState& n : nodes_) {
    if (n.op < 0) continue;
    // The first instance that still has its op: one whose config was set aside has none.
    for (const auto& instance : n.instances)
      if (instance->op) {
        n.stats.summary = instance->op->summary();
        for (auto& h : instance->op->inputs_read()) result.videos.push_back(h);
        break;
      }
    result.ops.push_back(n.stats);
  }
  return result;
}

std::unique_ptr<ops::Op> Run::build(int node, const std::map<std::string, std::string>& config) {
  ops::OpContext ctx{graph_.nodes()[node].op, config, options_.videos, options_.out_dir, models_};
  ctx.resuming = options_.resume_from != nullptr;
  ctx.warmup_until_s = options_.warmup_until_s;
  return registry_.create(graph_.nodes()[node].op->kind, ctx);
}

void Run::work(int worker) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (options_.cancel && options_.cancel->load() && failure_ == ExitCode::ok)
      stop(ExitCode::interrupted, "interrupted");
    if (all_finished()) break;
    if (!barrier_ && checkpoint_due()) begin_checkpoint();
    if (failure_ == ExitCode::ok) {
      if (std::optional<runtime::Start> start = core_.next()) {
        run_call(*start, worker, lock);
        continue;
      }
    }
    if (barrier_) {
      if (int node = drainable(); node >= 0) {
        drain(node, lock);
        continue;
      }
      if (core_.in_flight() == 0 && finishing_ == 0 && all_drained()) {
        commit_checkpoint();
        continue;
      }
    } else if (int node = finishable(); node >= 0) {
      finish(node, lock);
      continue;
    }
    if (core_.in_flight() == 0 && finishing_ == 0 && failure_ == ExitCode::ok) {
      // Nothing runs, nothing can start, nothing can finish: waiting would hang forever.
      stop(ExitCode::internal, "the scheduler stalled with items waiting at " + stalled_ops() +
                                   " (a bug in llama; please report it)");
      continue;
    }
    // Timed, so a cancel request is seen even when nothing else wakes us.
    ready_.wait_for(lock, std::chrono::milliseconds(100));
  }
  ready_.notify_all();
}

// Under the lock: a node whose inputs are all done and whose queue is empty; -1 if none.
int Run::finishable() const {
  for (int i : graph_.topological_order()) {
    const NodeState& n = nodes_[i];
    if (n.finished || n.finishing || n.op < 0) continue;
    const runtime::OpQueue& q = core_.queue(n.op);
    if (q.running > 0 || !n.queue.empty()) continue;
    bool source = estimates_.ops[n.op].source;
    if (source ? q.source_done : inputs_finished(i)) return i;
  }
  return -1;
}

bool Run::inputs_finished(int node) const {
  for (int e : graph_.nodes()[node].in_edges)
    if (!nodes_[graph_.edges()[e].from].finished) return false;
  return true;
}

void Run::finish(int node, std::unique_lock<std::mutex>& lock) {
  flush(node, lock, &ops::Op::finish);
  nodes_[node].finished = true;
}

// Runs `step` (Op::finish or Op::drain) on the node's instances outside the lock and hands
// on what they emit. Under the lock, returns under it.
void Run::flush(int node, std::unique_lock<std::mutex>& lock,
                void (ops::Op::*step)(std::vector<ops::Item>&)) {
  NodeState& n = nodes_[node];
  n.finishing = true;
  ++finishing_;
  lock.unlock();
  std::vector<ops::Item> out;
  auto [failed, message] = guarded(n.stats, [&] {
    for (auto& instance : n.instances)
      if (instance->op) (instance->op.get()->*step)(out);
  });
  lock.lock();
  --finishing_;
  n.finishing = false;
  if (failed != ExitCode::ok) {
    stop(failed, message);
  } else {
    n.stats.items_out += static_cast<int64_t>(out.size());
    route(node, out);
  }
  ready_.notify_all();
}

bool Run::all_finished() const {
  for (const NodeState& n : nodes_)
    if (!n.finished) return false;
  return true;
}

std::string Run::stalled_ops() const {
  std::string names;
  for (const NodeState& n : nodes_)
    if (!n.queue.empty())
      names +=
          (names.empty() ? "" : ", ") + n.stats.name + " (" + std::to_string(n.queue.size()) + ")";
  return names.empty() ? "no op" : names;
}

void Run::stop(ExitCode code, const std::string& message) {
  if (failure_ == ExitCode::ok) {
    failure_ = code;
    error_ = message;
  }
  barrier_ = false;  // no checkpoint after a failure: the last one stands
  // Stop making new work; every op still gets finish() so files are flushed and closed.
  for (NodeState& n : nodes_) n.queue.clear();
  core_.stop();
}

// Under the lock.
void Run::report_progress() {
  if (!options_.on_progress) return;
  auto now = SteadyClock::now();
  if (now - last_progress_ < std::chrono::duration<double>(options_.progress_every_s)) return;
  last_progress_ = now;
  options_.on_progress(
      {core_.frames_made(), std::chrono::duration<double>(now - start_).count(), core_s_, gpu_s_});
}

RunResult run_pipeline(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
                       const ExecOptions& options) {
  try {
    plan::JobModel fixed;
    const plan::JobModel* model = options.model;
    if (!model) {
      fixed = plan::fixed_job_model(pipeline, {2, 0, ""}, {});
      model = &fixed;
    }
    plan::Assignment initial =
        options.initial.size() == model->ops.size() ? options.initial : plan::first_values(*model);
    Run run(pipeline, registry, options, *model, initial);
    return run.run();
  } catch (const Error& e) {  // an op could not even be built
    RunResult result;
    result.complete = false;
    result.failure = e.code();
    result.error = e.what();
    return result;
  }
}

}  // namespace llama::exec
