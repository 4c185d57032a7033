#!/usr/bin/env bash
# The command line: --version, --help, bad flags (exit 2) and the SLO flags (--slo, --strict
# exit 7 on a missed SLO, with the report still written).
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

# An SLO nobody can meet: --strict exits 7, and the report is written all the same.
# --slo overrides the pipeline's slo: 1m.
expect_exit 7 "$llama" run p.yaml --input in.mkv --out "$tmp/strict" --slo 1ms --strict
expect_stderr_contains SLO
json_check strict/report.json 'r["slo_met"] is False and r["slo_s"] == 0.001 and r["status"] == "complete"'
# Without --strict a missed SLO is reported, not an error.
expect_exit 0 "$llama" run p.yaml --input in.mkv --out "$tmp/lax" --slo 1ms
json_check lax/report.json 'r["slo_met"] is False and r["slo_s"] == 0.001'
# A met SLO under --strict is fine; the pipeline's own slo applies without --slo.
expect_exit 0 "$llama" run p.yaml --input in.mkv --out "$tmp/met" --strict --json --quiet
json_check "$out" 'r["slo_met"] is True and r["slo_s"] == 60.0'
json_check met/report.json 'r["slo_met"] is True'

# An empty --slo is malformed too: it must not silently mean "no --slo".
expect_exit 2 "$llama" run p.yaml --input in.mkv --out "$tmp/empty" --slo ""
expect_stderr_contains --slo
echo "ok"
