#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The A/B path of a patch evaluation, run for real: two kernels built from
# one source (the linux-source of Debian's newest kernel), one with a
# trivial patch whose effect the experiment can see
# (extfrag-threshold-1000.patch: the allocation path stops compacting at
# order 9), one short on-demand experiment on each through the driver's
# several-kernels path, and the comparison it writes must show the
# difference: the patched kernel obtains at most half the hugepages of the
# unpatched one.  KTAP.
#
# usage: ab-test.sh OUT        run it, into OUT
#        ab-test.sh --kernels  the two kernels, as kernels.sh specs
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../host/common.sh"
python=${PYTHON:-python3}
. "$here/../ktap.sh"

# The source of Debian's newest kernel (kernels.sh's last released one)
newest=$("$host/kernels.sh" list --released | tail -n 1)
base=src:$newest,label=ab-base
patched=src:$newest,patch=$here/extfrag-threshold-1000.patch,label=ab-patched

[ "${1:-}" = --kernels ] && { echo "$base"; echo "$patched"; exit 0; }
[ $# -eq 1 ] || { echo "usage: $0 OUT | --kernels" >&2; exit 2; }
out=$1
mkdir -p "$(dirname "$out")" || exit 1

# value LABEL KEY: the on-demand figure KEY of kernel LABEL in compare.json
value() {
	"$python" - "$out/compare.json" "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for m in d["modes"]:
    if m["mode"] == "ondemand":
        v = m["values"].get(sys.argv[2], {}).get(sys.argv[3])
        print("" if v is None else v)
EOF
}

t_ab_experiment_runs() {
	rm -rf "$out"
	"$host/demo.sh" -q --kernel "$base" --kernel "$patched" \
		--out "$out" --timeout 900 ondemand >"$out.log" 2>&1
	local rc=$?
	[ "$rc" = 0 ] || { diag "demo.sh exited $rc:"; tail -n 15 "$out.log" | while IFS= read -r l; do diag "  $l"; done; }
	[ "$rc" = 0 ] && [ -f "$out/compare.json" ]
}

t_ab_comparison_shows_patch() {
	local a b

	[ -f "$out/compare.json" ] || { diag "no compare.json"; return 1; }
	a=$(value ab-base count)
	b=$(value ab-patched count)
	diag "on-demand hugepages: ab-base $a ($(value ab-base pct_of_free)% of free), ab-patched $b ($(value ab-patched pct_of_free)% of free)"
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt 0 ] && [ $((2 * b)) -le "$a" ]
}

# The patch is what changed, and the runs recorded it: each kernel's
# setup.txt has its own default.
t_ab_setup_records_patch() {
	local a b

	a=$(sed -n 's/^extfrag_threshold=//p' "$out/ab-base/setup.txt" 2>/dev/null)
	b=$(sed -n 's/^extfrag_threshold=//p' "$out/ab-patched/setup.txt" 2>/dev/null)
	diag "vm.extfrag_threshold: ab-base $a, ab-patched $b"
	[ "$a" = 500 ] && [ "$b" = 1000 ]
}

ktap_run "A/B: one patch, two kernels built from one source" ab \
	"ab_experiment_runs ab_comparison_shows_patch ab_setup_records_patch"
