#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# How often `make demo` shows the reference article's result: N fresh runs
# of it, each counted as showing it when on-demand p90 is at least 50
# times manual p90 and both modes got at least 90% of free memory.  Each
# run's summary.json and report.md are kept (and the log of a run that
# failed), the rest of it removed; the
# table and the count go to results/NAME/headline.md.
#
# usage: headline-count.sh [-n N] [-o NAME] [MAKE VARIABLES...]
#   e.g. headline-count.sh -n 20 -o headline-debian-6.1 KERNEL=debian-6.1
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
n=20
out=
ratio_min=50
pct_min=90

usage() {
	echo "usage: $0 [-n N] [-o NAME] [MAKE VARIABLES...]   (into results/NAME)" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || usage; n=$2; shift 2 ;;
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "headline-count: unknown option $1" >&2; usage ;;
	*=*) break ;;
	*) echo "headline-count: '$1' is not a make variable" >&2; usage ;;
	esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "headline-count: bad -n '$n'" >&2; usage; }
[ -n "$out" ] || out=headline-$(date +%Y%m%d-%H%M%S)
[[ $out =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || { echo "headline-count: bad name '$out'" >&2; usage; }
name=$out
out=$top/results/$name
mkdir -p "$out"

for i in $(seq 1 "$n"); do
	run=$out/run-$i
	rm -rf "$run"
	echo "headline-count: run $i of $n" >&2
	# make demo writes results/$(RUN).
	if make -s -C "$top" demo RUN="$name/run-$i" "$@" >"$out/run-$i.log" 2>&1; then
		rm -f "$out/run-$i.log"
	else
		echo "headline-count: run $i failed, see $out/run-$i.log" >&2
	fi
	find "$run" -mindepth 1 -maxdepth 1 ! -name summary.json ! -name report.md \
		-exec rm -rf {} + 2>/dev/null || true
done

python3 - "$out" "$n" "$ratio_min" "$pct_min" "$top/scripts" <<'EOF'
import json
import sys
from pathlib import Path

out, n, ratio_min, pct_min = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
sys.path.insert(0, sys.argv[5])
from analysis.kinds import METHOD_MANUAL, METHOD_NONE  # noqa: E402
rows, shown, kernel = [], 0, "?"
for i in range(1, n + 1):
    path = out / f"run-{i}" / "summary.json"
    try:
        s = json.loads(path.read_text())
    except (OSError, ValueError):
        rows.append(f"| {i} | - | - | - | - | - | - | the run failed (run-{i}.log) |")
        continue
    kernel = s.get("kernel", kernel)
    by = {r.get("compaction", {}).get("method"): r for r in reversed(s["modes"])}
    od, mn = by.get(METHOD_NONE), by.get(METHOD_MANUAL)
    if not od or not mn:
        rows.append(f"| {i} | - | - | - | - | - | - | a mode is missing |")
        continue
    ratio = od["latency_us"]["p90"] / mn["latency_us"]["p90"]
    ok = ratio >= ratio_min and od["pct_of_free"] >= pct_min and mn["pct_of_free"] >= pct_min
    shown += ok
    early = "yes" if mn.get("compaction_early_stop") else "no"
    rows.append(f"| {i} | {od['latency_us']['p90']:.0f} | {mn['latency_us']['p90']:.1f} | "
                f"{ratio:.0f}x | {od['pct_of_free']:.1f}% | {mn['pct_of_free']:.1f}% | {early} | "
                f"{'yes' if ok else 'no'} |")
text = [f"# make demo, {n} fresh runs on {kernel}", "",
        f"The article's result (on-demand p90 >= {ratio_min:g}x manual p90, both modes >= "
        f"{pct_min:g}% of free memory) in **{shown} of {n}** runs.", "",
        "| run | on-demand p90 (us) | manual p90 (us) | ratio | on-demand, % of free | "
        "manual, % of free | compact_memory stopped early | shown |",
        "|---:|---:|---:|---:|---:|---:|---|---|"] + rows
(out / "headline.md").write_text("\n".join(text) + "\n")
print(f"headline-count: the article's result in {shown} of {n} runs: {out / 'headline.md'}")
EOF
