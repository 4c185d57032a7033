#include <doctest/doctest.h>

#include "spec/diagnostics.h"

using llama::spec::did_you_mean;

TEST_CASE("did_you_mean suggests near misses and nothing for far ones") {
  std::vector<std::string> ops = {"decode", "motion_filter", "window_count", "sink", "blur"};
  CHECK(did_you_mean("motion_fliter", ops) == "motion_filter");
  CHECK(did_you_mean("decod", ops) == "decode");
  CHECK(did_you_mean("snk", ops) == "sink");
  CHECK(did_you_mean("transcribe", ops) == "");
}
