#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The driver: the experiment on one or several kernels, each mode in a
# fresh guest of its own (vm-run.sh, the runner), the modes' results merged
# into one run directory per kernel, analyzed (analyze.py) and, for several
# kernels, compared (compare.py).  make demo calls it.
set -euo pipefail

. "$(dirname "$0")/common.sh"
. "$top/scripts/lib.sh"
python=${PYTHON:-python3}

# One entry per kernel given (-k), in order: a kernels.sh name or spec (or
# an image), its build tree, its label.
kernels=() kdirs=() labels=()
pending_kdir=
baseline=
runner=()	# the options every guest gets
out=
repeat=1
one_boot=0
analyze=1

usage() {
	cat >&2 <<EOF
usage: $0 [options] [EXPERIMENT OPTIONS] MODE...
Run the experiment (scripts/guest/experiment.sh --help: its modes and options)
in throwaway QEMU guests, a fresh one for each mode, on each kernel given.

  -k, --kernel K        a kernel of scripts/host/kernels.sh: $(echo $("$host/kernels.sh" list) | sed 's/ /, /g')
                        (default: $("$host/kernels.sh" list | sed -n 1p)); src:SOURCE[,patch=FILE][,config=FRAG][,label=NAME],
                        built from source (scripts/host/kernel-build.sh); or the path of a
                        bzImage, PATH:DIR with its build tree.  Repeat -k, or give a
                        comma-separated list, to run on several kernels in turn
      --kdir DIR        the build tree of the bzImage given just before (to build the module)
      --label NAME      several kernels: the name of the kernel given just before, for its
                        directory and the comparison (default: its name, a src: kernel's
                        label=, or the kernel release)
      --baseline NAME   several kernels: the one the comparison divides by (default: the first)
  -o, --out DIR         the run directory (default: results/<date>-<label>[+<label>...])
  -r, --repeat N        run everything N times (1..99), each mode in a fresh guest each
                        time, the kernels taking turns: OUT[/<label>]/run-1/ ... run-N/, each
                        analyzed, and pooled (medians, intervals; scripts/analyze.py); the
                        comparison of kernels then gives verdicts
      --one-boot        all modes in one guest, one after another, as on a real box
      --no-analysis     leave the results unanalyzed
  -m, --mem SIZE, -c, --cpus N, --accel A, --init-on-alloc N, --append STR,
  -t, --timeout SEC, -q, --quiet
                        for each guest: scripts/host/vm-run.sh --help

One kernel: OUT/<mode>/.  Several: OUT/<label>/<mode>/ each, analyzed, and
OUT/compare.md, compare.json, compare-p90.png.  A kernel that fails does not
stop the others; the exit status is then 1, and the comparison covers the
kernels that succeeded.  With --repeat, a kernel that fails a run gets no
more repeats and no analysis; its finished runs stay in OUT.
EOF
	exit 2
}

# add_kernel K: one kernel, a name, a src: spec, a bzImage path or
# PATH:KDIR.  A --kdir given before any kernel goes with the first bzImage.
add_kernel() {
	local k=$1 d=
	[ -n "$k" ] || { echo "demo: empty name in --kernel" >&2; usage; }
	if [[ $k != src:* ]] && { [[ $k == */* ]] || [ -e "${k%:*}" ]; }; then
		if [ ! -e "$k" ] && [[ $k == *:* ]]; then
			d=${k##*:} k=${k%:*}
		fi
		if [ -z "$d" ] && [ -n "$pending_kdir" ]; then
			d=$pending_kdir pending_kdir=
		fi
	fi
	kernels+=("$k") kdirs+=("$d") labels+=("")
}

# once OPTION: an option with a value may be given once (lib.sh's given_twice)
once() {
	! given_twice "$1" || { echo "demo: $1 given twice" >&2; usage; }
}

while [ $# -gt 0 ]; do
	case $1 in
	-k|--kernel)
		[ $# -ge 2 ] || usage
		if [ -e "$2" ]; then
			add_kernel "$2"
		else
			# A trailing empty item is dropped by read: "a,b," is an error.
			[[ $2 != *, ]] || { echo "demo: empty name in --kernel '$2'" >&2; usage; }
			IFS=, read -r -a items <<<"$2"
			[ ${#items[@]} -gt 0 ] || { echo "demo: empty --kernel" >&2; usage; }
			# A src: kernel's own items (patch=...) stay with it.
			k=
			for it in "${items[@]}"; do
				[ -n "$it" ] || { echo "demo: empty name in --kernel '$2'" >&2; usage; }
				if [[ $it == *=* ]] && [[ $k == src:* ]]; then
					k+=,$it
					continue
				fi
				[ -z "$k" ] || add_kernel "$k"
				k=$it
			done
			add_kernel "$k"
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
		[ ${#kernels[@]} -gt 0 ] || { echo "demo: --label names the --kernel given before it" >&2; usage; }
		labels[${#kernels[@]} - 1]=$2
		shift 2 ;;
	--baseline) [ $# -ge 2 ] || usage; once --baseline; baseline=$2; shift 2 ;;
	-o|--out) [ $# -ge 2 ] || usage; once --out; out=$2; shift 2 ;;
	-r|--repeat)
		[ $# -ge 2 ] || usage
		once --repeat
		[[ $2 =~ ^[1-9][0-9]?$ ]] || { echo "demo: bad --repeat '$2' (1..99)" >&2; usage; }
		repeat=$2
		shift 2 ;;
	--one-boot) one_boot=1; shift ;;
	--no-analysis) analyze=0; shift ;;
	--append) [ $# -ge 2 ] || usage; runner+=("$1" "$2"); shift 2 ;;
	-m|--mem|-c|--cpus|--accel|--init-on-alloc|-t|--timeout)
		[ $# -ge 2 ] || usage
		case $1 in -m) once --mem ;; -c) once --cpus ;; -t) once --timeout ;; *) once "$1" ;; esac
		runner+=("$1" "$2")
		shift 2 ;;
	-q|--quiet) runner+=("$1"); shift ;;
	-h|--help) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
[ ${#kernels[@]} -gt 0 ] || add_kernel "$("$host/kernels.sh" list | sed -n 1p)"
[ -z "$pending_kdir" ] || kdirs[0]=${kdirs[0]:-$pending_kdir}

# kernel_tree I: fetch or build kernel I, and set its build tree and
# label; the runner is given the same kernel and resolves it from the cache.
kernel_tree() {
	local i=$1 k=${kernels[$1]} resolved label= kdir=
	if [ -f "$k" ]; then
		[ -n "${kdirs[i]}" ] ||
			die "--kdir: the build tree of $k is needed to build the module (-k $k --kdir DIR, or -k $k:DIR)"
		k=$k:${kdirs[i]}
		kernels[i]=$k
	fi
	resolved=$("$host/kernels.sh" resolve "$k") || die "cannot get kernel $k"
	eval "$(echo "$resolved" | grep -E '^(label|kdir)=')"
	kdirs[i]=$kdir
	[ -n "${labels[i]}" ] || labels[i]=$label
}

# Every kernel fetched and named first: a bad one fails before any guest boots.
for i in "${!kernels[@]}"; do
	kernel_tree "$i"
	[[ ${labels[i]} =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] ||
		{ echo "demo: bad label '${labels[i]}' (letters, digits, . _ + -)" >&2; usage; }
	for ((j = 0; j < i; j++)); do
		[ "${labels[j]}" != "${labels[i]}" ] ||
			{ echo "demo: two kernels labelled '${labels[i]}': name one with --label" >&2; usage; }
	done
done
if [ -n "$baseline" ]; then
	printf '%s\n' "${labels[@]}" | grep -qxF -- "$baseline" ||
		{ echo "demo: --baseline '$baseline' is none of: ${labels[*]}" >&2; usage; }
fi
[ -n "$out" ] || out=$top/results/$(date +%Y%m%d-%H%M%S)-$(IFS=+; echo "${labels[*]}")
mkdir -p "$out"

# run_kernel I DIR ARGS...: the experiment on kernel I into DIR
run_kernel() {
	local i=$1 dir=$2 ko modes m work params first=1 rc=0
	local boot=("$host/vm-run.sh" ${runner[@]+"${runner[@]}"} --kernel "${kernels[$1]}")
	shift 2
	ko=$("$host/module-build.sh" "${kdirs[i]}") || die "module build failed"
	# The modes the words given stand for, as experiment.sh expands them; a
	# bad mode or option is its usage error, before any guest boots.
	modes=$(sh "$top/scripts/guest/experiment.sh" --module "$ko" "$@" --list-modes) || exit $?
	if [ "$one_boot" = 1 ]; then
		params=$(sh "$top/scripts/guest/experiment.sh" --module "$ko" "$@" --boot-params) || exit $?
		if [ -n "$params" ] && [ "$(echo "$modes" | wc -w)" -gt 1 ]; then
			echo "demo: --one-boot: a mode needs its own boot ($params): run it alone, or without --one-boot" >&2
			exit 2
		fi
		"${boot[@]}" ${params:+--append "$params"} --out "$dir" experiment "$@"
		return
	fi
	# A mode leaves pageblocks claimed by other migratetypes, which changes
	# how far the next one's compaction gets: a fresh guest for each.
	work=$(mktemp -d "$dir/.boot.XXXXXX")
	for m in $modes; do
		rm -rf "${dir:?}/$m" "$work/$m"
		# The kernel parameters the mode needs from boot (defrag-mode's).
		params=$(sh "$top/scripts/guest/experiment.sh" --module "$ko" "$@" --mode "$m" \
			--boot-params) || exit $?
		if ! "${boot[@]}" ${params:+--append "$params"} --out "$work/$m" experiment "$@" \
			--mode "$m"; then
			# What the failed guest left, console first, in the layout
			# of a mode that succeeded.
			mkdir -p "$dir/$m"
			[ -d "$work/$m/$m" ] && cp -r "$work/$m/$m/." "$dir/$m/"
			rm -rf "${work:?}/$m/$m"
			cp -r "$work/$m/." "$dir/$m/"
			echo "demo: mode $m failed; its console: ${dir#"$top"/}/$m/console.log" >&2
			tail -n 15 "$dir/$m/console.log" >&2
			rc=1
			break
		fi
		mv "$work/$m/$m" "$dir/$m"
		mv "$work/$m"/console*.log "$work/$m/dmesg.txt" "$dir/$m/"
		if [ "$first" = 1 ]; then
			mv "$work/$m/setup.txt" "$dir/setup.txt"
			echo "boots=one per mode" >>"$dir/setup.txt"
			first=0
		fi
	done
	rm -rf "$work"
	return $rc
}

# run_dir I R: where repeat R of kernel I goes
run_dir() {
	local d=$out
	[ ${#kernels[@]} -eq 1 ] || d=$out/${labels[$1]}
	[ "$repeat" = 1 ] || d=$d/run-$2
	echo "$d"
}

# Repeats interleave the kernels (A1 B1 A2 B2...): a drift of the host
# over the hours they take then falls on every kernel alike.  A kernel
# that fails one is run no more.
rc=0 kfailed=()
# Runs of an earlier call into the same directory would be pooled with these.
for i in "${!kernels[@]}"; do
	kfailed[i]=0
	if [ ${#kernels[@]} -eq 1 ]; then
		rm -rf "${out:?}"/run-[0-9]*
	else
		rm -rf "${out:?}/${labels[i]}"
		mkdir -p "$out/${labels[i]}"
	fi
done
for ((r = 1; r <= repeat; r++)); do
	for i in "${!kernels[@]}"; do
		[ "${kfailed[i]}" = 0 ] || continue
		if [ "$repeat" -gt 1 ]; then
			echo "demo: === ${labels[i]}, run $r of $repeat ===" >&2
		elif [ ${#kernels[@]} -gt 1 ]; then
			echo "demo: === kernel $((i + 1)) of ${#kernels[@]}: ${labels[i]} ===" >&2
		fi
		d=$(run_dir "$i" "$r")
		mkdir -p "$d"
		run_kernel "$i" "$d" "$@" || kfailed[i]=$?
	done
done

ok=() failed=()
for i in "${!kernels[@]}"; do
	krc=${kfailed[i]}
	d=$out
	[ ${#kernels[@]} -eq 1 ] || d=$out/${labels[i]}
	if [ "$krc" = 0 ] && [ "$analyze" = 1 ]; then
		"$python" "$top/scripts/analyze.py" "$d" || krc=$?
	fi
	if [ "$krc" = 0 ]; then
		ok+=("${labels[i]}")
	else
		failed+=("${labels[i]} (exit $krc)")
		rc=1
	fi
done
if [ ${#kernels[@]} -gt 1 ] && [ "$analyze" = 1 ] && [ ${#ok[@]} -gt 0 ]; then
	# Every kernel, in -k order: those without a summary.json are listed as such.
	"$python" "$top/scripts/compare.py" --allow-missing ${baseline:+--baseline "$baseline"} \
		"$out" "${labels[@]}" || rc=1
fi
if [ ${#kernels[@]} -gt 1 ]; then
	echo "demo: kernels succeeded: ${ok[*]:-none}" >&2
	[ ${#failed[@]} -eq 0 ] || echo "demo: kernels FAILED: ${failed[*]}" >&2
fi
echo "demo: results in ${out#"$top"/}" >&2
exit "$rc"
