#include <doctest/doctest.h>

#include "ops/registry.h"

using namespace llama;

TEST_CASE("every built-in op is registered with its item kinds and knobs") {
  const spec::OpCatalog& c = ops::builtin_registry().catalog();
  for (const char* kind :
       {"decode", "sample", "motion_filter", "blur", "window_count", "encode", "sink"})
    CHECK_MESSAGE(c.find(kind) != nullptr, kind);
  CHECK(c.find("decode")->accepts.empty());
  CHECK_FALSE(c.find("sink")->produces_items);
  CHECK(c.find("window_count")->produces == spec::ItemKind::count);
  // Only ops with a CUDA kernel offer device: cuda.
  CHECK(c.find("blur")->find_knob("device")->choices.size() == 2);
  CHECK(c.find("motion_filter")->find_knob("device")->choices.size() == 1);
  // Fields every item has are readable by when: conditions.
  const auto& fields = c.find("motion_filter")->fields;
  CHECK(std::find(fields.begin(), fields.end(), "t") != fields.end());
}
