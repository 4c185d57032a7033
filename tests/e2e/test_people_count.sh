#!/usr/bin/env bash
# pipelines/people_count.yaml on the first 10 s of vtest.avi: nanodet finds the walkers, the
# person branch tracks them into distinct counts per window, the vehicle branch counts the
# parked cars, and only frames that changed reach the detector.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

ffmpeg -v error -i data/vtest.avi -t 10 -c copy "$tmp/vtest10.avi"
expect_exit 0 "$llama" run --static pipelines/people_count.yaml --input "$tmp/vtest10.avi" --out "$tmp/o"
o=$tmp/o

json_check "$o/report.json" 'r["status"] == "complete"'
# Two 5 s windows; people are walking through all of them.
[[ $(wc -l <"$o/people_counts.jsonl") == 2 ]] || fail "want 2 windows of people counts"
jsonl_check "$o/people_counts.jsonl" '3 <= r["distinct"] <= r["items"] and r["op"] == "people_per_window"'
jsonl_check "$o/vehicle_counts.jsonl" 'r["distinct"] >= 1'
# Every sighting is a tracked person with a box in the frame.
jsonl_check "$o/sightings.jsonl" 'r["label"] == "person" and r["track_id"] >= 0 and r["score"] >= 0.35 and 0 <= r["x"] < 768 and 0 <= r["y"] < 576'
# Tracking merges sightings: far fewer tracks than sightings.
python3 - "$o/sightings.jsonl" <<'PY' || fail "tracks do not persist across frames"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
tracks = {r["track_id"] for r in rows}
assert len(rows) >= 4 * len(tracks), (len(rows), len(tracks))
PY
# The detector saw only what the motion filter passed, at the pipeline's 5 fps.
json_check "$o/report.json" '[o for o in r["ops"] if o["name"] == "objects"][0]["items_in"] == [o for o in r["ops"] if o["name"] == "motion"][0]["items_out"] <= 50'

# One invocation in ten fails (injected before it runs) and is retried: the results are the
# same, line for line, and none is lost or doubled (checked below).
expect_exit 0 "$llama" run --static pipelines/people_count.yaml --input "$tmp/vtest10.avi" \
  --out "$tmp/retried" --fail 0.1 --quiet
json_check "$tmp/retried/report.json" 'r["status"] == "complete" and r["scheduler"]["retries"] >= 3'
json_check "$tmp/retried/report.json" 'sum(o["retries"] for o in r["ops"]) == r["scheduler"]["retries"]'
# Every fourth detector invocation is made five times slower: a free worker runs a copy of
# each straggler (4 workers, so 2 cores are free beside a 2-thread detector), the first
# result counts, and the output is again the same.
expect_exit 0 "$llama" run --static pipelines/people_count.yaml --input "$tmp/vtest10.avi" \
  --out "$tmp/duplicated" --straggle 0.25 --workers 4 --quiet
json_check "$tmp/duplicated/report.json" 'r["status"] == "complete" and r["scheduler"]["duplicates"] >= 1'
json_check "$tmp/duplicated/report.json" '[o for o in r["ops"] if o["name"] == "objects"][0]["duplicates"] == r["scheduler"]["duplicates"]'

# Scores may differ in the last bits: batches form by timing, and a batch of 4 sums in
# another order than a batch of 1.
for f in retried/people_counts retried/vehicle_counts retried/sightings \
  duplicated/people_counts duplicated/vehicle_counts duplicated/sightings; do
  python3 - "$o/${f#*/}.jsonl" "$tmp/$f.jsonl" <<'PY' || fail "$f.jsonl differs from the plain run's"
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:])
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    assert x.keys() == y.keys(), (x, y)
    for k in x:
        same = abs(x[k] - y[k]) < 1e-3 if isinstance(x[k], float) else x[k] == y[k]
        assert same, (k, x, y)
PY
done
echo ok
