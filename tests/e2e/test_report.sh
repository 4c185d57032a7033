#!/usr/bin/env bash
# report.html in a real browser (Debian's headless Chromium): it renders offline (no script,
# nothing fetched), every chart has drawn marks, the header's numbers are report.json's, and a
# screenshot is left in the build folder for a person to look at. A run with no frame and a
# run stopped by Ctrl-C still give a valid page that says so; llama report rewrites it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$tmp"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/setup installs it)"

chrome() { # URL ARGS...: headless, as root, with the machine's closed network left alone
  local url=$1
  shift
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/chrome" "$@" "$url" 2>>"$tmp/chrome.log"
}

# A page checked as a person would see it: the DOM Chromium built from the file.
check_page() { # OUT CHARTS: at least CHARTS charts, each with drawn marks; header = report.json
  chrome "file://$tmp/$1/report.html" --dump-dom >"$1.dom" || fail "chromium could not open $1/report.html"
  python3 - "$1.dom" "$1/report.json" "$2" <<'PY' || fail "$1/report.html: not as report.json says"
import json, sys
from html.parser import HTMLParser
dom, report, want = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), int(sys.argv[3])
class Page(HTMLParser):
    def __init__(self):
        super().__init__(); self.charts = []; self.facts = {}; self.scripts = 0; self.remote = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "chart" in a.get("class", ""): self.charts.append(0)
        if "mark" in a.get("class", "").split() and self.charts: self.charts[-1] += 1
        if "data-value" in a: self.facts[a.get("id")] = a["data-value"]
        if tag == "script": self.scripts += 1
        for k in ("src", "href"):
            if a.get(k, "").startswith(("http:", "https:", "//")): self.remote.append(a[k])
p = Page(); p.feed(dom)
assert p.scripts == 0 and not p.remote, f"scripts {p.scripts}, remote {p.remote}"
assert len(p.charts) >= want, f"{len(p.charts)} charts, want {want}"
assert all(n > 0 for n in p.charts), f"a chart without marks: {p.charts}"
assert abs(float(p.facts["latency"]) - report["wall_s"]) < 1e-6, (p.facts["latency"], report["wall_s"])
assert p.facts["status"] == report["status"]
assert int(p.facts["inputs"]) == len(report["videos"])
assert int(p.facts["frames"]) == sum(v["frames_decoded"] for v in report["videos"])
assert abs(float(p.facts["cost"]) - report["cost"]["core_s"]) < 1e-6
print(f"{len(p.charts)} charts, marks {p.charts}", file=sys.stderr)
PY
}

ffmpeg -v error -i "$repo/data/vtest.avi" -t 12 -c copy vtest12.avi
expect_exit 0 "$llama" run "$repo/pipelines/people_count.yaml" --input vtest12.avi --slo 30s \
  --store "$tmp/store" --out run --trace run.trace.json --quiet
[[ -f run/report.html ]] || fail "llama run left no report.html"
size=$(stat -c %s run/report.html)
(( size < 5000000 )) || fail "report.html is $size bytes"
check_page run 7
chrome "file://$tmp/run/report.html" --screenshot="$tmp/run.png" --window-size=900,3000 >/dev/null
[[ -s $tmp/run.png ]] || fail "no screenshot"
cp "$tmp/run.png" "$(dirname "$llama")/report-screenshot.png"

# llama report writes it again, from report.json and the trace it names.
rm run/report.html
expect_exit 0 "$llama" report run --open
expect_stdout_contains "file://$tmp/run/report.html"
check_page run 7

# Without a trace: no timeline, and the page says how to get one.
expect_exit 0 "$llama" run --static "$repo/pipelines/people_count.yaml" --input vtest12.avi --out plain --quiet
check_page plain 3
grep -qF "run with <code>--trace FILE</code>" plain/report.html || fail "no word on --trace"

# No frame at all (the decoder starts past the end): a valid page that says so.
sed 's/    op: decode/    op: decode\n    params:\n      start: 1h/' "$repo/pipelines/people_count.yaml" |
  sed "s|input: ../data/vtest.avi|input: $tmp/vtest12.avi|; s|../models/|$repo/models/|" > empty.yaml
expect_exit 0 "$llama" run --static empty.yaml --out empty --quiet
grep -qF "No frame reached the pipeline" empty/report.html || fail "a run of no frame: the page does not say so"
check_page empty 2

# Ctrl-C: the page of the incomplete run says it did not finish.
"$llama" run --static "$repo/pipelines/people_count.yaml" --input "$repo/data/vtest.avi" --out stopped \
  --quiet 2>/dev/null &
pid=$!
for _ in $(seq 100); do [[ -s stopped/sightings.jsonl ]] && break; sleep 0.1; done
kill -INT $pid
rc=0; wait $pid || rc=$?
[[ $rc == 130 ]] || fail "Ctrl-C: exit $rc, not 130"
grep -qF "The run did not finish" stopped/report.html || fail "the stopped run's page does not say so"
check_page stopped 3
echo ok
