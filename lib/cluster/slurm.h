// Slurm through its commands (sbatch, squeue, scancel, sinfo, scontrol), as a user would type
// them but without a shell. Every failure says which command failed, what it printed, and
// how to fix it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace llama::cluster {

// What `--cluster slurm` asks of the cluster.
struct SlurmOptions {
  std::string partition;  // "" for the cluster's default
  std::string account;    // "" for the user's default
  int cpus_per_task = 1;
  int gpus_per_task = 0;
};

// One `sbatch --array` of tasks, each running `command` in `workdir`.
struct ArraySubmission {
  std::string job_name;
  std::string array;                 // "0-3", "1,4"
  std::string script;                // a batch script: `#!/bin/sh` + `exec "$@"`
  std::vector<std::string> command;  // its arguments: what each task runs, passed unchanged
  std::string workdir;
  std::string log_pattern;  // --output, with %a for the task index
};

// A task of an array, as squeue lists it.
enum class TaskState { pending, running, gone };

// Throws Error(cluster) unless Slurm's commands are installed and a controller answers; the
// message says how to get one (scripts/slurm-local start) when none does.
void check_slurm();

// Partition names; the default first.
std::vector<std::string> partitions();

// Throws Error(usage) naming the partitions that exist when `name` is not one of them.
void check_partition(const std::string& name);

// CPUs of a partition ("" for the default) over all its nodes; 0 when sinfo cannot tell.
int partition_cpus(const std::string& partition);

// Submits and returns the job id. Throws Error(cluster) with sbatch's message.
std::string submit(const ArraySubmission& job, const SlurmOptions& options);

// The array's tasks that Slurm still holds, by index; a task not listed has ended (or never
// existed).
std::map<int, TaskState> array_tasks(const std::string& job_id);

// Cancels a whole job ("123") or one task of an array ("123_4"). Never throws: a job that
// already ended is fine.
void cancel(const std::string& job);

// `%` written so that sbatch's --output keeps it (its patterns read %a, %j, ...).
std::string escape_pattern(const std::string& path);

}  // namespace llama::cluster
