#include "cluster/overheads.h"

#include <algorithm>
#include <filesystem>

#include "base/error.h"
#include "cluster/json_file.h"

namespace llama::cluster {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string path_of(const std::string& store_dir, const std::string& partition) {
  return (fs::path(store_dir) / "slurm" / ((partition.empty() ? "default" : partition) + ".json"))
      .string();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<double> samples(const json& j, const char* key) {
  return j.contains(key) ? j[key].get<std::vector<double>>() : std::vector<double>{};
}

}  // namespace

TaskOverheads read_overheads(const std::string& store_dir, const std::string& partition) {
  TaskOverheads o;
  try {
    json j = read_json_file(path_of(store_dir, partition));
    std::vector<double> queue = samples(j, "queue_wait_s"), startup = samples(j, "startup_s"),
                        ratio = samples(j, "run_ratio");
    if (!queue.empty()) o.queue_s = median(queue);
    if (!startup.empty()) o.startup_s = median(startup);
    if (!ratio.empty()) o.run_ratio = median(ratio);
    o.samples = static_cast<int>(startup.size());
  } catch (const std::exception&) {
  }
  return o;
}

void record_overheads(const std::string& store_dir, const std::string& partition,
                      const std::vector<TaskSample>& tasks) {
  const std::string path = path_of(store_dir, partition);
  std::vector<double> queue, startup, ratio;
  try {
    json j = read_json_file(path);
    queue = samples(j, "queue_wait_s");
    startup = samples(j, "startup_s");
    ratio = samples(j, "run_ratio");
  } catch (const std::exception&) {
    // none yet, or damaged: start again
  }
  for (const TaskSample& t : tasks) {
    queue.push_back(t.queue_s);
    startup.push_back(t.startup_s);
    if (t.run_ratio > 0) ratio.push_back(t.run_ratio);
  }
  for (std::vector<double>* v : {&queue, &startup, &ratio})
    if (v->size() > kMaxSamples) v->erase(v->begin(), v->end() - kMaxSamples);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  write_json_file(path, {{"partition", partition.empty() ? "default" : partition},
                         {"queue_wait_s", queue},
                         {"startup_s", startup},
                         {"run_ratio", ratio}});
}

}  // namespace llama::cluster
