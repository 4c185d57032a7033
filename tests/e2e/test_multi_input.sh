#!/usr/bin/env bash
# Several videos in one job, given as repeated --input or as a folder: every record names its
# video, the report lists each video, and encode writes one mp4 per video.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$tmp"

mkdir clips
make_clip clips/a.mp4 2 # 20 frames
# A different picture (negated), so a motion filter that compared across videos would see
# motion at b's frame 0.
make_clip clips/b.mkv 3 -vf negate # 30 frames

expect_exit 0 "$llama" run --static "$repo/pipelines/motion_count.yaml" --input clips/a.mp4 --input clips/b.mkv --out "$tmp/two"
json_check two/report.json 'r["status"] == "complete" and [v["path"] for v in r["videos"]] == ["clips/a.mp4", "clips/b.mkv"]'
json_check two/report.json '[v["frames_decoded"] for v in r["videos"]] == [20, 30]'
python3 - two/counts.jsonl <<'PY' || fail "counts.jsonl does not name both videos with their own windows"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
videos = {r["video"] for r in recs}
assert videos == {"clips/a.mp4", "clips/b.mkv"}, videos
# Windows restart at 0 for each video: 2 windows for a (2 s), 3 for b (3 s).
for v, n in (("clips/a.mp4", 2), ("clips/b.mkv", 3)):
    starts = sorted(r["window_start"] for r in recs if r["video"] == v)
    assert starts == [float(i) for i in range(n)], (v, starts)
PY

# A folder holding both: the same job.
expect_exit 0 "$llama" run --static "$repo/pipelines/motion_count.yaml" --input clips --out "$tmp/folder"
json_check folder/report.json 'sorted(v["path"].split("/")[-1] for v in r["videos"]) == ["a.mp4", "b.mkv"]'
python3 -c 'import json, sys; assert {json.loads(l)["video"].split("/")[-1] for l in open(sys.argv[1])} == {"a.mp4", "b.mkv"}' \
  folder/counts.jsonl || fail "--input FOLDER: counts.jsonl does not name both videos"

# encode: one mp4 per video, each with all of its frames; motion state does not leak from
# one video to the next (nothing can have moved at a video's first frame).
expect_exit 0 "$llama" run --static "$repo/pipelines/redact_motion.yaml" --input clips/a.mp4 --input clips/b.mkv --out "$tmp/enc" --quiet
[[ $(frame_count enc/redacted-a.mp4) == 20 ]] || fail "redacted-a.mp4 does not have 20 frames"
[[ $(frame_count enc/redacted-b.mp4) == 30 ]] || fail "redacted-b.mp4 does not have 30 frames"
python3 -c 'import json, sys; bad = [l for l in open(sys.argv[1]) if json.loads(l)["frame"] == 0]; sys.exit(1 if bad else 0)' \
  enc/regions.jsonl || fail "motion found at a video's frame 0 (compared with the previous video?)"
echo "ok"
