#!/usr/bin/env bash
# 2,000 tiny videos in one run: one record set per video and nothing doubled, while open
# files and memory stay flat. A descriptor or buffer kept per video would show here as a
# count that grows with the number of videos.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

ffmpeg -v error -y -f lavfi -i "testsrc2=size=64x48:rate=10" -t 0.3 -c:v libx264 "$tmp/clip.mp4" ||
  fail "ffmpeg could not make the clip"
decode_sink_pipeline "$tmp/p.yaml"

# run_folder N: runs the pipeline over a folder of N copies of the clip, sampling the
# process's open descriptors and peak memory (VmHWM) while it runs; sets fds and hwm_kb.
run_folder() {
  local n=$1 dir=$tmp/videos-$1
  mkdir -p "$dir"
  for i in $(seq -w 1 "$n"); do cp "$tmp/clip.mp4" "$dir/clip$i.mp4"; done
  "$llama" run --static "$tmp/p.yaml" --input "$dir" --out "$tmp/o-$n" --quiet >"$out" 2>"$err" &
  local pid=$! rc=0 count peak
  fds=0 hwm_kb=0
  while kill -0 $pid 2>/dev/null; do
    count=$(ls /proc/$pid/fd 2>/dev/null | wc -l || true) # it may end meanwhile
    peak=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || true)
    ((count > fds)) && fds=$count
    [[ -n $peak ]] && hwm_kb=$peak
    sleep 0.1
  done
  wait $pid || rc=$?
  [[ $rc == 0 ]] || { show_output; fail "$n videos: exit $rc"; }
  json_check "$tmp/o-$n/report.json" 'r["status"] == "complete"'
  # Every video once, each with its 3 frames, no record twice.
  python3 - "$tmp/o-$n/s.jsonl" "$n" <<'PY' || fail "$n videos: records are not one set per video"
import collections, json, sys
seen = collections.Counter((r["video"], r["frame"]) for r in map(json.loads, open(sys.argv[1])))
videos = collections.Counter(v for v, _ in seen)
ok = len(videos) == int(sys.argv[2]) and all(c == 3 for c in videos.values()) and max(seen.values()) == 1
sys.exit(0 if ok else 1)
PY
  echo "$n videos: at most $fds open descriptors, peak memory $((hwm_kb / 1024)) MiB"
}

run_folder 20
few_fds=$fds few_kb=$hwm_kb
run_folder 2000
((fds <= few_fds + 4)) || fail "open descriptors grow with the videos: $few_fds for 20, $fds for 2000"
# libtorch alone is ~170 MiB here; a leak of 32 KiB a video would add 62 MiB.
((hwm_kb <= few_kb + 32 * 1024)) ||
  fail "peak memory grows with the videos: $((few_kb / 1024)) MiB for 20, $((hwm_kb / 1024)) MiB for 2000"
echo "ok"
