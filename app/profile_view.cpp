#include "profile_view.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "profile/fingerprint.h"

namespace llama::app {

nlohmann::json profile_view(const graph::Pipeline& pipeline,
                            const std::vector<profile::OpTarget>& targets,
                            const profile::ProfileStore& store) {
  nlohmann::json entries = nlohmann::json::array();
  nlohmann::json fanout = nlohmann::json::array();
  nlohmann::json branches = nlohmann::json::array();
  int missing = 0;
  for (const profile::OpTarget& t : targets) {
    for (const profile::Config& c : t.configs) {
      profile::EntryKey key = profile::entry_key(t, c);
      const profile::LatencyStats* s = store.find(key);
      if (!s) {
        ++missing;  // never measured, pruned, or measured with another model/input
        continue;
      }
      entries.push_back({{"op", t.op->name},
                         {"kind", t.op->kind},
                         {"config", key.config},
                         {"batch", key.batch},
                         {"mean_ms", s->mean_ms},
                         {"p95_ms", s->p95_ms},
                         {"n", s->n}});
    }
    profile::OpKey op_key{pipeline.spec.name, t.op->name};
    if (const profile::FanoutRecord* f = store.find_fanout(op_key))
      fanout.push_back({{"op", t.op->name}, {"mean", f->mean}, {"p95", f->p95}, {"n", f->n}});
    if (const profile::BranchRate* b = store.find_branch(op_key)) {
      nlohmann::json rate;  // null until some item was seen
      if (b->seen > 0) rate = static_cast<double>(b->taken) / static_cast<double>(b->seen);
      branches.push_back({{"op", t.op->name},
                          {"when", t.op->when ? t.op->when->text() : ""},
                          {"taken", b->taken},
                          {"seen", b->seen},
                          {"rate", rate}});
    }
  }
  return {{"pipeline", pipeline.spec.name},
          {"store", store.path()},
          {"machine", profile::describe(store.fingerprint())},
          {"entries", entries},
          {"missing", missing},
          {"fanout", fanout},
          {"branches", branches}};
}

void print_profile_table(std::ostream& out, const nlohmann::json& view) {
  fmt::print(out, "{}: profiles in {} ({})\n", view["pipeline"].get<std::string>(),
             view["store"].get<std::string>(), view["machine"].get<std::string>());
  fmt::print(out, "{:<20} {:<14} {:<32} {:>5} {:>10} {:>10} {:>5}\n", "op", "kind", "config",
             "batch", "mean ms", "p95 ms", "n");
  for (const auto& e : view["entries"]) {
    std::string config;
    for (const auto& [k, v] : e["config"].items())
      config += (config.empty() ? "" : " ") + k + "=" + v.get<std::string>();
    fmt::print(out, "{:<20} {:<14} {:<32} {:>5} {:>10.3f} {:>10.3f} {:>5}\n",
               e["op"].get<std::string>(), e["kind"].get<std::string>(),
               config.empty() ? "-" : config, e["batch"].get<int>(), e["mean_ms"].get<double>(),
               e["p95_ms"].get<double>(), e["n"].get<int64_t>());
  }
  if (view["entries"].empty()) fmt::print(out, "(nothing measured yet: run llama profile)\n");
  if (view["missing"].get<int>() > 0)
    fmt::print(out, "{} config x batch pairs not in the store (pruned, or not measured yet)\n",
               view["missing"].get<int>());
  if (!view["fanout"].empty()) {
    fmt::print(out, "\n{:<20} {:>10} {:>10} {:>7}\n", "fan-out (out/in)", "mean", "p95", "n");
    for (const auto& f : view["fanout"])
      fmt::print(out, "{:<20} {:>10.3f} {:>10.3f} {:>7}\n", f["op"].get<std::string>(),
                 f["mean"].get<double>(), f["p95"].get<double>(), f["n"].get<int64_t>());
  }
  if (!view["branches"].empty()) {
    fmt::print(out, "\n{:<20} {:>10} {:>7} {:>7}  {}\n", "branch", "rate", "taken", "seen", "when");
    for (const auto& b : view["branches"])
      fmt::print(
          out, "{:<20} {:>10} {:>7} {:>7}  {}\n", b["op"].get<std::string>(),
          b["rate"].is_null() ? std::string("-") : fmt::format("{:.3f}", b["rate"].get<double>()),
          b["taken"].get<int64_t>(), b["seen"].get<int64_t>(), b["when"].get<std::string>());
  }
}

}  // namespace llama::app
