// A tfjs golden fixture (tests/models/golden/*.json, made by scripts/make-golden): the
// ffmpeg command that makes the input pixels, how they become the model's input, and
// sampled raw outputs of the reference runtime.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "torch_doctest.h"

namespace llama::test {

inline std::filesystem::path source_dir() {
  return LLAMA_SOURCE_DIR;
}

inline nlohmann::json read_golden(const std::string& name) {
  std::ifstream in(source_dir() / "tests/models/golden" / (name + ".json"));
  REQUIRE_MESSAGE(in, "missing golden fixture " << name << " (scripts/make-golden makes them)");
  return nlohmann::json::parse(in);
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The fixture's input tensor, made from the same ffmpeg command the reference used.
inline torch::Tensor golden_input(const nlohmann::json& golden) {
  const auto& in = golden["input"];
  std::string cmd = "cd " + shell_quote(source_dir().string()) + " && ffmpeg";
  for (const auto& arg : in["ffmpeg_args"]) cmd += " " + shell_quote(arg.get<std::string>());
  int64_t w = in["width"], h = in["height"];
  std::vector<uint8_t> rgb(static_cast<size_t>(w * h * 3));
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  size_t got = std::fread(rgb.data(), 1, rgb.size(), pipe);
  pclose(pipe);
  REQUIRE_MESSAGE(got == rgb.size(), "ffmpeg gave " << got << " bytes for " << golden["case"]);
  torch::Tensor x = torch::from_blob(rgb.data(), {1, h, w, 3}, torch::kUInt8).clone();
  if (in["dtype"] == "int32") {
    x = x.to(torch::kInt32);
  } else {
    x = (x.to(torch::kDouble) * in["scale"].get<double>() + in["offset"].get<double>())
            .to(torch::kFloat);
  }
  if (in["layout"] == "NCHW") x = x.permute({0, 3, 1, 2}).contiguous();
  return x;
}

// Largest error relative to the reference over the sampled values. Values under 1% of the
// output's largest magnitude are judged against that 1% instead: float32 sums taken in
// another order differ by an amount that scales with the output, not with each value.
inline double max_relative_error(const torch::Tensor& ours, const nlohmann::json& reference) {
  torch::Tensor flat = ours.to(torch::kCPU, torch::kDouble).contiguous().flatten();
  int64_t stride = reference["stride"];
  const auto& samples = reference["samples"];
  double largest = 0;
  for (const auto& v : samples) largest = std::max(largest, std::abs(v.get<double>()));
  double worst = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    double want = samples[i].get<double>();
    double have = flat[static_cast<int64_t>(i) * stride].item<double>();
    worst =
        std::max(worst, std::abs(have - want) / std::max({std::abs(want), 0.01 * largest, 1e-6}));
  }
  return worst;
}

}  // namespace llama::test
