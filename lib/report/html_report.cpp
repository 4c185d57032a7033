#include "report/html_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/error.h"
#include "report/svg.h"

namespace llama::report {

using nlohmann::json;

namespace {

// Past this many invocations the timeline draws, per track, one box per pixel column (the op
// that was busiest there), so a 1-hour run stays a few hundred kB.
constexpr size_t kTimelineBoxes = 4000;
constexpr int kColumns = 600;

struct Call {
  std::string op, config;
  int track = 0, batch = 0;
  double start = 0, end = 0;
};

std::vector<Call> calls_of(const json* trace) {
  std::vector<Call> calls;
  if (!trace || !trace->contains("traceEvents")) return calls;
  for (const json& e : (*trace)["traceEvents"]) {
    if (e.value("ph", "") != "X") continue;
    Call c;
    c.op = e.value("name", "");
    c.track = e.value("tid", 0);
    c.start = e.value("ts", 0.0) / 1e6;
    c.end = c.start + e.value("dur", 0.0) / 1e6;
    const json& args = e.value("args", json::object());
    c.config = args.value("config", "");
    c.batch = args.value("batch", 0);
    calls.push_back(c);
  }
  return calls;
}

std::string money(const json& cost) {
  std::string text = fmt::format("{:.1f} core-s", cost.value("core_s", 0.0));
  if (cost.value("gpu_s", 0.0) > 0)
    text += fmt::format(" + {:.1f} GPU-s", cost.value("gpu_s", 0.0));
  if (cost.contains("usd") && cost["usd"].is_number())
    text += fmt::format(" (${:.6f})", cost["usd"].get<double>());
  return text;
}

// A fact of the header, with its value for machines (the tests compare it with report.json).
std::string fact(const std::string& id, const std::string& name, const std::string& shown,
                 const std::string& value) {
  return fmt::format(
      "<div class=\"fact\"><span class=\"name\">{}</span> <span id=\"{}\" "
      "data-value=\"{}\">{}</span></div>\n",
      html_escape(name), id, html_escape(value), html_escape(shown));
}

std::string header(const json& r) {
  std::string out =
      fmt::format("<h1>{} <small>{}</small></h1>\n", html_escape(r.value("pipeline", "")),
                  html_escape(r.value("pipeline_file", "")));
  const bool complete = r.value("complete", false);
  const double wall = r.value("wall_s", 0.0);
  std::string slo = "none";
  std::string met = "no SLO";
  if (r.contains("slo_s") && r["slo_s"].is_number()) {
    slo = fmt::format("{:.2f}s", r["slo_s"].get<double>());
    met = r.value("slo_met", false) ? "met" : "missed";
  }
  out += "<div class=\"facts\">\n";
  out += fact("status", "status", complete ? "complete" : "incomplete",
              complete ? "complete" : "incomplete");
  out += fact("latency", "latency", fmt::format("{:.2f}s", wall), fmt::format("{}", wall));
  out += fact("slo", "SLO", slo + " (" + met + ")", met);
  out += fact("cost", "cost", money(r.value("cost", json::object())),
              fmt::format("{}", r.value("cost", json::object()).value("core_s", 0.0)));
  out += fact("objective", "objective", r.value("objective", ""), r.value("objective", ""));
  const json& plan = r.value("plan", json());
  if (plan.is_object() && plan.contains("predicted"))
    out += fact("plan", "plan predicted",
                fmt::format("{:.2f}s, {}", plan["predicted"].value("latency_s", 0.0),
                            money(plan["predicted"])),
                fmt::format("{}", plan["predicted"].value("latency_s", 0.0)));
  if (plan.is_object() && plan.contains("pool"))
    out += fact("machine", "pool", plan["pool"].dump(), plan["pool"].dump());
  const json& videos = r.value("videos", json::array());
  std::string inputs;
  for (size_t i = 0; i < videos.size() && i < 5; ++i)
    inputs += (i ? ", " : "") + videos[i].value("path", "");
  if (videos.size() > 5) inputs += fmt::format(" and {} more", videos.size() - 5);
  out += fact("inputs", "inputs",
              fmt::format("{} video{}: {}", videos.size(), videos.size() == 1 ? "" : "s", inputs),
              std::to_string(videos.size()));
  int64_t frames = 0;
  for (const json& v : videos) frames += v.value("frames_decoded", int64_t{0});
  out += fact("frames", "frames decoded", std::to_string(frames), std::to_string(frames));
  out += "</div>\n";

  std::vector<std::string> warnings;
  if (!complete)
    warnings.push_back("The run did not finish: " + r.value("error", std::string("stopped")) +
                       ". The results and these charts cover what it did before.");
  int64_t read = 0;  // frames the sources passed on
  for (const json& op : r.value("ops", json::array()))
    if (op.value("op", "") == "decode") read += op.value("items_out", int64_t{0});
  if (read == 0)
    warnings.push_back(
        "No frame reached the pipeline (none was decoded, or none fell inside "
        "decode's start and end): there are no items to show.");
  for (const json& v : videos)
    if (v.value("truncated", false))
      warnings.push_back(v.value("path", "") +
                         " is truncated or damaged: " + v.value("reason", ""));
  for (const json& op : r.value("ops", json::array())) {
    const json set_aside = op.value("set_aside", json::object());
    for (const auto& [config, error] : set_aside.items())
      warnings.push_back("op " + op.value("name", "") + " at " + config +
                         " failed twice and was set aside (" + error.dump() + ")");
  }
  const json& sched = r.value("scheduler", json::object());
  if (sched.value("retries", 0) > 0)
    warnings.push_back(
        fmt::format("{} invocations failed and were retried", sched.value("retries", 0)));
  if (!warnings.empty()) {
    out += "<ul id=\"warnings\">\n";
    for (const std::string& w : warnings) out += "<li>" + html_escape(w) + "</li>\n";
    out += "</ul>\n";
  }
  return out;
}

std::string pace_chart(const json& r) {
  const json& progress = r.value("progress", json::array());
  const json& plan = r.value("plan", json());
  double last_t = r.value("wall_s", 0.0), total = 0;
  std::vector<std::pair<double, double>> points = {{0, 0}};
  for (const json& p : progress) {
    points.emplace_back(p[0].get<double>(), p[1].get<double>());
    total = std::max(total, p[1].get<double>());
  }
  if (progress.empty()) total = 0;
  double slo = r.contains("slo_s") && r["slo_s"].is_number() ? r["slo_s"].get<double>() : 0;
  double predicted = plan.is_object() && plan.contains("predicted")
                         ? plan["predicted"].value("latency_s", 0.0)
                         : 0;
  SvgChart chart("SLO pace: frames read over time",
                 {"time since the start (s)", 0, std::max({last_t, slo, predicted}) * 1.05},
                 {"frames read", 0, std::max(total, 1.0) * 1.05});
  chart.line(points, colour_of(0), "frames read");
  if (predicted > 0 && total > 0)
    chart.line({{0, 0}, {predicted, total}}, "#888", "plan's prediction", true);
  if (slo > 0) chart.vertical(slo, "#e15759", "deadline (SLO)");
  std::string out = chart.str();
  if (progress.empty())
    out += "<p class=\"note\">No progress was recorded (no frame was read).</p>\n";
  return out;
}

std::string timeline_chart(const std::vector<Call>& calls,
                           const std::map<std::string, size_t>& ops) {
  if (calls.empty())
    return "<p class=\"note\">Timeline: run with <code>--trace FILE</code> to see every invocation "
           "per CPU slot and GPU stream.</p>\n";
  std::set<int> tracks;
  double end = 0;
  for (const Call& c : calls) tracks.insert(c.track), end = std::max(end, c.end);
  std::vector<int> order(tracks.begin(), tracks.end());
  SvgChart chart("Timeline: invocations per CPU slot and GPU stream",
                 {"time since the start (s)", 0, end * 1.02},
                 {"", 0, static_cast<double>(order.size())}, 760,
                 120 + 22 * static_cast<int>(order.size()));
  auto row = [&](int track) {
    return static_cast<double>(order.size() - 1 -
                               (std::find(order.begin(), order.end(), track) - order.begin()));
  };
  for (int t : order)
    chart.row_label(row(t) + 0.5,
                    t >= 1000 ? fmt::format("GPU {}", t - 1000) : fmt::format("CPU slot {}", t));
  if (calls.size() <= kTimelineBoxes) {
    for (const Call& c : calls)
      chart.box(
          c.start, row(c.track) + 0.1, c.end, row(c.track) + 0.9, colour_of(ops.at(c.op)),
          fmt::format("{} {} x{} {:.1f} ms", c.op, c.config, c.batch, 1e3 * (c.end - c.start)));
  } else {
    // Per track and pixel column, the op busiest there.
    const double width = end / kColumns;
    std::map<std::pair<int, int>, std::map<std::string, double>> busy;
    for (const Call& c : calls)
      for (int col = static_cast<int>(c.start / width);
           col <= static_cast<int>(c.end / width) && col < kColumns; ++col) {
        const double from = std::max(c.start, col * width), to = std::min(c.end, (col + 1) * width);
        if (to > from) busy[{c.track, col}][c.op] += to - from;
      }
    for (const auto& [key, by_op] : busy) {
      auto top = std::max_element(by_op.begin(), by_op.end(),
                                  [](auto& a, auto& b) { return a.second < b.second; });
      chart.box(key.second * width, row(key.first) + 0.1, (key.second + 1) * width,
                row(key.first) + 0.9, colour_of(ops.at(top->first)),
                fmt::format("{} (busiest here)", top->first));
    }
  }
  for (const auto& [op, i] : ops) chart.legend(op, colour_of(i));
  std::string out = chart.str();
  if (calls.size() > kTimelineBoxes)
    out += fmt::format(
        "<p class=\"note\">{} invocations, drawn as the busiest op per {:.2f}s per track.</p>\n",
        calls.size(), end / kColumns);
  return out;
}

std::string decisions_chart(const std::vector<Call>& calls, const json& r) {
  if (calls.empty())
    return "<p class=\"note\">Decisions over time: run with <code>--trace FILE</code> to see the "
           "config and batch chosen for every invocation.</p>\n";
  // Ops in the report's order that ran; each a row, each invocation a box coloured by config.
  std::vector<std::string> ops;
  for (const json& op : r.value("ops", json::array()))
    for (const Call& c : calls)
      if (c.op == op.value("name", "")) {
        ops.push_back(c.op);
        break;
      }
  double end = 0;
  std::map<std::string, size_t> configs;
  for (const Call& c : calls) {
    end = std::max(end, c.end);
    configs.emplace(c.config, configs.size());
  }
  SvgChart chart("Decisions: the config and batch of every invocation over time",
                 {"time since the start (s)", 0, end * 1.02},
                 {"", 0, static_cast<double>(ops.size())}, 760,
                 120 + 22 * static_cast<int>(ops.size()));
  for (size_t i = 0; i < ops.size(); ++i) chart.row_label(ops.size() - 1 - i + 0.5, ops[i]);
  auto row = [&](const std::string& op) {
    return static_cast<double>(ops.size() - 1 -
                               (std::find(ops.begin(), ops.end(), op) - ops.begin()));
  };
  if (calls.size() <= kTimelineBoxes) {
    for (const Call& c : calls)
      if (std::find(ops.begin(), ops.end(), c.op) != ops.end())
        chart.box(c.start, row(c.op) + 0.1, c.end, row(c.op) + 0.9,
                  colour_of(configs[c.config] + 3),
                  fmt::format("{}: {} batch {}", c.op, c.config, c.batch));
  } else {
    // Per op and column, the config that ran there longest.
    const double width = end / kColumns;
    std::map<std::pair<std::string, int>, std::map<std::string, double>> held;
    for (const Call& c : calls)
      held[{c.op, std::min(kColumns - 1, static_cast<int>(c.start / width))}][c.config] +=
          c.end - c.start;
    for (const auto& [key, by_config] : held) {
      if (std::find(ops.begin(), ops.end(), key.first) == ops.end()) continue;
      auto top = std::max_element(by_config.begin(), by_config.end(),
                                  [](auto& a, auto& b) { return a.second < b.second; });
      chart.box(key.second * width, row(key.first) + 0.1, (key.second + 1) * width,
                row(key.first) + 0.9, colour_of(configs[top->first] + 3),
                fmt::format("{}: mostly {}", key.first, top->first));
    }
  }
  std::string out = chart.str();
  // Work per second: items into each op (the detector's fan-out shows here), in at most
  // kColumns buckets of whole seconds.
  const double width = std::max(1.0, std::ceil(end / kColumns));
  const int buckets = std::max(1, static_cast<int>(std::ceil(end / width)));
  std::map<std::string, std::vector<double>> per_second;
  double most = 0;
  for (const Call& c : calls) {
    auto& v = per_second[c.op];
    v.resize(buckets, 0);
    v[std::min(buckets - 1, static_cast<int>(c.start / width))] += c.batch / width;
  }
  for (const auto& [op, v] : per_second)
    most = std::max(most, *std::max_element(v.begin(), v.end()));
  SvgChart work("Work per second: items into each op",
                {"time since the start (s)", 0, buckets * width},
                {"items per second", 0, most * 1.05});
  size_t k = 0;
  for (const std::string& op : ops) {
    std::vector<std::pair<double, double>> points;
    for (int b = 0; b < buckets; ++b) points.emplace_back((b + 0.5) * width, per_second[op][b]);
    work.line(points, colour_of(k++), op);
  }
  return out + work.str();
}

std::string cost_chart(const json& r) {
  std::vector<std::string> rows;
  BarSeries core{"measured core-s", colour_of(0), {}}, gpu{"measured GPU-s", colour_of(2), {}},
      predicted{"plan's core-s", "#aaa", {}};
  std::map<std::string, double> plan_core;
  const json& plan = r.value("plan", json());
  if (plan.is_object())
    for (const json& op : plan.value("ops", json::array()))
      plan_core[op.value("op", "")] = op.value("core_s", 0.0);
  bool any_gpu = false;
  for (const json& op : r.value("ops", json::array())) {
    rows.push_back(op.value("name", ""));
    const json& cost = op.value("cost", json::object());
    core.values.push_back(cost.value("core_s", 0.0));
    gpu.values.push_back(cost.value("gpu_s", 0.0));
    any_gpu = any_gpu || cost.value("gpu_s", 0.0) > 0;
    auto p = plan_core.find(rows.back());
    predicted.values.push_back(p == plan_core.end() ? -1 : p->second);
  }
  std::vector<BarSeries> series = {core};
  if (any_gpu) series.push_back(gpu);
  if (!plan_core.empty()) series.push_back(predicted);
  std::string out = bar_chart("Cost per op: resource-seconds held",
                              "resource-seconds (core-s, GPU-s)", rows, series);
  // The job's total against the plans the planner weighed.
  if (plan.is_object() && plan.contains("predicted")) {
    auto usd = [](const json& c) {
      return c.contains("usd") && c["usd"].is_number() ? c["usd"].get<double>() : -1;
    };
    const json& cost = r.value("cost", json::object());
    const bool dollars = usd(cost) >= 0;
    auto value = [&](const json& c) {
      if (!c.is_object() || c.empty()) return -1.0;  // an older report: no such plan
      return dollars ? usd(c) : c.value("core_s", 0.0) + c.value("gpu_s", 0.0);
    };
    out += bar_chart(
        "The job's cost against the plans", dollars ? "dollars" : "resource-seconds",
        {"this run", "plan (predicted)", "fastest plan (predicted)", "cheapest plan (predicted)",
         "static plan (predicted)"},
        {{"cost",
          colour_of(0),
          {value(cost), value(plan["predicted"]), value(plan.value("fastest", json::object())),
           value(plan.value("cheapest", json::object())),
           value(plan.value("static", json::object()))}}});
  }
  return out;
}

std::string latency_chart(const json& r) {
  std::vector<std::string> rows;
  BarSeries measured{"measured ms per invocation", colour_of(0), {}},
      predicted{"predicted ms per invocation", "#aaa", {}};
  // The profile's spread: the predicted bar's upper end plus one standard deviation.
  std::map<std::string, double> stdev;
  const json& plan = r.value("plan", json());
  if (plan.is_object())
    for (const json& op : plan.value("ops", json::array()))
      stdev[op.value("op", "")] = op.value("stdev_ms", 0.0);
  BarSeries spread{"profile's spread (+1 sd)", "#ddd", {}};
  for (const json& op : r.value("ops", json::array())) {
    if (op.value("invocations", 0) == 0) continue;
    const std::string name = op.value("name", "");
    rows.push_back(name);
    measured.values.push_back(op.value("mean_invocation_ms", 0.0));
    const json& p = op.value("predicted_invocation_ms", json());
    predicted.values.push_back(p.is_number() ? p.get<double>() : -1);
    auto sd = stdev.find(name);
    spread.values.push_back(p.is_number() && sd != stdev.end() ? p.get<double>() + sd->second : -1);
  }
  if (rows.empty()) return "<p class=\"note\">No invocation ran: nothing to compare.</p>\n";
  return bar_chart("Predicted against measured: ms per invocation", "milliseconds per invocation",
                   rows, {measured, predicted, spread});
}

constexpr const char* kStyle =
    R"(body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:820px}
h1{font-size:22px}h1 small{font-size:13px;color:#666;font-weight:normal}
.facts{display:grid;grid-template-columns:1fr 1fr;gap:4px 24px;margin:12px 0}
.fact .name{color:#666;display:inline-block;min-width:120px}
#warnings{background:#fff4e5;border:1px solid #f0c080;padding:8px 8px 8px 28px}
.chart{display:block;margin:18px 0;border-top:1px solid #eee}.note{color:#666;font-size:13px}
footer{color:#888;font-size:12px;margin-top:24px})";

}  // namespace

std::string build_html_report(const json& r, const json* trace) {
  std::vector<Call> calls = calls_of(trace);
  std::map<std::string, size_t> ops;
  for (const json& op : r.value("ops", json::array()))
    ops.emplace(op.value("name", ""), ops.size());
  for (const Call& c : calls) ops.emplace(c.op, ops.size());
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>llama: " +
      html_escape(r.value("pipeline", "")) + "</title>\n<style>" + kStyle +
      "</style></head><body>\n";
  html += header(r);
  html += pace_chart(r);
  html += timeline_chart(calls, ops);
  html += cost_chart(r);
  html += latency_chart(r);
  html += decisions_chart(calls, r);
  html += "<footer>Written by llama from report.json" + std::string(trace ? " and the trace" : "") +
          "; every number here is in report.json.</footer>\n</body></html>\n";
  return html;
}

json progress_samples(const std::vector<std::pair<double, int64_t>>& samples, double wall_s) {
  constexpr size_t kMost = 400;
  json out = json::array();
  const size_t step = std::max<size_t>(1, (samples.size() + kMost - 1) / kMost);
  for (size_t i = 0; i < samples.size(); i += step)
    out.push_back({samples[i].first, samples[i].second});
  if (!samples.empty())
    out.push_back({std::max(wall_s, samples.back().first), samples.back().second});
  return out;
}

void write_html_report(const std::string& path, const std::string& html) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << html;
    if (!out.flush())
      throw Error(ExitCode::output, tmp + ": cannot write (check the disk holding --out)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(ExitCode::output, path + ": cannot write: " + ec.message());
}

}  // namespace llama::report
