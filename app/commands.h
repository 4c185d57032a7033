// Each subcommand adds its options to the CLI and returns the function that runs it; main
// calls that function and maps any llama::Error to its exit code.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace llama::app {

using Command = std::function<int()>;

Command add_run_command(CLI::App& app);
Command add_validate_command(CLI::App& app);
Command add_models_command(CLI::App& app);
Command add_profile_command(CLI::App& app);
Command add_explain_command(CLI::App& app);
Command add_simulate_command(CLI::App& app);
Command add_merge_command(CLI::App& app);
Command add_report_command(CLI::App& app);
Command add_task_command(CLI::App& app);

}  // namespace llama::app
