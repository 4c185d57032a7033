#!/usr/bin/env bash
# A video cut short (an interrupted copy): containers that index as they go (avi, mkv) still
# open, so llama uses the frames before the cut, warns, and marks the video truncated in the
# report; --strict turns that into exit 4. An mp4 with its index (moov) at the end cannot be
# opened at all once cut: exit 4 naming the file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$tmp"

decode_sink_pipeline p.yaml

# cut_in_half FILE: keep the first half of FILE's bytes in cut-FILE.
cut_in_half() { head -c $(($(stat -c %s "$1") / 2)) "$1" >"cut-$1"; }

for ext in avi mkv; do
  make_clip "full.$ext" 6 # 60 frames
  cut_in_half "full.$ext"

  expect_exit 0 "$llama" run --static p.yaml --input "cut-full.$ext" --out "$tmp/$ext"
  expect_stderr_contains warning
  expect_stderr_contains truncated
  expect_stderr_contains "cut-full.$ext"
  json_check "$tmp/$ext/report.json" 'r["status"] == "complete"'
  json_check "$tmp/$ext/report.json" 'r["videos"][0]["truncated"] is True and r["videos"][0]["reason"] != ""'
  json_check "$tmp/$ext/report.json" '0 < r["videos"][0]["frames_decoded"] < 60'
  # What was decoded before the cut reached the sink.
  records=$(wc -l <"$tmp/$ext/s.jsonl")
  json_check "$tmp/$ext/report.json" "r['videos'][0]['frames_decoded'] == $records"

  expect_exit 4 "$llama" run --static p.yaml --input "cut-full.$ext" --out "$tmp/$ext-strict" --strict
  expect_stderr_contains truncated
done

# The intact file is not flagged.
expect_exit 0 "$llama" run --static p.yaml --input full.mkv --out "$tmp/full" --strict
json_check "$tmp/full/report.json" 'r["videos"][0]["truncated"] is False and r["videos"][0]["frames_decoded"] == 60'

make_clip full.mp4 6
cut_in_half full.mp4
expect_exit 4 "$llama" run --static p.yaml --input cut-full.mp4 --out "$tmp/mp4"
expect_stderr_contains cut-full.mp4
echo "ok"
