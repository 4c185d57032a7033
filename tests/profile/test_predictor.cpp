#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "profile/predictor.h"

namespace fs = std::filesystem;
using llama::profile::EntryKey;
using llama::profile::LatencyStats;
using llama::profile::OpKey;
using llama::profile::Prediction;
using llama::profile::Predictor;
using llama::profile::ProfileStore;

namespace {

// Predictions need no disk: a store opened on a dir that does not exist is empty and
// creates nothing until save(), which these tests never call.
ProfileStore empty_store() {
  fs::path dir = fs::temp_directory_path() /
                 ("llama-test-predictor-" + std::to_string(::getpid()) + "-never-created");
  ProfileStore store = ProfileStore::open(dir.string(), {"Test CPU", 4, "", 0, ""}, nullptr);
  REQUIRE_FALSE(fs::exists(dir));
  return store;
}

EntryKey embed(int batch) {
  return {"embed", 1, "m1", "112x112", {{"device", "cpu"}}, batch};
}

LatencyStats measured(double mean, double stdev) {
  return {20, mean, mean, mean, stdev, mean, mean};
}

}  // namespace

TEST_CASE("a measured batch is predicted as measured") {
  ProfileStore store = empty_store();
  store.put(embed(4), measured(20, 2));
  Predictor p(store);
  std::optional<Prediction> at4 = p.latency(embed(4));
  REQUIRE(at4);
  CHECK(at4->mean_ms == 20);
  CHECK(at4->stdev_ms == doctest::Approx(2));
  CHECK_FALSE(at4->interpolated);
  EntryKey other_config = embed(4);
  other_config.config["device"] = "cuda";
  CHECK_FALSE(p.latency(other_config));
  CHECK_FALSE(p.latency(embed(0)));
}

TEST_CASE("batch sizes between measured ones are interpolated linearly") {
  ProfileStore store = empty_store();
  store.put(embed(1), measured(10, 1));
  store.put(embed(4), measured(16, 4));
  store.put(embed(8), measured(40, 8));
  Predictor p(store);
  std::optional<Prediction> at2 = p.latency(embed(2));
  REQUIRE(at2);
  CHECK(at2->mean_ms == doctest::Approx(12));  // 10 + (2 - 1) / 3 * 6
  CHECK(at2->stdev_ms == doctest::Approx(2));
  CHECK(at2->interpolated);
  CHECK(p.latency(embed(6))->mean_ms == doctest::Approx(28));
}

TEST_CASE("outside the measured range: linear from the two nearest, floored per item") {
  ProfileStore store = empty_store();
  store.put(embed(2), measured(10, 1));
  store.put(embed(4), measured(14, 2));
  store.put(embed(8), measured(30, 3));
  Predictor p(store);
  // Above: slope of (4, 14)-(8, 30) is 4 ms per item.
  std::optional<Prediction> at16 = p.latency(embed(16));
  REQUIRE(at16);
  CHECK(at16->mean_ms == doctest::Approx(62));
  CHECK(at16->stdev_ms == doctest::Approx(3.0 / 30 * 62));  // batch 8's stdev / mean
  CHECK(at16->interpolated);
  // Below: slope of (2, 10)-(4, 14) is 2 per item, so batch 1 is 8 ms.
  CHECK(p.latency(embed(1))->mean_ms == doctest::Approx(8));

  // A noisy curve whose slope points down would predict less than nothing; the floor is the
  // cheapest measured per-item cost (here 40 / 8 = 5 ms) times the batch.
  ProfileStore noisy = empty_store();
  noisy.put(embed(4), measured(50, 1));
  noisy.put(embed(8), measured(40, 1));
  Predictor q(noisy);
  CHECK(q.latency(embed(32))->mean_ms == doctest::Approx(5 * 32));
  // Below the range the same slope gives 50 + 2.5 * 3, well above the floor of 5.
  CHECK(q.latency(embed(1))->mean_ms == doctest::Approx(57.5));
}

TEST_CASE("a single measured batch scales at constant cost per item") {
  ProfileStore store = empty_store();
  store.put(embed(4), measured(20, 2));
  Predictor p(store);
  CHECK(p.latency(embed(8))->mean_ms == doctest::Approx(40));
  CHECK(p.latency(embed(8))->stdev_ms == doctest::Approx(4));
  CHECK(p.latency(embed(2))->mean_ms == doctest::Approx(10));
}

TEST_CASE("observations move the estimate by exponential smoothing, alpha 0.2") {
  ProfileStore store = empty_store();
  store.put(embed(4), measured(20, 0));
  store.put(embed(8), measured(40, 0));
  Predictor p(store);
  p.observe(embed(4), 30);
  CHECK(p.latency(embed(4))->mean_ms == doctest::Approx(22));  // 20 + 0.2 * (30 - 20)
  CHECK(p.latency(embed(4))->stdev_ms == doctest::Approx(std::sqrt(0.8 * 10 * 2)));
  for (int i = 0; i < 30; ++i) p.observe(embed(4), 30);
  CHECK(p.latency(embed(4))->mean_ms == doctest::Approx(30).epsilon(0.01));
  CHECK(p.latency(embed(8))->mean_ms == 40);  // other batches are not moved
  CHECK(p.latency(embed(6))->mean_ms == doctest::Approx(35).epsilon(0.01));
  p.observe(embed(4), -1);  // nonsense is ignored
  p.observe(embed(4), NAN);
  CHECK(p.latency(embed(4))->mean_ms == doctest::Approx(30).epsilon(0.01));
  // The store is not touched.
  CHECK(store.find(embed(4))->mean_ms == 20);
}

TEST_CASE("observing an unmeasured batch starts from its prediction; an unknown key from itself") {
  ProfileStore store = empty_store();
  store.put(embed(2), measured(10, 0));
  store.put(embed(6), measured(30, 0));
  Predictor p(store);
  p.observe(embed(4), 40);  // predicted 20
  std::optional<Prediction> at4 = p.latency(embed(4));
  REQUIRE(at4);
  CHECK(at4->mean_ms == doctest::Approx(24));
  CHECK_FALSE(at4->interpolated);

  EntryKey fresh{"match", 1, "", "", {}, 3};
  CHECK_FALSE(p.latency(fresh));
  p.observe(fresh, 7);
  REQUIRE(p.latency(fresh));
  CHECK(p.latency(fresh)->mean_ms == 7);
  CHECK(p.latency(fresh)->stdev_ms == 0);
}

TEST_CASE("fan-out and branch rates come from the store, default to 1 and are smoothed") {
  ProfileStore store = empty_store();
  store.put_fanout({"faces", "detect"}, {3.5, 8, 100});
  store.put_branch({"faces", "blur"}, {25, 100});
  store.put_branch({"faces", "never"}, {0, 0});  // seen nothing: no rate
  Predictor p(store);
  CHECK(p.fanout({"faces", "detect"}) == doctest::Approx(3.5));
  CHECK(p.fanout({"faces", "crop"}) == 1.0);
  CHECK(p.fanout({"other", "detect"}) == 1.0);
  CHECK(p.branch_rate({"faces", "blur"}) == doctest::Approx(0.25));
  CHECK(p.branch_rate({"faces", "never"}) == 1.0);
  CHECK(p.branch_rate({"faces", "x"}) == 1.0);

  p.observe_fanout({"faces", "detect"}, 8.5);
  CHECK(p.fanout({"faces", "detect"}) == doctest::Approx(4.5));
  p.observe_fanout({"faces", "crop"}, 0.5);  // first observation replaces the guess
  CHECK(p.fanout({"faces", "crop"}) == doctest::Approx(0.5));
  p.observe_branch({"faces", "blur"}, 3, 4);
  CHECK(p.branch_rate({"faces", "blur"}) == doctest::Approx(0.25 + 0.2 * 0.5));
  p.observe_branch({"faces", "blur"}, 5, 4);  // impossible counts are ignored
  p.observe_branch({"faces", "blur"}, 0, 0);
  CHECK(p.branch_rate({"faces", "blur"}) == doctest::Approx(0.35));
  p.observe_branch({"faces", "x"}, 0, 10);
  CHECK(p.branch_rate({"faces", "x"}) == 0.0);
}
