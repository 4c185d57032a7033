#!/usr/bin/env bash
# llama simulate --replay: a real run's trace holds the runtime core's journal (every latency,
# output and arrival it was told); fed to a fresh core on a virtual clock, every call the run
# started starts alike, in order. The run has straggler copies and retries, so those paths
# are replayed too. A journal that does not match, or none, is said so.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

ffmpeg -v error -i data/vtest.avi -t 6 -c copy "$tmp/vtest6.avi"
expect_exit 0 "$llama" run --static pipelines/people_count.yaml --input "$tmp/vtest6.avi" \
  --out "$tmp/o" --trace "$tmp/trace.json" --straggle 0.25 --workers 4 --fail 0.05 --quiet
json_check "$tmp/o/report.json" 'r["scheduler"]["duplicates"] >= 1 and r["scheduler"]["retries"] >= 1'

expect_exit 0 "$llama" simulate --replay "$tmp/trace.json" --json
json_check "$out" 'r["agreement"] == 1 and r["decisions"] == r["same"] >= 100 and r["first_difference"] is None'
expect_exit 0 "$llama" simulate --replay "$tmp/trace.json"
expect_stdout_contains "started alike, in the same order (100.0%)"

# A recorded decision changed: the replay parts from it there, names it, and exits 1.
python3 - "$tmp/trace.json" "$tmp/tampered.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
starts = [e for e in t["llamaReplay"]["events"] if e[0] == "next"]
starts[len(starts) // 2][7] += 1
json.dump(t, open(sys.argv[2], "w"))
PY
expect_exit 1 "$llama" simulate --replay "$tmp/tampered.json"
expect_stderr_contains "the replay parted from the run at call"

# Not a trace, a trace with no journal, no file, nothing to simulate.
echo '{"traceEvents": []}' >"$tmp/old.json"
expect_exit 4 "$llama" simulate --replay "$tmp/old.json"
expect_stderr_contains "old.json: the trace has no replay journal"
echo 'not json' >"$tmp/bad.json"
expect_exit 4 "$llama" simulate --replay "$tmp/bad.json"
expect_stderr_contains "bad.json: not a JSON trace"
expect_exit 4 "$llama" simulate --replay "$tmp/missing.json"
expect_stderr_contains "missing.json: cannot open the trace"
expect_exit 2 "$llama" simulate
expect_stderr_contains "give a pipeline YAML file, or --replay TRACE"
echo ok
