# SPDX-License-Identifier: GPL-2.0
#
# What the host-side bash scripts share.  Source it.
#
#   top    the repository
#   cache  the per-user cache: Debian's packages, prepared and self-built
#          kernels, built modules, each under a name that says what it
#          holds, so that a fresh clone reuses them.  KHUGEHOG_CACHE moves it.
#   die    the script's name, the message, exit 1

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
host=$top/scripts/host
cache=${KHUGEHOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/khugehog}
export KHUGEHOG_CACHE=$cache

die() {
	echo "$(basename "$0" .sh): $*" >&2
	exit 1
}

# has_applet BUSYBOX APPLET: BUSYBOX has APPLET.  busybox --list writes
# each name with a write(2) of its own, so a reader that stops at the
# first match (grep -q) can kill it with SIGPIPE, which pipefail makes the
# check's failure: a run was lost so, "a static busybox is needed".
has_applet() {
	"$1" --list 2>/dev/null | grep -x -- "$2" >/dev/null
}

# `apt-get "${apt_sandbox[@]}" download`: as root, apt hands downloads to
# the _apt user, who cannot write into a cache under /root.
apt_sandbox=()
[ "$(id -u)" != 0 ] || apt_sandbox=(-o APT::Sandbox::User=root)

# kernel_release KDIR: the release modules built in KDIR are for, as their
# vermagic will say it (`make kernelrelease` recomputes it, which is not
# the packaged kernel's in a tree prepared from source)
kernel_release() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h" 2>/dev/null | grep .
}
