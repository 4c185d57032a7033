#include "profile/profiler.h"

#include <stdlib.h>

#include <filesystem>

#include "base/error.h"
#include "profile/profile_run.h"
#include "video/video_probe.h"

namespace llama::profile {

namespace fs = std::filesystem;

namespace {

// The first video's stream info (what the profile is measured on).
video::VideoInfo probe(const std::vector<std::string>& videos) {
  if (videos.empty()) video::probe_inputs(videos);  // throws, naming --input
  return video::probe_inputs({videos.front()}).front();
}

std::string frame_size_of(const video::VideoInfo& info) {
  return std::to_string(info.width) + "x" + std::to_string(info.height);
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "llama-profile-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw Error(ExitCode::output, "cannot make a temporary folder under " +
                                      fs::temp_directory_path().string() +
                                      " for the outputs of sinks while profiling (set TMPDIR "
                                      "to a writable folder)");
  path_ = pattern;
}
TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}
ProfileResult Profiler::run() {
  start_ = Clock::now();
  deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(options_.budget_s));
  std::vector<std::string> notes;
  video::VideoInfo video = probe(options_.videos);
  video_duration_s_ = video.duration_s;
  targets_ = profile_targets(pipeline_, frame_size_of(video), options_.cuda, &notes);
  for (const std::string& n : notes)
    if (options_.on_info) options_.on_info(n);

  for (const OpTarget& t : targets_) {
    OpOutcome o;
    o.name = t.op->name;
    o.kind = t.op->kind;
    o.configs = static_cast<int>(t.configs.size());
    o.error = t.error;
    result_.ops.push_back(o);
  }

  if (needs_capture()) {
    capture();
    result_.captured = true;
    save_rates();
    store_.save();
  }
  measure_all();
  if (cancelled(options_)) result_.interrupted = true;
  result_.wall_s = seconds_since(start_);
  for (const OpOutcome& o : result_.ops) {
    result_.measured += o.measured;
    result_.cached += o.cached;
  }
  return result_;
}

bool Profiler::needs_capture() {
  if (options_.force) return true;
  for (const OpTarget& t : targets_) {
    if (!t.error.empty()) continue;
    if (!is_source(t) && !store_.find_fanout(op_key(t))) return true;
    if (t.op->when && !store_.find_branch(op_key(t))) return true;
    bool missing = false;
    walk(t, [&](const Config&, const LatencyStats* known) -> std::optional<double> {
      if (!known) {
        missing = true;
        return std::nullopt;
      }
      return known->mean_ms;
    });
    if (missing) return true;
  }
  return false;
}

void Profiler::count_outcomes() {
  for (size_t i = 0; i < targets_.size(); ++i) {
    const OpTarget& t = targets_[i];
    OpOutcome& o = result_.ops[i];
    if (t.configs.empty()) continue;
    if (!t.error.empty()) {
      o.failed = o.configs;
      result_.failed_ops.push_back(t.op->name);
      note("op '" + t.op->name + "' cannot be profiled: " + t.error);
      continue;
    }
    o.pruned = walk(t, [&](const Config& c, const LatencyStats* known) -> std::optional<double> {
      TimedKey key{t.node, entry_key(t, c)};
      if (known) {
        ++(samples_.count(key) ? o.measured : o.cached);
        return known->mean_ms;
      }
      ++(failed_.count(key) ? o.failed : o.skipped);
      return std::nullopt;
    });
    if (o.failed > 0 && o.measured == 0 && o.cached == 0) result_.failed_ops.push_back(t.op->name);
  }
}

std::string probe_frame_size(const std::vector<std::string>& videos) {
  return frame_size_of(probe(videos));
}

ProfileResult profile_pipeline(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
                               ProfileStore& store, const ProfileOptions& options) {
  Profiler profiler(pipeline, registry, store, options);
  return profiler.run();
}

}  // namespace llama::profile
