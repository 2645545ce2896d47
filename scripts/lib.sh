# SPDX-License-Identifier: GPL-2.0
#
# The helpers the shell scripts share: the experiment driver and the guest
# tests (in the guest or on a test box), and the checks of a run (anywhere).
# POSIX sh with `local`, which busybox ash has.  Source it.

# given_twice OPTION: OPTION was given before in this parse (the first call
# records it), for the option parsers that refuse a value given twice: a
# driver's option (scaling.sh's --mem, sustained.sh's --rate) would
# otherwise be overridden by the user's without a word.
given_twice() {
	case " ${given_options:-} " in
	*" $1 "*) return 0 ;;
	esac
	given_options="${given_options:-} $1"
	return 1
}

# kv KEY FILE: the value of a "key value" line: the module's summary,
# status and compactor_status files
kv() {
	awk -v k="$1" '$1 == k { print $2; exit }' "$2" 2>/dev/null
}

# setting KEY FILE: the value of a "key=value" line (setup.txt,
# compaction.txt); the last one if there are several
setting() {
	sed -n "s/^$1=//p" "$2" 2>/dev/null | tail -n 1
}

# poll SECONDS CMD...: run CMD every 0.1 s until it succeeds; fail once
# SECONDS have passed by the clock, however long CMD takes (a count of
# tries made 90 s into 160 under the debug kernel)
poll() {
	local end

	end=$(awk -v s="$1" '{ print $1 + s }' /proc/uptime)
	shift
	until "$@"; do
		awk -v e="$end" '{ exit !($1 < e) }' /proc/uptime || return 1
		sleep 0.1
	done
}

# uptime_s: seconds since boot, to 0.01 s (busybox date has no %N)
uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# since T0: seconds since uptime T0, two decimals
since() {
	awk -v t0="$1" '{ printf "%.2f\n", $1 - t0 }' /proc/uptime
}

# ms_since T0: milliseconds since uptime T0
ms_since() {
	awk -v t0="$1" '{ printf "%d\n", ($1 - t0) * 1000 }' /proc/uptime
}

# pcp_pages [ZONEINFO]: free pages on the per-CPU lists, all CPUs and zones
pcp_pages() {
	awk '$1 == "count:" { n += $2 } END { print n + 0 }' "${1:-/proc/zoneinfo}"
}

# free_kib [MEMINFO ZONEINFO]: free memory in kB, counting the pages on the
# per-CPU lists, which MemFree leaves out: freed order-9 pages can sit
# there (6.1+), which would look like a leak.  The lists drain into the
# buddy lists (and refill from them) at any time: a drain between the two
# reads counts its pages twice.  So the lists are read before and after
# MemFree, until both reads agree (20 tries at most).
free_kib() {
	local mem pcp0 pcp1 tries=0

	pcp1=$(pcp_pages "${2:-/proc/zoneinfo}")
	while :; do
		pcp0=$pcp1
		mem=$(awk '/^MemFree:/ { print $2 }' "${1:-/proc/meminfo}")
		[ -n "$mem" ] || return 1
		pcp1=$(pcp_pages "${2:-/proc/zoneinfo}")
		[ "$pcp0" = "$pcp1" ] && break
		tries=$((tries + 1))
		[ $tries -lt 20 ] || break
	done
	echo $((mem + pcp0 * 4))
}

# node_scores [FILE]: "node score" per node, from the module's
# fragmentation_score file
node_scores() {
	awk '$1 == "Node" && $3 == "score" { print $2, $4 }' \
		"${1:-/sys/kernel/debug/khugehog/fragmentation_score}"
}

# highest_score: the highest score of the node_scores lines on stdin
highest_score() {
	awk 'NR == 1 || $2 > m { m = $2 } END { print m }'
}
