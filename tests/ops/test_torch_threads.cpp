// use_torch_threads: each worker runs torch on its own thread count, whatever another worker
// set meanwhile (the executor runs a 1-thread blur beside a 2-thread detector).
#include <ATen/Parallel.h>
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "ops/torch_threads.h"

using namespace llama;

TEST_CASE("use_torch_threads sets the count for the calling thread only") {
  std::atomic<int> stage{0};
  int first = 0, second = 0;
  std::thread one([&] {
    ops::use_torch_threads(1);
    stage = 1;
    while (stage < 2) std::this_thread::yield();
    first = at::get_num_threads();  // after the other thread asked for 2
  });
  std::thread two([&] {
    while (stage < 1) std::this_thread::yield();
    ops::use_torch_threads(2);
    second = at::get_num_threads();
    stage = 2;
  });
  one.join();
  two.join();
  CHECK(first == 1);
  CHECK(second == 2);
}
