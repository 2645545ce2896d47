# SPDX-License-Identifier: GPL-2.0
#
# Fragmentation: frag's punching, and the module's fragmentation and
# pageblock files against the kernel's.  Sourced by vm-tests.sh.

# same_as_kernel NAME: the module's file equals the kernel's, read in
# between two reads of the kernel's that agree (memory was quiet).
same_as_kernel() {
	local tries=0 quiet=0

	while [ $tries -lt 20 ]; do
		cat "/sys/kernel/debug/extfrag/$1" >/tmp/k1
		cat "$khh/$1" >/tmp/m
		cat "/sys/kernel/debug/extfrag/$1" >/tmp/k2
		tries=$((tries + 1))
		cmp -s /tmp/k1 /tmp/k2 || continue
		# A page freed and taken again between the reads can make one
		# differ: a difference counts when it stays, quiet read after
		# quiet read.
		cmp -s /tmp/k1 /tmp/m && return 0
		quiet=$((quiet + 1))
		cp /tmp/m /tmp/m.diff
		cp /tmp/k1 /tmp/k1.diff
	done
	if [ "$quiet" = 0 ]; then
		diag "$1: the kernel's file never read the same twice in a row"
		return 1
	fi
	diag "$1 differs from the kernel's in $quiet quiet reads of $tries:"
	diff /tmp/k1.diff /tmp/m.diff | sed 's/^/  /' | while IFS= read -r l; do diag "$l"; done
	return 1
}

# kcompactd's node score from the kernel's unusable_index (order 9, in
# percent; 0 when nothing is free) and the zones' present pages.  The
# guest has one node.
kernel_node_score() {
	awk '
		FNR == 1 { file++ }
		file == 1 && $1 == "Node" { zone = $4 }
		file == 1 && $1 == "present" { present[zone] = $2; node += $2 }
		file == 2 { u0[$4] = $5; u9[$4] = $14 }
		END {
			for (z in u9) {
				s = (u0[z] == "1.000") ? 0 : int(int(u9[z] * 1000 + 0.5) / 10)
				score += int(present[z] * s / (node + 1))
			}
			print "Node 0 score " score
		}' /proc/zoneinfo "$1"
}

# The article's stride pattern: after punching, at least 90% of the 2M
# physical regions frag had filled hold at most 1/4 of their pages, plus a
# slack of 16.  (experiment-checks.sh checks frag's default, random.)
# frag is userspace, and loads no module: an instrumented kernel has
# nothing of the module's for its sanitizers to watch here.
t_frag_punch_leaves_quarter() {
	[ "$instrumented" = 1 ] &&
		{ skip "instrumented kernel: frag's punching is checked on the released kernels"; return; }
	rm -f /tmp/pm-*.txt
	start_frag -p stride -d /tmp/pm || return 1
	end_frag
	[ -s /tmp/pm-0.txt ] && [ -s /tmp/pm-1.txt ] || { diag "no pagemap dumps: $(cat /tmp/frag.log)"; return 1; }
	awk '
		FNR == 1 { stage++ }
		/^#/ { next }
		stage == 1 { touched[$1] = 1; next }
		{ after[$1] = $2 }
		END {
			for (r in touched) { n++; if (after[r] + 0 <= 128 + 16) good++ }
			printf "%d of %d touched regions hold <= 144 pages after punching\n", good, n
			exit !(n > 0 && good >= 0.9 * n)
		}' /tmp/pm-0.txt /tmp/pm-1.txt >>"$ktap_diag_file"
}

t_extfrag_files_match_kernel() {
	rc=0
	start_frag || return 1
	load || { kill $fpid; return 1; }
	for f in extfrag_index unusable_index; do
		same_as_kernel $f || rc=1
	done
	# The score, against one computed from the kernel's own unusable_index.
	tries=0
	while [ $tries -lt 20 ]; do
		cat /sys/kernel/debug/extfrag/unusable_index >/tmp/k1
		head -n 1 "$khh/fragmentation_score" >/tmp/m
		cat /sys/kernel/debug/extfrag/unusable_index >/tmp/k2
		cmp -s /tmp/k1 /tmp/k2 && break
		tries=$((tries + 1))
	done
	kernel_node_score /tmp/k1 >/tmp/want
	cmp -s /tmp/want /tmp/m ||
		{ diag "fragmentation_score: '$(cat /tmp/m)', from the kernel's files: '$(cat /tmp/want)'"; rc=1; }
	diag "fragmented memory: $(cat /tmp/m); order-9 unusable index $(awk '$4 == "DMA32" { print $14 }' /tmp/k1)"
	unload || rc=1
	end_frag
	return $rc
}

# The node score line is the sum of the weighted zone lines below it: one
# reading of the free lists, even while frag changes them.
t_fragmentation_score_adds_up() {
	load || return 1
	rc=0
	rm -f /tmp/frag.log
	"$frag" -q >/tmp/frag.log 2>&1 &
	fpid=$!
	n=0 bad=0
	until grep -qs '^frag: ready' /tmp/frag.log || [ $n -ge 3000 ]; do
		kill -0 $fpid 2>/dev/null || { diag "frag died: $(cat /tmp/frag.log)"; rc=1; break; }
		awk '$3 == "score" { node = $4 } $5 == "score" { sum += $8 }
			END { exit node != sum }' "$khh/fragmentation_score" || {
			bad=$((bad + 1))
			[ $bad -le 3 ] && diag "$(tr '\n' ';' <"$khh/fragmentation_score")"
		}
		n=$((n + 1))
	done
	diag "$n reads while frag filled and punched, $bad with a node score that is not the sum of its zones'"
	[ $bad = 0 ] || rc=1
	end_frag
	unload || rc=1
	return $rc
}

# The module reads a pageblock's migratetype itself (the kernel's reader
# is not exported): its counts are the kernel's.
t_pageblock_types_match_kernel() {
	load || return 1
	rc=0
	tries=0
	while [ $tries -lt 20 ]; do
		kernel_block_counts >/tmp/k1
		cat "$khh/pageblock_types" >/tmp/m
		kernel_block_counts >/tmp/k2
		cmp -s /tmp/k1 /tmp/k2 && break
		tries=$((tries + 1))
	done
	if ! cmp -s /tmp/k1 /tmp/m; then
		diag "pageblock_types differs from /proc/pagetypeinfo:"
		diff /tmp/k1 /tmp/m | while IFS= read -r l; do diag "  $l"; done
		rc=1
	fi
	[ -s /tmp/m ] || { diag "pageblock_types is empty"; rc=1; }
	diag "$(tr -s ' ' <"$khh/pageblock_types" | tr '\n' ';')"
	unload || rc=1
	return $rc
}
