// Checkpoints during a run (checkpoint.h has the file): every `checkpoint_every_s` the sources
// pause, what is in flight finishes, the ops drain in order, and their state is written with
// the results it covers. And resuming from one.
#include "exec/checkpoint.h"
#include "exec/run.h"

namespace llama::exec {

// Under the lock: one is due when the interval has passed since the last and the sources have
// frames left (at the end, the run's own finish is as good).
bool Run::checkpoint_due() const {
  if (options_.checkpoint_every_s <= 0 || failure_ != ExitCode::ok) return false;
  if (now_s() - last_checkpoint_s_ < options_.checkpoint_every_s) return false;
  if (core_.frames_made() == checkpoint_frames_) return false;
  return !core_.sources_done();
}

// The sources pause (they look done to the scheduler, which then runs what waits to the end
// without waiting for fuller batches); once nothing runs, the ops drain in order.
void Run::begin_checkpoint() {
  barrier_ = true;
  barrier_start_s_ = now_s();
  core_.pause_sources();
}

// Under the lock: a node whose inputs have drained and that has nothing waiting or running;
// -1 if none.
int Run::drainable() const {
  for (int i : graph_.topological_order()) {
    const NodeState& n = nodes_[i];
    if (n.op < 0 || n.finished || n.drained || n.finishing) continue;
    if (core_.queue(n.op).running > 0 || !n.queue.empty()) continue;
    bool ready = true;
    for (int e : graph_.nodes()[i].in_edges) {
      const NodeState& from = nodes_[graph_.edges()[e].from];
      ready = ready && (from.op < 0 || from.finished || from.drained);
    }
    if (ready) return i;
  }
  return -1;
}

bool Run::all_drained() const {
  for (const NodeState& n : nodes_)
    if (n.op >= 0 && !n.finished && !n.drained) return false;
  return true;
}

void Run::drain(int node, std::unique_lock<std::mutex>& lock) {
  flush(node, lock, &ops::Op::drain);
  nodes_[node].drained = true;
}

// Under the lock, with every node drained and nothing running: the workers all wait, so the
// ops' state is still. A failure to write stops the run like a failed sink.
void Run::commit_checkpoint() {
  auto [failed, message] = save_checkpoint();
  for (NodeState& n : nodes_) n.drained = false;
  core_.resume_sources();
  barrier_ = false;
  if (failed != ExitCode::ok) {
    stop(failed, message);
  } else {
    ++checkpoints_;
    checkpoint_s_ += now_s() - barrier_start_s_;
    checkpoint_frames_ = core_.frames_made();
  }
  last_checkpoint_s_ = now_s();
  ready_.notify_all();
}

// Every op's counters, and its state where it keeps any, written as the checkpoint. An op that
// cannot give its state is named; a write that fails says where.
std::pair<ExitCode, std::string> Run::save_checkpoint() {
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
                               {"frames", core_.frames_made()},
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

// In the constructor: the ops' state and the run's counters from a checkpoint. A checkpoint of
// another pipeline was refused before (the job check); a damaged one says so.
void Run::resume(const nlohmann::json& checkpoint) {
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
    checkpoint_frames_ = checkpoint.at("frames");
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
  core_.resume_frames(checkpoint_frames_);
  clock_.resume_after(prior_wall_s_);
  int video = last_item_.first;
  resumed_from_ = {{"frames", checkpoint_frames_},
                   {"video", video >= 0 ? options_.videos.at(video) : ""},
                   {"frame", last_item_.second},
                   {"wall_s", prior_wall_s_}};
}

}  // namespace llama::exec
