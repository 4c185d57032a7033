#include "profile/fingerprint.h"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "profile/json_int.h"

namespace llama::profile {

namespace {

std::string trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Lowercase letters and digits joined by single dashes, at most `max_len` long. Trademark
// marks are dropped first: "Intel(R) Xeon(R)" reads better as "intel-xeon" than "intel-r-xeon-r".
std::string slug(const std::string& text, size_t max_len) {
  std::string s = lower(text);
  for (const char* mark : {"(r)", "(tm)"})
    for (size_t at = s.find(mark); at != std::string::npos; at = s.find(mark))
      s.erase(at, std::char_traits<char>::length(mark));
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += c;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  if (out.size() > max_len) out.resize(max_len);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

bool Fingerprint::operator==(const Fingerprint& other) const {
  return cpu_model == other.cpu_model && cores == other.cores && gpu_name == other.gpu_name &&
         gpu_memory_mb == other.gpu_memory_mb && torch_version == other.torch_version;
}

std::string cpu_model_from_cpuinfo(const std::string& cpuinfo) {
  // x86 says "model name"; many ARM kernels only say "Hardware" or "Processor".
  std::string fallback;
  std::istringstream in(cpuinfo);
  for (std::string line; std::getline(in, line);) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string field = trim(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    if (value.empty()) continue;
    if (field == "model name") return value;
    if (fallback.empty() && (field == "Hardware" || field == "Processor")) fallback = value;
  }
  return fallback.empty() ? "unknown cpu" : fallback;
}

Fingerprint cpu_fingerprint() {
  Fingerprint fp;
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  text << in.rdbuf();
  fp.cpu_model = cpu_model_from_cpuinfo(text.str());
  fp.cores = static_cast<int>(std::thread::hardware_concurrency());
  return fp;
}

uint64_t fnv1a64(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string key(const Fingerprint& fp) {
  // \x1f (unit separator) cannot occur in the fields, so no two fingerprints hash the same text.
  std::string all = fp.cpu_model + '\x1f' + std::to_string(fp.cores) + '\x1f' + fp.gpu_name +
                    '\x1f' + std::to_string(fp.gpu_memory_mb) + '\x1f' + fp.torch_version;
  uint64_t hash = fnv1a64(all);
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x",
                static_cast<unsigned>((hash >> 32) ^ (hash & 0xffffffffu)));
  std::string cpu = slug(fp.cpu_model, 32);
  std::string out = (cpu.empty() ? "cpu" : cpu) + '-' + std::to_string(fp.cores) + 'c';
  std::string gpu = slug(fp.gpu_name, 24);
  if (!gpu.empty()) out += '-' + gpu;
  return out + '-' + hex;
}

std::string describe(const Fingerprint& fp) {
  std::string out = fp.cpu_model + ", " + std::to_string(fp.cores) + " cores, ";
  if (fp.gpu_name.empty())
    out += "no GPU";
  else
    out += fp.gpu_name + " (" + std::to_string(fp.gpu_memory_mb) + " MB)";
  if (!fp.torch_version.empty()) out += ", torch " + fp.torch_version;
  return out;
}

void to_json(nlohmann::json& j, const Fingerprint& fp) {
  j = {{"cpu_model", fp.cpu_model},
       {"cores", fp.cores},
       {"gpu_name", fp.gpu_name},
       {"gpu_memory_mb", fp.gpu_memory_mb},
       {"torch_version", fp.torch_version}};
}

void from_json(const nlohmann::json& j, Fingerprint& fp) {
  j.at("cpu_model").get_to(fp.cpu_model);
  fp.cores = json_int<int>(j.at("cores"));
  j.at("gpu_name").get_to(fp.gpu_name);
  fp.gpu_memory_mb = json_int<int64_t>(j.at("gpu_memory_mb"));
  j.at("torch_version").get_to(fp.torch_version);
}

}  // namespace llama::profile
