#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The experiment: fragment memory with frag, get it ready for huge pages
# the way MODE says, then let khugehog.ko allocate order-9 pages until the
# first failure, timing each.  Snapshots of /proc/vmstat, buddyinfo,
# meminfo and the extfrag debugfs files are taken around every phase.
#
# POSIX sh: it runs under busybox in the guest of scripts/vm-run.sh, and
# on a real test box with --host.
set -u

usage() {
	cat >&2 <<EOF
usage: $0 [options] MODE...
MODE: ondemand (compaction only on the allocation path) or manual
(echo 1 > /proc/sys/vm/compact_memory first, timed).  Modes run one after
another, each on freshly fragmented memory.

  -o, --out DIR          results directory (default: /results in the guest)
      --host             run on this machine, not in a throwaway VM: needs root,
                         and fills most of RAM
      --module PATH      khugehog.ko (default: next to the scripts)
      --frag PATH        frag binary (default: next to the scripts)
      --frag-args ARGS   more frag options, e.g. "-k 128 -p head"
      --gfp PRESET       kernel (default), transhuge_light, transhuge_retry
      --order N          allocation order (default 9)
      --max-failures N   failed allocations in a row that end a run (default 16;
                         1 is the reference article's "until the first failure")
      --timeout SEC      limit for each phase (default 600)
EOF
	exit 2
}

say() {
	echo "experiment: $*"
}

die() {
	echo "experiment: $*" >&2
	exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
out=
host=0
module=
frag=
frag_args=
gfp=kernel
order=9
max_failures=16
phase_timeout=600
modes=

while [ $# -gt 0 ]; do
	case $1 in
	-o|--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--host) host=1; shift ;;
	--module) [ $# -ge 2 ] || usage; module=$2; shift 2 ;;
	--frag) [ $# -ge 2 ] || usage; frag=$2; shift 2 ;;
	--frag-args) [ $# -ge 2 ] || usage; frag_args=$2; shift 2 ;;
	--gfp) [ $# -ge 2 ] || usage; gfp=$2; shift 2 ;;
	--order) [ $# -ge 2 ] || usage; order=$2; shift 2 ;;
	--max-failures) [ $# -ge 2 ] || usage; max_failures=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; phase_timeout=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "experiment: unknown option $1" >&2; usage ;;
	ondemand|manual) modes="$modes $1"; shift ;;
	*) echo "experiment: unknown mode '$1'" >&2; usage ;;
	esac
done
[ -n "$modes" ] || { echo "experiment: no MODE given" >&2; usage; }
case $order in ''|*[!0-9]*) echo "experiment: bad --order '$order'" >&2; usage ;; esac
case $max_failures in ''|*[!0-9]*|0) echo "experiment: bad --max-failures '$max_failures'" >&2; usage ;; esac
case $phase_timeout in ''|*[!0-9]*) echo "experiment: bad --timeout" >&2; usage ;; esac

if grep -qw khugehog.guest=1 /proc/cmdline; then
	[ -n "$out" ] || out=/results
	[ -n "$module" ] || module=/khugehog/khugehog.ko
	[ -n "$frag" ] || frag=/khugehog/bin/frag
	timed_write=/khugehog/bin/timed-write
else
	[ "$host" = 1 ] ||
		die "not in a khugehog guest: this fills most of RAM; pass --host to run here anyway"
	[ "$(id -u)" = 0 ] || die "--host needs root (module loading, sysctls, pagemap PFNs)"
	[ -n "$out" ] || die "--host needs --out DIR"
	[ -n "$module" ] || module=$here/../kmod/khugehog.ko
	[ -n "$frag" ] || frag=$here/../userspace/frag
	timed_write=$here/../userspace/timed-write
fi
for f in "$module" "$frag" "$timed_write"; do
	[ -e "$f" ] || die "$f not found (run make)"
done

dbg=/sys/kernel/debug
khh=$dbg/khugehog
proactive=/proc/sys/vm/compaction_proactiveness
saved_proactive=
loaded=0
frag_pid=

# --- cleanup: everything the run took is given back, also on a signal
cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$frag_pid" ]; then
		kill -TERM "$frag_pid" 2>/dev/null
		wait "$frag_pid" 2>/dev/null
	fi
	if [ -d "$khh" ]; then
		echo abort >"$khh/control" 2>/dev/null
		wait_state_not running 30 2>/dev/null
		echo release >"$khh/control" 2>/dev/null
	fi
	[ "$loaded" = 1 ] && rmmod khugehog 2>/dev/null
	[ -n "$saved_proactive" ] && echo "$saved_proactive" >"$proactive"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM HUP

# wait_state_not STATE SECONDS: poll khugehog's status until it leaves STATE
wait_state_not() {
	n=$(($2 * 10))
	while grep -qx "state $1" "$khh/status"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# wait_line FILE PATTERN SECONDS: wait for a line from frag, while it lives
wait_line() {
	n=$(($3 * 10))
	until grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$frag_pid" 2>/dev/null || die "frag exited early: $(tail -n 3 "$1")"
		n=$((n - 1))
		[ "$n" -gt 0 ] || die "timed out waiting for '$2' from frag"
		sleep 0.1
	done
}

# snapshot MODEDIR PHASE (sh has no locals: names here are its own)
snapshot() {
	snap_dir=$1/snap/$2
	mkdir -p "$snap_dir"
	cat /proc/meminfo >"$snap_dir/meminfo"
	cat /proc/vmstat >"$snap_dir/vmstat"
	cat /proc/buddyinfo >"$snap_dir/buddyinfo"
	cat /proc/pagetypeinfo >"$snap_dir/pagetypeinfo" 2>/dev/null
	cat /proc/zoneinfo >"$snap_dir/zoneinfo"
	for snap_f in extfrag_index unusable_index; do
		cat "$dbg/extfrag/$snap_f" >"$snap_dir/$snap_f" 2>/dev/null
	done
}

read_cmdline_param() {
	tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1
}

# init_on_alloc as the kernel applied it: the boot log says it plainly.
init_on_alloc_state() {
	v=$(read_cmdline_param init_on_alloc)
	case $v in
	0|off|n|N) echo 0; return ;;
	1|on|y|Y) echo 1; return ;;
	esac
	if dmesg | grep -q 'heap alloc:on'; then echo 1
	elif dmesg | grep -q 'heap alloc:off'; then echo 0
	else echo unknown
	fi
}

record_setup() {
	{
		echo "kernel=$(uname -r)"
		echo "cmdline=$(cat /proc/cmdline)"
		echo "init_on_alloc=$(init_on_alloc_state)"
		echo "thp_enabled=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
		echo "thp_defrag=$(cat /sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null)"
		echo "compaction_proactiveness=$(cat $proactive 2>/dev/null)"
		echo "extfrag_threshold=$(cat /proc/sys/vm/extfrag_threshold 2>/dev/null)"
		echo "min_free_kbytes=$(cat /proc/sys/vm/min_free_kbytes)"
		echo "mem_total_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
		echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
		echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "modes=$(echo $modes)"
		echo "gfp=$gfp"
		echo "order=$order"
		echo "max_failures=$max_failures"
		echo "frag_args=$frag_args"
	} >"$out/setup.txt"
}

# --- one mode, on freshly fragmented memory
run_mode() {
	mode=$1
	d=$out/$mode
	rm -rf "$d"
	mkdir -p "$d"
	say "$mode: fragmenting memory"
	snapshot "$d" before
	# shellcheck disable=SC2086 # frag_args is a list of options
	"$frag" --dump "$d/pagemap" --wait-punch $frag_args >"$d/frag.log" 2>&1 &
	frag_pid=$!
	wait_line "$d/frag.log" '^frag: filled' "$phase_timeout"
	snapshot "$d" filled
	kill -USR1 "$frag_pid"
	wait_line "$d/frag.log" '^frag: ready' "$phase_timeout"
	snapshot "$d" punched
	say "$mode: $(grep '^frag: ready' "$d/frag.log")"

	case $mode in
	manual)
		say "$mode: echo 1 > /proc/sys/vm/compact_memory"
		s=$("$timed_write" /proc/sys/vm/compact_memory 1) ||
			die "writing compact_memory failed"
		echo "compaction_s=$s" >"$d/compaction.txt"
		say "$mode: compaction took $s s"
		;;
	*)
		echo "compaction_s=none" >"$d/compaction.txt"
		;;
	esac
	snapshot "$d" compacted

	say "$mode: allocating order-$order pages ($gfp) until $max_failures failures in a row"
	echo "start order=$order gfp=$gfp max_failures=$max_failures" >"$khh/control" ||
		die "cannot start a khugehog run"
	wait_state_not running "$phase_timeout" || die "khugehog run did not finish in ${phase_timeout}s"
	cat "$khh/latencies" >"$d/latencies.txt"
	cat "$khh/summary" >"$d/summary.txt"
	snapshot "$d" allocated
	say "$mode: $(awk '$1 == "allocated" { a = $2 } $1 == "p50_ns" { p = $2 } $1 == "p90_ns" { q = $2 }
		END { printf "%d pages, p50 %.1f us, p90 %.1f us", a, p / 1000, q / 1000 }' "$d/summary.txt")"

	# Release first: the hugepages leave less than the min watermark free,
	# too little to write the dump safely, and releasing them moves none
	# of frag's pages (their PFNs are in latencies.txt).
	echo release >"$khh/control" || die "cannot release the pages"
	kill -USR1 "$frag_pid"
	wait_line "$d/frag.log" 'dumped .*pagemap-2' "$phase_timeout"
	kill -TERM "$frag_pid"
	wait "$frag_pid"
	frag_pid=
	snapshot "$d" released
}

mkdir -p "$out" || die "cannot create $out"
grep -q " $dbg debugfs " /proc/mounts || mount -t debugfs debugfs "$dbg" || die "cannot mount debugfs"
if [ ! -d "$khh" ]; then
	insmod "$module" || die "insmod $module failed"
	loaded=1
fi
record_setup
# Kernel proactive compaction would compact behind our back.
if [ -w "$proactive" ]; then
	saved_proactive=$(cat "$proactive")
	echo 0 >"$proactive"
	echo "compaction_proactiveness_during_run=0" >>"$out/setup.txt"
fi
for m in $modes; do
	run_mode "$m"
done
dmesg >"$out/dmesg.txt"
say "done: results in $out"
