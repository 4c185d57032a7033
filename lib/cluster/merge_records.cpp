#include "cluster/merge_records.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace llama::cluster {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A track seen by both tasks: its boxes overlap this much on the same frame.
constexpr double kJoinIou = 0.5;

bool is_warmup(const std::string& line) {
  return line.find("\"warmup\":true") != std::string::npos;
}

// The record with its "track_id" replaced, every other byte as the task wrote it.
std::string with_track_id(const std::string& line, int64_t id) {
  const std::string key = "\"track_id\":";
  size_t at = line.find(key);
  if (at == std::string::npos) return line;
  size_t begin = at + key.size(), end = begin;
  while (end < line.size() && std::isdigit(static_cast<unsigned char>(line[end]))) ++end;
  return line.substr(0, begin) + std::to_string(id) + line.substr(end);
}

// The record's track id, or -1.
int64_t track_id(const std::string& line) {
  const std::string key = "\"track_id\":";
  size_t at = line.find(key);
  if (at == std::string::npos) return -1;
  size_t begin = at + key.size(), end = begin;
  while (end < line.size() && std::isdigit(static_cast<unsigned char>(line[end]))) ++end;
  return end == begin ? -1 : std::stoll(line.substr(begin, end - begin));
}

bool read_box(const json& r, double box[4]) {
  if (r.contains("boxes") && r["boxes"].is_array() && !r["boxes"].empty() &&
      r["boxes"][0].is_array() && r["boxes"][0].size() == 4) {
    for (int i = 0; i < 4; ++i) box[i] = r["boxes"][0][i].get<double>();
    return true;
  }
  const char* keys[4] = {"x", "y", "w", "h"};
  for (int i = 0; i < 4; ++i) {
    if (!r.contains(keys[i]) || !r[keys[i]].is_number()) return false;
    box[i] = r[keys[i]].get<double>();
  }
  return true;
}

double iou(const double a[4], const double b[4]) {
  const double w = std::min(a[0] + a[2], b[0] + b[2]) - std::max(a[0], b[0]);
  const double h = std::min(a[1] + a[3], b[1] + b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const double inter = w * h;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

}  // namespace

RecordMerger::RecordMerger(const fs::path& path, bool tracked)
    : path_(path), out_(path, std::ios::trunc), tracked_(tracked) {
  if (!out_) throw Error(ExitCode::output, path.string() + ": cannot write (check --out)");
}

// Each warm-up record votes for the previous task's track whose box it matches on its frame;
// a track takes the id most of its records voted for.
std::map<int64_t, int64_t> RecordMerger::join(const std::vector<Seen>& warmup) const {
  std::map<int64_t, std::map<int64_t, int>> votes;
  for (const Seen& w : warmup) {
    const Seen* best = nullptr;
    double best_iou = kJoinIou;
    for (const Seen& t : tail_) {
      if (t.frame != w.frame || t.video != w.video) continue;
      const double overlap = iou(w.box, t.box);
      if (overlap >= best_iou) best = &t, best_iou = overlap;
    }
    if (best) ++votes[w.id][best->id];
  }
  std::map<int64_t, int64_t> joined;
  for (const auto& [id, counts] : votes)
    joined[id] = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) {
                   return a.second < b.second;
                 })->first;
  return joined;
}

void RecordMerger::add_task(const fs::path& file, int64_t shift, double keep_from_s) {
  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    std::string line;
    // A last line without its newline was cut short by a kill: not a record.
    while (std::getline(in, line))
      if (!in.eof() && !line.empty()) lines.push_back(line);
  }
  std::map<int64_t, int64_t> joined;
  if (tracked_) {
    std::vector<Seen> warmup;
    for (const std::string& line : lines) {
      if (!is_warmup(line)) continue;
      json r = json::parse(line, nullptr, false);
      Seen s;
      if (r.is_discarded() || !read_box(r, s.box)) continue;
      s.video = r.value("video", "");
      s.frame = r.value("frame", int64_t{0});
      s.id = r.value("track_id", int64_t{-1});
      warmup.push_back(s);
    }
    joined = join(warmup);
  }
  std::vector<Seen> tail;
  for (const std::string& line : lines) {
    if (is_warmup(line)) continue;
    std::string kept = line;
    if (tracked_) {
      const int64_t id = track_id(line);
      if (id >= 0) {
        auto j = joined.find(id);
        kept = with_track_id(line, j != joined.end() ? j->second : id + shift);
      }
      if (std::isfinite(keep_from_s)) {
        json r = json::parse(kept, nullptr, false);
        Seen s;
        if (!r.is_discarded() && r.value("t", 0.0) >= keep_from_s && read_box(r, s.box)) {
          s.video = r.value("video", "");
          s.frame = r.value("frame", int64_t{0});
          s.id = r.value("track_id", int64_t{-1});
          tail.push_back(s);
        }
      }
    }
    out_ << kept << "\n";
  }
  tail_ = std::move(tail);
}

void RecordMerger::close() {
  out_.flush();
  if (!out_) throw Error(ExitCode::output, path_.string() + ": cannot write (disk full?)");
  out_.close();
}

}  // namespace llama::cluster
