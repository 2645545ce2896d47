#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The free-scanner finding, kept reproducible: frag's pfn pattern keeps
# the pages whose physical frame is a multiple of 4, and compact_memory
# on a released kernel then stops early, its scanners meeting low in the
# zone (isolate_freepages() doubles its stride to 32 over pageblocks it
# isolates nothing from, and every pfn it then samples is a kept page;
# see README, "The free scanner's stride").  The report must flag it.
# With the kept frames one higher (--pfn-offset 1), the same kernel
# compacts the whole zone: the flag is the trigger's, not the report's
# habit.  KTAP.
#
# usage: stride-trigger.sh OUT [KERNEL]   (default: kernels.sh's first)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../host/common.sh"
python=${PYTHON:-python3}
. "$here/../ktap.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUT [KERNEL]" >&2; exit 2; }
out=$1
kernel=${2:-$("$host/kernels.sh" list | sed -n 1p)}
mkdir -p "$out" || exit 1

# manual_early_stop RUN: "stopped <met_at_fraction>" or "full", from the
# run's summary.json, or nothing without one
manual_early_stop() {
	"$python" - "$1/summary.json" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for m in d["modes"]:
    if m["compaction"]["method"] == "compact_memory":
        e = m["compaction_early_stop"]
        print(f"stopped {e['met_at_fraction']}" if e else "full",
              m["pages_migrated"]["compaction"], m["compaction_s"])
EOF
}

# manual_run NAME OFFSET: manual mode on the pfn pattern at OFFSET
manual_run() {
	rm -rf "${out:?}/$1"
	"$host/demo.sh" -q --kernel "$kernel" --out "$out/$1" --timeout 900 \
		--frag-args "-p pfn --pfn-offset $2" manual >"$out/$1.log" 2>&1 ||
		{ diag "demo.sh failed:"; tail -n 12 "$out/$1.log" | while IFS= read -r l; do diag "  $l"; done; return 1; }
}

t_pfn_pattern_stops_compact_memory_early() {
	local r

	manual_run trigger 0 || return 1
	read -r -a r < <(manual_early_stop "$out/trigger")
	diag "$kernel, kept frames pfn % 4 == 0: compact_memory ${r[0]:-?} ${r[1]:-} (${r[2]:-?} pages migrated in ${r[3]:-?} s)"
	[ "${r[0]:-}" = stopped ] || return 1
	grep -q "manual: compact_memory stopped early" "$out/trigger/report.md" ||
		{ diag "report.md does not flag it"; return 1; }
}

t_offset_pattern_compacts_fully() {
	local r

	manual_run control 1 || return 1
	read -r -a r < <(manual_early_stop "$out/control")
	diag "$kernel, kept frames pfn % 4 == 1: compact_memory ${r[0]:-?} (${r[1]:-?} pages migrated in ${r[2]:-?} s)"
	[ "${r[0]:-}" = full ] || return 1
	! grep -q "compact_memory stopped early" "$out/control/report.md" ||
		{ diag "report.md flags an early stop"; return 1; }
}

ktap_run "compact_memory's early stop on frag's pfn pattern, $kernel" stride \
	"pfn_pattern_stops_compact_memory_early offset_pattern_compacts_fully"
