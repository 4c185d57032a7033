// Where a pipeline lets a video be cut into segments, and how much it must read before each
// so that a segment's results are those of one run over the whole video.
#pragma once

#include "spec/pipeline_spec.h"

namespace llama::cluster {

struct Borders {
  // Borders fall on multiples of this: every count window (window_count's `window`) and
  // every sampling tick (decode's fps values) ends on one, so none straddles a border.
  double align_s = 1;
  // Read before a segment to warm stateful ops up: a track outlives `max_age` unseen, motion
  // needs the frame before; a multiple of the sampling ticks, so the sampled frames stay put.
  double warmup_s = 1;
};

Borders segment_borders(const spec::PipelineSpec& pipeline);

}  // namespace llama::cluster
