# SPDX-License-Identifier: GPL-2.0
#
# What a guest's console says about the boot, for vm-run.sh, which boots
# again when the fault was the emulator's or the clock's, not the job's.
# Source it.  Each function reads the console LOG and succeeds or fails.

# init_spoke LOG: our init (guest/init.sh) ran and said so
init_spoke() {
	grep -qs '^khugehog-guest: ' "$1"
}

# crash_not_the_jobs LOG: the guest panicked before our init ran, or on a
# vCPU that ran an int3 in the kernel's own text (not a module's).  TCG can
# still run a text_poke_bp() int3 on one vCPU after the patch completed
# (cross-modified code).  "Oops: int3": 6.12 early in a boot, once in about
# 100; 7.3 once 80 s into a test run, in __schedule, while a test enabled
# trace events.  An RCU stall: 6.1 once, one vCPU looping in exc_int3 at
# __schedule while the other waited in text_poke_bp_batch() for it, as a
# test enabled a module's trace event.
crash_not_the_jobs() {
	local rip

	grep -q 'Kernel panic' "$1" || return 1
	init_spoke "$1" || return 0
	# The RIP the int3 interrupted: the oops's, or the one a stall's
	# backtrace shows under asm_exc_int3.
	rip=$(awk '/Oops: int3|asm_exc_int3/ { o = 1; next }
		o && /RIP: / { sub(/.*RIP: /, ""); print; exit }' "$1")
	[ -n "$rip" ] && [ "${rip#*\[}" = "$rip" ]
}

# coarse_clock LOG: the guest's clock was jiffies, and init.sh ran no job
coarse_clock() {
	grep -q '^khugehog-guest: clocksource .*jiffies' "$1"
}
