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
busy_while_running_and_unload_mid_run extfrag_files_match_kernel
alloc_latency_tracepoint dmesg_clean"

. /khugehog/scripts/ktap.sh

# Free memory in kB, counting the pages parked on per-CPU lists: MemFree
# leaves them out, and freed order-9 pages can sit there (6.1+), which
# would look like a leak.
memfree() {
	awk '$1 == "count:" { pcp += $2 } END { print pcp * 4 }' /proc/zoneinfo >/tmp/pcp
	awk -v pcp="$(cat /tmp/pcp)" '/^MemFree:/ { print $2 + pcp }' /proc/meminfo
}

# back_within_pct NOW BEFORE PCT: NOW is at most PCT% below BEFORE
# (more free memory than before is no leak)
back_within_pct() {
	awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { exit !(a >= b - b * p / 100) }'
}

status_is() {
	grep -qx "state $1" "$khh/status"
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
	for f in control latencies summary status; do
		cat "$khh/$f" >/tmp/f 2>>"$ktap_diag_file" || { diag "cannot read $f"; rc=1; }
		[ -s /tmp/f ] || { diag "$f is empty"; rc=1; }
	done
	[ "$(wc -l <"$khh/latencies")" = 4 ] || { diag "latencies: $(wc -l <"$khh/latencies") lines, expected 4"; rc=1; }
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
		"start max_failures=1025" \
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
		max_failures=0 max_failures=5000; do
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

# start_frag: frag fragments memory in the background (pid in fpid);
# returns once it has punched, or fails if it dies or takes 5 minutes.
start_frag() {
	"$frag" -q >/tmp/frag.log 2>&1 &
	fpid=$!
	n=3000
	until grep -q '^frag: ready' /tmp/frag.log; do
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
