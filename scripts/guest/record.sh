# SPDX-License-Identifier: GPL-2.0
#
# What the experiment records of the kernel, beside the module's own
# files: its state files at the start of each phase, the node score and
# the free 2M blocks every 0.5 s while a mode compacts, and the run's
# setup (kernel, sysctls, options) in setup.txt.  Sourced by experiment.sh,
# whose variables (d, out, khh, dbg, ...) it reads.

# snapshot PHASE: the mode's state files at the start of a phase
snapshot() {
	local dir=$d/snap/$1 f

	mkdir -p "$dir"
	cat /proc/meminfo >"$dir/meminfo"
	cat /proc/vmstat >"$dir/vmstat"
	cat /proc/buddyinfo >"$dir/buddyinfo"
	cat /proc/pagetypeinfo >"$dir/pagetypeinfo" 2>/dev/null
	cat /proc/zoneinfo >"$dir/zoneinfo"
	for f in extfrag_index unusable_index; do
		cat "$dbg/extfrag/$f" >"$dir/$f" 2>/dev/null
	done
	# Not before frag fills memory: nothing more runs then than in the runs
	# of before, since what does decides where frag's pages land.
	[ "$1" = before ] || cat "$khh/fragmentation_score" >"$dir/fragmentation_score" 2>/dev/null
	kthreads_cpu >"$dir/kthreads_cpu"
}

# kthreads_cpu: "comm pid cpu_ns" for each kcompactd and kswapd thread,
# the CPU time it has used: the first field of /proc/PID/schedstat
# (CONFIG_SCHED_INFO, on in Debian's kernels), else utime + stime of
# /proc/PID/stat, in USER_HZ ticks (100 on x86: the ABI's, not CONFIG_HZ).
kthreads_cpu() {
	local p comm ns

	for p in /proc/[0-9]*; do
		read -r comm <"$p/comm" 2>/dev/null || continue
		case $comm in
		kcompactd*|kswapd*) ;;
		*) continue ;;
		esac
		if [ -r "$p/schedstat" ]; then
			read -r ns _ <"$p/schedstat" || continue
		else
			ns=$(awk '{ sub(/^.*\) /, ""); printf "%d", ($12 + $13) * 10000000 }' "$p/stat") ||
				continue
		fi
		echo "$comm ${p#/proc/} $ns"
	done
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

sampler_gone() {
	! kill -0 "$sampler_pid" 2>/dev/null
}

# sampler_stop: let the sampler finish its line and end; kill it if it lingers
sampler_stop() {
	[ -n "$sampler_pid" ] || return 0
	: >"$sampler_stop_file"
	poll 3 sampler_gone
	kill -TERM "$sampler_pid" 2>/dev/null
	wait "$sampler_pid" 2>/dev/null
	sampler_pid=
	rm -f "$sampler_stop_file"
}

# phase_mark FILE T0 NAME: a comment line where a phase starts
phase_mark() {
	echo "# phase $3 $(since "$2")" >>"$1"
}

read_cmdline_param() {
	tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1
}

# init_on_alloc as the kernel applied it: the boot log says it plainly.
init_on_alloc_state() {
	case $(read_cmdline_param init_on_alloc) in
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
		# shellcheck disable=SC2086,SC2116 # one line, single spaces
		echo "compactor_strategies=$(echo $(module_strategies))"
		echo "gfp=$gfp"
		echo "order=$order"
		echo "max_failures=$max_failures"
		echo "rate=$rate"
		echo "count=$count"
		echo "frag_args=$frag_args"
		echo "settle_s=$settle"
		echo "compaction_timeout_s=$compaction_timeout"
		# shellcheck disable=SC2086,SC2116 # one line, single spaces
		echo "compactor_params=$(echo $compactor_params)"
	} >"$out/setup.txt"
}

# record_frag LOG: what frag punched (pattern, keep, seed, pfn_offset), from its ready
# line, into setup.txt: once, as every mode runs the same frag options.
record_frag() {
	grep -q '^frag_pattern=' "$out/setup.txt" && return 0
	awk '/^frag: ready/ {
		for (i = 3; i <= NF; i++)
			if ($i ~ /^(pattern|keep|seed|pfn_offset)=/)
				print "frag_" $i
	}' "$1" >>"$out/setup.txt"
}
