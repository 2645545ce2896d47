#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a guest kernel from source, once per content.  The configuration
# is allnoconfig plus kconfig/guest.config (what the guest and the tests
# need, and nothing else: a few hundred objects, minutes on 2 cores) plus
# the fragments given; the patches given are applied to a copy of the
# source.  The result is kept in the per-user cache under a hash of (the
# source's identity, the fragments, the patches, the compiler), so a
# second run, or CI on the same machine, does not rebuild it.
#
# A patched kernel is built from the unpatched one's objects: only what the
# patches touch is recompiled.  Each build lives at kbuild/<hash>/src (a
# hard-linked copy of the source) with its objects in src/out, so that
# kbuild names every source file relative to the objects and a copy of
# both builds alike.
#
# usage: kernel-build.sh SOURCE[,patch=FILE]...[,config=FRAG]...[,label=NAME]
#   SOURCE  a kernel tree (a git checkout: its HEAD plus uncommitted changes
#           to tracked files; or an unpacked source), a Debian linux-source-X.Y
#           package, or a Debian kernel of kernels.sh for its own source
#           (debian-backports)
#   FRAG    a Kconfig fragment file, or the name of one in scripts/host/kconfig
#           (debug).  A fragment's "# khugehog: append=ARGS" lines add to the
#           kernel command line; "# khugehog: instrumented" marks a kernel
#           whose timings mean nothing
#   FILE    a patch for `patch -p1`
# Prints: label= (if given) krel= bzimage= kdir= append= instrumented=
set -euo pipefail

. "$(dirname "$0")/common.sh"

# Bump when the steps below change what a build produces.
recipe=1
kconfig=$host/kconfig

usage() {
	sed -n '/^# usage:/,/^# Prints:/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -eq 1 ] || usage
IFS=, read -r -a items <<<"$1"
[ ${#items[@]} -ge 1 ] && [ -n "${items[0]}" ] || usage
source_arg=${items[0]}
patches=() frags=("$kconfig/guest.config") label=
for it in "${items[@]:1}"; do
	case $it in
	patch=?*)
		[ -f "${it#patch=}" ] || die "no patch file '${it#patch=}'"
		patches+=("$(readlink -f "${it#patch=}")") ;;
	config=?*)
		f=${it#config=}
		[ -f "$f" ] || f=$kconfig/$f.config
		[ -f "$f" ] || die "no config fragment '${it#config=}' (a file, or one of: $(ls "$kconfig" | sed 's/\.config$//' | tr '\n' ' '))"
		frags+=("$(readlink -f "$f")") ;;
	label=?*) label=${it#label=} ;;
	*) echo "kernel-build: unknown item '$it' (patch=, config=, label=)" >&2; usage ;;
	esac
done

# --- the source: where its files are, and what identifies their content
src_dir= src_id= src_kind=
if [ -d "$source_arg" ]; then
	src_dir=$(readlink -f "$source_arg")
	[ -f "$src_dir/Makefile" ] && [ -d "$src_dir/mm" ] || die "$src_dir is not a kernel tree"
	if git -C "$src_dir" rev-parse --show-toplevel >/dev/null 2>&1; then
		src_kind=git
		src_id="git $(git -C "$src_dir" rev-parse HEAD) $(git -C "$src_dir" diff HEAD | sha256sum | cut -c1-16)"
	else
		src_kind=tree
		echo "kernel-build: hashing the file list of $src_dir" >&2
		src_id="tree $src_dir $(cd "$src_dir" && find . -type f -printf '%P %s %T@\n' | sort | sha256sum | cut -c1-16)"
	fi
else
	src_kind=debian
	eval "$("$host/kernels.sh" source "$source_arg")" || die "no source '$source_arg'"
	src_dir=$("$host/linux-source-fetch.sh" --tree "$suite" "$package" "$version")
	src_id="debian $package $version"
fi

# files_of: the source's files, NUL-separated, relative to src_dir
files_of() {
	case $src_kind in
	git) git -C "$src_dir" ls-files -z ;;
	*) (cd "$src_dir" && find . -path ./.git -prune -o -type f -print0) ;;
	esac
}

# What a build depends on: the source, the compiler, the options the
# fragments set (not their comments and directives) and the patches.
content_key() {
	{
		echo "recipe $recipe $src_id"
		gcc --version | sed -n 1p
		grep -hE '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' "${frags[@]}"
		for f in "$@"; do echo "== ${f##*/}"; cat "$f"; done
	} | sha256sum | cut -c1-16
}
base_key=$(content_key)
key=$(content_key ${patches[@]+"${patches[@]}"})
dir=$cache/kbuild/$key
out=$dir/src/out

directives() {
	sed -n 's/^# khugehog: //p' "${frags[@]}"
}

# --- the configuration
# configure: allnoconfig with every fragment's values, then checked: an
# option whose dependencies are missing is dropped silently by Kconfig.
configure() {
	local want=$dir/want.config missing

	cat "${frags[@]}" >"$want"
	make -s -C "$dir/src" O=out ARCH=x86_64 KCONFIG_ALLCONFIG="$want" allnoconfig \
		>>"$dir/build.log" 2>&1 || return 1
	missing=$(grep -E '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' "$want" |
		while IFS= read -r l; do
			case $l in
			'# '*) o=${l#\# }; o=${o%% *}; ! grep -q "^$o=" "$out/.config" || echo "$o"
				;;
			*) grep -qxF "$l" "$out/.config" || echo "$l" ;;
			esac
		done)
	[ -z "$missing" ] || { echo "kernel-build: the config lacks:" $missing \
		"(a dependency missing from the fragments?)" >&2; return 1; }
}

# make_kernel: the build, with a progress line every 30 s
make_kernel() {
	local start=$1 pid n

	make -C "$dir/src" O=out ARCH=x86_64 -j"$(nproc)" all >>"$dir/build.log" 2>&1 &
	pid=$!
	# shellcheck disable=SC2064 # the pid is fixed now
	trap "kill $pid 2>/dev/null" EXIT INT TERM
	while kill -0 "$pid" 2>/dev/null; do
		sleep 30 & wait $! || true
		n=$(grep -c '^  CC ' "$dir/build.log" || true)
		echo "kernel-build: ${label:-$key}: $n files compiled, $(($(date +%s) - start)) s" >&2
	done
	trap - EXIT INT TERM
	wait "$pid"
}

build() {
	local start f base_spec

	start=$(date +%s)
	rm -rf "$dir"
	mkdir -p "$dir/src"
	if [ ${#patches[@]} -gt 0 ]; then
		# The unpatched kernel first: its objects are this one's start.
		base_spec=$source_arg
		for f in "${frags[@]:1}"; do base_spec+=",config=$f"; done
		"$0" "$base_spec" >/dev/null || die "the unpatched kernel did not build"
		echo "kernel-build: ${label:-$key}: from the unpatched build ${base_key}" >&2
		(cd "$cache/kbuild/$base_key/src" && find . -path ./out -prune -o -print0 |
			cpio -0pdlm --quiet "$dir/src")
		cp -a "$cache/kbuild/$base_key/src/out" "$out"
		for f in "${patches[@]}"; do
			# patch must not write through the hard links into the source.
			sed -n 's|^+++ [^/]*/\([^[:space:]]*\).*|\1|p' "$f" | while read -r p; do
				[ -f "$dir/src/$p" ] || continue
				cp "$dir/src/$p" "$dir/src/$p.unlink" && mv "$dir/src/$p.unlink" "$dir/src/$p"
			done
			patch -p1 -s -d "$dir/src" <"$f" >>"$dir/build.log" 2>&1 ||
				{ tail -n 5 "$dir/build.log" >&2; die "${f##*/} does not apply"; }
			echo "kernel-build: applied ${f##*/}" >&2
		done
		# objtool is built by its own Makefile, with absolute paths: in
		# the copy it is rebuilt, and every object names it as a
		# prerequisite.  Built from the same tools/ (the patches do
		# not touch it), it is the same program: once rebuilt, its
		# files get back the unpatched build's times, and only what
		# the patches touch is recompiled.
		if ! grep -q '^+++ [^/]*/tools/' "${patches[@]}"; then
			make -C "$dir/src" O=out ARCH=x86_64 -j"$(nproc)" prepare >>"$dir/build.log" 2>&1 ||
				{ tail -n 20 "$dir/build.log" >&2; die "make prepare failed"; }
			(cd "$cache/kbuild/$base_key/src/out" && find tools -type f) | while read -r f; do
				[ ! -e "$out/$f" ] || touch -r "$cache/kbuild/$base_key/src/out/$f" "$out/$f"
			done
		fi
	else
		echo "kernel-build: ${label:-$key}: building from $src_id" >&2
		files_of | (cd "$src_dir" && cpio -0pdlm --quiet "$dir/src")
		configure || { tail -n 5 "$dir/build.log" >&2; die "configuration failed"; }
	fi
	make_kernel "$start" || { tail -n 30 "$dir/build.log" >&2; die "the build failed: $dir/build.log"; }
	{
		echo "source=$src_id"
		echo "fragments=${frags[*]##*/}"
		echo "patches=${patches[*]##*/}"
		echo "build_s=$(($(date +%s) - start))"
	} >"$dir/info"
	echo "kernel-build: ${label:-$key}: built $(kernel_release "$out") in" \
		"$(($(date +%s) - start)) s ($(grep -c '^  CC ' "$dir/build.log") files compiled)" >&2
	touch "$dir/.done"
}

mkdir -p "$cache/kbuild"
exec 9>"$cache/kbuild/$key.lock"
flock 9
[ -f "$dir/.done" ] || build
exec 9>&-

[ -z "$label" ] || echo "label=$label"
echo "krel=$(kernel_release "$out")"
echo "bzimage=$out/arch/x86/boot/bzImage"
echo "kdir=$out"
echo "append=$(directives | sed -n 's/^append=//p' | tr '\n' ' ' | sed 's/ $//')"
if directives | grep -qx instrumented; then echo instrumented=1; else echo instrumented=0; fi
