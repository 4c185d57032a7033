#!/usr/bin/env bash
# llama run --cluster slurm on the local Slurm cluster (scripts/slurm-local, started by the
# cluster.start test fixture): a folder of clips spread over tasks gives the local run's
# records byte for byte and every video; a task cancelled mid-run is resubmitted and loses
# nothing; a task that fails for good fails the job naming it and keeps the rest; a file name
# with a space, quotes and $(...) passes through unharmed; no Slurm is a clear error.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$tmp"
[[ -n ${SLURM_CONF:-} ]] || fail "SLURM_CONF is not set (run through ctest, or scripts/slurm-local start)"
limit_s=$((180 * ${LLAMA_TEST_TIME_SCALE:-1}))

# Four 2-3 s clips of pedestrians from vtest.avi, one with a name no shell may touch.
mkdir clips
cut() { ffmpeg -v error -ss "$2" -i "$repo/data/vtest.avi" -t "$3" -an -c:v mpeg4 -q:v 3 "$1" || fail "ffmpeg: $1"; }
cut "clips/a.avi" 0 3
cut "clips/b it's \$(touch pwned) \"q\".avi" 10 2
cut "clips/c.avi" 20 3
cut "clips/d.avi" 30 2

same_records() { # DIR_A DIR_B: every .jsonl file equal, byte for byte
  local f
  for f in "$1"/*.jsonl; do
    cmp -s "$f" "$2/$(basename "$f")" || fail "$(basename "$f") differs between $1 and $2"
  done
  [[ $(ls "$1"/*.jsonl | wc -l) == $(ls "$2"/*.jsonl | wc -l) ]] || fail "$1 and $2 hold different record files"
}

# --static: both runs use the YAML's first configs, so the records must be the same.
expect_exit 0 "$llama" run --static "$repo/pipelines/people_count.yaml" --input clips --out local --quiet
expect_exit 0 "$llama" run --static "$repo/pipelines/people_count.yaml" --input clips --out slurm \
  --cluster slurm --max-tasks 4 --cpus-per-task 1
expect_stderr_contains "submitted 4 tasks to Slurm"
same_records local slurm
[[ -s slurm/sightings.jsonl ]] || fail "no sightings: the comparison proves nothing"
[[ ! -e pwned && ! -e clips/pwned ]] || fail "a file name was run by a shell"
json_check slurm/report.json 'r["status"] == "complete" and len(r["cluster"]["tasks"]) == 4'
json_check slurm/report.json '[v["path"] for v in r["videos"]] == [v["path"] for v in json.load(open("local/report.json"))["videos"]]'
json_check slurm/report.json 'all(t["status"] == "complete" and t["queue_wait_s"] >= 0 and t["startup_s"] > 0 and t["run_s"] > 0 for t in r["cluster"]["tasks"])'
json_check slurm/report.json 'r["cost"]["core_s"] >= sum(t["run_s"] for t in r["cluster"]["tasks"])'
json_check slurm/report.json '[o["items_out"] for o in r["ops"]] == [o["items_out"] for o in json.load(open("local/report.json"))["ops"]]'

# face_blur: one mp4 per clip, named as a local run names them, each with every frame.
mkdir faces
ffmpeg -v error -i "$repo/data/Megamind.avi" -t 2 -an -c:v copy "faces/one.avi"
ffmpeg -v error -ss 5 -i "$repo/data/Megamind.avi" -t 2 -an -c:v mpeg4 -q:v 3 "faces/two words.avi"
expect_exit 0 "$llama" run --static "$repo/pipelines/face_blur.yaml" --input faces --out blur \
  --cluster slurm --max-tasks 2 --cpus-per-task 1 --quiet
for v in one "two words"; do
  [[ $(frame_count "blur/face_blur-$v.mp4") == $(frame_count "faces/$v.avi") ]] ||
    fail "face_blur-$v.mp4 lacks frames of faces/$v.avi"
done

# One long video cut into time segments (each read from a warm-up before it): the window
# counts equal the local run's, every sighting is there, and the tracks are the local run's
# (the same records grouped under one id), joined across the borders.
ffmpeg -v error -i "$repo/data/vtest.avi" -t 40 -c copy vtest.avi  # 400 frames
expect_exit 0 "$llama" run --static "$repo/pipelines/people_count.yaml" --input vtest.avi --out whole --quiet
expect_exit 0 "$llama" run --static "$repo/pipelines/people_count.yaml" --input vtest.avi --out cut \
  --cluster slurm --max-tasks 3 --cpus-per-task 1
expect_stderr_contains "submitted 3 tasks to Slurm"
json_check cut/report.json '[t["segment"]["from_s"] for t in r["cluster"]["tasks"]] == [0, 15, 25]'
for f in people_counts vehicle_counts; do
  cmp -s whole/$f.jsonl cut/$f.jsonl || fail "$f.jsonl: the segments' window counts differ from one run's"
done
python3 - whole/sightings.jsonl cut/sightings.jsonl <<'PY' || fail "sightings differ from one run's"
import json, sys
def load(path):
    return [json.loads(l) for l in open(path)]
whole, cut = load(sys.argv[1]), load(sys.argv[2])
strip = lambda r: {k: v for k, v in r.items() if k != "track_id"}
assert [strip(r) for r in whole] == [strip(r) for r in cut], "records other than track_id differ"
# The same tracks: one run's ids and the merged ids name the same groups of records.
pairs = {(a["track_id"], b["track_id"]) for a, b in zip(whole, cut)}
assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs}), \
    f"{len(pairs)} id pairs for {len({a for a, _ in pairs})} tracks: a track was cut or two were joined"
print(f"{len(cut)} sightings, {len(pairs)} tracks alike", file=sys.stderr)
PY

# llama merge by hand gives the same files again.
cp cut/sightings.jsonl sightings.before && rm cut/sightings.jsonl cut/people_counts.jsonl
expect_exit 0 "$llama" merge cut --quiet
cmp -s cut/sightings.jsonl sightings.before || fail "llama merge by hand: sightings differ"
cmp -s whole/people_counts.jsonl cut/people_counts.jsonl || fail "llama merge by hand: counts differ"

# face_blur on Megamind.avi in 2 segments: one mp4, every frame once.
expect_exit 0 "$llama" run --static "$repo/pipelines/face_blur.yaml" --out megamind \
  --cluster slurm --max-tasks 2 --cpus-per-task 1 --quiet
[[ $(frame_count megamind/face_blur.mp4) == $(frame_count "$repo/data/Megamind.avi") ]] ||
  fail "face_blur.mp4 from 2 segments does not have every frame of Megamind.avi"
json_check megamind/report.json 'len(r["cluster"]["tasks"]) == 2 and r["status"] == "complete"'

# The planner sizes the job: explain shows the task counts it weighed, run uses its choice,
# and the tasks' measured queue wait and start-up are kept for the next plan.
expect_exit 0 "$llama" explain "$repo/pipelines/people_count.yaml" --input vtest.avi --slo 1h \
  --cluster slurm --cpus-per-task 1 --max-tasks 4 --store store --json
json_check "$out" 'r["chosen"]["tasks"] == 1 and len(r["curve"]) >= 2 and r["overhead_samples"] == 0'
expect_exit 0 "$llama" run "$repo/pipelines/people_count.yaml" --input vtest.avi --objective fast \
  --cluster slurm --cpus-per-task 1 --max-tasks 4 --store store --out planned
expect_stderr_contains "llama: cluster plan (fast):"
json_check planned/report.json 'r["status"] == "complete" and len(r["cluster"]["tasks"]) == r["cluster"]["plan"]["chosen"]["tasks"]'
json_check planned/report.json 'r["cluster"]["plan"]["chosen"]["latency_s"] > 0 and r["cluster"]["plan"]["tasks_at_once"] == 2'
json_check store/slurm/default.json 'len(r["startup_s"]) == len(r["queue_wait_s"]) > 0'
expect_exit 0 "$llama" explain "$repo/pipelines/people_count.yaml" --input vtest.avi --slo 1h \
  --cluster slurm --cpus-per-task 1 --max-tasks 4 --store store
expect_stdout_contains "medians of"

# GPUs are asked of Slurm (gres) and billed for each task's life; the local cluster's are
# stand-ins (character devices), so the tasks run on their cpus.
expect_exit 0 "$llama" run --static "$repo/pipelines/face_blur.yaml" --input faces --out gpu \
  --cluster slurm --max-tasks 2 --cpus-per-task 1 --gpus-per-task 1 --quiet
json_check gpu/report.json 'r["cluster"]["gpus_per_task"] == 1 and r["cost"]["gpu_s"] > 0'
json_check gpu/report.json 'all(t["gpu_s"] == t["elapsed_s"] for t in r["cluster"]["tasks"])'

# A task cancelled while it runs (as a node failure or a preemption would end it) is
# submitted again; the merged records are still the local run's.
( for _ in $(seq 600); do
    if [[ -f kill/cluster/task-1.json ]]; then
      job=$(python3 -c 'import json; print(json.load(open("kill/cluster/job.json"))["submissions"][0]["job_id"])')
      sleep 1; scancel "${job}_1"; echo cancelled > kill.done; break
    fi
    sleep 0.1
  done ) &
expect_exit 0 "$llama" run --static "$repo/pipelines/people_count.yaml" --input clips --out kill \
  --cluster slurm --max-tasks 2 --cpus-per-task 1 --retries 1
wait
[[ -f kill.done ]] || fail "the test never cancelled task 1"
same_records local kill
json_check kill/report.json '[t["attempts"] for t in r["cluster"]["tasks"]] == [1, 2] and len(r["cluster"]["job_ids"]) == 2'

# A task that fails for good (its folder cannot be made) fails the job with the task named;
# the other tasks' records are kept, and the report says incomplete.
mkdir -p broken/tasks && echo "not a folder" > broken/tasks/1
expect_exit 5 "$llama" run --static "$repo/pipelines/people_count.yaml" --input clips --out broken \
  --cluster slurm --max-tasks 2 --cpus-per-task 1 --retries 1
expect_stderr_contains "task 1 (2 videos from clips/c.avi) did not finish"
expect_stderr_contains "after 2 attempts"
json_check broken/report.json 'r["status"] == "incomplete" and r["cluster"]["tasks"][0]["status"] == "complete"'
jsonl_check broken/sightings.jsonl '"clips/c.avi" not in r["video"] and "clips/d.avi" not in r["video"]'

# Ctrl-C while the tasks run: every task is cancelled, what finished is merged, exit 130.
"$llama" run --static "$repo/pipelines/people_count.yaml" --input vtest.avi --out stopped \
  --cluster slurm --max-tasks 3 --cpus-per-task 1 > /dev/null 2> stopped.err &
pid=$!
for _ in $(seq 300); do [[ -f stopped/cluster/task-0.json ]] && break; sleep 0.1; done
kill -INT $pid
rc=0; wait $pid || rc=$?
[[ $rc == 130 ]] || { cat stopped.err >&2; fail "Ctrl-C on a cluster run exited $rc, not 130"; }
grep -qF "the Slurm tasks were cancelled" stopped.err || fail "Ctrl-C: no word that the tasks were cancelled"
json_check stopped/report.json 'r["status"] == "incomplete"'
job=$(python3 -c 'import json; print(json.load(open("stopped/cluster/job.json"))["submissions"][0]["job_id"])')
for _ in $(seq 100); do [[ -z $(squeue -h -j "$job" 2>/dev/null) ]] && break; sleep 0.1; done
[[ -z $(squeue -h -j "$job" 2>/dev/null) ]] || fail "Ctrl-C left tasks of job $job in the queue"

# A cluster this machine is not on: a long job on many tasks, from the profiles measured here.
expect_exit 0 "$llama" simulate "$repo/pipelines/people_count.yaml" --input vtest.avi --store store \
  --pool slurm:tasks=8,cpus=4,startup=3s,queue=1s --frames 36000 --json
json_check "$out" 'r["tasks"] == 8 and [p["tasks"] for p in r["curve"]][:3] == [1, 2, 5] and r["startup_s"] == 3'
json_check "$out" 'all(a["latency_s"] > b["latency_s"] and a["core_s"] < b["core_s"] for a, b in zip(r["curve"], r["curve"][1:]))'
expect_exit 2 "$llama" simulate "$repo/pipelines/people_count.yaml" --pool slurm:tasks=0,cpus=4
expect_stderr_contains "tasks and cpus must be at least 1"

# Bad cluster flags and no Slurm: clear errors, distinct exit codes.
expect_exit 2 "$llama" run --static "$repo/pipelines/people_count.yaml" --input clips --out p \
  --cluster slurm --partition nosuch
expect_stderr_contains "no such partition (it has: debug, batch)"
echo "ClusterName=none" > nowhere.conf
echo "SlurmctldHost=localhost(127.0.0.1)" >> nowhere.conf
echo "SlurmctldPort=6999" >> nowhere.conf
SLURM_CONF=$tmp/nowhere.conf expect_exit 10 "$llama" run --static "$repo/pipelines/people_count.yaml" \
  --input clips --out p --cluster slurm
expect_stderr_contains "scripts/slurm-local start"
mkdir bin && for c in timeout head rm; do ln -s "$(command -v $c)" bin/; done
PATH=$tmp/bin expect_exit 10 "$llama" run --static "$repo/pipelines/people_count.yaml" \
  --input clips --out p --cluster slurm
expect_stderr_contains "Slurm is not installed here"
echo ok
