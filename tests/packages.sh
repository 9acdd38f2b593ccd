#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# packages.sh - the Debian packages, end to end, as an admin would use them.
# Run by scripts/test.sh after the suites and distcheck (not by make check:
# it needs root on Debian 12 and CHANGES THE MACHINE: it installs our
# packages and purges them again, also when it fails).
#
#  1. builds the packages once, with dpkg-buildpackage, from a clean copy of
#     the tree (git's files, or else make dist's tarball), and runs lintian
#     (an error fails);
#  2. installs them with apt next to libpam-yubico: Debian's ykpamcfg is
#     diverted, the module is in the multiarch security directory, no PAM
#     file changes, the helper is setuid root;
#  3. starts ykvald as its unit's ExecStart, under the unit's user, with the
#     unit's EnvironmentFile, StateDirectory and UMask (systemd is not
#     running here); reloads it with ExecReload if the unit has one; and
#     rates the unit with systemd-analyze security (offline);
#  4. logs in through the installed module by its bare name, pam_yk.so,
#     with pamtester under pam_wrapper, against that ykvald; and through
#     Debian's pam_yubico.so, which must still work;
#  5. purges the packages: none of their files is left, nor
#     /var/lib/ykvald, nor a diversion; Debian's ykpamcfg and its man page
#     are back; the PAM files are as before; pam_yk.so no longer loads.
# Exit 0 passes, 1 fails, 77 skips (not root, not Debian, tools missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(cd "${top_builddir:-$root/build}" && pwd)
OTPGEN=$builddir/tests/otpgen
PKGS=(libpam-yk pam-yk-tools ykvald)

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (installs and purges packages)"
for c in dpkg-buildpackage lintian apt-get pamtester setpriv ss sha256sum; do
	command -v "$c" >/dev/null || skip "$c not installed (scripts/deps.sh)"
done
[ -x "$OTPGEN" ] || make -s -C "$builddir" tests/otpgen >/dev/null ||
	fail "cannot build $OTPGEN (configure and build the tree in $builddir first)"
# first GLOB...: the first existing path, or nothing.
first() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return; }; done; }
PAMW=$(first /usr/lib/*/libpam_wrapper.so)
NSSW=$(first /usr/lib/*/libnss_wrapper.so)
if [ -z "$PAMW" ] || [ -z "$NSSW" ]; then skip "pam_wrapper/nss_wrapper not installed"; fi
dpkg-query -W -f='${Status}' libpam-yubico 2>/dev/null | grep -q 'ok installed' ||
	fail "libpam-yubico is not installed (scripts/deps.sh installs it)"

T=$(mktemp -d /tmp/pamyk-pkg.XXXXXX)
pid=
installed() { dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -q 'ok installed'; }
purge() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${PKGS[@]}" \
		>>"$T/apt.log" 2>&1
}
cleanup() {
	[ -z "$pid" ] || { kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || :
	for p in "${PKGS[@]}"; do
		if installed "$p"; then
			echo "cleanup: purging our packages"; purge || :; break
		fi
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for p in "${PKGS[@]}"; do
	installed "$p" && { echo "note: $p was installed before the test: purging"; purge; }
done

# ---- 1. build from a clean copy, lintian --------------------------------
ver=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
src=$T/src/pam-yk-$ver
mkdir -p "$src"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	# The working tree's files as git sees them (tracked, plus new files
	# not ignored): no build directory, no generated file.
	(cd "$root" && git ls-files -co --exclude-standard -z |
		tar --null -cf - -T -) | tar -xf - -C "$src"
	from="git's files of $root"
else
	(cd "$builddir" && make -s dist-gzip >/dev/null)
	tar -xzf "$builddir/pam_yk-$ver.tar.gz" -C "$src" --strip-components=1
	from="make dist"
fi
t0=$(date +%s)
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$T/build.log" 2>&1 ||
	{ tail -n 40 "$T/build.log" >&2; fail "dpkg-buildpackage failed"; }
ok "dpkg-buildpackage -b -us -uc from $from ($(($(date +%s) - t0)) s)"
changes=$(ls "$T"/src/pam-yk_"$ver"_*.changes)
debs=()
for p in "${PKGS[@]}"; do
	f=$(ls "$T"/src/"$p"_"$ver"_*.deb) || fail "no $p package built"
	debs+=("$f")
done
lintian --fail-on error "$changes" >"$T/lintian.log" 2>&1 ||
	{ cat "$T/lintian.log" >&2; fail "lintian reports errors"; }
grep -v '^running with root' "$T/lintian.log" | sed 's/^/lintian: /' || :
ok "lintian: no errors ($(grep -c '^W:' "$T/lintian.log" || :) warnings)"

# ---- 2. install next to libpam-yubico ------------------------------------
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debian_tool=$(sha256sum </usr/bin/ykpamcfg)
dpkg-query -S /usr/bin/ykpamcfg | grep -q '^libpam-yubico:' ||
	fail "/usr/bin/ykpamcfg is not libpam-yubico's before the install"
pamsum() { cat /etc/pam.d/common-* | sha256sum; }
pam_before=$(pamsum)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"${debs[@]}" >"$T/apt.log" 2>&1 ||
	{ cat "$T/apt.log" >&2; fail "apt-get install of the packages failed"; }
ok "apt-get install ${debs[*]##*/}"

mod=/usr/lib/$ma/security/pam_yk.so
[ "$(dpkg-query -S "$mod" 2>/dev/null)" = "libpam-yk: $mod" ] ||
	fail "$mod is not libpam-yk's"
if dpkg -L "${PKGS[@]}" | grep '\.la$'; then fail "a package ships .la files"; fi
[ "$(stat -c '%a %U %G' /usr/libexec/pam_yk_chalresp)" = "4755 root root" ] ||
	fail "pam_yk_chalresp is $(stat -c '%a %U %G' /usr/libexec/pam_yk_chalresp)"
ok "module in /usr/lib/$ma/security, no .la, helper setuid root"

[ "$(dpkg-divert --listpackage /usr/bin/ykpamcfg)" = pam-yk-tools ] ||
	fail "/usr/bin/ykpamcfg is not diverted by pam-yk-tools"
[ "$(dpkg-divert --truename /usr/bin/ykpamcfg)" = /usr/bin/ykpamcfg.pam_yubico ] ||
	fail "Debian's ykpamcfg is not diverted to /usr/bin/ykpamcfg.pam_yubico"
[ "$(sha256sum </usr/bin/ykpamcfg)" != "$debian_tool" ] ||
	fail "/usr/bin/ykpamcfg is still Debian's"
[ "$(sha256sum </usr/bin/ykpamcfg.pam_yubico)" = "$debian_tool" ] ||
	fail "Debian's ykpamcfg is not at /usr/bin/ykpamcfg.pam_yubico"
[ -f /usr/share/man/man1/ykpamcfg.pam_yubico.1.gz ] ||
	fail "Debian's ykpamcfg(1) was not diverted"
/usr/bin/ykpamcfg --version | grep -q '(pam_yk)' || fail "our ykpamcfg does not run"
ok "ykpamcfg is ours, Debian's diverted to ykpamcfg.pam_yubico (and its man page)"

[ "$(pamsum)" = "$pam_before" ] || fail "installing changed /etc/pam.d/common-*"
grep -qx 'Default: no' /usr/share/pam-configs/pam_yk ||
	fail "the pam-auth-update profile is not Default: no"
grep -q 'pam_yk\.so.*conf=/etc/pam_yk\.conf' /usr/share/pam-configs/pam_yk ||
	fail "the pam-auth-update profile does not read /etc/pam_yk.conf"
ok "pam-auth-update profile registered, not enabled: common-* unchanged"
ex=/usr/share/doc/libpam-yk/examples
for f in pam.d/sshd pam.d/sudo pam.d/unlock sshd_config.d/pam_yk-password-otp.conf; do
	[ -f "$ex/$f" ] || fail "the package lacks the example $ex/$f"
done
ok "the examples the README names are in $ex"

# ---- 3. ykvald as its unit starts it --------------------------------------
unit=$(first /lib/systemd/system/ykvald.service /usr/lib/systemd/system/ykvald.service)
[ -n "$unit" ] || fail "no ykvald.service installed"
# key KEY: the unit's last KEY= value (later lines override earlier ones).
key() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
user=$(key User)
if [ -z "$user" ] || [ "$user" = root ]; then fail "the unit names no user of its own"; fi
getent passwd "$user" >/dev/null || fail "the package did not create the user $user"
group=$(key Group); group=${group:-$(id -gn "$user")}
mode=$(key StateDirectoryMode)
for d in $(key StateDirectory); do	# what systemd does before ExecStart
	install -d -o "$user" -g "$group" -m "${mode:-0755}" "/var/lib/$d"
done
[ "$(stat -c %U /var/lib/ykvald)" = "$user" ] || fail "/var/lib/ykvald is not $user's"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze security --offline=true --threshold=40 "$unit" \
		>"$T/analyze.log" 2>&1 ||
		{ cat "$T/analyze.log" >&2; fail "systemd-analyze security: exposure over 4.0"; }
	ok "$(grep 'Overall exposure' "$T/analyze.log" | sed 's/ *$//')"
fi

# The unit's environment: its Environment= lines, then its
# EnvironmentFile= files ("-" = optional), which override them.
envs=()
while IFS= read -r l; do
	envs+=("$l")
done < <(sed -n 's/^Environment=//p' "$unit")
for f in $(key EnvironmentFile); do
	f=${f#-}
	[ -f "$f" ] || continue
	while IFS= read -r l; do
		case $l in ''|'#'*) continue ;; esac
		l=${l%\"}; envs+=("${l/=\"/=}")
	done <"$f"
done
# as_unit CMD...: CMD as the unit runs its commands: its user, group, umask
# and environment, no other.
umask_=$(key UMask); umask_=${umask_:-0022}
# as_unit_exec replaces the shell (for "as_unit_exec ... &": $! is ykvald).
as_unit_exec() {
	umask "$umask_"
	exec setpriv --reuid="$user" --regid="$group" --init-groups \
		--no-new-privs -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		"${envs[@]}" "$@"
}
as_unit() { (as_unit_exec "$@"); }
# argv CMDLINE: the command line's words as systemd expands them ($VAR from
# the environment, prefixes such as "-" or "+" dropped).
argv() {
	local line=$1
	line=${line##[-@:+!]}; line=${line##[-@:+!]}
	(for e in "${envs[@]}"; do export "${e?}"; done
	 eval "set -- $line"; printf '%s\n' "$@")
}
mapfile -t start < <(argv "$(key ExecStart)")
[ "${start[0]}" = /usr/sbin/ykvald ] || fail "ExecStart runs ${start[0]}, not /usr/sbin/ykvald"
db=/var/lib/ykvald/ykvald.db
for ((i = 0; i < ${#start[@]} - 1; i++)); do
	[ "${start[i]}" = --db ] && db=${start[i + 1]}
done
echo "note: ExecStart: ${start[*]}"

# The test key (YK-KSM selftest), registered as the unit's user would.
PUB=idkfefrdhtru PRIV=609963eae7b5 AES=c68c9df8cbfe7d2f994cb904046c7218
as_unit /usr/sbin/ykvald client add --db "$db" --id 1 >"$T/client" ||
	fail "ykvald client add as $user failed"
KEY=$(sed -n 's/^key=//p' "$T/client")
as_unit /usr/sbin/ykvald key add --db "$db" --public-id $PUB --private-id $PRIV \
	--aes-key $AES >/dev/null || fail "ykvald key add as $user failed"

as_unit_exec "${start[@]}" >"$T/ykvald.log" 2>&1 &
pid=$!
addr=
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || { cat "$T/ykvald.log" >&2; fail "ykvald exited"; }
	addr=$(ss -Hltnp | awk -v p="pid=$pid," 'index($0, p) { print $4; exit }')
	[ -n "$addr" ] && break
	sleep 0.1
done
[ -n "$addr" ] || { cat "$T/ykvald.log" >&2; fail "ykvald did not listen within 10 s"; }
[ "$(ps -o user= -p "$pid")" = "$user" ] || fail "ykvald does not run as $user"
case $addr in
127.0.0.1:*|'[::1]':*) ;;
*) echo "note: the unit's ykvald listens on $addr" ;;
esac
URL=http://127.0.0.1:${addr##*:}/wsapi/2.0/verify
case $(key ExecStart) in *--tls-cert*) URL=https${URL#http} ;; esac
ok "ykvald started as the unit does: user $user, listening on $addr"

# ---- 4. logins through the installed modules, by bare name ---------------
mkdir -p "$T/pam.d"
chmod 755 "$T"
echo "alice:x:4242:4242:Alice:$T:/bin/sh" >"$T/passwd"
echo "alice:x:4242:" >"$T/group"
echo "alice:$PUB" >"$T/authfile"
printf 'id=1\nkey=%s\nurllist=%s\n' "$KEY" "$URL" >"$T/pam_yk.conf"
chmod 600 "$T/pam_yk.conf"
echo "auth required pam_yk.so conf=$T/pam_yk.conf authfile=$T/authfile" >"$T/pam.d/yk"
echo "auth required pam_yubico.so id=1 key=$KEY urllist=$URL authfile=$T/authfile" \
	>"$T/pam.d/yubico"
n=0
# pam SERVICE OTP: pamtester's exit status for alice typing OTP.
pam() {
	echo "$2" | env LD_PRELOAD="$PAMW:$NSSW" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam.d" NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" pamtester -v "$1" alice authenticate \
		>>"$T/pamtester.log" 2>&1
}
die() { cat "$T/pamtester.log" "$T/ykvald.log" >&2; fail "$@"; }
n=$((n + 1)); o=$("$OTPGEN" $PUB $PRIV $AES $n 0)
pam yk "$o" || die "a fresh OTP was refused through pam_yk.so"
ok "pamtester: login through pam_yk.so (bare name) with a fresh OTP"
if pam yk "$o"; then die "a replayed OTP was accepted through pam_yk.so"; fi
ok "control: the same OTP again is refused"
n=$((n + 1)); o=$("$OTPGEN" $PUB $PRIV $AES $n 0)
pam yubico "$o" || die "Debian's pam_yubico.so no longer authenticates"
ok "pamtester: Debian's pam_yubico.so (bare name) still works beside ours"

reload=$(key ExecReload)
if [ -n "$reload" ]; then
	mapfile -t rl < <(MAINPID=$pid argv "$reload")
	"${rl[@]}" || fail "ExecReload failed: ${rl[*]}"
	sleep 1
	kill -0 "$pid" 2>/dev/null || { cat "$T/ykvald.log" >&2; fail "ykvald died on ExecReload"; }
	n=$((n + 1)); pam yk "$("$OTPGEN" $PUB $PRIV $AES $n 0)" ||
		die "login refused after ExecReload"
	ok "ExecReload (${rl[*]}): ykvald still serves"
else
	echo "note: the unit has no ExecReload"
fi
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=
[ $rc = 0 ] || { cat "$T/ykvald.log" >&2; fail "ykvald exited with $rc on SIGTERM"; }
ok "ykvald stopped cleanly on SIGTERM"

# ---- 5. purge ---------------------------------------------------------
dpkg -L "${PKGS[@]}" | sort -u >"$T/files"
purge || { cat "$T/apt.log" >&2; fail "apt-get purge failed"; }
for p in "${PKGS[@]}"; do installed "$p" && fail "$p still installed after purge"; done
left=0
while IFS= read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ ! -d "$f" ] || continue		# directories are shared (/lib too)
	# A path that another package owns now is that package's file (the
	# ykpamcfg our diversion gave back); that it is the original is
	# checked below.
	dpkg-query -S "$f" >/dev/null 2>&1 && continue
	echo "left behind: $f" >&2; left=1
done <"$T/files"
[ $left = 0 ] || fail "files of our packages are left after purge"
for f in /var/lib/ykvald /usr/share/pam-configs/pam_yk /etc/default/ykvald \
    /usr/bin/ykpamcfg.pam_yubico /usr/share/man/man1/ykpamcfg.pam_yubico.1.gz; do
	[ ! -e "$f" ] || fail "$f is left after purge"
done
if dpkg-divert --list | grep -q 'pam-yk'; then fail "a diversion of ours is left"; fi
ok "purged: no file, diversion or /var/lib/ykvald of ours is left"
dpkg-query -S /usr/bin/ykpamcfg | grep -q '^libpam-yubico:' ||
	fail "/usr/bin/ykpamcfg is not libpam-yubico's after the purge"
[ "$(sha256sum </usr/bin/ykpamcfg)" = "$debian_tool" ] ||
	fail "/usr/bin/ykpamcfg is not Debian's tool after the purge"
[ -f /usr/share/man/man1/ykpamcfg.1.gz ] || fail "Debian's ykpamcfg(1) is not back"
[ "$(pamsum)" = "$pam_before" ] || fail "the purge left /etc/pam.d/common-* changed"
ok "Debian's ykpamcfg and its man page are back; common-* as before"
n=$((n + 1))
if pam yk "$("$OTPGEN" $PUB $PRIV $AES $n 0)"; then
	fail "pam_yk.so still authenticates after the purge"
fi
ok "control: pam_yk.so no longer loads after the purge"
getent passwd "$user" >/dev/null &&
	echo "note: the system user $user stays after purge, as Debian leaves system users"
echo "packages: all checks passed"
