#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The experiment: fragment memory with frag, get it ready for huge pages
# the way MODE says, then let khugehog.ko allocate order-9 pages until the
# first failure, timing each.  Snapshots of /proc/vmstat, buddyinfo,
# meminfo and the extfrag debugfs files are taken around every phase, and
# the node fragmentation score and free 2M blocks are sampled every 0.5 s
# from the start of the compaction phase to the end of the allocations.
#
# POSIX sh: it runs under busybox in the guest of scripts/vm-run.sh, and
# on a real test box with --host.  Busybox's awk has no '^': no powers.
set -u

usage() {
	cat >&2 <<EOF
usage: $0 [options] MODE...
Modes run one after another, each on freshly fragmented memory:
  ondemand               nothing first: compaction only on the allocation path
  manual                 echo 1 > /proc/sys/vm/compact_memory first, timed
  proactive-kernel-N     kcompactd's proactive compaction: write N (1..100) to
                         /proc/sys/vm/compaction_proactiveness, wait until the node
                         fragmentation score stops falling (--settle,
                         --compaction-timeout), write 0 back, then allocate.
                         kcompactd starts on a node whose score is above
                         min(max(100 - N, 5) + 10, 100) and stops at max(100 - N, 5):
                         with a score below the first, it does nothing
  proactive-kernel       proactive-kernel-N for each N of --proactiveness
  proactive-module-S     khugehog.ko's compactor with strategy S (targeted, node or
                         alloc): enable it, wait until it reports its target reached
                         (or --compaction-timeout), disable it, then allocate
  proactive-module-S-concurrent
                         enable the compactor and start allocating at once; disable it
                         when the allocations end
  proactive-module       proactive-module-targeted, -node, -alloc and
                         -targeted-concurrent

  -o, --out DIR          results directory (default: /results in the guest)
      --host             run on this machine, not in a throwaway VM: needs root,
                         and fills most of RAM
      --module PATH      khugehog.ko (default: next to the scripts)
      --frag PATH        frag binary (default: next to the scripts)
      --frag-args ARGS   more frag options, e.g. "-k 128 -p head", or
                         "-p random -S 7 --unmovable 5:1" (frag has the module pin one
                         unmovable page in 5% of the pageblocks, seed 1)
      --gfp PRESET       kernel (default), transhuge_light, transhuge_retry
      --order N          allocation order (default 9)
      --max-failures N   failed allocations in a row that end a run (default 16;
                         1 is the reference article's "until the first failure")
      --timeout SEC      limit for each phase (default 600)
      --proactiveness "N..."
                         the values proactive-kernel expands to (default "20 100")
      --settle SEC       proactive-kernel: stop waiting once no node's score has
                         fallen for SEC s (default 15).  After a pass that does not
                         lower the score, kcompactd waits 32 s (500 ms <<
                         COMPACT_MAX_DEFER_SHIFT, on 6.1 and 6.12) before the next:
                         a SEC below that does not wait for the retry
      --compaction-timeout SEC
                         longest wait for proactive compaction (default 90)
      --compactor-params "NAME=VALUE..."
                         proactive-module: more compactor parameters, written to
                         /sys/module/khugehog/parameters/compactor_NAME before it is
                         enabled, e.g. "interval_ms=200 wmark_low=2 pass_blocks=128"
      --list-modes       print the modes that MODE... stand for, one a line, and exit
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

bad() {
	echo "experiment: $*" >&2
	usage
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
proactiveness="20 100"
settle=15
compaction_timeout=90
compactor_params=
list_modes=0
mode_args=

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
	--proactiveness) [ $# -ge 2 ] || usage; proactiveness=$2; shift 2 ;;
	--settle) [ $# -ge 2 ] || usage; settle=$2; shift 2 ;;
	--compaction-timeout) [ $# -ge 2 ] || usage; compaction_timeout=$2; shift 2 ;;
	--compactor-params) [ $# -ge 2 ] || usage; compactor_params=$2; shift 2 ;;
	--list-modes) list_modes=1; shift ;;
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

# Expand the mode arguments, checking each, first occurrence kept.
modes=
add_mode() {
	case " $modes " in
	*" $1 "*) ;;
	*) modes="$modes $1" ;;
	esac
}
for m in $mode_args; do
	case $m in
	ondemand|manual) add_mode "$m" ;;
	proactive-kernel)
		for n in $proactiveness; do add_mode "proactive-kernel-$n"; done ;;
	proactive-kernel-*)
		is_proactiveness "${m#proactive-kernel-}" ||
			bad "bad proactiveness in mode '$m' (1..100)"
		add_mode "$m" ;;
	proactive-module)
		for s in targeted node alloc targeted-concurrent; do add_mode "proactive-module-$s"; done ;;
	proactive-module-targeted|proactive-module-node|proactive-module-alloc) add_mode "$m" ;;
	proactive-module-targeted-concurrent|proactive-module-node-concurrent|proactive-module-alloc-concurrent)
		add_mode "$m" ;;
	proactive-module-*) bad "bad strategy in mode '$m' (targeted, node or alloc)" ;;
	*) bad "unknown mode '$m'" ;;
	esac
done
[ -n "$modes" ] || bad "no MODE given"
if [ "$list_modes" = 1 ]; then
	for m in $modes; do echo "$m"; done
	exit 0
fi

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
params=/sys/module/khugehog/parameters
proactive=/proc/sys/vm/compaction_proactiveness
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
		wait_state_not running 30 2>/dev/null
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
	# Not before frag fills memory: nothing more runs then than in the runs
	# of before, since what does decides where frag's pages land.  With the
	# stride pattern that matters: compact_memory's free scanner (6.1 and
	# 6.12) doubles its stride, up to 32 pages, over pageblocks it isolates
	# nothing from, and when frag's kept pages fall on the pfns it then
	# samples it skips the rest of the zone and ends within 0.02-0.35 s
	# (6 of 26 manual runs while this was written).
	[ "$2" = before ] ||
		cat "$khh/fragmentation_score" >"$snap_dir/fragmentation_score" 2>/dev/null
}

# --- time and the node scores

# uptime_s: seconds since boot, to 0.01 s (busybox date has no %N)
uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# since T0: seconds since uptime T0, two decimals
since() {
	awk -v t0="$1" '{ printf "%.2f\n", $1 - t0 }' /proc/uptime
}

# node_scores: "node score" per online node, from the module's file
node_scores() {
	awk '$1 == "Node" && $3 == "score" { print $2, $4 }' "$khh/fragmentation_score"
}

# max_score: the highest node score
max_score() {
	node_scores | awk 'NR == 1 || $2 > m { m = $2 } END { print m }'
}

# score_sample T0: one "t_s node score free_blocks" line per node: t since
# uptime T0, the module's node score, and free blocks of order >= 9 from
# /proc/buddyinfo in order-9 units (sum over zones of nr_free[o] << (o - 9)).
score_sample() {
	awk -v t0="$1" '
		FILENAME == "/proc/uptime" { t = $1 - t0; next }
		FILENAME == "/proc/buddyinfo" {
			n = $2
			sub(/,$/, "", n)
			if (!(n in fb)) { bnodes[++nb] = n; fb[n] = 0 }
			w = 1
			for (i = 14; i <= NF; i++) { fb[n] += $i * w; w *= 2 }
			next
		}
		$1 == "Node" && $3 == "score" { sc[$2] = $4 }
		END {
			for (k = 1; k <= nb; k++) {
				n = bnodes[k]
				printf "%.2f %s %s %d\n", t, n, (n in sc) ? sc[n] : "-", fb[n]
			}
		}' /proc/uptime /proc/buddyinfo "$khh/fragmentation_score" 2>/dev/null
}

# sampler_start FILE T0: append score_sample lines to FILE every 0.5 s, in
# the background, until sampler_stop.
sampler_start() {
	rm -f "$sampler_stop_file"
	echo "# t_s node score free_blocks (t from the start of the compaction phase; score: the module's fragmentation_score; free 2M blocks from buddyinfo)" >"$1"
	(
		trap - EXIT INT TERM HUP
		while [ ! -e "$sampler_stop_file" ]; do
			score_sample "$2" >>"$1"
			sleep 0.5
		done
	) &
	sampler_pid=$!
}

# sampler_stop: let the sampler finish its line and end; kill it if it lingers
sampler_stop() {
	[ -n "$sampler_pid" ] || return 0
	: >"$sampler_stop_file"
	n=30
	while kill -0 "$sampler_pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		n=$((n - 1))
		sleep 0.1
	done
	kill -TERM "$sampler_pid" 2>/dev/null
	wait "$sampler_pid" 2>/dev/null
	sampler_pid=
	rm -f "$sampler_stop_file"
}

# phase_mark FILE T0 NAME: a comment line where a phase starts
phase_mark() {
	echo "# phase $3 $(since "$2")" >>"$1"
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
	sp_left=
	for sp in $1; do
		sp_name=${sp%%=*}
		[ -e "$params/$sp_name" ] || die "khugehog.ko has no parameter $sp_name"
		case "
$saved_params" in
		*"
$sp_name="*) ;;
		*) saved_params="$saved_params
$sp_name=$(param_value "$sp_name")" ;;
		esac
		echo "${sp#*=}" >"$params/$sp_name" 2>/dev/null || sp_left="$sp_left $sp"
	done
	for sp in $sp_left; do
		echo "${sp#*=}" >"$params/${sp%%=*}" ||
			die "cannot set ${sp%%=*}=${sp#*=} (dmesg: $(dmesg | tail -n 1))"
	done
}

restore_params() {
	[ -n "$saved_params" ] && [ -d "$params" ] || return 0
	rp_left=
	for rp in $saved_params; do
		echo "${rp#*=}" >"$params/${rp%%=*}" 2>/dev/null || rp_left="$rp_left $rp"
	done
	for rp in $rp_left; do
		echo "${rp#*=}" >"$params/${rp%%=*}" ||
			echo "experiment: could not restore ${rp%%=*}=${rp#*=}" >&2
	done
	saved_params=
}

# compactor_val KEY: a compactor_status value
compactor_val() {
	awk -v k="$1" '$1 == k { print $2 }' "$khh/compactor_status"
}

# compactor_off: disable the compactor and wait (5 s at most) for its thread to stop
compactor_off() {
	echo N >"$params/compactor_enabled" || die "cannot disable the compactor"
	co_n=50
	while [ "$(compactor_val state)" != off ] && [ "$co_n" -gt 0 ]; do
		co_n=$((co_n - 1))
		sleep 0.1
	done
	[ "$co_n" -gt 0 ] || say "warning: the compactor is still '$(compactor_val state)' 5 s after disabling it"
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
		# shellcheck disable=SC2086,SC2116 # one line, single spaces
		echo "modes=$(echo $modes)"
		echo "gfp=$gfp"
		echo "order=$order"
		echo "max_failures=$max_failures"
		echo "frag_args=$frag_args"
		case $modes in
		*proactive-*)
			echo "settle_s=$settle"
			echo "compaction_timeout_s=$compaction_timeout"
			# shellcheck disable=SC2086,SC2116 # one line, single spaces
			echo "compactor_params=$(echo $compactor_params)"
			;;
		esac
	} >"$out/setup.txt"
}

# record_frag LOG: what frag punched (pattern, keep, seed), from its ready
# line, into setup.txt: once, as every mode runs the same frag options.
record_frag() {
	grep -q '^frag_pattern=' "$out/setup.txt" && return 0
	awk '/^frag: ready/ {
		for (i = 3; i <= NF; i++)
			if ($i ~ /^(pattern|keep|seed)=/)
				print "frag_" $i
	}' "$1" >>"$out/setup.txt"
}

# --- the compaction step of each mode; $d is the mode's directory, $t0
# the uptime the compaction phase started at, $tl the score timeline.

# proactive_kernel N: kcompactd's proactive compaction at proactiveness N
proactive_kernel() {
	pk_n=$1
	[ -n "$saved_proactive" ] || die "$proactive is not writable: no proactive compaction"
	pk_low=$((100 - pk_n))
	[ "$pk_low" -ge 5 ] || pk_low=5
	pk_high=$((pk_low + 10))
	[ "$pk_high" -le 100 ] || pk_high=100
	pk_before=$(node_scores)
	say "$mode: node score $(max_score); compaction_proactiveness=$pk_n: kcompactd compacts a node above $pk_high, down to $pk_low"
	pk_start=$(uptime_s)
	# A non-zero write wakes kcompactd for a proactive check at once.
	echo "$pk_n" >"$proactive" || die "cannot write $pk_n to $proactive"
	# Poll every 0.2 s: a fall is a node at a new low; stop --settle s
	# after the last fall or at --compaction-timeout.  The state between
	# polls: "wait|done T LAST_FALL REACHED node=low...", T and LAST_FALL in
	# s since the write, REACHED when the highest node score first was <=
	# the low watermark (or none).  Each poll is short, so a signal is
	# handled at once.
	pk_state="wait 0 0 none"
	while :; do
		pk_state=$(awk -v t0="$pk_start" -v settle="$settle" -v limit="$compaction_timeout" \
			-v low="$pk_low" -v state="$pk_state" '
			BEGIN {
				n = split(state, x, " ")
				last = x[3]
				reached = x[4]
				for (i = 5; i <= n; i++) {
					split(x[i], kv, "=")
					lo[kv[1]] = kv[2]
				}
				max = -1
			}
			FILENAME == "/proc/uptime" { t = $1 - t0; next }
			$1 == "Node" && $3 == "score" {
				s = $4 + 0
				if (s > max)
					max = s
				if (!($2 in lo))
					lo[$2] = s
				else if (s < lo[$2] + 0) {
					lo[$2] = s
					last = t
				}
			}
			END {
				if (max < 0)
					exit 1
				if (reached == "none" && max <= low)
					reached = sprintf("%.2f", t)
				s = "wait"
				if (t - last >= settle || t >= limit)
					s = "done"
				printf "%s %.2f %.2f %s", s, t, last, reached
				for (k in lo)
					printf " %s=%s", k, lo[k]
				printf "\n"
			}' /proc/uptime "$khh/fragmentation_score") || die "cannot read the node scores"
		case $pk_state in done*) break ;; esac
		sleep 0.2
	done
	# shellcheck disable=SC2086 # words
	set -- $pk_state
	pk_res="$3 $2 $4"
	# kcompactd stops compacting at its next check of the (now 100) low
	# watermark, and makes no more passes: it does not compete with the run.
	echo 0 >"$proactive" || die "cannot write 0 to $proactive"
	pk_after=$(node_scores)
	# shellcheck disable=SC2086 # three words
	set -- $pk_res
	{
		echo "compaction_s=$1"
		echo "method=proactive-kernel"
		echo "proactiveness=$pk_n"
		echo "waited_s=$2"
		echo "settle_s=$settle"
		echo "timeout_s=$compaction_timeout"
		echo "wmark_low=$pk_low"
		echo "wmark_high=$pk_high"
		echo "target_reached_s=$3"
		case $3 in none) echo "reached=0" ;; *) echo "reached=1" ;; esac
		echo "score_before=$(echo "$pk_before" | awk 'NR == 1 || $2 > m { m = $2 } END { print m }')"
		echo "score_after=$(echo "$pk_after" | awk 'NR == 1 || $2 > m { m = $2 } END { print m }')"
		echo "$pk_before" | awk '{ print "score_before_node" $1 "=" $2 }'
		echo "$pk_after" | awk '{ print "score_after_node" $1 "=" $2 }'
	} >"$d/compaction.txt"
	say "$mode: score $(sed -n 's/^score_before=//p' "$d/compaction.txt") -> $(sed -n 's/^score_after=//p' "$d/compaction.txt"), last fall after $1 s, waited $2 s, score <= $pk_low: $3"
}

# compactor_on STRATEGY: set the compactor's parameters and enable it
compactor_on() {
	if [ ! -e "$params/compactor_enabled" ] || [ ! -e "$khh/compactor_status" ]; then
		die "khugehog.ko has no compactor (no $params/compactor_enabled)"
	fi
	co_set="compactor_strategy=$1"
	for p in $compactor_params; do
		co_set="$co_set compactor_${p#compactor_}"
	done
	set_params "$co_set"
	mc_before=$(node_scores)
	echo Y >"$params/compactor_enabled" || die "cannot enable the compactor"
	mc_start=$(uptime_s)
}

# compactor_record CONCURRENT: copy the compactor's files (its counters stay
# until it is enabled again), write compaction.txt
compactor_record() {
	cat "$khh/compactor_status" >"$d/compactor_status.txt"
	cat "$khh/compactor_timeline" >"$d/compactor_timeline.txt"
	mc_waited=$(since "$mc_start")
	mc_ns=$(compactor_val target_reached_ns)
	case $mc_ns in
	''|-*) mc_s=none; mc_reached=0 ;;
	*) mc_s=$(awk -v ns="$mc_ns" 'BEGIN { printf "%.3f\n", ns / 1e9 }'); mc_reached=1 ;;
	esac
	{
		echo "compaction_s=$mc_s"
		echo "method=proactive-module"
		echo "strategy=$(compactor_val strategy)"
		echo "concurrent=$1"
		echo "reached=$mc_reached"
		echo "target_reached_ns=${mc_ns:--1}"
		echo "waited_s=$mc_waited"
		echo "timeout_s=$compaction_timeout"
		echo "score_before=$(echo "$mc_before" | awk 'NR == 1 || $2 > m { m = $2 } END { print m }')"
		echo "score_after=$(max_score)"
		echo "$mc_before" | awk '{ print "score_before_node" $1 "=" $2 }'
		node_scores | awk '{ print "score_after_node" $1 "=" $2 }'
		for p in "$params"/compactor_*; do
			[ "${p##*/}" = compactor_enabled ] && continue
			echo "param_${p##*/}=$(param_value "${p##*/}")"
		done
	} >"$d/compaction.txt"
}

# target_text: when the compactor reached its target, from compaction.txt
target_text() {
	awk -F= '$1 == "compaction_s" { s = $2 } $1 == "waited_s" { w = $2 }
		END { if (s == "none") print "target not reached in " w " s"; else print "target reached after " s " s" }' "$d/compaction.txt"
}

# proactive_module STRATEGY: run the compactor until its target or the timeout
proactive_module() {
	compactor_on "$1"
	say "$mode: compactor enabled (strategy $1), node score $(echo "$mc_before" | awk 'NR == 1 || $2 > m { m = $2 } END { print m }')"
	# Poll every 0.2 s until target_reached_ns is set, the compactor
	# stops or --compaction-timeout passes.
	while :; do
		pm_state=$(awk -v t0="$mc_start" -v limit="$compaction_timeout" '
			FILENAME == "/proc/uptime" { t = $1 - t0; next }
			$1 == "target_reached_ns" { r = $2 }
			$1 == "enabled" { e = $2 }
			END {
				s = "wait"
				if ((r != "" && r != "-1") || e == "0" || t >= limit)
					s = "done"
				print s
			}
		' /proc/uptime "$khh/compactor_status") || die "cannot read $khh/compactor_status"
		[ "$pm_state" = "done" ] && break
		sleep 0.2
	done
	compactor_record 0
	compactor_off
	say "$mode: $(target_text); score $(sed -n 's/^score_before=//p' "$d/compaction.txt") -> $(sed -n 's/^score_after=//p' "$d/compaction.txt"); $(awk '$1 ~ /^(passes|blocks_emptied|pages_floor|pages_migrated|pgmigrate_success)$/ { printf "%s %s ", $1, $2 }' "$d/compactor_status.txt")"
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
	record_frag "$d/frag.log"

	# The compaction phase: the timeline starts here.
	tl=$d/score-timeline.txt
	t0=$(uptime_s)
	sampler_start "$tl" "$t0"
	phase_mark "$tl" "$t0" compaction
	concurrent=0
	case $mode in
	manual)
		say "$mode: echo 1 > /proc/sys/vm/compact_memory"
		# The kernel's begin/end events say where each zone's scanners
		# stopped and why: the evidence when a run ends early.
		ev=/sys/kernel/tracing/events/compaction
		[ -d "$ev" ] && : >/sys/kernel/tracing/trace &&
			echo 1 >"$ev/mm_compaction_begin/enable" && echo 1 >"$ev/mm_compaction_end/enable"
		s=$("$timed_write" /proc/sys/vm/compact_memory 1) ||
			die "writing compact_memory failed"
		if [ -d "$ev" ]; then
			echo 0 >"$ev/mm_compaction_begin/enable"
			echo 0 >"$ev/mm_compaction_end/enable"
			grep -E 'mm_compaction_(begin|end)' /sys/kernel/tracing/trace >"$d/compaction-trace.txt"
		fi
		echo "compaction_s=$s" >"$d/compaction.txt"
		say "$mode: compaction took $s s"
		;;
	proactive-kernel-*)
		proactive_kernel "${mode#proactive-kernel-}"
		;;
	proactive-module-*-concurrent)
		concurrent=1
		;;
	proactive-module-*)
		proactive_module "${mode#proactive-module-}"
		;;
	*)
		echo "compaction_s=none" >"$d/compaction.txt"
		;;
	esac
	snapshot "$d" compacted

	say "$mode: allocating order-$order pages ($gfp) until $max_failures failures in a row"
	# A sample at each end of the allocations, however short they are.
	score_sample "$t0" >>"$tl"
	phase_mark "$tl" "$t0" allocation
	if [ "$concurrent" = 1 ]; then
		strategy=${mode#proactive-module-}
		strategy=${strategy%-concurrent}
		compactor_on "$strategy"
		say "$mode: compactor enabled (strategy $strategy), allocating at once"
	fi
	echo "start order=$order gfp=$gfp max_failures=$max_failures" >"$khh/control" ||
		die "cannot start a khugehog run"
	wait_state_not running "$phase_timeout" || die "khugehog run did not finish in ${phase_timeout}s"
	# The run holds nearly all free memory now: the compactor stops first.
	[ "$concurrent" = 1 ] && compactor_off
	sampler_stop
	score_sample "$t0" >>"$tl"
	phase_mark "$tl" "$t0" end
	if [ "$concurrent" = 1 ]; then
		compactor_record 1
		say "$mode: compactor: $(target_text); $(awk '$1 ~ /^(passes|blocks_emptied|pages_floor|pages_migrated|pgmigrate_success)$/ { printf "%s %s ", $1, $2 }' "$d/compactor_status.txt")"
	fi
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
