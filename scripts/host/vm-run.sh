#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a stock Debian kernel (or your own bzImage) in a throwaway QEMU guest
# with a busybox initramfs holding frag, khugehog.ko and the scripts, run one
# job in it and bring its /results back.  The guest's exit status is ours;
# a guest panic or a timeout is an error that prints the console's tail.
# Given several kernels, it runs itself once per kernel, into OUT/<label>/,
# and compares them (scripts/analyze.py on each, then scripts/compare.py).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KHUGEHOG_CACHE:-$top/.cache}
python=${PYTHON:-python3}

kernel=debian-6.1
kdir=
# One entry per kernel given (-k), in order: image or debian-*, build tree, label.
kernels=() kdirs=() labels=()
pending_kdir=
baseline=
common=()	# the options each kernel's own run gets when there are several
mem=2G
cpus=2
accel=auto
init_on_alloc=0
extra_cmdline=
out=
timeout=900
quiet=0
one_boot=0
keep_console=	# boot_job also copies the console here, for a run that dies

usage() {
	cat >&2 <<EOF
usage: $0 [options] JOB [ARGS...]
Boot a throwaway QEMU guest and run JOB in it: "experiment" (scripts/experiment.sh)
or "tests" (scripts/vm-tests.sh), with ARGS passed on.

  -k, --kernel K        debian-6.1 (default), debian-6.12, or the path of a bzImage;
                        PATH:DIR gives a bzImage with its build tree.  Repeat -k, or give
                        a comma-separated list, to run the job on several kernels in turn
      --kdir DIR        the build tree of the bzImage given just before (to build the module)
      --label NAME      several kernels: the name of the kernel given just before, for its
                        directory and the comparison (default: debian-6.1, debian-6.12, or
                        a bzImage's kernel release)
      --baseline NAME   several kernels: the one the comparison divides by (default: the first)
  -m, --mem SIZE        guest memory, QEMU syntax (default: $mem)
  -c, --cpus N          guest CPUs (default: $cpus)
      --accel A         auto (default: KVM when it boots a guest, else TCG), kvm or tcg
      --init-on-alloc N 0 (default) or 1: the kernel's init_on_alloc (zeroing on allocation)
      --append STR      more kernel command line
  -o, --out DIR         where the guest's /results go (default: results/<date>-<kernel>)
  -t, --timeout SEC     kill the guest after SEC seconds (default: $timeout)
  -q, --quiet           do not echo the guest console (it is still saved)
      --one-boot        experiment: run all modes in one guest, one after another, as
                        on a real box (default: a fresh guest for each mode)

With several kernels, each one's results go to OUT/<label>/ (default OUT:
results/<date>-<label>+<label>...).  "experiment" then runs scripts/analyze.py on
each and scripts/compare.py on OUT: OUT/compare.md, compare.json, compare-p90.png.
A kernel that fails does not stop the others; the exit status is then 1, and
the comparison covers the kernels that succeeded.
EOF
	exit 2
}

die() {
	echo "vm-run: $*" >&2
	exit 1
}

# add_kernel K: one kernel, debian-*, a bzImage path or PATH:KDIR.  A
# --kdir given before any kernel goes with the first bzImage.
add_kernel() {
	local k=$1 d=
	[ -n "$k" ] || { echo "vm-run: empty name in --kernel" >&2; usage; }
	case $k in
	debian-*) ;;
	*)
		if [ ! -e "$k" ] && [[ $k == *:* ]]; then
			d=${k##*:} k=${k%:*}
		fi
		if [ -z "$d" ] && [ -n "$pending_kdir" ]; then
			d=$pending_kdir pending_kdir=
		fi
		;;
	esac
	kernels+=("$k") kdirs+=("$d") labels+=("")
}

while [ $# -gt 0 ]; do
	case $1 in
	-k|--kernel)
		[ $# -ge 2 ] || usage
		if [ -e "$2" ]; then
			add_kernel "$2"
		else
			# A trailing empty item is dropped by read: "a,b," is an error.
			[[ $2 != *, ]] || { echo "vm-run: empty name in --kernel '$2'" >&2; usage; }
			IFS=, read -r -a items <<<"$2"
			[ ${#items[@]} -gt 0 ] || { echo "vm-run: empty --kernel" >&2; usage; }
			for k in "${items[@]}"; do add_kernel "$k"; done
		fi
		shift 2 ;;
	--kdir)
		[ $# -ge 2 ] || usage
		if [ ${#kernels[@]} -gt 0 ]; then
			kdirs[${#kernels[@]} - 1]=$2
		else
			pending_kdir=$2
		fi
		shift 2 ;;
	--label)
		[ $# -ge 2 ] || usage
		[ ${#kernels[@]} -gt 0 ] || { echo "vm-run: --label names the --kernel given before it" >&2; usage; }
		labels[${#kernels[@]} - 1]=$2
		shift 2 ;;
	--baseline) [ $# -ge 2 ] || usage; baseline=$2; shift 2 ;;
	-m|--mem) [ $# -ge 2 ] || usage; mem=$2; common+=(--mem "$2"); shift 2 ;;
	-c|--cpus) [ $# -ge 2 ] || usage; cpus=$2; common+=(--cpus "$2"); shift 2 ;;
	--accel) [ $# -ge 2 ] || usage; accel=$2; common+=(--accel "$2"); shift 2 ;;
	--init-on-alloc) [ $# -ge 2 ] || usage; init_on_alloc=$2; common+=(--init-on-alloc "$2"); shift 2 ;;
	--append) [ $# -ge 2 ] || usage; extra_cmdline=$2; common+=(--append "$2"); shift 2 ;;
	-o|--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	-t|--timeout) [ $# -ge 2 ] || usage; timeout=$2; common+=(--timeout "$2"); shift 2 ;;
	-q|--quiet) quiet=1; common+=(--quiet); shift ;;
	--one-boot) one_boot=1; common+=(--one-boot); shift ;;
	-h|--help) usage ;;
	-*) echo "vm-run: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
job=$1
shift
case $job in
experiment|tests) ;;
*) echo "vm-run: unknown job '$job'" >&2; usage ;;
esac
case $accel in auto|kvm|tcg) ;; *) echo "vm-run: --accel auto|kvm|tcg" >&2; usage ;; esac
case $init_on_alloc in 0|1) ;; *) echo "vm-run: --init-on-alloc 0|1" >&2; usage ;; esac
[[ $cpus =~ ^[1-9][0-9]*$ ]] || { echo "vm-run: bad --cpus '$cpus'" >&2; usage; }
[[ $timeout =~ ^[1-9][0-9]*$ ]] || { echo "vm-run: bad --timeout '$timeout'" >&2; usage; }
[[ $mem =~ ^[1-9][0-9]*[MG]?$ ]] || { echo "vm-run: bad --mem '$mem' (e.g. 2G, 4096M)" >&2; usage; }

[ ${#kernels[@]} -gt 0 ] || add_kernel "$kernel"
if [ ${#kernels[@]} -eq 1 ]; then
	# One kernel: the layout of old, OUT/<mode>/; --label and --baseline
	# have nothing to name.
	kernel=${kernels[0]} kdir=${kdirs[0]}
	[ -n "$kdir" ] || kdir=$pending_kdir
fi

# A fresh guest for each mode (below): the modes the words given stand for,
# as experiment.sh expands them (proactive-kernel: one per --proactiveness
# value, ...); a bad mode or option is its usage error, before any build.
if [ "$job" = experiment ] && [ "$one_boot" = 0 ]; then
	opts=() modes=()
	for a in "$@"; do
		case $a in
		ondemand|manual|proactive-kernel*|proactive-module*) modes+=("$a") ;;
		*) opts+=("$a") ;;
		esac
	done
	[ ${#modes[@]} -gt 0 ] || die "experiment: no mode given"
	list=$(sh "$top/scripts/experiment.sh" "${opts[@]}" --list-modes "${modes[@]}") || exit $?
	mapfile -t modes <<<"$list"
fi

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: run scripts/deps.sh"
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx tar ||
	die "a static busybox is needed at /bin/busybox: run scripts/deps.sh (busybox-static)"

# --- several kernels: this script once per kernel, into OUT/<label>/
# (the layout of a one-kernel run), then the comparison.
if [ ${#kernels[@]} -gt 1 ]; then
	for i in "${!kernels[@]}"; do
		k=${kernels[i]} d=${kdirs[i]}
		case $k in
		debian-*)
			# Fetch them all now: a bad name fails before any guest boots.
			"$top/scripts/kernel-fetch.sh" --cache "$cache" "$k" >/dev/null ||
				die "cannot fetch kernel $k"
			[ -n "${labels[i]}" ] || labels[i]=$k
			;;
		*)
			[ -f "$k" ] || die "no kernel image '$k'"
			[ -n "$d" ] && [ -f "$d/Makefile" ] ||
				die "--kdir: the build tree of $k is needed to build the module (-k $k --kdir DIR, or -k $k:DIR)"
			if [ -z "${labels[i]}" ]; then
				labels[i]=$(make -s -C "$d" kernelrelease 2>/dev/null) ||
					die "cannot read the kernel release from $d"
			fi
			;;
		esac
		[[ ${labels[i]} =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] ||
			{ echo "vm-run: bad label '${labels[i]}' (letters, digits, . _ + -)" >&2; usage; }
		for ((j = 0; j < i; j++)); do
			[ "${labels[j]}" != "${labels[i]}" ] ||
				{ echo "vm-run: two kernels labelled '${labels[i]}': name one with --label" >&2; usage; }
		done
	done
	if [ -n "$baseline" ]; then
		printf '%s\n' "${labels[@]}" | grep -qxF -- "$baseline" ||
			{ echo "vm-run: --baseline '$baseline' is none of: ${labels[*]}" >&2; usage; }
	fi
	if [ -z "$out" ]; then
		out=$top/results/$(date +%Y%m%d-%H%M%S)-$(IFS=+; echo "${labels[*]}")
	fi
	mkdir -p "$out"
	rc=0 ok=() failed=()
	for i in "${!kernels[@]}"; do
		label=${labels[i]}
		args=(--kernel "${kernels[i]}")
		[ -z "${kdirs[i]}" ] || args+=(--kdir "${kdirs[i]}")
		echo "vm-run: === kernel $((i + 1)) of ${#kernels[@]}: $label ===" >&2
		rm -rf "${out:?}/$label"
		krc=0
		"$BASH" "$top/scripts/vm-run.sh" "${common[@]}" "${args[@]}" --out "$out/$label" \
			"$job" "$@" || krc=$?
		if [ "$krc" = 0 ] && [ "$job" = experiment ]; then
			"$python" "$top/scripts/analyze.py" "$out/$label" || krc=$?
		fi
		if [ "$krc" = 0 ]; then
			ok+=("$label")
		else
			failed+=("$label (exit $krc)")
			rc=1
		fi
	done
	if [ "$job" = experiment ] && [ ${#ok[@]} -gt 0 ]; then
		# Every kernel, in -k order: those without a summary.json are
		# listed as such.
		"$python" "$top/scripts/compare.py" --allow-missing ${baseline:+--baseline "$baseline"} \
			"$out" "${labels[@]}" || rc=1
	fi
	echo "vm-run: kernels succeeded: ${ok[*]:-none}" >&2
	[ ${#failed[@]} -eq 0 ] || echo "vm-run: kernels FAILED: ${failed[*]}" >&2
	echo "vm-run: results in ${out#"$top"/}" >&2
	exit "$rc"
fi

# --- the kernel and its build tree
case $kernel in
debian-*)
	eval "$("$top/scripts/kernel-fetch.sh" --cache "$cache" "$kernel")"
	kname=$kernel
	;;
*)
	[ -f "$kernel" ] || die "no kernel image '$kernel'"
	[ -n "$kdir" ] && [ -f "$kdir/Makefile" ] || die "--kdir: the build tree of $kernel is needed to build the module"
	bzimage=$(readlink -f "$kernel")
	kdir=$(readlink -f "$kdir")
	kname=$(basename "$kernel")
	krel=$(make -s -C "$kdir" kernelrelease 2>/dev/null) || die "cannot read the kernel release from $kdir"
	;;
esac

# One work directory per run, so runs for the same kernel can overlap.
mkdir -p "$cache/vm"
work=$(mktemp -d "$cache/vm/$krel.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- khugehog.ko for that kernel, built in a copy (6.1 cannot put
# external-module objects elsewhere), and the static userspace tools
echo "vm-run: building khugehog.ko for $krel" >&2
build=$work/build
mkdir -p "$build"
cp -r "$top/Kbuild" "$top/kmod" "$build/"
make -s -C "$kdir" M="$build" modules >"$work/build.log" 2>&1 ||
	{ cat "$work/build.log" >&2; die "module build failed"; }
make -s -C "$top/userspace" static >&2

# --- the initramfs: busybox, our binaries and scripts; the job line is
# added per boot
root=$work/initramfs
mkdir -p "$root/bin" "$root/khugehog/bin" "$root/khugehog/scripts"
cp /bin/busybox "$root/bin/busybox"
cp "$top/scripts/guest-init.sh" "$root/init"
cp "$build/kmod/khugehog.ko" "$root/khugehog/"
cp "$top/userspace/frag-static" "$root/khugehog/bin/frag"
cp "$top/userspace/timed-write-static" "$root/khugehog/bin/timed-write"
cp "$top"/scripts/experiment.sh "$top"/scripts/vm-tests.sh "$top"/scripts/ktap.sh "$root/khugehog/scripts/"
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
cmdline+=" sysctl.kernel.panic_on_rcu_stall=1 khugehog.guest=1 $extra_cmdline"

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
		-kernel "$bzimage" -initrd "$initrd" -append "$cmdline" \
		-chardev stdio,id=con,signal=off -serial chardev:con \
		-serial "file:$tar" "$@" </dev/null >"$log" 2>&1
}

# KVM can exist and still not boot a guest (nested setups): try it once.
probe_kvm() {
	local stamp=$cache/accel-$(uname -r) p=$work/probe
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo tcg; return; }
	if [ ! -f "$stamp" ]; then
		mkdir -p "$p/root/bin"
		cp /bin/busybox "$p/root/bin/"
		printf '#!/bin/busybox sh\n/bin/busybox echo KHUGEHOG-EXIT 0\n/bin/busybox poweroff -f\n' >"$p/root/init"
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

[ -n "$out" ] || out=$top/results/$(date +%Y%m%d-%H%M%S)-$kname
mkdir -p "$out"

# boot_job OUTDIR SCRIPT ARGS...: boot a guest running SCRIPT ARGS, unpack
# its /results into OUTDIR, and return the guest's exit status.  A panic,
# a timeout or a guest that ends without a status is fatal.
boot_job() {
	local dest=$1 script=$2 a qrc qpid tpid sum size rc start attempt
	shift 2
	{
		printf 'sh /khugehog/scripts/%s' "$script"
		for a in "$@"; do printf " '%s'" "${a//\'/\'\\\'\'}"; done
		echo
	} >"$root/khugehog/job"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

	echo "vm-run: booting $krel ($accel, $mem, $cpus CPUs): $script $*" >&2
	for attempt in 1 2; do
	log=$work/console.log
	start=$(date +%s)
	set +e
	if [ "$quiet" = 1 ]; then
		qemu "$accel" "$log" "$work/results.tar" "$timeout" "$work/initramfs.cpio"
		qrc=$?
	else
		qemu "$accel" "$log" "$work/results.tar" "$timeout" "$work/initramfs.cpio" &
		qpid=$!
		# Echo the console as it comes, so a long TCG run shows progress.
		tail -n +1 -F "$log" 2>/dev/null | sed -u 's/\r$//' &
		tpid=$!
		wait "$qpid"
		qrc=$?
		sleep 0.2
		kill "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
	fi
	set -e
	elapsed=$(($(date +%s) - start))

	# The console is kept with the results, also when the run failed.
	mkdir -p "$dest"
	tr -d '\r' <"$log" >"$dest/console.log"
	log=$dest/console.log
	[ -z "$keep_console" ] || { mkdir -p "$keep_console" && cp "$log" "$keep_console/"; }

	# A kernel that crashes before our init runs is the boot's failure,
	# not the job's: under TCG, 6.12 has oopsed (int3 in text patching,
	# sched_clock_cpu) at 1.7 s into a boot, once in about 100.  One
	# more boot, said aloud, its console kept.
	if [ "$attempt" = 1 ] && grep -q 'Kernel panic' "$log" &&
		! grep -q '^khugehog-guest: ' "$log"; then
		mv "$log" "$dest/console-boot-crash.log"
		[ -z "$keep_console" ] || cp "$dest/console-boot-crash.log" "$keep_console/"
		echo "vm-run: the guest kernel crashed while booting, before the job started:" \
			"booting once more (that console: console-boot-crash.log)" >&2
		continue
	fi
	break
	done

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
	head -c "$size" "$work/results.tar" | tar -x -C "$dest"
	echo "vm-run: guest exited $rc after ${elapsed}s" >&2
	return "$rc"
}

# The kernel's first report (lockup, stall, oops, panic) whole, as it
# says the most, then the console's last lines.
tail_console() {
	local first
	first=$(grep -n -m 1 -E 'BUG:|Oops|WARNING:|Kernel panic|rcu: INFO|INFO: task|general protection' \
		"$log" | cut -d: -f1)
	if [ -n "$first" ]; then
		echo "--- the guest kernel's first report, line $first of $log:" >&2
		sed -n "${first},$((first + 149))p" "$log" >&2
	fi
	echo "--- last 40 lines of the guest console ($log):" >&2
	tail -n 40 "$log" >&2
}

vm_setup() {
	echo "runner=vm"
	echo "accel=$accel"
	echo "vm_mem=$mem"
	echo "vm_cpus=$cpus"
	echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
}

rc=0
if [ "$job" = tests ]; then
	boot_job "$out" vm-tests.sh "$@" || rc=$?
elif [ "$one_boot" = 1 ]; then
	boot_job "$out" experiment.sh "$@" || rc=$?
	[ -f "$out/setup.txt" ] && vm_setup >>"$out/setup.txt"
else
	# A fresh guest for each mode: a mode leaves pageblocks claimed by
	# other migratetypes, which changes how far the next one's compaction
	# gets.  The modes' results are merged into one run directory.
	# opts and modes (expanded) are set above.
	for m in "${modes[@]}"; do
		rm -rf "${out:?}/$m"
		# A guest that dies (panic, timeout) leaves its console here.
		keep_console=$out/$m
		if ! boot_job "$work/out-$m" experiment.sh "${opts[@]}" "$m"; then
			rc=1
			# Keep what the failed guest left, console first, in the
			# layout of a mode that succeeded.
			mkdir -p "$out/$m"
			[ -d "$work/out-$m/$m" ] && cp -r "$work/out-$m/$m/." "$out/$m/"
			rm -rf "${work:?}/out-$m/$m"
			cp -r "$work/out-$m/." "$out/$m/"
			echo "vm-run: mode $m failed; its console: ${out#"$top"/}/$m/console.log" >&2
			tail -n 15 "$out/$m/console.log" >&2
			break
		fi
		rm -rf "${out:?}/$m"
		mv "$work/out-$m/$m" "$out/$m"
		mv "$work/out-$m/console.log" "$out/$m/console.log"
		mv "$work/out-$m/dmesg.txt" "$out/$m/dmesg.txt"
		[ ! -f "$work/out-$m/console-boot-crash.log" ] ||
			mv "$work/out-$m/console-boot-crash.log" "$out/$m/"
		if [ "$m" = "${modes[0]}" ]; then
			sed "s/^modes=.*/modes=${modes[*]}/" "$work/out-$m/setup.txt" >"$out/setup.txt"
			{ vm_setup; echo "boots=one per mode"; } >>"$out/setup.txt"
		fi
	done
fi
echo "vm-run: results in ${out#"$top"/}" >&2
exit "$rc"
