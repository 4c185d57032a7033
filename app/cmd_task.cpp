// llama task OUT: one task of a cluster job, as Slurm runs it (`llama run --cluster slurm`
// submits it; hidden from --help). Runs `llama run --objective fast` on the task's videos
// into OUT/tasks/N, and records on OUT/cluster/task-N.json when it started, when it ended
// and how.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "base/error.h"
#include "cluster/manifest.h"
#include "commands.h"

extern char** environ;

namespace llama::app {

namespace {

int task_index(int flag) {
  if (flag >= 0) return flag;
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  if (!id)
    throw Error(ExitCode::usage,
                "no task: SLURM_ARRAY_TASK_ID is not set (llama task runs "
                "inside a Slurm array job; by hand, pass --task N)");
  return std::atoi(id);
}

std::vector<std::string> run_argv(const cluster::Manifest& m, int task) {
  std::vector<std::string> argv = {m.llama, "run", m.pipeline};
  const cluster::TaskSpec& spec = m.tasks[task];
  for (const std::string& input : spec.inputs) argv.insert(argv.end(), {"--input", input});
  if (spec.segment)
    argv.insert(argv.end(),
                {"--segment", fmt::format("{:.10g}:{}:{:.10g}", spec.segment->from_s,
                                          std::isfinite(spec.segment->to_s)
                                              ? fmt::format("{:.10g}", spec.segment->to_s)
                                              : "end",
                                          spec.segment->warmup_s)});
  const char* cpus = std::getenv("SLURM_CPUS_PER_TASK");
  argv.insert(argv.end(), {"--out", cluster::task_dir(m.out_dir, task), "--resume", "--quiet",
                           "--workers", cpus ? cpus : std::to_string(m.slurm.cpus_per_task)});
  argv.insert(argv.end(), m.run_args.begin(), m.run_args.end());
  // A task holds its cpus (and GPUs) for its whole life, so its cheapest run is its fastest:
  // every objective runs the fast plan on the allocation. The job's SLO and objective chose
  // the task count (cluster_plan.h).
  if (m.objective != "static") argv.insert(argv.end(), {"--objective", "fast"});
  return argv;
}

int run_task(const std::string& out_dir, int task_flag) {
  cluster::Manifest m = cluster::read_manifest(out_dir);
  const int task = task_index(task_flag);
  if (task < 0 || task >= static_cast<int>(m.tasks.size()))
    throw Error(ExitCode::usage, fmt::format("task {}: the job in {} has tasks 0 to {}", task,
                                             out_dir, m.tasks.size() - 1));
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  cluster::TaskRecord record{task, host, cluster::now_unix(), 0, -1};
  cluster::write_task_record(m.out_dir, record);

  std::vector<std::string> argv = run_argv(m, task);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Slurm signals every process of the task; the llama run flushes and stops, and this one
  // waits to record how it ended.
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, m.llama.c_str(), nullptr, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw Error(ExitCode::runtime,
                m.llama + ": cannot start it on " + host + " (" + std::strerror(rc) +
                    "); the nodes must see llama at the path it was submitted from");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  record.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  record.ended_unix = cluster::now_unix();
  cluster::write_task_record(m.out_dir, record);
  return record.exit_code;
}

}  // namespace

Command add_task_command(CLI::App& app) {
  auto out_dir = std::make_shared<std::string>();
  auto task = std::make_shared<int>(-1);
  CLI::App* sub = app.add_subcommand("task", "Run one task of a cluster job (Slurm runs it)");
  sub->group("");  // not for people: llama run --cluster slurm submits it
  sub->add_option("out", *out_dir, "the job's --out folder")->required();
  sub->add_option("--task", *task, "task index (default: $SLURM_ARRAY_TASK_ID)");
  return [out_dir, task] { return run_task(*out_dir, *task); };
}

}  // namespace llama::app
