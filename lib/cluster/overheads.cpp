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

}  // namespace

TaskOverheads read_overheads(const std::string& store_dir, const std::string& partition) {
  TaskOverheads o;
  try {
    json j = read_json_file(path_of(store_dir, partition));
    auto queue = j.at("queue_wait_s").get<std::vector<double>>();
    auto startup = j.at("startup_s").get<std::vector<double>>();
    if (queue.empty() || startup.empty()) return o;
    o.queue_s = median(queue);
    o.startup_s = median(startup);
    o.samples = static_cast<int>(startup.size());
  } catch (const std::exception&) {
  }
  return o;
}

void record_overheads(const std::string& store_dir, const std::string& partition,
                      const std::vector<double>& queue_s, const std::vector<double>& startup_s) {
  const std::string path = path_of(store_dir, partition);
  std::vector<double> queue, startup;
  try {
    json j = read_json_file(path);
    queue = j.at("queue_wait_s").get<std::vector<double>>();
    startup = j.at("startup_s").get<std::vector<double>>();
  } catch (const std::exception&) {
    // none yet, or damaged: start again
  }
  queue.insert(queue.end(), queue_s.begin(), queue_s.end());
  startup.insert(startup.end(), startup_s.begin(), startup_s.end());
  auto keep_last = [](std::vector<double>& v) {
    if (v.size() > kMaxSamples) v.erase(v.begin(), v.end() - kMaxSamples);
  };
  keep_last(queue);
  keep_last(startup);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  write_json_file(path, {{"partition", partition.empty() ? "default" : partition},
                         {"queue_wait_s", queue},
                         {"startup_s", startup}});
}

}  // namespace llama::cluster
