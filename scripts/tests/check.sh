#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every suite in turn, each speaking KTAP, then one line over
# all of them: "N passed, N failed, N skipped".  Exit 1 on any failure.
#
#   unit        userspace/tests: the userspace and the module's formulas
#               (kselftest harness)
#   kernels     every kernel the suites below boot, fetched or built (a
#               cold cache builds the debug kernel and the A/B pair here),
#               each with its time
#   static      tests/static: checkpatch, a W=1 build with sparse per
#               kernel, -Werror userspace
#   analysis    tests/analysis: scripts/analyze.py against synthetic runs,
#               scripts/compare.py against synthetic summaries, repeated
#               runs pooled and their verdicts; it runs beside the
#               three suites above
#   vm-<kernel> tests/guest: the experiment in guests booting that kernel,
#               checked by experiment-checks.sh, and vm-tests.sh in another
#               guest (its low-orders test in a small one); on an
#               instrumented kernel (debug), also the proof that its suite
#               catches a bug (tests/kernels/debug-catches.sh)
#   runner      tests/kernels/runner-checks.sh: the guest's clock: the runner
#               refuses a guest whose clock is jiffies (it boots again, then
#               gives up), kills a guest hung at boot and boots it again, and
#               a self-built kernel calibrates its TSC with no PIT
#   trigger     tests/kernels/stride-trigger.sh: frag's pfn pattern makes
#               compact_memory stop early on the first released kernel, and
#               the report flags it; one frame higher, it does not
#   ab          tests/kernels/ab-test.sh: a patch evaluated through the
#               several-kernels path, on two kernels built from one source
#
# KERNELS (default: kernels.sh's released kernels, then debug) and SUITES
# select what runs.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../host/common.sh"
python=${PYTHON:-python3}
kernels=${KERNELS:-$("$host/kernels.sh" list)}
logs=$top/build/check
suites=${SUITES:-unit kernels static analysis $(for k in $kernels; do printf 'vm-%s ' "$k"; done) runner trigger ab}

rm -rf "$logs"
mkdir -p "$logs"
# Each kernel resolved once in this run (kernels.sh resolve).
export KHUGEHOG_RESOLVED=$logs/resolved

run_suite() {
	local s=$1 ksft_dir
	case $s in
	unit)
		eval "$("$host/linux-source-fetch.sh")" || return 1
		make -s -C "$top/userspace" check KSFT_DIR="$ksft_dir"
		;;
	analysis)
		local rc=0
		"$python" "$here/analysis/test_analyze.py" || rc=1
		"$python" "$here/analysis/test_compare.py" || rc=1
		"$python" "$here/analysis/test_repeats.py" || rc=1
		"$python" "$here/analysis/test_scaling.py" || rc=1
		"$python" "$here/analysis/test_sustained.py" || rc=1
		"$python" "$here/analysis/test_lib_sh.py" || rc=1
		"$python" "$here/analysis/test_host_common.py" || rc=1
		return $rc
		;;
	kernels)
		# shellcheck disable=SC2046,SC2086 # one word per kernel
		"$here/kernels/kernels-ready.sh" $kernels $("$here/kernels/ab-test.sh" --kernels)
		;;
	static)
		# shellcheck disable=SC2046 # one word per kernel
		"$here/static/static-checks.sh" $("$host/kernels.sh" list --released)
		;;
	vm-*)
		# The experiment in fresh guests, one per mode, checked from its
		# results; then the module's tests in a guest of their own.  frag's
		# random pattern, seed 7: with the article's stride pattern, about
		# one manual run in three ends its compact_memory early (the
		# kernel's free scanner strides over the kept pages, see README),
		# which would make the p90 check a coin toss.  vm-tests.sh checks
		# the stride pattern's punching.
		local out=$logs/$s k=${s#vm-} rc=0 instrumented guest=(--timeout 900) demo=() tests=() modes
		instrumented=$("$host/kernels.sh" resolve "$k" | sed -n 's/^instrumented=//p')
		modes="ondemand manual proactive-module-targeted"
		# Sanitizers and lockdep slow a TCG guest several times over:
		# a 1 GiB guest, which is also the small guest's test, and
		# the modes in one boot, as their timings are compared with
		# nothing there.  The released kernels also boot defrag-mode's
		# guest: it runs where the kernel has vm.defrag_mode, and says
		# why not where it has not.
		if [ "$instrumented" = 1 ]; then
			guest=(--mem 1G --timeout 2400)
			demo=(--one-boot)
		else
			modes+=" defrag-mode"
			tests=(--except low_orders_no_oom)
		fi
		# shellcheck disable=SC2086 # one word per mode
		"$host/demo.sh" -q --kernel "$k" --out "$out/experiment" "${demo[@]}" \
			"${guest[@]}" --frag-args "-S 7" $modes || rc=1
		"$here/guest/experiment-checks.sh" "$out/experiment" || rc=1
		"$host/vm-run.sh" -q --kernel "$k" --out "$out/tests" \
			"${guest[@]}" tests "${tests[@]}" || rc=1
		guest_ktap "$out/tests"
		if [ "$instrumented" = 1 ]; then
			"$here/kernels/debug-catches.sh" "$k" "$out/catches" || rc=1
		else
			# Where the OOM killer was seen to panic a guest: low
			# orders in 1 GiB, the module's floor the only thing
			# between them.
			"$host/vm-run.sh" -q --kernel "$k" --mem 1G --out "$out/small" \
				--timeout 600 tests low_orders_no_oom || rc=1
			guest_ktap "$out/small"
		fi
		return $rc
		;;
	runner)
		"$here/kernels/runner-checks.sh" "$logs/runner" \
			"$("$host/kernels.sh" list --released | sed -n 1p)"
		;;
	trigger)
		"$here/kernels/stride-trigger.sh" "$logs/trigger" \
			"$("$host/kernels.sh" list --released | sed -n 1p)"
		;;
	ab)
		"$here/kernels/ab-test.sh" "$logs/ab/run"
		;;
	*)
		echo "check: unknown suite $s" >&2
		return 1
		;;
	esac
}

# guest_ktap DIR: the KTAP of vm-tests.sh in a guest.  If the guest died
# (panic, timeout) before sending it, the KTAP lines its console shows,
# and the test it was running as failed.
guest_ktap() {
	local d=$1 nr name
	if [ -f "$d/ktap.txt" ]; then
		cat "$d/ktap.txt"
		return
	fi
	[ -f "$d/console.log" ] || return 0
	grep -E '^(KTAP version|1\.\.[0-9]|(not )?ok [0-9]|# )' "$d/console.log" |
		grep -v -e '^# [^ ]*: running [0-9]' -e '^# [^ ]*: .* took [0-9.]* s$'
	read -r nr name < <(sed -n 's/^# \([^ ]*\): running \([0-9]*\) \(.*\)$/\2 \1: \3/p' \
		"$d/console.log" | tail -n 1)
	[ -n "$nr" ] || return 0
	grep -qE "^(not )?ok $nr " "$d/console.log" ||
		echo "not ok $nr $name # the guest died while it ran, see $d/console.log"
}

# count_ktap FILE: "passed failed skipped" of its top-level test lines
count_ktap() {
	awk '/^ok .*# SKIP/ { s++; next } /^ok / { p++ } /^not ok / { f++ }
		END { print p + 0, f + 0, s + 0 }' "$1"
}

# analysis needs one core and boots no guest: when only unit, kernels and
# static (no timings checked) come before it, as by default, it runs in
# the background from the start, beside them, and is reported in its
# place.
early=
for s in $suites; do
	case $s in
	analysis) early=$s; break ;;
	unit|kernels|static) ;;
	*) break ;;
	esac
done
if [ -n "$early" ]; then
	(
		start=$(date +%s)
		run_suite "$early" >"$logs/$early.log" 2>&1
		echo "$? $(($(date +%s) - start))" >"$logs/$early.done"
	) &
	early_pid=$!
fi

total_p=0 total_f=0 total_s=0
for s in $suites; do
	echo "check: === $s ==="
	if [ "$s" = "$early" ]; then
		wait "$early_pid"
		cat "$logs/$s.log"
		read -r rc secs <"$logs/$s.done"
	else
		start=$(date +%s)
		run_suite "$s" 2>&1 | tee "$logs/$s.log"
		rc=${PIPESTATUS[0]}
		secs=$(($(date +%s) - start))
	fi
	read -r p f sk < <(count_ktap "$logs/$s.log")
	# A suite that died before reporting a failure still failed.
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $s exited $rc without reporting a failed test"
		f=1
	fi
	echo "check: $s: $p passed, $f failed, $sk skipped (${secs}s)"
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + sk))
done
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
