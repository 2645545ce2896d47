# SPDX-License-Identifier: GPL-2.0
#
# The module itself: loading and unloading, its debugfs files, malformed
# input, memory given back.  Sourced by vm-tests.sh.

t_module_load_unload() {
	load || return 1
	[ -d "$khh" ] || { diag "no $khh after insmod"; return 1; }
	unload || return 1
	[ ! -d "$khh" ] || { diag "$khh left after rmmod"; return 1; }
}

t_debugfs_files_readable() {
	load || return 1
	rc=0
	echo "start count=4" >"$khh/control" && wait_done || rc=1
	for f in control latencies summary status compactor_status compactor_timeline; do
		cat "$khh/$f" >/tmp/f 2>>"$ktap_diag_file" || { diag "cannot read $f"; rc=1; }
		[ -s /tmp/f ] || { diag "$f is empty"; rc=1; }
	done
	[ "$(wc -l <"$khh/latencies")" = 4 ] || { diag "latencies: $(wc -l <"$khh/latencies") lines, expected 4"; rc=1; }
	# Physical frame numbers are for root only, as in /proc/PID/pagemap.
	mode=$(stat -c %a "$khh/latencies")
	[ "$mode" = 400 ] || { diag "latencies has mode $mode, expected 400"; rc=1; }
	grep -q '^start ' "$khh/control" || { diag "control does not describe its commands"; rc=1; }
	unload || rc=1
	return $rc
}

t_control_rejects_malformed() {
	load || return 1
	rc=0
	for w in bogus "start order=99" "start order=-1" "start gfp=nope" "start count=abc" \
		"start count=-1" "start order=" "start foo=1" "start order" "release now" \
		"abort 1" "start count=99999999999999" "start max_failures=0" \
		"start max_failures=1025" "start samples=-1" "start samples=99999999999999" \
		"start $(printf '%0200d' 0)"; do
		write_expect "Invalid argument" "$w" || rc=1
	done
	status_is idle || { diag "a malformed write changed the state: $(head -n 1 "$khh/status")"; rc=1; }
	grep -qx "held_pages 0" "$khh/status" || { diag "pages held after malformed writes"; rc=1; }
	unload || rc=1
	return $rc
}

t_params_out_of_range_fail_insmod() {
	rc=0
	for p in order=11 order=4096 gfp=bogus count=99999999999 order=abc \
		max_failures=0 max_failures=5000 samples=99999999999999 compactor_strategy=bogus \
		compactor_interval_ms=1 compactor_wmark_low=50 compactor_order=0 \
		compactor_pass_blocks=0 compactor_enabled=maybe; do
		before=$(dmesg | wc -l)
		if insmod "$module" "$p" 2>/tmp/ierr; then
			diag "insmod $p succeeded"
			rmmod khugehog
			rc=1
			continue
		fi
		grep -q "Invalid argument" /tmp/ierr || { diag "insmod $p: $(cat /tmp/ierr)"; rc=1; }
		# busybox insmod tries finit_module(), then init_module(): one
		# line per attempt, the same line each time.
		dmesg | tail -n +$((before + 1)) | grep khugehog | sed 's/^\[[^]]*\] //' | sort -u >/tmp/msgs
		[ "$(wc -l </tmp/msgs)" = 1 ] || { diag "insmod $p: not one distinct dmesg line:"; rc=1; }
		sed 's/^/  /' /tmp/msgs | while IFS= read -r l; do diag "$l"; done
		[ ! -d "$khh" ] || { diag "module loaded after insmod $p failed"; rc=1; }
	done
	return $rc
}

t_release_returns_memory() {
	load || return 1
	rc=0
	free0=$(free_kib)
	echo "start count=200" >"$khh/control" && wait_done || rc=1
	free1=$(free_kib)
	got=$(kv allocated "$khh/summary")
	[ "$got" = 200 ] || { diag "allocated $got of 200 on free memory"; rc=1; }
	[ $((free0 - free1)) -ge $((200 * 2048 * 9 / 10)) ] ||
		{ diag "MemFree fell by $((free0 - free1)) kB for 200 2M pages"; rc=1; }
	write_expect "Device or resource busy" "start" || rc=1
	echo release >"$khh/control" || rc=1
	free2=$(free_kib)
	back_within_pct "$free2" "$free0" "$leak_pct" || { diag "MemFree $free0 kB before, $free2 kB after release"; rc=1; }
	diag "MemFree before $free0 kB, holding $free1 kB, released $free2 kB"
	unload || rc=1
	return $rc
}

t_load_unload_cycles() {
	rc=0
	free0=$(free_kib)
	i=0
	while [ $i -lt 20 ]; do
		load || return 1
		echo "start count=32" >"$khh/control" && wait_done || rc=1
		# Every other cycle unloads with the pages still held.
		[ $((i % 2)) = 0 ] && { echo release >"$khh/control" || rc=1; }
		unload || return 1
		i=$((i + 1))
	done
	memory_back "$free0" "20 cycles" || rc=1
	diag "MemFree before $free0 kB, after 20 cycles $free1 kB"
	return $rc
}

t_dmesg_clean() {
	if dmesg | grep -E "$ktap_bad_dmesg" >/tmp/bad; then
		diag "dmesg:"
		sed 's/^/  /' /tmp/bad | head -n 20 | while IFS= read -r l; do diag "$l"; done
		return 1
	fi
}

# The debug kernel's leak check, after every other test: kmemleak's
# objects from before the suite were cleared when it started
# (vm-tests.sh), so any unreferenced object now was allocated during it.
t_kmemleak_clean() {
	local k=/sys/kernel/debug/kmemleak

	[ -w "$k" ] || { skip "no kmemleak in this kernel (CONFIG_DEBUG_KMEMLEAK)"; return; }
	# An object is reported once it is older than 5 s and two scans
	# found no reference to it.
	sleep 6
	echo scan >"$k" && echo scan >"$k" || { diag "kmemleak scan failed"; return 1; }
	if grep -q 'unreferenced object' "$k"; then
		diag "kmemleak: $(grep -c 'unreferenced object' "$k") objects leaked; the first:"
		head -n 30 "$k" | while IFS= read -r l; do diag "  $l"; done
		return 1
	fi
}
