#include "cluster_run.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "base/error.h"
#include "cluster/borders.h"
#include "cluster/cluster_plan.h"
#include "cluster/job.h"
#include "cluster/merge.h"
#include "cluster/overheads.h"
#include "cluster/slurm.h"
#include "cluster/split.h"
#include "ops/registry.h"
#include "plan/planner.h"
#include "report/html_report.h"
#include "report/out_dir.h"
#include "stop_signals.h"
#include "video/video_probe.h"

namespace llama::app {

namespace fs = std::filesystem;

namespace {

// Frames of each video for the split: the container's count, else duration x rate.
std::vector<int64_t> frames_of(const std::vector<video::VideoInfo>& infos) {
  std::vector<int64_t> frames;
  for (const video::VideoInfo& v : infos)
    frames.push_back(v.frame_count > 0 ? v.frame_count
                                       : static_cast<int64_t>(v.duration_s * v.fps + 0.5));
  return frames;
}

// The flags every task's llama run shares; absolute, since the tasks' cwd is the submitter's
// but their store must be this one.
std::vector<std::string> shared_run_args(const PlanFlags& plan) {
  std::vector<std::string> args;
  if (plan.fixed) args.push_back("--static");
  args.insert(args.end(), {"--store", fs::absolute(plan.store_dir).string()});
  if (!plan.prices.empty())
    args.insert(args.end(), {"--prices", fs::absolute(plan.prices).string()});
  if (plan.no_auto_profile) args.push_back("--no-auto-profile");
  return args;
}

// Frames a task reads, its warm-up included: what its run time goes by.
int64_t frames_read(const cluster::TaskSpec& task, double fps) {
  if (!task.segment) return task.frames;
  const double warmup = std::min(task.segment->warmup_s, task.segment->from_s);
  return task.frames + static_cast<int64_t>(std::llround(warmup * fps));
}

std::string cost_text(const cluster::ClusterCandidate& c) {
  return c.usd > 0 ? fmt::format("${:.6f}", c.usd)
                   : fmt::format("{:.1f} core-s{}", c.core_s,
                                 c.gpu_s > 0 ? fmt::format(" + {:.1f} GPU-s", c.gpu_s) : "");
}

// Every finished task's queue wait and start-up, for the next plan on this partition.
void record_measured_overheads(const std::string& store_dir, const std::string& partition,
                               const nlohmann::json& report) {
  std::vector<cluster::TaskSample> samples;
  for (const nlohmann::json& t : report["cluster"]["tasks"])
    if (t.value("status", "") == "complete") {
      const double predicted = t.value("predicted_run_s", 0.0);
      samples.push_back({t.value("queue_wait_s", 0.0), t.value("startup_s", 0.0),
                         predicted > 0 ? t.value("run_s", 0.0) / predicted : 0.0});
    }
  if (samples.empty()) return;
  try {
    cluster::record_overheads(store_dir, partition, samples);
  } catch (const Error& e) {
    std::cerr << "llama: warning: " << e.what() << " (the task overheads were not kept)\n";
  }
}

void print_summary(const nlohmann::json& report) {
  const nlohmann::json& c = report["cluster"];
  std::cerr << fmt::format(
      "llama: {} on Slurm: {} task{} x {} cpu{}{}, {:.1f}s, {:.1f} core-s allocated{}\n",
      report.value("pipeline", ""), c["tasks"].size(), c["tasks"].size() == 1 ? "" : "s",
      c.value("cpus_per_task", 0), c.value("cpus_per_task", 0) == 1 ? "" : "s",
      c.value("gpus_per_task", 0) > 0 ? fmt::format(" + {} GPU", c.value("gpus_per_task", 0)) : "",
      report.value("wall_s", 0.0), report["cost"].value("core_s", 0.0),
      report["cost"]["usd"].is_number()
          ? fmt::format(" (${:.6f})", report["cost"]["usd"].get<double>())
          : "");
  std::cerr << "  task  status      videos  frames  queue   start-up  run     host\n";
  for (const nlohmann::json& t : c["tasks"])
    std::cerr << fmt::format("  {:<5} {:<11} {:>6}  {:>6}  {:>6.1f}s {:>8.1f}s {:>6.1f}s  {}\n",
                             t.value("task", 0), t.value("status", ""), t["inputs"].size(),
                             t.value("frames", 0), t.value("queue_wait_s", 0.0),
                             t.value("startup_s", 0.0), t.value("run_s", 0.0), t.value("host", ""));
}

}  // namespace

std::vector<cluster::TaskSpec> split_job(const spec::PipelineSpec& pipeline,
                                         const std::vector<std::string>& videos,
                                         const std::vector<video::VideoInfo>& infos, int tasks) {
  std::vector<int64_t> frames = frames_of(infos);
  std::vector<cluster::TaskSpec> out;
  if (videos.size() == 1) {
    // One video: cut in time, each segment read from a warm-up before it.
    const cluster::Borders borders = cluster::segment_borders(pipeline);
    const video::VideoInfo& v = infos[0];
    const double fps = v.fps > 0 ? v.fps : 25;
    const double duration = v.duration_s > 0 ? v.duration_s : static_cast<double>(frames[0]) / fps;
    for (const cluster::TimeRange& r : cluster::split_video(duration, tasks, borders.align_s)) {
      const double to = std::min(r.to_s, duration);
      out.push_back({videos, static_cast<int64_t>(std::llround((to - r.from_s) * fps)),
                     cluster::VideoSegment{r.from_s, r.to_s, r.from_s > 0 ? borders.warmup_s : 0}});
    }
    return out;
  }
  for (const cluster::InputRange& r : cluster::split_inputs(frames, tasks))
    out.push_back({{videos.begin() + r.begin, videos.begin() + r.end}, r.frames, std::nullopt});
  return out;
}

nlohmann::json cluster_plan_json(const cluster::ClusterPlan& plan,
                                 const cluster::ClusterModel& model) {
  auto candidate = [](const cluster::ClusterCandidate& c) {
    return nlohmann::json{
        {"tasks", c.tasks},   {"latency_s", c.latency_s}, {"longest_run_s", c.longest_run_s},
        {"core_s", c.core_s}, {"gpu_s", c.gpu_s},         {"usd", c.usd}};
  };
  nlohmann::json curve = nlohmann::json::array();
  for (const cluster::ClusterCandidate& c : plan.curve) curve.push_back(candidate(c));
  return {{"chosen", candidate(plan.chosen)},
          {"fastest", candidate(plan.fastest)},
          {"cheapest", candidate(plan.cheapest)},
          {"feasible", plan.feasible},
          {"curve", curve},
          {"queue_s", model.overheads.queue_s},
          {"startup_s", model.overheads.startup_s},
          {"run_ratio", model.overheads.run_ratio},
          {"overhead_samples", model.overheads.samples},
          {"tasks_at_once", model.tasks_at_once}};
}

ClusterJob plan_cluster_job(const graph::Pipeline& pipeline, PlanRequest& request,
                            const PlanFlags& plan_flags, const ClusterFlags& flags) {
  const std::vector<std::string>& videos = request.planning.videos;
  const std::vector<video::VideoInfo> infos = video::probe_inputs(videos);
  ClusterJob job;
  if (plan_flags.fixed) {
    job.tasks = split_job(pipeline.spec, videos, infos, flags.max_tasks);
    return job;
  }
  cluster::ClusterModel cm;
  cm.overheads = cluster::read_overheads(plan_flags.store_dir, flags.partition);
  // A task's run: the fastest plan for its frames on one task's allocation, which every task
  // runs (llama task: the allocation is paid for whole, so the fastest run is the cheapest).
  auto model = std::make_shared<plan::JobModel>(job_model_for(
      pipeline, request, fmt::format("cpus={},gpus={}", flags.cpus_per_task, flags.gpus_per_task)));
  auto runs = std::make_shared<std::map<int64_t, double>>();  // by frames: a split repeats them
  cm.task_run_s = [model, runs](int64_t frames) {
    auto known = runs->find(frames);
    if (known != runs->end()) return known->second;
    plan::JobModel task = *model;
    task.video.frames = static_cast<double>(frames);
    const double run_s =
        plan::plan_job(task, plan::Objective::fast, spec::LatencyTarget()).predicted.latency_s;
    (*runs)[frames] = run_s;
    return run_s;
  };
  cm.cpus_per_task = flags.cpus_per_task;
  cm.gpus_per_task = flags.gpus_per_task;
  const int cpus = cluster::partition_cpus(flags.partition);
  cm.tasks_at_once = cpus > 0 ? std::max(1, cpus / flags.cpus_per_task) : 0;
  if (request.prices) {
    cm.core_second_usd = request.prices->core_second;
    cm.gpu_second_usd = request.prices->gpu_second;
  }
  const double fps = infos.empty() || infos[0].fps <= 0 ? 25 : infos[0].fps;
  // A job splits into at most one task per video, or per aligned segment of its one video.
  size_t most = videos.size();
  if (videos.size() == 1) {
    const double duration = infos[0].duration_s > 0
                                ? infos[0].duration_s
                                : static_cast<double>(infos[0].frame_count) / fps;
    most = static_cast<size_t>(
        std::max(1.0, std::ceil(duration / cluster::segment_borders(pipeline.spec).align_s)));
  }
  std::vector<std::vector<cluster::TaskSpec>> splits;
  std::vector<std::vector<int64_t>> frames;
  for (int k = 1; k <= flags.max_tasks; ++k) {
    splits.push_back(split_job(pipeline.spec, videos, infos, k));
    frames.emplace_back();
    for (const cluster::TaskSpec& t : splits.back()) frames.back().push_back(frames_read(t, fps));
    if (splits.back().size() >= most) break;
  }
  const std::string objective = plan::to_string(request.objective);
  std::optional<double> slo_s;
  if (request.slo) slo_s = request.slo.seconds();
  job.plan = cluster::plan_cluster(cm, frames, objective, slo_s);
  job.model = cm;
  for (const auto& split : splits)
    if (static_cast<int>(split.size()) == job.plan->chosen.tasks) {
      job.tasks = split;
      break;
    }
  return job;
}

void add_cluster_flags(CLI::App* sub, ClusterFlags& flags) {
  sub->add_option("--cluster", flags.cluster,
                  "run on a cluster instead of this machine: slurm (an array job of tasks, "
                  "merged into --out)")
      ->check(CLI::IsMember({"slurm"}));
  sub->add_option("--partition", flags.partition, "Slurm partition (default: the cluster's)");
  sub->add_option("--account", flags.account, "Slurm account to charge (default: yours)");
  sub->add_option("--max-tasks", flags.max_tasks,
                  "most Slurm tasks to split the job into (default 16)")
      ->check(CLI::Range(1, 10000));
  sub->add_option("--cpus-per-task", flags.cpus_per_task, "cpus each Slurm task holds (default 2)")
      ->check(CLI::Range(1, 1024));
  sub->add_option("--gpus-per-task", flags.gpus_per_task, "GPUs each Slurm task holds (default 0)")
      ->check(CLI::Range(0, 64));
  sub->add_option("--retries", flags.retries,
                  "times a failed Slurm task is submitted again before the job fails (default 2)")
      ->check(CLI::Range(0, 20));
}

int run_on_cluster(const ClusterRun& run, const ClusterFlags& flags) {
  const ops::OpRegistry& registry = ops::builtin_registry();
  graph::Pipeline pipeline = graph::load_pipeline(run.pipeline_file, registry.catalog());
  PlanRequest request = plan_request(run.plan, pipeline, run.pipeline_file, false);
  cluster::check_slurm();
  if (!flags.partition.empty()) cluster::check_partition(flags.partition);

  const std::vector<std::string>& videos = request.planning.videos;
  cluster::Manifest m;
  m.pipeline = fs::absolute(run.pipeline_file).string();
  m.workdir = fs::current_path().string();
  m.out_dir = fs::absolute(run.out_dir.empty() ? "out/" + pipeline.spec.name : run.out_dir)
                  .lexically_normal()
                  .string();
  m.llama = fs::read_symlink("/proc/self/exe").string();
  if (request.slo && request.objective == plan::Objective::slo && !run.plan.fixed)
    m.slo_s = request.slo.seconds();
  m.objective = run.plan.fixed ? "static" : plan::to_string(request.objective);
  m.run_args = shared_run_args(run.plan);
  m.outputs_per_video = videos.size() > 1;
  m.slurm = {flags.partition, flags.account, flags.cpus_per_task, flags.gpus_per_task};
  ClusterJob job = plan_cluster_job(pipeline, request, run.plan, flags);
  m.tasks = job.tasks;
  if (job.plan) m.plan = cluster_plan_json(*job.plan, job.model);
  if (!run.plan.quiet) {
    if (job.plan)
      std::cerr << fmt::format(
          "llama: cluster plan ({}): {} task{} x {} cpu{}, predicted {:.1f}s, {} (llama explain "
          "--cluster slurm shows the others)\n",
          m.objective, job.plan->chosen.tasks, job.plan->chosen.tasks == 1 ? "" : "s",
          flags.cpus_per_task, flags.cpus_per_task == 1 ? "" : "s", job.plan->chosen.latency_s,
          cost_text(job.plan->chosen));
    else
      std::cerr << "llama: --static: " << m.tasks.size() << " task"
                << (m.tasks.size() == 1 ? "" : "s")
                << " (no profiles to size the job by; --max-tasks caps it)\n";
  }

  report::prepare_out_dir(m.out_dir);
  if (fs::exists(cluster::manifest_path(m.out_dir))) {
    if (!run.force)
      throw Error(ExitCode::usage, m.out_dir +
                                       " holds an earlier cluster job; pass --force to "
                                       "discard it, or another --out");
    fs::remove_all(fs::path(m.out_dir) / "cluster");
    fs::remove_all(fs::path(m.out_dir) / "tasks");
  }
  m.submitted_unix = cluster::now_unix();
  cluster::submit_job(m);
  if (!run.plan.quiet)
    std::cerr << fmt::format(
        "llama: submitted {} task{} to Slurm (job {}); logs in {}/cluster/logs\n", m.tasks.size(),
        m.tasks.size() == 1 ? "" : "s", m.submissions.back().job_id, m.out_dir);

  cluster::WatchOptions watch;
  watch.retries = flags.retries;
  watch.cancel = StopSignals::flag();
  const bool show_progress = !run.plan.quiet && isatty(STDERR_FILENO);
  if (show_progress)
    watch.on_progress = [](const cluster::JobProgress& p) {
      std::cerr << fmt::format("\r\033[Ktasks: {} pending, {} running, {} done{}{} of {}, {:.0f}s",
                               p.pending, p.running, p.done,
                               p.failed ? fmt::format(", {} failed", p.failed) : "",
                               p.retried ? fmt::format(" ({} resubmitted)", p.retried) : "",
                               p.total, p.elapsed_s)
                << std::flush;
    };
  cluster::WatchResult watched;
  {
    StopSignals stop_signals;
    watched = cluster::watch_job(m, watch);
  }
  if (show_progress) std::cerr << "\r\033[K" << std::flush;

  cluster::MergeResult merged =
      cluster::merge_job(m, pipeline.spec, request.prices, watched.outcomes, true);
  record_measured_overheads(run.plan.store_dir, flags.partition, merged.report);
  report::write_html_report((fs::path(m.out_dir) / "report.html").string(),
                            report::build_html_report(merged.report, nullptr));
  if (!run.plan.quiet) print_summary(merged.report);
  if (run.json) std::cout << merged.report.dump() << "\n";
  if (watched.cancelled) {
    std::cerr << "llama: stopped: the Slurm tasks were cancelled; finished tasks' results are in "
              << m.out_dir << " (report.json says status: incomplete)\n";
    return stopped_exit_code();
  }
  if (!merged.complete) {
    std::cerr << "llama: " << merged.report.value("error", "a task did not finish")
              << "\nllama: partial results are in " << m.out_dir
              << " (report.json says status: incomplete)\n";
    return static_cast<int>(ExitCode::runtime);
  }
  if (run.strict && merged.report.value("slo_met", true) == false) {
    std::cerr << "llama: --strict: SLO missed (took " << merged.report.value("wall_s", 0.0)
              << "s)\n";
    return static_cast<int>(ExitCode::slo_missed);
  }
  return 0;
}

}  // namespace llama::app
