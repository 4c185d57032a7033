#include <doctest/doctest.h>

#include "plan/cost_model.h"

using namespace llama;

TEST_CASE("resources follow the config: threads are cores, cuda holds a GPU") {
  CHECK(plan::resources_of({}).cores == 1);
  CHECK(plan::resources_of({}).gpus == 0);
  CHECK(plan::resources_of({{"threads", "4"}, {"batch", "8"}}).cores == 4);
  plan::Resources gpu = plan::resources_of({{"device", "cuda"}, {"threads", "2"}});
  CHECK(gpu.gpus == 1);
  CHECK(gpu.cores == 2);
  CHECK(plan::resources_of({{"device", "cpu"}}).gpus == 0);
  CHECK_THROWS(plan::resources_of({{"threads", "0"}}));
}

TEST_CASE("cost = resources held x seconds x price, summed") {
  spec::PriceSheet prices;
  prices.core_second = 0.00001;
  prices.gpu_second = 0.0007;
  prices.gpu_by_name = {{"L4", 0.0002}};
  plan::Cost cpu = plan::cost_of({4, 0}, 2.5, prices);
  CHECK(cpu.core_s == doctest::Approx(10));
  CHECK(cpu.gpu_s == 0);
  CHECK(cpu.dollars == doctest::Approx(0.0001));
  plan::Cost l4 = plan::cost_of({1, 1}, 10, prices, "NVIDIA L4");
  CHECK(l4.gpu_s == doctest::Approx(10));
  CHECK(l4.dollars == doctest::Approx(10 * 0.00001 + 10 * 0.0002));
  plan::Cost other = plan::cost_of({1, 1}, 10, prices, "Tesla T4");
  CHECK(other.dollars == doctest::Approx(10 * 0.00001 + 10 * 0.0007));
  plan::Cost total = cpu;
  total += l4;
  CHECK(total.core_s == doctest::Approx(20));
  CHECK(total.dollars == doctest::Approx(cpu.dollars + l4.dollars));
}
