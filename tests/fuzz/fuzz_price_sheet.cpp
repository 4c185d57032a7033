// libFuzzer target: a price sheet (profiles/prices.yaml, or --prices FILE) as `llama run` and
// `llama explain` read it. Bad input must end in llama::Error(bad_spec); anything else
// escaping is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/error.h"
#include "fuzz_util.h"
#include "spec/price_sheet.h"

namespace {

using llama::fuzz::finding;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    llama::spec::PriceSheet sheet = llama::spec::load_price_sheet_text(text, "fuzz/prices.yaml");
    // The cost report multiplies by these and writes JSON, which has no infinity or NaN: a
    // sheet that loads must hold real prices.
    const auto real = [](double dollars) { return std::isfinite(dollars) && dollars >= 0; };
    if (!real(sheet.core_second) || !real(sheet.gpu_second))
      finding("a loaded price sheet has a negative, infinite or NaN price");
    for (const auto& [fragment, dollars] : sheet.gpu_by_name) {
      if (!real(dollars)) finding("gpu_second." + fragment + " is negative, infinite or NaN");
      (void)sheet.gpu_second_for(fragment);
    }
    (void)sheet.gpu_second_for("NVIDIA H100 80GB HBM3");
  } catch (const llama::Error& e) {
    if (e.code() != llama::ExitCode::bad_spec)
      finding("llama::Error with exit code " + std::to_string(static_cast<int>(e.code())) +
              ", not bad_spec: " + e.what());
  }
  return 0;
}
