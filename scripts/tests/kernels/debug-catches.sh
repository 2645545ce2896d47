#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Proof that the guest suite on an instrumented kernel catches a bug: the
# module built with a deliberate use-after-free
# (KHUGEHOG_INJECT_USE_AFTER_FREE, a read of the freed command buffer
# after every debugfs control write) must fail the guest test that wrote
# the command, and the failure must name KASAN.  The same tests pass in
# the suite without the macro.  KTAP.
#
# usage: debug-catches.sh KERNEL OUT
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../host/common.sh"
. "$here/../ktap.sh"

[ $# -eq 2 ] || { echo "usage: $0 KERNEL OUT" >&2; exit 2; }
kernel=$1 out=$2

t_suite_catches_injected_use_after_free() {
	local rc

	rm -rf "$out"
	"$host/vm-run.sh" -q --kernel "$kernel" --timeout 1800 --out "$out" \
		--kcflags -DKHUGEHOG_INJECT_USE_AFTER_FREE tests release_returns_memory \
		>"$out.log" 2>&1
	rc=$?
	[ -f "$out/ktap.txt" ] || { diag "no KTAP from the guest (exit $rc), see $out.log"; return 1; }
	grep '^not ok\|KASAN' "$out/ktap.txt" | head -n 4 | while IFS= read -r l; do diag "$l"; done
	[ "$rc" != 0 ] || { diag "the guest suite passed with the bug compiled in"; return 1; }
	grep -q '^not ok 1 .*release_returns_memory' "$out/ktap.txt" &&
		grep -q 'BUG: KASAN: .*use-after-free' "$out/ktap.txt"
}

ktap_run "the suite on $kernel catches a bug" "$kernel" suite_catches_injected_use_after_free
