#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Integration tests of khugehog.ko and frag, run inside the throwaway guest
# of scripts/vm-run.sh with the real module on a real kernel.  KTAP on
# stdout, also saved to /results/ktap.txt.
set -u

out=/results
module=/khugehog/khugehog.ko
frag=/khugehog/bin/frag
khh=/sys/kernel/debug/khugehog
krel=$(uname -r)

grep -qw khugehog.guest=1 /proc/cmdline || {
	echo "vm-tests: runs only inside the guest of scripts/vm-run.sh" >&2
	exit 2
}

# The experiment itself runs in fresh guests, one per mode (see
# scripts/experiment-checks.sh); these are the module's own tests.
tests="module_load_unload debugfs_files_readable control_rejects_malformed
params_out_of_range_fail_insmod release_returns_memory load_unload_cycles
busy_while_running_and_unload_mid_run low_orders_no_oom run_stops_when_buffer_full
frag_punch_leaves_quarter extfrag_files_match_kernel fragmentation_score_adds_up
pageblock_types_match_kernel alloc_latency_tracepoint compactor_params_rejected
compactor_wmarks_any_order compactor_strategies_reach_target compact_block_tracepoint
compactor_enable_disable_cycles compactor_load_unload_cycles
compactor_ignores_userspace_kill compactor_frees_block_with_held_page
compactor_node_pass_lets_system_freeze pin_unpin pageblock_types_kept
offline_memory_untouched dmesg_clean"

# Arguments: run only these tests (names as above).
[ $# -gt 0 ] && tests="$*"

. /khugehog/scripts/ktap.sh

# Free memory in kB, counting the pages parked on per-CPU lists: MemFree
# leaves them out, and freed order-9 pages can sit there (6.1+), which
# would look like a leak.
memfree() {
	awk -v pcp="$(pcp_pages)" '/^MemFree:/ { print $2 + pcp * 4 }' /proc/meminfo
}

# Pages on the per-CPU free lists, all CPUs and zones.
pcp_pages() {
	awk '$1 == "count:" { pcp += $2 } END { print pcp + 0 }' /proc/zoneinfo
}

# back_within_pct NOW BEFORE PCT: NOW is at most PCT% below BEFORE
# (more free memory than before is no leak)
back_within_pct() {
	awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { exit !(a >= b - b * p / 100) }'
}

status_is() {
	grep -qx "state $1" "$khh/status"
}

# dmesg_mark: remember where dmesg ends; dmesg_new: the lines after it
dmesg_mark() {
	dmesg_at=$(dmesg | wc -l)
}

dmesg_new() {
	dmesg | tail -n +$((dmesg_at + 1))
}

# The OOM killer's lines, and a panic's
oom_lines='Out of memory|invoked oom-killer|oom-kill:|Kernel panic'

# kthread_pid NAME: the pid of the kernel thread called NAME, if any
kthread_pid() {
	grep -lx "$1" /proc/[0-9]*/comm 2>/dev/null | sed -n '1s|^/proc/\([0-9]*\)/comm$|\1|p' | grep .
}

# cpu_ticks PID: user + system time of PID, in clock ticks
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

wait_done() {
	n=${1:-600}
	while status_is running; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

load() {
	insmod "$module" "$@" 2>>"$ktap_diag_file"
}

unload() {
	rmmod khugehog 2>>"$ktap_diag_file"
}

# write_expect ERRNO_TEXT STRING: the write must fail with that error.
# timed-write, as busybox's printf does not say why a write failed.
write_expect() {
	if timed-write "$khh/control" "$2" >/dev/null 2>/tmp/werr; then
		diag "'$2' was accepted"
		return 1
	fi
	grep -q "$1" /tmp/werr || { diag "'$2': $(cat /tmp/werr), expected $1"; return 1; }
}

t_module_load_unload() {
	load || return 1
	[ -d "$khh" ] || { diag "no $khh after insmod"; return 1; }
	unload || return 1
	[ ! -d "$khh" ] || { diag "$khh left after rmmod"; return 1; }
}

t_debugfs_files_readable() {
	load || return 1
	rc=0
	echo "start count=4" >"$khh/control" && wait_done || rc=1
	for f in control latencies summary status compactor_status compactor_timeline; do
		cat "$khh/$f" >/tmp/f 2>>"$ktap_diag_file" || { diag "cannot read $f"; rc=1; }
		[ -s /tmp/f ] || { diag "$f is empty"; rc=1; }
	done
	[ "$(wc -l <"$khh/latencies")" = 4 ] || { diag "latencies: $(wc -l <"$khh/latencies") lines, expected 4"; rc=1; }
	# Physical frame numbers are for root only, as in /proc/PID/pagemap.
	mode=$(stat -c %a "$khh/latencies")
	[ "$mode" = 400 ] || { diag "latencies has mode $mode, expected 400"; rc=1; }
	grep -q '^start ' "$khh/control" || { diag "control does not describe its commands"; rc=1; }
	unload || rc=1
	return $rc
}

t_control_rejects_malformed() {
	load || return 1
	rc=0
	for w in bogus "start order=99" "start order=-1" "start gfp=nope" "start count=abc" \
		"start count=-1" "start order=" "start foo=1" "start order" "release now" \
		"abort 1" "start count=99999999999999" "start max_failures=0" \
		"start max_failures=1025" "start samples=-1" "start samples=99999999999999" \
		"start $(printf '%0200d' 0)"; do
		write_expect "Invalid argument" "$w" || rc=1
	done
	status_is idle || { diag "a malformed write changed the state: $(head -n 1 "$khh/status")"; rc=1; }
	grep -qx "held_pages 0" "$khh/status" || { diag "pages held after malformed writes"; rc=1; }
	unload || rc=1
	return $rc
}

t_params_out_of_range_fail_insmod() {
	rc=0
	for p in order=11 order=4096 gfp=bogus count=99999999999 order=abc \
		max_failures=0 max_failures=5000 samples=99999999999999 compactor_strategy=bogus \
		compactor_interval_ms=1 compactor_wmark_low=50 compactor_order=0 \
		compactor_pass_blocks=0 compactor_enabled=maybe; do
		before=$(dmesg | wc -l)
		if insmod "$module" "$p" 2>/tmp/ierr; then
			diag "insmod $p succeeded"
			rmmod khugehog
			rc=1
			continue
		fi
		grep -q "Invalid argument" /tmp/ierr || { diag "insmod $p: $(cat /tmp/ierr)"; rc=1; }
		# busybox insmod tries finit_module(), then init_module(): one
		# line per attempt, the same line each time.
		dmesg | tail -n +$((before + 1)) | grep khugehog | sed 's/^\[[^]]*\] //' | sort -u >/tmp/msgs
		[ "$(wc -l </tmp/msgs)" = 1 ] || { diag "insmod $p: not one distinct dmesg line:"; rc=1; }
		sed 's/^/  /' /tmp/msgs | while IFS= read -r l; do diag "$l"; done
		[ ! -d "$khh" ] || { diag "module loaded after insmod $p failed"; rc=1; }
	done
	return $rc
}

t_release_returns_memory() {
	load || return 1
	rc=0
	free0=$(memfree)
	echo "start count=200" >"$khh/control" && wait_done || rc=1
	free1=$(memfree)
	got=$(summary_val allocated "$khh/summary")
	[ "$got" = 200 ] || { diag "allocated $got of 200 on free memory"; rc=1; }
	[ $((free0 - free1)) -ge $((200 * 2048 * 9 / 10)) ] ||
		{ diag "MemFree fell by $((free0 - free1)) kB for 200 2M pages"; rc=1; }
	write_expect "Device or resource busy" "start" || rc=1
	echo release >"$khh/control" || rc=1
	free2=$(memfree)
	back_within_pct "$free2" "$free0" 1 || { diag "MemFree $free0 kB before, $free2 kB after release"; rc=1; }
	diag "MemFree before $free0 kB, holding $free1 kB, released $free2 kB"
	unload || rc=1
	return $rc
}

t_load_unload_cycles() {
	rc=0
	free0=$(memfree)
	i=0
	while [ $i -lt 20 ]; do
		load || return 1
		echo "start count=32" >"$khh/control" && wait_done || rc=1
		# Every other cycle unloads with the pages still held.
		[ $((i % 2)) = 0 ] && { echo release >"$khh/control" || rc=1; }
		unload || return 1
		i=$((i + 1))
	done
	free1=$(memfree)
	back_within_pct "$free1" "$free0" 1 || { diag "MemFree $free0 kB before 20 cycles, $free1 kB after"; rc=1; }
	diag "MemFree before $free0 kB, after 20 cycles $free1 kB"
	return $rc
}

# start_frag [FRAG ARGS...]: frag fragments memory in the background (pid
# in fpid); returns once it has punched, or fails if it dies or takes 5
# minutes.
start_frag() {
	rm -f /tmp/frag.log
	"$frag" -q "$@" >/tmp/frag.log 2>&1 &
	fpid=$!
	n=3000
	until grep -qs '^frag: ready' /tmp/frag.log; do
		kill -0 $fpid 2>/dev/null || { diag "frag died: $(cat /tmp/frag.log)"; return 1; }
		n=$((n - 1))
		[ $n -gt 0 ] || { diag "frag not ready"; kill $fpid; return 1; }
		sleep 0.1
	done
}

t_busy_while_running_and_unload_mid_run() {
	rc=0
	free0=$(memfree)
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
	diag "transhuge_light run on fragmented memory: $(summary_val allocated "$khh/summary") allocated, $(summary_val failed "$khh/summary") failed"
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	free1=$(memfree)
	back_within_pct "$free1" "$free0" 1 || { diag "MemFree $free0 kB before, $free1 kB after unloading mid-run"; rc=1; }
	return $rc
}

# At orders up to PAGE_ALLOC_COSTLY_ORDER a reclaiming allocation does not
# fail: it ends in the OOM killer, which cannot free what the run holds
# (a panic once nothing killable is left).  Every preset at orders 0-3
# ends by the free-memory floor or by failing, never by the OOM killer,
# and leaves at least the floor free (one allocation and the kernel's own
# use aside).
t_low_orders_no_oom() {
	load || return 1
	rc=0
	for g in kernel transhuge_light transhuge_retry; do
		for o in 0 1 2 3; do
			dmesg_mark
			echo "start order=$o gfp=$g" >"$khh/control" || { diag "$g order $o: start refused"; rc=1; continue; }
			wait_done 1800 || { diag "$g order $o: still running after 180 s"; rc=1; }
			stop=$(summary_val stop_reason "$khh/summary")
			after=$(summary_val free_kib_after "$khh/summary")
			floor=$(summary_val free_floor_kib "$khh/summary")
			diag "$g order $o: $(summary_val allocated "$khh/summary") pages in $(($(summary_val duration_ns "$khh/summary") / 1000000)) ms, stop_reason $stop, free after $after kB, floor $floor kB, gfp_flags $(summary_val gfp_flags "$khh/summary")"
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
# failures each.
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
	cap=$(summary_val samples_capacity "$khh/summary")
	free=$(summary_val free_kib_before "$khh/summary")
	floor=$(summary_val free_floor_kib "$khh/summary")
	want=$(( ((free - floor) / 2048 + 1) * 16 ))
	diag "default run, max_failures=16: capacity $cap samples for $free kB free, floor $floor kB; stop_reason $(summary_val stop_reason "$khh/summary") after $(summary_val attempts "$khh/summary") attempts"
	[ "$cap" -ge "$want" ] || { diag "capacity $cap, below $want"; rc=1; }
	grep -qx "stop_reason buffer_full" "$khh/summary" && { diag "the default run filled its buffer"; rc=1; }
	echo release >"$khh/control" || rc=1
	unload || rc=1
	return $rc
}

# same_as_kernel NAME: the module's file equals the kernel's, read in
# between two reads of the kernel's that agree (memory was quiet).
same_as_kernel() {
	tries=0
	while [ $tries -lt 20 ]; do
		cat "/sys/kernel/debug/extfrag/$1" >/tmp/k1
		cat "$khh/$1" >/tmp/m
		cat "/sys/kernel/debug/extfrag/$1" >/tmp/k2
		if cmp -s /tmp/k1 /tmp/k2; then
			cmp -s /tmp/k1 /tmp/m && return 0
			diag "$1 differs from the kernel's:"
			diff /tmp/k1 /tmp/m | sed 's/^/  /' | while IFS= read -r l; do diag "$l"; done
			return 1
		fi
		tries=$((tries + 1))
	done
	diag "$1: the kernel's file never read the same twice in a row"
	return 1
}

# kcompactd's node score from the kernel's unusable_index (order 9, in
# percent; 0 when nothing is free) and the zones' present pages.  The
# guest has one node.
kernel_node_score() {
	awk '
		FNR == 1 { file++ }
		file == 1 && $1 == "Node" { zone = $4 }
		file == 1 && $1 == "present" { present[zone] = $2; node += $2 }
		file == 2 { u0[$4] = $5; u9[$4] = $14 }
		END {
			for (z in u9) {
				s = (u0[z] == "1.000") ? 0 : int(int(u9[z] * 1000 + 0.5) / 10)
				score += int(present[z] * s / (node + 1))
			}
			print "Node 0 score " score
		}' /proc/zoneinfo "$1"
}

# The article's stride pattern: after punching, at least 90% of the 2M
# physical regions frag had filled hold at most 1/4 of their pages, plus a
# slack of 16.  (experiment-checks.sh checks frag's default, random.)
t_frag_punch_leaves_quarter() {
	rm -f /tmp/pm-*.txt
	start_frag -p stride -d /tmp/pm || return 1
	kill -TERM $fpid
	wait $fpid
	[ -s /tmp/pm-0.txt ] && [ -s /tmp/pm-1.txt ] || { diag "no pagemap dumps: $(cat /tmp/frag.log)"; return 1; }
	awk '
		FNR == 1 { stage++ }
		/^#/ { next }
		stage == 1 { touched[$1] = 1; next }
		{ after[$1] = $2 }
		END {
			for (r in touched) { n++; if (after[r] + 0 <= 128 + 16) good++ }
			printf "%d of %d touched regions hold <= 144 pages after punching\n", good, n
			exit !(n > 0 && good >= 0.9 * n)
		}' /tmp/pm-0.txt /tmp/pm-1.txt >>"$ktap_diag_file"
}

t_extfrag_files_match_kernel() {
	rc=0
	start_frag || return 1
	load || { kill $fpid; return 1; }
	for f in extfrag_index unusable_index; do
		same_as_kernel $f || rc=1
	done
	# The score, against one computed from the kernel's own unusable_index.
	tries=0
	while [ $tries -lt 20 ]; do
		cat /sys/kernel/debug/extfrag/unusable_index >/tmp/k1
		head -n 1 "$khh/fragmentation_score" >/tmp/m
		cat /sys/kernel/debug/extfrag/unusable_index >/tmp/k2
		cmp -s /tmp/k1 /tmp/k2 && break
		tries=$((tries + 1))
	done
	kernel_node_score /tmp/k1 >/tmp/want
	cmp -s /tmp/want /tmp/m ||
		{ diag "fragmentation_score: '$(cat /tmp/m)', from the kernel's files: '$(cat /tmp/want)'"; rc=1; }
	diag "fragmented memory: $(cat /tmp/m); order-9 unusable index $(awk '$4 == "DMA32" { print $14 }' /tmp/k1)"
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	return $rc
}

# The node score line is the sum of the weighted zone lines below it: one
# reading of the free lists, even while frag changes them.
t_fragmentation_score_adds_up() {
	load || return 1
	rc=0
	rm -f /tmp/frag.log
	"$frag" -q >/tmp/frag.log 2>&1 &
	fpid=$!
	n=0 bad=0
	until grep -qs '^frag: ready' /tmp/frag.log || [ $n -ge 3000 ]; do
		kill -0 $fpid 2>/dev/null || { diag "frag died: $(cat /tmp/frag.log)"; rc=1; break; }
		awk '$3 == "score" { node = $4 } $5 == "score" { sum += $8 }
			END { exit node != sum }' "$khh/fragmentation_score" || {
			bad=$((bad + 1))
			[ $bad -le 3 ] && diag "$(tr '\n' ';' <"$khh/fragmentation_score")"
		}
		n=$((n + 1))
	done
	diag "$n reads while frag filled and punched, $bad with a node score that is not the sum of its zones'"
	[ $bad = 0 ] || rc=1
	kill -TERM $fpid
	wait $fpid
	unload || rc=1
	return $rc
}

# The block counts of /proc/pagetypeinfo ("Number of blocks type"), one
# line per zone.
kernel_block_counts() {
	awk '/^Number of blocks type/ { on = 1; next } on && /^Node/ { print; next } { on = 0 }' /proc/pagetypeinfo
}

# The module reads a pageblock's migratetype itself (the kernel's reader
# is not exported): its counts are the kernel's.
t_pageblock_types_match_kernel() {
	load || return 1
	rc=0
	tries=0
	while [ $tries -lt 20 ]; do
		kernel_block_counts >/tmp/k1
		cat "$khh/pageblock_types" >/tmp/m
		kernel_block_counts >/tmp/k2
		cmp -s /tmp/k1 /tmp/k2 && break
		tries=$((tries + 1))
	done
	if ! cmp -s /tmp/k1 /tmp/m; then
		diag "pageblock_types differs from /proc/pagetypeinfo:"
		diff /tmp/k1 /tmp/m | while IFS= read -r l; do diag "  $l"; done
		rc=1
	fi
	[ -s /tmp/m ] || { diag "pageblock_types is empty"; rc=1; }
	diag "$(tr -s ' ' <"$khh/pageblock_types" | tr '\n' ';')"
	unload || rc=1
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

# ---- the compactor (compactor_* parameters, compactor_status) ----
par=/sys/module/khugehog/parameters

# param_expect_einval NAME VALUE: writing it fails and changes nothing
param_expect_einval() {
	was=$(cat "$par/$1")
	if timed-write "$par/$1" "$2" >/dev/null 2>/tmp/werr; then
		diag "$1=$2 was accepted"
		return 1
	fi
	grep -q "Invalid argument" /tmp/werr || { diag "$1=$2: $(cat /tmp/werr)"; return 1; }
	[ "$(cat "$par/$1")" = "$was" ] || { diag "$1 changed to $(cat "$par/$1") by a rejected write"; return 1; }
}

cstat() {
	summary_val "$1" "$khh/compactor_status"
}

# poll SECONDS CMD...: run CMD every 0.1 s until it succeeds; fail after SECONDS
poll() {
	n=$(($1 * 10))
	shift
	until "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# The compactor's status: target reached; KEY at most, at least N.
target_reached() { [ "$(cstat target_reached_ns)" != -1 ]; }
cstat_le() { [ "$(cstat "$1")" -le "$2" ]; }
cstat_ge() { [ "$(cstat "$1")" -ge "$2" ]; }

# ms_since T0: milliseconds since /proc/uptime read T0
ms_since() {
	awk -v a="$1" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%d", (b - a) * 1000 }'
}

t_compactor_params_rejected() {
	load || return 1
	rc=0
	for pv in compactor_strategy=bogus compactor_strategy=Targeted compactor_interval_ms=9 \
		compactor_interval_ms=60001 compactor_wmark_high=0 compactor_wmark_high=101 \
		compactor_wmark_high=5 compactor_wmark_low=20 compactor_wmark_low=100 \
		compactor_index_threshold=1001 compactor_order=0 compactor_order=11 \
		compactor_pass_blocks=0 compactor_pass_blocks=4097 compactor_enabled=maybe \
		compactor_interval_ms=abc; do
		param_expect_einval "${pv%%=*}" "${pv#*=}" || rc=1
	done
	grep -qx "enabled 0" "$khh/compactor_status" || { diag "compactor enabled by a rejected write"; rc=1; }
	echo node >"$par/compactor_strategy" && [ "$(cat "$par/compactor_strategy")" = node ] ||
		{ diag "compactor_strategy does not read back 'node'"; rc=1; }
	unload || rc=1
	return $rc
}

# Each strategy makes freshly fragmented memory usable: targeted down to
# the low watermark, node halving the score, alloc doubling the free 2M
# blocks (functional bars; the figures are in results/).  The kernel's compaction
# begin/end events are kept, to tell from the log why a pass stopped.
t_compactor_strategies_reach_target() {
	rc=0
	tr=/sys/kernel/tracing
	for s in targeted node alloc; do
		# The random pattern: on the stride pattern the node file's
		# compaction stops early in about one run in four, its free
		# scanner striding over the kept pages (see README).
		start_frag -p random -S 7 || return 1
		load compactor_strategy=$s || { kill $fpid; return 1; }
		score0=$(cstat node0_score)
		free0=$(cstat node0_free_blocks)
		high=$(cat "$par/compactor_wmark_high")
		low=$(cat "$par/compactor_wmark_low")
		: >"$tr/trace"
		for e in mm_compaction_begin mm_compaction_end; do
			echo 1 >"$tr/events/compaction/$e/enable"
		done
		t0=$(cut -d' ' -f1 /proc/uptime)
		echo Y >"$par/compactor_enabled" || rc=1
		src=0 show=0
		case $s in
		targeted)
			poll 90 target_reached ||
				{ diag "$s: score $score0 -> $(cstat node0_score) in 90 s, low watermark $low not reached"; src=1; } ;;
		node)
			# One whole-node compaction leaves a score of 4-20 here.
			poll 60 cstat_le node0_score $((score0 / 2)) ||
				{ diag "$s: score $score0 -> $(cstat node0_score) in 60 s, not halved"; src=1; } ;;
		alloc)
			# It stalls now and then, as the kernel's direct
			# compaction does (see README): not doubling in 60 s is
			# said, and only no gain at all (checked below) fails.
			poll 60 cstat_ge node0_free_blocks $((2 * free0)) ||
				{ diag "$s: free 2M blocks $free0 -> $(cstat node0_free_blocks) in 60 s, not doubled"; show=1; } ;;
		esac
		ms=$(ms_since "$t0")
		# Disabling returns within a second, whatever the pass is doing.
		t1=$(cut -d' ' -f1 /proc/uptime)
		echo N >"$par/compactor_enabled" || rc=1
		stop_ms=$(ms_since "$t1")
		[ "$stop_ms" -lt 1000 ] || { diag "$s: disable took $stop_ms ms"; src=1; }
		echo 0 >"$tr/events/compaction/enable"
		diag "$s: score $score0 -> $(cstat node0_score), free 2M blocks $free0 -> $(cstat node0_free_blocks) in $ms ms, disabled in $stop_ms ms; passes $(cstat passes), pgmigrate_success $(cstat pgmigrate_success)"
		case $s in
		targeted)
			diag "  emptied $(cstat blocks_emptied) blocks (busy $(cstat blocks_busy)), floor $(cstat pages_floor) pages, own count $(cstat pages_migrated), soaked $(cstat pages_soaked)"
			[ "$(cstat blocks_emptied)" -gt 0 ] || { diag "targeted emptied no block"; src=1; }
			# The pages it freed are back in the buddy lists, not
			# parked on per-CPU lists (27000-30000 pages on 6.12
			# without its drain, 470-840 with it).
			pcp=$(pcp_pages)
			diag "  $pcp pages on per-CPU lists after the session"
			[ "$pcp" -lt 4096 ] || { diag "$s: $pcp pages left on per-CPU lists"; src=1; } ;;
		alloc)
			diag "  allocated $(cstat hugepages_allocated) order-9 pages, $(cstat alloc_failures) attempts failed, passes without progress $(cstat passes_no_progress)"
			[ "$(cstat hugepages_allocated)" -gt 0 ] || { diag "alloc allocated nothing"; src=1; } ;;
		esac
		[ "$(cstat node0_free_blocks)" -gt "$free0" ] || { diag "$s: no more free 2M blocks than before"; src=1; }
		grep -qx "state off" "$khh/compactor_status" || { diag "$s: $(grep ^state "$khh/compactor_status") after disable"; src=1; }
		if [ $src != 0 ] || [ $show = 1 ]; then
			diag "  timeline: $(tail -n 4 "$khh/compactor_timeline" | tr '\n' ';')"
			grep -E 'compaction_(begin|end)' "$tr/trace" | sed 's/^.*mm_/mm_/' | tail -n 8 |
				while IFS= read -r l; do diag "  $l"; done
			rc=1
		fi
		unload || rc=1
		kill -TERM $fpid
		wait $fpid
	done
	return $rc
}

# One event per block tried; the successful ones add up to the status.
t_compact_block_tracepoint() {
	rc=0
	tr=/sys/kernel/tracing
	ev=$tr/events/khugehog/compact_block
	start_frag || return 1
	load compactor_pass_blocks=8 compactor_interval_ms=100 || { kill $fpid; return 1; }
	[ -d "$ev" ] || { diag "no $ev"; unload; kill $fpid; return 1; }
	: >"$tr/trace"
	echo 1 >"$ev/enable"
	echo Y >"$par/compactor_enabled"
	sleep 3
	echo N >"$par/compactor_enabled"
	echo 0 >"$ev/enable"
	grep -o 'pfn=.*' "$tr/trace" >/tmp/ev
	awk '/result=0 / { n++; sub("nr_moved=", "", $3); m += $3 } END { printf "%d %d\n", n, m }' /tmp/ev >/tmp/evsum
	want="$(cstat blocks_emptied) $(cstat pages_migrated)"
	[ "$(cat /tmp/evsum)" = "$want" ] ||
		{ diag "events: $(cat /tmp/evsum) (emptied, moved); status: $want"; rc=1; }
	[ "$(cstat blocks_emptied)" -gt 0 ] || { diag "no block emptied in 3 s"; rc=1; }
	diag "$(wc -l </tmp/ev) events; $(head -n 1 /tmp/ev)"
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	return $rc
}

# Stopping a busy compactor: within 1 s every time, nothing leaked.
t_compactor_enable_disable_cycles() {
	rc=0
	free0=$(memfree)
	start_frag || return 1
	load compactor_pass_blocks=4096 compactor_wmark_low=0 compactor_wmark_high=1 || { kill $fpid; return 1; }
	worst=0
	for s in targeted node alloc; do
		echo $s >"$par/compactor_strategy"
		i=0
		while [ $i -lt 17 ]; do
			echo Y >"$par/compactor_enabled" || rc=1
			sleep 0.$((i % 4 * 2))
			t0=$(cut -d' ' -f1 /proc/uptime)
			echo N >"$par/compactor_enabled" || rc=1
			ms=$(ms_since "$t0")
			[ "$ms" -gt "$worst" ] && worst=$ms
			[ "$ms" -lt 1000 ] || { diag "$s: disable took $ms ms"; rc=1; }
			i=$((i + 1))
		done
	done
	diag "51 enable/disable cycles, slowest disable $worst ms"
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	free1=$(memfree)
	back_within_pct "$free1" "$free0" 1 || { diag "MemFree $free0 kB before, $free1 kB after"; rc=1; }
	return $rc
}

t_compactor_load_unload_cycles() {
	rc=0
	free0=$(memfree)
	start_frag || return 1
	worst=0
	i=0
	while [ $i -lt 20 ]; do
		s=targeted
		[ $((i % 3)) = 1 ] && s=node
		[ $((i % 3)) = 2 ] && s=alloc
		load compactor_enabled=Y compactor_strategy=$s compactor_pass_blocks=4096 \
			compactor_wmark_low=0 compactor_wmark_high=1 || { rc=1; break; }
		sleep 0.$((i % 5 * 2))
		t0=$(cut -d' ' -f1 /proc/uptime)
		unload || { rc=1; break; }
		ms=$(ms_since "$t0")
		[ "$ms" -gt "$worst" ] && worst=$ms
		[ "$ms" -lt 1000 ] || { diag "$s: rmmod of a busy compactor took $ms ms"; rc=1; }
		i=$((i + 1))
	done
	diag "20 load/unload cycles with the compactor running, slowest rmmod $worst ms"
	kill -TERM $fpid
	wait $fpid
	free1=$(memfree)
	back_within_pct "$free1" "$free0" 1 || { diag "MemFree $free0 kB before, $free1 kB after"; rc=1; }
	return $rc
}

# The watermarks can be given to insmod in either order; a pair the wrong
# way round is refused at insmod, and at run time each is checked against
# the other.
t_compactor_wmarks_any_order() {
	rc=0
	for args in "compactor_wmark_low=30 compactor_wmark_high=50" \
		"compactor_wmark_high=50 compactor_wmark_low=30"; do
		# shellcheck disable=SC2086 # two parameters
		load $args || { diag "insmod $args failed"; rc=1; continue; }
		got="$(cat "$par/compactor_wmark_low") $(cat "$par/compactor_wmark_high")"
		[ "$got" = "30 50" ] || { diag "insmod $args: low high = $got"; rc=1; }
		unload || rc=1
	done
	dmesg_mark
	if insmod "$module" compactor_wmark_low=50 compactor_wmark_high=30 2>/tmp/ierr; then
		diag "insmod compactor_wmark_low=50 compactor_wmark_high=30 succeeded"
		unload
		rc=1
	fi
	dmesg_new | grep khugehog | sed 's/^\[[^]]*\] //' | sort -u >/tmp/msgs
	[ "$(wc -l </tmp/msgs)" = 1 ] || { diag "low=50 high=30: not one distinct dmesg line"; rc=1; }
	while IFS= read -r l; do diag "  $l"; done </tmp/msgs
	load || return 1
	param_expect_einval compactor_wmark_low 20 || rc=1
	echo 60 >"$par/compactor_wmark_high" && echo 40 >"$par/compactor_wmark_low" ||
		{ diag "high=60 then low=40 refused"; rc=1; }
	param_expect_einval compactor_wmark_high 40 || rc=1
	unload || rc=1
	return $rc
}

# A userspace kill -9 of the kthread is not for it: it neither spins (a
# pending signal would end every sleep at once) nor stops compacting (it
# would end every pass at once).
t_compactor_ignores_userspace_kill() {
	rc=0
	start_frag -p random -S 7 || return 1
	# Enabled, with no node above the high watermark: it sleeps.
	load compactor_wmark_high=100 compactor_wmark_low=99 compactor_interval_ms=100 ||
		{ kill $fpid; return 1; }
	echo Y >"$par/compactor_enabled" || rc=1
	pid=$(kthread_pid khugehog_compactd) || { diag "no khugehog_compactd thread"; rc=1; }
	if [ -n "$pid" ]; then
		kill -9 "$pid" 2>>"$ktap_diag_file"
		sleep 0.5
		t0=$(cpu_ticks "$pid")
		sleep 2
		t1=$(cpu_ticks "$pid")
		diag "after kill -9: $((t1 - t0)) ticks of CPU in 2 s, $(awk '{ print "state " $3 }' "/proc/$pid/stat")"
		[ $((t1 - t0)) -le 20 ] || { diag "the compactor spins after a kill -9"; rc=1; }
	fi
	# It still compacts, down to the new low watermark.
	echo 5 >"$par/compactor_wmark_low" && echo 20 >"$par/compactor_wmark_high" || rc=1
	poll 90 cstat_le node0_score 5 ||
		{ diag "after kill -9: score $(cstat node0_score), not down to 5 in 90 s; blocks_emptied $(cstat blocks_emptied), blocks_failed $(cstat blocks_failed)"; rc=1; }
	[ "$(cstat blocks_emptied)" -gt 0 ] || { diag "no block emptied after kill -9"; rc=1; }
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo N >"$par/compactor_enabled" || rc=1
	ms=$(ms_since "$t0")
	diag "then: score $(cstat node0_score) after $(cstat passes) passes, $(cstat blocks_emptied) blocks emptied; disabled in $ms ms"
	[ "$ms" -lt 1000 ] || { diag "disable took $ms ms"; rc=1; }
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	return $rc
}

# An emptied block with a page that another CPU holds a reference on goes
# back page by page, the last put freeing the held one: no bad page, no
# page lost.  compactor_hold_tail_ref has the compactor hold that reference
# on every block it frees.
t_compactor_frees_block_with_held_page() {
	rc=0
	free0=$(memfree)
	start_frag -p random -S 7 || return 1
	load compactor_pass_blocks=8 compactor_interval_ms=100 || { kill $fpid; return 1; }
	echo Y >"$khh/compactor_hold_tail_ref" || rc=1
	dmesg_mark
	echo Y >"$par/compactor_enabled" || rc=1
	poll 60 cstat_ge blocks_emptied 16 || diag "fewer than 16 blocks emptied in 60 s"
	echo N >"$par/compactor_enabled" || rc=1
	emptied=$(cstat blocks_emptied)
	piecewise=$(cstat blocks_freed_piecewise)
	diag "$emptied blocks emptied, $piecewise given back page by page"
	[ "$emptied" -gt 0 ] && [ "$piecewise" = "$emptied" ] || rc=1
	if dmesg_new | grep -E 'Bad page|BUG:|WARNING:|still in use' >/tmp/bad; then
		diag "dmesg:"
		head -n 8 /tmp/bad | while IFS= read -r l; do diag "  $l"; done
		rc=1
	fi
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	free1=$(memfree)
	back_within_pct "$free1" "$free0" 1 || { diag "MemFree $free0 kB before, $free1 kB after"; rc=1; }
	return $rc
}

# A node compaction can outlast the freezer's timeout: before the system
# sleeps, the pass is cut short and the kthread freezes.  Suspend to idle
# with pm_test=freezer freezes every task, waits 5 s and thaws them.
t_compactor_node_pass_lets_system_freeze() {
	pm=/sys/power
	[ -w "$pm/pm_test" ] && grep -qw freeze "$pm/state" ||
		{ skip "no /sys/power/pm_test or no suspend to idle in this kernel"; return; }
	rc=0
	start_frag -p random -S 7 || return 1
	load compactor_strategy=node compactor_wmark_low=0 compactor_wmark_high=1 || { kill $fpid; return 1; }
	timeout0=$(cat "$pm/pm_freeze_timeout")
	echo freezer >"$pm/pm_test" || rc=1
	echo 200 >"$pm/pm_freeze_timeout" || rc=1
	echo Y >"$par/compactor_enabled" || rc=1
	poll 10 grep -qx "state compacting" "$khh/compactor_status" || diag "the compactor did not start a pass"
	sleep 0.2
	dmesg_mark
	t0=$(cut -d' ' -f1 /proc/uptime)
	timed-write "$pm/state" freeze >/dev/null 2>/tmp/werr || { diag "suspend to idle: $(cat /tmp/werr)"; rc=1; }
	ms=$(ms_since "$t0")
	echo none >"$pm/pm_test"
	echo "$timeout0" >"$pm/pm_freeze_timeout"
	diag "suspend to idle (pm_test=freezer, 5 s) took $ms ms; compactor passes $(cstat passes), state $(cstat state)"
	if dmesg_new | grep -iE 'freezing.*(fail|abort)|refusing to freeze|not stopped' >/tmp/bad; then
		head -n 6 /tmp/bad | while IFS= read -r l; do diag "  $l"; done
		rc=1
	fi
	echo N >"$par/compactor_enabled" || rc=1
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	return $rc
}

# Pins land in the share of pageblocks asked for, and all come back.
t_pin_unpin() {
	load || return 1
	rc=0
	for w in "pin" "pin share=101" "pin share=abc" "pin seed=1" "pin share=5 bogus=1" "unpin now"; do
		write_expect "Invalid argument" "$w" || rc=1
	done
	free0=$(memfree)
	blocks=$(awk '$1 == "spanned" { n += int($2 / 512) + 1 } END { print n }' /proc/zoneinfo)
	echo "pin share=25 seed=3" >"$khh/control" || rc=1
	n=$(summary_val pinned "$khh/status")
	write_expect "Device or resource busy" "pin share=25" || rc=1
	awk -v n="$n" -v b="$blocks" 'BEGIN { exit !(n >= b * 0.15 && n <= b * 0.35) }' ||
		{ diag "pinned $n pages in $blocks pageblocks for share=25"; rc=1; }
	echo unpin >"$khh/control" || rc=1
	echo "pin share=25 seed=3" >"$khh/control" || rc=1
	n2=$(summary_val pinned "$khh/status")
	[ "$n2" = "$n" ] || { diag "seed 3 pinned $n, then $n2 pages"; rc=1; }
	echo unpin >"$khh/control" || rc=1
	[ "$(summary_val pinned "$khh/status")" = 0 ] || { diag "pages still pinned after unpin"; rc=1; }
	free1=$(memfree)
	back_within_pct "$free1" "$free0" 1 || { diag "MemFree $free0 kB before, $free1 kB after unpin"; rc=1; }
	diag "share=25: $n of $blocks pageblocks pinned"

	# frag --unmovable pins after punching and unpins when it exits.
	rm -f /tmp/frag.log
	"$frag" -q -s 256M -u 10:5 >/tmp/frag.log 2>&1 &
	fpid=$!
	i=0
	until grep -qs '^frag: ready' /tmp/frag.log || [ $i -gt 600 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q '^frag: pinned [1-9]' /tmp/frag.log || { diag "frag -u 10:5: $(cat /tmp/frag.log)"; rc=1; }
	[ "$(summary_val pinned "$khh/status")" -gt 0 ] || { diag "nothing pinned while frag -u runs"; rc=1; }
	kill -TERM $fpid
	wait $fpid
	[ "$(summary_val pinned "$khh/status")" = 0 ] || { diag "frag exited, $(summary_val pinned "$khh/status") pages still pinned"; rc=1; }
	diag "$(grep '^frag: pinned' /tmp/frag.log)"

	echo "pin share=10" >"$khh/control" || rc=1
	unload || rc=1
	return $rc
}

# types_kept WHAT BEFORE AFTER: per pageblock type other than MOVABLE,
# the blocks it lost between BEFORE and AFTER (counts of /proc/pagetypeinfo)
# are no more than the allocator itself gave to movable allocations (the
# mm_page_alloc_extfrag events with change_ownership=1 in the trace).
types_kept() {
	grep -o 'alloc_migratetype=1 fallback_migratetype=[0-9]* .*change_ownership=1' \
		/sys/kernel/tracing/trace | sed 's/.*fallback_migratetype=\([0-9]*\) .*/\1/' >/tmp/steals
	awk -v what="$1" '
		FILENAME == "/tmp/steals" { stolen[$1]++; next }
		FNR == 1 { f++ }
		{ zone = $4; for (i = 5; i <= NF; i++) n[f, zone, i - 5] = $i; zones[zone] = 1; nt = NF - 4 }
		END {
			ok = 1
			for (t = 0; t < nt; t++) {
				if (t == 1)
					continue
				lost = 0
				for (z in zones)
					if (n[1, z, t] > n[2, z, t])
						lost += n[1, z, t] - n[2, z, t]
				if (lost > stolen[t] + 0) {
					printf "%s: %d blocks of type %d lost, the allocator took %d\n", what, lost, t, stolen[t] + 0
					ok = 0
				}
			}
			exit !ok
		}' /tmp/steals "$2" "$3" >>"$ktap_diag_file"
	st=$?
	diag "$1: blocks per type (Unmovable Movable Reclaimable ...) before: $(tr -s ' ' <"$2" | tr '\n' ';') after: $(tr -s ' ' <"$3" | tr '\n' ';') allocator steals for movable: $(wc -l </tmp/steals)"
	return $st
}

# Pins and the targeted compactor only use MOVABLE pageblocks: on any
# other, alloc_contig_range() would relabel the block MOVABLE.
t_pageblock_types_kept() {
	rc=0
	tr=/sys/kernel/tracing
	ev=$tr/events/kmem/mm_page_alloc_extfrag
	load || return 1
	: >"$tr/trace"
	echo 1 >"$ev/enable"
	kernel_block_counts >/tmp/pt0
	echo "pin share=100 seed=1" >"$khh/control" || rc=1
	n=$(summary_val pinned "$khh/status")
	echo unpin >"$khh/control" || rc=1
	kernel_block_counts >/tmp/pt1
	echo 0 >"$ev/enable"
	types_kept "pin share=100 ($n pins), unpin" /tmp/pt0 /tmp/pt1 || rc=1
	unload || rc=1

	start_frag -p random -S 7 || return 1
	load || { kill $fpid; return 1; }
	: >"$tr/trace"
	echo 1 >"$ev/enable"
	kernel_block_counts >/tmp/pt0
	echo Y >"$par/compactor_enabled" || rc=1
	poll 90 target_reached || { diag "targeted: target not reached in 90 s"; rc=1; }
	echo N >"$par/compactor_enabled" || rc=1
	kernel_block_counts >/tmp/pt1
	echo 0 >"$ev/enable"
	types_kept "targeted session ($(cstat blocks_emptied) blocks emptied)" /tmp/pt0 /tmp/pt1 || rc=1
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	return $rc
}

# A memory block taken offline: its struct pages are not read (pfn_valid()
# is still true there), its pageblocks are not counted, and it can come
# back online afterwards.  The module reads nothing there on a kernel
# whose offline memmap is poisoned (DEBUG_VM), and here it must at least
# run cleanly around the hole.
t_offline_memory_untouched() {
	mem=/sys/devices/system/memory
	[ -d "$mem" ] || { skip "no memory hotplug in this kernel"; return; }
	blk=
	for n in $(ls "$mem" | sed -n 's/^memory\([0-9]*\)$/\1/p' | sort -rn); do
		[ "$n" = 0 ] && continue
		[ "$(cat "$mem/memory$n/online")" = 1 ] || continue
		if echo 0 >"$mem/memory$n/online" 2>/dev/null; then
			blk=$mem/memory$n
			break
		fi
	done
	[ -n "$blk" ] || { skip "no memory block would go offline"; return; }
	rc=0
	dmesg_mark
	load || { echo 1 >"$blk/online"; return 1; }
	kernel_block_counts >/tmp/k1
	cat "$khh/pageblock_types" >/tmp/m
	cmp -s /tmp/k1 /tmp/m || { diag "with ${blk##*/} offline, pageblock_types differs from /proc/pagetypeinfo"; rc=1; }
	echo "pin share=100 seed=2" >"$khh/control" || rc=1
	n=$(summary_val pinned "$khh/status")
	echo unpin >"$khh/control" || rc=1
	start_frag -p random -S 7 || { unload; echo 1 >"$blk/online"; return 1; }
	echo Y >"$par/compactor_enabled" || rc=1
	poll 90 target_reached || { diag "targeted: target not reached in 90 s"; rc=1; }
	echo N >"$par/compactor_enabled" || rc=1
	diag "${blk##*/} offline: $n pins, targeted emptied $(cstat blocks_emptied) blocks"
	unload || rc=1
	kill -TERM $fpid
	wait $fpid
	echo 1 >"$blk/online" || { diag "${blk##*/} would not come back online"; rc=1; }
	if dmesg_new | grep -E "$ktap_bad_dmesg|Bad page" >/tmp/bad; then
		head -n 8 /tmp/bad | while IFS= read -r l; do diag "  $l"; done
		rc=1
	fi
	return $rc
}

t_dmesg_clean() {
	if dmesg | grep -E "$ktap_bad_dmesg" >/tmp/bad; then
		diag "dmesg:"
		sed 's/^/  /' /tmp/bad | head -n 20 | while IFS= read -r l; do diag "$l"; done
		return 1
	fi
}

ktap_out() {
	echo "$*" | tee -a "$out/ktap.txt"
}

# On the console only: if the guest dies, the runner names the test.
ktap_before_test() {
	echo "# $ktap_prefix: running $ktap_nr $ktap_t" >&2
}

# A test that failed half-way must not leave the module for the next.
ktap_after_test() {
	[ -d "$khh" ] && rmmod khugehog 2>/dev/null
	return 0
}

mkdir -p "$out"
: >"$out/ktap.txt"
ktap_run "khugehog integration tests on $krel" "$krel" "$tests"
e=$?
dmesg >"$out/dmesg.txt"
exit $e
