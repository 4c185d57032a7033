#!/usr/bin/env bash
# Stopping a run from outside: Ctrl-C (SIGINT), SIGTERM (Slurm, systemd) and SIGHUP (a closed
# terminal) each exit 128 + the signal, with the records made so far on disk as whole JSON
# lines and report.json saying incomplete.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

pid=
trap '[[ -n $pid ]] && kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT

# stop_run SIGNAL EXIT_CODE: starts a run, sends SIGNAL mid-run, checks what it left.
stop_run() {
  local signal=$1 want=$2 o=$tmp/o-$1
  # Four passes over vtest.avi take several seconds: long enough to stop mid-run.
  local v=data/vtest.avi
  "$llama" run --static pipelines/motion_count.yaml --input $v --input $v --input $v --input $v \
    --out "$o" >"$out" 2>"$err" &
  pid=$!

  # Stop once the first records are flushed (records are flushed after every batch), so the
  # check does not depend on how fast the machine starts the binary.
  for _ in $(seq 300); do
    [[ -s $o/counts.jsonl ]] && break
    sleep 0.1
  done
  [[ -s $o/counts.jsonl ]] || fail "$signal: no records after 30 s"
  sleep 0.3
  kill -"$signal" $pid

  # Give it 30 s to stop; a run that ignores the signal would otherwise finish (exit 0) or hang.
  local rc=0
  timeout 30 tail --pid=$pid -f /dev/null || fail "llama did not stop within 30 s of $signal"
  wait $pid || rc=$?
  pid=
  [[ $rc == "$want" ]] || { show_output; fail "exit $rc after $signal, want $want"; }
  expect_stderr_contains interrupted

  json_check "$o/report.json" 'r["status"] == "incomplete"'
  local counts=$o/counts.jsonl lines
  lines=$(wc -l <"$counts")
  ((lines > 0 && lines < 4 * 80)) || fail "$signal: counts.jsonl has $lines lines, want some but not all 320"
  [[ $(tail -c 1 "$counts" | od -An -c | tr -d ' ') == '\n' ]] || fail "$signal: counts.jsonl ends in a partial line"
  # The report counts exactly the records that reached the file.
  json_check "$o/report.json" "[o['output']['records'] for o in r['ops'] if o['name'] == 'counts'] == [$lines]"
  jsonl_check "$counts" 'all(k in r for k in ("video", "frame", "t", "op", "window_start", "window_end", "items", "boxes"))'
  echo "$signal: exit $rc, $lines records kept"
}

stop_run INT 130
stop_run TERM 143
stop_run HUP 129

# Under nohup SIGHUP stays ignored: the job outlives its terminal and completes.
nohup "$llama" run --static pipelines/motion_count.yaml --out "$tmp/nohup" >"$out" 2>"$err" &
pid=$!
for _ in $(seq 300); do
  [[ -s $tmp/nohup/counts.jsonl ]] && break
  sleep 0.1
done
kill -HUP $pid
rc=0
wait $pid || rc=$?
pid=
[[ $rc == 0 ]] || { show_output; fail "exit $rc after SIGHUP under nohup, want 0"; }
json_check "$tmp/nohup/report.json" 'r["status"] == "complete"'
echo "ok"
