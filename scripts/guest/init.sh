#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the throwaway guest that scripts/host/vm-run.sh boots: mount what the
# job needs, run it, send /results back over the second serial port as a
# tar stream, print the job's exit status where the runner looks for it,
# and leave: a reboot, which QEMU's -no-reboot turns into its exit, works
# on every kernel, with or without ACPI (the self-built guests have none).
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /results
/bin/busybox --install -s
export PATH=/khugehog/bin:/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs -o size=64m tmpfs /tmp

echo "khugehog-guest: $(uname -r) up after $(cut -d' ' -f1 /proc/uptime) s"
# No job measures time on a jiffies clock: a kernel falls back to it when
# its TSC can be calibrated neither against the PIT (which a loaded host
# makes fail under TCG) nor against the HPET.  The runner boots again.
cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
echo "khugehog-guest: clocksource $cs"
case $cs in
*jiffies*)
	echo "khugehog-guest: no timer to measure with: $(dmesg | grep -m 1 'Marking TSC unstable')"
	echo "KHUGEHOG-EXIT 75"
	reboot -f
	;;
esac
cd /khugehog || exit 1
# The job file holds one command line written by vm-run.sh.
sh -c "$(cat /khugehog/job)" < /dev/null
rc=$?

tar -cf /tmp/results.tar -C /results .
set -- $(md5sum /tmp/results.tar)
echo "KHUGEHOG-RESULTS $1 $(wc -c < /tmp/results.tar)"
stty -F /dev/ttyS1 raw -echo
# The last close of the tty waits until the UART has sent everything.
cat /tmp/results.tar > /dev/ttyS1
echo "KHUGEHOG-EXIT $rc"
reboot -f
