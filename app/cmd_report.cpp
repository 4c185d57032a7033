// llama report OUT: rewrites OUT/report.html from OUT/report.json and, where report.json
// names one that is still there, the run's trace (llama run --trace).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/error.h"
#include "commands.h"
#include "report/html_report.h"

namespace llama::app {

namespace {

struct ReportOptions {
  std::string out_dir;
  bool open = false;
};

nlohmann::json read_json(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw Error(ExitCode::bad_input, path + ": cannot read " + what);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ExitCode::bad_input, path + ": " + what + " is not valid JSON");
  return j;
}

int report_command(const ReportOptions& options) {
  namespace fs = std::filesystem;
  const fs::path json_path = fs::path(options.out_dir) / "report.json";
  if (!fs::exists(json_path))
    throw Error(ExitCode::bad_input, options.out_dir +
                                         ": holds no report.json (is it the --out "
                                         "of a llama run?)");
  nlohmann::json report = read_json(json_path.string(), "the run's report");
  nlohmann::json trace;
  if (report.contains("trace") && report["trace"].is_string()) {
    const std::string path = report["trace"];
    if (fs::exists(path)) {
      trace = read_json(path, "the run's trace");
    } else {
      std::cerr << "llama: warning: " << path
                << ": the run's trace is gone; the page has no timeline\n";
    }
  }
  const fs::path html = fs::path(options.out_dir) / "report.html";
  report::write_html_report(html.string(),
                            report::build_html_report(report, trace.is_null() ? nullptr : &trace));
  if (options.open)
    std::cout << "file://" << fs::absolute(html).lexically_normal().string() << "\n";
  return 0;
}

}  // namespace

Command add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* sub = app.add_subcommand(
      "report", "Write OUT/report.html again from OUT/report.json and the trace");
  sub->add_option("out", options->out_dir, "a run's --out folder")->required();
  sub->add_flag("--open", options->open, "print the page's file:// URL on stdout");
  return [options] { return report_command(*options); };
}

}  // namespace llama::app
