#include "cluster_sim.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "base/error.h"
#include "cluster/borders.h"
#include "cluster/overheads.h"
#include "plan/planner.h"
#include "spec/duration.h"

namespace llama::app {

namespace {

// Task counts the curve shows besides the one asked for.
constexpr int kCurve[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};

struct Point {
  int tasks = 0;
  int64_t frames_per_task = 0;
  double run_s = 0;  // one task's run, simulated
  double latency_s = 0;
  double core_s = 0, gpu_s = 0, usd = 0;
  bool met = false;
};

}  // namespace

SlurmPool parse_slurm_pool(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Error(ExitCode::usage,
                 "--pool '" + text + "': " + why +
                     "; write slurm:tasks=N,cpus=C[,gpus=G][,width=W][,queue=5s][,startup=20s]"
                     "[,partition=P]");
  };
  SlurmPool pool;
  std::stringstream parts(text.substr(text.find(':') + 1));
  std::string part;
  while (std::getline(parts, part, ',')) {
    size_t eq = part.find('=');
    if (eq == std::string::npos) throw bad("'" + part + "' is not KEY=VALUE");
    const std::string key = part.substr(0, eq), value = part.substr(eq + 1);
    auto number = [&]() {
      char* end = nullptr;
      long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || n < 0 || n > 1000000) throw bad(key + " must be a count");
      return static_cast<int>(n);
    };
    auto seconds = [&]() {
      std::optional<double> s = spec::parse_duration_s(value);
      if (!s) throw bad(key + " must be a duration (" + spec::kDurationHelp + ")");
      return *s;
    };
    if (key == "tasks")
      pool.tasks = number();
    else if (key == "cpus")
      pool.cpus = number();
    else if (key == "gpus")
      pool.gpus = number();
    else if (key == "width")
      pool.width = number();
    else if (key == "queue")
      pool.queue_s = seconds();
    else if (key == "startup")
      pool.startup_s = seconds();
    else if (key == "partition")
      pool.partition = value;
    else
      throw bad("unknown key '" + key + "'");
  }
  if (pool.tasks < 1 || pool.cpus < 1) throw bad("tasks and cpus must be at least 1");
  return pool;
}

int simulate_slurm(const graph::Pipeline& pipeline, PlanRequest& request, const SlurmPool& pool,
                   double frames, const runtime::SimOptions& options, const std::string& store,
                   bool json) {
  plan::JobModel model =
      job_model_for(pipeline, request, fmt::format("cpus={},gpus={}", pool.cpus, pool.gpus));
  if (frames > 0) model.video.frames = frames;
  const double job_frames = model.video.frames;
  const double fps = model.video.fps > 0 ? model.video.fps : 25;
  const double warmup_frames = cluster::segment_borders(pipeline.spec).warmup_s * fps;
  cluster::TaskOverheads overheads = cluster::read_overheads(store, pool.partition);
  if (pool.queue_s) overheads.queue_s = *pool.queue_s;
  if (pool.startup_s) overheads.startup_s = *pool.startup_s;
  const double merge_s = cluster::ClusterModel{}.merge_s;
  const spec::PriceSheet prices = request.prices.value_or(spec::PriceSheet{});

  std::set<int> counts = {pool.tasks};
  for (int k : kCurve)
    if (k <= 4 * pool.tasks) counts.insert(k);
  std::vector<Point> curve;
  for (int k : counts) {
    Point p;
    p.tasks = k;
    // Every task after the first also reads its warm-up: simulate one of those.
    p.frames_per_task = static_cast<int64_t>(
        std::ceil(std::min(job_frames, job_frames / k + (k > 1 ? warmup_frames : 0))));
    plan::JobModel task = model;
    task.video.frames = static_cast<double>(p.frames_per_task);
    // Every task runs the fast plan on its allocation, as llama task does.
    plan::Plan plan = plan::plan_job(task, plan::Objective::fast, spec::LatencyTarget());
    runtime::SimOptions so = options;
    so.scheduler.objective = plan::Objective::fast;
    runtime::SimResult r = runtime::simulate(task, plan.choice, spec::LatencyTarget(), so);
    p.run_s = r.latency_s * overheads.run_ratio;  // the nodes' measured pace
    const double life = overheads.startup_s + r.latency_s;
    const int waves = pool.width > 0 ? (k + pool.width - 1) / pool.width : 1;
    p.latency_s = overheads.queue_s + waves * life + merge_s;
    p.core_s = k * pool.cpus * life;
    p.gpu_s = k * pool.gpus * life;
    p.usd = p.core_s * prices.core_second + p.gpu_s * prices.gpu_second;
    p.met = !request.slo || p.latency_s <= request.slo.seconds();
    curve.push_back(p);
  }
  const Point& asked = *std::find_if(curve.begin(), curve.end(),
                                     [&](const Point& p) { return p.tasks == pool.tasks; });
  const Point& fastest = *std::min_element(
      curve.begin(), curve.end(), [](auto& a, auto& b) { return a.latency_s < b.latency_s; });
  const Point& cheapest = *std::min_element(curve.begin(), curve.end(), [](auto& a, auto& b) {
    return a.core_s + a.gpu_s < b.core_s + b.gpu_s;
  });
  // What --objective slo would run: the cheapest count that meets the SLO.
  const Point* meets = nullptr;
  for (const Point& p : curve)
    if (request.slo && p.met && (!meets || p.core_s + p.gpu_s < meets->core_s + meets->gpu_s))
      meets = &p;

  if (json) {
    nlohmann::json points = nlohmann::json::array();
    for (const Point& p : curve)
      points.push_back({{"tasks", p.tasks},
                        {"frames_per_task", p.frames_per_task},
                        {"task_run_s", p.run_s},
                        {"latency_s", p.latency_s},
                        {"core_s", p.core_s},
                        {"gpu_s", p.gpu_s},
                        {"usd", request.prices ? nlohmann::json(p.usd) : nlohmann::json(nullptr)},
                        {"slo_met", p.met}});
    std::cout << nlohmann::json{{"pool", "slurm"},
                                {"tasks", pool.tasks},
                                {"cpus_per_task", pool.cpus},
                                {"gpus_per_task", pool.gpus},
                                {"width", pool.width},
                                {"frames", job_frames},
                                {"warmup_frames", warmup_frames},
                                {"queue_s", overheads.queue_s},
                                {"startup_s", overheads.startup_s},
                                {"overhead_samples", overheads.samples},
                                {"slo_s", request.slo ? nlohmann::json(request.slo.seconds())
                                                      : nlohmann::json(nullptr)},
                                {"latency_s", asked.latency_s},
                                {"core_s", asked.core_s},
                                {"gpu_s", asked.gpu_s},
                                {"fastest_tasks", fastest.tasks},
                                {"cheapest_tasks", cheapest.tasks},
                                {"slo_tasks",
                                 meets ? nlohmann::json(meets->tasks) : nlohmann::json(nullptr)},
                                {"curve", points}}
                     .dump(2)
              << "\n";
    return 0;
  }
  auto cost = [&](const Point& p) {
    return request.prices ? fmt::format("${:.4f}", p.usd) : std::string("-");
  };
  std::cout << fmt::format(
      "Slurm simulation of {} ({:.0f} frames, {}): {} tasks x {} cpu{}{}: {:.1f}s, {:.0f} "
      "core-s{}, {}{}\n",
      pipeline.spec.name, job_frames, plan::to_string(request.objective), pool.tasks, pool.cpus,
      pool.cpus == 1 ? "" : "s", pool.gpus ? fmt::format(" + {} GPU", pool.gpus) : "",
      asked.latency_s, asked.core_s,
      asked.gpu_s > 0 ? fmt::format(" + {:.0f} GPU-s", asked.gpu_s) : "", cost(asked),
      request.slo ? (asked.met ? ", meets the SLO " : ", misses the SLO ") + request.slo.to_string()
                  : "");
  std::cout << fmt::format(
      "  per task: queue {:.1f}s, start-up {:.1f}s ({}), warm-up {:.0f} frames; {}\n",
      overheads.queue_s, overheads.startup_s,
      overheads.samples ? fmt::format("medians of {} tasks measured", overheads.samples)
                        : (pool.queue_s || pool.startup_s ? "as given" : "assumed"),
      warmup_frames,
      pool.width ? fmt::format("{} tasks at once", pool.width) : "every task at once");
  std::cout << "  tasks  frames/task  task run   latency       core-s  cost\n";
  for (const Point& p : curve) {
    std::string marks;
    if (p.tasks == fastest.tasks) marks += " (fast)";
    if (p.tasks == cheapest.tasks) marks += " (cheap)";
    if (meets && p.tasks == meets->tasks) marks += " (slo)";
    if (p.tasks == pool.tasks) marks += " <- asked";
    if (!p.met) marks += " misses the SLO";
    std::cout << fmt::format("  {:>5}  {:>11}  {:>7.1f}s  {:>7.1f}s  {:>11.0f}  {}{}\n", p.tasks,
                             p.frames_per_task, p.run_s, p.latency_s, p.core_s, cost(p), marks);
  }
  return 0;
}

}  // namespace llama::app
