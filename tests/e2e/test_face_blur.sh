#!/usr/bin/env bash
# pipelines/face_blur.yaml on the first 3 s of Megamind.avi: every frame comes out, and the
# face blazeface finds is blurred while the rest of the frame is not.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

ffmpeg -v error -i data/Megamind.avi -t 3 -an -c:v copy "$tmp/mm3.avi"
expect_exit 0 "$llama" run pipelines/face_blur.yaml --input "$tmp/mm3.avi" --out "$tmp/o"
in_frames=$(frame_count "$tmp/mm3.avi")
out_frames=$(frame_count "$tmp/o/face_blur.mp4")
[[ $in_frames == "$out_frames" ]] || fail "face_blur.mp4 has $out_frames frames, the input $in_frames"
json_check "$tmp/o/report.json" '[o for o in r["ops"] if o["name"] == "faces"][0]["items_out"] == '"$in_frames"

# Frame 50: Roxanne's face (about x 220-370, y 195-345) is blurred: its detail (mean absolute
# difference between neighbouring pixels) drops; a region without faces keeps its detail.
gray() { ffmpeg -v error -i "$1" -vf "select=eq(n\,50)" -frames:v 1 -f rawvideo -pix_fmt gray "$2"; }
gray "$tmp/mm3.avi" "$tmp/src.gray"
gray "$tmp/o/face_blur.mp4" "$tmp/dst.gray"
python3 - "$tmp/src.gray" "$tmp/dst.gray" <<'PY' || fail "the face in frame 50 is not blurred"
import sys
W = 720
src, dst = (open(p, "rb").read() for p in sys.argv[1:3])
def detail(img, x0, y0, x1, y1):
    d = [abs(img[y * W + x] - img[y * W + x + 1]) for y in range(y0, y1) for x in range(x0, x1)]
    return sum(d) / len(d)
face = (250, 220, 340, 320)
glass = (150, 330, 220, 430)  # the hand and glass: sharp, no face
assert detail(dst, *face) < 0.5 * detail(src, *face), (detail(src, *face), detail(dst, *face))
assert detail(dst, *glass) > 0.7 * detail(src, *glass), (detail(src, *glass), detail(dst, *glass))
PY
echo ok
