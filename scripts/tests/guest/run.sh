# SPDX-License-Identifier: GPL-2.0
#
# The measured run: -EBUSY and unload mid-run, low orders against the OOM
# killer, the sample buffer, the alloc_latency tracepoint, runs at a rate.
# Sourced by vm-tests.sh.

t_busy_while_running_and_unload_mid_run() {
	rc=0
	free0=$(free_kib)
	start_frag || return 1
	load || { kill $fpid; return 1; }
	# __GFP_RETRY_MAYFAIL retries compaction rather than failing early:
	# a run of seconds, long enough to write to it while it runs.
	echo "start gfp=transhuge_retry" >"$khh/control" || rc=1
	if status_is running; then
		write_expect "Device or resource busy" start || rc=1
		write_expect "Device or resource busy" release || rc=1
		# The run is a kthread of its own, not a workqueue worker.
		kthread_pid khugehog_run >/dev/null || { diag "no khugehog_run thread during a run"; rc=1; }
		status_is running ||
			{ diag "the run ended before the test was over: inconclusive"; rc=1; }
	else
		diag "the run ended before it could be tested for -EBUSY"
		rc=1
	fi
	t0=$(cut -d' ' -f1 /proc/uptime)
	unload || rc=1
	t1=$(cut -d' ' -f1 /proc/uptime)
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 2) }' ||
		{ diag "rmmod mid-run took $t0 -> $t1 s"; rc=1; }

	# Without direct compaction (GFP_TRANSHUGE_LIGHT) the fragmented memory
	# gives few pages: the run must end at the 5th failure in a row.
	load || rc=1
	echo "start gfp=transhuge_light max_failures=5" >"$khh/control" && wait_done || rc=1
	tail -n 6 "$khh/latencies" | awk '{ print $3 }' | tr -d '\n' >/tmp/tail
	grep -qx "stop_reason failure" "$khh/summary" || { diag "transhuge_light run: $(grep stop_reason "$khh/summary")"; rc=1; }
	case $(cat /tmp/tail) in
	*100000|00000) ;;
	*) diag "transhuge_light run, success of the last 6 attempts: $(cat /tmp/tail), expected 100000"; rc=1 ;;
	esac
	diag "transhuge_light run on fragmented memory: $(kv allocated "$khh/summary") allocated, $(kv failed "$khh/summary") failed"
	unload || rc=1
	end_frag
	memory_back "$free0" "unloading mid-run" || rc=1
	return $rc
}

# At orders up to PAGE_ALLOC_COSTLY_ORDER a reclaiming allocation does not
# fail: it ends in the OOM killer, which cannot free what the run holds
# (a panic once nothing killable is left).  Every preset at orders 0-3
# ends by the free-memory floor or by failing, never by the OOM killer,
# and leaves at least the floor free (one allocation and the kernel's own
# use aside): the floor its last allocation was checked against, as a
# watermark boost can lift the floor above free memory at the end (4 MB,
# in a debug kernel's run: free after 135184 kB, 720 kB above the floor it
# allocated under, 3.3 MB below the boosted one).
t_low_orders_no_oom() {
	load || return 1
	rc=0
	for g in kernel transhuge_light transhuge_retry; do
		for o in 0 1 2 3; do
			dmesg_mark
			echo "start order=$o gfp=$g" >"$khh/control" || { diag "$g order $o: start refused"; rc=1; continue; }
			wait_done 1800 || { diag "$g order $o: still running after 180 s"; rc=1; }
			stop=$(kv stop_reason "$khh/summary")
			after=$(kv free_kib_after "$khh/summary")
			floor=$(kv alloc_floor_kib "$khh/summary")
			diag "$g order $o: $(kv allocated "$khh/summary") pages in $(($(kv duration_ns "$khh/summary") / 1000000)) ms, stop_reason $stop, free after $after kB, floor $floor kB at the last allocation, $(kv free_floor_kib "$khh/summary") kB at the end, gfp_flags $(kv gfp_flags "$khh/summary")"
			case $stop in
			memory_floor|failure) ;;
			*) diag "$g order $o: stop_reason $stop"; rc=1 ;;
			esac
			[ "$after" -ge $((floor - (8 << o) - 1024)) ] ||
				{ diag "$g order $o: $after kB left free, below the floor $floor kB"; rc=1; }
			if dmesg_new | grep -E "$oom_lines" >/tmp/oom; then
				diag "$g order $o: the OOM killer ran:"
				head -n 5 /tmp/oom | while IFS= read -r l; do diag "  $l"; done
				rc=1
			fi
			echo release >"$khh/control" || rc=1
		done
	done
	unload || rc=1
	return $rc
}

# A run that fills its sample buffer says so; the buffer a run gets by
# default has room for every free page of its order after max_failures - 1
# failures each, floor included: a floor read at the start can hold a
# watermark boost (the debug kernel's run after the low orders' got 5104
# samples where 5392 were due).
t_run_stops_when_buffer_full() {
	load || return 1
	rc=0
	echo "start samples=8" >"$khh/control" && wait_done || rc=1
	for kv in "stop_reason buffer_full" "attempts 8" "allocated 8" "held 8" "samples_capacity 8"; do
		grep -qx "$kv" "$khh/summary" || { diag "samples=8 run: no '$kv' in the summary"; rc=1; }
	done
	echo release >"$khh/control" || rc=1
	echo "start count=4 max_failures=16" >"$khh/control" && wait_done || rc=1
	grep -qx "stop_reason count" "$khh/summary" || { diag "count=4 run: $(grep stop_reason "$khh/summary")"; rc=1; }
	grep -qx "samples_capacity 4" "$khh/summary" || { diag "count=4 run: $(grep samples_capacity "$khh/summary")"; rc=1; }
	echo release >"$khh/control" || rc=1
	echo "start max_failures=16" >"$khh/control" && wait_done || rc=1
	cap=$(kv samples_capacity "$khh/summary")
	free=$(kv free_kib_before "$khh/summary")
	floor=$(kv free_floor_kib "$khh/summary")
	want=$(( (free / 2048 + 1) * 16 ))
	diag "default run, max_failures=16: capacity $cap samples for $free kB free, floor $floor kB; stop_reason $(kv stop_reason "$khh/summary") after $(kv attempts "$khh/summary") attempts"
	[ "$cap" -ge "$want" ] || { diag "capacity $cap, below $want"; rc=1; }
	grep -qx "stop_reason buffer_full" "$khh/summary" && { diag "the default run filled its buffer"; rc=1; }
	echo release >"$khh/control" || rc=1
	unload || rc=1
	return $rc
}

# A run ends at the floor with the per-CPU lists drained: after a
# compaction they hold tens of MiB of the free pages it isolated but did
# not use.  A drain that took its page from those lists failed about one
# round in three (the page's block held an unmovable page, so
# alloc_contig_range() isolated nothing and drained nothing), and the run
# then left 7-50 MiB above the floor.  Three rounds, each on freshly
# fragmented memory, on each released kernel make check boots: the old
# drain would have passed all nine about one time in 40 ((2/3)^9).  A
# round may instead end by failing, with free memory the kernel cannot
# make into order-9 pages: it says nothing about the drain, and is
# reported with node 0's free 2M blocks as the module counts them
# (kcompactd, woken by the failures, may have made some since).  Two
# rounds on an instrumented kernel, there for its sanitizers: one alone
# ended by failing now and then, and the test was a SKIP.
t_run_drains_lists_at_floor() {
	local i after floor stop at_floor=0 rounds="1 2 3"

	[ "$instrumented" = 1 ] && rounds="1 2"
	rc=0
	load || return 1
	for i in $rounds; do
		start_frag -p random -S "$i" || { rc=1; break; }
		echo 1 >/proc/sys/vm/compact_memory
		echo start >"$khh/control" && wait_done 1800 || rc=1
		after=$(kv free_kib_after "$khh/summary")
		floor=$(kv free_floor_kib "$khh/summary")
		stop=$(kv stop_reason "$khh/summary")
		diag "round $i: $(kv allocated "$khh/summary") pages, stop_reason $stop, free after $after kB, floor $floor kB, $(kv floor_drains "$khh/summary") drains, $(cstat node0_free_blocks) free 2M blocks"
		case $stop in
		memory_floor)
			at_floor=$((at_floor + 1))
			[ "$after" -le $((floor + 4096)) ] ||
				{ diag "round $i: $((after - floor)) kB above the floor left"; rc=1; }
			;;
		failure) ;;
		*) rc=1 ;;
		esac
		echo release >"$khh/control" || rc=1
		end_frag
	done
	unload || rc=1
	[ "$rc" = 0 ] && [ "$at_floor" = 0 ] &&
		{ skip "no round reached the floor: the kernel failed order 9 first in all $(echo $rounds | wc -w)"; return; }
	return $rc
}

# The tracepoint fires once per attempt and says what the latencies file says.
t_alloc_latency_tracepoint() {
	rc=0
	tr=/sys/kernel/tracing
	ev=$tr/events/khugehog/alloc_latency
	load || return 1
	[ -d "$ev" ] || { diag "no $ev"; unload; return 1; }
	: >"$tr/trace"
	echo 1 >"$ev/enable"
	echo "start count=8" >"$khh/control" && wait_done || rc=1
	echo 0 >"$ev/enable"
	grep -o 'index=.*' "$tr/trace" >/tmp/ev
	awk '{ printf "index=%d order=9 success=%d latency_ns=%d pfn=0x%x\n", $1, $3, $2, $4 }' \
		"$khh/latencies" >/tmp/want
	[ "$(wc -l </tmp/ev)" = 8 ] || { diag "$(wc -l </tmp/ev) events for 8 allocations"; rc=1; }
	cmp -s /tmp/want /tmp/ev || {
		diag "events differ from the latencies file:"
		diff /tmp/want /tmp/ev | head -n 6 | while IFS= read -r l; do diag "  $l"; done
		rc=1
	}
	diag "$(head -n 1 /tmp/ev)"
	unload || rc=1
	return $rc
}

# schedule_check PERIOD_NS: the latencies file against a rate's schedule.
# Attempt i is due at i * PERIOD_NS; an on-time one (late_ns 0) must not
# begin before that, a late one must begin exactly late_ns after it.
# Prints "attempts late worst_wake_ns prompt gaps" (prompt: on-time
# attempts that began within half a period of their due time) and fails
# on any breach: gaps counts missing indexes (a skipped attempt).
schedule_check() {
	awk -v p="$1" '
		{ due = $1 * p; lag = $5 - due }
		$1 != NR - 1 { gaps++ }
		$6 == 0 && lag < 0 { bad++; printf "attempt %d began %d ns early\n", $1, -lag >"/dev/stderr" }
		$6 == 0 && lag > wake { wake = lag }
		$6 == 0 && lag < p / 2 { prompt++ }
		$6 > 0 { late++; if ($6 != lag) { bad++; printf "attempt %d: late_ns %d, began %d ns after due\n", $1, $6, lag >"/dev/stderr" } }
		END { printf "%d %d %d %d %d\n", NR, late, wake, prompt, gaps; exit bad + gaps > 0 }' "$khh/latencies"
}

# A run at a rate keeps its schedule: 50 attempts a second on free memory
# begin on time, none early, most within half a period (a wake-up under
# TCG on a busy host can come 20 ms late, and then the next attempt is
# late), and take as long as the schedule says.  At a
# rate no allocation keeps up with (10^6 a second: each takes more than
# the 1 us period under TCG, but not surely on hardware, hence "most"),
# most attempts are late, each is recorded as late by exactly how much,
# and none is skipped.
t_run_keeps_rate_schedule() {
	load || return 1
	rc=0
	write_expect "Invalid argument" "start rate=1000001" || rc=1
	echo "start count=25 rate=50" >"$khh/control" && wait_done || rc=1
	sched=$(schedule_check 20000000 2>>"$ktap_diag_file") || rc=1
	set -- $sched
	ms=$(( $(kv duration_ns "$khh/summary") / 1000000 ))
	diag "rate=50: $1 attempts in $ms ms, $2 late, $4 within half a period of due, latest wake-up $(($3 / 1000)) us after due"
	[ "$1" = 25 ] || { diag "rate=50: $1 attempts, expected 25"; rc=1; }
	[ "$(kv late "$khh/summary")" = "$2" ] || { diag "summary says $(kv late "$khh/summary") late, the file $2"; rc=1; }
	grep -qx "rate 50" "$khh/summary" || { diag "no 'rate 50' in the summary"; rc=1; }
	# 24 periods of 20 ms: never less, and not half as long again.
	[ "$ms" -ge 480 ] && [ "$ms" -lt 720 ] || { diag "rate=50: 25 attempts took $ms ms, expected 480-720"; rc=1; }
	[ "$4" -ge 13 ] || { diag "rate=50 on free memory: only $4 of 25 attempts within 10 ms of due"; rc=1; }
	echo release >"$khh/control" || rc=1
	echo "start count=100 rate=1000000" >"$khh/control" && wait_done || rc=1
	sched=$(schedule_check 1000 2>>"$ktap_diag_file") || rc=1
	set -- $sched
	diag "rate=1000000: $1 attempts, $2 late"
	[ "$1" = 100 ] || { diag "rate=1000000: $1 attempts, expected 100"; rc=1; }
	[ "$2" -ge 50 ] || { diag "rate=1000000: only $2 of 100 attempts late"; rc=1; }
	[ "$(kv late "$khh/summary")" = "$2" ] || { diag "summary says $(kv late "$khh/summary") late, the file $2"; rc=1; }
	echo release >"$khh/control" || rc=1
	unload || rc=1
	return $rc
}
