// For tests of bad input: the message of the llama::Error that a call throws.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "base/error.h"

namespace llama::test {

// The message of the Error that `f` throws, checked to carry `code`; fails the test when `f`
// throws none.
template <class F>
std::string error_message(ExitCode code, F f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.code() == code);
    return e.what();
  }
  FAIL("no llama::Error");
  return "";
}

}  // namespace llama::test
