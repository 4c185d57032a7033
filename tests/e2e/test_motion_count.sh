#!/usr/bin/env bash
# The main job: pipelines/motion_count.yaml on data/vtest.avi (795 frames, 10 fps = 79.5 s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

expect_exit 0 "$llama" run --static pipelines/motion_count.yaml --out "$tmp/o"
counts=$tmp/o/counts.jsonl
[[ -f $counts ]] || fail "no counts.jsonl in --out"

# 1 s windows over 79.5 s of video: 80 windows, one record each.
lines=$(wc -l <"$counts")
[[ $lines == 80 ]] || fail "counts.jsonl has $lines lines, want 80"
jsonl_check "$counts" 'all(k in r for k in ("video", "frame", "t", "op", "window_start", "window_end", "items", "boxes"))'
jsonl_check "$counts" 'r["video"].endswith("vtest.avi") and r["op"] == "per_second" and r["window_end"] - r["window_start"] == 1.0'

report=$tmp/o/report.json
json_check "$report" 'r["status"] == "complete"'
json_check "$report" 'any(o["op"] == "decode" and o["items_out"] == 795 for o in r["ops"])'
json_check "$report" 'r["videos"][0]["frames_decoded"] == 795 and not r["videos"][0]["truncated"]'

# --json: stdout is exactly one JSON object (the report), nothing else.
expect_exit 0 "$llama" run --static pipelines/motion_count.yaml --out "$tmp/j" --json
json_check "$out" 'r["status"] == "complete" and r["pipeline"] == "motion_count"'

# --quiet: no progress or summary on stderr.
expect_exit 0 "$llama" run --static pipelines/motion_count.yaml --out "$tmp/q" --quiet
[[ ! -s $err ]] || { show_output; fail "--quiet printed on stderr"; }

# The cost report: each op's core-seconds are its busy time times its threads; dollars at the
# shipped price sheet, also when llama runs from another folder.
json_check "$tmp/q/report.json" 'all(abs(o["cost"]["core_s"] - o["busy_s"] * int(o["config"].get("threads", 1))) < 1e-9 for o in r["ops"])'
json_check "$tmp/q/report.json" 'r["cost"]["usd"] > 0 and abs(r["cost"]["core_s"] - sum(o["cost"]["core_s"] for o in r["ops"])) < 1e-9 and r["prices"].endswith("profiles/prices.yaml")'
(cd "$tmp" && expect_exit 0 "$llama" run --static "$repo/pipelines/motion_count.yaml" --out "$tmp/elsewhere" --quiet)
json_check "$tmp/elsewhere/report.json" 'r["cost"]["usd"] > 0'
printf 'cpu_core_second: cheap\ngpu_second: 0\n' >"$tmp/prices.yaml"
expect_exit 3 "$llama" run --static pipelines/motion_count.yaml --out "$tmp/p" --prices "$tmp/prices.yaml"
expect_stderr_contains "prices.yaml:1:18: error: cpu_core_second must be a number of dollars"
echo "ok"
