#!/usr/bin/env bash
# What a batch job meets at the edges: a full disk, an SLO no plan can meet on a 4K video, an
# input deleted while the job runs, a model file replaced by garbage after it was profiled.
# Each ends with its own exit code and a message naming the file, and keeps what was made.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

make_clip "$tmp/clip.mp4" 10

# check_partial DIR: report.json says incomplete, and every JSONL line there is whole JSON.
check_partial() {
  json_check "$1/report.json" 'r["status"] == "incomplete" and r["complete"] == False'
  for f in "$1"/*.jsonl; do
    [[ -e $f ]] && jsonl_check "$f" 'isinstance(r, dict)'
  done
  return 0
}

# 1. A file past `ulimit -f` (EFBIG): exit 6, the error names the file, the records before it
# are kept and the report says incomplete. Without llama ignoring SIGXFSZ this killed it
# outright (exit 153, no report).
rc=0
(ulimit -f 100 && exec timeout "$limit_s" "$llama" run --static pipelines/redact_motion.yaml \
  --input "$tmp/clip.mp4" --out "$tmp/fsize" >"$out" 2>"$err") || rc=$?
[[ $rc == 6 ]] || { show_output; fail "past ulimit -f: exit $rc, want 6"; }
expect_stderr_contains "redacted.mp4: cannot write (File too large); free some space"
check_partial "$tmp/fsize"
[[ -s $tmp/fsize/regions.jsonl ]] || fail "past ulimit -f: the records made before it are gone"

# 2. A full disk (ENOSPC), on a tmpfs of 80 KiB where this machine lets us mount one (root,
# as in CI): the final report cannot be written either, so the one written at the start,
# which says incomplete, is what remains.
full=$tmp/full
mkdir -p "$full"
if mount -t tmpfs -o size=80k tmpfs "$full" 2>/dev/null; then
  trap 'umount "$full" 2>/dev/null || true; rm -rf "$tmp"' EXIT
  expect_exit 6 "$llama" run --static pipelines/redact_motion.yaml --input "$tmp/clip.mp4" \
    --out "$full/o"
  expect_stderr_contains "No space left on device"
  check_partial "$full/o"
  json_check "$full/o/report.json" '"did not finish" in r["error"]'
  [[ ! -e $full/o/report.json.tmp ]] || fail "a half-written report.json.tmp was left behind"
  umount "$full"
else
  echo "(no tmpfs could be mounted here: the ENOSPC case is skipped; ulimit -f covered EFBIG)"
fi

# 3. A 4K video and an SLO no plan meets on this machine: said before anything runs (exit 9
# with --strict), after the auto-profile, with the fastest plan's predicted latency.
ffmpeg -v error -y -f lavfi -i "testsrc2=size=3840x2160:rate=30" -t 4 -c:v libx264 \
  -preset ultrafast "$tmp/4k.mp4" || fail "ffmpeg could not make a 4K clip"
expect_exit 9 "$llama" run pipelines/motion_count.yaml --input "$tmp/4k.mp4" --slo 100ms \
  --strict --store "$tmp/store" --out "$tmp/4k"
expect_stderr_contains "SLO 100ms is below the fastest plan's predicted"
expect_stderr_contains "--strict: not running"
[[ ! -e $tmp/4k/counts.jsonl ]] || fail "an infeasible SLO with --strict still ran the job"

# 4. The second input is deleted while the first is being processed: exit 4 naming it, the
# first video's records kept, the report incomplete.
cp "$tmp/clip.mp4" "$tmp/second.mp4"
"$llama" run --static pipelines/motion_count.yaml --input data/vtest.avi \
  --input "$tmp/second.mp4" --out "$tmp/gone" >"$out" 2>"$err" &
pid=$!
for _ in $(seq 300); do
  [[ -s $tmp/gone/counts.jsonl ]] && break
  sleep 0.1
done
rm "$tmp/second.mp4"
rc=0
wait $pid || rc=$?
[[ $rc == 4 ]] || { show_output; fail "input deleted mid-run: exit $rc, want 4"; }
expect_stderr_contains "second.mp4: no such file"
check_partial "$tmp/gone"
jsonl_check "$tmp/gone/counts.jsonl" 'r["video"] == "data/vtest.avi"'

# 5. A model replaced by garbage between `llama profile` and `llama run`: its hash no longer
# matches the profile, so the run profiles again, the model fails to load, and the error
# names the file (exit 5), instead of running on numbers measured for other weights.
mkdir -p "$tmp/m"
cp models/nanodet.json models/nanodet.bin "$tmp/m/"
sed "s#\.\./models/nanodet.json#$tmp/m/nanodet.json#" pipelines/people_count.yaml >"$tmp/m/p.yaml"
ffmpeg -v error -y -i data/vtest.avi -t 2 -c:v libx264 "$tmp/m/v.mp4"
expect_exit 0 "$llama" profile "$tmp/m/p.yaml" --input "$tmp/m/v.mp4" --budget 5s \
  --store "$tmp/m/store" --quiet
head -c 100000 /dev/urandom >"$tmp/m/nanodet.bin"
expect_exit 5 "$llama" run "$tmp/m/p.yaml" --input "$tmp/m/v.mp4" --slo 30s \
  --store "$tmp/m/store" --out "$tmp/m/o"
expect_stderr_contains "the profile store lacks part of what the plan for people_count needs (objects: no config measured"
expect_stderr_contains "nanodet.json: weight shards are too short"
echo "ok"
