#!/usr/bin/env bash
# pipelines/face_blur.yaml on the first 3 s of Megamind.avi: every frame comes out, and the
# face blazeface finds is blurred while the rest of the frame is not.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

ffmpeg -v error -i data/Megamind.avi -t 3 -an -c:v copy "$tmp/mm3.avi"
expect_exit 0 "$llama" run --static pipelines/face_blur.yaml --input "$tmp/mm3.avi" --out "$tmp/o"
in_frames=$(frame_count "$tmp/mm3.avi")
out_frames=$(frame_count "$tmp/o/face_blur.mp4")
[[ $in_frames == "$out_frames" ]] || fail "face_blur.mp4 has $out_frames frames, the input $in_frames"
json_check "$tmp/o/report.json" '[o for o in r["ops"] if o["name"] == "faces"][0]["items_out"] == '"$in_frames"

# Frame 50: Roxanne's face (about x 220-370, y 195-345) is blurred: its detail drops; a region
# without faces (the hand and glass) keeps its detail.
gray_frame "$tmp/mm3.avi" 50 "$tmp/src.gray"
gray_frame "$tmp/o/face_blur.mp4" 50 "$tmp/dst.gray"
expect_less "$(detail_ratio 720 "$tmp/src.gray" "$tmp/dst.gray" 250 220 340 320)" 0.5 "detail left in the face"
expect_more "$(detail_ratio 720 "$tmp/src.gray" "$tmp/dst.gray" 150 330 220 430)" 0.7 "detail left in the hand and glass"
echo ok
