#include <doctest/doctest.h>

#include "base/error.h"
#include "cluster/process.h"

using llama::cluster::run_process;

TEST_CASE("arguments reach the program unchanged: no shell reads them") {
  const std::string tricky = "a b 'c' \"d\" $(touch /tmp/llama-should-not-exist) `x` ; | *";
  auto r = run_process({"printf", "%s", tricky});
  CHECK(r.exit_code == 0);
  CHECK(r.out == tricky);
}

TEST_CASE("exit codes, standard error and time-outs come back") {
  auto failed = run_process({"sh", "-c", "echo oops >&2; exit 3"});
  CHECK(failed.exit_code == 3);
  CHECK(failed.err == "oops\n");
  auto slow = run_process({"sleep", "5"}, 0.2);
  CHECK(slow.timed_out);
  CHECK(slow.exit_code == 128 + 9);
}

TEST_CASE("a program that is not installed is an error that says so") {
  CHECK_THROWS_WITH_AS(run_process({"llama-no-such-program"}, 1, "install it"),
                       doctest::Contains("not installed"), llama::Error);
}
