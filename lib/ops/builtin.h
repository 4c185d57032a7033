// One registration function per op file; registry.cpp calls them all.
#pragma once

#include "ops/registry.h"

namespace llama::ops {

void register_decode_op(OpRegistry& registry);
void register_sample_op(OpRegistry& registry);
void register_motion_filter_op(OpRegistry& registry);
void register_blur_op(OpRegistry& registry);
void register_window_count_op(OpRegistry& registry);
void register_encode_op(OpRegistry& registry);
void register_sink_op(OpRegistry& registry);
void register_detect_op(OpRegistry& registry);
void register_crop_op(OpRegistry& registry);
void register_embed_op(OpRegistry& registry);
void register_match_op(OpRegistry& registry);
void register_track_op(OpRegistry& registry);
void register_pose_op(OpRegistry& registry);
void register_segment_op(OpRegistry& registry);
void register_classify_op(OpRegistry& registry);

}  // namespace llama::ops
