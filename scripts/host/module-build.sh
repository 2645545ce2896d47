#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build khugehog.ko against a kernel's build tree, once per content: the
# build is kept under the cache by a hash of the module's sources, the
# tree's place and its kernel release, so that every guest of a run, and
# every run after it, reuses it.  Built in a copy (6.1 cannot put an external module's
# objects elsewhere).
#
# usage: module-build.sh [--kcflags FLAGS] KDIR
#   FLAGS  more compiler flags (KCFLAGS): a test's -DKHUGEHOG_INJECT_... bug
# Prints the path of the built khugehog.ko.
set -euo pipefail

. "$(dirname "$0")/common.sh"

kcflags=
[ "${1:-}" = --kcflags ] && { [ $# -ge 2 ] || exit 2; kcflags=$2; shift 2; }
[ $# -eq 1 ] || { echo "usage: $0 [--kcflags FLAGS] KDIR" >&2; exit 2; }
kdir=$1
[ -f "$kdir/Makefile" ] || die "no kernel build tree at $kdir"
krel=$(kernel_release "$kdir") || die "cannot read the kernel release from $kdir"
hash=$(cd "$top" && { echo "$krel $(readlink -f "$kdir") $kcflags"; cat Kbuild kmod/Kbuild kmod/*.[ch]; } |
	sha256sum | cut -c1-16)
dest=$cache/modules/$hash
if [ ! -f "$dest/kmod/khugehog.ko" ]; then
	echo "module-build: building khugehog.ko against $kdir" >&2
	mkdir -p "$cache/modules"
	tmp=$(mktemp -d "$cache/modules/build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cp -r "$top/Kbuild" "$top/kmod" "$tmp/"
	make -s -C "$kdir" M="$tmp" KCFLAGS="$kcflags" modules >"$tmp/build.log" 2>&1 ||
		{ cat "$tmp/build.log" >&2; die "the build failed"; }
	# Another run may have built it meanwhile: then its build stays.
	mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
	trap - EXIT
fi
echo "$dest/kmod/khugehog.ko"
