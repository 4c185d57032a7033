#include "cluster/slurm.h"

#include <cstdlib>
#include <sstream>

#include "base/error.h"
#include "cluster/process.h"

namespace llama::cluster {

namespace {

constexpr const char* kStartHint =
    "for a one-host cluster to try it: scripts/slurm-local start, then export the SLURM_CONF "
    "line it prints";

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

ProcessResult slurm_command(const std::vector<std::string>& argv, double timeout_s = 30) {
  if (!in_path(argv.at(0)))
    throw Error(ExitCode::cluster, "Slurm is not installed here (no '" + argv[0] +
                                       "' in PATH): install Debian's slurm-client, or run llama "
                                       "on a machine of the cluster; " +
                                       kStartHint);
  return run_process(argv, timeout_s);
}

}  // namespace

void check_slurm() {
  ProcessResult ping = slurm_command({"scontrol", "ping"}, 15);
  if (ping.exit_code != 0 || ping.out.find("is UP") == std::string::npos) {
    std::string said = trimmed(ping.err.empty() ? ping.out : ping.err);
    throw Error(ExitCode::cluster, "no Slurm controller answers (scontrol ping: " +
                                       (ping.timed_out ? "no answer in 15 s" : said) + "); " +
                                       kStartHint);
  }
}

std::vector<std::string> partitions() {
  ProcessResult r = slurm_command({"sinfo", "-h", "-o", "%P"});
  if (r.exit_code != 0)
    throw Error(ExitCode::cluster, "sinfo failed: " + trimmed(r.err) + "; " + kStartHint);
  std::vector<std::string> names;
  std::stringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    bool is_default = line.back() == '*';
    if (is_default) line.pop_back();
    names.insert(is_default ? names.begin() : names.end(), line);
  }
  return names;
}

void check_partition(const std::string& name) {
  std::vector<std::string> names = partitions();
  for (const std::string& n : names)
    if (n == name) return;
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  throw Error(ExitCode::usage, "--partition '" + name + "': the cluster has no such partition (" +
                                   (list.empty() ? "it has none" : "it has: " + list) + ")");
}

int partition_cpus(const std::string& partition) {
  try {
    const std::string name = partition.empty() ? partitions().at(0) : partition;
    // %C: allocated/idle/other/total
    ProcessResult r = slurm_command({"sinfo", "-h", "-p", name, "-o", "%C"});
    size_t slash = r.out.rfind('/');
    if (r.exit_code != 0 || slash == std::string::npos) return 0;
    return std::atoi(r.out.c_str() + slash + 1);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string submit(const ArraySubmission& job, const SlurmOptions& options) {
  std::vector<std::string> argv = {"sbatch", "--parsable", "--job-name=" + job.job_name,
                                   "--array=" + job.array, "--ntasks=1",
                                   "--cpus-per-task=" + std::to_string(options.cpus_per_task),
                                   "--chdir=" + job.workdir, "--output=" + job.log_pattern,
                                   // The task's own llama run takes SIGTERM and flushes.
                                   "--signal=TERM@30"};
  if (options.gpus_per_task > 0)
    argv.push_back("--gres=gpu:" + std::to_string(options.gpus_per_task));
  if (!options.partition.empty()) argv.push_back("--partition=" + options.partition);
  if (!options.account.empty()) argv.push_back("--account=" + options.account);
  argv.push_back(job.script);
  argv.insert(argv.end(), job.command.begin(), job.command.end());
  ProcessResult r = slurm_command(argv, 60);
  std::string id = trimmed(r.out);
  // --parsable prints "id" or "id;cluster".
  id = id.substr(0, id.find(';'));
  if (r.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw Error(ExitCode::cluster,
                "sbatch refused the job: " + trimmed(r.err.empty() ? r.out : r.err) +
                    " (check --partition, --account, --cpus-per-task and the GPUs the plan asks "
                    "for against what the cluster has: sinfo)");
  return id;
}

std::map<int, TaskState> array_tasks(const std::string& job_id) {
  ProcessResult r = slurm_command({"squeue", "-h", "-r", "-j", job_id, "-o", "%K|%T"});
  std::map<int, TaskState> tasks;
  // A job Slurm no longer holds is an error to squeue ("Invalid job id"): every task is gone.
  if (r.exit_code != 0) {
    if (r.err.find("Invalid job id") != std::string::npos) return tasks;
    throw Error(ExitCode::cluster, "squeue failed: " + trimmed(r.err));
  }
  std::stringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    size_t bar = line.find('|');
    if (bar == std::string::npos) continue;
    const std::string index = line.substr(0, bar), state = line.substr(bar + 1);
    if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) continue;
    tasks[std::stoi(index)] = state == "PENDING" ? TaskState::pending : TaskState::running;
  }
  return tasks;
}

void cancel(const std::string& job) {
  try {
    slurm_command({"scancel", job}, 30);
  } catch (const Error&) {
    // Nothing to cancel with: no Slurm commands.
  }
}

std::string escape_pattern(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%') out += '%';
    out += c;
  }
  return out;
}

}  // namespace llama::cluster
