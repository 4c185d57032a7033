#!/usr/bin/env bash
# Ctrl-C during a run: exit 130, the records made so far are on disk as whole JSON lines and
# report.json says incomplete.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

# Four passes over vtest.avi take several seconds: long enough to interrupt mid-run.
v=data/vtest.avi
"$llama" run --static pipelines/motion_count.yaml --input $v --input $v --input $v --input $v \
  --out "$tmp/o" >"$out" 2>"$err" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Interrupt once the first records are flushed (records are flushed after every batch), so
# the check does not depend on how fast the machine starts the binary.
for _ in $(seq 300); do
  [[ -s $tmp/o/counts.jsonl ]] && break
  sleep 0.1
done
[[ -s $tmp/o/counts.jsonl ]] || fail "no records after 30 s"
sleep 0.3
kill -INT $pid

# Give it 30 s to stop; a run that ignores SIGINT would otherwise finish (exit 0) or hang.
rc=0
timeout 30 tail --pid=$pid -f /dev/null || fail "llama did not stop within 30 s of SIGINT"
wait $pid || rc=$?
[[ $rc == 130 ]] || { show_output; fail "exit $rc after SIGINT, want 130"; }
expect_stderr_contains interrupted

json_check "$tmp/o/report.json" 'r["status"] == "incomplete"'
counts=$tmp/o/counts.jsonl
lines=$(wc -l <"$counts")
((lines > 0 && lines < 4 * 80)) || fail "counts.jsonl has $lines lines, want some but not all 320"
[[ $(tail -c 1 "$counts" | od -An -c | tr -d ' ') == '\n' ]] || fail "counts.jsonl ends in a partial line"
# The report counts exactly the records that reached the file.
json_check "$tmp/o/report.json" "[o['output']['records'] for o in r['ops'] if o['name'] == 'counts'] == [$lines]"
jsonl_check "$counts" 'all(k in r for k in ("video", "frame", "t", "op", "window_start", "window_end", "items", "boxes"))'
echo "ok"
