#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, as KTAP: checkpatch (from the newest linux-source Debian
# has) on kmod/, the module built with W=1 and sparse (sid's sparse,
# which 7.x needs) against every kernel given, the userspace built with
# -Werror, and modinfo documenting every module parameter.
#
# usage: static-checks.sh KERNEL...   (kernels.sh names)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../host/common.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
. "$here/../ktap.sh"

[ $# -gt 0 ] || { echo "usage: $0 KERNEL..." >&2; exit 2; }

# checked PATTERN CMD...: CMD succeeds and prints nothing matching PATTERN
# (none if empty); its output is the test's diagnostics on failure
checked() {
	local pattern=$1 rc

	shift
	"$@" >"$log" 2>&1
	rc=$?
	[ -n "$pattern" ] && grep -qE "$pattern" "$log" && rc=1
	[ "$rc" = 0 ] || head -n 40 "$log" >>"$ktap_diag_file"
	return $rc
}

# trace.h has TRACE_EVENT()'s layout, which --strict flags in the kernel's
# own trace headers too: it gets checkpatch's default level.
t_checkpatch_kmod() {
	# shellcheck disable=SC2046 # one word per file
	checked '' perl "$checkpatch" --no-tree --strict --quiet --show-types \
		-f $(ls "$top"/kmod/*.[ch] | grep -v '/trace\.h$') &&
		checked '' perl "$checkpatch" --no-tree --quiet --show-types -f "$top/kmod/trace.h"
}

t_userspace_werror() {
	make -s -C "$top/userspace" clean >/dev/null
	checked '' make -s -C "$top/userspace" all static WERROR=1
}

# One build with W=1 and sparse (C=1 checks every file the build compiles,
# which a fresh copy makes all of them): any compiler, sparse or modpost
# complaint is a failure, not just errors.
t_w1_sparse_build() {
	local build

	eval "$("$host/kernels.sh" resolve "$1")"
	build=$cache/check-build/$krel
	[ -x "$sparse" ] || { diag "no sparse: scripts/host/sparse-build.sh failed"; return 1; }
	rm -rf "$build"
	mkdir -p "$build"
	cp -r "$top/Kbuild" "$top/kmod" "$build/"
	checked 'warning:|error:|WARNING:|not available or not up to date' \
		make -j"$(nproc)" -C "$kdir" M="$build" W=1 C=1 CHECK="$sparse" modules &&
		modinfo_ko=$build/kmod/khugehog.ko
}

# Every parameter documented: modinfo is the module's manual.
t_modinfo_documents_every_parameter() {
	local params documented

	[ -n "$modinfo_ko" ] || { diag "no module was built"; return 1; }
	# module_param_cb() records no parmtype: take the kernel_param symbols.
	params=$(nm "$modinfo_ko" | awk '$3 ~ /^__param_/ && $3 !~ /^__param_str_/ { sub(/^__param_/, "", $3); print $3 }' | sort)
	documented=$(modinfo -F parm "$modinfo_ko" | awk -F: '$2 != "" { print $1 }' | sort)
	diag "parameters: $(echo $params); documented: $(echo $documented)"
	[ -n "$params" ] && [ "$params" = "$documented" ]
}

# checkpatch of the newest kernel source Debian has: its newest kernel's.
eval "$("$host/kernels.sh" source "$("$host/kernels.sh" list --released | tail -n 1)")"
checkpatch=$("$host/linux-source-fetch.sh" --tree "$suite" "$package" "$version")/scripts/checkpatch.pl
sparse=$("$host/sparse-build.sh")
modinfo_ko=
tests="checkpatch_kmod userspace_werror"
for k in "$@"; do
	tests="$tests w1_sparse_build:$k"
done
ktap_run "static checks" static "$tests modinfo_documents_every_parameter"
