#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build khugehog.ko against a kernel's build tree, once per content: the
# build is kept under the cache by a hash of the module's sources, the
# tree's place and its kernel release, so that every guest of a run, and
# every run after it, reuses it.  Built in a copy (6.1 cannot put an external module's
# objects elsewhere).
#
# usage: module-build.sh [--cache DIR] KDIR
# Prints the path of the built khugehog.ko.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KHUGEHOG_CACHE:-$top/.cache}
[ "${1:-}" = --cache ] && { [ $# -ge 2 ] || exit 2; cache=$2; shift 2; }
[ $# -eq 1 ] || { echo "usage: $0 [--cache DIR] KDIR" >&2; exit 2; }
kdir=$1
[ -f "$kdir/Makefile" ] || { echo "module-build: no kernel build tree at $kdir" >&2; exit 1; }

krel=$(make -s -C "$kdir" kernelrelease 2>/dev/null) ||
	{ echo "module-build: cannot read the kernel release from $kdir" >&2; exit 1; }
hash=$(cd "$top" && { echo "$krel $(readlink -f "$kdir")"; cat Kbuild kmod/Kbuild kmod/*.[ch]; } |
	sha256sum | cut -c1-16)
dest=$cache/modules/$hash
if [ ! -f "$dest/kmod/khugehog.ko" ]; then
	echo "module-build: building khugehog.ko against $kdir" >&2
	mkdir -p "$cache/modules"
	tmp=$(mktemp -d "$cache/modules/build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cp -r "$top/Kbuild" "$top/kmod" "$tmp/"
	make -s -C "$kdir" M="$tmp" modules >"$tmp/build.log" 2>&1 ||
		{ cat "$tmp/build.log" >&2; echo "module-build: the build failed" >&2; exit 1; }
	# Another run may have built it meanwhile: then its build stays.
	mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
	trap - EXIT
fi
echo "$dest/kmod/khugehog.ko"
