#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every kernel the suites boot, fetched or built before they start, one
# KTAP test each with its time: on a cold cache this is where the
# downloads, the debian-backports build tree and the kernel builds happen
# (kernel-build.sh prints its progress), so a first run's cost shows as a
# step of its own.  A second run finds them all in the cache.
#
# usage: kernels-ready.sh KERNEL...   (kernels.sh names or specs)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../host/common.sh"
. "$here/../ktap.sh"

[ $# -gt 0 ] || { echo "usage: $0 KERNEL..." >&2; exit 2; }

t_kernel_ready() {
	local start out rc

	start=$(date +%s)
	# Progress goes to the console as it comes (stderr).
	out=$("$host/kernels.sh" resolve "$1")
	rc=$?
	[ "$rc" = 0 ] || { diag "kernels.sh resolve $1 failed"; return 1; }
	diag "$(echo "$out" | sed -n 's/^label=//p'): $(echo "$out" | sed -n 's/^krel=//p') ready in $(($(date +%s) - start)) s"
}

words=
for k in "$@"; do
	words="$words kernel_ready:$k"
done
ktap_run "the kernels the suites boot" kernels "$words"
