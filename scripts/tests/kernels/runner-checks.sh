#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest's clock, which every latency is read from, and what the guest
# runner (scripts/host/vm-run.sh) reads in a console.  KTAP.
#
# - console_verdicts: on the consoles kept in consoles/, the verdicts of
#   host/guest-console.sh: a panic before our init, or an int3 in kernel
#   text (an oops, or a vCPU an RCU stall found looping in exc_int3),
#   boots again; a stall in a module's code does not.  A jiffies clock is
#   seen.  Two consoles are real ones edited to make their case:
#   int3-oops-in-job is a 7.3 boot's int3 oops with our init's first line
#   put before it, rcu-stall-in-module the 6.1 stall with the looping
#   vCPU's stack replaced by one in the module's code.
# - jiffies_clock_refused: the runner refuses to measure with a jiffies
#   clock.  clocksource=jiffies forces it: the runner must boot again,
#   then give up saying why, and run no job.
# - selfbuilt_tsc_without_pit: a kernel built from source by the project
#   (kconfig/guest.config, the newest Debian source) calibrates its TSC
#   when the PIT cannot be used.  On a loaded TCG host the PIT calibration
#   fails; without the HPET to fall back on (no ACPI), the self-built 7.3
#   kept time in jiffies in 4 boots of 4 and failed CI.  A guest with no
#   PIT at all makes that failure certain.  Its ACPI loads QEMU's tables
#   (no "ACPI Error", which it printed without PCI) and the module loads
#   and unloads with a clean dmesg.
# - boot_hang_booted_again: a guest that hangs before the job starts
#   (6.1 once stopped printing 0.94 s into a boot with clocksource=jiffies,
#   and vm-run waited for its 900 s timeout) is killed when its init has
#   not spoken within --boot-timeout, booted once more, and then given up
#   on, saying why.  An initramfs init that sleeps (rdinit=) hangs it.
#
# usage: runner-checks.sh OUT [KERNEL]   (default: kernels.sh's first)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../host/common.sh"
. "$here/../ktap.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUT [KERNEL]" >&2; exit 2; }
out=$1
kernel=${2:-$("$host/kernels.sh" list | sed -n 1p)}
mkdir -p "$out" || exit 1

t_jiffies_clock_refused() {
	local rc

	rm -rf "${out:?}/jiffies"
	"$host/vm-run.sh" -q --kernel "$kernel" --append clocksource=jiffies \
		--out "$out/jiffies" tests module_load_unload >"$out/jiffies.log" 2>&1
	rc=$?
	diag "vm-run.sh exited $rc: $(tail -n 1 "$out/jiffies.log")"
	diag "$(grep -c 'booting once more' "$out/jiffies.log") boots more"
	[ "$rc" != 0 ] || { diag "a job ran on a jiffies clock"; return 1; }
	grep -q 'no fine clock in 4 boots' "$out/jiffies.log" || return 1
	! grep -q '^ok ' "$out/jiffies/console.log" || { diag "the job ran"; return 1; }
}

t_boot_hang_booted_again() {
	local rc t0 secs

	rm -rf "${out:?}/hang"
	t0=$SECONDS
	"$host/vm-run.sh" -q --kernel "$kernel" --boot-timeout 10 --timeout 120 \
		--append "rdinit=/bin/busybox -- sleep 1000" \
		--out "$out/hang" tests module_load_unload >"$out/hang.log" 2>&1
	rc=$?
	secs=$((SECONDS - t0))
	diag "vm-run.sh exited $rc after $secs s: $(tail -n 1 "$out/hang.log")"
	[ "$rc" != 0 ] || { diag "a hung guest passed"; return 1; }
	[ "$(grep -c 'booting once more' "$out/hang.log")" = 1 ] ||
		{ diag "expected one boot more"; return 1; }
	grep -q 'hung while booting' "$out/hang.log" || return 1
	[ -f "$out/hang/console-hung.log" ] || { diag "the hung boot's console was not kept"; return 1; }
	# two boots of 10 s each and QEMU's start, not the 120 s timeout
	[ "$secs" -lt 90 ] || { diag "it took the whole timeout"; return 1; }
}

t_console_verdicts() {
	local c=$here/consoles f want got rc=0

	# shellcheck source=../../host/guest-console.sh
	. "$host/guest-console.sh"
	for f in int3-oops-before-init:crash int3-oops-in-job:crash \
		rcu-stall-in-int3:crash rcu-stall-in-module:job \
		clock-jiffies:coarse rcu-stall-in-module:fine; do
		want=${f#*:}
		f=$c/${f%%:*}.log
		case $want in
		crash|job) if crash_not_the_jobs "$f"; then got=crash; else got=job; fi ;;
		coarse|fine) if coarse_clock "$f"; then got=coarse; else got=fine; fi ;;
		esac
		diag "$(basename "$f"): $got"
		[ "$got" = "$want" ] || { diag "  expected $want"; rc=1; }
	done
	return $rc
}

t_selfbuilt_tsc_without_pit() {
	local rc selfbuilt

	selfbuilt=src:$("$host/kernels.sh" list --released | tail -n 1)
	rm -rf "${out:?}/nopit"
	"$host/vm-run.sh" -q --kernel "$selfbuilt" --machine pit=off --timeout 180 \
		--out "$out/nopit" tests module_load_unload dmesg_clean >"$out/nopit.log" 2>&1
	rc=$?
	diag "$selfbuilt, no PIT: vm-run.sh exited $rc;" \
		"$(grep -h -m 1 '^khugehog-guest: clocksource' "$out"/nopit/console*.log)"
	[ "$rc" = 0 ] || { diag "$(tail -n 1 "$out/nopit.log")"; return 1; }
	! grep -q 'booting once more' "$out/nopit.log" || { diag "it needed more boots"; return 1; }
	# tsc-early until the calibration is refined against the HPET, a
	# second after the boot
	grep -qE '^khugehog-guest: clocksource tsc(-early)?$' "$out/nopit/console.log" || return 1
	! grep 'ACPI Error' "$out/nopit/console.log" >"$out/nopit-acpi.txt" ||
		{ diag "$(head -n 3 "$out/nopit-acpi.txt")"; return 1; }
}

ktap_run "the guest's clock, $kernel and a self-built kernel" runner \
	"console_verdicts jiffies_clock_refused boot_hang_booted_again selfbuilt_tsc_without_pit"
