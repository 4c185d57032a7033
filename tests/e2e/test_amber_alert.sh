#!/usr/bin/env bash
# pipelines/megamind_gallery.yaml then pipelines/amber_alert.yaml on the first 5 s of
# Megamind.avi: the gallery holds Roxanne's face from frame 90; she is found in the frames
# she is in, the man behind her is not, and only faces reach the embedding path.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

expect_exit 0 "$llama" run --static pipelines/megamind_gallery.yaml --out "$tmp/gallery"
[[ $(wc -l <"$tmp/gallery/gallery.jsonl") == 1 ]] || fail "the gallery should hold one face"
jsonl_check "$tmp/gallery/gallery.jsonl" 'r["frame"] == 90 and len(r["embedding"]) == 192'

# The pipeline's gallery path points into out/; this test uses its own copy of the pipeline.
sed "s|gallery: ../out/megamind_gallery/gallery.jsonl|gallery: $tmp/gallery/gallery.jsonl|" \
  pipelines/amber_alert.yaml >"$tmp/amber_alert.yaml"
sed -i "s|\.\./models/|$repo/models/|" "$tmp/amber_alert.yaml"
ffmpeg -v error -i data/Megamind.avi -t 5 -an -c:v copy "$tmp/mm5.avi"
expect_exit 0 "$llama" run --static "$tmp/amber_alert.yaml" --input "$tmp/mm5.avi" --out "$tmp/o"

python3 - "$tmp/o/sightings.jsonl" "$tmp/o/report.json" <<'PY' || fail "amber_alert results are wrong"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
report = json.load(open(sys.argv[2]))
ops = {o["name"]: o for o in report["ops"]}
assert rows, "no sightings"
assert all(r["who"].startswith("Megamind@90") and r["distance"] <= 0.016 for r in rows)
# Frame 90 is the gallery's own face: it matches almost exactly.
assert any(r["frame"] == 90 and r["distance"] < 0.005 for r in rows), "frame 90 not matched"
# The man in the background (x > 400 in frames 40-60) is someone else.
assert not any(40 <= r["frame"] <= 60 and r["x"] > 400 for r in rows), "the man matched"
# Only detected faces were embedded.
assert ops["embeddings"]["items_in"] == ops["faces"]["items_out"] == ops["crops"]["items_out"]
print(len(rows), "sightings in", len({r["frame"] for r in rows}), "frames")
PY
echo ok
