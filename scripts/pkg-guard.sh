#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pkg-guard.sh install|uninstall STAGE: refuse a "make install" or
# "make uninstall" that would write or delete a file the package manager
# owns (libpam-yubico's /usr/bin/ykpamcfg at --prefix=/usr, or our own
# Debian packages' files).  STAGE holds a "make install DESTDIR=STAGE" of
# this build: every file in it names a path that we would touch.
set -eu
what=$1 stage=$2

# owner PATH: the package that owns PATH (or its /usr alias), or nothing.
owner() {
	for p in "$1" "${1#/usr}"; do
		case $p in /*) ;; *) continue ;; esac
		if command -v dpkg-query >/dev/null 2>&1; then
			o=$(dpkg-query -S "$p" 2>/dev/null | awk -F': ' -v p="$p" \
				'$2 == p && $1 !~ /^diversion / { print $1; exit }')
			[ -z "$o" ] || { echo "$o"; return; }
		fi
		if command -v rpm >/dev/null 2>&1 &&
		    o=$(rpm -qf "$p" 2>/dev/null); then
			echo "$o"; return
		fi
	done
}

bad=0
for f in $(cd "$stage" && find . ! -type d | sed 's|^\.||' | sort); do
	o=$(owner "$f")
	[ -z "$o" ] && continue
	echo "make $what: $f belongs to the package $o" >&2
	bad=1
done
[ $bad = 0 ] && exit 0
if [ "$what" = install ]; then
	cat >&2 <<'MSG'
make install: not overwriting files of installed packages (nothing done).
Install the Debian packages instead (README, "Installing": they divert
libpam-yubico's ykpamcfg and give it back on purge), or configure with
another --prefix, or rename the clashing program, e.g.
  ./configure --prefix=/usr --program-transform-name='s/^ykpamcfg$/ykpamcfg-yk/'
MSG
else
	echo "make uninstall: not removing files of installed packages (nothing done)." >&2
fi
exit 1
