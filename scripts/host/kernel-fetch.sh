#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch a stock Debian kernel (image and headers) with `apt-get download`
# and unpack it under the cache with dpkg-deb -x: nothing is installed, the
# host's /boot and /lib/modules are never touched.  SUITE "host" is the
# host's own apt (bookworm); any other suite is read through debian-apt.sh.
# When the headers' kbuild tools cannot run here (7.x's need a newer glibc
# than bookworm's), the build tree comes from kbuild-prepare.sh instead.
#
# usage: kernel-fetch.sh SUITE META-PACKAGE
# Kernel names are kernels.sh's; it calls this.
# Prints on stdout:  krel=RELEASE  version=PACKAGE-VERSION  bzimage=PATH  kdir=PATH
set -euo pipefail

. "$(dirname "$0")/common.sh"

[ $# -eq 2 ] || { echo "usage: $0 SUITE META-PACKAGE" >&2; exit 2; }
suite=$1 meta=$2

apt() {
	local tool=$1

	shift
	if [ "$suite" = host ]; then
		"$tool" ${apt_sandbox[@]+"${apt_sandbox[@]}"} "$@"
	else
		"$host/debian-apt.sh" "$suite" "$tool" "$@"
	fi
}

# The meta package names the current ABI, e.g. linux-image-6.1.0-56-amd64.
resolve() {
	apt apt-cache depends "$meta" 2>/dev/null |
		awk '!i && /Depends: linux-image-[0-9]/ { i = $2 } END { if (i) print i }'
}
image=$(resolve)
if [ -z "$image" ] && [ "$suite" = host ] && [ "$(id -u)" = 0 ]; then
	apt-get update -q >&2
	image=$(resolve)
fi
[ -n "$image" ] || die "apt knows no $meta in $suite; run 'apt-get update' (Debian 12 sources)"
krel=${image#linux-image-}
dest=$cache/kernels/$krel
root=$dest/root
kdir=$root/usr/src/linux-headers-$krel

if [ ! -f "$dest/.done" ]; then
	# The image may be a shell around linux-binary-<krel> (7.x); the
	# headers depend on headers-<abi>-common and linux-kbuild-<ver>.
	pkgs="$image linux-headers-$krel"
	pkgs="$pkgs $(apt apt-cache depends "$image" "linux-headers-$krel" |
		awk '/Depends: linux-(binary|headers|kbuild)-/ { print $2 }' | sort -u | tr '\n' ' ')"
	echo "kernel-fetch: downloading $pkgs" >&2
	rm -rf "$dest"
	mkdir -p "$dest/debs" "$root"
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	(cd "$dest/debs" && apt apt-get download -q $pkgs >&2)
	for deb in "$dest"/debs/*.deb; do
		case ${deb##*/} in
		# The guest loads no module but ours: take the kernel only.
		linux-image-*|linux-binary-*)
			dpkg-deb --fsys-tarfile "$deb" |
				tar -x -C "$root" --wildcards './boot/vmlinuz-*' './usr/lib/modules/*/vmlinuz' \
				2>/dev/null || true
			;;
		*) dpkg-deb -x "$deb" "$root" ;;
		esac
	done
	rm -rf "$dest/debs"
	# The headers' Makefile includes the -common tree by absolute path.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	touch "$dest/.done"
fi

bzimage=$root/boot/vmlinuz-$krel
[ -f "$bzimage" ] || bzimage=$root/usr/lib/modules/$krel/vmlinuz
[ -f "$bzimage" ] && [ -f "$kdir/Makefile" ] || die "$dest is incomplete; remove it and retry"
if [ ! -s "$dest/version" ]; then
	apt apt-cache show --no-all-versions "$image" |
		awk '!v && /^Version:/ { v = $2 } END { print v }' >"$dest/version"
fi
version=$(cat "$dest/version")

# A packaged kbuild tool that cannot run here (modpost and objtool of
# 7.x need glibc 2.38): the module's build tree is prepared from the
# kernel's own source instead.
unrunnable=$(find -L "$kdir/scripts" "$kdir/tools" -type f -perm -u+x -exec ldd {} + 2>&1 |
	grep -m 1 -o "version [^ ]* not found" || true)
if [ -n "$unrunnable" ]; then
	[ -f "$dest/kbuild/.done" ] ||
		echo "kernel-fetch: $krel's kbuild tools do not run here ($unrunnable):" \
			"its build tree comes from its source" >&2
	kdir=$("$host/kbuild-prepare.sh" "$suite" "$krel" "$version" "$kdir") ||
		die "cannot prepare a build tree for $krel"
fi
echo "krel=$krel"
echo "version=$version"
echo "bzimage=$bzimage"
echo "kdir=$kdir"
