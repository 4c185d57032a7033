#include "cluster/job.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "base/error.h"
#include "cluster/slurm.h"

namespace llama::cluster {

namespace fs = std::filesystem;

namespace {

// The script every task runs: its arguments, unchanged. No user string is ever inside it, so
// no shell reads a file name.
constexpr const char* kScript = "#!/bin/sh\n# llama: runs this task's `llama task`.\nexec \"$@\"\n";

std::string script_path(const Manifest& m) {
  return (fs::path(m.out_dir) / "cluster" / "task.sh").string();
}

std::string array_of(const std::vector<int>& tasks) {
  std::string text;
  for (int t : tasks) text += (text.empty() ? "" : ",") + std::to_string(t);
  return text;
}

void submit_tasks(Manifest& m, const std::vector<int>& tasks) {
  for (int t : tasks) fs::remove(task_record_path(m.out_dir, t));  // an earlier attempt's
  ArraySubmission job;
  job.job_name = "llama-" + fs::path(m.pipeline).stem().string();
  job.array = array_of(tasks);
  job.script = script_path(m);
  job.command = {m.llama, "task", m.out_dir};
  job.workdir = m.workdir;
  job.log_pattern =
      escape_pattern((fs::path(m.out_dir) / "cluster" / "logs").string()) + "/task-%a.log";
  Submission s;
  s.submitted_unix = now_unix();
  s.job_id = submit(job, m.slurm);
  s.tasks = tasks;
  m.submissions.push_back(s);
  write_manifest(m);
}

// Exit codes where running the task again gives the same failure: its input or spec is bad.
bool worth_retrying(int exit_code) {
  return exit_code != static_cast<int>(ExitCode::usage) &&
         exit_code != static_cast<int>(ExitCode::bad_spec) &&
         exit_code != static_cast<int>(ExitCode::bad_input);
}

}  // namespace

void submit_job(Manifest& m) {
  fs::create_directories(fs::path(m.out_dir) / "cluster" / "logs");
  {
    std::ofstream script(script_path(m));
    script << kScript;
    if (!script.flush())
      throw Error(ExitCode::output, script_path(m) + ": cannot write (check --out)");
  }
  fs::permissions(script_path(m), fs::perms::owner_all, fs::perm_options::add);
  std::vector<int> all;
  for (size_t t = 0; t < m.tasks.size(); ++t) all.push_back(static_cast<int>(t));
  submit_tasks(m, all);
}

WatchResult watch_job(Manifest& m, const WatchOptions& options) {
  const int total = static_cast<int>(m.tasks.size());
  WatchResult result;
  result.outcomes.assign(total, TaskOutcome{1, ""});
  // The job id each unfinished task was last submitted in.
  std::map<int, std::string> open;
  for (const Submission& s : m.submissions)
    for (int t : s.tasks) open[t] = s.job_id;
  JobProgress progress;
  progress.total = total;
  while (!open.empty()) {
    if (options.cancel && options.cancel->load()) {
      for (const Submission& s : m.submissions) cancel(s.job_id);
      result.cancelled = true;
      for (const auto& [t, id] : open) result.outcomes[t].failure = "cancelled (stop signal)";
      return result;
    }
    std::map<std::string, std::map<int, TaskState>> queued;
    for (const auto& [t, id] : open)
      if (!queued.count(id)) queued[id] = array_tasks(id);
    progress.pending = progress.running = 0;
    std::vector<int> resubmit;
    for (auto it = open.begin(); it != open.end();) {
      const int t = it->first;
      const auto& states = queued[it->second];
      auto state = states.find(t);
      if (state != states.end()) {
        (state->second == TaskState::pending ? progress.pending : progress.running) += 1;
        ++it;
        continue;
      }
      // Gone from the queue: its wrapper's record says how it ended.
      std::optional<TaskRecord> record = read_task_record(m.out_dir, t);
      const bool ok = record && record->ended_unix > 0 && record->exit_code == 0;
      if (ok) {
        ++progress.done;
      } else {
        const int code = record ? record->exit_code : -1;
        const std::string why = !record
                                    ? "it ended without starting llama (see cluster/logs/task-" +
                                          std::to_string(t) + ".log)"
                                : record->ended_unix == 0
                                    ? "it was killed (time limit, node failure or scancel)"
                                    : "its llama run exited " + std::to_string(code) +
                                          " (see cluster/logs/task-" + std::to_string(t) + ".log)";
        TaskOutcome& outcome = result.outcomes[t];
        if (outcome.attempts <= options.retries && (!record || worth_retrying(code))) {
          ++outcome.attempts;
          ++progress.retried;
          resubmit.push_back(t);
        } else {
          outcome.failure = why + " after " + std::to_string(outcome.attempts) + " attempt" +
                            (outcome.attempts == 1 ? "" : "s");
          ++progress.failed;
        }
      }
      it = open.erase(it);
    }
    if (!resubmit.empty()) {
      submit_tasks(m, resubmit);
      for (int t : resubmit) open[t] = m.submissions.back().job_id;
      progress.pending += static_cast<int>(resubmit.size());
    }
    progress.elapsed_s = now_unix() - m.submitted_unix;
    if (options.on_progress) options.on_progress(progress);
    if (open.empty()) break;
    // Short sleeps, so a stop signal is acted on within a tenth of a second.
    for (double slept = 0; slept < options.poll_s; slept += 0.1) {
      if (options.cancel && options.cancel->load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return result;
}

}  // namespace llama::cluster
