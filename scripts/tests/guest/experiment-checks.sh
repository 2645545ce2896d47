#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check the results of an experiment run (from scripts/vm-run.sh or
# scripts/experiment.sh --host), as KTAP, for the modes it holds: frag's
# punch pattern, the module's files agreeing with each other, the share of
# free memory obtained and a dmesg free of oopses and warnings in every
# mode; the p90 gap between ondemand and manual, and between ondemand and
# proactive-module-targeted, and the targeted compactor's hugepages against
# manual's, when the run has those modes.  A test whose modes the run does
# not have is not run, and not listed.  These are functional floors against
# breakage; the measured figures are in the report.
#
# usage: experiment-checks.sh RUN_DIR
set -u

[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: $0 RUN_DIR" >&2; exit 2; }
run=$1

# setup_val KEY: the run's setup.txt value (the last, if several)
setup_val() {
	sed -n "s/^$1=//p" "$run/setup.txt" 2>/dev/null | tail -n 1
}

kernel=$(setup_val kernel)
[ -n "$kernel" ] || kernel=unknown-kernel

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

has_mode() {
	case " $modes " in *" $1 "*) return 0 ;; esac
	return 1
}

if [ -z "$modes" ]; then
	tests=modes_found
else
	tests="frag_punch_leaves_quarter latency_lines_match_summary"
	has_mode ondemand && has_mode manual && tests="$tests manual_p90_10x_below_ondemand"
	if has_mode proactive-module-targeted; then
		has_mode ondemand && tests="$tests targeted_p90_10x_below_ondemand"
		has_mode manual && tests="$tests targeted_hugepages_90pct_of_manual"
	fi
	tests="$tests hugepages_over_75pct_of_free dmesg_clean"
fi

. "$(dirname "$0")/ktap.sh"

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
		att=$(summary_val attempts "$d/summary.txt")
		[ -n "$att" ] && [ "$lines" = "$att" ] || { diag "$m: '$lines' latency lines, summary attempts '$att'"; rc=1; }
	done
	return $rc
}

t_manual_p90_10x_below_ondemand() {
	od=$(summary_val p90_ns "$run/ondemand/summary.txt")
	mn=$(summary_val p90_ns "$run/manual/summary.txt")
	diag "p90: ondemand $od ns, manual $mn ns"
	# What compact_memory did, for a failure to be diagnosable from the log.
	d=$run/manual/snap
	awk -v s="$(sed -n 's/^compaction_s=//p' "$run/manual/compaction.txt" 2>/dev/null)" '
		FNR == 1 { f++ }
		f == 1 { a[$1] = $2; next }
		{ b[$1] = $2 }
		END {
			printf "manual: compact_memory took %s s: pgmigrate_success %d, compact_migrate_scanned %d, compact_free_scanned %d, compact_isolated %d\n", s,
				b["pgmigrate_success"] - a["pgmigrate_success"], b["compact_migrate_scanned"] - a["compact_migrate_scanned"],
				b["compact_free_scanned"] - a["compact_free_scanned"], b["compact_isolated"] - a["compact_isolated"]
		}' "$d/punched/vmstat" "$d/compacted/vmstat" >>"$ktap_diag_file" 2>/dev/null
	grep mm_compaction_end "$run/manual/compaction-trace.txt" 2>/dev/null | sed 's/^.*mm_/  mm_/' >>"$ktap_diag_file"
	[ -n "$od" ] && [ -n "$mn" ] && [ "$mn" -gt 0 ] && [ "$od" -ge $((10 * mn)) ]
}

# The targeted compactor's hugepages should be ready before the run: a floor
# against breakage, as manual's.
t_targeted_p90_10x_below_ondemand() {
	od=$(summary_val p90_ns "$run/ondemand/summary.txt")
	tg=$(summary_val p90_ns "$run/proactive-module-targeted/summary.txt")
	diag "p90: ondemand $od ns, proactive-module-targeted $tg ns"
	d=$run/proactive-module-targeted
	diag "proactive-module-targeted: $(tr '\n' ' ' <"$d/compaction.txt" 2>/dev/null | cut -c 1-200)"
	awk '$1 ~ /^(target_reached_ns|passes|blocks_emptied|blocks_busy|pages_floor|pages_migrated|pgmigrate_success)$/ { printf "%s %s ", $1, $2 } END { print "" }' \
		"$d/compactor_status.txt" >>"$ktap_diag_file" 2>/dev/null
	[ -n "$od" ] && [ -n "$tg" ] && [ "$tg" -gt 0 ] && [ "$od" -ge $((10 * tg)) ]
}

t_targeted_hugepages_90pct_of_manual() {
	mn=$(summary_val allocated "$run/manual/summary.txt")
	tg=$(summary_val allocated "$run/proactive-module-targeted/summary.txt")
	diag "hugepages: manual $mn, proactive-module-targeted $tg"
	[ -n "$mn" ] && [ -n "$tg" ] && [ "$mn" -gt 0 ] && [ $((10 * tg)) -ge $((9 * mn)) ]
}

# Hugepages obtained against free memory right before the run (snap/compacted),
# per-CPU lists included as in scripts/analyze.py.  A functional floor, not
# the target: runs get 95-99% here; the figure itself is in results/.
t_hugepages_over_75pct_of_free() {
	rc=0
	for m in $modes; do
		d=$run/$m
		pcp=$(awk '$1 == "count:" { n += $2 } END { print n * 4 }' "$d/snap/compacted/zoneinfo" 2>/dev/null)
		free=$(awk -v pcp="${pcp:-0}" '/^MemFree:/ { print $2 + pcp }' "$d/snap/compacted/meminfo" 2>/dev/null)
		got=$(summary_val allocated "$d/summary.txt")
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
