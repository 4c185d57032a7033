// track: gives detections stable ids across frames (greedy IoU matching per video and
// label), so that counts can be of distinct objects rather than of sightings.
#include <algorithm>
#include <map>

#include "ops/builtin.h"

namespace llama::ops {

namespace {

float box_iou(const Box& a, const Box& b) {
  int x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  int x1 = std::min(a.x + a.w, b.x + b.w), y1 = std::min(a.y + a.h, b.y + b.h);
  float inter = static_cast<float>(std::max(0, x1 - x0)) * static_cast<float>(std::max(0, y1 - y0));
  float uni = static_cast<float>(a.w) * a.h + static_cast<float>(b.w) * b.h - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

class TrackOp : public Op {
 public:
  explicit TrackOp(const OpContext& ctx)
      : min_iou_(static_cast<float>(ctx.param_number("iou", 0.3))),
        max_age_s_(ctx.param_duration_s("max_age", 1.0)) {}

  // Detections of one frame arrive together but may span batches: a frame is assigned
  // once the next frame's first detection (or the end) shows it is complete.
  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    for (Item& item : batch) {
      if (!pending_.empty() &&
          (item.video != pending_[0].video || item.frame_index != pending_[0].frame_index))
        assign(out);
      pending_.push_back(std::move(item));
    }
  }

  void finish(std::vector<Item>& out) override {
    if (!pending_.empty()) assign(out);
  }

  // At a checkpoint no more detections of the pending frame can come: it is complete.
  void drain(std::vector<Item>& out) override { finish(out); }

  nlohmann::json checkpoint() override {
    nlohmann::json tracks = nlohmann::json::array();
    for (const Track& t : tracks_)
      tracks.push_back({t.id, t.video, t.label, t.box.x, t.box.y, t.box.w, t.box.h, t.last_seen_s});
    return {{"next_id", next_id_}, {"tracks", tracks}};
  }

  void resume(const nlohmann::json& state) override {
    next_id_ = state.at("next_id");
    for (const auto& t : state.at("tracks"))
      tracks_.push_back(
          {t.at(0).get<int64_t>(),
           t.at(1).get<int>(),
           t.at(2).get<std::string>(),
           {t.at(3).get<int>(), t.at(4).get<int>(), t.at(5).get<int>(), t.at(6).get<int>()},
           t.at(7).get<double>()});
  }

  nlohmann::json summary() const override { return {{"tracks", next_id_}}; }

 private:
  struct Track {
    int64_t id;
    int video;
    std::string label;
    Box box;
    double last_seen_s;
  };

  void assign(std::vector<Item>& out) {
    const Item& first = pending_.front();
    // Tracks of another video, or unseen for too long, are over.
    tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                                 [&](const Track& t) {
                                   return t.video != first.video ||
                                          first.timestamp_s - t.last_seen_s > max_age_s_;
                                 }),
                  tracks_.end());
    // Best overlaps first, each track and detection used once.
    struct Pair {
      float iou;
      size_t track, item;
    };
    std::vector<Pair> pairs;
    for (size_t t = 0; t < tracks_.size(); ++t)
      for (size_t i = 0; i < pending_.size(); ++i) {
        if (pending_[i].boxes.empty() || tracks_[t].label != pending_[i].fields.value("label", ""))
          continue;
        float iou = box_iou(tracks_[t].box, pending_[i].boxes[0]);
        if (iou >= min_iou_) pairs.push_back({iou, t, i});
      }
    std::sort(pairs.begin(), pairs.end(),
              [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
    std::vector<int64_t> id(pending_.size(), -1);
    std::vector<bool> track_used(tracks_.size(), false);
    for (const Pair& p : pairs) {
      if (track_used[p.track] || id[p.item] >= 0) continue;
      track_used[p.track] = true;
      id[p.item] = tracks_[p.track].id;
      tracks_[p.track].box = pending_[p.item].boxes[0];
      tracks_[p.track].last_seen_s = pending_[p.item].timestamp_s;
    }
    for (size_t i = 0; i < pending_.size(); ++i) {
      Item& item = pending_[i];
      if (id[i] < 0 && !item.boxes.empty()) {
        id[i] = next_id_++;
        tracks_.push_back(
            {id[i], item.video, item.fields.value("label", ""), item.boxes[0], item.timestamp_s});
      }
      item.fields["track_id"] = id[i];
      out.push_back(std::move(item));
    }
    pending_.clear();
  }

  float min_iou_;
  double max_age_s_;
  std::vector<Track> tracks_;
  std::vector<Item> pending_;
  int64_t next_id_ = 0;
};

}  // namespace

void register_track_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "track";
  s.summary = "give detections stable track ids across frames (IoU tracker)";
  s.accepts = {spec::ItemKind::detection};
  s.produces = spec::ItemKind::detection;
  s.fields = {"track_id", "label", "score", "class_id", "x", "y", "w", "h", "who", "distance"};
  s.params = {
      {"iou",
       spec::ParamType::number,
       false,
       "least overlap to continue a track (default 0.3)",
       {}},
      {"max_age",
       spec::ParamType::duration,
       false,
       "how long a track survives unseen (default 1s)",
       {}},
  };
  s.knobs = {device_knob(false), batch_knob()};
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<TrackOp>(ctx); });
}

}  // namespace llama::ops
