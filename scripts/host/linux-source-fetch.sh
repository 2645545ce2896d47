#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Take the few files the project uses from Debian's linux-source package,
# without installing it: the kselftest harness for the unit tests and
# checkpatch.pl with its data files.  They are never copied into the repo.
#
# usage: linux-source-fetch.sh [--cache DIR]
# Prints: ksft_dir=PATH  checkpatch=PATH
set -euo pipefail

cache=${KHUGEHOG_CACHE:-$(cd "$(dirname "$0")/../.." && pwd)/.cache}
[ "${1:-}" = --cache ] && { cache=$2; shift 2; }
[ $# -eq 0 ] || { echo "usage: $0 [--cache DIR]" >&2; exit 2; }

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
	mkdir -p "$dest"
	chmod a+rwx "$dest"	# apt-get download drops to the _apt user
	echo "linux-source-fetch: downloading $pkg" >&2
	(cd "$dest" && apt-get download -q "$pkg" >&2) || {
		echo "linux-source-fetch: cannot download $pkg; run 'apt-get update' (Debian 12 sources)" >&2
		exit 1
	}
	# Stream the 150 MB tarball out of the .deb; keep only what we use.
	dpkg-deb --fsys-tarfile "$dest"/"$pkg"_*.deb |
		tar -xO "./usr/src/$pkg.tar.xz" |
		tar -xJ -C "$dest" "${files[@]/#/$pkg/}"
	rm -f "$dest"/*.deb
	touch "$dest/.done"
fi
echo "ksft_dir=$src/tools/testing/selftests"
echo "checkpatch=$src/scripts/checkpatch.pl"
