#!/usr/bin/env bash
# llama explain, llama simulate and the planned llama run on pipelines/people_count.yaml
# (first 10 s of vtest.avi): auto-profiling into --store (or refusing to), the plan per
# objective, an SLO below the fastest plan, another pool, a simulation on 64 cores (with
# failures), and a run that starts from the plan it printed, with its trace.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

ffmpeg -v error -i data/vtest.avi -t 10 -c copy "$tmp/vtest10.avi"
p=(pipelines/people_count.yaml --input "$tmp/vtest10.avi" --store "$tmp/store")

# Nothing profiled: --no-auto-profile refuses with exit 8 and the command that fixes it.
expect_exit 8 "$llama" explain "${p[@]}" --no-auto-profile
expect_stderr_contains "llama profile pipelines/people_count.yaml --store $tmp/store"
expect_stderr_contains "objects: no config measured"

# Without it, the store is filled first (said on stderr), then the plan printed as JSON.
expect_exit 0 "$llama" explain "${p[@]}" --slo 2m --json
expect_stderr_contains "profiling it first"
cp "$out" "$tmp/slo.json"
json_check "$tmp/slo.json" 'r["objective"] == "slo" and r["feasible"] and r["slo_s"] == 120 and r["predicted"]["latency_s"] <= 120'
# A loose SLO costs what the cheapest plan costs; the fastest plan is no slower than it.
json_check "$tmp/slo.json" 'abs(r["predicted"]["usd"] - r["cheapest"]["usd"]) <= 1e-12 and r["fastest"]["latency_s"] <= r["cheapest"]["latency_s"]'
json_check "$tmp/slo.json" '[o["op"] for o in r["ops"]][:3] == ["decode", "motion", "objects"] and all(o["latency_ms"] >= 0 and o["invocations"] > 0 for o in r["ops"])'
# Items follow the measured rates: the person branch gets part of the detections, never more.
json_check "$tmp/slo.json" 'next(o for o in r["ops"] if o["op"] == "people")["items"] <= next(o for o in r["ops"] if o["op"] == "objects")["items"] * 20'

# The store is complete now: explain measures nothing and prints the table.
expect_exit 0 "$llama" explain "${p[@]}" --no-auto-profile
grep -q "profiling" "$err" && fail "profiled again with a complete store"
expect_stdout_contains "runner-up"
expect_stdout_contains "predicted to be met"

# fast and cheap bracket every plan: fast is no slower, cheap no costlier.
expect_exit 0 "$llama" explain "${p[@]}" --objective fast --json
cp "$out" "$tmp/fast.json"
expect_exit 0 "$llama" explain "${p[@]}" --objective cheap --json
cp "$out" "$tmp/cheap.json"
python3 - "$tmp/fast.json" "$tmp/cheap.json" <<'PY' || fail "fast/cheap do not bracket"
import json, sys
fast, cheap = (json.load(open(f)) for f in sys.argv[1:])
assert fast["objective"] == "fast" and cheap["objective"] == "cheap"
assert fast["predicted"]["latency_s"] <= cheap["predicted"]["latency_s"]
assert cheap["predicted"]["usd"] <= fast["predicted"]["usd"]
PY

# An SLO between them is met at a cost no higher than fast's.
# Rounded up to whole ms: when fast and cheap are one plan, rounding down lands below it.
mid=$(python3 -c "import json, math; f=json.load(open('$tmp/fast.json')); c=json.load(open('$tmp/cheap.json')); print(math.ceil((f['predicted']['latency_s'] + c['predicted']['latency_s']) / 2 * 1000))")
expect_exit 0 "$llama" explain "${p[@]}" --slo "${mid}ms" --json
json_check "$out" "r['feasible'] and r['predicted']['latency_s'] <= r['slo_s'] and r['predicted']['usd'] <= $(python3 -c "import json; print(json.load(open('$tmp/fast.json'))['predicted']['usd'])") + 1e-12"

# Below the fastest plan: not feasible, said with both numbers. Half the fastest prediction,
# since how fast that is depends on the machine that profiled.
half=$(python3 -c "import json; print(int(json.load(open('$tmp/fast.json'))['predicted']['latency_s'] * 500))")
expect_exit 0 "$llama" explain "${p[@]}" --slo "${half}ms"
expect_stdout_contains "not feasible"
# A pool this machine does not have: 64 cores make the job faster.
expect_exit 0 "$llama" explain "${p[@]}" --objective fast --pool cpus=64 --json
json_check "$out" "r['pool']['cpus'] == 64 and r['predicted']['latency_s'] < $(python3 -c "import json; print(json.load(open('$tmp/fast.json'))['predicted']['latency_s'])")"
for bad in cpus=0 gpus=1 cpus=x cpus=4,tpus=2; do
  expect_exit 2 "$llama" explain "${p[@]}" --pool "$bad"
  expect_stderr_contains "--pool"
done
expect_exit 2 "$llama" explain "${p[@]}" --objective quick

# llama simulate: the same job on a pool this machine is not, for more frames, deterministic.
expect_exit 0 "$llama" simulate "${p[@]}" --slo 10m --pool cpus=64 --frames 20000 --json
cp "$out" "$tmp/sim.json"
json_check "$tmp/sim.json" 'r["pool"]["cpus"] == 64 and r["frames"] == 20000 and r["slo_met"] and r["invocations"] > 20000 and r["results"] > 0 and r["decision_us"]["median"] > 0'
expect_exit 0 "$llama" simulate "${p[@]}" --slo 10m --pool cpus=64 --frames 20000 --json
json_check "$out" "r['latency_s'] == $(python3 -c "import json; print(repr(json.load(open('$tmp/sim.json'))['latency_s']))")"
# With 3% of invocations failing, every result still arrives exactly once.
expect_exit 0 "$llama" simulate "${p[@]}" --slo 10m --pool cpus=64 --frames 20000 --fail 0.03 --json
json_check "$out" "r['failures'] > 0 and r['results'] == $(python3 -c "import json; print(json.load(open('$tmp/sim.json'))['results'])")"
expect_exit 0 "$llama" simulate "${p[@]}" --slo 10m --frames 500
expect_stdout_contains "decision"
expect_exit 2 "$llama" simulate "${p[@]}" --fail 0.9

# llama run starts from the plan explain printed: same configs, and the report keeps it;
# --trace writes every invocation as a Chrome trace.
expect_exit 0 "$llama" run "${p[@]}" --slo 2m --out "$tmp/run" --quiet --trace "$tmp/trace.json"
json_check "$tmp/trace.json" 'any(e["ph"] == "X" and e["name"] == "objects" and "slack_s" in e["args"] and e["dur"] > 0 for e in r["traceEvents"]) and any(e["ph"] == "M" and e["args"]["name"].startswith("CPU slot") for e in r["traceEvents"])'
json_check "$tmp/run/report.json" 'sum(o["invocations"] for o in r["ops"]) == sum(1 for e in json.load(open(sys.argv[1].replace("run/report.json", "trace.json")))["traceEvents"] if e["ph"] == "X")'
python3 - "$tmp/slo.json" "$tmp/run/report.json" <<'PY' || fail "the run did not use the plan"
import json, sys
plan, report = (json.load(open(f)) for f in sys.argv[1:])
assert report["objective"] == "slo" and report["plan"]["objective"] == "slo"
ran = {o["name"]: o for o in report["ops"]}
for o in plan["ops"]:
    config = dict(o["config"], **({"batch": str(o["batch"])} if "batch" in ran[o["op"]]["config"] else {}))
    assert ran[o["op"]]["config"] == config, (o["op"], ran[o["op"]]["config"], config)
    assert ran[o["op"]]["predicted_invocation_ms"] == o["latency_ms"]
assert report["slo_met"] is True
PY

# The detector's batch of 4 fails wherever it runs, as a CUDA out-of-memory would: it is set
# aside after a fresh instance fails too, the frames run at the op's other configs, the run
# completes with the plain run's sightings, and stderr and report.json say what was dropped.
expect_exit 0 "$llama" run "${p[@]}" --objective cheap --fail-config objects:batch=4 --out "$tmp/aside"
expect_stderr_contains "op 'objects' at {device=cpu, threads="
expect_stderr_contains "failed twice and was not used again"
json_check "$tmp/aside/report.json" 'r["status"] == "complete" and r["scheduler"]["retries"] >= 2'
json_check "$tmp/aside/report.json" 'all(c.endswith(" b4") for o in r["ops"] if o["name"] == "objects" for c in o["set_aside"]) and len([o for o in r["ops"] if o["name"] == "objects"][0]["set_aside"]) >= 1'
json_check "$tmp/aside/report.json" '[o for o in r["ops"] if o["name"] == "objects"][0]["items_in"] == [o for o in r["ops"] if o["name"] == "motion"][0]["items_out"]'
[[ $(wc -l <"$tmp/aside/sightings.jsonl") == $(wc -l <"$tmp/run/sightings.jsonl") ]] || fail "sightings lost after setting a config aside"
# Every config broken: the run stops (exit 5), names the op, and keeps what it wrote.
expect_exit 5 "$llama" run "${p[@]}" --objective cheap --fail-config objects --out "$tmp/none" --quiet
expect_stderr_contains "objects"
json_check "$tmp/none/report.json" 'r["status"] == "incomplete"'
for bad in nosuchop:batch=4 objects:batch objects:=4; do
  expect_exit 2 "$llama" run "${p[@]}" --fail-config "$bad" --out "$tmp/bad" --quiet
  expect_stderr_contains "--fail-config"
done
echo "ok"
