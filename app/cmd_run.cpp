// llama run PIPELINE: run a pipeline on its videos, write results, report.json and a table.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cluster_run.h"
#include "commands.h"
#include "exec/checkpoint.h"
#include "exec/executor.h"
#include "graph/graph.h"
#include "machine.h"
#include "ops/torch_threads.h"
#include "plan_view.h"
#include "planning.h"
#include "report/html_report.h"
#include "report/out_dir.h"
#include "report/run_report.h"
#include "report/trace.h"
#include "resume.h"
#include "spec/duration.h"
#include "spec/price_sheet.h"
#include "stop_signals.h"
#include "video/video_probe.h"
#include "video/video_reader.h"

namespace llama::app {

namespace {

struct RunOptions {
  std::string pipeline;
  PlanFlags plan;
  bool out_given = false;
  std::string out_dir;  // default: out/<pipeline name>
  int workers = 0;      // cores of the pool; 0: this machine's
  bool json = false;
  bool strict = false;
  std::string trace;    // --trace FILE; "" for none
  double fail = 0;      // --fail: share of invocations made to fail, to exercise retries
  double straggle = 0;  // --straggle: share made five times slower, to exercise duplicates
  std::vector<std::string> fail_configs;  // --fail-config OP[:KNOB=VALUE,...]
  ResumeFlags resume;
  std::string checkpoint_every = "10s";
  ClusterFlags cluster;
  std::string segment;  // --segment FROM:TO:WARMUP (seconds), a cluster task's slice
};

// A cluster task's slice of one video: frames stamped [from_s, to_s) are its results, the
// `warmup_s` before them only warm stateful ops (tracks, windows, motion) up.
struct Segment {
  double from_s = 0, to_s = 0, warmup_s = 0;  // to_s infinite: to the end
};

std::optional<Segment> parse_segment(const std::string& text) {
  if (text.empty()) return std::nullopt;
  Segment s;
  char to[32] = "", extra = 0;
  bool ok = std::sscanf(text.c_str(), "%lf:%31[^:]:%lf%c", &s.from_s, to, &s.warmup_s, &extra) == 3;
  if (ok) {
    s.to_s = std::string(to) == "end" ? HUGE_VAL : std::strtod(to, nullptr);
    ok = s.from_s >= 0 && s.to_s > s.from_s && s.warmup_s >= 0;
  }
  if (!ok)
    throw Error(ExitCode::usage, "--segment '" + text +
                                     "': write FROM:TO:WARMUP in seconds "
                                     "(TO may be 'end'), FROM < TO; llama task passes it");
  return s;
}

// Cuts every decode op to the segment and its warm-up, inside any start/end the pipeline sets.
void apply_segment(const Segment& s, spec::PipelineSpec& spec) {
  for (spec::OpSpec& op : spec.ops) {
    if (op.kind != "decode") continue;
    const double start =
        std::max(spec::duration_param(op, "start", 0), std::max(0.0, s.from_s - s.warmup_s));
    const double end = std::min(spec::duration_param(op, "end", s.to_s), s.to_s);
    op.params["start"].value = fmt::format("{:.10g}s", start);
    if (std::isfinite(end)) op.params["end"].value = fmt::format("{:.10g}s", end);
  }
}

// A checkpoint pauses the sources for about one invocation per op, so every 10 s costs little
// and loses at most 10 s of work to a kill.
double parse_checkpoint_every(const std::string& text) {
  if (text == "0" || text == "off") return 0;
  std::optional<double> every_s = spec::parse_duration_s(text);
  if (!every_s || *every_s <= 0)
    throw Error(ExitCode::usage, "--checkpoint-every '" + text + "' is not a positive duration (" +
                                     spec::kDurationHelp + "), or off");
  return *every_s;
}

// --fail-config OP[:KNOB=VALUE[,KNOB=VALUE]...]: every invocation of OP at a config with those
// values fails, to exercise setting a config aside.
exec::BrokenConfig parse_fail_config(const std::string& text, const graph::Pipeline& pipeline) {
  auto bad = [&](const std::string& why) {
    return Error(ExitCode::usage, "--fail-config '" + text + "': " + why +
                                      "; write OP[:KNOB=VALUE[,KNOB=VALUE]], e.g. objects:batch=4");
  };
  exec::BrokenConfig broken;
  size_t colon = text.find(':');
  broken.op = text.substr(0, colon);
  if (!pipeline.spec.find_op(broken.op))
    throw bad("the pipeline has no op named '" + broken.op + "'");
  if (colon == std::string::npos) return broken;
  std::string rest = text.substr(colon + 1);
  for (size_t start = 0; start <= rest.size();) {
    size_t end = std::min(rest.find(',', start), rest.size());
    std::string pair = rest.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size())
      throw bad("'" + pair + "' is not KNOB=VALUE");
    broken.knobs[pair.substr(0, eq)] = pair.substr(eq + 1);
    start = end + 1;
  }
  return broken;
}

int run(const RunOptions& options) {
  if (options.out_given && options.out_dir.empty())
    throw Error(ExitCode::usage, "--out is empty; name a folder, e.g. --out results");
  if (!options.cluster.cluster.empty()) {
    // What only a run on this machine has. A cluster task killed mid-run resumes by itself.
    for (auto [given, flag] :
         {std::pair{options.resume.resume, "--resume"},
          std::pair{!options.trace.empty(), "--trace"},
          std::pair{options.workers > 0, "--workers (use --cpus-per-task)"},
          std::pair{options.fail > 0 || options.straggle > 0 || !options.fail_configs.empty(),
                    "--fail, --straggle and --fail-config"}})
      if (given)
        throw Error(ExitCode::usage, std::string(flag) +
                                         " is not for --cluster slurm: drop it, or run without "
                                         "--cluster");
    return run_on_cluster({options.pipeline, options.plan, options.out_dir, options.resume.force,
                           options.json, options.strict},
                          options.cluster);
  }
  const ops::OpRegistry& registry = ops::builtin_registry();
  graph::Pipeline pipeline = graph::load_pipeline(options.pipeline, registry.catalog());
  const std::optional<Segment> segment = parse_segment(options.segment);
  if (segment) apply_segment(*segment, pipeline.spec);
  PlanRequest request = plan_request(options.plan, pipeline, options.pipeline, false);
  const spec::LatencyTarget& slo = request.slo;
  const std::optional<spec::PriceSheet>& prices = request.prices;
  // Tuning needs a target: with no SLO anywhere, the slo objective runs the YAML's values.
  plan::Objective objective = request.objective;
  if (objective == plan::Objective::slo && !slo) objective = plan::Objective::fixed;

  exec::ExecOptions exec_options;
  exec_options.videos = request.planning.videos;
  PlanningOptions& po = request.planning;
  po.shape = video_shape(video::probe_inputs(exec_options.videos));
  if (segment) {
    // The frame the previous segment's end left out is this one's first, never warm-up.
    exec_options.warmup_until_s = segment->from_s - video::timestamp_slack_s(po.shape->fps);
    // The planner sizes the job from decode's start and end (plan::source_share), which
    // apply_segment set: the segment's frames and its warm-up's.
  }
  exec_options.out_dir = options.out_dir.empty() ? "out/" + pipeline.spec.name : options.out_dir;
  report::prepare_out_dir(exec_options.out_dir);
  exec_options.checkpoint_every_s = parse_checkpoint_every(options.checkpoint_every);
  exec_options.job = job_identity(options.pipeline, exec_options.videos);
  JobStart start =
      start_job(exec_options.out_dir, exec_options.job, options.resume, options.plan.quiet);
  if (start.already_complete) {
    if (!options.plan.quiet)
      std::cerr << "llama: " << exec_options.out_dir
                << " holds a complete run of this job: nothing to resume (--force runs it again)\n";
    return 0;
  }
  exec_options.checkpoint_path = exec::checkpoint_path(exec_options.out_dir);
  if (start.checkpoint) exec_options.resume_from = &*start.checkpoint;
  exec_options.cancel = StopSignals::flag();
  exec_options.record_invocations = !options.trace.empty();
  exec_options.objective = objective;
  exec_options.slo = slo;
  exec_options.inject_failures = options.fail;
  exec_options.inject_stragglers = options.straggle;
  for (const std::string& text : options.fail_configs)
    exec_options.broken_configs.push_back(parse_fail_config(text, pipeline));

  report::RunInfo info{
      options.pipeline, pipeline.spec.name, exec_options.out_dir, slo, prices, "", "", nullptr};
  info.objective = plan::to_string(objective);
  po.pool = local_pool(this_machine(ops::cuda_available()));
  if (options.workers > 0) po.pool->cpus = options.workers;
  ops::cap_torch_threads(po.pool->cpus);
  plan::JobModel model;
  if (objective == plan::Objective::fixed) {
    model = plan::fixed_job_model(pipeline, *po.pool, *po.shape);
    exec_options.initial = plan::first_values(model);
  } else {
    model = load_job_model(pipeline, prices.value_or(spec::PriceSheet{}), po);
    plan::Plan plan = plan::plan_job(model, objective, slo);
    info.plan = plan_view(model, plan);
    exec_options.initial = plan.choice;
    if (objective == plan::Objective::slo && !plan.feasible) {
      std::cerr << fmt::format(
          "llama: SLO {} is below the fastest plan's predicted {:.2f}s on this machine (llama "
          "explain shows the plan)",
          slo.to_string(), plan.fastest.latency_s);
      if (options.strict) {
        std::cerr << "; --strict: not running\n";
        return static_cast<int>(ExitCode::slo_infeasible);
      }
      exec_options.objective = plan::runtime_objective(plan);
      std::cerr << fmt::format(
          "; running, as --objective fast does, the cheapest plan predicted within the "
          "fastest's spread (+-{:.2f}s): {:.2f}s, ${:.6f}\n",
          plan.fastest.latency_sd_s, plan.predicted.latency_s, plan.predicted.cost.dollars);
    } else if (!options.plan.quiet) {
      std::cerr << fmt::format(
          "llama: plan ({}): predicted {:.2f}s, ${:.6f}{} (llama explain "
          "shows it)\n",
          plan::to_string(objective), plan.predicted.latency_s, plan.predicted.cost.dollars,
          slo ? " for SLO " + slo.to_string() : "");
    }
  }
  info.gpu_name = model.pool.gpu_name;
  exec_options.model = &model;
  double expected_frames = 0;  // for the progress line
  for (size_t i = 0; i < model.ops.size(); ++i)
    if (model.ops[i].source)
      expected_frames +=
          model.video.frames * model.ops[i].choices[exec_options.initial[i]].source_share;

  // The progress line: a terminal only (a log full of \r is unreadable), never under --quiet.
  // report.html's pace chart draws the same samples, so they are always kept.
  bool show_progress = !options.plan.quiet && isatty(STDERR_FILENO);
  std::vector<std::pair<double, int64_t>> pace;
  exec_options.on_progress = [&](const exec::RunProgress& p) {
    pace.emplace_back(p.elapsed_s, p.frames);
    if (!show_progress) return;
    plan::Cost cost{p.core_s, p.gpu_s, 0};
    if (prices)
      cost.dollars =
          p.core_s * prices->core_second + p.gpu_s * prices->gpu_second_for(info.gpu_name);
    std::cerr << fmt::format("\r\033[K{}/{:.0f} frames, {:.1f}s{}, {:.1f} core-s{}", p.frames,
                             expected_frames, p.elapsed_s, slo ? " of " + slo.to_string() : "",
                             p.core_s, prices ? fmt::format(", ${:.6f}", cost.dollars) : "")
              << std::flush;
  };

  const std::string report_path =
      (std::filesystem::path(exec_options.out_dir) / "report.json").string();
  report::write_report(report_path, report::unfinished_report(info));
  exec::RunResult result;
  {
    StopSignals stop_signals;
    result = exec::run_pipeline(pipeline, registry, exec_options);
  }
  if (show_progress) std::cerr << "\r\033[K" << std::flush;

  nlohmann::json report = report::build_report(info, result);
  // llama explain --hindsight OUT finds the trace, and the journal in it, from here.
  if (!options.trace.empty()) report["trace"] = std::filesystem::absolute(options.trace).string();
  report["progress"] = report::progress_samples(pace, result.wall_s);
  nlohmann::json trace;
  if (!options.trace.empty()) trace = report::build_trace(pipeline.spec.name, result);
  try {
    report::write_report(report_path, report);
    report::write_html_report(
        (std::filesystem::path(exec_options.out_dir) / "report.html").string(),
        report::build_html_report(report, trace.is_null() ? nullptr : &trace));
  } catch (const Error&) {
    // Often the same full disk stopped the run: its own error says where, so say it too.
    if (!result.complete) std::cerr << "llama: " << result.error << "\n";
    throw;
  }
  if (result.complete) end_job(exec_options.out_dir);
  if (!options.trace.empty()) report::write_trace(options.trace, trace);

  bool truncated = false;
  for (const auto& v : result.videos) truncated = truncated || v.truncated;
  if (!options.plan.quiet) {
    for (const auto& v : result.videos)
      if (v.truncated)
        std::cerr << "llama: warning: " << v.path << ": video is truncated or damaged; used the "
                  << v.frames_decoded << " frames before the damage (" << v.reason << ")\n";
    for (const auto& op : result.ops)
      for (const auto& [config, error] : op.set_aside)
        std::cerr << "llama: warning: op '" << op.name << "' at " << config
                  << " failed twice and was not used again (" << error << ")\n";
    if (isatty(STDERR_FILENO) || !options.json) report::print_table(std::cerr, info, result);
  }
  if (options.json) std::cout << report.dump() << "\n";

  if (!result.complete) {
    std::cerr << "llama: " << result.error << "\nllama: partial results are in "
              << exec_options.out_dir << " (report.json says status: incomplete)\n";
    if (result.failure == ExitCode::interrupted) return stopped_exit_code();
    return static_cast<int>(result.failure);
  }
  if (options.strict && truncated) {
    std::cerr << "llama: --strict: an input video is truncated (see report.json 'videos')\n";
    return static_cast<int>(ExitCode::bad_input);
  }
  if (options.strict && report::slo_met(info, result) == false) {
    std::cerr << "llama: --strict: SLO " << slo.to_string() << " missed (took " << result.wall_s
              << "s)\n";
    return static_cast<int>(ExitCode::slo_missed);
  }
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* sub =
      app.add_subcommand("run", "Run a pipeline on its videos and write results and a report");
  sub->add_option("pipeline", options->pipeline, "pipeline YAML file")->required();
  CLI::Option* slo = add_plan_flags(sub, options->plan);
  CLI::Option* out =
      sub->add_option("--out", options->out_dir, "output folder (default: out/<pipeline name>)");
  sub->add_option("--trace", options->trace,
                  "write every invocation to FILE in the Chrome trace format (open in Perfetto)");
  sub->add_option("--workers", options->workers,
                  "cores to run on: worker threads, and what the plan assumes (default: all)")
      ->check(CLI::Range(1, 256));
  sub->add_option("--fail", options->fail,
                  "make a share of invocations fail before they run, e.g. 0.03, to test that "
                  "retries lose nothing (as simulate --fail; default 0)")
      ->check(CLI::Range(0.0, 0.5));
  sub->add_option("--straggle", options->straggle,
                  "make a share of parallel ops' invocations five times slower, e.g. 0.05, to "
                  "test that duplicated stragglers lose nothing (default 0)")
      ->check(CLI::Range(0.0, 0.5));
  sub->add_option("--fail-config", options->fail_configs,
                  "make every invocation of an op at some config fail, e.g. objects:batch=4 or "
                  "objects:device=cuda, to test that the run sets it aside and goes on at the "
                  "op's other configs (repeatable)");
  CLI::Option* resume = sub->add_flag(
      "--resume", options->resume.resume,
      "continue the job an earlier run in --out left incomplete (killed, stopped, out of "
      "space) from its last checkpoint; starts it when there is none");
  sub->add_flag("--force", options->resume.force,
                "start over, discarding an incomplete run left in --out")
      ->excludes(resume);
  sub->add_option("--checkpoint-every", options->checkpoint_every,
                  "how often to save what --resume continues from, e.g. 30s, or off "
                  "(default 10s)");
  sub->add_flag("--json", options->json, "print the run summary (report.json) on stdout");
  add_cluster_flags(sub, options->cluster);
  sub->add_option("--segment", options->segment, "a cluster task's slice: FROM:TO:WARMUP seconds")
      ->group("");  // llama task passes it
  sub->add_flag("--strict", options->strict,
                "fail (non-zero exit) on a truncated input, an infeasible or a missed SLO");
  return [options, slo, out] {
    options->plan.slo_given = slo->count() > 0;
    options->out_given = out->count() > 0;
    return run(*options);
  };
}

}  // namespace llama::app
