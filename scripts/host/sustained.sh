#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Sustained demand: the same modes, repeated, with the module allocating
# at each rate given (demo.sh --rate R --count C --repeat N, OUT/<rate>/),
# then scripts/sustained.py OUT: the latency each way gives at each rate,
# and the highest rate it serves at free-list latency.
set -euo pipefail

. "$(dirname "$0")/common.sh"
python=${PYTHON:-python3}

rates="25 50 100 200"
count=400
repeat=3
out=
demo=()
experiment=()
modes=()
# manual: the free-list reference (compact_memory first, then the demand).
default_modes="manual ondemand proactive-kernel-100-concurrent defrag-mode
proactive-module-targeted-concurrent"

usage() {
	cat >&2 <<EOT
usage: $0 [options] [EXPERIMENT OPTIONS] [MODE...]
Run MODE... (default: $(echo $default_modes)) with the
module allocating COUNT hugepages at each RATE a second, each rate a
repeated run of demo.sh, then scripts/sustained.py: OUT/<rate>/ and
OUT/sustained.{md,json,png,svg}.  manual must be among the modes: its p50
is the free-list latency the others are held to.

  --rates "R..."        allocations a second (default: "$rates")
  --count N             allocations at each rate (default: $count)
  -r, --repeat N        runs of every mode at each rate, 2..99 (default: $repeat)
  -o, --out DIR         (default: results/<date>-sustained)
  -k, --kernel K, -m, --mem SIZE, -c, --cpus N, -t, --timeout SEC, -q, --quiet,
  and experiment options (--frag-args, --compactor-params, ...): passed to
                        scripts/host/demo.sh, which says more (--help)
EOT
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--rates) [ $# -ge 2 ] || usage; rates=$2; shift 2 ;;
	--count) [ $# -ge 2 ] || usage; count=$2; shift 2 ;;
	-r|--repeat)
		[ $# -ge 2 ] || usage
		[[ $2 =~ ^([2-9]|[1-9][0-9])$ ]] || { echo "sustained: bad --repeat '$2' (2..99)" >&2; usage; }
		repeat=$2
		shift 2 ;;
	-o|--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--rate|--no-analysis|--one-boot|-h|--help) usage ;;
	# demo.sh's own options go before the experiment's.
	-q|--quiet) demo+=("$1"); shift ;;
	-k|--kernel|--kdir|--label|-m|--mem|-c|--cpus|--accel|--init-on-alloc|--append|-t|--timeout)
		[ $# -ge 2 ] || usage; demo+=("$1" "$2"); shift 2 ;;
	-*) [ $# -ge 2 ] || usage; experiment+=("$1" "$2"); shift 2 ;;
	*) modes+=("$1"); shift ;;
	esac
done
[ -n "$rates" ] || usage
for r in $rates; do
	[[ $r =~ ^[1-9][0-9]{0,5}$ ]] || { echo "sustained: bad rate '$r' (1..999999)" >&2; usage; }
done
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "sustained: bad --count '$count'" >&2; usage; }
[ ${#modes[@]} -gt 0 ] || read -ra modes <<<"$(echo $default_modes)"
[[ " ${modes[*]} " == *" manual "* ]] || { echo "sustained: manual must be among the modes" >&2; usage; }
out=${out:-results/$(date +%Y%m%d-%H%M%S)-sustained}

rc=0
for r in $rates; do
	echo "sustained: $r a second, $repeat runs of ${modes[*]}"
	"$(dirname "$0")/demo.sh" --repeat "$repeat" --out "$out/$r" ${demo[@]+"${demo[@]}"} \
		--rate "$r" --count "$count" ${experiment[@]+"${experiment[@]}"} "${modes[@]}" || rc=1
done
"$python" "$(dirname "$0")/../sustained.py" "$out" || rc=1
exit $rc
