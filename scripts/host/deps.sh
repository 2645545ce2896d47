#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, from Debian 12's archive, what building, booting the guest and
# testing need, and nothing when it is all there already.  Kernels,
# headers and linux-source are not installed: they are fetched into the
# cache by kernel-fetch.sh and linux-source-fetch.sh, newer suites' through
# debian-apt.sh.
set -euo pipefail

pkgs=(
	make gcc-12 libc6-dev kmod	# frag, the tests, and the module (Debian builds its kernels with gcc-12)
	libelf1 libssl3 zlib1g dwarves	# what the kernel's kbuild tools run on
	flex bison bc libelf-dev libssl-dev patch	# kernels built from source, and 7.x's kbuild tools
	sparse perl xz-utils		# C=1, checkpatch, and unpacking linux-source
	qemu-system-x86 busybox-static cpio	# the throwaway guest
	python3 python3-numpy python3-matplotlib python3-scipy	# the analysis; scipy: the verdicts' t distribution
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
