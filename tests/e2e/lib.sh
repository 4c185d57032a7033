# Shared helpers for the end-to-end tests; sourced by each tests/e2e/test_*.sh.
# Usage in a test:  source "$(dirname "$0")/lib.sh"; llama=$1; repo=$2

llama=${1:?usage: test_X.sh LLAMA_BINARY REPO_ROOT}
repo=${2:?usage: test_X.sh LLAMA_BINARY REPO_ROOT}
llama=$(cd "$(dirname "$llama")" && pwd)/$(basename "$llama")
repo=$(cd "$repo" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/stdout # stdout of the last expect_exit
err=$tmp/stderr # stderr of the last expect_exit

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

show_output() {
  echo "--- stdout:" >&2
  head -c 4000 "$out" >&2 || true
  echo "--- stderr:" >&2
  head -c 4000 "$err" >&2 || true
}

# A command's time limit, so nothing hangs the suite; scripts/sanitize scales it, since
# programs under ASan run a few times slower.
limit_s=$((60 * ${LLAMA_TEST_TIME_SCALE:-1}))

# expect_exit CODE cmd...: runs cmd (under the $limit_s timeout), keeps its stdout/stderr in
# $out/$err and fails unless it exits with CODE.
expect_exit() {
  local want=$1
  shift
  local rc=0
  timeout "$limit_s" "$@" >"$out" 2>"$err" || rc=$?
  if [[ $rc != "$want" ]]; then
    echo "FAIL: expected exit $want, got $rc: $*" >&2
    [[ $rc == 124 ]] && echo "(timed out after $limit_s s)" >&2
    show_output
    exit 1
  fi
}

# expect_stderr_contains TEXT: the last expect_exit's stderr holds TEXT (fixed string).
expect_stderr_contains() {
  grep -qF -- "$1" "$err" || {
    echo "FAIL: stderr lacks '$1'" >&2
    show_output
    exit 1
  }
}

expect_stdout_contains() {
  grep -qF -- "$1" "$out" || {
    echo "FAIL: stdout lacks '$1'" >&2
    show_output
    exit 1
  }
}

# json_check FILE PYTHON_EXPR: evaluates PYTHON_EXPR with `r` bound to FILE's JSON; fails
# with the expression if it is false. Example: json_check report.json 'r["status"] == "complete"'
json_check() {
  python3 - "$1" "$2" <<'PY' || fail "$1: not true: $2"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# jsonl_check FILE PYTHON_EXPR: every line of FILE is a JSON object and PYTHON_EXPR holds
# with `r` bound to it; prints the first bad line otherwise.
jsonl_check() {
  python3 - "$1" "$2" <<'PY' || fail "$1: a line is not valid JSON or not true: $2"
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        r = json.loads(line)
        ok = isinstance(r, dict) and eval(sys.argv[2])
    except Exception as e:
        ok, r = False, f"{line!r} ({e})"
    if not ok:
        print(f"{sys.argv[1]}:{n}: {r}", file=sys.stderr)
        sys.exit(1)
PY
}

# make_clip FILE SECONDS [extra ffmpeg output args]: a small moving test pattern, 320x240 10 fps.
make_clip() {
  local file=$1 secs=$2
  shift 2
  ffmpeg -v error -y -f lavfi -i "testsrc2=size=320x240:rate=10" -t "$secs" -pix_fmt yuv420p "$@" "$file" ||
    fail "ffmpeg could not make $file"
}

# frame_count FILE: decoded frame count of the first video stream.
frame_count() {
  ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames \
    -of default=nw=1:nk=1 "$1"
}

# decode_sink_pipeline FILE: the smallest real pipeline (decode -> sink s), no input of its own.
decode_sink_pipeline() {
  cat >"$1" <<'Y'
name: p
ops:
  - name: decode
    op: decode
  - name: s
    op: sink
    input: decode
Y
}

# gray_frame VIDEO N OUT: frame N of VIDEO as raw 8-bit gray.
gray_frame() {
  ffmpeg -v error -i "$1" -vf "select=eq(n\,$2)" -frames:v 1 -f rawvideo -pix_fmt gray "$3" ||
    fail "ffmpeg could not take frame $2 of $1"
}

# detail_ratio WIDTH SRC DST X0 Y0 X1 Y1: how much detail (mean absolute difference between
# horizontal neighbours) the box keeps from gray frame SRC to DST; ~1 untouched, ~0 blurred.
detail_ratio() {
  python3 - "$@" <<'PY'
import sys
w, src, dst = int(sys.argv[1]), open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
x0, y0, x1, y1 = map(int, sys.argv[4:8])
def detail(img):
    d = [abs(img[y * w + x] - img[y * w + x + 1]) for y in range(y0, y1) for x in range(x0, x1)]
    return sum(d) / len(d)
print(f"{detail(dst) / detail(src):.3f}")
PY
}

# expect_less A B WHAT / expect_more A B WHAT: numeric comparisons that fail with WHAT.
expect_less() { awk "BEGIN { exit !($1 < $2) }" || fail "$3: $1 is not below $2"; }
expect_more() { awk "BEGIN { exit !($1 > $2) }" || fail "$3: $1 is not above $2"; }
