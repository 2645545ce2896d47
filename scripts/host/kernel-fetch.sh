#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch a stock Debian kernel (image + headers) with `apt-get download` and
# unpack it under the cache with dpkg-deb -x: nothing is installed, the
# host's /boot and /lib/modules are never touched.
#
# usage: kernel-fetch.sh [--cache DIR] NAME
#   NAME: debian-6.1 (bookworm's default kernel) or debian-6.12
# Prints on stdout:  krel=RELEASE  bzimage=PATH  kdir=PATH
set -euo pipefail

cache=${KHUGEHOG_CACHE:-$(cd "$(dirname "$0")/../.." && pwd)/.cache}

usage() {
	echo "usage: $0 [--cache DIR] debian-6.1|debian-6.12" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "kernel-fetch: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage

case $1 in
debian-6.1) meta=linux-image-amd64 ;;
debian-6.12) meta=linux-image-6.12-amd64 ;;
*) echo "kernel-fetch: unknown kernel '$1' (debian-6.1, debian-6.12)" >&2; exit 2 ;;
esac

# The meta package names the current ABI, e.g. linux-image-6.1.0-56-amd64.
resolve() {
	apt-cache depends "$meta" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
image=$(resolve)
if [ -z "$image" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -q >&2
	image=$(resolve)
fi
if [ -z "$image" ]; then
	echo "kernel-fetch: apt knows no $meta; run 'apt-get update' (Debian 12 sources)" >&2
	exit 1
fi
krel=${image#linux-image-}
dest=$cache/kernels/$krel
root=$dest/root
kdir=$root/usr/src/linux-headers-$krel
bzimage=$root/boot/vmlinuz-$krel

if [ ! -f "$dest/.done" ]; then
	# headers-<krel> depends on headers-<abi>-common and linux-kbuild-<ver>.
	pkgs="$image linux-headers-$krel"
	pkgs="$pkgs $(apt-cache depends "linux-headers-$krel" |
		awk '/Depends: linux-(headers|kbuild)-/ { print $2 }' | sort -u | tr '\n' ' ')"
	echo "kernel-fetch: downloading $pkgs" >&2
	rm -rf "$dest"
	mkdir -p "$dest/debs" "$root"
	chmod a+rwx "$dest/debs"	# apt-get download drops to the _apt user
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	(cd "$dest/debs" && apt-get download -q $pkgs >&2)
	for deb in "$dest"/debs/*.deb; do
		case ${deb##*/} in
		# The guest loads no module but ours: take the kernel only.
		linux-image-*) dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./boot ;;
		*) dpkg-deb -x "$deb" "$root" ;;
		esac
	done
	rm -rf "$dest/debs"
	# The headers' Makefile includes the -common tree by absolute path.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	touch "$dest/.done"
fi
[ -f "$bzimage" ] && [ -f "$kdir/Makefile" ] || {
	echo "kernel-fetch: $dest is incomplete; remove it and retry" >&2
	exit 1
}
echo "krel=$krel"
echo "bzimage=$bzimage"
echo "kdir=$kdir"
