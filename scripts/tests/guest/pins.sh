# SPDX-License-Identifier: GPL-2.0
#
# Unmovable pins, and the pageblocks the module may touch: their types
# kept, offline memory left alone.  Sourced by vm-tests.sh.

# Pins land in the share of pageblocks asked for, and all come back.
t_pin_unpin() {
	load || return 1
	rc=0
	for w in "pin" "pin share=101" "pin share=abc" "pin seed=1" "pin share=5 bogus=1" "unpin now"; do
		write_expect "Invalid argument" "$w" || rc=1
	done
	free0=$(free_kib)
	blocks=$(awk '$1 == "spanned" { n += int($2 / 512) + 1 } END { print n }' /proc/zoneinfo)
	echo "pin share=25 seed=3" >"$khh/control" || rc=1
	n=$(kv pinned "$khh/status")
	write_expect "Device or resource busy" "pin share=25" || rc=1
	awk -v n="$n" -v b="$blocks" 'BEGIN { exit !(n >= b * 0.15 && n <= b * 0.35) }' ||
		{ diag "pinned $n pages in $blocks pageblocks for share=25"; rc=1; }
	echo unpin >"$khh/control" || rc=1
	echo "pin share=25 seed=3" >"$khh/control" || rc=1
	n2=$(kv pinned "$khh/status")
	[ "$n2" = "$n" ] || { diag "seed 3 pinned $n, then $n2 pages"; rc=1; }
	echo unpin >"$khh/control" || rc=1
	[ "$(kv pinned "$khh/status")" = 0 ] || { diag "pages still pinned after unpin"; rc=1; }
	memory_back "$free0" "unpin" || rc=1
	diag "share=25: $n of $blocks pageblocks pinned"

	# frag --unmovable pins after punching and unpins when it exits.
	rm -f /tmp/frag.log
	"$frag" -q -s 256M -u 10:5 >/tmp/frag.log 2>&1 &
	fpid=$!
	i=0
	until grep -qs '^frag: ready' /tmp/frag.log || [ $i -gt 600 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q '^frag: pinned [1-9]' /tmp/frag.log || { diag "frag -u 10:5: $(cat /tmp/frag.log)"; rc=1; }
	[ "$(kv pinned "$khh/status")" -gt 0 ] || { diag "nothing pinned while frag -u runs"; rc=1; }
	end_frag
	[ "$(kv pinned "$khh/status")" = 0 ] || { diag "frag exited, $(kv pinned "$khh/status") pages still pinned"; rc=1; }
	diag "$(grep '^frag: pinned' /tmp/frag.log)"

	echo "pin share=10" >"$khh/control" || rc=1
	unload || rc=1
	return $rc
}

# types_kept WHAT BEFORE AFTER: per pageblock type other than MOVABLE,
# the blocks it lost between BEFORE and AFTER (counts of /proc/pagetypeinfo)
# are no more than the allocator itself gave to movable allocations (the
# mm_page_alloc_extfrag events with change_ownership=1 in the trace).
types_kept() {
	grep -o 'alloc_migratetype=1 fallback_migratetype=[0-9]* .*change_ownership=1' \
		/sys/kernel/tracing/trace | sed 's/.*fallback_migratetype=\([0-9]*\) .*/\1/' >/tmp/steals
	awk -v what="$1" '
		FILENAME == "/tmp/steals" { stolen[$1]++; next }
		FNR == 1 { f++ }
		{ zone = $4; for (i = 5; i <= NF; i++) n[f, zone, i - 5] = $i; zones[zone] = 1; nt = NF - 4 }
		END {
			ok = 1
			for (t = 0; t < nt; t++) {
				if (t == 1)
					continue
				lost = 0
				for (z in zones)
					if (n[1, z, t] > n[2, z, t])
						lost += n[1, z, t] - n[2, z, t]
				if (lost > stolen[t] + 0) {
					printf "%s: %d blocks of type %d lost, the allocator took %d\n", what, lost, t, stolen[t] + 0
					ok = 0
				}
			}
			exit !ok
		}' /tmp/steals "$2" "$3" >>"$ktap_diag_file"
	st=$?
	diag "$1: blocks per type (Unmovable Movable Reclaimable ...) before: $(tr -s ' ' <"$2" | tr '\n' ';') after: $(tr -s ' ' <"$3" | tr '\n' ';') allocator steals for movable: $(wc -l </tmp/steals)"
	return $st
}

# Pins and the targeted compactor only use MOVABLE pageblocks: on any
# other, alloc_contig_range() would relabel the block MOVABLE.
t_pageblock_types_kept() {
	rc=0
	tr=/sys/kernel/tracing
	ev=$tr/events/kmem/mm_page_alloc_extfrag
	load || return 1
	: >"$tr/trace"
	echo 1 >"$ev/enable"
	kernel_block_counts >/tmp/pt0
	echo "pin share=100 seed=1" >"$khh/control" || rc=1
	n=$(kv pinned "$khh/status")
	echo unpin >"$khh/control" || rc=1
	kernel_block_counts >/tmp/pt1
	echo 0 >"$ev/enable"
	types_kept "pin share=100 ($n pins), unpin" /tmp/pt0 /tmp/pt1 || rc=1
	unload || rc=1

	start_frag -p random -S 7 || return 1
	load || { kill $fpid; return 1; }
	: >"$tr/trace"
	echo 1 >"$ev/enable"
	kernel_block_counts >/tmp/pt0
	echo Y >"$par/compactor_enabled" || rc=1
	bar 90 "targeted: its low watermark" target_reached || { diag "targeted: target not reached in 90 s"; rc=1; }
	echo N >"$par/compactor_enabled" || rc=1
	kernel_block_counts >/tmp/pt1
	echo 0 >"$ev/enable"
	types_kept "targeted session ($(cstat blocks_emptied) blocks emptied)" /tmp/pt0 /tmp/pt1 || rc=1
	unload || rc=1
	end_frag
	bars_result $rc
}

# A memory block taken offline: its struct pages are not read (pfn_valid()
# is still true there), its pageblocks are not counted, and it can come
# back online afterwards.  The module reads nothing there on a kernel
# whose offline memmap is poisoned (DEBUG_VM), and here it must at least
# run cleanly around the hole.
t_offline_memory_untouched() {
	mem=/sys/devices/system/memory
	[ -d "$mem" ] || { skip "no memory hotplug in this kernel"; return; }
	blk=
	for n in $(ls "$mem" | sed -n 's/^memory\([0-9]*\)$/\1/p' | sort -rn); do
		[ "$n" = 0 ] && continue
		[ "$(cat "$mem/memory$n/online")" = 1 ] || continue
		if echo 0 >"$mem/memory$n/online" 2>/dev/null; then
			blk=$mem/memory$n
			break
		fi
	done
	[ -n "$blk" ] || { skip "no memory block would go offline"; return; }
	rc=0
	dmesg_mark
	load || { echo 1 >"$blk/online"; return 1; }
	kernel_block_counts >/tmp/k1
	cat "$khh/pageblock_types" >/tmp/m
	cmp -s /tmp/k1 /tmp/m || { diag "with ${blk##*/} offline, pageblock_types differs from /proc/pagetypeinfo"; rc=1; }
	echo "pin share=100 seed=2" >"$khh/control" || rc=1
	n=$(kv pinned "$khh/status")
	echo unpin >"$khh/control" || rc=1
	start_frag -p random -S 7 || { unload; echo 1 >"$blk/online"; return 1; }
	echo Y >"$par/compactor_enabled" || rc=1
	bar 90 "targeted: its low watermark" target_reached || { diag "targeted: target not reached in 90 s"; rc=1; }
	echo N >"$par/compactor_enabled" || rc=1
	diag "${blk##*/} offline: $n pins, targeted emptied $(cstat blocks_emptied) blocks"
	unload || rc=1
	end_frag
	echo 1 >"$blk/online" || { diag "${blk##*/} would not come back online"; rc=1; }
	if dmesg_new | grep -E "$ktap_bad_dmesg|Bad page" >/tmp/bad; then
		head -n 8 /tmp/bad | while IFS= read -r l; do diag "  $l"; done
		rc=1
	fi
	return $rc
}
