#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# kernel/trees.sh - the kernel trees of the kernel lane, never committed.
#
#   trees.sh prepare BUILD_ROOT   install Debian's linux-source-6.12 and
#                                 linux-source-6.1, extract the paths the lane
#                                 compiles into BUILD_ROOT/kernel-src/VERSION,
#                                 and make VERSION-fixed trees with the
#                                 project's patches (kernel/patches/VERSION)
#   trees.sh spec BUILD_ROOT      the meson kernel_trees value for those trees
#   trees.sh check DIR            is DIR a tree the lane can build? (exit 2 if not)
#
# Idempotent: a tree is extracted again only when its package version
# changed, and a fixed file is rewritten only when its content changes (so
# ninja rebuilds only what changed).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
versions=(6.12 6.1)
# what the lane compiles, plus the Makefile for the version line
paths=(mm/hugetlb_vmemmap.c mm/hugetlb_vmemmap.h Makefile)

die() { echo "hvo kernel: $*" >&2; exit 2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root (or sudo) to install $*"
	fi
}

pkg_version() { dpkg-query -W -f='${Version}' "linux-source-$1" 2>/dev/null || true; }

install_sources() {
	local missing=() v
	for v in "${versions[@]}"; do
		dpkg-query -W -f='${Status}' "linux-source-$v" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("linux-source-$v")
	done
	[ ${#missing[@]} = 0 ] && return 0
	echo "hvo: installing ${missing[*]}" >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

extract() {
	local v=$1 dst=$2 pv tarball
	pv=$(pkg_version "$v")
	tarball=/usr/src/linux-source-$v.tar.xz
	[ -f "$tarball" ] || die "linux-source-$v is installed but $tarball is missing"
	if [ -f "$dst/.hvo-version" ] && grep -qF "($pv)" "$dst/.hvo-version"; then
		return 0
	fi
	rm -rf "$dst.tmp"
	mkdir -p "$dst.tmp"
	local members=()
	for p in "${paths[@]}"; do members+=("linux-source-$v/$p"); done
	tar -xJf "$tarball" -C "$dst.tmp" --strip-components=1 "${members[@]}" ||
		die "cannot extract ${paths[*]} from $tarball"
	local kv
	kv=$(awk '/^VERSION =/{a=$3} /^PATCHLEVEL =/{b=$3} /^SUBLEVEL =/{c=$3} END{print a"."b"."c}' "$dst.tmp/Makefile")
	echo "linux-source-$v $kv ($pv)" >"$dst.tmp/.hvo-version"
	rm -rf "$dst"
	mv "$dst.tmp" "$dst"
}

# VERSION-fixed: the tree with kernel/patches/VERSION/*.patch applied
make_fixed() {
	local v=$1 src=$2 dst=$3 tmp p
	local patches=("$here/patches/$v"/*.patch)
	[ -e "${patches[0]}" ] || return 0
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	for p in "${paths[@]}"; do mkdir -p "$tmp/$(dirname "$p")"; cp "$src/$p" "$tmp/$p"; done
	for p in "${patches[@]}"; do
		patch -s -p1 -d "$tmp" <"$p" || die "patch $p does not apply to $(cat "$src/.hvo-version")"
	done
	{ cat "$src/.hvo-version" | tr -d '\n'; echo " + kernel/patches/$v"; } >"$tmp/.hvo-version"
	mkdir -p "$dst/mm"
	for p in "${paths[@]}" .hvo-version; do
		mkdir -p "$dst/$(dirname "$p")"
		cmp -s "$tmp/$p" "$dst/$p" || cp "$tmp/$p" "$dst/$p"
	done
}

case "${1:-}" in
prepare)
	[ $# = 2 ] || die "usage: trees.sh prepare BUILD_ROOT"
	install_sources
	command -v patch >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patch >/dev/null
	for v in "${versions[@]}"; do
		extract "$v" "$2/kernel-src/$v"
		make_fixed "$v" "$2/kernel-src/$v" "$2/kernel-src/$v-fixed"
	done
	;;
spec)
	[ $# = 2 ] || die "usage: trees.sh spec BUILD_ROOT"
	out=()
	for v in "${versions[@]}"; do
		[ -f "$2/kernel-src/$v/mm/hugetlb_vmemmap.c" ] && out+=("$v=$2/kernel-src/$v")
		[ -f "$2/kernel-src/$v-fixed/mm/hugetlb_vmemmap.c" ] && out+=("$v-fixed=$2/kernel-src/$v-fixed")
	done
	(IFS=,; echo "${out[*]}")
	;;
check)
	[ $# = 2 ] || die "usage: trees.sh check DIR"
	[ -d "$2" ] || die "$2: no such directory"
	[ -f "$2/mm/hugetlb_vmemmap.c" ] || die "$2 has no mm/hugetlb_vmemmap.c (not a kernel tree with HVO)"
	[ -f "$2/mm/hugetlb_vmemmap.h" ] || die "$2 has no mm/hugetlb_vmemmap.h"
	;;
*)
	die "usage: trees.sh prepare|spec BUILD_ROOT, or trees.sh check DIR"
	;;
esac
