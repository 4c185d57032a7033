#!/usr/bin/env bash
# pipelines/redact_motion.yaml on a short synthetic clip (--input replaces vtest.avi to stay
# fast): a redacted h264 mp4 with every input frame, and the moving regions as JSONL.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

make_clip "$tmp/in.mp4" 3 # testsrc2 moves every frame: 30 frames
expect_exit 0 "$llama" run --static pipelines/redact_motion.yaml --input "$tmp/in.mp4" --out "$tmp/o"

video=$tmp/o/redacted.mp4
[[ -s $video ]] || fail "no redacted.mp4 in --out"
codec=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of default=nw=1:nk=1 "$video")
[[ $codec == h264 ]] || fail "redacted.mp4 codec is '$codec', want h264"
n=$(frame_count "$video")
[[ $n == 30 ]] || fail "redacted.mp4 has $n frames, want 30 (every input frame)"

regions=$tmp/o/regions.jsonl
[[ -s $regions ]] || fail "regions.jsonl missing or empty"
jsonl_check "$regions" 'r["op"] == "motion" and r["regions"] > 0 and len(r["boxes"]) == r["regions"] and all(len(b) == 4 for b in r["boxes"])'
json_check "$tmp/o/report.json" 'r["status"] == "complete"'

# The first box of frame 10 is blurred: inside it the output differs clearly from the source
# (far more than h264 noise, which stays within a few grey levels).
gray_frame() { ffmpeg -v error -i "$1" -vf "select=eq(n\,10)" -frames:v 1 -f rawvideo -pix_fmt gray "$2"; }
gray_frame "$tmp/in.mp4" "$tmp/src.gray"
gray_frame "$video" "$tmp/dst.gray"
python3 - "$regions" "$tmp/src.gray" "$tmp/dst.gray" <<'PY' || fail "frame 10 is not blurred inside its motion box"
import json, sys
rec = next(r for r in map(json.loads, open(sys.argv[1])) if r["frame"] == 10)
x, y, w, h = rec["boxes"][0]
src, dst = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
diff = [abs(src[(y + j) * 320 + x + i] - dst[(y + j) * 320 + x + i]) for j in range(h) for i in range(w)]
mean = sum(diff) / len(diff)
print(f"mean |src - out| in box {rec['boxes'][0]}: {mean:.1f}")
sys.exit(0 if mean > 8 else 1)
PY

# --quiet: nothing on stderr, not even the encoder library's banner.
expect_exit 0 "$llama" run --static pipelines/redact_motion.yaml --input "$tmp/in.mp4" --out "$tmp/q" --quiet
[[ ! -s $err ]] || { show_output; fail "--quiet printed on stderr"; }
echo "ok"
