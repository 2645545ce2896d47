#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Integration tests of khugehog.ko and frag, run inside the throwaway guest
# of scripts/host/vm-run.sh with the real module on a real kernel.  The
# tests are in the files beside this one, by subject; KTAP on stdout, also
# saved to /results/ktap.txt.
#
# usage: vm-tests.sh [TEST...]   (default: all, in the order below)
#        vm-tests.sh --except TEST...
set -u

here=$(cd "$(dirname "$0")" && pwd)
out=/results
module=/khugehog/khugehog.ko
frag=/khugehog/bin/frag
khh=/sys/kernel/debug/khugehog
par=/sys/module/khugehog/parameters
krel=$(uname -r)

grep -qw khugehog.guest=1 /proc/cmdline || {
	echo "vm-tests: runs only inside the guest of scripts/host/vm-run.sh" >&2
	exit 2
}

# The experiment itself runs in fresh guests, one per mode (checked by
# experiment-checks.sh); these are the module's own tests.
tests="module_load_unload debugfs_files_readable control_rejects_malformed
params_out_of_range_fail_insmod release_returns_memory load_unload_cycles
busy_while_running_and_unload_mid_run low_orders_no_oom run_stops_when_buffer_full
run_drains_lists_at_floor
frag_punch_leaves_quarter extfrag_files_match_kernel fragmentation_score_adds_up
pageblock_types_match_kernel alloc_latency_tracepoint run_keeps_rate_schedule compactor_params_rejected
compactor_wmarks_any_order compactor_strategies_reach_target compactor_keeps_reserve
compact_block_tracepoint
compactor_enable_disable_cycles compactor_load_unload_cycles
compactor_ignores_userspace_kill compactor_frees_block_with_held_page
compactor_node_pass_lets_system_freeze pin_unpin pageblock_types_kept
offline_memory_untouched dmesg_clean kmemleak_clean"

# Arguments: run only these tests (names as above), or with --except,
# all but these.
if [ "${1:-}" = --except ]; then
	shift
	for x in "$@"; do
		case " $(echo $tests) " in
		*" $x "*) ;;
		*) echo "vm-tests: --except: no test $x" >&2; exit 2 ;;
		esac
	done
	keep=
	for t in $tests; do
		case " $* " in
		*" $t "*) ;;
		*) keep="$keep $t" ;;
		esac
	done
	tests=$keep
elif [ $# -gt 0 ]; then
	tests="$*"
fi

. "$here/../../lib.sh"
. "$here/../ktap.sh"
for f in common module run fragmentation compactor pins; do
	. "$here/$f.sh"
done

ktap_out() {
	echo "$*" | tee -a "$out/ktap.txt"
}

# On the console only: if the guest dies, the runner names the test.
ktap_before_test() {
	echo "# $ktap_prefix: running $ktap_nr $ktap_t" >&2
	ktap_dmesg_at=$(dmesg | wc -l)
	ktap_t0=$(uptime_s)
	bars_missed=
}

# A kernel report while a test ran fails that test, whatever it checked:
# a KASAN, KFENCE or lockdep report, a "Bad page", a warning.
ktap_verdict() {
	dmesg | tail -n +$((ktap_dmesg_at + 1)) | grep -E "$ktap_bad_dmesg" >/tmp/ktap-report || return 0
	diag "the kernel reported while this test ran:"
	head -n 20 /tmp/ktap-report | while IFS= read -r l; do diag "  $l"; done
	return 1
}

# A test that failed half-way must not leave the module for the next.
ktap_after_test() {
	[ -d "$khh" ] && rmmod khugehog 2>/dev/null
	echo "# $ktap_prefix: $ktap_t took $(since "$ktap_t0") s" >&2
	return 0
}

mkdir -p "$out"
: >"$out/ktap.txt"
# kmemleak_clean reports only what leaked during the suite.
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
ktap_run "khugehog integration tests on $krel" "$krel" "$tests"
e=$?
dmesg >"$out/dmesg.txt"
exit $e
