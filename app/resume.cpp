#include "resume.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "base/error.h"
#include "exec/checkpoint.h"
#include "profile/fingerprint.h"

namespace llama::app {

namespace fs = std::filesystem;

namespace {

// The report an earlier run left, or null: its status says whether the job finished.
nlohmann::json earlier_report(const std::string& out_dir) {
  const fs::path path = fs::path(out_dir) / "report.json";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return nullptr;  // a folder in its way fails later
  std::ifstream in(path);
  if (!in) return nullptr;
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  return report.is_object() ? report : nlohmann::json(nullptr);
}

std::string where_it_stopped(const nlohmann::json& checkpoint) {
  int video = checkpoint.value("video", -1);
  const nlohmann::json& videos = checkpoint["job"]["videos"];
  std::string name = video >= 0 && video < static_cast<int>(videos.size())
                         ? videos[video].value("path", "?")
                         : "?";
  return fmt::format("{} frames done, up to frame {} of {}, after {:.1f}s",
                     checkpoint.value("frames", 0), checkpoint.value("frame", -1), name,
                     checkpoint.value("wall_s", 0.0));
}

// Which part of the job differs, for the refusal.
std::string difference(const nlohmann::json& was, const nlohmann::json& now) {
  if (was.value("pipeline", "") != now.value("pipeline", ""))
    return "the pipeline file changed since";
  if (was["videos"].size() != now["videos"].size()) return "the job has other input videos";
  for (size_t i = 0; i < now["videos"].size(); ++i)
    if (was["videos"][i] != now["videos"][i])
      return now["videos"][i].value("path", "") + " is not the video it was (path, size or time)";
  return "";
}

}  // namespace

nlohmann::json job_identity(const std::string& pipeline_file,
                            const std::vector<std::string>& videos) {
  std::ifstream in(pipeline_file);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json inputs = nlohmann::json::array();
  for (const std::string& path : videos) {
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    auto changed = fs::last_write_time(path, ec).time_since_epoch().count();
    inputs.push_back({{"path", path},
                      {"size", ec ? -1 : static_cast<int64_t>(size)},
                      {"changed", ec ? 0 : static_cast<int64_t>(changed)}});
  }
  return {{"pipeline", fmt::format("{:016x}", profile::fnv1a64(text.str()))}, {"videos", inputs}};
}

JobStart start_job(const std::string& out_dir, const nlohmann::json& job, const ResumeFlags& flags,
                   bool quiet) {
  const std::string state = exec::state_dir(out_dir);
  const std::string path = exec::checkpoint_path(out_dir);
  std::error_code ec;
  if (flags.force) {
    fs::remove_all(state, ec);
    return {};
  }
  bool has_checkpoint = fs::exists(path, ec);
  nlohmann::json report = earlier_report(out_dir);
  bool incomplete = has_checkpoint || (report.is_object() && !report.value("complete", true));
  if (!flags.resume) {
    if (!incomplete) return {};
    std::string how = has_checkpoint ? where_it_stopped(exec::read_checkpoint(path))
                                     : "stopped before its first checkpoint";
    throw Error(ExitCode::usage, out_dir + " holds an incomplete run of this job (" + how +
                                     "); pass --resume to continue it, or --force to start over");
  }
  if (!has_checkpoint) {
    if (report.is_object() && report.value("complete", false)) return {std::nullopt, true};
    if (incomplete && !quiet)
      std::cerr << "llama: " << out_dir
                << " holds a run stopped before its first checkpoint: starting over\n";
    return {};
  }
  nlohmann::json checkpoint = exec::read_checkpoint(path);
  if (std::string why = difference(checkpoint["job"], job); !why.empty())
    throw Error(ExitCode::usage, path + " is of another job: " + why +
                                     "; pass --force to start over, or another --out");
  if (!quiet)
    std::cerr << "llama: resuming " << out_dir << " (" << where_it_stopped(checkpoint) << ")\n";
  return {std::move(checkpoint), false};
}

void end_job(const std::string& out_dir) {
  std::error_code ignored;
  fs::remove_all(exec::state_dir(out_dir), ignored);
}

}  // namespace llama::app
