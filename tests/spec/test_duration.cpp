#include <doctest/doctest.h>

#include "spec/duration.h"

using llama::spec::parse_duration_s;

TEST_CASE("durations with units parse to seconds") {
  CHECK(*parse_duration_s("2s") == doctest::Approx(2.0));
  CHECK(*parse_duration_s("500ms") == doctest::Approx(0.5));
  CHECK(*parse_duration_s("1m30s") == doctest::Approx(90.0));
  CHECK(*parse_duration_s("1.5h") == doctest::Approx(5400.0));
  CHECK(*parse_duration_s("0s") == doctest::Approx(0.0));
}

TEST_CASE("durations without units or with junk are refused") {
  CHECK_FALSE(parse_duration_s("20"));
  CHECK_FALSE(parse_duration_s(""));
  CHECK_FALSE(parse_duration_s("2 s"));
  CHECK_FALSE(parse_duration_s("-1s"));
  CHECK_FALSE(parse_duration_s("2sec"));
  CHECK_FALSE(parse_duration_s("s"));
  CHECK_FALSE(parse_duration_s("1..2s"));
}

TEST_CASE("format_duration reads back") {
  CHECK(llama::spec::format_duration(90) == "1m30s");
  CHECK(llama::spec::format_duration(2) == "2s");
  CHECK(llama::spec::format_duration(0.5) == "500ms");
}
