#!/usr/bin/env bash
# pipelines/person_blur.yaml on the first 3 s of Megamind.avi: the selfie model's mask says
# where Roxanne is, and blur follows it: her face loses its detail, the candle in front of
# her keeps its own. Every frame comes out, with the share of it that is person.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

ffmpeg -v error -i data/Megamind.avi -t 3 -an -c:v copy "$tmp/mm3.avi"
expect_exit 0 "$llama" run --static pipelines/person_blur.yaml --input "$tmp/mm3.avi" --out "$tmp/o"
in_frames=$(frame_count "$tmp/mm3.avi")
out_frames=$(frame_count "$tmp/o/person_blur.mp4")
[[ $in_frames == "$out_frames" ]] || fail "person_blur.mp4 has $out_frames frames, the input $in_frames"
[[ $(wc -l <"$tmp/o/coverage.jsonl") == "$in_frames" ]] || fail "want one coverage line per frame"
jsonl_check "$tmp/o/coverage.jsonl" '0 <= r["person_share"] <= 1 and r["op"] == "people"'
# Roxanne fills a good part of the frame from about 1 s on.
jsonl_check "$tmp/o/coverage.jsonl" 'r["t"] < 1 or 0.1 < r["person_share"] < 0.7'

gray_frame "$tmp/mm3.avi" 50 "$tmp/src.gray"
gray_frame "$tmp/o/person_blur.mp4" 50 "$tmp/dst.gray"
expect_less "$(detail_ratio 720 "$tmp/src.gray" "$tmp/dst.gray" 250 220 340 320)" 0.5 "detail left in her face"
# The lit candle glass on the table is not a person.
expect_more "$(detail_ratio 720 "$tmp/src.gray" "$tmp/dst.gray" 440 385 545 525)" 0.7 "detail left in the candle"
echo ok
