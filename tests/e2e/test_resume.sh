#!/usr/bin/env bash
# llama run --resume: a job killed (SIGKILL, SIGTERM) after a checkpoint continues where the
# checkpoint left it, and its results equal an uninterrupted run's: no record lost, none
# twice, stateful ops (motion_filter, track, window_count, encode) going on as if never
# stopped. An incomplete job is never silently overwritten; --force starts over; a checkpoint
# of another job is refused.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

pid=
trap '[[ -n $pid ]] && kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT

clip=$tmp/clip.mp4
make_clip "$clip" 4
short=$tmp/vtest-20s.avi
ffmpeg -v error -y -i data/vtest.avi -t 20 -c copy "$short" || fail "ffmpeg could not cut vtest.avi"

# start_and_kill SIGNAL OUT ARGS...: starts `llama run ARGS --out OUT`, waits for its first
# checkpoint and then a little more, and sends SIGNAL. Leaves the exit code in $rc.
start_and_kill() {
  local signal=$1 o=$2
  shift 2
  "$llama" run "$@" --out "$o" --checkpoint-every 0.2s >"$out" 2>"$err" &
  pid=$!
  for _ in $(seq 600); do
    [[ -e $o/.llama/checkpoint ]] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  [[ -e $o/.llama/checkpoint ]] || { show_output; fail "$o: no checkpoint within 30 s"; }
  sleep 0.3
  kill -"$signal" $pid 2>/dev/null || fail "$o: the run ended before it could be killed"
  rc=0
  wait $pid || rc=$?
  pid=
}

# same_results REF OUT: every results file of the finished run equals the reference's.
same_results() {
  local ref=$1 o=$2 f
  for f in "$ref"/*.jsonl; do
    cmp -s "$f" "$o/$(basename "$f")" ||
      { diff <(head -c 3000 "$f") <(head -c 3000 "$o/$(basename "$f")") >&2 || true; fail "$o: $(basename "$f") differs from the uninterrupted run's"; }
  done
  json_check "$o/report.json" 'r["status"] == "complete" and r["resumed_from"] is not None'
  [[ ! -e $o/.llama ]] || fail "$o: the finished job kept its state folder"
}

# --- motion_filter and window_count over three inputs, killed with SIGKILL ---
args=(--static pipelines/motion_count.yaml --input data/vtest.avi --input "$clip" --input data/vtest.avi)
expect_exit 0 "$llama" run "${args[@]}" --out "$tmp/ref" --checkpoint-every off
json_check "$tmp/ref/report.json" 'r["resumed_from"] is None and r["checkpoints"]["count"] == 0'

start_and_kill KILL "$tmp/k" "${args[@]}"
[[ $rc == 137 ]] || { show_output; fail "exit $rc after SIGKILL"; }
json_check "$tmp/k/report.json" 'r["status"] == "incomplete"'
# Not overwritten without a word.
expect_exit 2 "$llama" run "${args[@]}" --out "$tmp/k"
expect_stderr_contains "holds an incomplete run"
expect_stderr_contains "--resume"
expect_stderr_contains "--force"
expect_exit 0 "$llama" run "${args[@]}" --out "$tmp/k" --resume --checkpoint-every 0.2s
expect_stderr_contains "resuming"
same_results "$tmp/ref" "$tmp/k"
json_check "$tmp/k/report.json" 'r["checkpoints"]["count"] >= 1 and r["resumed_from"]["frames"] > 0'
# The report covers the whole job: as many frames through each op as the uninterrupted run.
python3 - "$tmp/ref/report.json" "$tmp/k/report.json" <<'PY' || fail "the resumed report's counts differ"
import json, sys
ref, got = (json.load(open(p)) for p in sys.argv[1:])
for a, b in zip(ref["ops"], got["ops"]):
    assert (a["items_in"], a["items_out"]) == (b["items_in"], b["items_out"]), (a["name"], a["items_in"], b["items_in"])
PY
# Done is done: --resume again does nothing.
expect_exit 0 "$llama" run "${args[@]}" --out "$tmp/k" --resume
expect_stderr_contains "nothing to resume"

# --- SIGTERM, then --force starts over ---
start_and_kill TERM "$tmp/t" "${args[@]}"
[[ $rc == 143 ]] || { show_output; fail "exit $rc after SIGTERM"; }
[[ -e $tmp/t/.llama/checkpoint ]] || fail "SIGTERM: the checkpoint is gone"
expect_exit 0 "$llama" run "${args[@]}" --out "$tmp/t" --force
cmp -s "$tmp/ref/counts.jsonl" "$tmp/t/counts.jsonl" || fail "--force: counts differ"
[[ ! -e $tmp/t/.llama ]] || fail "--force: the state folder is left"

# --- a checkpoint of another job is refused ---
start_and_kill KILL "$tmp/other" "${args[@]}"
sed 's/threshold: 25/threshold: 30/' pipelines/motion_count.yaml >"$tmp/changed.yaml"
expect_exit 2 "$llama" run --static "$tmp/changed.yaml" --input data/vtest.avi --input "$clip" \
  --input data/vtest.avi --out "$tmp/other" --resume
expect_stderr_contains "another job"
expect_stderr_contains "pipeline file changed"
expect_exit 2 "$llama" run "${args[@]::${#args[@]}-2}" --out "$tmp/other" --resume
expect_stderr_contains "another job"

# --- track (ids going on) and window_count on detections ---
args=(--static pipelines/people_count.yaml --input "$short")
expect_exit 0 "$llama" run "${args[@]}" --out "$tmp/pref" --checkpoint-every off
start_and_kill KILL "$tmp/p" "${args[@]}"
expect_exit 0 "$llama" run "${args[@]}" --out "$tmp/p" --resume
same_results "$tmp/pref" "$tmp/p"

# --- encode: the mp4 of a resumed run has every frame, once ---
long_clip=$tmp/long.mp4
make_clip "$long_clip" 30
args=(--static pipelines/face_blur.yaml --input "$long_clip")
start_and_kill KILL "$tmp/f" "${args[@]}"
expect_exit 0 "$llama" run "${args[@]}" --out "$tmp/f" --resume
frames=$(frame_count "$tmp/f/face_blur.mp4")
[[ $frames == 300 ]] || fail "face_blur.mp4 of the resumed run has $frames frames, want 300"
ffmpeg -v error -i "$tmp/f/face_blur.mp4" -f null - 2>"$tmp/decode.log"
[[ ! -s $tmp/decode.log ]] || fail "face_blur.mp4 decodes with errors: $(head -3 "$tmp/decode.log")"
ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of default=nw=1:nk=1 "$tmp/f/face_blur.mp4" |
  python3 -c 'import sys; t=[float(x) for x in sys.stdin.read().split()]; assert t == sorted(t) and len(set(t)) == len(t) == 300, t' ||
  fail "face_blur.mp4: frame times not 300 distinct increasing"
echo ok
