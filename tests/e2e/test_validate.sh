#!/usr/bin/env bash
# `llama validate`: the examples pass; each kind of bad spec exits 3 with file:line:col and a
# hint that says how to fix it; several problems are all reported at once.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"

expect_exit 0 "$llama" validate pipelines/motion_count.yaml
expect_exit 0 "$llama" validate pipelines/redact_motion.yaml
expect_exit 0 "$llama" validate pipelines/motion_count.yaml --json
json_check "$out" 'r["order"] == ["decode", "motion", "per_second", "counts"] and r["paths"] == [["decode", "motion", "per_second", "counts"]]'

# bad NAME TEXT...: the spec on stdin, written to $tmp/NAME.yaml, fails validation (exit 3)
# and stderr contains every TEXT. Specs are checked from inside $tmp so that the messages
# start with the plain file name.
bad() {
  local name=$1
  shift
  cat >"$tmp/$name.yaml"
  (cd "$tmp" && expect_exit 3 "$llama" validate "$name.yaml")
  for text in "$@"; do expect_stderr_contains "$text"; done
}

# Unbalanced bracket.
bad malformed "malformed.yaml:" "malformed YAML" <<'Y'
name: m
ops:
  - name: decode
    op: decode
    knobs:
      threads: [2, 1
  - name: s
    op: sink
    input: decode
Y
grep -qE 'malformed\.yaml:[0-9]+:[0-9]+: error' "$err" || fail "malformed YAML: no file:line:col"

# Typo in an op kind; line 6, column 9 is where the value starts.
bad typo "typo.yaml:6:9: error" "did you mean 'motion_filter'" <<'Y'
name: m
ops:
  - name: decode
    op: decode
  - name: motion
    op: motion_fliter
    input: decode
  - name: s
    op: sink
    input: motion
Y

# Typo in a key of an op; line 8, column 5 is the key.
bad key "key.yaml:8:5: error" "did you mean 'params'" <<'Y'
name: m
ops:
  - name: decode
    op: decode
  - name: motion
    op: motion_filter
    input: decode
    parms:
      threshold: 25
  - name: s
    op: sink
    input: motion
Y

# Input from an op that does not exist.
bad missing "missing.yaml:7:12: error" "motoin" <<'Y'
name: m
ops:
  - name: decode
    op: decode
  - name: s
    op: sink
    input: motoin
Y

bad cycle "cycle.yaml:" "cycle" <<'Y'
name: m
ops:
  - name: decode
    op: decode
  - name: a
    op: sample
    inputs: [decode, b]
  - name: b
    op: sample
    input: a
  - name: s
    op: sink
    input: b
Y

# encode takes frames; window_count makes counts.
bad kind "kind.yaml:12:12: error" "cannot take" <<'Y'
name: m
ops:
  - name: decode
    op: decode
  - name: w
    op: window_count
    input: decode
    params:
      window: 1s
  - name: e
    op: encode
    input: w
Y

bad threads "threads.yaml:6:" "threads" <<'Y'
name: m
ops:
  - name: decode
    op: decode
    knobs:
      threads: [0]
  - name: s
    op: sink
    input: decode
Y

bad device "device.yaml:9:" "cuda" <<'Y'
name: m
ops:
  - name: decode
    op: decode
  - name: motion
    op: motion_filter
    input: decode
    knobs:
      device: [cuda]
  - name: s
    op: sink
    input: motion
Y

# A window without units.
bad window "window.yaml:9:" "duration" <<'Y'
name: m
ops:
  - name: decode
    op: decode
  - name: w
    op: window_count
    input: decode
    params:
      window: 10
  - name: s
    op: sink
    input: w
Y

bad slo "slo.yaml:2:" "duration" <<'Y'
name: m
slo: fast
ops:
  - name: decode
    op: decode
  - name: s
    op: sink
    input: decode
Y

bad cond "cond.yaml:10:" "condition" <<'Y'
name: m
ops:
  - name: decode
    op: decode
  - name: motion
    op: motion_filter
    input: decode
  - name: s
    op: sink
    when: regions >
    input: motion
Y

# Five problems in one spec: all are listed, not just the first.
bad many "many.yaml:2:" "many.yaml:6:" "many.yaml:8:" "many.yaml:12:" "many.yaml:13:" <<'Y'
name: many
slo: fast
ops:
  - name: decode
    op: decode
    knobs: {threads: [0]}
  - name: motion
    op: motion_fliter
    input: decode
  - name: s
    op: sink
    when: regions >
    input: nowhere
Y
errors=$(grep -cE '^(llama: )?many\.yaml:[0-9]+:[0-9]+: error' "$err" || true)
((errors >= 3)) || fail "several problems: only $errors error lines"

# A spec that fails validation also fails `run`, with the same exit code.
(cd "$tmp" && expect_exit 3 "$llama" run --static many.yaml --out "$tmp/o")
echo "ok"
