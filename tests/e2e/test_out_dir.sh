#!/usr/bin/env bash
# Output that cannot be written exits 6 with the path named. Tests run as root, so permission
# bits would not stop a write: block it with a regular file or a folder in the way instead.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$tmp"

decode_sink_pipeline p.yaml
make_clip in.mkv 1
echo "a regular file" >file.txt

# A folder below a regular file cannot be created.
expect_exit 6 "$llama" run --static p.yaml --input in.mkv --out "$tmp/file.txt/sub"
expect_stderr_contains "$tmp/file.txt/sub"

# --out is itself a regular file.
expect_exit 6 "$llama" run --static p.yaml --input in.mkv --out "$tmp/file.txt"
expect_stderr_contains "$tmp/file.txt"
[[ $(cat file.txt) == "a regular file" ]] || fail "--out clobbered a regular file"

# The folder exists but the sink's file is a folder: the run stops, exit 6, the report
# records it as incomplete.
mkdir -p blocked/s.jsonl
expect_exit 6 "$llama" run --static p.yaml --input in.mkv --out "$tmp/blocked"
expect_stderr_contains "s.jsonl"
json_check blocked/report.json 'r["status"] == "incomplete"'

# report.json itself cannot be written.
mkdir -p noreport/report.json
expect_exit 6 "$llama" run --static p.yaml --input in.mkv --out "$tmp/noreport"
expect_stderr_contains report.json
echo "ok"
