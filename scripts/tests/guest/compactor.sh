# SPDX-License-Identifier: GPL-2.0
#
# The compactor (compactor_* parameters, compactor_status): its parameters,
# each strategy, stopping it, and what it must survive.  Sourced by
# vm-tests.sh.

t_compactor_params_rejected() {
	load || return 1
	rc=0
	for pv in compactor_strategy=bogus compactor_strategy=Targeted compactor_interval_ms=9 \
		compactor_interval_ms=60001 compactor_wmark_high=0 compactor_wmark_high=101 \
		compactor_wmark_high=5 compactor_wmark_low=20 compactor_wmark_low=100 \
		compactor_index_threshold=1001 compactor_order=0 compactor_order=11 \
		compactor_pass_blocks=0 compactor_pass_blocks=4097 compactor_enabled=maybe \
		compactor_interval_ms=abc compactor_reserve_blocks=1048577 \
		compactor_reserve_blocks=-1; do
		param_expect_einval "${pv%%=*}" "${pv#*=}" || rc=1
	done
	grep -qx "enabled 0" "$khh/compactor_status" || { diag "compactor enabled by a rejected write"; rc=1; }
	# It reads like THP's enabled file: every strategy, the selected one
	# in brackets.  The module's information (modinfo -F
	# compactor_strategy, for scripts that do not load it; busybox's
	# modinfo needs /lib/modules) lists the same.
	last=$(strategies | awk '{ print $NF }')
	echo "$last" >"$par/compactor_strategy" && grep -q "\[$last\]" "$par/compactor_strategy" ||
		{ diag "compactor_strategy reads '$(cat "$par/compactor_strategy")' after writing $last"; rc=1; }
	info=$(strings "$module" | sed -n 's/^compactor_strategy=//p' | sort | tr '\n' ' ')
	[ "$(strategies | tr ' ' '\n' | sort | tr '\n' ' ')" = "$info" ] ||
		{ diag "sysfs lists '$(strategies)', the module's information '$info'"; rc=1; }
	unload || rc=1
	return $rc
}

# Where the targeted session's time went: its parts fit in the time of
# its passes, its kthread used CPU, and a plan (a scan of the zone's
# struct pages) served several passes rather than one each (a bar: a
# debug kernel's session once made a plan for each of its 4 passes).
compactor_time_split() {
	local passes plans parts k line=

	passes=$(cstat passes) plans=$(cstat plans)
	for k in plan_ns soak_ns contig_ns drain_ns compact_ns sleep_ns cpu_ns; do
		line="$line ${k%_ns} $(($(cstat $k) / 1000000))"
	done
	diag "  $plans zone scans for $passes passes; ms:$line"
	parts=$(($(cstat plan_ns) + $(cstat soak_ns) + $(cstat contig_ns) + $(cstat drain_ns)))
	[ "$parts" -le "$(cstat compact_ns)" ] ||
		{ diag "targeted: plan + soak + contig + drain = $parts ns > compact_ns $(cstat compact_ns)"; return 1; }
	[ "$(cstat cpu_ns)" -gt 0 ] || { diag "targeted: cpu_ns $(cstat cpu_ns)"; return 1; }
	[ "$plans" -ge 1 ] || { diag "targeted: no plan"; return 1; }
	[ "$passes" -lt 3 ] || [ "$plans" -lt "$passes" ] ||
		missed_bar "targeted: a plan serving several passes ($plans plans for $passes passes)"
}

# Each strategy makes freshly fragmented memory usable: targeted down to
# the low watermark, node halving the score, alloc doubling the free 2M
# blocks (functional bars, see bar in common.sh; the figures are in
# results/).  The kernel's compaction begin/end events are kept, to tell
# from the log why a pass stopped.
t_compactor_strategies_reach_target() {
	rc=0
	tr=/sys/kernel/tracing
	load || return 1
	list=$(strategies)
	unload || return 1
	# Switched on once for all the sessions: each switch patches kernel
	# text (text_poke_bp), where a TCG guest now and then leaves a vCPU
	# looping on a stale int3 (scripts/host/guest-console.sh).
	for e in mm_compaction_begin mm_compaction_end; do
		echo 1 >"$tr/events/compaction/$e/enable"
	done
	for s in $list; do
		# The random pattern: on the stride pattern the node file's
		# compaction stops early in about one run in four, its free
		# scanner striding over the kept pages (see README).
		start_frag -p random -S 7 || { rc=1; break; }
		load compactor_strategy=$s || { kill $fpid; rc=1; break; }
		score0=$(cstat node0_score)
		free0=$(cstat node0_free_blocks)
		high=$(cat "$par/compactor_wmark_high")
		low=$(cat "$par/compactor_wmark_low")
		: >"$tr/trace"
		t0=$(cut -d' ' -f1 /proc/uptime)
		echo Y >"$par/compactor_enabled" || rc=1
		src=0 show=0
		case $s in
		targeted)
			bar 90 "$s: score $score0 -> low watermark $low" target_reached ||
				{ diag "$s: score $score0 -> $(cstat node0_score) in 90 s, low watermark $low not reached"; src=1; } ;;
		node)
			# One whole-node compaction takes it well below half.
			bar 60 "$s: score $score0 halved" cstat_le node0_score $((score0 / 2)) ||
				{ diag "$s: score $score0 -> $(cstat node0_score) in 60 s, not halved"; src=1; } ;;
		alloc)
			# It stalls now and then, as the kernel's direct
			# compaction does (see README): not doubling in 60 s is
			# said, and only no gain at all (checked below) fails.
			# Under an instrumented kernel only a gain is waited
			# for: in its 1 GiB guest a pass stops at the zone's
			# tight threshold (four high watermarks, which THP's
			# min_free_kbytes raises) well before it could double.
			want=$((2 * free0))
			[ "$instrumented" = 1 ] && want=$((free0 + 1))
			poll "$(bar_s 60)" cstat_ge node0_free_blocks $want ||
				{ diag "$s: free 2M blocks $free0 -> $(cstat node0_free_blocks), not $want"; show=1; } ;;
		esac
		ms=$(ms_since "$t0")
		# Disabling returns within a second, whatever the pass is doing.
		t1=$(cut -d' ' -f1 /proc/uptime)
		echo N >"$par/compactor_enabled" || rc=1
		stop_ms=$(ms_since "$t1")
		quick_ms "$stop_ms" "$s: disable" || src=1
		diag "$s: score $score0 -> $(cstat node0_score), free 2M blocks $free0 -> $(cstat node0_free_blocks) in $ms ms, disabled in $stop_ms ms; passes $(cstat passes), pgmigrate_success $(cstat pgmigrate_success)"
		case $s in
		targeted)
			diag "  emptied $(cstat blocks_emptied) blocks (busy $(cstat blocks_busy)), floor $(cstat pages_floor) pages, own count $(cstat pages_migrated), soaked $(cstat pages_soaked)"
			[ "$(cstat blocks_emptied)" -gt 0 ] || { diag "targeted emptied no block"; src=1; }
			# The pages it freed are back in the buddy lists, not
			# parked on per-CPU lists (the README has the figures
			# with and without the drain).
			pcp=$(pcp_pages)
			diag "  $pcp pages on per-CPU lists after the session"
			[ "$pcp" -lt 4096 ] || { diag "$s: $pcp pages left on per-CPU lists"; src=1; }
			compactor_time_split || src=1 ;;
		alloc)
			diag "  allocated $(cstat hugepages_allocated) order-9 pages, $(cstat alloc_failures) attempts failed, passes without progress $(cstat passes_no_progress)"
			[ "$(cstat hugepages_allocated)" -gt 0 ] || { diag "alloc allocated nothing"; src=1; } ;;
		esac
		[ "$(cstat node0_free_blocks)" -gt "$free0" ] || missed_bar "$s: more free 2M blocks" ||
			{ diag "$s: no more free 2M blocks than before"; src=1; }
		grep -qx "state off" "$khh/compactor_status" || { diag "$s: $(grep ^state "$khh/compactor_status") after disable"; src=1; }
		[ -z "$bars_missed" ] || show=1
		if [ $src != 0 ] || [ $show = 1 ]; then
			diag "  timeline: $(tail -n 4 "$khh/compactor_timeline" | tr '\n' ';')"
			grep -E 'compaction_(begin|end)' "$tr/trace" | sed 's/^.*mm_/mm_/' | tail -n 8 |
				while IFS= read -r l; do diag "  $l"; done
		fi
		[ $src = 0 ] || rc=1
		unload || rc=1
		end_frag
	done
	echo 0 >"$tr/events/compaction/enable"
	bars_result $rc
}

# One event per block tried; the successful ones add up to the status.
t_compact_block_tracepoint() {
	rc=0
	tr=/sys/kernel/tracing
	ev=$tr/events/khugehog/compact_block
	start_frag || return 1
	load compactor_pass_blocks=8 compactor_interval_ms=100 || { kill $fpid; return 1; }
	[ -d "$ev" ] || { diag "no $ev"; unload; kill $fpid; return 1; }
	: >"$tr/trace"
	echo 1 >"$ev/enable"
	echo Y >"$par/compactor_enabled"
	sleep 3
	echo N >"$par/compactor_enabled"
	echo 0 >"$ev/enable"
	grep -o 'pfn=.*' "$tr/trace" >/tmp/ev
	awk '/result=0 / { n++; sub("nr_moved=", "", $3); m += $3 } END { printf "%d %d\n", n, m }' /tmp/ev >/tmp/evsum
	want="$(cstat blocks_emptied) $(cstat pages_migrated)"
	[ "$(cat /tmp/evsum)" = "$want" ] ||
		{ diag "events: $(cat /tmp/evsum) (emptied, moved); status: $want"; rc=1; }
	[ "$(cstat blocks_emptied)" -gt 0 ] || { diag "no block emptied in 3 s"; rc=1; }
	diag "$(wc -l </tmp/ev) events; $(head -n 1 /tmp/ev)"
	unload || rc=1
	end_frag
	return $rc
}

# The reserve: with the score watermarks out of reach (high 100), a
# compactor told to keep more free 2M blocks than there are compacts
# anyway, and one without a reserve does nothing.
t_compactor_keeps_reserve() {
	rc=0
	start_frag -p random -S 7 || return 1
	load compactor_wmark_high=100 compactor_wmark_low=99 || { kill $fpid; return 1; }
	free0=$(cstat node0_free_blocks)
	echo Y >"$par/compactor_enabled" || rc=1
	sleep 2
	diag "no reserve: $(cstat passes) passes, free 2M blocks $free0 -> $(cstat node0_free_blocks)"
	[ "$(cstat passes)" = 0 ] || { diag "the compactor ran with its watermarks out of reach"; rc=1; }
	want=$((free0 + 50))
	echo "$want" >"$par/compactor_reserve_blocks" || rc=1
	poll "$(bar_s 60)" cstat_ge node0_free_blocks "$want" || missed_bar "reserve $want reached" ||
		{ diag "reserve $want: free 2M blocks $(cstat node0_free_blocks) after 60 s"; rc=1; }
	[ "$(cstat blocks_emptied)" -gt 0 ] || { diag "reserve $want: no block emptied"; rc=1; }
	diag "reserve $want: $(cstat passes) passes, $(cstat blocks_emptied) blocks emptied, free 2M blocks $free0 -> $(cstat node0_free_blocks)"
	echo N >"$par/compactor_enabled" || rc=1
	unload || rc=1
	end_frag
	bars_result $rc
}

# The delays into a busy compactor's pass at which the two tests below
# stop it (tenths of a second): the shortest and longest only under an
# instrumented kernel, where each stop gives back the pages of a pass
# slowly (see quick_ms) and the sanitizers see the same paths.
stop_delays() {
	if [ "$instrumented" = 1 ]; then
		echo 0 6
	else
		echo 0 2 4 6
	fi
}

# Stopping a busy compactor, each strategy at each delay into its pass:
# within 1 s every time (quick_ms), nothing leaked.
t_compactor_enable_disable_cycles() {
	rc=0
	free0=$(free_kib)
	start_frag || return 1
	load compactor_pass_blocks=4096 compactor_wmark_low=0 compactor_wmark_high=1 || { kill $fpid; return 1; }
	worst=0 n=0
	for s in $(strategies); do
		echo $s >"$par/compactor_strategy"
		for d in $(stop_delays); do
			echo Y >"$par/compactor_enabled" || rc=1
			sleep 0.$d
			t0=$(cut -d' ' -f1 /proc/uptime)
			echo N >"$par/compactor_enabled" || rc=1
			ms=$(ms_since "$t0")
			[ "$ms" -gt "$worst" ] && worst=$ms
			quick_ms "$ms" "$s: disable" || rc=1
			n=$((n + 1))
		done
	done
	diag "$n enable/disable cycles, slowest disable $worst ms"
	unload || rc=1
	end_frag
	memory_back "$free0" || rc=1
	bars_result $rc
}

# Each strategy, unloaded at each delay into its pass: rmmod within 1 s
# (quick_ms), nothing leaked.
t_compactor_load_unload_cycles() {
	rc=0
	free0=$(free_kib)
	start_frag || return 1
	load || { kill $fpid; return 1; }
	list=$(strategies)
	unload || { kill $fpid; return 1; }
	worst=0 n=0
	for s in $list; do
		for d in $(stop_delays); do
			load compactor_enabled=Y compactor_strategy=$s compactor_pass_blocks=4096 \
				compactor_wmark_low=0 compactor_wmark_high=1 || { rc=1; break 2; }
			sleep 0.$d
			t0=$(cut -d' ' -f1 /proc/uptime)
			unload || { rc=1; break 2; }
			ms=$(ms_since "$t0")
			[ "$ms" -gt "$worst" ] && worst=$ms
			quick_ms "$ms" "$s: rmmod of a busy compactor" || rc=1
			n=$((n + 1))
		done
	done
	diag "$n load/unload cycles with the compactor running, slowest rmmod $worst ms"
	end_frag
	memory_back "$free0" || rc=1
	bars_result $rc
}

# The watermarks can be given to insmod in either order; a pair the wrong
# way round is refused at insmod, and at run time each is checked against
# the other.
t_compactor_wmarks_any_order() {
	rc=0
	for args in "compactor_wmark_low=30 compactor_wmark_high=50" \
		"compactor_wmark_high=50 compactor_wmark_low=30"; do
		# shellcheck disable=SC2086 # two parameters
		load $args || { diag "insmod $args failed"; rc=1; continue; }
		got="$(cat "$par/compactor_wmark_low") $(cat "$par/compactor_wmark_high")"
		[ "$got" = "30 50" ] || { diag "insmod $args: low high = $got"; rc=1; }
		unload || rc=1
	done
	dmesg_mark
	if insmod "$module" compactor_wmark_low=50 compactor_wmark_high=30 2>/tmp/ierr; then
		diag "insmod compactor_wmark_low=50 compactor_wmark_high=30 succeeded"
		unload
		rc=1
	fi
	dmesg_new | grep khugehog | sed 's/^\[[^]]*\] //' | sort -u >/tmp/msgs
	[ "$(wc -l </tmp/msgs)" = 1 ] || { diag "low=50 high=30: not one distinct dmesg line"; rc=1; }
	while IFS= read -r l; do diag "  $l"; done </tmp/msgs
	load || return 1
	param_expect_einval compactor_wmark_low 20 || rc=1
	echo 60 >"$par/compactor_wmark_high" && echo 40 >"$par/compactor_wmark_low" ||
		{ diag "high=60 then low=40 refused"; rc=1; }
	param_expect_einval compactor_wmark_high 40 || rc=1
	unload || rc=1
	return $rc
}

# A userspace kill -9 of the kthread is not for it: it neither spins (a
# pending signal would end every sleep at once) nor stops compacting (it
# would end every pass at once).
t_compactor_ignores_userspace_kill() {
	rc=0
	start_frag -p random -S 7 || return 1
	# Enabled, with no node above the high watermark: it sleeps.
	load compactor_wmark_high=100 compactor_wmark_low=99 compactor_interval_ms=100 ||
		{ kill $fpid; return 1; }
	echo Y >"$par/compactor_enabled" || rc=1
	pid=$(kthread_pid khugehog_compactd) || { diag "no khugehog_compactd thread"; rc=1; }
	if [ -n "$pid" ]; then
		kill -9 "$pid" 2>>"$ktap_diag_file"
		sleep 0.5
		t0=$(cpu_ticks "$pid")
		sleep 2
		t1=$(cpu_ticks "$pid")
		diag "after kill -9: $((t1 - t0)) ticks of CPU in 2 s, $(awk '{ print "state " $3 }' "/proc/$pid/stat")"
		[ $((t1 - t0)) -le 20 ] || { diag "the compactor spins after a kill -9"; rc=1; }
	fi
	# It still compacts, down to the new low watermark.
	echo 5 >"$par/compactor_wmark_low" && echo 20 >"$par/compactor_wmark_high" || rc=1
	bar 90 "after kill -9: score down to 5" cstat_le node0_score 5 ||
		{ diag "after kill -9: score $(cstat node0_score), not down to 5 in 90 s; blocks_emptied $(cstat blocks_emptied), blocks_failed $(cstat blocks_failed)"; rc=1; }
	[ "$(cstat blocks_emptied)" -gt 0 ] || { diag "no block emptied after kill -9"; rc=1; }
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo N >"$par/compactor_enabled" || rc=1
	ms=$(ms_since "$t0")
	diag "then: score $(cstat node0_score) after $(cstat passes) passes, $(cstat blocks_emptied) blocks emptied; disabled in $ms ms"
	quick_ms "$ms" "disable" || rc=1
	unload || rc=1
	end_frag
	bars_result $rc
}

# An emptied block with a page that another CPU holds a reference on goes
# back page by page, the last put freeing the held one: no bad page, no
# page lost.  compactor_hold_tail_ref has the compactor hold that reference
# on every block it frees.
t_compactor_frees_block_with_held_page() {
	rc=0
	free0=$(free_kib)
	start_frag -p random -S 7 || return 1
	load compactor_pass_blocks=8 compactor_interval_ms=100 || { kill $fpid; return 1; }
	echo Y >"$khh/compactor_hold_tail_ref" || rc=1
	dmesg_mark
	echo Y >"$par/compactor_enabled" || rc=1
	poll 60 cstat_ge blocks_emptied 16 || diag "fewer than 16 blocks emptied in 60 s"
	echo N >"$par/compactor_enabled" || rc=1
	emptied=$(cstat blocks_emptied)
	piecewise=$(cstat blocks_freed_piecewise)
	diag "$emptied blocks emptied, $piecewise given back page by page"
	[ "$emptied" -gt 0 ] && [ "$piecewise" = "$emptied" ] || rc=1
	if dmesg_new | grep -E 'Bad page|BUG:|WARNING:|still in use' >/tmp/bad; then
		diag "dmesg:"
		head -n 8 /tmp/bad | while IFS= read -r l; do diag "  $l"; done
		rc=1
	fi
	unload || rc=1
	end_frag
	memory_back "$free0" || rc=1
	return $rc
}

# A node compaction can outlast the freezer's timeout: before the system
# sleeps, the pass is cut short and the kthread freezes.  Suspend to idle
# with pm_test=freezer freezes every task, waits 5 s and thaws them.
t_compactor_node_pass_lets_system_freeze() {
	pm=/sys/power
	[ -w "$pm/pm_test" ] && grep -qw freeze "$pm/state" ||
		{ skip "no /sys/power/pm_test or no suspend to idle in this kernel"; return; }
	rc=0
	start_frag -p random -S 7 || return 1
	load compactor_strategy=node compactor_wmark_low=0 compactor_wmark_high=1 || { kill $fpid; return 1; }
	timeout0=$(cat "$pm/pm_freeze_timeout")
	echo freezer >"$pm/pm_test" || rc=1
	echo 200 >"$pm/pm_freeze_timeout" || rc=1
	echo Y >"$par/compactor_enabled" || rc=1
	poll 10 grep -qx "state compacting" "$khh/compactor_status" || diag "the compactor did not start a pass"
	sleep 0.2
	dmesg_mark
	t0=$(cut -d' ' -f1 /proc/uptime)
	timed-write "$pm/state" freeze >/dev/null 2>/tmp/werr || { diag "suspend to idle: $(cat /tmp/werr)"; rc=1; }
	ms=$(ms_since "$t0")
	echo none >"$pm/pm_test"
	echo "$timeout0" >"$pm/pm_freeze_timeout"
	diag "suspend to idle (pm_test=freezer, 5 s) took $ms ms; compactor passes $(cstat passes), state $(cstat state)"
	if dmesg_new | grep -iE 'freezing.*(fail|abort)|refusing to freeze|not stopped' >/tmp/bad; then
		head -n 6 /tmp/bad | while IFS= read -r l; do diag "  $l"; done
		rc=1
	fi
	echo N >"$par/compactor_enabled" || rc=1
	unload || rc=1
	end_frag
	return $rc
}
