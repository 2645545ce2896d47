#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# sparse new enough for every supported kernel.  7.x's Makefile turns C=
# off unless sparse parses __typeof_unqual__ (scripts/checker-valid.sh),
# which bookworm's 0.6.4 does not: this builds sid's sparse from its Debian
# source package, once per version, into the cache (a few seconds).
#
# usage: sparse-build.sh
# Prints the path of the sparse binary.
set -euo pipefail

. "$(dirname "$0")/common.sh"

[ $# -eq 0 ] || { echo "usage: $0" >&2; exit 2; }
suite=sid

version=$("$host/debian-apt.sh" --src "$suite" apt-cache showsrc sparse 2>/dev/null |
	awk '/^Version:/ { print $2; exit }' || true)
[ -n "$version" ] || die "no sparse source in $suite"
dest=$cache/sparse/$version
if [ ! -x "$dest/sparse" ]; then
	echo "sparse-build: building sparse $version from $suite's source" >&2
	rm -rf "$dest"
	mkdir -p "$dest/src"
	(cd "$dest/src" && "$host/debian-apt.sh" --src "$suite" apt-get source \
		--download-only -q "sparse=$version" >&2) || die "cannot download sparse's source"
	# Debian's patches make it build with sid's gcc-16 and link with
	# --as-needed; upstream's Makefile builds it with the gcc here.
	dpkg-source --skip-patches -x "$dest"/src/sparse_*.dsc "$dest/src/tree" >"$dest/build.log" 2>&1 &&
		make -C "$dest/src/tree" -j"$(nproc)" sparse >>"$dest/build.log" 2>&1 ||
		{ tail -n 20 "$dest/build.log" >&2; die "the build failed"; }
	cp "$dest/src/tree/sparse" "$dest/sparse"
	rm -rf "$dest/src"
fi
echo "$dest/sparse"
