#include <doctest/doctest.h>

#include <algorithm>

#include "profile/knob_space.h"
#include "spec/loader.h"

using llama::profile::batch_of;
using llama::profile::Config;
using llama::profile::format_config;
using llama::profile::knob_space;
using llama::profile::same_but_batch;
using llama::profile::without_batch;
namespace spec = llama::spec;

namespace {

// The detect op as lib/ops declares it (device cpu|cuda, threads, batch, input_size), written
// out here so this test needs no torch.
spec::OpSignature detect_signature(bool has_cuda_kernel = true) {
  spec::OpSignature s;
  s.kind = "detect";
  s.knobs = {{"device", {"cpu"}, 0, 0, false},
             {"threads", {}, 1, 256, true},
             {"batch", {}, 1, 1024, true},
             {"input_size", {}, 32, 4096, true}};
  if (has_cuda_kernel) s.knobs[0].choices.push_back("cuda");
  return s;
}

spec::PipelineSpec load(const std::string& knobs) {
  spec::Diagnostics d;
  spec::PipelineSpec p = spec::load_pipeline_text(
      "name: k\nops:\n  - name: decode\n    op: decode\n  - name: objects\n    op: detect\n"
      "    input: decode\n    knobs: " +
          knobs + "\n",
      "pipelines/k.yaml", d);
  REQUIRE_MESSAGE(d.empty(), d.format());
  return p;
}

bool any_cuda(const std::vector<Config>& configs) {
  return std::any_of(configs.begin(), configs.end(),
                     [](const Config& c) { return c.count("device") && c.at("device") == "cuda"; });
}

}  // namespace

TEST_CASE("the knob space is the cartesian product of the pipeline's knob values") {
  spec::PipelineSpec p = load("{device: [cpu, cuda], threads: [2, 1], batch: [4, 1, 8]}");
  const spec::OpSpec& op = *p.find_op("objects");
  std::vector<Config> with_cuda = knob_space(op, detect_signature(), true, nullptr);
  CHECK(with_cuda.size() == 2 * 2 * 3);
  // Every combination once.
  std::vector<Config> sorted = with_cuda;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  // The first is what `llama run` uses: every knob at its first value.
  CHECK(with_cuda.front() == Config{{"batch", "4"}, {"device", "cpu"}, {"threads", "2"}});
  // A knob the op declares but the pipeline does not set is left to the op's default.
  for (const Config& c : with_cuda) CHECK(c.count("input_size") == 0);
}

TEST_CASE("device cuda is dropped where CUDA is not available, with a note") {
  spec::PipelineSpec p = load("{device: [cpu, cuda], threads: [2, 1], batch: [4, 1, 8]}");
  std::vector<std::string> notes;
  std::vector<Config> configs =
      knob_space(*p.find_op("objects"), detect_signature(), false, &notes);
  CHECK(configs.size() == 2 * 3);
  CHECK_FALSE(any_cuda(configs));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("objects") != std::string::npos);
  CHECK(notes[0].find("device = cuda") != std::string::npos);
  CHECK(notes[0].find("CUDA") != std::string::npos);

  // An op without a CUDA kernel never gets cuda, even on a GPU machine.
  configs = knob_space(*p.find_op("objects"), detect_signature(false), true, nullptr);
  CHECK(configs.size() == 2 * 3);
  CHECK_FALSE(any_cuda(configs));
}

TEST_CASE("knob values the op does not support are left out") {
  std::vector<std::string> notes;
  spec::PipelineSpec p = load("{threads: [2, 0, 300, 1.5, 4], input_size: [320, 416]}");
  std::vector<Config> configs = knob_space(*p.find_op("objects"), detect_signature(), true, &notes);
  CHECK(configs.size() == 2 * 2);  // threads 2 and 4; input_size 320 and 416
  CHECK(notes.size() == 3);        // 0 and 300 are out of range, 1.5 is not an integer
  CHECK(configs.front() == Config{{"input_size", "320"}, {"threads", "2"}});
  CHECK(configs.back() == Config{{"input_size", "416"}, {"threads", "4"}});

  // A knob left with no value leaves the op nothing to profile, and says why.
  notes.clear();
  p = load("{device: [cuda], threads: [1, 2]}");
  CHECK(knob_space(*p.find_op("objects"), detect_signature(), false, &notes).empty());
  REQUIRE(notes.size() == 2);
  CHECK(notes[1].find("no value of knob 'device'") != std::string::npos);
}

TEST_CASE("an op without knobs has one config, the empty one") {
  spec::PipelineSpec p = load("{}");
  std::vector<Config> configs =
      knob_space(*p.find_op("decode"), detect_signature(), false, nullptr);
  REQUIRE(configs.size() == 1);
  CHECK(configs[0].empty());
  CHECK(batch_of(configs[0]) == 1);
  CHECK(format_config(configs[0]) == "{}");
}

TEST_CASE("batch is split off the config") {
  Config c{{"batch", "8"}, {"device", "cpu"}, {"threads", "2"}};
  CHECK(batch_of(c) == 8);
  CHECK(without_batch(c) == Config{{"device", "cpu"}, {"threads", "2"}});
  CHECK(format_config(without_batch(c)) == "{device=cpu, threads=2}");
  // Batch is ignored wherever it sorts and whether or not either side has one.
  CHECK(same_but_batch(c, Config{{"device", "cpu"}, {"threads", "2"}}));
  CHECK(same_but_batch(Config{{"a", "1"}}, Config{{"a", "1"}, {"batch", "4"}}));
  CHECK(same_but_batch(Config{{"batch", "1"}}, Config{}));
  CHECK_FALSE(same_but_batch(c, Config{{"batch", "8"}, {"device", "cpu"}, {"threads", "1"}}));
  CHECK_FALSE(same_but_batch(c, Config{{"batch", "8"}, {"device", "cpu"}}));
  CHECK_FALSE(same_but_batch(Config{{"device", "cpu"}}, Config{{"device", "cpu"}, {"z", "1"}}));
}
