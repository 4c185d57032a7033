#!/usr/bin/env bash
# Bad input videos: each exits 4 with a message naming the file and the problem; none hangs
# (expect_exit has a 60 s timeout) or crashes (a signal would show as an exit code >= 128).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$tmp"

decode_sink_pipeline p.yaml

# bad_input PATH TEXT...: run p.yaml on PATH; exit 4 and stderr names PATH and each TEXT.
bad_input() {
  local path=$1
  shift
  expect_exit 4 "$llama" run --static p.yaml --input "$path" --out "$tmp/o"
  for text in "$path" "$@"; do expect_stderr_contains "$text"; done
}

bad_input missing.mp4

echo "just some text" >notes.txt
bad_input notes.txt
cp notes.txt text.mp4 # a text file with a video extension
bad_input text.mp4

ffmpeg -v error -y -f lavfi -i sine=frequency=440:duration=1 tone.m4a
bad_input tone.m4a audio

: >zero.mp4
bad_input zero.mp4 empty

mkdir novideo && echo "not a video" >novideo/readme.txt
bad_input novideo

# The same check applies to a pipeline's own input: (relative to the pipeline file).
sed 's/^ops:/input: missing.avi\nops:/' p.yaml >q.yaml
expect_exit 4 "$llama" run --static q.yaml --out "$tmp/o"
expect_stderr_contains missing.avi
echo "ok"
