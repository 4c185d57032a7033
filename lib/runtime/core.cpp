#include "runtime/core.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "plan/job_model_json.h"

namespace llama::runtime {

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

// JSON has no infinity: a deadline that never comes is null.
nlohmann::json finite_or_null(double s) {
  return std::isfinite(s) ? nlohmann::json(s) : nlohmann::json(nullptr);
}

}  // namespace

Core::Core(const plan::JobModel& model, const plan::Assignment& initial, const Clock& clock,
           CoreOptions options)
    : profiled_(model),
      estimates_(model),
      clock_(clock),
      options_(options),
      manager_(estimates_),
      scheduler_(estimates_, initial, options.scheduler),
      lead_s_(plan::estimate(model, initial).fill_s),
      queues_(model.ops.size()) {
  free_ = {static_cast<double>(std::max(1, model.pool.cpus)), model.pool.gpus};
  if (options.journal)
    start_ = {{"model", plan::to_json(model)},
              {"initial", initial},
              {"options",
               {{"objective", static_cast<int>(options.scheduler.objective)},
                {"delayed_batching", options.scheduler.delayed_batching},
                {"source_backlog", options.scheduler.source_backlog},
                {"slo_s", options.scheduler.slo ? nlohmann::json(options.scheduler.slo.seconds())
                                                : nlohmann::json(nullptr)},
                {"feedback", options.feedback},
                {"duplicate_stragglers", options.duplicate_stragglers}}}};
  for (size_t i = 0; i < model.ops.size(); ++i)
    if (model.ops[i].source)
      frames_ += static_cast<double>(
          std::llround(model.video.frames * model.ops[i].choices[initial[i]].source_share));
}

std::optional<Start> Core::next() {
  for (int call : spent_) std::vector<double>().swap(calls_[call].deadlines);
  spent_.clear();
  double now = clock_.now_s();
  if (options_.duplicate_stragglers)
    if (std::optional<Start> copy = straggler_copy(now)) {
      if (options_.journal)
        note({"next", now, copy->run, copy->call, true, copy->op, copy->choice, copy->items});
      return copy;
    }
  auto t0 = std::chrono::steady_clock::now();
  std::optional<Decision> d = scheduler_.next(queues_, free_, now);
  // Waiting for a fuller batch needs something in flight to bring the items.
  if (!d && in_flight_ == 0) d = scheduler_.next(queues_, free_, now, false);
  if (!d) return std::nullopt;
  decision_us_.push_back(static_cast<float>(
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count()));
  Start s = start(*d, now);
  if (options_.journal) note({"next", now, s.run, s.call, false, s.op, s.choice, s.items});
  return s;
}

Start Core::start(const Decision& d, double now_s) {
  const plan::OpModel& m = estimates_.ops[d.op];
  OpQueue& q = queues_[d.op];
  Call c;
  c.op = d.op;
  c.choice = d.choice;
  c.items = d.items;
  c.start_s = now_s;
  c.slack_s = d.slack_s;
  c.deadline_s = d.deadline_s;
  c.straggler_s = kNever;
  if (!m.source) {
    c.deadlines.assign(q.deadlines.begin(), q.deadlines.begin() + d.items);
    q.deadlines.erase(q.deadlines.begin(), q.deadlines.begin() + d.items);
    if (options_.duplicate_stragglers && m.parallel) {
      // The current estimate's mean, the profile's spread relative to it.
      double mean = m.latency_ms_at(d.choice, std::max(1, d.items)) / 1000;
      const plan::Choice& p = profiled_.ops[d.op].choices[d.choice];
      double sd = p.latency_ms > 0 ? p.stdev_ms / p.latency_ms * mean : 0;
      c.straggler_s = Manager::straggler_after_s(mean, sd);
    }
  }
  int id = static_cast<int>(calls_.size());
  calls_.push_back(std::move(c));
  if (std::isfinite(calls_[id].straggler_s))
    watched_.push({calls_[id].start_s + calls_[id].straggler_s, id});
  ++q.running;
  return started(id, false);
}

Start Core::started(int call, bool copy) {
  Call& c = calls_[call];
  Run r;
  r.call = call;
  r.held = plan::held_on(estimates_.ops[c.op].choices[c.choice], estimates_.pool);
  free_.cores -= r.held.cores;
  free_.gpus -= r.held.gpus;
  ++in_flight_;
  ++c.copies;
  int run = static_cast<int>(runs_.size());
  runs_.push_back(r);
  (copy ? c.copy_run : c.first_run) = run;
  Start s;
  s.run = run;
  s.call = call;
  s.copy = copy;
  s.op = c.op;
  s.choice = c.choice;
  s.items = c.items;
  s.slack_s = c.slack_s;
  s.deadline_s = c.deadline_s;
  s.straggler_at_s = copy ? kNever : c.start_s + c.straggler_s;
  return s;
}

std::optional<Start> Core::straggler_copy(double now_s) {
  while (!watched_.empty()) {
    const Call& c = calls_[watched_.top().second];
    if (now_s - c.start_s < c.straggler_s) break;
    int id = watched_.top().second;
    due_.insert(std::lower_bound(due_.begin(), due_.end(), id), id);
    watched_.pop();
  }
  // The oldest due call that fits; settled ones are dropped as it goes.
  std::optional<Start> copy;
  size_t kept = 0;
  for (size_t i = 0; i < due_.size(); ++i) {
    int id = due_[i];
    Call& c = calls_[id];
    if (c.done) continue;
    due_[kept++] = id;
    if (copy || c.copies != 1) continue;
    if (!fits(plan::held_on(estimates_.ops[c.op].choices[c.choice], estimates_.pool))) continue;
    copy = started(id, true);
  }
  due_.resize(kept);
  return copy;
}

const std::vector<double>& Core::made(int call, int64_t count) {
  Call& c = calls_[call];
  c.items = static_cast<int>(count);
  c.deadlines.clear();
  const spec::LatencyTarget& slo = options_.scheduler.slo;
  for (int64_t j = 0; j < count; ++j)
    c.deadlines.push_back(
        slo ? Manager::frame_deadline_s(0, slo.seconds(), made_ + j, frames_, lead_s_) : kNever);
  made_ += count;
  if (options_.journal) note({"made", clock_.now_s(), call, count});
  return c.deadlines;
}

void Core::source_done(int op) {
  if (options_.journal) note({"source_done", clock_.now_s(), op});
  queues_[op].source_done = true;
}

void Core::release(int run) {
  Run& r = runs_[run];
  r.over = true;
  free_.cores += r.held.cores;
  free_.gpus += r.held.gpus;
  --in_flight_;
  --calls_[r.call].copies;
}

Core::Ended Core::ended(int run, double seconds, bool measured) {
  if (options_.journal) note({"ended", clock_.now_s(), run, seconds, measured});
  release(run);
  Call& c = calls_[runs_[run].call];
  if (options_.feedback && measured) manager_.observe_latency(c.op, c.choice, c.items, seconds);
  if (c.done) return {};
  c.done = true;
  --queues_[c.op].running;
  spent_.push_back(runs_[run].call);
  int other = run == c.first_run ? c.copy_run : c.first_run;
  return {true, other >= 0 && !runs_[other].over ? other : -1};
}

bool Core::failed(int run) {
  if (options_.journal) note({"failed", clock_.now_s(), run});
  Call& c = calls_[runs_[run].call];
  if (c.copies <= 1 && !c.done) return true;
  release(run);
  return false;
}

void Core::cancel(int run) {
  if (options_.journal) note({"cancel", clock_.now_s(), run});
  if (runs_[run].over) return;
  release(run);
  Call& c = calls_[runs_[run].call];
  if (!c.done && c.copies == 0) {  // nothing will deliver its items: the run is stopping
    c.done = true;
    --queues_[c.op].running;
  }
}

int Core::set_aside(int op, int choice, int items, const plan::Resources& held) {
  if (options_.journal)
    note({"set_aside", clock_.now_s(), op, choice, items, held.cores, held.gpus});
  return manager_.set_aside(op, choice, items, held);
}

void Core::produced(int op, int64_t in, int64_t out) {
  if (options_.journal) note({"produced", clock_.now_s(), op, in, out});
  if (options_.feedback && !estimates_.ops[op].source) manager_.observe_fanout(op, in, out);
}

void Core::arrived(int op, const std::vector<double>& deadlines, int64_t seen) {
  double now = clock_.now_s();
  if (options_.journal) {
    nlohmann::json due = nlohmann::json::array();
    for (double d : deadlines) due.push_back(finite_or_null(d));
    note({"arrived", now, op, seen, std::move(due)});
  }
  if (options_.feedback) manager_.observe_branch(op, static_cast<int64_t>(deadlines.size()), seen);
  OpQueue& q = queues_[op];
  q.deadlines.insert(q.deadlines.end(), deadlines.begin(), deadlines.end());
  scheduler_.arrived(op, static_cast<int>(deadlines.size()), now);
}

void Core::stop() {
  if (options_.journal) note({"stop", clock_.now_s()});
  for (OpQueue& q : queues_) {
    q.deadlines.clear();
    q.source_done = true;
  }
  paused_.clear();
}

bool Core::pause_sources() {
  if (options_.journal) note({"pause_sources", clock_.now_s()});
  for (size_t k = 0; k < queues_.size(); ++k)
    if (estimates_.ops[k].source && !queues_[k].source_done) {
      queues_[k].source_done = true;
      paused_.push_back(static_cast<int>(k));
    }
  return !paused_.empty();
}

void Core::resume_sources() {
  if (options_.journal) note({"resume_sources", clock_.now_s()});
  for (int k : paused_) queues_[k].source_done = false;
  paused_.clear();
}

void Core::resume_frames(int64_t frames) {
  if (options_.journal) note({"resume_frames", clock_.now_s(), frames});
  made_ = frames;
}

void Core::note(nlohmann::json event) {
  journal_.push_back(std::move(event));
}

nlohmann::json Core::journal() const {
  nlohmann::json j = start_;
  j["events"] = journal_;
  return j;
}

bool Core::sources_done() const {
  for (size_t k = 0; k < queues_.size(); ++k)
    if (estimates_.ops[k].source && !queues_[k].source_done) return false;
  return true;
}

}  // namespace llama::runtime
