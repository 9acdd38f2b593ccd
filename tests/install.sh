#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# install.sh - "make install" and "make uninstall" as an admin runs them:
#  - configure --prefix=/usr picks libpam's module directory (the one that
#    holds pam_unix.so), another prefix keeps the module in the prefix and
#    configure warns;
#  - no libtool .la beside pam_yk.so; uninstall leaves no file behind;
#  - neither touches a file that a package owns: with a dpkg-query that
#    says ykpamcfg's target belongs to libpam-yubico, install and uninstall
#    stop before changing anything.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
: "${top_builddir:?}"
top_srcdir=$(cd "$top_srcdir" && pwd)
MAKE=${MAKE:-make}

# ---- configure's default module directory -------------------------------
sysdir=
for d in /usr/lib/*/security /lib/*/security /usr/lib64/security \
    /lib64/security /usr/lib/security /lib/security; do
	[ -f "$d/pam_unix.so" ] && { sysdir=$d; break; }
done
[ -n "$sysdir" ] || skip "no pam_unix.so: cannot tell where libpam looks"
mkdir "$T/c1" "$T/c2"
(cd "$T/c1" && "$top_srcdir/configure" -q --prefix=/usr >/dev/null 2>&1) ||
	fail "configure --prefix=/usr failed"
got=$(sed -n 's/^PAMDIR = //p' "$T/c1/Makefile")
[ "$(cd "$got" && pwd -P)" = "$(cd "$sysdir" && pwd -P)" ] ||
	fail "--prefix=/usr: module dir $got, libpam's is $sysdir"
ok "configure --prefix=/usr: module dir $got (libpam's, with pam_unix.so)"
(cd "$T/c2" && "$top_srcdir/configure" -q --prefix=/usr/local >/dev/null 2>"$T/c2.err") ||
	fail "configure --prefix=/usr/local failed"
# shellcheck disable=SC2016 # the literal make variable
[ "$(sed -n 's/^PAMDIR = //p' "$T/c2/Makefile")" = '${libdir}/security' ] ||
	fail "--prefix=/usr/local: module dir outside the prefix"
grep -q 'where libpam does not look' "$T/c2.err" ||
	{ cat "$T/c2.err" >&2; fail "--prefix=/usr/local: configure does not warn"; }
ok "configure --prefix=/usr/local: module in the prefix, with a warning"

# ---- install and uninstall into a prefix --------------------------------
P=$T/inst
inst() { $MAKE -s -C "$top_builddir" "$@" prefix="$P" >>"$T/make.log" 2>&1; }
inst install || { cat "$T/make.log" >&2; fail "make install failed"; }
[ -f "$P/lib/security/pam_yk.so" ] || fail "no pam_yk.so in $P/lib/security"
if find "$P" -name '*.la' | grep .; then fail "make install installed .la files"; fi
ok "make install: pam_yk.so, no .la"
inst uninstall || { cat "$T/make.log" >&2; fail "make uninstall failed"; }
if find "$P" ! -type d | grep .; then fail "make uninstall left files"; fi
ok "make uninstall removes every file"

# ---- a package owns a target: nothing is written or deleted -------------
# The stand-in for dpkg-query -S says libpam-yubico owns $P/bin/ykpamcfg.
mkdir -p "$T/bin"
cat >"$T/bin/dpkg-query" <<EOF
#!/bin/sh
[ "\$1" = -S ] && [ "\$2" = "$P/bin/ykpamcfg" ] &&
	{ echo "libpam-yubico: \$2"; exit 0; }
echo "dpkg-query: no path found matching pattern \$2" >&2; exit 1
EOF
chmod +x "$T/bin/dpkg-query"
rm -rf "$P"
if PATH=$T/bin:$PATH inst install; then fail "make install overwrote a packaged file"; fi
grep -q "$P/bin/ykpamcfg belongs to the package libpam-yubico" "$T/make.log" ||
	{ cat "$T/make.log" >&2; fail "make install did not say which file and package"; }
if [ -d "$P" ] && find "$P" ! -type d | grep .; then
	fail "make install refused but installed files"
fi
ok "make install refuses, writes nothing, when a package owns ykpamcfg's path"
inst install || fail "make install (no owner) failed"
echo "Debian's" >"$P/bin/ykpamcfg"
if PATH=$T/bin:$PATH inst uninstall; then fail "make uninstall deleted a packaged file"; fi
[ "$(cat "$P/bin/ykpamcfg")" = "Debian's" ] || fail "the packaged file changed"
[ -f "$P/lib/security/pam_yk.so" ] || fail "make uninstall refused but removed files"
ok "make uninstall refuses, deletes nothing, when a package owns a path"
