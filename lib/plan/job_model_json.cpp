#include "plan/job_model_json.h"

namespace llama::plan {

nlohmann::json to_json(const JobModel& model) {
  nlohmann::json ops = nlohmann::json::array();
  for (const OpModel& op : model.ops) {
    nlohmann::json choices = nlohmann::json::array();
    for (const Choice& c : op.choices)
      choices.push_back({{"config", c.config},
                         {"batch", c.batch},
                         {"latency_ms", c.latency_ms},
                         {"stdev_ms", c.stdev_ms},
                         {"cores", c.held.cores},
                         {"gpus", c.held.gpus},
                         {"source_share", c.source_share},
                         {"set_aside", c.set_aside},
                         {"family", c.family}});
    ops.push_back({{"node", op.node},
                   {"name", op.name},
                   {"kind", op.kind},
                   {"inputs", op.inputs},
                   {"source", op.source},
                   {"parallel", op.parallel},
                   {"fanout", op.fanout},
                   {"branch_rate", op.branch_rate},
                   {"choices", choices}});
  }
  return {
      {"pipeline", model.pipeline},
      {"ops", ops},
      {"paths", model.paths},
      {"video", {{"frames", model.video.frames}, {"fps", model.video.fps}}},
      {"pool",
       {{"cpus", model.pool.cpus}, {"gpus", model.pool.gpus}, {"gpu_name", model.pool.gpu_name}}},
      {"prices",
       {{"core_second", model.prices.core_second},
        {"gpu_second", model.prices.gpu_second},
        {"gpu_by_name", model.prices.gpu_by_name}}}};
}

JobModel job_model_from_json(const nlohmann::json& json) {
  JobModel model;
  model.pipeline = json.at("pipeline");
  for (const nlohmann::json& o : json.at("ops")) {
    OpModel op;
    op.node = o.at("node");
    op.name = o.at("name");
    op.kind = o.at("kind");
    op.inputs = o.at("inputs").get<std::vector<int>>();
    op.source = o.at("source");
    op.parallel = o.at("parallel");
    op.fanout = o.at("fanout");
    op.branch_rate = o.at("branch_rate");
    for (const nlohmann::json& c : o.at("choices")) {
      Choice choice;
      choice.config = c.at("config").get<profile::Config>();
      choice.batch = c.at("batch");
      choice.latency_ms = c.at("latency_ms");
      choice.stdev_ms = c.at("stdev_ms");
      choice.held = {c.at("cores").get<double>(), c.at("gpus").get<int>()};
      choice.source_share = c.at("source_share");
      choice.set_aside = c.at("set_aside");
      choice.family = c.at("family");
      op.choices.push_back(std::move(choice));
    }
    model.ops.push_back(std::move(op));
  }
  model.paths = json.at("paths").get<std::vector<std::vector<int>>>();
  model.video = {json.at("video").at("frames"), json.at("video").at("fps")};
  model.pool = {json.at("pool").at("cpus"), json.at("pool").at("gpus"),
                json.at("pool").at("gpu_name")};
  const nlohmann::json& prices = json.at("prices");
  model.prices.core_second = prices.at("core_second");
  model.prices.gpu_second = prices.at("gpu_second");
  model.prices.gpu_by_name =
      prices.at("gpu_by_name").get<std::vector<std::pair<std::string, double>>>();
  return model;
}

}  // namespace llama::plan
