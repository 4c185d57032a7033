#!/usr/bin/env bash
# llama explain --hindsight OUT: from the trace of a run (its journal of measured latencies),
# the cheapest plan that would have met the SLO and the run's cost over it, written into the
# run's report.json. A run without a trace, or no report, is said so.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

expect_exit 0 "$llama" profile pipelines/motion_count.yaml --store "$tmp/store" --quiet
expect_exit 0 "$llama" run pipelines/motion_count.yaml --slo 30s --store "$tmp/store" \
  --out "$tmp/o" --trace "$tmp/trace.json" --quiet
expect_exit 0 "$llama" explain --hindsight "$tmp/o" --json
json_check "$out" 'r["slo_s"] == 30 and r["best"]["latency_s"] <= 30 and r["calls_measured"] > 100'
json_check "$out" 'r["plans_considered"] >= 1 and set(r["best"]["configs"]) == {"decode", "motion", "per_second", "counts"}'
json_check "$tmp/o/report.json" 'r["hindsight_cost_usd"] > 0 and r["regret"] == r["cost"]["usd"] / r["hindsight_cost_usd"]'
json_check "$tmp/o/report.json" 'r["status"] == "complete" and r["trace"].endswith("trace.json")'
expect_exit 0 "$llama" explain --hindsight "$tmp/o"
expect_stdout_contains "the cheapest plan that met it"
expect_stdout_contains "(regret)"

expect_exit 0 "$llama" run pipelines/motion_count.yaml --slo 30s --store "$tmp/store" \
  --out "$tmp/untraced" --quiet
expect_exit 4 "$llama" explain --hindsight "$tmp/untraced"
expect_stderr_contains "the run kept no trace"
expect_stderr_contains "--trace FILE"
expect_exit 4 "$llama" explain --hindsight "$tmp/nothing"
expect_stderr_contains "nothing/report.json: cannot open it"
expect_exit 2 "$llama" explain
expect_stderr_contains "give a pipeline YAML file, or --hindsight OUT"
echo ok
