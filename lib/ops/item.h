// What flows between ops: a frame (maybe with regions on it), a detection, or a count.
// Items are cheap to copy: the pixels are shared and never written in place.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/condition.h"
#include "spec/op_signature.h"
#include "video/frame.h"

namespace llama::ops {

// A rectangle in source-frame pixels.
struct Box {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
};

struct Item {
  spec::ItemKind kind = spec::ItemKind::frame;
  int video = 0;  // index into the job's videos
  int64_t frame_index = 0;
  double timestamp_s = 0.0;
  std::shared_ptr<const video::Frame> frame;  // null for counts
  std::vector<Box> boxes;                     // regions on the frame (motion, faces to blur)
  std::vector<float> embedding;               // embedding items: L2-normalised vector
  // Per-pixel weights to blur (segment): [frame height, frame width], 0..1; null if none.
  std::shared_ptr<const std::vector<float>> mask;
  nlohmann::json fields = nlohmann::json::object();  // what `when:` reads and sinks write
  const std::string* producer = nullptr;             // name of the op that made it
};

// Field lookup for `when:` conditions: the item's own fields, then frame, t and video.
std::optional<spec::Value> item_field(const Item& item, const std::string& name);

// Fields every item has, whatever op made it.
inline const std::vector<std::string> kCommonFields = {"frame", "t", "video"};

}  // namespace llama::ops
