#!/bin/sh
# Install what ptap's build, tests and benchmarks need on Debian 12, if
# anything is missing.  `make run` and `make test` call this first, so a
# fresh machine needs nothing else.  Quiet when everything is installed.
#
# Each package is checked with dpkg-query; only if one is missing does it
# run apt-get update and install the missing ones, as root, or through
# sudo when not root.  Roughly: the compiler and ptap's libraries (libelf,
# libunwind, ncurses); <sys/sdt.h> and dtrace for the samples; Debian's
# python3.11 (which has the markers), its debug build and its headers; the
# oracles and tools the tests and benchmarks compare against or drive
# (binutils, elfutils, gdb, bpftrace, valgrind, clang's sanitizers, afl++,
# hyperfine, tmux); headless Chromium, which opens ptap record's flame
# graphs in the tests; small process and file utilities; groff for the
# manual.
set -eu

PACKAGES="build-essential pkg-config libelf-dev libunwind-dev libncurses-dev
systemtap-sdt-dev python3.11 python3.11-dbg python3.11-dev elfutils binutils
gdb tmux valgrind bpftrace afl++ hyperfine clang libclang-rt-14-dev procps
psmisc inotify-tools util-linux python3 groff-base chromium fonts-dejavu-core"

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case $status in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "deps: not root and no sudo; as root, run:" >&2
	echo "  apt-get update && apt-get install --no-install-recommends$missing" >&2
	exit 1
fi
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! $as_root apt-get update -q >&2 ||
   ! $as_root env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends $missing >&2; then
	echo "deps: apt-get could not install:$missing" >&2
	exit 1
fi
