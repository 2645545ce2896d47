# SPDX-License-Identifier: GPL-2.0
#
# The experiment's modes: how each gets memory ready for the allocations.
# Sourced by experiment.sh, which owns the variables used here ($d, the
# mode's directory; $mode; the module's paths and the options).
#
# Adding a mode: a function below and a line in mode_table.  The function
# is called as FUNCTION PHASE [ARG]: PHASE "compact" before the
# allocations (it writes $d/compaction.txt, method= first), and "start"
# and "end" right before and after them; ARG is the <N> or <S> of its name.
# Two more phases, both optional: "boot" prints the kernel parameters its
# guest must boot with (the driver adds them to that guest's command
# line), and "check", before anything else, prints why the mode cannot run
# on this kernel, if it cannot: the mode is then skipped, with that reason.

# The methods compaction.txt records, which the analysis and the checks
# read, and the strategy the group proactive-module also runs concurrently.
method_none=none
method_manual=compact_memory
method_kernel=proactive-kernel
method_module=proactive-module
method_defrag=defrag-mode
strategy_targeted=targeted

# NAME|FUNCTION|what it does.  In a NAME, <N> is 1..100 and <S> a strategy
# of the module; the function gets it as its ARG.
mode_table='ondemand|mode_ondemand|nothing first: compaction only on the allocation path
manual|mode_manual|echo 1 > /proc/sys/vm/compact_memory first, timed
proactive-kernel-<N>|mode_proactive_kernel|kcompactd'"'"'s proactive compaction: write N to vm.compaction_proactiveness, wait until the node score stops falling (--settle, --compaction-timeout), write 0 back. kcompactd starts on a node above its high watermark and stops at its low one (kcompactd_wmarks): below the first, it does nothing
proactive-kernel-<N>-concurrent|mode_proactive_kernel_concurrent|write N to vm.compaction_proactiveness as the allocations start and 0 when they end: kcompactd compacts proactively while the run allocates, as it would under a steady demand (--rate)
proactive-module-<S>|mode_proactive_module|khugehog.ko'"'"'s compactor with strategy S: enable it, wait until it reports its target reached (or --compaction-timeout), disable it
proactive-module-<S>-concurrent|mode_proactive_module_concurrent|enable the compactor with strategy S as the allocations start; disable it when they end
defrag-mode|mode_defrag|vm.defrag_mode=1 from boot (the guest'"'"'s command line; 6.15 and later, skipped before): kswapd and kcompactd restore whole free pageblocks. Wait until the free pageblocks stop rising (--settle, --compaction-timeout)
defrag-mode-proactive-<N>|mode_defrag|defrag-mode, and compaction_proactiveness N during the wait (0 written back before the allocations)'

# GROUP|the NAMEs of mode_table it stands for, each <N> and <S> taken over
# every value (--proactiveness; the module's strategies) or the one after
# a colon|what it does.  experiment.sh expands them.
mode_groups='proactive-kernel|proactive-kernel-<N>|proactive-kernel-<N> for each N of --proactiveness
proactive-module|proactive-module-<S> proactive-module-<S>-concurrent:'"$strategy_targeted"'|proactive-module-<S> for each strategy S of the module, and proactive-module-'"$strategy_targeted"'-concurrent'

# ---- the kernel's own: none, compact_memory, proactive compaction

mode_ondemand() {
	[ "$1" = compact ] || return 0
	printf 'method=%s\ncompaction_s=none\n' "$method_none" >"$d/compaction.txt"
}

# The kernel's begin/end events say where each zone's scanners stopped and
# why: the evidence when a compact_memory ends early.
mode_manual() {
	local ev=/sys/kernel/tracing/events/compaction s cpu

	[ "$1" = compact ] || return 0
	say "$mode: echo 1 > /proc/sys/vm/compact_memory"
	[ -d "$ev" ] && : >/sys/kernel/tracing/trace &&
		echo 1 >"$ev/mm_compaction_begin/enable" && echo 1 >"$ev/mm_compaction_end/enable"
	# "seconds cpu_seconds": the compaction runs in the writer's context.
	s=$("$timed_write" /proc/sys/vm/compact_memory 1) || die "writing compact_memory failed"
	cpu=${s#* } s=${s%% *}
	if [ -d "$ev" ]; then
		echo 0 >"$ev/mm_compaction_begin/enable"
		echo 0 >"$ev/mm_compaction_end/enable"
		grep -E 'mm_compaction_(begin|end)' /sys/kernel/tracing/trace >"$d/compaction-trace.txt"
	fi
	printf 'method=%s\ncompaction_s=%s\ncompaction_cpu_s=%s\n' "$method_manual" "$s" "$cpu" \
		>"$d/compaction.txt"
	say "$mode: compaction took $s s, $cpu s of CPU"
}

# kcompactd_wmarks N: "low high", the node scores kcompactd stops at and
# starts above at compaction_proactiveness N (fragmentation_score_wmark()).
# 6.16 dropped the low watermark's floor of 5 and narrowed the gap for
# high proactiveness ("mm/compaction: reduce the difference between low
# and high watermarks").
kcompactd_wmarks() {
	local low leeway v

	v=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
	low=$((100 - $1))
	leeway=10
	if [ "$v" -ge 6016 ]; then
		[ $((low / 2)) -ge 10 ] || leeway=$((low / 2))
	else
		[ "$low" -ge 5 ] || low=5
	fi
	echo "$low $((low + leeway > 100 ? 100 : low + leeway))"
}

# kcompactd's proactive compaction at proactiveness N.  Poll every 0.2 s: a
# fall is a node at a new low; stop --settle s after the last fall or at
# --compaction-timeout.  The state between polls: "wait|done T LAST_FALL
# REACHED node=low...", T and LAST_FALL in s since the write, REACHED when
# the highest node score first was <= the low watermark (or none).  Each
# poll is short, so a signal is handled at once.
mode_proactive_kernel() {
	local n=$2 low high before after start state res

	[ "$1" = compact ] || return 0
	[ -n "$saved_proactive" ] || die "$proactive is not writable: no proactive compaction"
	high=$(kcompactd_wmarks "$n")
	low=${high% *} high=${high#* }
	before=$(node_scores)
	say "$mode: node score $(echo "$before" | highest_score); compaction_proactiveness=$n: kcompactd compacts a node above $high, down to $low"
	start=$(uptime_s)
	# A non-zero write wakes kcompactd for a proactive check at once.
	echo "$n" >"$proactive" || die "cannot write $n to $proactive"
	state="wait 0 0 none"
	while :; do
		state=$(awk -v t0="$start" -v settle="$settle" -v limit="$compaction_timeout" \
			-v low="$low" -v state="$state" '
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
		case $state in done*) break ;; esac
		sleep 0.2
	done
	# shellcheck disable=SC2086 # words
	set -- $state
	res="$3 $2 $4"
	# kcompactd stops compacting at its next check of the (now 100) low
	# watermark, and makes no more passes: it does not compete with the run.
	echo 0 >"$proactive" || die "cannot write 0 to $proactive"
	after=$(node_scores)
	# shellcheck disable=SC2086 # three words
	set -- $res
	{
		echo "method=$method_kernel"
		echo "compaction_s=$1"
		echo "proactiveness=$n"
		echo "waited_s=$2"
		echo "settle_s=$settle"
		echo "timeout_s=$compaction_timeout"
		echo "wmark_low=$low"
		echo "wmark_high=$high"
		echo "target_reached_s=$3"
		case $3 in none) echo "reached=0" ;; *) echo "reached=1" ;; esac
		echo "score_before=$(echo "$before" | highest_score)"
		echo "score_after=$(echo "$after" | highest_score)"
		echo "$before" | awk '{ print "score_before_node" $1 "=" $2 }'
		echo "$after" | awk '{ print "score_after_node" $1 "=" $2 }'
	} >"$d/compaction.txt"
	say "$mode: score $(setting score_before "$d/compaction.txt") -> $(setting score_after "$d/compaction.txt"), last fall after $1 s, waited $2 s, score <= $low: $3"
}

# ---- the module's compactor

# compactor_status KEY: a value of the compactor's session
compactor_status() {
	kv "$1" "$khh/compactor_status"
}

# compactor_counters: the session's status on one line
compactor_counters() {
	grep -v '^node' "$khh/compactor_status" | tr '\n' ' '
}

# compactor_off: disable the compactor and wait (5 s at most) for its thread to stop
compactor_off() {
	echo N >"$params/compactor_enabled" || die "cannot disable the compactor"
	poll 5 compactor_is off ||
		say "warning: the compactor is still '$(compactor_status state)' 5 s after disabling it"
}

compactor_is() {
	[ "$(compactor_status state)" = "$1" ]
}

# compactor_on STRATEGY: set the compactor's parameters and enable it
compactor_on() {
	local set="compactor_strategy=$1" p

	if [ ! -e "$params/compactor_enabled" ] || [ ! -e "$khh/compactor_status" ]; then
		die "khugehog.ko has no compactor (no $params/compactor_enabled)"
	fi
	for p in $compactor_params; do
		set="$set compactor_${p#compactor_}"
	done
	set_params "$set"
	mc_before=$(node_scores)
	echo Y >"$params/compactor_enabled" || die "cannot enable the compactor"
	mc_start=$(uptime_s)
}

# compactor_record CONCURRENT: copy the compactor's files (its counters stay
# until it is enabled again), write compaction.txt
compactor_record() {
	local waited ns s reached p

	cat "$khh/compactor_status" >"$d/compactor_status.txt"
	cat "$khh/compactor_timeline" >"$d/compactor_timeline.txt"
	waited=$(since "$mc_start")
	ns=$(compactor_status target_reached_ns)
	case $ns in
	''|-*) s=none; reached=0 ;;
	*) s=$(awk -v ns="$ns" 'BEGIN { printf "%.3f\n", ns / 1e9 }'); reached=1 ;;
	esac
	{
		echo "method=$method_module"
		echo "compaction_s=$s"
		echo "strategy=$(compactor_status strategy)"
		echo "concurrent=$1"
		echo "reached=$reached"
		echo "target_reached_ns=${ns:--1}"
		echo "waited_s=$waited"
		echo "timeout_s=$compaction_timeout"
		echo "score_before=$(echo "$mc_before" | highest_score)"
		echo "score_after=$(node_scores | highest_score)"
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
	local s

	s=$(setting compaction_s "$d/compaction.txt")
	if [ "$s" = none ]; then
		echo "target not reached in $(setting waited_s "$d/compaction.txt") s"
	else
		echo "target reached after $s s"
	fi
}

# The compactor until its target, it stops, or --compaction-timeout passes.
compactor_done() {
	local r

	r=$(compactor_status target_reached_ns)
	[ -n "$r" ] && [ "$r" != -1 ] && return 0
	[ "$(compactor_status enabled)" = 0 ] && return 0
	[ "$(ms_since "$mc_start")" -ge $((compaction_timeout * 1000)) ]
}

mode_proactive_module() {
	[ "$1" = compact ] || return 0
	compactor_on "$2"
	say "$mode: compactor enabled (strategy $2), node score $(echo "$mc_before" | highest_score)"
	while ! compactor_done; do
		sleep 0.2
	done
	compactor_record 0
	compactor_off
	say "$mode: $(target_text); score $(setting score_before "$d/compaction.txt") -> $(setting score_after "$d/compaction.txt"); $(compactor_counters)"
}

mode_proactive_kernel_concurrent() {
	case $1 in
	compact)
		[ -n "$saved_proactive" ] || die "$proactive is not writable: no proactive compaction"
		printf 'method=%s\ncompaction_s=none\nproactiveness=%s\nconcurrent=1\n' \
			"$method_kernel" "$2" >"$d/compaction.txt"
		;;
	start)
		# A non-zero write wakes kcompactd for a proactive check at once.
		echo "$2" >"$proactive" || die "cannot write $2 to $proactive"
		say "$mode: compaction_proactiveness=$2, allocating at once"
		;;
	end)
		echo 0 >"$proactive" || die "cannot write 0 to $proactive"
		;;
	esac
}

mode_proactive_module_concurrent() {
	case $1 in
	start)
		compactor_on "$2"
		say "$mode: compactor enabled (strategy $2), allocating at once"
		;;
	end)
		# The run holds nearly all free memory now: the compactor stops first.
		compactor_off
		compactor_record 1
		say "$mode: compactor: $(target_text); $(compactor_counters)"
		;;
	esac
}

# ---- the kernel's defrag_mode (6.15): whole free pageblocks kept by kswapd
# and kcompactd, from boot

defrag_sysctl=/proc/sys/vm/defrag_mode
defrag_boot=sysctl.vm.defrag_mode=1

# defrag_counters: the vmstat counters of kswapd's and kcompactd's work
# and the free pages in whole free pageblocks, "name value" lines
defrag_counters() {
	awk '$1 ~ /^(nr_free_pages_blocks|pgscan_kswapd|pgsteal_kswapd|compact_daemon_(wake|migrate_scanned|free_scanned)|kswapd_(low|high)_wmark_hit_quickly|pageoutrun)$/' \
		/proc/vmstat
}

# free_pageblocks: nr_free_pages_blocks in 2 MiB blocks
free_pageblocks() {
	awk '$1 == "nr_free_pages_blocks" { print int($2 / 512) }' /proc/vmstat
}

mode_defrag() {
	local n=${2:-0} start last best t before_blocks blocks scores

	case $1 in
	boot)
		echo "$defrag_boot"
		return 0
		;;
	check)
		[ -e "$defrag_sysctl" ] ||
			echo "this kernel has no vm.defrag_mode (added in 6.15)"
		return 0
		;;
	compact) ;;
	*) return 0 ;;
	esac
	[ "$(cat "$defrag_sysctl")" = 1 ] ||
		die "$mode: vm.defrag_mode is $(cat "$defrag_sysctl"), not 1: it must be on from boot ($defrag_boot)"
	if [ "$n" != 0 ]; then
		[ -n "$saved_proactive" ] || die "$proactive is not writable: no proactive compaction"
	fi
	defrag_counters >"$d/defrag-before.txt"
	scores=$(node_scores)
	before_blocks=$(free_pageblocks)
	say "$mode: vm.defrag_mode=1, compaction_proactiveness=$n; $before_blocks free pageblocks"
	start=$(uptime_s)
	[ "$n" = 0 ] || echo "$n" >"$proactive" || die "cannot write $n to $proactive"
	# Wait while the free pageblocks rise: stop --settle s after the
	# last new high, or at --compaction-timeout.
	best=$before_blocks last=0
	while :; do
		t=$(since "$start")
		blocks=$(free_pageblocks)
		if [ "$blocks" -gt "$best" ]; then
			best=$blocks last=$t
		fi
		awk -v t="$t" -v l="$last" -v s="$settle" -v lim="$compaction_timeout" \
			'BEGIN { exit !(t - l >= s || t >= lim) }' && break
		sleep 0.5
	done
	[ "$n" = 0 ] || echo 0 >"$proactive" || die "cannot write 0 to $proactive"
	defrag_counters >"$d/defrag-after.txt"
	{
		echo "method=$method_defrag"
		echo "compaction_s=$last"
		echo "defrag_mode=1"
		echo "proactiveness=$n"
		echo "waited_s=$t"
		echo "settle_s=$settle"
		echo "timeout_s=$compaction_timeout"
		echo "free_pageblocks_before=$before_blocks"
		echo "free_pageblocks_after=$(free_pageblocks)"
		echo "score_before=$(echo "$scores" | highest_score)"
		echo "score_after=$(node_scores | highest_score)"
	} >"$d/compaction.txt"
	say "$mode: free pageblocks $before_blocks -> $(free_pageblocks), the last rise after $last s, waited $t s"
}
