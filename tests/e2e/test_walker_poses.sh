#!/usr/bin/env bash
# pipelines/walker_poses.yaml on the first 10 s of vtest.avi: every person nanodet finds gets
# 17 named keypoints from movenet, inside the box it looked at, and upright walkers have
# their nose above their ankles.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

ffmpeg -v error -i data/vtest.avi -t 10 -c copy "$tmp/vtest10.avi"
expect_exit 0 "$llama" run --static pipelines/walker_poses.yaml --input "$tmp/vtest10.avi" --out "$tmp/o"
o=$tmp/o
json_check "$o/report.json" 'r["status"] == "complete"'
json_check "$o/report.json" '[o for o in r["ops"] if o["name"] == "poses"][0]["items_in"] == [o for o in r["ops"] if o["name"] == "people"][0]["items_out"] > 0'

names='["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]'
# Keypoints lie in the person's box grown by the op's 10% margin per side.
jsonl_check "$o/keypoints.jsonl" "[k['name'] for k in r['keypoints']] == $names and r['label'] == 'person' and r['pose_score'] >= 0.3 and all(r['x'] - 0.1 * r['w'] - 1 <= k['x'] <= r['x'] + 1.1 * r['w'] + 1 and r['y'] - 0.1 * r['h'] - 1 <= k['y'] <= r['y'] + 1.1 * r['h'] + 1 for k in r['keypoints'])"
python3 - "$o/keypoints.jsonl" <<'PY' || fail "poses are not upright people"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) >= 10, len(rows)
sure = 0
for r in rows:
    k = {p["name"]: p for p in r["keypoints"]}
    ankles = [k[a] for a in ("left_ankle", "right_ankle") if k[a]["score"] >= 0.3]
    if k["nose"]["score"] < 0.3 or not ankles:
        continue
    sure += 1
    # The nose sits in the top third of the person, the ankles below its middle.
    assert k["nose"]["y"] < r["y"] + r["h"] / 3, r
    assert all(a["y"] > r["y"] + r["h"] / 2 for a in ankles), r
assert sure >= 5, sure
PY
echo ok
