// What `llama run` does with what an earlier run left in --out (README "Resume"): an
// incomplete job is continued with --resume, started over with --force, and never silently
// overwritten.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llama::app {

struct ResumeFlags {
  bool resume = false;
  bool force = false;
};

// What identifies a job: the pipeline file's text and each input's path, size and time of
// change. A checkpoint of another job is refused.
nlohmann::json job_identity(const std::string& pipeline_file,
                            const std::vector<std::string>& videos);

struct JobStart {
  std::optional<nlohmann::json> checkpoint;  // continue from it
  bool already_complete = false;             // --resume on a finished job: nothing to do
};

// Throws Error(usage) for an incomplete job in `out_dir` without --resume or --force, and for
// a checkpoint of another job; --force clears the job's state. Says where it resumes unless
// `quiet`.
JobStart start_job(const std::string& out_dir, const nlohmann::json& job, const ResumeFlags& flags,
                   bool quiet);

// A complete job needs no checkpoint: its state folder goes.
void end_job(const std::string& out_dir);

}  // namespace llama::app
