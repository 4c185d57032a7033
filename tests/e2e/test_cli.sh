#!/usr/bin/env bash
# The command line: --version, --help, bad flags (exit 2) and the SLO flags (--slo, --strict
# exit 7 on a missed SLO, with the report still written; exit 9 on an SLO below the fastest
# plan, before running), --objective, --static and --no-auto-profile.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$tmp"

expect_exit 0 "$llama" --version
grep -qE '[0-9]+\.[0-9]+' "$out" "$err" || fail "--version prints no version number"
expect_exit 0 "$llama" run --help
expect_stdout_contains --slo
expect_exit 0 "$llama" validate --help

cat >p.yaml <<'Y'
name: p
slo: 1m
ops:
  - name: decode
    op: decode
  - name: s
    op: sink
    input: decode
Y
make_clip in.mkv 2

expect_exit 2 "$llama" run p.yaml --input in.mkv --out "$tmp/o" --no-such-flag
expect_stderr_contains --no-such-flag
expect_exit 2 "$llama" run p.yaml --input in.mkv --out "$tmp/o" --workers 0
expect_exit 2 "$llama" no-such-command
expect_exit 2 "$llama" run # no pipeline

# Malformed --slo values: exit 2 before anything runs, naming the flag.
for slo in 0 -1s abc 5 1x; do
  expect_exit 2 "$llama" run p.yaml --input in.mkv --out "$tmp/o" --slo "$slo"
  expect_stderr_contains --slo
done
[[ ! -e o ]] || fail "a rejected command line still wrote --out"

# An SLO nobody can meet, on the YAML's own configs (--static: no plan): --strict exits 7,
# and the report is written all the same. --slo overrides the pipeline's slo: 1m.
expect_exit 7 "$llama" run --static p.yaml --input in.mkv --out "$tmp/strict" --slo 1ms --strict
expect_stderr_contains SLO
json_check strict/report.json 'r["slo_met"] is False and r["slo_s"] == 0.001 and r["status"] == "complete" and r["objective"] == "static" and r["plan"] is None'
# Without --strict a missed SLO is reported, not an error.
expect_exit 0 "$llama" run --static p.yaml --input in.mkv --out "$tmp/lax" --slo 1ms
json_check lax/report.json 'r["slo_met"] is False and r["slo_s"] == 0.001'

# Tuning needs profiles: with --no-auto-profile an empty store is refused (exit 8), naming
# the command that fills it; nothing runs.
expect_exit 8 "$llama" run p.yaml --input in.mkv --out "$tmp/refused" --store "$tmp/none" --no-auto-profile
expect_stderr_contains "llama profile p.yaml --store $tmp/none"
[[ ! -e refused/report.json ]] || fail "a refused run wrote a report"
# Without it, the missing profiles are measured first (saying so), into --store.
expect_exit 0 "$llama" run p.yaml --input in.mkv --out "$tmp/met" --strict --json --store "$tmp/store"
expect_stderr_contains "profiling it first"
json_check "$out" 'r["slo_met"] is True and r["slo_s"] == 60.0 and r["objective"] == "slo"'
json_check met/report.json 'r["slo_met"] is True and all(o["predicted_invocation_ms"] > 0 for o in r["ops"])'
ls "$tmp"/store/*.json >/dev/null || fail "auto-profiling saved no store"
# The store now has what the plan needs: no second profiling.
expect_exit 0 "$llama" run p.yaml --input in.mkv --out "$tmp/again" --store "$tmp/store" --no-auto-profile
grep -q "profiling" "$err" && fail "profiled again with a complete store"
# An SLO below the fastest plan: said before running, and --strict stops there with exit 9.
expect_exit 9 "$llama" run p.yaml --input in.mkv --out "$tmp/infeasible" --slo 1ms --strict --store "$tmp/store"
expect_stderr_contains "below the fastest plan"
[[ ! -e infeasible/report.json ]] || fail "an infeasible --strict run still ran"
expect_exit 2 "$llama" run p.yaml --input in.mkv --out "$tmp/o" --objective quick
expect_stderr_contains "--objective 'quick'"

# An empty --slo is malformed too: it must not silently mean "no --slo".
expect_exit 2 "$llama" run p.yaml --input in.mkv --out "$tmp/empty" --slo ""
expect_stderr_contains --slo
echo "ok"
