#include <doctest/doctest.h>

#include "profile/prune.h"

using llama::profile::Config;
using llama::profile::dominated;
using llama::profile::Measured;
using llama::profile::uses_no_more;

namespace {

Config cpu(int threads) {
  return {{"device", "cpu"}, {"threads", std::to_string(threads)}};
}
Config gpu(int threads) {
  return {{"device", "cuda"}, {"threads", std::to_string(threads)}};
}

}  // namespace

TEST_CASE("resources: fewer threads, or CPU instead of GPU, use no more") {
  CHECK(uses_no_more(cpu(1), cpu(2)));
  CHECK(uses_no_more(cpu(2), cpu(2)));
  CHECK_FALSE(uses_no_more(cpu(4), cpu(2)));
  CHECK(uses_no_more(cpu(1), gpu(1)));
  CHECK_FALSE(uses_no_more(gpu(1), cpu(1)));
  CHECK_FALSE(uses_no_more(gpu(1), cpu(8)));
  // Another variant is another op as far as cost goes: never compared.
  Config small = cpu(1), large = cpu(2);
  small["input_size"] = "320";
  large["input_size"] = "416";
  CHECK_FALSE(uses_no_more(small, large));
}

TEST_CASE("a slower config that holds more resources is pruned") {
  Measured m;
  m[cpu(1)][1] = 10;
  m[cpu(2)][1] = 12;  // more threads and slower: the planner would never pick it
  CHECK(dominated(m) == std::set<Config>{cpu(2)});

  m[cpu(2)][1] = 8;  // faster for its extra thread: a real trade-off, keep both
  CHECK(dominated(m).empty());

  m[cpu(2)][1] = 10;  // a tie keeps both
  CHECK(dominated(m).empty());
}

TEST_CASE("pruning needs the other config faster at every batch measured so far") {
  Measured m;
  m[cpu(1)][1] = 10;
  m[cpu(1)][4] = 30;
  m[cpu(2)][1] = 11;
  m[cpu(2)][4] = 25;  // slower at batch 1, faster at batch 4: kept
  CHECK(dominated(m).empty());

  m[cpu(2)][4] = 35;
  CHECK(dominated(m) == std::set<Config>{cpu(2)});

  // A batch the cheaper config was never measured at gives no evidence: kept.
  m[cpu(2)][8] = 50;
  CHECK(dominated(m).empty());
}

TEST_CASE("a GPU config is only pruned by one that uses no more than it") {
  Measured m;
  m[cpu(1)][1] = 5;
  m[gpu(1)][1] = 7;  // the GPU is slower here and costs a GPU more: pruned
  CHECK(dominated(m) == std::set<Config>{gpu(1)});

  m[gpu(1)][1] = 2;  // faster on the GPU: kept, and the CPU config is not pruned by it
  CHECK(dominated(m).empty());
}

TEST_CASE("configs of different variants never prune each other") {
  Config a = cpu(1), b = cpu(1);
  a["fps"] = "2";
  b["fps"] = "10";
  Measured m;
  m[a][1] = 1;
  m[b][1] = 5;
  CHECK(dominated(m).empty());
}
