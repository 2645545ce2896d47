#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check the results of an ondemand + manual experiment run (from
# scripts/vm-run.sh or scripts/experiment.sh --host), as KTAP:
# frag's punch pattern, the module's files agreeing with each other, the
# p90 gap between the modes, the share of free memory obtained, and a
# dmesg free of oopses and warnings.
#
# usage: experiment-checks.sh RUN_DIR
set -u

[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: $0 RUN_DIR" >&2; exit 2; }
run=$1
kernel=$(sed -n 's/^kernel=//p' "$run/setup.txt" 2>/dev/null)
[ -n "$kernel" ] || kernel=unknown-kernel
modes="ondemand manual"
tests="frag_punch_leaves_quarter latency_lines_match_summary
manual_p90_10x_below_ondemand hugepages_over_75pct_of_free dmesg_clean"

. "$(dirname "$0")/ktap.sh"

# Of the 2M regions frag touched (stage 0), how many hold <= 1/4 + slack after punching.
t_frag_punch_leaves_quarter() {
	rc=0
	for m in $modes; do
		d=$run/$m
		[ -s "$d/pagemap-0.txt" ] && [ -s "$d/pagemap-1.txt" ] || { diag "$m: no pagemap dumps"; rc=1; continue; }
		awk -v m="$m" '
			FNR == 1 { stage++ }
			/^#/ { next }
			stage == 1 { touched[$1] = 1; next }
			{ after[$1] = $2 }
			END {
				for (r in touched) { n++; if (after[r] + 0 <= 128 + 16) good++ }
				printf "%s: %d of %d touched regions hold <= 144 pages after punching\n", m, good, n
				exit !(n > 0 && good >= 0.9 * n)
			}' "$d/pagemap-0.txt" "$d/pagemap-1.txt" >>"$ktap_diag_file" || rc=1
	done
	return $rc
}

t_latency_lines_match_summary() {
	rc=0
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
	[ -n "$od" ] && [ -n "$mn" ] && [ "$mn" -gt 0 ] && [ "$od" -ge $((10 * mn)) ]
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

t_dmesg_clean() {
	rc=0
	for f in "$run"/dmesg.txt "$run"/*/dmesg.txt; do
		[ -f "$f" ] || continue
		if grep -E "$ktap_bad_dmesg" "$f" >/tmp/khugehog-bad-dmesg; then
			diag "$f:"
			sed 's/^/  /' /tmp/khugehog-bad-dmesg | head -n 20 | while IFS= read -r l; do diag "$l"; done
			rc=1
		fi
	done
	rm -f /tmp/khugehog-bad-dmesg
	return $rc
}

ktap_run "experiment checks on $run ($kernel)" "$kernel" "$tests"
