#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What the guest runner (scripts/host/vm-run.sh) refuses to measure with:
# a guest whose clock is jiffies, as a self-built kernel's is when the
# TSC's calibration fails on a loaded TCG host (3 boots in 10 once).
# clocksource=jiffies forces it: the runner must boot again, then give up
# saying why, and run no job.  KTAP.
#
# usage: runner-checks.sh OUT [KERNEL]   (default: kernels.sh's first)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../host/common.sh"
. "$here/../ktap.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUT [KERNEL]" >&2; exit 2; }
out=$1
kernel=${2:-$("$host/kernels.sh" list | sed -n 1p)}
mkdir -p "$out" || exit 1

t_jiffies_clock_refused() {
	local rc

	rm -rf "${out:?}/jiffies"
	"$host/vm-run.sh" -q --kernel "$kernel" --append clocksource=jiffies \
		--out "$out/jiffies" tests module_loads >"$out/jiffies.log" 2>&1
	rc=$?
	diag "vm-run.sh exited $rc: $(tail -n 1 "$out/jiffies.log")"
	diag "$(grep -c 'booting once more' "$out/jiffies.log") boots more"
	[ "$rc" != 0 ] || { diag "a job ran on a jiffies clock"; return 1; }
	grep -q 'no fine clock in 4 boots' "$out/jiffies.log" || return 1
	! grep -q '^ok ' "$out/jiffies/console.log" || { diag "the job ran"; return 1; }
}

ktap_run "the guest runner, $kernel" runner "jiffies_clock_refused"
