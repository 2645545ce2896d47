#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check the results of an experiment run (from scripts/host/demo.sh or
# scripts/guest/experiment.sh --host), as KTAP, for the modes it holds:
# frag's punch pattern, the module's files agreeing with each other, the
# share of free memory obtained and a dmesg free of oopses and warnings in
# every mode; the p90 gap between on-demand and manual, and between
# on-demand and the targeted compactor, and the targeted compactor's
# hugepages against manual's, when the run has those modes (found by what
# each recorded in compaction.txt, not by name).  A test whose modes the
# run does not have is not run, and not listed.  These are functional
# floors against breakage; the measured figures are in the report.
#
# usage: experiment-checks.sh RUN_DIR
set -u

[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: $0 RUN_DIR" >&2; exit 2; }
run=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib.sh"
. "$here/../../guest/modes.sh"
. "$here/../ktap.sh"

# setup_val KEY: the run's setup.txt value
setup_val() {
	setting "$1" "$run/setup.txt"
}

kernel=$(setup_val kernel)
[ -n "$kernel" ] || kernel=unknown-kernel
# A kernel with sanitizers or lock debugging (vm-run.sh records it): its
# timings are compared with nothing.
instrumented=$(setup_val kernel_instrumented)

# The modes: those setup.txt's modes= lists that have a directory (listed
# ones without are reported by latency_lines_match_summary), else every
# directory with a summary.txt or latencies.txt.
listed=$(setup_val modes)
modes=
absent=
if [ -n "$listed" ]; then
	for m in $listed; do
		if [ -d "$run/$m" ]; then modes="$modes $m"; else absent="$absent $m"; fi
	done
else
	for d in "$run"/*/; do
		m=$(basename "$d")
		[ -f "$d/summary.txt" ] || [ -f "$d/latencies.txt" ] && modes="$modes $m"
	done
fi

# mode_by METHOD [STRATEGY]: the run's first mode whose compaction.txt
# records METHOD (and STRATEGY, the compactor not running concurrently)
mode_by() {
	local m c

	for m in $modes; do
		c=$run/$m/compaction.txt
		[ "$(setting method "$c")" = "$1" ] || continue
		if [ $# -ge 2 ]; then
			[ "$(setting strategy "$c")" = "$2" ] && [ "$(setting concurrent "$c")" = 0 ] ||
				continue
		fi
		echo "$m"
		return 0
	done
	return 1
}

# Modes that could not run on this kernel say why in skipped.txt: each is
# a test of its own, a SKIP with that reason.
skipped= ran=
for m in $modes; do
	if [ -f "$run/$m/skipped.txt" ]; then skipped="$skipped $m"; else ran="$ran $m"; fi
done
modes=$ran

od=$(mode_by "$method_none")
mn=$(mode_by "$method_manual")
tg=$(mode_by "$method_module" "$strategy_targeted")
dm=$(for m in $modes; do
	[ "$(setting method "$run/$m/compaction.txt")" = "$method_defrag" ] && echo "$m"
done)
if [ -z "$modes" ] && [ -z "$skipped" ]; then
	tests=modes_found
elif [ -z "$modes" ]; then
	tests=
else
	tests="frag_punch_leaves_quarter latency_lines_match_summary"
	[ -n "$od" ] && [ -n "$mn" ] && tests="$tests manual_p90_10x_below_ondemand"
	if [ -n "$tg" ]; then
		[ -n "$od" ] && tests="$tests targeted_p90_10x_below_ondemand"
		[ -n "$mn" ] && tests="$tests targeted_hugepages_90pct_of_manual"
	fi
	tests="$tests hugepages_over_75pct_of_free dmesg_clean"
fi
for m in $skipped $dm; do
	tests="$tests mode_ran:$m"
done


# A mode that needs something of the kernel (defrag-mode: vm.defrag_mode)
# ran with it, or was skipped for the reason it gave.
t_mode_ran() {
	local d=$run/$1

	if [ -f "$d/skipped.txt" ]; then
		skip "$1: $(cat "$d/skipped.txt")"
		return
	fi
	diag "$1: $(setting free_pageblocks_before "$d/compaction.txt") -> $(setting free_pageblocks_after "$d/compaction.txt") free pageblocks in $(setting waited_s "$d/compaction.txt") s; $(kv allocated "$d/summary.txt") hugepages"
	[ "$(setting defrag_mode "$d/compaction.txt")" = 1 ] || { diag "$1: defrag_mode not recorded as 1"; return 1; }
	grep -q "Command line:.* sysctl.vm.defrag_mode=1" "$d/dmesg.txt" 2>/dev/null ||
		{ diag "$1: its guest did not boot with sysctl.vm.defrag_mode=1"; return 1; }
	[ "$(kv allocated "$d/summary.txt")" -gt 0 ]
}

t_modes_found() {
	diag "no mode directories in $run (setup.txt modes=: '${listed:-}')"
	return 1
}

# Of the 2M regions frag touched (stage 0), how many hold <= keep (1/4 by
# default) + slack after punching.  The random pattern keeps a count
# uniform in [0, 2 * keep] per chunk: its bound is 2 * keep + slack, and the
# mean must be <= keep + slack.
t_frag_punch_leaves_quarter() {
	rc=0
	# What frag punched, as it announced it.
	keep=$(setup_val frag_keep)
	pattern=$(setup_val frag_pattern)
	case $keep in ''|*[!0-9]*) diag "setup.txt does not say what frag punched (frag_keep '$keep')"; return 1 ;; esac
	for m in $modes; do
		d=$run/$m
		[ -s "$d/pagemap-0.txt" ] && [ -s "$d/pagemap-1.txt" ] || { diag "$m: no pagemap dumps"; rc=1; continue; }
		awk -v m="$m" -v keep="$keep" -v pattern="$pattern" '
			FNR == 1 { stage++ }
			/^#/ { next }
			stage == 1 { touched[$1] = 1; next }
			{ after[$1] = $2 }
			END {
				bound = (pattern == "random" ? 2 * keep : keep) + 16
				for (r in touched) { n++; sum += after[r]; if (after[r] + 0 <= bound) good++ }
				printf "%s: %d of %d touched regions hold <= %d pages after punching (pattern %s, keep %d)\n", m, good, n, bound, pattern, keep
				ok = n > 0 && good >= 0.9 * n
				if (pattern == "random" && n > 0) {
					printf "%s: %.1f pages per touched region on average (<= %d)\n", m, sum / n, keep + 16
					ok = ok && sum / n <= keep + 16
				}
				exit !ok
			}' "$d/pagemap-0.txt" "$d/pagemap-1.txt" >>"$ktap_diag_file" || rc=1
	done
	return $rc
}

t_latency_lines_match_summary() {
	rc=0
	for m in $absent; do
		diag "$m: listed in setup.txt modes= but has no directory"
		rc=1
	done
	for m in $modes; do
		d=$run/$m
		lines=$(wc -l <"$d/latencies.txt" 2>/dev/null)
		att=$(kv attempts "$d/summary.txt")
		[ -n "$att" ] && [ "$lines" = "$att" ] || { diag "$m: '$lines' latency lines, summary attempts '$att'"; rc=1; }
	done
	return $rc
}

# timed_here: timings are compared on this run's kernel; SKIP when not
timed_here() {
	[ "$instrumented" != 1 ] || { skip "timings under an instrumented kernel are compared with nothing"; return; }
}

# p90_10x_below MODE: on-demand's p90 is at least 10 times MODE's
p90_10x_below() {
	local a b

	a=$(kv p90_ns "$run/$od/summary.txt")
	b=$(kv p90_ns "$run/$1/summary.txt")
	diag "p90: $od $a ns, $1 $b ns"
	[ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt 0 ] && [ "$a" -ge $((10 * b)) ]
}

t_manual_p90_10x_below_ondemand() {
	timed_here || return
	# What compact_memory did, for a failure to be diagnosable from the log.
	awk -v s="$(setting compaction_s "$run/$mn/compaction.txt")" -v m="$mn" '
		FNR == 1 { f++ }
		f == 1 { a[$1] = $2; next }
		{ b[$1] = $2 }
		END {
			printf "%s: compact_memory took %s s: pgmigrate_success %d, compact_migrate_scanned %d, compact_free_scanned %d, compact_isolated %d\n", m, s,
				b["pgmigrate_success"] - a["pgmigrate_success"], b["compact_migrate_scanned"] - a["compact_migrate_scanned"],
				b["compact_free_scanned"] - a["compact_free_scanned"], b["compact_isolated"] - a["compact_isolated"]
		}' "$run/$mn/snap/punched/vmstat" "$run/$mn/snap/compacted/vmstat" >>"$ktap_diag_file" 2>/dev/null
	grep mm_compaction_end "$run/$mn/compaction-trace.txt" 2>/dev/null | sed 's/^.*mm_/  mm_/' >>"$ktap_diag_file"
	p90_10x_below "$mn"
}

# The targeted compactor's hugepages should be ready before the run: a floor
# against breakage, as manual's.
t_targeted_p90_10x_below_ondemand() {
	timed_here || return
	diag "$tg: $(tr '\n' ' ' <"$run/$tg/compaction.txt" 2>/dev/null | cut -c 1-200)"
	diag "$(grep -v '^node' "$run/$tg/compactor_status.txt" 2>/dev/null | tr '\n' ' ')"
	p90_10x_below "$tg"
}

t_targeted_hugepages_90pct_of_manual() {
	local a b

	a=$(kv allocated "$run/$mn/summary.txt")
	b=$(kv allocated "$run/$tg/summary.txt")
	diag "hugepages: $mn $a, $tg $b"
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt 0 ] && [ $((10 * b)) -ge $((9 * a)) ]
}

# Hugepages obtained against free memory right before the run (snap/compacted),
# per-CPU lists included as in scripts/analyze.py.  A functional floor, not
# the target: the figures are in results/.
t_hugepages_over_75pct_of_free() {
	rc=0
	for m in $modes; do
		d=$run/$m
		free=$(free_kib "$d/snap/compacted/meminfo" "$d/snap/compacted/zoneinfo" 2>/dev/null)
		got=$(kv allocated "$d/summary.txt")
		[ -n "$free" ] && [ -n "$got" ] || { diag "$m: no meminfo or summary"; rc=1; continue; }
		pct=$(awk -v g="$got" -v f="$free" 'BEGIN { printf "%.1f", g * 2048 * 100 / f }')
		diag "$m: $got pages = $pct% of $free kB free"
		awk -v p="$pct" 'BEGIN { exit !(p >= 75) }' || rc=1
	done
	return $rc
}

# Every dmesg.txt, and the guests' consoles: a guest whose job failed
# leaves no dmesg.txt.  An OOM kill during a run is a failure too.
t_dmesg_clean() {
	rc=0
	for f in "$run"/dmesg.txt "$run"/*/dmesg.txt "$run"/*/console.log "$run"/*/*/console.log; do
		[ -f "$f" ] || continue
		if grep -E "$ktap_bad_dmesg|Out of memory" "$f" >/tmp/khugehog-bad-dmesg; then
			diag "$f:"
			sed 's/^/  /' /tmp/khugehog-bad-dmesg | head -n 20 | while IFS= read -r l; do diag "$l"; done
			rc=1
		fi
	done
	rm -f /tmp/khugehog-bad-dmesg
	return $rc
}

ktap_run "experiment checks on $run ($kernel)" "$kernel" "$tests"
