#include <doctest/doctest.h>

#include "cluster/borders.h"

namespace {

llama::spec::OpSpec op(const std::string& kind, std::map<std::string, std::string> params = {},
                       std::vector<std::string> fps = {}) {
  llama::spec::OpSpec o;
  o.name = kind;
  o.kind = kind;
  for (const auto& [k, v] : params) o.params[k] = {v, {}};
  if (!fps.empty()) o.knobs["fps"] = {fps, {}};
  return o;
}

}  // namespace

TEST_CASE("borders fall on every window and every sampling tick") {
  llama::spec::PipelineSpec p;
  p.ops = {op("decode", {}, {"5", "10", "2"}), op("track", {{"max_age", "2s"}}),
           op("window_count", {{"window", "5s"}}), op("window_count", {{"window", "2s"}})};
  llama::cluster::Borders b = llama::cluster::segment_borders(p);
  CHECK(b.align_s == doctest::Approx(10));  // lcm of 5 s and 2 s windows
  CHECK(b.warmup_s == doctest::Approx(3));  // a second past the tracks' 2 s memory
}

TEST_CASE("a pipeline without windows or tracks cuts on whole seconds, a second of warm-up") {
  llama::spec::PipelineSpec p;
  p.ops = {op("decode"), op("sink")};
  llama::cluster::Borders b = llama::cluster::segment_borders(p);
  CHECK(b.align_s == doctest::Approx(1));
  CHECK(b.warmup_s == doctest::Approx(1));
}

TEST_CASE("a sampling rate whose tick is not a whole second stretches the alignment") {
  llama::spec::PipelineSpec p;
  p.ops = {op("decode", {}, {"2.5"}), op("window_count", {{"window", "1500ms"}})};
  llama::cluster::Borders b = llama::cluster::segment_borders(p);
  CHECK(b.align_s == doctest::Approx(6));   // lcm of 1 s, 0.4 s and 1.5 s
  CHECK(b.warmup_s == doctest::Approx(2));  // whole ticks of 2 s (lcm of 1 s and 0.4 s)
}
