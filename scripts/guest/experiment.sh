#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The experiment: fragment memory with frag, get it ready for huge pages
# the way MODE says (modes.sh), then let khugehog.ko allocate order-9 pages
# until they fail, timing each.  Snapshots of /proc/vmstat, buddyinfo,
# meminfo and the extfrag debugfs files are taken around every phase, and
# the node fragmentation score and free 2M blocks are sampled every 0.5 s
# from the start of the compaction phase to the end of the allocations.
#
# POSIX sh: it runs under busybox in the guest of scripts/host/vm-run.sh,
# and on a real test box with --host.  Busybox's awk has no '^': no powers.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/modes.sh"
. "$here/record.sh"

usage() {
	{
		echo "usage: $0 [options] MODE..."
		echo "Modes run one after another, each on freshly fragmented memory:"
		printf '%s\n%s\n' "$mode_table" "$mode_groups" | awk -F'|' '
			{
				n = split($NF, w, " ")
				line = sprintf("  %-32s", $1)
				for (i = 1; i <= n; i++) {
					if (length(line) + length(w[i]) > 78) {
						print line
						line = sprintf("  %-32s", "")
					}
					line = line " " w[i]
				}
				print line
			}'
		cat <<EOF

  -o, --out DIR          results directory (default: /results in the guest)
      --host             run on this machine, not in a throwaway VM: needs root,
                         and fills most of RAM
      --module PATH      khugehog.ko (default: next to the scripts)
      --frag PATH        frag binary (default: next to the scripts)
      --frag-args ARGS   more frag options, e.g. "-k 64 -p stride", or
                         "-S 7 --unmovable 5:1" (frag has the module pin one
                         unmovable page in 5% of the pageblocks, seed 1)
      --gfp PRESET       kernel (default), transhuge_light, transhuge_retry
      --order N          allocation order (default 9)
      --max-failures N   failed allocations in a row that end a run (default 16;
                         1 is the reference article's "until the first failure")
      --rate N           allocate N pages a second, on a schedule, each late one
                         recorded as late (the module's start rate=; default 0:
                         back to back)
      --count N          end a run after N attempts (default 0: no limit)
      --timeout SEC      limit for each phase (default 600)
      --proactiveness "N..."
                         the values proactive-kernel expands to (default "20 100")
      --settle SEC       proactive-kernel-N: stop waiting once no node's score has
                         fallen for SEC s (default 15).  After a pass that does not
                         lower the score, kcompactd waits 32 s (500 ms <<
                         COMPACT_MAX_DEFER_SHIFT, on 6.1 and 6.12) before the next:
                         a SEC below that does not wait for the retry
      --compaction-timeout SEC
                         longest wait for proactive compaction (default 90)
      --compactor-params "NAME=VALUE..."
                         proactive-module-S: more compactor parameters, written to
                         /sys/module/khugehog/parameters/compactor_NAME before it is
                         enabled, e.g. "interval_ms=200 wmark_low=2 pass_blocks=128"
      --default-modes "M..."
                         the MODE... to run when none is given (a driver's own
                         choice: scripts/host/scaling.sh, sustained.sh)
      --reference-mode M also run M, first, whatever MODE... is: the mode the
                         others are held to (sustained.sh: manual, whose p50 is
                         the free-list latency)
      --list-modes       print the modes that MODE... stand for, one a line, and exit
      --boot-params      print the kernel parameters the modes to run need on the
                         kernel command line (defrag-mode's), and exit
      --mode M           of the modes that MODE... stand for, run M only (a fresh
                         guest per mode does this)
EOF
	} >&2
	exit 2
}

say() {
	echo "experiment: $*"
}

die() {
	echo "experiment: $*" >&2
	exit 1
}

bad() {
	echo "experiment: $*" >&2
	usage
}

# once OPTION: an option with a value may be given once (lib.sh's given_twice)
once() {
	! given_twice "$1" || bad "$1 given twice"
}

out=
host=0
module=
frag=
frag_args=
gfp=kernel
order=9
max_failures=16
rate=0
count=0
phase_timeout=600
proactiveness="20 100"
settle=15
compaction_timeout=90
compactor_params=
list_modes=0
default_modes=
reference_mode=
boot_params=0
only_mode=
mode_args=

while [ $# -gt 0 ]; do
	case $1 in
	-o|--out) [ $# -ge 2 ] || usage; once --out; out=$2; shift 2 ;;
	--host) host=1; shift ;;
	--module) [ $# -ge 2 ] || usage; once --module; module=$2; shift 2 ;;
	--frag) [ $# -ge 2 ] || usage; once --frag; frag=$2; shift 2 ;;
	--frag-args) [ $# -ge 2 ] || usage; once --frag-args; frag_args=$2; shift 2 ;;
	--gfp) [ $# -ge 2 ] || usage; once --gfp; gfp=$2; shift 2 ;;
	--order) [ $# -ge 2 ] || usage; once --order; order=$2; shift 2 ;;
	--max-failures) [ $# -ge 2 ] || usage; once --max-failures; max_failures=$2; shift 2 ;;
	--rate) [ $# -ge 2 ] || usage; once --rate; rate=$2; shift 2 ;;
	--count) [ $# -ge 2 ] || usage; once --count; count=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; once --timeout; phase_timeout=$2; shift 2 ;;
	--proactiveness) [ $# -ge 2 ] || usage; once --proactiveness; proactiveness=$2; shift 2 ;;
	--settle) [ $# -ge 2 ] || usage; once --settle; settle=$2; shift 2 ;;
	--compaction-timeout) [ $# -ge 2 ] || usage; once --compaction-timeout; compaction_timeout=$2; shift 2 ;;
	--compactor-params) [ $# -ge 2 ] || usage; once --compactor-params; compactor_params=$2; shift 2 ;;
	--default-modes) [ $# -ge 2 ] || usage; once --default-modes; default_modes=$2; shift 2 ;;
	--reference-mode) [ $# -ge 2 ] || usage; once --reference-mode; reference_mode=$2; shift 2 ;;
	--list-modes) list_modes=1; shift ;;
	--boot-params) boot_params=1; shift ;;
	--mode) [ $# -ge 2 ] || usage; once --mode; only_mode=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) bad "unknown option $1" ;;
	*) mode_args="$mode_args $1"; shift ;;
	esac
done

# is_proactiveness N: 1..100, no leading zero (sh reads 010 as octal)
is_proactiveness() {
	case $1 in
	[1-9]|[1-9][0-9]|100) return 0 ;;
	esac
	return 1
}

# is_count N: a positive integer
is_count() {
	case $1 in
	''|0*|*[!0-9]*) return 1 ;;
	esac
	return 0
}

case $order in ''|*[!0-9]*) bad "bad --order '$order'" ;; esac
case $max_failures in ''|*[!0-9]*|0) bad "bad --max-failures '$max_failures'" ;; esac
case $rate in ''|*[!0-9]*|0?*) bad "bad --rate '$rate' (a number of pages a second)" ;; esac
[ ${#rate} -le 7 ] && [ "$rate" -le 1000000 ] || bad "bad --rate '$rate' (at most 1000000)"
case $count in ''|*[!0-9]*|0?*) bad "bad --count '$count'" ;; esac
case $phase_timeout in ''|*[!0-9]*) bad "bad --timeout '$phase_timeout'" ;; esac
is_count "$settle" || bad "bad --settle '$settle' (seconds, > 0)"
is_count "$compaction_timeout" || bad "bad --compaction-timeout '$compaction_timeout' (seconds, > 0)"
case $proactiveness in *[!\ \	]*) ;; *) bad "--proactiveness: no value" ;; esac
for n in $proactiveness; do
	is_proactiveness "$n" || bad "bad --proactiveness value '$n' (1..100)"
done
# NAME=VALUE words; NAME with or without its compactor_ prefix.  The mode
# sets the strategy and enables the compactor: those are not parameters.
for p in $compactor_params; do
	name=${p%%=*}
	name=${name#compactor_}
	case $p in
	*=*) ;;
	*) bad "--compactor-params: '$p' is not NAME=VALUE" ;;
	esac
	case $name in
	''|*[!a-z0-9_]*) bad "--compactor-params: bad name in '$p'" ;;
	enabled|strategy) bad "--compactor-params: $name is set by the mode" ;;
	esac
	[ -n "${p#*=}" ] || bad "--compactor-params: no value in '$p'"
done

in_guest=0
grep -qw khugehog.guest=1 /proc/cmdline && in_guest=1
if [ "$in_guest" = 1 ]; then
	[ -n "$out" ] || out=/results
	[ -n "$module" ] || module=/khugehog/khugehog.ko
	[ -n "$frag" ] || frag=/khugehog/bin/frag
	timed_write=/khugehog/bin/timed-write
else
	[ -n "$module" ] || module=$here/../../kmod/khugehog.ko
	[ -n "$frag" ] || frag=$here/../../userspace/frag
	timed_write=$here/../../userspace/timed-write
fi

dbg=/sys/kernel/debug
khh=$dbg/khugehog
params=/sys/module/khugehog/parameters
proactive=/proc/sys/vm/compaction_proactiveness

# The module's strategies: what the loaded module lists, else what the
# module file says (modinfo -F compactor_strategy), so that the modes can be
# listed before it is loaded, and on a host that does not load it.  Busybox's
# modinfo needs /lib/modules: then the module's .modinfo strings directly.
module_strategies() {
	if [ -r "$params/compactor_strategy" ]; then
		tr -d '[]' <"$params/compactor_strategy"
	elif modinfo -F compactor_strategy "$module" >/dev/null 2>&1; then
		modinfo -F compactor_strategy "$module" | tr '\n' ' '
	else
		strings "$module" 2>/dev/null | sed -n 's/^compactor_strategy=//p' | tr '\n' ' '
	fi
}

# mode_arg_ok KIND ARG: ARG is a valid <N> or <S>
mode_arg_ok() {
	case $1 in
	N) is_proactiveness "$2" ;;
	S) echo "$strategies" | tr ' ' '\n' | grep -qx "$2" ;;
	*) return 1 ;;
	esac
}

# mode_entry NAME: "FUNCTION [ARG]" of a mode name, from mode_table;
# fails if NAME is none of its modes.
mode_entry() {
	local name fn pre post arg kind

	while IFS='|' read -r name fn _; do
		if [ "$name" = "$1" ]; then
			echo "$fn"
			return 0
		fi
		case $name in *'<'?'>'*) ;; *) continue ;; esac
		pre=${name%%<*} post=${name#*>}
		kind=${name#"$pre"<} kind=${kind%%>*}
		case $1 in "$pre"*"$post") ;; *) continue ;; esac
		arg=${1#"$pre"} arg=${arg%"$post"}
		if [ -n "$arg" ] && mode_arg_ok "$kind" "$arg"; then
			echo "$fn $arg"
			return 0
		fi
	done <<EOF
$mode_table
EOF
	return 1
}

# mode_group NAME: the modes a group name stands for, from mode_groups;
# fails if NAME is none of its groups.
mode_group() {
	local group names desc w name values v

	while IFS='|' read -r group names desc; do
		[ "$group" = "$1" ] || continue
		for w in $names; do
			name=${w%%:*}
			case $w in
			*:*) values=${w#*:} ;;
			*'<N>'*) values=$proactiveness ;;
			*'<S>'*) values=$strategies ;;
			*) values=x ;;
			esac
			for v in $values; do
				echo "$name" | sed "s/<[NS]>/$v/"
			done
		done
		return 0
	done <<EOF
$mode_groups
EOF
	return 1
}

# The mode arguments expanded, each checked, the first occurrence kept.
strategies=$(module_strategies)
modes=
add_mode() {
	case " $modes " in
	*" $1 "*) ;;
	*) modes="$modes $1" ;;
	esac
}
for m in $reference_mode ${mode_args:-$default_modes}; do
	group=$(mode_group "$m") || group=$m
	for g in $group; do
		mode_entry "$g" >/dev/null ||
			bad "unknown mode '$g' (strategies of $module: ${strategies:-none found})"
		add_mode "$g"
	done
done
[ -n "$modes" ] || bad "no MODE given"
if [ "$list_modes" = 1 ]; then
	for m in $modes; do echo "$m"; done
	exit 0
fi
# The run's modes, which setup.txt lists, and those this call runs.
run_modes=$modes
if [ -n "$only_mode" ]; then
	case " $modes " in
	*" $only_mode "*) run_modes=$only_mode ;;
	*) bad "--mode $only_mode: not one of the modes given (${modes# })" ;;
	esac
fi

if [ "$boot_params" = 1 ]; then
	for m in $run_modes; do
		# shellcheck disable=SC2046 # two words
		set -- $(mode_entry "$m")
		"$1" boot "${2:-}"
	done | sort -u | tr '\n' ' ' | sed 's/ $//'
	echo
	exit 0
fi

if [ "$in_guest" = 0 ]; then
	[ "$host" = 1 ] ||
		die "not in a khugehog guest: this fills most of RAM; pass --host to run here anyway"
	[ "$(id -u)" = 0 ] || die "--host needs root (module loading, sysctls, pagemap PFNs)"
	[ -n "$out" ] || die "--host needs --out DIR"
fi
for f in "$module" "$frag" "$timed_write"; do
	[ -e "$f" ] || die "$f not found (run make)"
done

saved_proactive=
saved_params=
loaded=0
frag_pid=
sampler_pid=
sampler_stop_file=${TMPDIR:-/tmp}/khugehog-sampler-stop.$$

# --- cleanup: everything the run took is given back, also on a signal
cleanup() {
	trap - EXIT INT TERM HUP
	sampler_stop
	if [ -w "$params/compactor_enabled" ]; then
		echo N >"$params/compactor_enabled" 2>/dev/null
	fi
	if [ -n "$frag_pid" ]; then
		kill -TERM "$frag_pid" 2>/dev/null
		wait "$frag_pid" 2>/dev/null
	fi
	if [ -d "$khh" ]; then
		echo abort >"$khh/control" 2>/dev/null
		poll 30 run_is_not running 2>/dev/null
		echo release >"$khh/control" 2>/dev/null
		# frag unpins when it ends; this is for a frag that could not.
		echo unpin >"$khh/control" 2>/dev/null
	fi
	restore_params
	[ "$loaded" = 1 ] && rmmod khugehog 2>/dev/null
	[ -n "$saved_proactive" ] && echo "$saved_proactive" >"$proactive"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM HUP

# run_is_not STATE: khugehog's run is not in STATE
run_is_not() {
	! grep -qx "state $1" "$khh/status"
}

# frag_said FILE PATTERN: frag has written the line; dies if frag has exited
frag_said() {
	grep -q "$2" "$1" 2>/dev/null && return 0
	kill -0 "$frag_pid" 2>/dev/null || die "frag exited early: $(tail -n 3 "$1")"
	return 1
}

# wait_line FILE PATTERN SECONDS: wait for a line from frag, while it lives
wait_line() {
	poll "$3" frag_said "$1" "$2" || die "timed out waiting for '$2' from frag"
}

# --- module parameters, saved before the first write and restored at the end

# param_value NAME: the parameter's value as it reads ("[a] b" lists: the selected one)
param_value() {
	sed -n '1{s/.*\[\([^]]*\)\].*/\1/;p;}' "$params/$1"
}

# set_params "NAME=VALUE...": write each, saving the old values once.  A
# write can depend on another (compactor_wmark_low < compactor_wmark_high),
# so the ones refused are tried again after the others.
set_params() {
	local left= p name

	for p in $1; do
		name=${p%%=*}
		[ -e "$params/$name" ] || die "khugehog.ko has no parameter $name"
		case "
$saved_params" in
		*"
$name="*) ;;
		*) saved_params="$saved_params
$name=$(param_value "$name")" ;;
		esac
		echo "${p#*=}" >"$params/$name" 2>/dev/null || left="$left $p"
	done
	for p in $left; do
		echo "${p#*=}" >"$params/${p%%=*}" ||
			die "cannot set ${p%%=*}=${p#*=} (dmesg: $(dmesg | tail -n 1))"
	done
}

restore_params() {
	local left= p

	[ -n "$saved_params" ] && [ -d "$params" ] || return 0
	for p in $saved_params; do
		echo "${p#*=}" >"$params/${p%%=*}" 2>/dev/null || left="$left $p"
	done
	for p in $left; do
		echo "${p#*=}" >"$params/${p%%=*}" ||
			echo "experiment: could not restore ${p%%=*}=${p#*=}" >&2
	done
	saved_params=
}

# --- one mode, on freshly fragmented memory
run_mode() {
	local fn arg tl t0 why

	mode=$1
	# shellcheck disable=SC2046 # two words
	set -- $(mode_entry "$mode")
	fn=$1 arg=${2:-}
	d=$out/$mode
	rm -rf "$d"
	mkdir -p "$d"
	why=$("$fn" check "$arg")
	if [ -n "$why" ]; then
		echo "$why" >"$d/skipped.txt"
		say "$mode: skipped: $why"
		return 0
	fi
	say "$mode: fragmenting memory"
	snapshot before
	# shellcheck disable=SC2086 # frag_args is a list of options
	"$frag" --dump "$d/pagemap" --wait-punch $frag_args >"$d/frag.log" 2>&1 &
	frag_pid=$!
	wait_line "$d/frag.log" '^frag: filled' "$phase_timeout"
	snapshot filled
	kill -USR1 "$frag_pid"
	wait_line "$d/frag.log" '^frag: ready' "$phase_timeout"
	snapshot punched
	say "$mode: $(grep '^frag: ready' "$d/frag.log")"
	record_frag "$d/frag.log"

	# The compaction phase: the timeline starts here.
	tl=$d/score-timeline.txt
	t0=$(uptime_s)
	sampler_start "$tl" "$t0"
	phase_mark "$tl" "$t0" compaction
	"$fn" compact "$arg"
	snapshot compacted

	say "$mode: allocating order-$order pages ($gfp) until $max_failures failures in a row"
	# A sample at each end of the allocations, however short they are.
	score_sample "$t0" >>"$tl"
	phase_mark "$tl" "$t0" allocation
	"$fn" start "$arg"
	echo "start order=$order gfp=$gfp max_failures=$max_failures rate=$rate count=$count" >"$khh/control" ||
		die "cannot start a khugehog run"
	poll "$phase_timeout" run_is_not running || die "khugehog run did not finish in ${phase_timeout}s"
	"$fn" end "$arg"
	sampler_stop
	score_sample "$t0" >>"$tl"
	phase_mark "$tl" "$t0" end
	cat "$khh/latencies" >"$d/latencies.txt"
	cat "$khh/summary" >"$d/summary.txt"
	snapshot allocated
	say "$mode: $(awk '$1 == "allocated" { a = $2 } $1 == "p50_ns" { p = $2 } $1 == "p90_ns" { q = $2 }
		$1 == "stop_reason" { s = $2 }
		END { printf "%d pages, p50 %.1f us, p90 %.1f us, ended by %s", a, p / 1000, q / 1000, s }' "$d/summary.txt")"

	# Release first: the hugepages leave little free, too little to write
	# the dump safely, and releasing them moves none of frag's pages (their
	# PFNs are in latencies.txt).
	echo release >"$khh/control" || die "cannot release the pages"
	kill -USR1 "$frag_pid"
	wait_line "$d/frag.log" 'dumped .*pagemap-2' "$phase_timeout"
	kill -TERM "$frag_pid"
	wait "$frag_pid"
	frag_pid=
	snapshot released
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
for m in $run_modes; do
	run_mode "$m"
done
dmesg >"$out/dmesg.txt"
say "done: results in $out"
