#!/usr/bin/env bash
# Every op that touches pixels (decode, motion_filter, detect, crop, segment, blur, encode) on
# videos of odd, portrait and not-multiple-of-16 sizes, and a phone's rotated portrait video,
# as a new user's phone or screen recording would give. A width of 568 or 1080 once corrupted the heap in the RGB conversion
# (exit 134); every size must run to the end, keep every frame, and write the even-cropped mp4.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

cat >"$tmp/pixels.yaml" <<Y
name: pixels
models:
  nanodet: $repo/models/nanodet.json
  selfie: $repo/models/selfie.json
ops:
  - {name: decode, op: decode}
  - name: motion
    op: motion_filter
    input: decode
    params: {emit: all}
  - name: redact
    op: blur
    input: motion
    params: {radius: 5}
  - name: video
    op: encode
    input: redact
    params: {file: redacted.mp4}
  - name: objects
    op: detect
    input: decode
    params: {model: nanodet, min_score: 0.05}
  - name: crops
    op: crop
    input: objects
  - name: crop_records
    op: sink
    input: crops
  - name: people
    op: segment
    input: decode
    params: {model: selfie}
  - name: outline
    op: blur
    input: people
  - name: outline_video
    op: encode
    input: outline
    params: {file: outline.mp4}
Y

# name  size  ffmpeg source and codec (testsrc2 rounds sizes to even; testsrc keeps odd ones)
cases=(
  "w568 568x320 testsrc2 -c:v libx264"
  "w570 570x322 testsrc2 -c:v libx264"
  "portrait 1080x1920 testsrc2 -c:v libx264"
  "odd 321x241 testsrc -c:v ffv1 -pix_fmt yuv420p"
  "oddheight 640x361 testsrc -c:v libx264 -pix_fmt yuv444p"
  "tiny 17x9 testsrc -c:v ffv1 -pix_fmt yuv420p"
)
for c in "${cases[@]}"; do
  read -r name size source codec <<<"$c"
  w=${size%x*} h=${size#*x}
  ext=mp4
  [[ $codec == *ffv1* ]] && ext=mkv
  video=$tmp/$name.$ext
  # 5 frames: enough for motion between frames, short enough for a 1080x1920 detector pass.
  # shellcheck disable=SC2086 # codec holds several arguments
  ffmpeg -v error -y -f lavfi -i "$source=size=$size:rate=5" -t 1 $codec "$video" ||
    fail "ffmpeg could not make $video"

  o=$tmp/o-$name
  expect_exit 0 "$llama" run --static "$tmp/pixels.yaml" --input "$video" --out "$o" --quiet
  json_check "$o/report.json" 'r["status"] == "complete"'
  for file in redacted.mp4 outline.mp4; do
    got=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$o/$file")
    [[ $got == "$((w & ~1))x$((h & ~1))" ]] || fail "$name: $file is $got, want the even crop of $size"
    n=$(frame_count "$o/$file")
    [[ $n == 5 ]] || fail "$name: $file has $n frames, want 5"
  done
  # Crops lie inside the frame, whatever its size (min_score 0.05 finds some at every size).
  [[ -s $o/crop_records.jsonl ]] || fail "$name: no crops; the crop op was not exercised"
  jsonl_check "$o/crop_records.jsonl" \
    "r['crop'][0] >= 0 and r['crop'][1] >= 0 and r['crop'][0] + r['crop'][2] <= $w and r['crop'][1] + r['crop'][3] <= $h"
  echo "$name ($size): ok"
done

# A phone's portrait video: landscape pictures plus a display matrix turning them upright.
# Every op sees the upright frames (as the ffmpeg CLI and players show them), so the mp4s
# are portrait and boxes lie within the portrait frame.
ffmpeg -v error -y -f lavfi -i "testsrc2=size=320x240:rate=5" -t 1 -c:v libx264 "$tmp/landscape.mp4"
ffmpeg -v error -y -i "$tmp/landscape.mp4" -c copy -metadata:s:v:0 rotate=90 "$tmp/phone.mov" ||
  fail "ffmpeg could not make the rotated clip"
expect_exit 0 "$llama" run --static "$tmp/pixels.yaml" --input "$tmp/phone.mov" --out "$tmp/o-phone" --quiet
for file in redacted.mp4 outline.mp4; do
  got=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$tmp/o-phone/$file")
  [[ $got == 240x320 ]] || fail "phone: $file is $got, want 240x320 (upright)"
done
[[ -s $tmp/o-phone/crop_records.jsonl ]] || fail "phone: no crops; the crop op was not exercised"
jsonl_check "$tmp/o-phone/crop_records.jsonl" "r['crop'][0] + r['crop'][2] <= 240 and r['crop'][1] + r['crop'][3] <= 320"
echo "phone (320x240 turned 90 degrees): ok"
echo "ok"
