// One invocation on a worker thread: the core started it (runtime::Start); this runs the op on
// an instance, retries or sets aside a failing config, and hands the results on in order.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>
#include <tuple>

#include "exec/run.h"
#include "profile/knob_space.h"

namespace llama::exec {

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

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

}  // namespace

std::string instance_key(std::map<std::string, std::string> config) {
  config.erase("batch");
  config.erase("threads");
  return profile::format_config(config);
}

int threads_of(const std::map<std::string, std::string>& config) {
  auto it = config.find("threads");
  return it == config.end() ? 0 : std::stoi(it->second);
}

// Under the lock, returns under it.
void Run::run_call(const runtime::Start& start, int worker, std::unique_lock<std::mutex>& lock) {
  const plan::OpModel& m = estimates_.ops[start.op];
  int k = start.choice;
  plan::Choice choice = m.choices[k];  // a copy: the manager moves estimates
  int node = m.node;
  NodeState& n = nodes_[node];
  plan::Resources held = plan::held_on(choice, estimates_.pool);
  CallItems& call = calls_[start.call];
  if (!start.copy) {
    for (int i = 0; i < start.items && !m.source; ++i) {
      call.items.push_back(std::move(n.queue.front()));
      n.queue.pop_front();
    }
    call.seq = n.next_seq++;
  }
  Instance* instance = acquire(n, choice);
  bool inject =
      !start.copy && options_.inject_failures > 0 && coin_(rng_) < options_.inject_failures;
  // Evenly spread, so a test knows how many: the calls where seq x share crosses a whole.
  double share = options_.inject_stragglers;
  bool slow = !start.copy && m.parallel && share > 0 &&
              std::floor((call.seq + 1) * share) > std::floor(call.seq * share);
  // The first copy of a parallel call leaves the items for a retry or a copy (process() may
  // move them on); a copy takes its own.
  std::vector<ops::Item> batch = m.parallel || start.copy ? call.items : std::move(call.items);
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
        more = instance->op->produce(static_cast<size_t>(start.items), out);
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
      int other = core_.set_aside(start.op, k, static_cast<int>(call.items.size()), held);
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
    if (m.parallel) batch = call.items;
    std::tie(failed, message) = attempt();
  }
  auto t1 = SteadyClock::now();
  double seconds = std::chrono::duration<double>(t1 - t0).count();

  lock.lock();
  int items = m.source ? static_cast<int>(out.size()) : static_cast<int>(batch.size());
  if (options_.record_invocations)
    records_.push_back(
        {n.stats.name, config_label(choice) + (start.copy ? " (duplicate)" : ""), items, worker,
         held.gpus > 0, std::chrono::duration<double>(t0 - start_).count(),
         std::chrono::duration<double>(t1 - start_).count(), start.slack_s, start.deadline_s});
  instance->busy = false;
  bool cold = !instance->warm;
  instance->warm = true;
  OpStats& s = n.stats;
  ++s.invocations;
  s.retries += retries;
  s.duplicates += start.copy;
  s.busy_s += seconds;
  s.core_s += held.cores * seconds;
  s.gpu_s += held.gpus * seconds;
  ++s.configs[config_label(choice)];
  core_s_ += held.cores * seconds;
  gpu_s_ += held.gpus * seconds;
  if (failed != ExitCode::ok) {
    // Dropped while the other copy may still deliver; else the run stops.
    bool other_runs = core_.copies(start.call) > 1;
    core_.cancel(start.run);
    if (!other_runs) stop(failed, message);
  } else {
    if (m.source) {
      if (!more) core_.source_done(start.op);
      made_frames(start.call, out);
    }
    // First result wins: the other copy's is dropped, so nothing reaches the output twice.
    if (core_.ended(start.run, seconds, !cold && retries == 0).delivered) {
      s.items_in += items;
      s.items_out += static_cast<int64_t>(out.size());
      core_.produced(start.op, items, static_cast<int64_t>(out.size()));
      n.done[call.seq] = std::move(out);
      while (!n.done.empty() && n.done.begin()->first == n.next_to_route) {
        route(node, n.done.begin()->second);
        n.done.erase(n.done.begin());
        ++n.next_to_route;
      }
    }
  }
  if (core_.copies(start.call) == 0) calls_.erase(start.call);
  report_progress();
  ready_.notify_all();
}

// Under the lock: a free instance for the choice's config (instance_key), or a new one to
// build (marked busy either way). Ops with state have exactly one instance, whatever the
// config says: their config can only differ in batch (and threads).
Instance* Run::acquire(NodeState& n, const plan::Choice& choice) {
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

// Under the lock: a source's call made these frames; each is due when the core says.
void Run::made_frames(int call, const std::vector<ops::Item>& out) {
  const std::vector<double>& due = core_.made(call, static_cast<int64_t>(out.size()));
  for (size_t i = 0; i < out.size(); ++i)
    frame_deadline_[{out[i].video, out[i].frame_index}] = due[i];
  if (!out.empty()) last_item_ = {out.back().video, out.back().frame_index};
}

// An item is due when the frame it came from is (the last frame at or before it, for a
// count that closes a window).
double Run::deadline_of(const ops::Item& item) const {
  if (!options_.slo || frame_deadline_.empty()) return kNever;
  auto it = frame_deadline_.upper_bound({item.video, item.frame_index});
  if (it == frame_deadline_.begin()) return frame_deadline_.begin()->second;
  return std::prev(it)->second;
}

// Under the lock: hand each output to every consumer whose `when:` it satisfies.
void Run::route(int node, std::vector<ops::Item>& out) {
  if (failure_ != ExitCode::ok) return;  // stopping: the queues stay empty
  const std::string* name = &graph_.nodes()[node].op->name;
  for (ops::Item& item : out) item.producer = name;
  for (int e : graph_.nodes()[node].out_edges) {
    int to = graph_.edges()[e].to;
    NodeState& consumer = nodes_[to];
    if (consumer.op < 0) continue;  // a writer that does not run
    const auto& when = graph_.nodes()[to].op->when;
    std::vector<double> deadlines;
    for (const ops::Item& item : out) {
      if (when && !when->eval([&](const std::string& f) { return ops::item_field(item, f); }))
        continue;
      consumer.queue.push_back(item);
      deadlines.push_back(deadline_of(item));
    }
    core_.arrived(consumer.op, deadlines, static_cast<int64_t>(out.size()));
    consumer.stats.max_queue = std::max(consumer.stats.max_queue, consumer.queue.size());
  }
}

}  // namespace llama::exec
