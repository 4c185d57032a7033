#include "exec/executor.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "plan/cost_model.h"
#include "video/video_reader.h"

namespace llama::exec {

namespace {

using Clock = std::chrono::steady_clock;

struct NodeState {
  std::unique_ptr<ops::Op> op;
  size_t batch = 1;
  std::deque<ops::Item> queue;
  bool busy = false;
  bool finished = false;     // finish() has run
  bool disabled = false;     // a writer left out of `outputs:`: takes no items, has no op
  bool source_done = false;  // sources: produce() said there is no more
  OpStats stats;
};

// What a worker was given to do: one node, and how.
enum class Task { none, produce, process, finish };

class Run {
 public:
  Run(const graph::Pipeline& pipeline, const ops::OpRegistry& registry, const ExecOptions& options)
      : graph_(pipeline.graph), options_(options), nodes_(graph_.nodes().size()) {
    const std::vector<spec::InputRef>& outputs = pipeline.spec.outputs;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const spec::OpSpec& op = *graph_.nodes()[i].op;
      auto planned = options.configs.find(op.name);
      ops::OpContext ctx{&op,
                         planned != options.configs.end() ? planned->second : first_config(op),
                         options.videos, options.out_dir, {}};
      for (const spec::ModelSpec& m : pipeline.spec.models) ctx.models[m.name] = m;
      NodeState& n = nodes_[i];
      // `outputs:` picks which writers run; the others are never built, so they write nothing.
      bool writer = !graph_.nodes()[i].signature->produces_items;
      if (writer && !outputs.empty() &&
          std::none_of(outputs.begin(), outputs.end(),
                       [&](const auto& o) { return o.op == op.name; })) {
        n.disabled = n.finished = true;
        n.stats.name = op.name;
        n.stats.kind = op.kind;
        continue;
      }
      n.batch = static_cast<size_t>(std::max(1.0, ctx.knob_number("batch", 1)));
      n.stats.name = op.name;
      n.stats.kind = op.kind;
      n.stats.config = ctx.config;
      n.op = registry.create(op.kind, ctx);
    }
    // Deeper ops first: draining the pipeline's end is what frees queue room upstream.
    order_ = graph_.topological_order();
    std::reverse(order_.begin(), order_.end());
  }

  RunResult run() {
    auto start = start_ = last_progress_ = Clock::now();
    std::vector<std::thread> workers;
    for (int i = 0; i < std::max(1, options_.workers); ++i)
      workers.emplace_back([this] { work(); });
    for (auto& w : workers) w.join();

    RunResult result;
    result.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    result.complete = failure_ == ExitCode::ok;
    result.failure = failure_;
    result.error = error_;
    for (NodeState& n : nodes_) {
      if (n.disabled) continue;
      n.stats.summary = n.op->summary();
      for (auto& h : n.op->inputs_read()) result.videos.push_back(h);
      result.ops.push_back(n.stats);
    }
    return result;
  }

 private:
  bool room_downstream(int node) const {
    for (int e : graph_.nodes()[node].out_edges)
      if (nodes_[graph_.edges()[e].to].queue.size() >= options_.queue_capacity) return false;
    return true;
  }

  bool inputs_finished(int node) const {
    for (int e : graph_.nodes()[node].in_edges)
      if (!nodes_[graph_.edges()[e].from].finished) return false;
    return true;
  }

  // Under the lock: the next task, deepest op first.
  Task pick(int& chosen) {
    for (int i : order_) {
      NodeState& n = nodes_[i];
      if (n.busy || n.finished) continue;
      bool source = graph_.nodes()[i].in_edges.empty();
      chosen = i;
      if (source && !n.source_done) {
        if (room_downstream(i)) return Task::produce;
      } else if (!n.queue.empty()) {
        if (room_downstream(i)) return Task::process;
      } else if (source || inputs_finished(i)) {
        return Task::finish;
      }
    }
    return Task::none;
  }

  bool all_finished() const {
    for (const NodeState& n : nodes_)
      if (!n.finished) return false;
    return true;
  }

  void stop(ExitCode code, const std::string& message) {
    if (failure_ == ExitCode::ok) {
      failure_ = code;
      error_ = message;
    }
    // Stop making new work; every op still gets finish() so files are flushed and closed.
    for (NodeState& n : nodes_) {
      n.source_done = true;
      n.queue.clear();
    }
  }

  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (options_.cancel && options_.cancel->load() && failure_ == ExitCode::ok)
        stop(ExitCode::interrupted, "interrupted");
      if (all_finished()) break;
      int node = -1;
      Task task = pick(node);
      if (task == Task::none) {
        // Timed wait so a cancel request is seen even when nothing else wakes us.
        ready_.wait_for(lock, std::chrono::milliseconds(100));
        continue;
      }
      NodeState& n = nodes_[node];
      n.busy = true;
      std::vector<ops::Item> batch;
      if (task == Task::process) {
        while (!n.queue.empty() && batch.size() < n.batch) {
          batch.push_back(std::move(n.queue.front()));
          n.queue.pop_front();
        }
      }
      lock.unlock();

      std::vector<ops::Item> out;
      bool more = true;
      ExitCode failed = ExitCode::ok;
      std::string message;
      auto t0 = Clock::now();
      try {
        if (task == Task::produce) more = n.op->produce(n.batch, out);
        if (task == Task::process) n.op->process(batch, out);
        if (task == Task::finish) n.op->finish(out);
      } catch (const Error& e) {
        failed = e.code();
        message = e.what();
      } catch (const std::exception& e) {
        failed = ExitCode::runtime;
        message = "op '" + n.stats.name + "' (" + n.stats.kind + ") failed: " + e.what();
      }
      double seconds = std::chrono::duration<double>(Clock::now() - t0).count();

      lock.lock();
      n.busy = false;
      if (task != Task::finish) {
        ++n.stats.invocations;
        n.stats.items_in += static_cast<int64_t>(batch.size());
        n.stats.busy_s += seconds;
      }
      if (task == Task::produce && !more) n.source_done = true;
      if (task == Task::finish) n.finished = true;
      if (failed != ExitCode::ok) {
        stop(failed, message);
      } else {
        n.stats.items_out += static_cast<int64_t>(out.size());
        if (task == Task::produce) frames_ += static_cast<int64_t>(out.size());
        route(node, out);
      }
      if (task != Task::finish) {
        plan::Resources held = plan::resources_of(n.stats.config);
        core_s_ += held.cores * seconds;
        gpu_s_ += held.gpus * seconds;
      }
      report_progress();
      ready_.notify_all();
    }
    ready_.notify_all();
  }

  // Under the lock.
  void report_progress() {
    if (!options_.on_progress) return;
    auto now = Clock::now();
    if (now - last_progress_ < std::chrono::duration<double>(options_.progress_every_s)) return;
    last_progress_ = now;
    options_.on_progress(
        {frames_, std::chrono::duration<double>(now - start_).count(), core_s_, gpu_s_});
  }

  // Under the lock: hand each output to every consumer whose `when:` it satisfies.
  void route(int node, std::vector<ops::Item>& out) {
    if (failure_ != ExitCode::ok) return;  // stopping: the queues stay empty
    const std::string* name = &graph_.nodes()[node].op->name;
    for (ops::Item& item : out) item.producer = name;
    for (int e : graph_.nodes()[node].out_edges) {
      int to = graph_.edges()[e].to;
      if (nodes_[to].disabled) continue;
      const auto& when = graph_.nodes()[to].op->when;
      for (const ops::Item& item : out) {
        if (when && !when->eval([&](const std::string& f) { return ops::item_field(item, f); }))
          continue;
        nodes_[to].queue.push_back(item);
      }
      nodes_[to].stats.max_queue = std::max(nodes_[to].stats.max_queue, nodes_[to].queue.size());
    }
  }

  const graph::Graph& graph_;
  const ExecOptions& options_;
  std::vector<NodeState> nodes_;
  std::vector<int> order_;
  std::mutex mutex_;
  std::condition_variable ready_;
  ExitCode failure_ = ExitCode::ok;
  std::string error_;
  // For on_progress.
  Clock::time_point start_;
  Clock::time_point last_progress_;
  int64_t frames_ = 0;
  double core_s_ = 0;
  double gpu_s_ = 0;
};

}  // namespace

std::map<std::string, std::string> first_config(const spec::OpSpec& op) {
  std::map<std::string, std::string> config;
  for (const auto& [name, knob] : op.knobs) config[name] = knob.values.front();
  return config;
}

void check_inputs(const std::vector<std::string>& videos) {
  if (videos.empty())
    throw Error(ExitCode::bad_input,
                "no input video: the pipeline has no 'input' and no --input was given "
                "(add input: <video> to the pipeline, or pass --input VIDEO)");
  for (const std::string& path : videos) video::VideoReader probe(path, {});
}

RunResult run_pipeline(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
                       const ExecOptions& options) {
  try {
    Run run(pipeline, registry, options);
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
