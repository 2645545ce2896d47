# SPDX-License-Identifier: GPL-2.0
#
# The guest tests' own helpers: loading the module, starting frag, reading
# its files.  Sourced by vm-tests.sh, after scripts/lib.sh and ktap.sh.

# The OOM killer's lines, and a panic's
oom_lines='Out of memory|invoked oom-killer|oom-kill:|Kernel panic'


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
	kv "$1" "$khh/compactor_status"
}

# The compactor's status: target reached; KEY at most, at least N.
target_reached() { [ "$(cstat target_reached_ns)" != -1 ]; }

cstat_le() { [ "$(cstat "$1")" -le "$2" ]; }

cstat_ge() { [ "$(cstat "$1")" -ge "$2" ]; }

# The block counts of /proc/pagetypeinfo ("Number of blocks type"), one
# line per zone.
kernel_block_counts() {
	awk '/^Number of blocks type/ { on = 1; next } on && /^Node/ { print; next } { on = 0 }' /proc/pagetypeinfo
}

# strategies: the compactor's strategies, as the loaded module lists them
strategies() {
	tr -d '[]' <"$par/compactor_strategy"
}

# end_frag: stop the frag start_frag started, and wait for it
end_frag() {
	kill -TERM $fpid
	wait $fpid
}

# How far below its level before a test free memory may end (%): 1, or 4
# on an instrumented kernel (vm-run.sh says so on the command line), where
# KASAN's quarantine holds up to 1/32 of memory in freed objects and
# page_owner's stack depot only grows.  kmemleak looks for leaks there.
leak_pct=1
instrumented=0
grep -qw khugehog.instrumented=1 /proc/cmdline && leak_pct=4 instrumented=1

# The compactor's functional bars (its low watermark, a halved score, more
# free 2M blocks) are not asserted under an instrumented kernel: its
# sanitizers leave unmovable pages in a quarter of a 1 GiB guest's
# pageblocks, where compact_memory itself takes the score from 67 to 33
# only.  There a bar is waited for 20 s at most, and a miss is noted in
# bars_missed (vm-tests.sh empties it before each test); bars_result turns
# a test that passed all else into a SKIP that names it.  Everything else
# those tests check, and the kernel's own reports, still count.

# bar_s SECONDS: how long to wait for a bar here
bar_s() {
	if [ "$instrumented" = 1 ] && [ "$1" -gt 20 ]; then
		echo 20
	else
		echo "$1"
	fi
}

# missed_bar WHAT: fails, or under an instrumented kernel notes WHAT
missed_bar() {
	[ "$instrumented" = 1 ] || return 1
	bars_missed="${bars_missed:+$bars_missed; }$1"
	diag "$1: not reached, not asserted under an instrumented kernel"
}

# bar SECONDS WHAT CMD...: poll CMD for up to bar_s SECONDS; missed_bar WHAT
# when it never succeeds
bar() {
	local s what=$2

	s=$(bar_s "$1")
	shift 2
	poll "$s" "$@" && return 0
	missed_bar "$what in $s s"
}

# quick_ms MS WHAT: a stop that took MS ms was quick: under 1 s.  Under an
# instrumented kernel that is a bar, and only 10 s fails: there freeing a
# page also unmaps it from the kernel's page tables (debug_pagealloc) and
# poisons it (KASAN), and a stopped pass gives back every page it held.
quick_ms() {
	[ "$1" -lt 1000 ] && return 0
	diag "$2 took $1 ms"
	[ "$1" -lt 10000 ] && missed_bar "$2 within 1 s"
}

# bars_result RC: RC, or when it is 0 and a bar was missed, a SKIP naming it
bars_result() {
	[ "$1" = 0 ] && [ -n "$bars_missed" ] &&
		{ skip "instrumented kernel: $bars_missed"; return; }
	return "$1"
}

# memory_back FREE0 [WHEN]: free memory is back within leak_pct of FREE0
# (kB); more free memory than before is no leak
memory_back() {
	local now

	now=$(free_kib)
	back_within_pct "$now" "$1" "$leak_pct" && return 0
	diag "MemFree $1 kB before, $now kB after${2:+ $2}"
	return 1
}
