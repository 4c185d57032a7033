// One results file (.jsonl) of a cluster job, merged task after task: each task's records
// follow the previous task's, as one run's would. Records a segment's task marked "warmup"
// (read before its segment only to warm stateful ops up) are dropped; where a track op's ids
// are in the records, a track the previous task saw in that overlap keeps its id there (the
// boxes matched frame by frame), and every other id is shifted past all earlier tasks' ids.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace llama::cluster {

class RecordMerger {
 public:
  // Opens (empties) `path`; `tracked`: its records carry a track op's track_id.
  RecordMerger(const std::filesystem::path& path, bool tracked);

  // Appends `file`'s records. `shift`: ids the track op gave out in the earlier tasks.
  // `keep_from_s`: this task's records stamped from then on are kept for joining the next
  // task's tracks (the next segment's start less its warm-up; infinite when none follows).
  void add_task(const std::filesystem::path& file, int64_t shift, double keep_from_s);
  // A task without this file: nothing of it to join to.
  void skip_task() { tail_.clear(); }
  // Throws Error(output) when the records did not all reach the disk.
  void close();

 private:
  struct Seen {
    std::string video;
    int64_t frame = 0;
    double box[4] = {0, 0, 0, 0};
    int64_t id = 0;  // as merged
  };
  std::map<int64_t, int64_t> join(const std::vector<Seen>& warmup) const;

  std::filesystem::path path_;
  std::ofstream out_;
  bool tracked_ = false;
  std::vector<Seen> tail_;  // the previous task's records in this one's warm-up
};

}  // namespace llama::cluster
