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
# The ways compared; manual, the free-list reference (compact_memory
# first, then the demand), is run whatever the modes.
default_modes="ondemand proactive-kernel-100-concurrent defrag-mode
proactive-module-targeted-concurrent"
reference=manual

usage() {
	cat >&2 <<EOT
usage: $0 [options] [DEMO OPTIONS] [EXPERIMENT OPTIONS] [MODE...]
Run $reference and MODE... (default: $(echo $default_modes)) with
the module allocating COUNT hugepages at each RATE a second, each rate a
repeated run of demo.sh, then scripts/sustained.py: OUT/<rate>/ and
OUT/sustained.{md,json,png,svg}.  $reference's p50 is the free-list latency
the others are held to.  The options below come first; the rest goes to
scripts/host/demo.sh as it is (its --help), after --repeat and --out, and
before the experiment's --rate and --count, which are this script's to give.

  --rates "R..."        allocations a second (default: "$rates")
  --count N             allocations at each rate (default: $count)
  -r, --repeat N        runs of every mode at each rate, 2..99 (default: $repeat)
  -o, --out DIR         (default: results/<date>-sustained)
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
	-h|--help) usage ;;
	*) break ;;
	esac
done
[ -n "$rates" ] || usage
for r in $rates; do
	[[ $r =~ ^[1-9][0-9]{0,5}$ ]] || { echo "sustained: bad rate '$r' (1..999999)" >&2; usage; }
done
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "sustained: bad --count '$count'" >&2; usage; }
out=${out:-results/$(date +%Y%m%d-%H%M%S)-sustained}

rc=0
for r in $rates; do
	echo "sustained: $r a second, $repeat runs"
	"$(dirname "$0")/demo.sh" --repeat "$repeat" --out "$out/$r" "$@" \
		--default-modes "$(echo $default_modes)" --reference-mode "$reference" \
		--rate "$r" --count "$count" || { rc=$?; [ "$rc" != 2 ] || exit 2; rc=1; }
done
"$python" "$(dirname "$0")/../sustained.py" "$out" || rc=1
exit $rc
