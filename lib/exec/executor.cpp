#include "exec/executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <tuple>

#include "exec/checkpoint.h"
#include "plan/clock.h"
#include "plan/manager.h"
#include "plan/planner.h"
#include "plan/scheduler.h"
#include "profile/knob_space.h"

namespace llama::exec {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr double kNever = std::numeric_limits<double>::infinity();

// One built op. An instance runs one invocation at a time; `op` is null while a worker
// builds it (outside the lock: loading a model takes a while).
struct Instance {
  std::string key;  // instance_key() of its config
  int threads = 0;  // the `threads` it runs at now (0: the op has no such knob)
  std::unique_ptr<ops::Op> op;
  bool busy = false;
  // Its first invocation pays for what libtorch sets up lazily (a CUDA context, cuDNN's
  // algorithm search: 3 s on an H200 against 9 ms warm). The profiler discards such warm-up
  // runs; so does the feedback, or one cold start would steer every later invocation away.
  bool warm = false;
};

// One invocation the scheduler decided, run by one worker or, if it straggles, by two (the
// first result wins).
struct Call {
  int op = -1;  // job-model op
  int choice = -1;
  std::vector<ops::Item> items;  // a source has none: it makes `source_items`
  int source_items = 0;
  int64_t seq = 0;  // the op's invocation number: results are routed in this order
  double slack_s = 0, deadline_s = 0;
  double start_s = 0;
  double straggler_s = std::numeric_limits<double>::infinity();  // a copy starts past this
  int copies = 0;                                                // running now
  bool done = false;  // a copy's result (or the run's stop) settled it
};

struct NodeState {
  int op = -1;                  // index into the job model; -1: the node does not run
  std::deque<ops::Item> queue;  // its waiting items; their deadlines are in queues_[op]
  std::vector<std::unique_ptr<Instance>> instances;  // the first is built before the run
  bool finished = false;                             // finish() has run (or the node does not run)
  bool finishing = false;
  bool drained = false;  // at the checkpoint under way: drain() has run
  // Results are handed on in the order the invocations started: a parallel op's later batch
  // may finish first, and what is downstream (a tracker, a file) must see items in order.
  int64_t next_seq = 0;
  int64_t next_to_route = 0;
  std::map<int64_t, std::vector<ops::Item>> done;
  OpStats stats;
};

// Configs that differ only in batch or threads share instances: batch is the executor's
// business, and threads an instance changes with Op::set_threads. Anything else (device,
// input size) is another instance.
std::string instance_key(std::map<std::string, std::string> config) {
  config.erase("batch");
  config.erase("threads");
  return profile::format_config(config);
}

int threads_of(const std::map<std::string, std::string>& config) {
  auto it = config.find("threads");
  return it == config.end() ? 0 : std::stoi(it->second);
}

// Runs `body` (an op's code); what it throws becomes the run's failure code and a message that
// names the op.
template <typename Body>
std::pair<ExitCode, std::string> guarded(const OpStats& op, Body body) {
  try {
    body();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const std::exception& e) {
    return {ExitCode::runtime, "op '" + op.name + "' (" + op.kind + ") failed: " + e.what()};
  }
  return {ExitCode::ok, ""};
}

std::string config_label(const plan::Choice& c) {
  return profile::format_config(profile::without_batch(c.config)) + " b" + std::to_string(c.batch);
}

// Whether --fail-config names this invocation's op and config.
bool matches(const BrokenConfig& broken, const std::string& op, const plan::Choice& c) {
  if (broken.op != op) return false;
  for (const auto& [knob, value] : broken.knobs) {
    auto it = c.config.find(knob);
    std::string have = knob == "batch"        ? std::to_string(c.batch)
                       : it == c.config.end() ? ""
                                              : it->second;
    if (have != value) return false;
  }
  return true;
}

class Run {
 public:
  Run(const graph::Pipeline& pipeline, const ops::OpRegistry& registry, const ExecOptions& options,
      const plan::JobModel& model)
      : pipeline_(pipeline),
        graph_(pipeline.graph),
        registry_(registry),
        options_(options),
        estimates_(model),
        manager_(estimates_),
        scheduler_(estimates_, initial(model, options),
                   {options.objective, true, 0, options.slo_s}),
        lead_s_(plan::estimate(model, scheduler_.current()).fill_s),
        nodes_(graph_.nodes().size()),
        queues_(model.ops.size()),
        rng_(options.seed) {
    for (const spec::ModelSpec& m : pipeline.spec.models) models_[m.name] = m;
    free_ = {static_cast<double>(std::max(1, model.pool.cpus)), model.pool.gpus};
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const spec::OpSpec& op = *graph_.nodes()[i].op;
      nodes_[i].stats.name = op.name;
      nodes_[i].stats.kind = op.kind;
      nodes_[i].finished = true;  // until the model says it runs
    }
    const plan::Assignment& start = scheduler_.current();
    for (size_t k = 0; k < model.ops.size(); ++k) {
      const plan::OpModel& m = model.ops[k];
      NodeState& n = nodes_[m.node];
      n.op = static_cast<int>(k);
      n.finished = false;
      const plan::Choice& c = m.choices[start[k]];
      n.stats.config = c.config;
      // Built now, so a bad model file fails before anything runs.
      auto instance = std::make_unique<Instance>();
      instance->key = instance_key(c.config);
      instance->threads = threads_of(c.config);
      instance->op = build(m.node, c.config);
      n.instances.push_back(std::move(instance));
      if (m.source) expected_frames_ += model.video.frames * c.source_share;
    }
    if (options.resume_from) resume(*options.resume_from);
  }

  RunResult run() {
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
    result.decisions = static_cast<int64_t>(decisions_us_.size());
    if (!decisions_us_.empty()) {
      auto at = [&](size_t rank) {
        std::nth_element(decisions_us_.begin(), decisions_us_.begin() + rank, decisions_us_.end());
        return decisions_us_[rank];
      };
      result.decision_us_median = at(decisions_us_.size() / 2);
      result.decision_us_p99 = at(decisions_us_.size() * 99 / 100);
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

 private:
  static plan::Assignment initial(const plan::JobModel& model, const ExecOptions& options) {
    return options.initial.size() == model.ops.size() ? options.initial : plan::first_values(model);
  }

  std::unique_ptr<ops::Op> build(int node, const std::map<std::string, std::string>& config) {
    ops::OpContext ctx{graph_.nodes()[node].op, config, options_.videos, options_.out_dir, models_};
    ctx.resuming = options_.resume_from != nullptr;
    return registry_.create(graph_.nodes()[node].op->kind, ctx);
  }

  // Since the job started: a resumed job goes on from where the time of its runs so far.
  double now_s() const { return prior_wall_s_ + clock_.now_s(); }

  void work(int worker) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (options_.cancel && options_.cancel->load() && failure_ == ExitCode::ok)
        stop(ExitCode::interrupted, "interrupted");
      if (all_finished()) break;
      if (!barrier_ && checkpoint_due()) begin_checkpoint();
      // A straggler goes first: the results behind it wait for it to be handed on in order.
      if (failure_ == ExitCode::ok) {
        if (std::shared_ptr<Call> call = straggler()) {
          run_call(call, true, worker, lock);
          continue;
        }
      }
      std::optional<plan::Decision> d;
      if (failure_ == ExitCode::ok) {
        auto t0 = SteadyClock::now();
        d = scheduler_.next(queues_, free_, now_s());
        // Waiting for a fuller batch needs something in flight to bring the items.
        if (!d && in_flight_ == 0) d = scheduler_.next(queues_, free_, now_s(), false);
        if (d)
          decisions_us_.push_back(static_cast<float>(
              std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count()));
      }
      if (d) {
        invoke(*d, worker, lock);
        continue;
      }
      if (barrier_) {
        if (int node = drainable(); node >= 0) {
          drain(node, lock);
          continue;
        }
        if (in_flight_ == 0 && finishing_ == 0 && all_drained()) {
          commit_checkpoint();
          continue;
        }
      } else if (int node = finishable(); node >= 0) {
        finish(node, lock);
        continue;
      }
      if (in_flight_ == 0 && finishing_ == 0 && failure_ == ExitCode::ok) {
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

  // Under the lock, returns under it.
  void invoke(const plan::Decision& d, int worker, std::unique_lock<std::mutex>& lock) {
    const plan::OpModel& m = estimates_.ops[d.op];
    NodeState& n = nodes_[m.node];
    auto call = std::make_shared<Call>();
    call->op = d.op;
    call->choice = d.choice;
    call->source_items = d.items;
    call->slack_s = d.slack_s;
    call->deadline_s = d.deadline_s;
    if (!m.source) {
      for (int i = 0; i < d.items; ++i) {
        call->items.push_back(std::move(n.queue.front()));
        n.queue.pop_front();
        queues_[d.op].deadlines.pop_front();
      }
    }
    call->seq = n.next_seq++;
    call->start_s = now_s();
    // A parallel op's call may straggle: past this, a free worker runs a copy of it.
    if (m.parallel && !m.source) {
      call->straggler_s =
          plan::Manager::straggler_after_s(m.latency_ms_at(d.choice, std::max(1, d.items)) / 1000,
                                           m.choices[d.choice].stdev_ms / 1000);
      if (std::isfinite(call->straggler_s)) calls_.push_back(call);
    }
    run_call(call, false, worker, lock);
  }

  // A call of a parallel op that runs past its straggler time while a worker and its
  // resources are free: run a copy of it, whose result counts if it comes first.
  std::shared_ptr<Call> straggler() {
    double now = now_s();
    for (const auto& call : calls_) {
      if (call->copies != 1 || call->done || now - call->start_s < call->straggler_s) continue;
      plan::Resources held =
          plan::held_on(estimates_.ops[call->op].choices[call->choice], estimates_.pool);
      if (held.cores <= free_.cores && held.gpus <= free_.gpus) return call;
    }
    return nullptr;
  }

  // Runs one copy of `call` (the first, or a duplicate of a straggler). Under the lock,
  // returns under it.
  void run_call(const std::shared_ptr<Call>& call, bool duplicate, int worker,
                std::unique_lock<std::mutex>& lock) {
    const plan::OpModel& m = estimates_.ops[call->op];
    int k = call->choice;
    plan::Choice choice = m.choices[k];  // a copy: the manager moves estimates
    int node = m.node;
    NodeState& n = nodes_[node];
    plan::Resources held = plan::held_on(choice, estimates_.pool);
    free_.cores -= held.cores;
    free_.gpus -= held.gpus;
    ++queues_[call->op].running;
    ++in_flight_;
    ++call->copies;
    Instance* instance = acquire(n, choice);
    bool inject =
        !duplicate && options_.inject_failures > 0 && coin_(rng_) < options_.inject_failures;
    // Evenly spread, so a test knows how many: the calls where seq x share crosses a whole.
    double share = options_.inject_stragglers;
    bool slow = !duplicate && m.parallel && share > 0 &&
                std::floor((call->seq + 1) * share) > std::floor(call->seq * share);
    // The first copy of a parallel call leaves the items for a retry or a duplicate
    // (process() may move them on); a duplicate takes its own copy.
    std::vector<ops::Item> batch = m.parallel || duplicate ? call->items : std::move(call->items);
    lock.unlock();

    std::vector<ops::Item> out;
    bool more = true;
    int retries = 0;
    auto t0 = SteadyClock::now();
    auto attempt = [&] {
      return guarded(n.stats, [&] {
        if (!instance->op) {
          auto before = SteadyClock::now();
          instance->op = build(node, choice.config);
          t0 += SteadyClock::now() - before;  // loading a model is not the invocation's latency
        }
        if (inject)
          throw Error(ExitCode::runtime, "op '" + n.stats.name + "': failure injected by --fail");
        if (std::any_of(options_.broken_configs.begin(), options_.broken_configs.end(),
                        [&](const BrokenConfig& b) { return matches(b, n.stats.name, choice); }))
          throw Error(ExitCode::runtime, "op '" + n.stats.name + "' at " + config_label(choice) +
                                             ": failure injected by --fail-config");
        if (slow)  // --straggle: five times the predicted latency (a wait of 4x, at least 0.1 s)
          std::this_thread::sleep_for(
              std::chrono::duration<double>(std::max(0.1, 4 * choice.latency_ms / 1000)));
        if (int threads = threads_of(choice.config); threads != instance->threads) {
          instance->op->set_threads(threads);
          instance->threads = threads;
        }
        if (m.source) {
          more = instance->op->produce(static_cast<size_t>(call->source_items), out);
        } else if (batch.size() <= static_cast<size_t>(choice.batch)) {
          instance->op->process(batch, out);
        } else {  // a config taken over from one with a larger batch: calls of its own
          for (size_t i = 0; i < batch.size(); i += choice.batch) {
            std::vector<ops::Item> part(batch.begin() + i,
                                        batch.begin() + std::min(batch.size(), i + choice.batch));
            instance->op->process(part, out);
          }
        }
      });
    };
    // A failure injected by --fail runs again as it was. A real one runs again only for a
    // parallel op (an op with state may have half-applied the batch), on a fresh instance,
    // since the failed one may be broken; if that fails too, the config itself is at fault (a
    // CUDA out-of-memory at a large batch) and is set aside for the rest of the run, and the
    // items run at the cheapest config left that fits in what this worker holds.
    auto [failed, message] = attempt();
    int real_failures = 0;
    while (failed != ExitCode::ok) {
      if (inject) {
        inject = false;
      } else if (!m.parallel || failed != ExitCode::runtime) {
        break;
      } else if (++real_failures < 2) {
        instance->op.reset();
      } else {
        instance->op.reset();  // frees what the broken config held (GPU memory)
        lock.lock();
        n.stats.set_aside[config_label(choice)] = message;
        int other = manager_.set_aside(call->op, k, static_cast<int>(call->items.size()), held);
        instance->busy = false;
        if (other >= 0) {
          k = other;
          choice = m.choices[k];
          instance = acquire(n, choice);
        }
        lock.unlock();
        if (other < 0) break;
        real_failures = 0;
      }
      ++retries;
      out.clear();
      if (m.parallel) batch = call->items;
      std::tie(failed, message) = attempt();
    }
    auto t1 = SteadyClock::now();
    double seconds = std::chrono::duration<double>(t1 - t0).count();

    lock.lock();
    int items = m.source ? static_cast<int>(out.size()) : static_cast<int>(batch.size());
    if (options_.record_invocations)
      records_.push_back(
          {n.stats.name, config_label(choice) + (duplicate ? " (duplicate)" : ""), items, worker,
           held.gpus > 0, std::chrono::duration<double>(t0 - start_).count(),
           std::chrono::duration<double>(t1 - start_).count(), call->slack_s, call->deadline_s});
    instance->busy = false;
    bool cold = !instance->warm;
    instance->warm = true;
    free_.cores += held.cores;
    free_.gpus += held.gpus;
    --queues_[call->op].running;
    --in_flight_;
    --call->copies;
    OpStats& s = n.stats;
    ++s.invocations;
    s.retries += retries;
    s.duplicates += duplicate;
    s.busy_s += seconds;
    s.core_s += held.cores * seconds;
    s.gpu_s += held.gpus * seconds;
    ++s.configs[config_label(choice)];
    core_s_ += held.cores * seconds;
    gpu_s_ += held.gpus * seconds;
    if (options_.feedback && failed == ExitCode::ok && !cold && retries == 0)
      manager_.observe_latency(call->op, call->choice, m.source ? call->source_items : items,
                               seconds);
    // First result wins: the other copy's (or a failure while the other still runs) is
    // dropped, so nothing reaches the output twice.
    bool lost = call->done || (failed != ExitCode::ok && call->copies > 0);
    if (!lost) {
      call->done = true;
      if (failed != ExitCode::ok) {
        stop(failed, message);
      } else {
        s.items_in += items;
        s.items_out += static_cast<int64_t>(out.size());
        if (m.source) {
          if (!more) queues_[call->op].source_done = true;
          if (!out.empty()) last_item_ = {out.back().video, out.back().frame_index};
          for (const ops::Item& item : out)
            frame_deadline_[{item.video, item.frame_index}] = due(emitted_++);
        }
        if (options_.feedback && !m.source)
          manager_.observe_fanout(call->op, items, static_cast<int64_t>(out.size()));
        n.done[call->seq] = std::move(out);
        while (!n.done.empty() && n.done.begin()->first == n.next_to_route) {
          route(node, n.done.begin()->second);
          n.done.erase(n.done.begin());
          ++n.next_to_route;
        }
      }
    }
    if (call->copies == 0)
      calls_.erase(std::remove(calls_.begin(), calls_.end(), call), calls_.end());
    report_progress();
    ready_.notify_all();
  }

  // Under the lock: a free instance for the choice's config (instance_key), or a new one to
  // build (marked busy either way). Ops with state have exactly one instance, whatever the
  // config says: their config can only differ in batch (and threads).
  Instance* acquire(NodeState& n, const plan::Choice& choice) {
    if (!estimates_.ops[n.op].parallel) {
      n.instances.front()->busy = true;
      return n.instances.front().get();
    }
    std::string key = instance_key(choice.config);
    for (auto& instance : n.instances)
      if (!instance->busy && instance->key == key) {
        instance->busy = true;
        return instance.get();
      }
    n.instances.push_back(std::make_unique<Instance>());
    n.instances.back()->key = key;
    n.instances.back()->threads = threads_of(choice.config);
    n.instances.back()->busy = true;
    return n.instances.back().get();
  }

  // Frame number `index` (counting every source's frames in the order they came) is due
  // at its share of the SLO after the plan's fill (Manager::frame_deadline_s).
  double due(int64_t index) const {
    if (options_.slo_s <= 0) return kNever;
    return plan::Manager::frame_deadline_s(0, options_.slo_s, index, expected_frames_, lead_s_);
  }

  // An item is due when the frame it came from is (the last frame at or before it, for a
  // count that closes a window).
  double deadline_of(const ops::Item& item) const {
    if (options_.slo_s <= 0 || frame_deadline_.empty()) return kNever;
    auto it = frame_deadline_.upper_bound({item.video, item.frame_index});
    if (it == frame_deadline_.begin()) return frame_deadline_.begin()->second;
    return std::prev(it)->second;
  }

  // Under the lock: a node whose inputs are all done and whose queue is empty; -1 if none.
  int finishable() const {
    for (int i : graph_.topological_order()) {
      const NodeState& n = nodes_[i];
      if (n.finished || n.finishing || n.op < 0) continue;
      const plan::OpQueue& q = queues_[n.op];
      if (q.running > 0 || !n.queue.empty()) continue;
      bool source = estimates_.ops[n.op].source;
      if (source ? q.source_done : inputs_finished(i)) return i;
    }
    return -1;
  }

  bool inputs_finished(int node) const {
    for (int e : graph_.nodes()[node].in_edges)
      if (!nodes_[graph_.edges()[e].from].finished) return false;
    return true;
  }

  void finish(int node, std::unique_lock<std::mutex>& lock) {
    flush(node, lock, &ops::Op::finish);
    nodes_[node].finished = true;
  }

  // Runs `step` (Op::finish or Op::drain) on the node's instances outside the lock and hands
  // on what they emit. Under the lock, returns under it.
  void flush(int node, std::unique_lock<std::mutex>& lock,
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

  bool all_finished() const {
    for (const NodeState& n : nodes_)
      if (!n.finished) return false;
    return true;
  }

  std::string stalled_ops() const {
    std::string names;
    for (const NodeState& n : nodes_)
      if (!n.queue.empty())
        names += (names.empty() ? "" : ", ") + n.stats.name + " (" +
                 std::to_string(n.queue.size()) + ")";
    return names.empty() ? "no op" : names;
  }

  void stop(ExitCode code, const std::string& message) {
    if (failure_ == ExitCode::ok) {
      failure_ = code;
      error_ = message;
    }
    barrier_ = false;  // no checkpoint after a failure: the last one stands
    // Stop making new work; every op still gets finish() so files are flushed and closed.
    for (NodeState& n : nodes_) n.queue.clear();
    for (plan::OpQueue& q : queues_) {
      q.deadlines.clear();
      q.source_done = true;
    }
  }

  // Checkpoints. Under the lock: one is due when the interval has passed since the last and
  // the sources have frames left (at the end, the run's own finish is as good).
  bool checkpoint_due() const {
    if (options_.checkpoint_every_s <= 0 || failure_ != ExitCode::ok) return false;
    if (now_s() - last_checkpoint_s_ < options_.checkpoint_every_s) return false;
    if (emitted_ == checkpoint_frames_) return false;
    for (size_t k = 0; k < queues_.size(); ++k)
      if (estimates_.ops[k].source && !queues_[k].source_done) return true;
    return false;
  }

  // The sources pause (they look done to the scheduler, which then runs what waits to the end
  // without waiting for fuller batches); once nothing runs, the ops drain in order.
  void begin_checkpoint() {
    barrier_ = true;
    barrier_start_s_ = now_s();
    for (size_t k = 0; k < queues_.size(); ++k)
      if (estimates_.ops[k].source && !queues_[k].source_done) {
        queues_[k].source_done = true;
        paused_.push_back(static_cast<int>(k));
      }
  }

  // Under the lock: a node whose inputs have drained and that has nothing waiting or running;
  // -1 if none.
  int drainable() const {
    for (int i : graph_.topological_order()) {
      const NodeState& n = nodes_[i];
      if (n.op < 0 || n.finished || n.drained || n.finishing) continue;
      const plan::OpQueue& q = queues_[n.op];
      if (q.running > 0 || !n.queue.empty()) continue;
      bool ready = true;
      for (int e : graph_.nodes()[i].in_edges) {
        const NodeState& from = nodes_[graph_.edges()[e].from];
        ready = ready && (from.op < 0 || from.finished || from.drained);
      }
      if (ready) return i;
    }
    return -1;
  }

  bool all_drained() const {
    for (const NodeState& n : nodes_)
      if (n.op >= 0 && !n.finished && !n.drained) return false;
    return true;
  }

  void drain(int node, std::unique_lock<std::mutex>& lock) {
    flush(node, lock, &ops::Op::drain);
    nodes_[node].drained = true;
  }

  // Under the lock, with every node drained and nothing running: the workers all wait, so
  // the ops' state is still. A failure to write stops the run like a failed sink.
  void commit_checkpoint() {
    auto [failed, message] = save_checkpoint();
    for (NodeState& n : nodes_) n.drained = false;
    for (int k : paused_) queues_[k].source_done = false;
    paused_.clear();
    barrier_ = false;
    if (failed != ExitCode::ok) {
      stop(failed, message);
    } else {
      ++checkpoints_;
      checkpoint_s_ += now_s() - barrier_start_s_;
      checkpoint_frames_ = emitted_;
    }
    last_checkpoint_s_ = now_s();
    ready_.notify_all();
  }

  // Every op's counters, and its state where it keeps any, written as the checkpoint. An op
  // that cannot give its state is named; a write that fails says where.
  std::pair<ExitCode, std::string> save_checkpoint() {
    nlohmann::json ops = nlohmann::json::object();
    for (NodeState& n : nodes_) {
      if (n.op < 0) continue;
      nlohmann::json entry = {{"stats", to_json(n.stats)}};
      if (!estimates_.ops[n.op].parallel) {
        auto failure =
            guarded(n.stats, [&] { entry["state"] = n.instances.front()->op->checkpoint(); });
        if (failure.first != ExitCode::ok) return failure;
      }
      ops[n.stats.name] = std::move(entry);
    }
    nlohmann::json checkpoint = {{"version", kCheckpointVersion},
                                 {"job", options_.job},
                                 {"frames", emitted_},
                                 {"video", last_item_.first},
                                 {"frame", last_item_.second},
                                 {"wall_s", now_s()},
                                 {"core_s", core_s_},
                                 {"gpu_s", gpu_s_},
                                 {"checkpoints", checkpoints_ + 1},
                                 {"checkpoint_s", checkpoint_s_ + now_s() - barrier_start_s_},
                                 {"ops", std::move(ops)}};
    try {
      write_checkpoint(options_.checkpoint_path, checkpoint);
    } catch (const Error& e) {
      return {e.code(), e.what()};
    }
    return {ExitCode::ok, ""};
  }

  // In the constructor: the ops' state and the run's counters from a checkpoint. A checkpoint
  // of another pipeline was refused before (the job check); a damaged one says so.
  void resume(const nlohmann::json& checkpoint) {
    const std::string where = options_.checkpoint_path + ": ";
    try {
      const nlohmann::json& ops = checkpoint.at("ops");
      for (NodeState& n : nodes_) {
        if (n.op < 0) continue;
        if (!ops.contains(n.stats.name))
          throw Error(ExitCode::output, where + "the checkpoint has no op '" + n.stats.name +
                                            "'; pass --force to start the job over");
        const nlohmann::json& entry = ops[n.stats.name];
        n.stats = op_stats_from_json(entry.at("stats"));
        if (!estimates_.ops[n.op].parallel) n.instances.front()->op->resume(entry.at("state"));
      }
      emitted_ = checkpoint_frames_ = checkpoint.at("frames");
      last_item_ = {checkpoint.at("video"), checkpoint.at("frame")};
      prior_wall_s_ = last_checkpoint_s_ = checkpoint.at("wall_s");
      core_s_ = checkpoint.at("core_s");
      gpu_s_ = checkpoint.at("gpu_s");
      checkpoints_ = checkpoint.at("checkpoints");
      checkpoint_s_ = checkpoint.at("checkpoint_s");
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {  // a field missing or of the wrong type or range
      throw Error(ExitCode::output, where + "the checkpoint is damaged (" + e.what() +
                                        "); pass --force to start the job over");
    }
    int video = last_item_.first;
    resumed_from_ = {{"frames", emitted_},
                     {"video", video >= 0 ? options_.videos.at(video) : ""},
                     {"frame", last_item_.second},
                     {"wall_s", prior_wall_s_}};
  }

  // Under the lock.
  void report_progress() {
    if (!options_.on_progress) return;
    auto now = SteadyClock::now();
    if (now - last_progress_ < std::chrono::duration<double>(options_.progress_every_s)) return;
    last_progress_ = now;
    options_.on_progress(
        {emitted_, std::chrono::duration<double>(now - start_).count(), core_s_, gpu_s_});
  }

  // Under the lock: hand each output to every consumer whose `when:` it satisfies.
  void route(int node, std::vector<ops::Item>& out) {
    if (failure_ != ExitCode::ok) return;  // stopping: the queues stay empty
    const std::string* name = &graph_.nodes()[node].op->name;
    for (ops::Item& item : out) item.producer = name;
    for (int e : graph_.nodes()[node].out_edges) {
      int to = graph_.edges()[e].to;
      NodeState& consumer = nodes_[to];
      if (consumer.op < 0) continue;  // a writer that does not run
      const auto& when = graph_.nodes()[to].op->when;
      int64_t taken = 0;
      for (const ops::Item& item : out) {
        if (when && !when->eval([&](const std::string& f) { return ops::item_field(item, f); }))
          continue;
        consumer.queue.push_back(item);
        queues_[consumer.op].deadlines.push_back(deadline_of(item));
        ++taken;
      }
      if (options_.feedback && when)
        manager_.observe_branch(consumer.op, taken, static_cast<int64_t>(out.size()));
      scheduler_.arrived(consumer.op, static_cast<int>(taken), now_s());
      consumer.stats.max_queue = std::max(consumer.stats.max_queue, consumer.queue.size());
    }
  }

  const graph::Pipeline& pipeline_;
  const graph::Graph& graph_;
  const ops::OpRegistry& registry_;
  const ExecOptions& options_;
  std::map<std::string, spec::ModelSpec> models_;
  plan::JobModel estimates_;  // the manager updates it; the scheduler reads it
  plan::Manager manager_;
  plan::Scheduler scheduler_;
  double lead_s_;  // the plan's fill: frame deadlines start after it
  plan::SteadyClock clock_;
  std::vector<NodeState> nodes_;       // by graph node
  std::vector<plan::OpQueue> queues_;  // by job-model op
  plan::FreeResources free_;
  int in_flight_ = 0;
  int finishing_ = 0;
  double expected_frames_ = 0;
  int64_t emitted_ = 0;
  std::map<std::pair<int, int64_t>, double> frame_deadline_;  // (video, frame) -> due
  std::mutex mutex_;
  std::condition_variable ready_;
  ExitCode failure_ = ExitCode::ok;
  std::string error_;
  SteadyClock::time_point start_;
  SteadyClock::time_point last_progress_;
  double core_s_ = 0;
  double gpu_s_ = 0;
  std::vector<InvocationRecord> records_;
  std::vector<std::shared_ptr<Call>> calls_;  // parallel ops' calls in flight, oldest first
  std::mt19937_64 rng_;                       // for --fail, under the lock
  std::uniform_real_distribution<double> coin_{0.0, 1.0};
  std::vector<float> decisions_us_;
  // Checkpoints.
  bool barrier_ = false;     // one is under way: the sources in `paused_` wait for it
  std::vector<int> paused_;  // job-model ops
  double barrier_start_s_ = 0;
  double last_checkpoint_s_ = 0;
  int64_t checkpoint_frames_ = 0;  // emitted_ at the last one
  int64_t checkpoints_ = 0;
  double checkpoint_s_ = 0;
  double prior_wall_s_ = 0;  // resumed: the job's run time before this run
  nlohmann::json resumed_from_;
  std::pair<int, int64_t> last_item_{-1, -1};  // the last frame a source emitted
};

}  // namespace

RunResult run_pipeline(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
                       const ExecOptions& options) {
  try {
    plan::JobModel fixed;
    const plan::JobModel* model = options.model;
    if (!model) {
      fixed = plan::fixed_job_model(pipeline, {2, 0, ""}, {});
      model = &fixed;
    }
    Run run(pipeline, registry, options, *model);
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
