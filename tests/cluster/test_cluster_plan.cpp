#include <doctest/doctest.h>

#include "cluster/cluster_plan.h"
#include "cluster/overheads.h"
#include "temp_dir.h"

namespace cluster = llama::cluster;

namespace {

cluster::ClusterModel model() {
  cluster::ClusterModel m;
  m.task_run_s = [](int64_t frames) { return 0.01 * static_cast<double>(frames); };
  m.overheads.queue_s = 1.0;
  m.overheads.startup_s = 2.0;
  m.cpus_per_task = 2;
  m.core_second_usd = 0.001;
  m.merge_s = 0;
  return m;
}

}  // namespace

TEST_CASE("a prediction adds queue wait and start-up, and bills each task's whole life") {
  cluster::ClusterCandidate c = cluster::predict(model(), {1000, 500});
  CHECK(c.tasks == 2);
  CHECK(c.latency_s == doctest::Approx(1 + 2 + 10));  // queue + start-up + the longer task
  CHECK(c.core_s == doctest::Approx(2 * (12 + 7)));
  CHECK(c.usd == doctest::Approx(0.038));
}

TEST_CASE("tasks beyond the partition's width wait for a slot, longest first") {
  cluster::ClusterModel m = model();
  m.tasks_at_once = 2;
  // 3 s, 3 s and 2 s of life on 2 slots: the 2 s task follows a 3 s one.
  cluster::ClusterCandidate c = cluster::predict(m, {100, 100, 0});
  CHECK(c.latency_s == doctest::Approx(1 + 3 + 2));
}

TEST_CASE("slo takes the cheapest task count that meets it; fast the fewest that are fastest") {
  // 6000 frames: 1 task 63 s, 2 tasks 33 s, 3 tasks 23 s, 6 tasks 13 s.
  std::vector<std::vector<int64_t>> splits = {{6000},
                                              {3000, 3000},
                                              {2000, 2000, 2000},
                                              {2000, 2000, 2000},  // a 4th task would not help
                                              {1000, 1000, 1000, 1000, 1000, 1000}};
  cluster::ClusterPlan p = cluster::plan_cluster(model(), splits, "slo", 30.0);
  CHECK(p.feasible);
  CHECK(p.chosen.tasks == 3);
  CHECK(p.curve.size() == 4);  // the repeated split is one candidate
  CHECK(p.cheapest.tasks == 1);
  CHECK(p.fastest.tasks == 6);
  CHECK(cluster::plan_cluster(model(), splits, "fast", std::nullopt).chosen.tasks == 6);
  CHECK(cluster::plan_cluster(model(), splits, "cheap", std::nullopt).chosen.tasks == 1);
  // Too tight for any: the fastest, said so.
  cluster::ClusterPlan tight = cluster::plan_cluster(model(), splits, "slo", 5.0);
  CHECK_FALSE(tight.feasible);
  CHECK(tight.chosen.tasks == 6);
}

TEST_CASE("the nodes' measured pace scales every task's run") {
  cluster::ClusterModel m = model();
  m.overheads.run_ratio = 1.5;
  CHECK(cluster::predict(m, {1000}).latency_s == doctest::Approx(1 + 2 + 15));
}

TEST_CASE("when start-up outweighs the work, more tasks do not help and fast says so") {
  cluster::ClusterModel m = model();
  m.overheads.startup_s = 30;
  m.tasks_at_once = 1;  // one at a time: every task adds its start-up
  cluster::ClusterPlan p = cluster::plan_cluster(m, {{100}, {50, 50}}, "fast", std::nullopt);
  CHECK(p.chosen.tasks == 1);
}

TEST_CASE("overheads: assumed until measured, then the medians of the last tasks") {
  llama::test::TempDir dir("overheads");
  const std::string store = dir.path().string();
  cluster::TaskOverheads none = cluster::read_overheads(store, "debug");
  CHECK(none.samples == 0);
  CHECK(none.startup_s == doctest::Approx(2.0));
  cluster::record_overheads(store, "debug", {{1.0, 0.5, 1.2}, {3.0, 0.7, 0}});
  cluster::record_overheads(store, "debug", {{2.0, 0.9, 1.4}});
  cluster::TaskOverheads o = cluster::read_overheads(store, "debug");
  CHECK(o.samples == 3);
  CHECK(o.queue_s == doctest::Approx(2.0));
  CHECK(o.startup_s == doctest::Approx(0.7));
  CHECK(o.run_ratio == doctest::Approx(1.3));  // a run without a prediction does not count
  CHECK(cluster::read_overheads(store, "batch").samples == 0);  // per partition
  std::vector<cluster::TaskSample> many(cluster::kMaxSamples + 10, {5.0, 5.0, 2.0});
  cluster::record_overheads(store, "debug", many);
  CHECK(cluster::read_overheads(store, "debug").samples == cluster::kMaxSamples);
  CHECK(cluster::read_overheads(store, "debug").startup_s == doctest::Approx(5.0));
}
