#include <doctest/doctest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "profile/fingerprint.h"

using llama::profile::Fingerprint;
using llama::profile::key;

namespace {

Fingerprint xeon() {
  return {"Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", 16, "NVIDIA A100-SXM4-40GB", 40536, "2.1.0"};
}

}  // namespace

TEST_CASE("the CPU model is read from /proc/cpuinfo text") {
  using llama::profile::cpu_model_from_cpuinfo;
  CHECK(cpu_model_from_cpuinfo("processor\t: 0\nvendor_id\t: GenuineIntel\n"
                               "model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz\n"
                               "processor\t: 1\nmodel name\t: ignored second copy\n") ==
        "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz");
  CHECK(cpu_model_from_cpuinfo("processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\n") ==
        "BCM2835");
  CHECK(cpu_model_from_cpuinfo("") == "unknown cpu");
  CHECK(cpu_model_from_cpuinfo("model name\t:   \n") == "unknown cpu");
}

TEST_CASE("cpu_fingerprint reports this machine's CPU and leaves the GPU to the caller") {
  Fingerprint fp = llama::profile::cpu_fingerprint();
  CHECK_FALSE(fp.cpu_model.empty());
  CHECK(fp.cores == static_cast<int>(std::thread::hardware_concurrency()));
  CHECK(fp.gpu_name.empty());
  CHECK(fp.gpu_memory_mb == 0);
  CHECK(fp.torch_version.empty());
}

TEST_CASE("FNV-1a matches the published test vectors") {
  CHECK(llama::profile::fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(llama::profile::fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(llama::profile::fnv1a64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("the key is stable, readable and file-name safe") {
  // Literal on purpose: a change here orphans every store already on disk. The hash was
  // checked against an independent FNV-1a (Python) of the fields joined by \x1f.
  CHECK(key(xeon()) == "intel-xeon-gold-6130-cpu-2-10ghz-16c-nvidia-a100-sxm4-40gb-52b6cd65");
  CHECK(key(Fingerprint{"", 0, "", 0, ""}) == "cpu-0c-a61149f2");
  std::string k = key(xeon());
  CHECK(k == key(xeon()));
  CHECK(k.size() <= 80);
  for (char c : k) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'));
  CHECK(key(Fingerprint{"AMD EPYC 7763 64-Core Processor", 8, "", 0, ""})
            .rfind("amd-epyc-7763-64-core-processor-8c-", 0) == 0);
}

TEST_CASE("every fingerprint field changes the key") {
  const std::string base = key(xeon());
  Fingerprint fp = xeon();
  fp.cpu_model += " ";  // the slug is the same; only the hash tells them apart
  CHECK(key(fp) != base);
  fp = xeon();
  fp.cores = 8;
  CHECK(key(fp) != base);
  fp = xeon();
  fp.gpu_name = "NVIDIA A100-SXM4-80GB";
  CHECK(key(fp) != base);
  fp = xeon();
  fp.gpu_memory_mb = 81920;
  CHECK(key(fp) != base);
  fp = xeon();
  fp.torch_version = "2.2.0";
  CHECK(key(fp) != base);
}

TEST_CASE("fingerprints round-trip through JSON and refuse missing fields") {
  nlohmann::json j = xeon();
  CHECK(j["cpu_model"] == "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz");
  CHECK(j["gpu_memory_mb"] == 40536);
  Fingerprint back = nlohmann::json::parse(j.dump()).get<Fingerprint>();
  CHECK(back == xeon());
  j.erase("torch_version");
  CHECK_THROWS_AS(j.get<Fingerprint>(), nlohmann::json::exception);
}

TEST_CASE("describe says what a store was measured on") {
  CHECK(llama::profile::describe(xeon()) ==
        "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz, 16 cores, NVIDIA A100-SXM4-40GB (40536 MB), "
        "torch 2.1.0");
  CHECK(llama::profile::describe(Fingerprint{"Apple M2", 8, "", 0, ""}) ==
        "Apple M2, 8 cores, no GPU");
}
