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

# Outputs stay inside --out: a link there is not written through (exit 6, naming it), and
# the file it points to is left as it was.
mkdir -p linked
echo "keep me" >outside.txt
ln -s "$tmp/outside.txt" linked/s.jsonl
expect_exit 6 "$llama" run --static p.yaml --input in.mkv --out "$tmp/linked"
expect_stderr_contains "linked/s.jsonl: is a symbolic link, and llama never writes through one"
[[ $(cat outside.txt) == "keep me" ]] || fail "a sink wrote through a symbolic link out of --out"

# A pipeline whose `file:` leaves --out is a spec error (exit 3) at its line and column.
sed 's/    input: decode/    input: decode\n    params: {file: ..\/escaped.jsonl}/' p.yaml >escape.yaml
expect_exit 3 "$llama" run --static escape.yaml --input in.mkv --out "$tmp/escape"
expect_stderr_contains "escape.yaml:8:"
expect_stderr_contains "must be a file name inside --out"
[[ ! -e escaped.jsonl ]] || fail "a sink wrote outside --out"
echo "ok"
