#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, as KTAP: checkpatch on kmod/, the module built with W=1
# and sparse (C=1) against every kernel given, the userspace built with
# -Werror, and modinfo documenting every module parameter.
#
# usage: static-checks.sh KERNEL...   (debian-6.1, debian-6.12)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KHUGEHOG_CACHE:-$top/.cache}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || { echo "usage: $0 KERNEL..." >&2; exit 2; }

n=0
failed=0
result() {	# result NAME RC: one KTAP line, the log as diagnostics on failure
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n $1"
	else
		failed=$((failed + 1))
		echo "not ok $n $1"
		sed 's/^/# /' "$log" | head -n 40
	fi
}

echo "KTAP version 1"
echo "# static checks"
echo "1..$((3 + 2 * ${#kernels[@]}))"

eval "$("$top/scripts/linux-source-fetch.sh" --cache "$cache")"
# trace.h has TRACE_EVENT()'s layout, which --strict flags in the kernel's
# own trace headers too: it gets checkpatch's default level.
{
	perl "$checkpatch" --no-tree --strict --quiet --show-types \
		-f $(ls "$top"/kmod/*.[ch] | grep -v '/trace\.h$') &&
		perl "$checkpatch" --no-tree --quiet --show-types -f "$top/kmod/trace.h"
} >"$log" 2>&1
result "checkpatch kmod/ (--strict but trace.h)" $?

make -s -C "$top/userspace" clean >/dev/null
make -s -C "$top/userspace" all static WERROR=1 >"$log" 2>&1
result "userspace builds with -Wall -Wextra -Werror" $?

modinfo_ko=
for k in "${kernels[@]}"; do
	eval "$("$top/scripts/kernel-fetch.sh" --cache "$cache" "$k")"
	build=$cache/check-build/$krel
	rm -rf "$build"
	mkdir -p "$build"
	cp -r "$top/Kbuild" "$top/kmod" "$build/"
	make -C "$kdir" M="$build" W=1 modules >"$log" 2>&1
	rc=$?
	# Any compiler or modpost complaint is a failure, not just errors.
	grep -E 'warning:|error:|WARNING:' "$log" >/dev/null && rc=1
	result "W=1 build on $krel" $rc
	modinfo_ko=$build/kmod/khugehog.ko

	make -C "$kdir" M="$build" C=2 modules >"$log" 2>&1
	rc=$?
	grep -E 'warning:|error:' "$log" >/dev/null && rc=1
	result "sparse (C=2) on $krel" $rc
done

# Every parameter documented: modinfo is the module's manual.
{
	# module_param_cb() records no parmtype: take the kernel_param symbols.
	params=$(nm "$modinfo_ko" | awk '$3 ~ /^__param_/ && $3 !~ /^__param_str_/ { sub(/^__param_/, "", $3); print $3 }' | sort)
	documented=$(modinfo -F parm "$modinfo_ko" | awk -F: '$2 != "" { print $1 }' | sort)
	echo "parameters: $(echo $params); documented: $(echo $documented)"
	[ -n "$params" ] && [ "$params" = "$documented" ]
} >"$log" 2>&1
result "modinfo documents every parameter" $?

echo "# static: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
