#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# How compaction scales with memory: the same modes, repeated, in guests
# of each size given (demo.sh --mem SIZE --repeat N, OUT/<size>/), then
# scripts/scaling.py OUT: time to target against memory, per mode.
set -euo pipefail

. "$(dirname "$0")/common.sh"
python=${PYTHON:-python3}

sizes="2G 4G 8G 16G"
repeat=3
out=
# The modes the scaling table compares; their timeout is the compaction's,
# which grows with memory.
default_modes="manual proactive-kernel-100 proactive-module-targeted proactive-module-node"

usage() {
	cat >&2 <<EOT
usage: $0 [options] [DEMO OPTIONS] [EXPERIMENT OPTIONS] [MODE...]
Run MODE... (default: $default_modes) in guests of each size, each size a
repeated run of demo.sh, then scripts/scaling.py: OUT/<size>/ and
OUT/scaling.{md,json,png,svg}.  The options below come first; the rest goes
to scripts/host/demo.sh as it is (its --help), after --mem, --repeat and --out,
which are this script's to give.

  -s, --sizes "S..."    guest memory sizes, QEMU syntax (default: "$sizes")
  -r, --repeat N        runs of every mode at each size, 2..99 (default: $repeat)
  -o, --out DIR         (default: results/<date>-scaling)
EOT
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-s|--sizes) [ $# -ge 2 ] || usage; sizes=$2; shift 2 ;;
	-r|--repeat)
		[ $# -ge 2 ] || usage
		# The table gives medians and intervals: at least 2 runs.
		[[ $2 =~ ^([2-9]|[1-9][0-9])$ ]] || { echo "scaling: bad --repeat '$2' (2..99)" >&2; usage; }
		repeat=$2
		shift 2 ;;
	-o|--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	-h|--help) usage ;;
	*) break ;;
	esac
done
[ -n "$sizes" ] || usage
for s in $sizes; do
	[[ $s =~ ^[1-9][0-9]*[MG]$ ]] || { echo "scaling: bad size '$s' (e.g. 4G)" >&2; usage; }
done
out=${out:-results/$(date +%Y%m%d-%H%M%S)-scaling}

rc=0
for s in $sizes; do
	echo "scaling: $s, $repeat runs"
	"$(dirname "$0")/demo.sh" --mem "$s" --repeat "$repeat" --out "$out/$s" "$@" \
		--default-modes "$default_modes" || { rc=$?; [ "$rc" != 2 ] || exit 2; rc=1; }
done
"$python" "$(dirname "$0")/../scaling.py" "$out" || rc=1
exit $rc
