#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_yubico-ldap.sh - the same PAM line, LDAP options included, for
# Debian's pam_yubico and for pam_yk, against the same slapd (ldap-lib.sh)
# and the same ykvald: both accept a mapped OTP and refuse an unmapped one,
# over ldaps://, StartTLS and a filter.  pam_yubico ignores the options it
# does not know (our helpers' paths), so the line is literally the same.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/ldap-lib.sh
. "${top_srcdir:-.}/tests/ldap-lib.sh"

PAM_YUBICO=${PAM_YUBICO:-/lib/security/pam_yubico.so}
[ -f "$PAM_YUBICO" ] || skip "pam_yubico not found at $PAM_YUBICO"
command -v pamtester >/dev/null 2>&1 || skip "pamtester not installed"
PWRAP=$(wrapper pam_wrapper)
NWRAP=$(wrapper nss_wrapper)
[ -n "$PWRAP" ] && [ -n "$NWRAP" ] || skip "pam_wrapper or nss_wrapper missing"

PUB2=vvccccbbbbbb
otp2() { "$OTPGEN" $PUB2 $PRIV2 $AES2 "$1" "$2" 0x0f8d40; }
PRIV2=0a0b0c0d0e0f
AES2=00112233445566778899aabbccddeeff
new_db "$T/db"
"$YKVALD" key add --db "$T/db" --public-id $PUB2 --private-id $PRIV2 \
	--aes-key $AES2 >/dev/null
start_ykvald "$T/db"

{ printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$LDAP_BASE"
  for p in "alice $PUB" "bob $PUB2"; do
	set -- $p
	printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\n' "$1" "$LDAP_BASE"
	printf 'objectClass: yubiKeyUser\nuid: %s\ncn: %s\nsn: %s\nyubiKeyId: %s\n\n' \
		"$1" "$1" "$1" "$2"
  done; } > "$T/people.ldif"
start_slapd "$T/people.ldif"

echo "alice:x:4242:4242:Alice:$T:/bin/sh" > "$T/passwd"
echo "alice:x:4242:" > "$T/group"
: > "$T/pamtester.log"
# run MODULE SERVICE OTP: pamtester's exit status for alice.  Our
# sanitized module needs the sanitizer runtimes preloaded, and then
# pamtester's own leaks are not ours (pam-ldap.sh checks the module's
# leaks under pamdrive); pam_yubico runs as it is.
run() {
	echo "=== $1 $2 $3" >> "$T/pamtester.log"
	_r=0
	_pre=
	[ "$1" != "$MODULE" ] || _pre=${SAN_PRELOAD:+$SAN_PRELOAD:}
	echo "$3" | env LD_PRELOAD="$_pre$PWRAP:$NWRAP" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	    NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	    pamtester -v "$2" alice authenticate >> "$T/pamtester.log" 2>&1 ||
	    _r=$?
	return $_r
}
die() { cat "$T/pamtester.log" >&2; tail -n 20 "$T/slapd/slapd.log" >&2; fail "$@"; }

helpers="validate_helper=$VALIDATE ldap_helper=$top_builddir/pam_yk_ldap"
common="id=1 key=$CKEY urllist=$URL yubi_attr=yubiKeyId ldapdn=ou=people,$LDAP_BASE ldap_cacertfile=$LDAP_CA"
n=0
for variant in "ldap_uri=$LDAPS_URI user_attr=uid" \
    "ldap_uri=$LDAP_URI ldap_starttls user_attr=uid" \
    "ldap_uri=$LDAPS_URI ldap_filter=(&(objectClass=yubiKeyUser)(uid=%u))"; do
	line="$common $variant $helpers"
	for m in "$MODULE" "$PAM_YUBICO"; do
		name=$(basename "$m" .so)
		printf 'auth required %s %s\n' "$m" "$line" > "$T/pam.d/$name"
		n=$((n + 1))
		s0=$(slapd_ops SRCH)
		run "$m" "$name" "$(otp 1 $n)" ||
			die "$name refused alice's mapped OTP ($variant)"
		searches=$(($(slapd_ops SRCH) - s0))
		ok "$name accepts a mapped OTP ($variant; $searches search(es))"
		case $name in pam_yk) [ "$searches" = 1 ] ||
			die "pam_yk made $searches searches" ;; esac
		if run "$m" "$name" "$(otp2 1 $n)"; then
			die "$name accepted bob's token for alice ($variant)"
		fi
		ok "$name refuses an unmapped OTP ($variant)"
	done
done
