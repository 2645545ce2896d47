#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernels khugehog runs on: their names, and how each one becomes a
# bootable image and a build tree for the module.  The other scripts and
# the Makefile take kernel names from here.
#
# usage: kernels.sh list [--released]   the names, one per line
#        kernels.sh source SOURCE       where a Debian source is: SOURCE is a
#                                       Debian kernel here or linux-source-X.Y;
#                                       prints suite= package= version=
#        kernels.sh resolve KERNEL      fetch or build it; print, one per line:
#          label=NAME       what results and comparisons call it
#          krel=RELEASE     its uname -r
#          bzimage=PATH     the image the guest boots
#          kdir=PATH        the build tree the module is built against
#          append=ARGS      kernel command line it needs (a debug kernel's
#                           debug_pagealloc=on, say)
#          instrumented=0|1 1: sanitizers or lock debugging make its timings
#                           meaningless; they are compared with nothing
# KERNEL is a name below, or
#   src:SOURCE[,patch=FILE]...[,config=FRAG]...[,label=NAME]
#                     a kernel built from SOURCE: a kernel tree, a Debian
#                     linux-source-X.Y package, or the name of a Debian kernel
#                     here for its own source (kernel-build.sh --help)
#   BZIMAGE:KDIR      an image you built, with its build tree
set -euo pipefail

. "$(dirname "$0")/common.sh"

# Debian's released kernels: name, suite ("host": the host's bookworm
# sources), the meta package that names its current ABI.
released=(
	"debian-6.1 host linux-image-amd64"		# bookworm's kernel
	"debian-6.12 host linux-image-6.12-amd64"	# bookworm's 6.12 (from trixie)
	# Debian's newest released kernel, 7.x today: stable's backports
	"debian-backports trixie-backports linux-image-amd64"
)
# Kernels built from source: name, spec.  debug: the newest source Debian
# has, with the sanitizers and debug checks of kconfig/debug.config.
built=(
	"debug src:debian-backports,config=debug"
)

usage() {
	sed -n '/^# usage:/,/^#   BZIMAGE/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

names() {
	local e

	for e in "${released[@]}"; do echo "${e%% *}"; done
	[ "${1:-}" = --released ] && return
	for e in "${built[@]}"; do echo "${e%% *}"; done
}

# entry TABLE NAME: the row of NAME, without the name
entry() {
	local -n table=$1
	local e

	for e in "${table[@]}"; do
		[ "${e%% *}" = "$2" ] && { echo "${e#* }"; return 0; }
	done
	return 1
}

# Assignments from a helper's output, checked before they are used.
take() {
	local line

	while IFS= read -r line; do
		[[ $line =~ ^(krel|version|bzimage|kdir|append|instrumented|label)=(.*)$ ]] ||
			die "unexpected line from a helper: $line"
		printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[2]}"
	done
}

resolve() {
	local k=$1 row suite meta krel= version= bzimage= kdir= append= instrumented=0 label=

	if row=$(entry released "$k"); then
		read -r suite meta <<<"$row"
		take < <("$host/kernel-fetch.sh" "$suite" "$meta" || echo "krel=")
		[ -n "$krel" ] || die "cannot fetch $k"
		label=$k
	elif row=$(entry built "$k"); then
		take < <("$host/kernel-build.sh" "${row#src:},label=$k" || echo "krel=")
		[ -n "$krel" ] || die "cannot build $k"
		label=$k
	elif [[ $k == src:* ]]; then
		take < <("$host/kernel-build.sh" "${k#src:}" || echo "krel=")
		[ -n "$krel" ] || die "cannot build $k"
		[ -n "$label" ] || label=$krel
	elif [[ $k == *:* ]] && [ -f "${k%:*}" ]; then
		bzimage=$(readlink -f "${k%:*}")
		kdir=$(readlink -f "${k##*:}")
		[ -f "$kdir/Makefile" ] || die "no build tree at $kdir"
		krel=$(kernel_release "$kdir") ||
			die "cannot read the kernel release from $kdir"
		label=$krel
	else
		die "unknown kernel '$k': one of $(names | tr '\n' ' ')or src:SOURCE or BZIMAGE:KDIR"
	fi
	# Quoted for the callers' eval: append has spaces.
	printf '%s=%q\n' label "$label" krel "$krel" bzimage "$bzimage" kdir "$kdir" \
		append "$append" instrumented "$instrumented"
}

# source SOURCE: the Debian package and version of a kernel's source
source_of() {
	local row suite meta krel= version= bzimage= kdir= s

	if row=$(entry released "$1"); then
		read -r suite meta <<<"$row"
		take < <("$host/kernel-fetch.sh" "$suite" "$meta" || echo "krel=")
		[ -n "$krel" ] || die "cannot fetch $1"
		printf 'suite=%q\npackage=linux-source-%q\nversion=%q\n' \
			"$suite" "$(echo "$krel" | cut -d. -f1-2)" "$version"
		return
	fi
	[[ $1 =~ ^linux-source-[0-9]+\.[0-9]+$ ]] ||
		die "unknown source '$1': a kernel tree, linux-source-X.Y, or one of $(names --released | tr '\n' ' ')"
	# The first suite, in the table's order, that has it.
	for s in $(for e in "${released[@]}"; do read -r _ suite _ <<<"$e"; echo "$suite"; done | uniq); do
		if [ "$s" = host ]; then
			version=$(apt-cache show --no-all-versions "$1" 2>/dev/null | awk '/^Version:/ { print $2; exit }' || true)
		else
			version=$("$host/debian-apt.sh" "$s" apt-cache show --no-all-versions "$1" 2>/dev/null |
				awk '/^Version:/ { print $2; exit }' || true)
		fi
		[ -z "$version" ] || { printf 'suite=%q\npackage=%q\nversion=%q\n' "$s" "$1" "$version"; return; }
	done
	die "no suite here has $1"
}

case ${1:-} in
source)
	[ $# -eq 2 ] || usage
	source_of "$2"
	;;
list)
	[ $# -le 2 ] && [ "${2:---released}" = --released ] || usage
	names "${2:-}"
	;;
resolve)
	[ $# -eq 2 ] || usage
	# Where KHUGEHOG_RESOLVED names a directory (make check makes a fresh
	# one for each run), a kernel is resolved once and its answer kept
	# there: each call asks apt-cache and tries the kbuild tools again, and
	# every guest boot calls.  A relative path in the name counts from here.
	if [ -n "${KHUGEHOG_RESOLVED:-}" ]; then
		memo=$KHUGEHOG_RESOLVED/$(printf '%s\n%s\n' "$PWD" "$2" | sha1sum | cut -c1-16)
		if [ ! -s "$memo" ]; then
			mkdir -p "$KHUGEHOG_RESOLVED"
			trap 'rm -f "$memo.$$"' EXIT
			resolve "$2" >"$memo.$$"
			mv "$memo.$$" "$memo"
		fi
		cat "$memo"
	else
		resolve "$2"
	fi
	;;
*) usage ;;
esac
