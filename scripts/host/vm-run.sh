#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The runner: boot one throwaway QEMU guest on a stock Debian kernel (or
# your own bzImage), with a busybox initramfs holding frag, khugehog.ko and
# the scripts, run one job in it and bring its /results back.  The guest's
# exit status is ours; a guest panic or a timeout is an error that prints
# the kernel's first report and the console's tail.  Several kernels, a
# fresh guest per mode, merging and analysis are the driver's (demo.sh).
set -euo pipefail

. "$(dirname "$0")/common.sh"
. "$host/guest-console.sh"

kernel=$("$host/kernels.sh" list | sed -n 1p)
kdir=
mem=2G
cpus=2
accel=auto
init_on_alloc=0
extra_cmdline=
machine=
kcflags=
out=
timeout=900
boot_timeout=120
quiet=0

usage() {
	cat >&2 <<EOF
usage: $0 [options] JOB [ARGS...]
Boot a throwaway QEMU guest and run JOB in it, in one boot: "experiment"
(scripts/guest/experiment.sh: every mode given, one after another, as on a
real box) or "tests" (scripts/tests/guest/vm-tests.sh), with ARGS passed on.

  -k, --kernel K        a kernel of scripts/host/kernels.sh: $(echo $("$host/kernels.sh" list) | sed 's/ /, /g')
                        (default: $kernel), src:SOURCE[,...] (built from source), or
                        the path of a bzImage with --kdir
      --kdir DIR        the build tree of that bzImage (to build the module)
  -m, --mem SIZE        guest memory, QEMU syntax (default: $mem)
  -c, --cpus N          guest CPUs (default: $cpus)
      --accel A         auto (default: KVM when it boots a guest, else TCG), kvm or tcg
      --init-on-alloc N 0 (default) or 1: the kernel's init_on_alloc (zeroing on allocation)
      --append STR      more kernel command line (given twice: both)
      --machine PROPS   QEMU -machine properties (pit=off: a guest with no PIT,
                        whose TSC must be calibrated against the HPET)
      --kcflags FLAGS   build the module with these compiler flags too (a test's
                        -DKHUGEHOG_INJECT_... bug)
  -o, --out DIR         where the guest's /results go (default: results/<date>-<kernel>)
  -t, --timeout SEC     kill the guest after SEC seconds (default: $timeout)
      --boot-timeout SEC
                        a guest whose init has not spoken SEC seconds after QEMU
                        started is hung: killed and booted once more (default: $boot_timeout)
  -q, --quiet           do not echo the guest console (it is kept as OUT/console.log)
EOF
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-k|--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
	--kdir) [ $# -ge 2 ] || usage; kdir=$2; shift 2 ;;
	-m|--mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
	-c|--cpus) [ $# -ge 2 ] || usage; cpus=$2; shift 2 ;;
	--accel) [ $# -ge 2 ] || usage; accel=$2; shift 2 ;;
	--init-on-alloc) [ $# -ge 2 ] || usage; init_on_alloc=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || usage; extra_cmdline="$extra_cmdline $2"; shift 2 ;;
	--kcflags) [ $# -ge 2 ] || usage; kcflags=$2; shift 2 ;;
	--machine) [ $# -ge 2 ] || usage; machine=$2; shift 2 ;;
	-o|--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	-t|--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--boot-timeout) [ $# -ge 2 ] || usage; boot_timeout=$2; shift 2 ;;
	-q|--quiet) quiet=1; shift ;;
	-h|--help) usage ;;
	-*) echo "vm-run: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
job=$1
shift
case $job in
experiment) script=guest/experiment.sh ;;
tests) script=tests/guest/vm-tests.sh ;;
*) echo "vm-run: unknown job '$job'" >&2; usage ;;
esac
case $accel in auto|kvm|tcg) ;; *) echo "vm-run: --accel auto|kvm|tcg" >&2; usage ;; esac
case $init_on_alloc in 0|1) ;; *) echo "vm-run: --init-on-alloc 0|1" >&2; usage ;; esac
[[ $cpus =~ ^[1-9][0-9]*$ ]] || { echo "vm-run: bad --cpus '$cpus'" >&2; usage; }
[[ $timeout =~ ^[1-9][0-9]*$ ]] || { echo "vm-run: bad --timeout '$timeout'" >&2; usage; }
[[ $boot_timeout =~ ^[1-9][0-9]*$ ]] || { echo "vm-run: bad --boot-timeout '$boot_timeout'" >&2; usage; }
[[ $mem =~ ^[1-9][0-9]*[MG]?$ ]] || { echo "vm-run: bad --mem '$mem' (e.g. 2G, 4096M)" >&2; usage; }

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: run scripts/host/deps.sh"
[ -x /bin/busybox ] && has_applet /bin/busybox tar ||
	die "a static busybox is needed at /bin/busybox: run scripts/host/deps.sh (busybox-static)"

# --- the kernel and its build tree
if [ -f "$kernel" ]; then
	[ -n "$kdir" ] || die "--kdir: the build tree of $kernel is needed to build the module"
	kernel=$kernel:$kdir
fi
resolved=$("$host/kernels.sh" resolve "$kernel") || die "no kernel '$kernel'"
eval "$resolved"

# One work directory per run, so runs for the same kernel can overlap.
mkdir -p "$cache/vm"
work=$(mktemp -d "$cache/vm/$krel.XXXXXX")
trap 'rm -rf "$work"' EXIT

ko=$("$host/module-build.sh" --kcflags "$kcflags" "$kdir") || die "module build failed"
make -s -C "$top/userspace" static >&2

# --- the initramfs: busybox, our binaries and the scripts, laid out as in
# the repository; the job line is added per boot
root=$work/initramfs
mkdir -p "$root/bin" "$root/khugehog/bin" "$root/khugehog/scripts/tests"
cp /bin/busybox "$root/bin/busybox"
cp "$top/scripts/guest/init.sh" "$root/init"
cp "$ko" "$root/khugehog/"
cp "$top/userspace/frag-static" "$root/khugehog/bin/frag"
cp "$top/userspace/timed-write-static" "$root/khugehog/bin/timed-write"
cp -r "$top/scripts/lib.sh" "$top/scripts/guest" "$root/khugehog/scripts/"
cp -r "$top/scripts/tests/ktap.sh" "$top/scripts/tests/guest" "$root/khugehog/scripts/tests/"
chmod +x "$root/init"

# TCG keeps the vCPUs' TSCs in step, but the kernel's sync check fails and
# falls back to HPET, whose emulated reads cost ~230 ns each: trust the TSC.
# A kernel that locks up, stalls or oopses panics, so the run ends at once
# with the stacks on the console, not at the timeout: soft lockup, RCU
# stall, a task blocked for 120 s, an oops (which otherwise kills only
# the task and can leave the guest hung).  loglevel=5 shows those stacks,
# which are printed at the default level that quiet hides.
cmdline="console=ttyS0 panic=-1 quiet loglevel=5 tsc=reliable init_on_alloc=$init_on_alloc"
cmdline+=" oops=panic softlockup_panic=1 softlockup_all_cpu_backtrace=1 hung_task_panic=1"
cmdline+=" sysctl.kernel.panic_on_rcu_stall=1 khugehog.guest=1"
[ "$instrumented" = 0 ] || cmdline+=" khugehog.instrumented=1"
cmdline+=" $append $extra_cmdline"

# qemu ACCEL LOG TAR SECONDS INITRD [QEMU ARGS...]
qemu() {
	local acc=$1 log=$2 tar=$3 secs=$4 initrd=$5 cpu=max
	shift 5
	[ "$acc" = kvm ] && cpu=host
	# -mem-prealloc: the host faults in all guest RAM before boot, so
	# first touches of guest memory do not add host page faults to the
	# latencies measured.
	timeout -k 5 "$secs" qemu-system-x86_64 -nodefaults -display none -no-reboot \
		-accel "$acc" -cpu "$cpu" -m "$mem" -smp "$cpus" -mem-prealloc \
		${machine:+-machine "$machine"} \
		-kernel "$bzimage" -initrd "$initrd" -append "$cmdline" \
		-chardev stdio,id=con,signal=off -serial chardev:con \
		-serial "file:$tar" "$@" </dev/null >"$log" 2>&1
}

# KVM can exist and still not boot a guest (nested setups): try it once.
probe_kvm() {
	# The probe's answer is kept for the host: it boots QEMU's default
	# machine, not the one --machine asked for this run.
	local stamp=$cache/accel-$(uname -r) p=$work/probe machine=
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo tcg; return; }
	if [ ! -f "$stamp" ]; then
		mkdir -p "$p/root/bin"
		cp /bin/busybox "$p/root/bin/"
		printf '#!/bin/busybox sh\n/bin/busybox echo KHUGEHOG-EXIT 0\n/bin/busybox reboot -f\n' >"$p/root/init"
		chmod +x "$p/root/init"
		(cd "$p/root" && find . | cpio -o -H newc --quiet) >"$p/initramfs.cpio"
		if qemu kvm "$p/console.log" /dev/null 30 "$p/initramfs.cpio" &&
			grep -q KHUGEHOG-EXIT "$p/console.log"; then
			echo kvm >"$stamp"
		else
			echo tcg >"$stamp"
		fi
	fi
	cat "$stamp"
}

if [ "$accel" = auto ]; then
	accel=$(probe_kvm)
fi

[ -n "$out" ] || out=$top/results/$(date +%Y%m%d-%H%M%S)-$label
mkdir -p "$out"

# The kernel's first report (lockup, stall, oops, panic) whole, as it
# says the most, then the console's last lines.
tail_console() {
	local first
	# none found is no error (pipefail and set -e would end the run here)
	first=$(grep -n -m 1 -E 'BUG:|Oops|WARNING:|Kernel panic|rcu: INFO|INFO: task|general protection' \
		"$log" | cut -d: -f1) || true
	if [ -n "$first" ]; then
		echo "--- the guest kernel's first report, line $first of $log:" >&2
		sed -n "${first},$((first + 149))p" "$log" >&2
	fi
	echo "--- last 40 lines of the guest console ($log):" >&2
	tail -n 40 "$log" >&2
}

# The job's command line in the guest, its arguments quoted.
{
	printf 'sh /khugehog/scripts/%s' "$script"
	for a in "$@"; do printf " '%s'" "${a//\'/\'\\\'\'}"; done
	echo
} >"$root/khugehog/job"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

# boot_watch LOG QPID FLAG: a kernel can hang while booting and print
# nothing more (6.1 under TCG, once, 0.94 s into a boot with
# clocksource=jiffies), and the job's timeout is long.  If our init has
# not spoken boot_timeout seconds after QEMU started, FLAG is made and
# QEMU is stopped: QPID's child is timeout(1), which passes the signal on.
boot_watch() {
	local log=$1 qpid=$2 flag=$3 end=$((SECONDS + boot_timeout))

	while kill -0 "$qpid" 2>/dev/null; do
		init_spoke "$log" && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			: >"$flag"
			pkill -TERM -P "$qpid"
			return 0
		fi
		sleep 1
	done
}

echo "vm-run: booting $krel ($accel, $mem, $cpus CPUs): $script $*" >&2
crashed=0
hung=0
for attempt in 1 2 3 4; do
	log=$work/console.log
	start=$(date +%s)
	rm -f "$work/hung"
	set +e
	qemu "$accel" "$log" "$work/results.tar" "$timeout" "$work/initramfs.cpio" &
	qpid=$!
	boot_watch "$log" "$qpid" "$work/hung" &
	wpid=$!
	if [ "$quiet" = 0 ]; then
		# Echo the console as it comes, so a long TCG run shows progress.
		tail -n +1 -F "$log" 2>/dev/null | sed -u 's/\r$//' &
		tpid=$!
	fi
	wait "$qpid"
	qrc=$?
	wait "$wpid"
	if [ "$quiet" = 0 ]; then
		sleep 0.2
		kill "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
	fi
	set -e
	elapsed=$(($(date +%s) - start))

	# The console is kept with the results, also when the run failed.
	tr -d '\r' <"$log" >"$out/console.log"
	log=$out/console.log

	if [ -f "$work/hung" ]; then
		if [ "$hung" = 0 ] && [ "$attempt" -lt 4 ]; then
			hung=1
			mv "$log" "$out/console-hung.log"
			echo "vm-run: the guest's init had not spoken after ${boot_timeout}s:" \
				"killed, booting once more (that console: console-hung.log)" >&2
			continue
		fi
		tail_console
		die "the guest hung while booting: its init had not spoken after ${boot_timeout}s (boot $attempt)"
	fi

	# A kernel that crashes before our init runs is the boot's failure,
	# not the job's; one that runs an int3 in its own text is the
	# emulator's (guest-console.sh).  One more boot, said aloud, that
	# console kept.
	if [ "$crashed" = 0 ] && [ "$attempt" -lt 4 ] && crash_not_the_jobs "$log"; then
		crashed=1
		mv "$log" "$out/console-crash.log"
		echo "vm-run: the guest kernel crashed outside the job (while booting," \
			"or an int3 in kernel text): booting once more" \
			"(that console: console-crash.log)" >&2
		continue
	fi
	# Under TCG on a loaded host the TSC's calibration against the PIT
	# can fail; a kernel that cannot calibrate against the HPET then
	# keeps time in jiffies (4 ms), as a self-built 7.3 without ACPI did
	# in 3 boots of 10 while another guest ran.  Up to three more boots.
	if [ "$attempt" -lt 4 ] && coarse_clock "$log"; then
		mv "$log" "$out/console-coarse-clock-$attempt.log"
		echo "vm-run: the guest has no fine clock ($(sed -n 's/^khugehog-guest: clocksource \([^ ,]*\).*/\1/p' \
			"$out/console-coarse-clock-$attempt.log")): booting once more" >&2
		continue
	fi
	break
done
coarse_clock "$log" && die "the guest had no fine clock in 4 boots (TSC calibration failed; is the host loaded?): $log"

[ "$qrc" -ne 124 ] && [ "$qrc" -ne 137 ] ||
	{ tail_console; die "guest timed out after ${timeout}s"; }
rc=$(sed -n 's/^KHUGEHOG-EXIT \([0-9]*\)$/\1/p' "$log" | tail -n 1)
if [ -z "$rc" ]; then
	tail_console
	grep -q 'Kernel panic' "$log" && die "guest kernel panicked"
	die "guest ended without an exit status (qemu exit $qrc)"
fi
read -r sum size < <(sed -n 's/^KHUGEHOG-RESULTS //p' "$log" | tail -n 1)
[ "$(head -c "$size" "$work/results.tar" | md5sum | cut -d' ' -f1)" = "$sum" ] ||
	die "results from the guest are corrupt (md5 mismatch)"
head -c "$size" "$work/results.tar" | tar -x -C "$out"
if [ "$job" = experiment ] && [ -f "$out/setup.txt" ]; then
	{
		echo "runner=vm"
		echo "kernel_name=$label"
		echo "kernel_instrumented=$instrumented"
		echo "accel=$accel"
		echo "vm_mem=$mem"
		echo "vm_cpus=$cpus"
		echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
	} >>"$out/setup.txt"
fi
echo "vm-run: guest exited $rc after ${elapsed}s; results in ${out#"$top"/}" >&2
exit "$rc"
