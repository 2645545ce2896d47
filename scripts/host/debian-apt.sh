#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# apt-get or apt-cache on one more Debian suite (stable-backports, say)
# through a private configuration under the cache: its own sources list,
# package lists and archive cache.  The host's apt sources and state are
# never read or written, and nothing is installed: this is for
# `apt-get download` and for asking what a suite holds.  The lists are
# refreshed when they are a day old.
#
# usage: debian-apt.sh [--src] SUITE apt-get|apt-cache ARGS...
#   --src  the suite's source packages too (apt-get source)
set -euo pipefail

. "$(dirname "$0")/common.sh"

usage() {
	echo "usage: $0 [--src] SUITE apt-get|apt-cache ARGS..." >&2
	exit 2
}

types=deb suffix=
[ "${1:-}" = --src ] && { types="deb deb-src" suffix=-src; shift; }
[ $# -ge 2 ] || usage
suite=$1 tool=$2
shift 2
[[ $suite =~ ^[a-z][a-z0-9-]*$ ]] || { echo "debian-apt: bad suite name '$suite'" >&2; usage; }
case $tool in apt-get|apt-cache) ;; *) usage ;; esac

# The mirror the host's bookworm comes from serves the other suites too.
mirror=$(apt-cache policy 2>/dev/null |
	awk '!m && $3 ~ /^bookworm\/main$/ && $4 == "amd64" { m = $2 } END { print m }')
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

dir=$cache/apt/$suite$suffix
opts=(
	-o "Dir::Etc::SourceList=$dir/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$dir/lists"
	-o "Dir::Cache=$dir/cache"
	-o Dir::State::status=/dev/null
	${apt_sandbox[@]+"${apt_sandbox[@]}"}
)
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
for t in $types; do
	echo "$t [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
done >"$dir/sources.list.new"
cmp -s "$dir/sources.list.new" "$dir/sources.list" || rm -f "$dir/updated"
mv "$dir/sources.list.new" "$dir/sources.list"

if [ -z "$(find "$dir/updated" -mmin -1440 2>/dev/null)" ]; then
	apt-get "${opts[@]}" -q update >&2 ||
		{ echo "debian-apt: cannot read $suite from $mirror" >&2; exit 1; }
	touch "$dir/updated"
fi
exec "$tool" "${opts[@]}" "$@"
