#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's linux-source packages, without installing them.
#
# usage: linux-source-fetch.sh
#          the few files the project uses from linux-source-6.12: the
#          kselftest harness for the unit tests and checkpatch.pl with its
#          data files, never copied into the repo.
#          Prints: ksft_dir=PATH  checkpatch=PATH
#        linux-source-fetch.sh --tree SUITE PACKAGE [VERSION]
#          a whole source tree, unpacked once per package version, read-only
#          by convention: builds go elsewhere (O=) or into hard-linked
#          copies.  SUITE as kernel-fetch.sh's.  Prints the tree's path.
set -euo pipefail

. "$(dirname "$0")/common.sh"

usage() {
	echo "usage: $0 [--tree SUITE PACKAGE [VERSION]]" >&2
	exit 2
}

# download SUITE PACKAGE[=VERSION] DIR: the .deb into DIR
download() {
	mkdir -p "$3"
	echo "linux-source-fetch: downloading $2" >&2
	if [ "$1" = host ]; then
		(cd "$3" && apt-get ${apt_sandbox[@]+"${apt_sandbox[@]}"} download -q "$2" >&2)
	else
		(cd "$3" && "$host/debian-apt.sh" "$1" apt-get download -q "$2" >&2)
	fi || die "cannot download $2 from $1; for bookworm, run 'apt-get update'"
}

# tarball DEB PACKAGE: the source tarball inside the .deb, on stdout
tarball() {
	dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/src/$2.tar.xz"
}

if [ "${1:-}" = --tree ]; then
	[ $# -ge 3 ] && [ $# -le 4 ] || usage
	suite=$2 pkg=$3 version=${4:-}
	[[ $pkg =~ ^linux-source-[0-9]+\.[0-9]+$ ]] || die "not a linux-source package: '$pkg'"
	dest=$cache/linux-source/$pkg${version:+_$version}
	if [ ! -f "$dest/.done" ]; then
		rm -rf "$dest"
		download "$suite" "$pkg${version:+=$version}" "$dest"
		start=$(date +%s)
		tarball "$dest"/"$pkg"_*.deb "$pkg" | tar -xJ -C "$dest"
		rm -f "$dest"/*.deb
		echo "linux-source-fetch: $pkg unpacked in $(($(date +%s) - start)) s" >&2
		touch "$dest/.done"
	fi
	echo "$dest/$pkg"
	exit 0
fi
[ $# -eq 0 ] || usage

pkg=linux-source-6.12
dest=$cache/$pkg
src=$dest/$pkg
files=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
)

if [ ! -f "$dest/.done" ]; then
	rm -rf "$dest"
	download host "$pkg" "$dest"
	# Stream the 150 MB tarball out of the .deb; keep only what we use.
	tarball "$dest"/"$pkg"_*.deb "$pkg" | tar -xJ -C "$dest" "${files[@]/#/$pkg/}"
	rm -f "$dest"/*.deb
	touch "$dest/.done"
fi
echo "ksft_dir=$src/tools/testing/selftests"
echo "checkpatch=$src/scripts/checkpatch.pl"
