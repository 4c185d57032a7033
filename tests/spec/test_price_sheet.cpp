#include <doctest/doctest.h>

#include "base/error.h"
#include "spec/price_sheet.h"

using namespace llama;

namespace {

std::string error_of(const std::string& text) {
  try {
    spec::load_price_sheet_text(text, "prices.yaml");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::bad_spec);
    return e.what();
  }
  FAIL("no error for: " << text);
  return "";
}

}  // namespace

TEST_CASE("a price sheet: one GPU price, or per GPU model with a default") {
  spec::PriceSheet flat =
      spec::load_price_sheet_text("cpu_core_second: 0.00001\ngpu_second: 0.0005\n", "p.yaml");
  CHECK(flat.core_second == doctest::Approx(0.00001));
  CHECK(flat.gpu_second_for("NVIDIA H100 80GB HBM3") == doctest::Approx(0.0005));

  spec::PriceSheet named = spec::load_price_sheet_text(
      "currency: USD\nsource: list\ncpu_core_second: 0\ngpu_second:\n  H100: 0.001\n  L4: 0.0002\n"
      "  default: 0.0007\n",
      "p.yaml");
  CHECK(named.core_second == 0);  // cores you own outright may be free
  CHECK(named.source == "list");
  CHECK(named.gpu_second_for("NVIDIA H100 80GB HBM3") == doctest::Approx(0.001));
  CHECK(named.gpu_second_for("NVIDIA L4") == doctest::Approx(0.0002));
  CHECK(named.gpu_second_for("Tesla V100") == doctest::Approx(0.0007));
  CHECK(named.gpu_second_for("") == doctest::Approx(0.0007));
}

TEST_CASE("the shipped price sheet loads") {
  spec::PriceSheet sheet =
      spec::load_price_sheet(std::string(LLAMA_SOURCE_DIR) + "/profiles/prices.yaml");
  CHECK(sheet.core_second > 0);
  CHECK(sheet.gpu_second_for("NVIDIA H100 80GB HBM3") > sheet.gpu_second_for("Tesla T4"));
  CHECK(!sheet.source.empty());
}

TEST_CASE("price sheet errors name the place and the fix, all at once") {
  std::string e = error_of("cpu_core_second: -1\ngpu_secnd: 0.1\n");
  CHECK(e.find("prices.yaml:1:18: error: cpu_core_second must be a number of dollars") !=
        std::string::npos);
  CHECK(e.find("unknown key 'gpu_secnd'") != std::string::npos);
  CHECK(e.find("did you mean 'gpu_second'") != std::string::npos);
  CHECK(e.find("no gpu_second") != std::string::npos);
  CHECK(error_of("gpu_second: 1\n").find("no cpu_core_second") != std::string::npos);
  CHECK(error_of("cpu_core_second: lots\ngpu_second: 0\n").find("prices.yaml:1:18") !=
        std::string::npos);
  CHECK(error_of("cpu_core_second: 1\ngpu_second: {H100: 1}\n").find("no default") !=
        std::string::npos);
  CHECK(error_of("currency: EUR\ncpu_core_second: 1\ngpu_second: 1\n").find("only USD") !=
        std::string::npos);
  CHECK(error_of("cpu_core_second: [1\n").find("malformed YAML") != std::string::npos);
  CHECK(error_of("- 1\n").find("a price sheet is a mapping") != std::string::npos);
  try {
    spec::load_price_sheet("/no/such/prices.yaml");
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(std::string(err.what()).find("/no/such/prices.yaml") != std::string::npos);
  }
}
