# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# ldap-lib.sh - a test directory: Debian's slapd on 127.0.0.1 (a free
# port for ldap:// with StartTLS and one for ldaps://), an mdb database
# in $T made with slapadd, core/cosine/inetorgperson plus pam_yubico's
# yubiKeyId schema, TLS from a test CA made now (lib.sh's pki).  Stopped
# by lib.sh's clean-up.  Source it after lib.sh.
#
#   start_slapd LDIF   sets LDAP_URI (ldap://), LDAPS_URI, LDAP_CA, and
#                      LDAP_BASE=dc=example,dc=org; LDIF is added below
#                      the base entry (dn: ... lines of your own).
#   free_port          prints a TCP port that was free a moment ago.

SLAPD=${SLAPD:-/usr/sbin/slapd}
[ -x "$SLAPD" ] || skip "slapd is not installed (scripts/deps.sh)"
command -v ldapsearch >/dev/null 2>&1 || skip "ldap-utils is not installed"
command -v slapadd >/dev/null 2>&1 || SLAPADD=/usr/sbin/slapadd
SLAPADD=${SLAPADD:-slapadd}
LDAP_BASE=dc=example,dc=org

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# slapd_conf DIR: the configuration, in DIR/slapd.conf.
slapd_conf() {
	cat > "$1/yubikey.schema" <<'EOF'
attributetype ( 1.3.6.1.4.1.45871.2.1 NAME 'yubiKeyId'
	DESC 'Yubico YubiKey ID' EQUALITY caseIgnoreIA5Match
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{128} )
objectclass ( 1.3.6.1.4.1.45871.2.2 NAME 'yubiKeyUser'
	DESC 'Yubico YubiKey User' SUP top AUXILIARY MAY ( yubiKeyId ) )
EOF
	cat > "$1/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $1/yubikey.schema
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile $1/ldap-ca.pem
TLSCertificateFile $1/ldap-srv.pem
TLSCertificateKeyFile $1/ldap-srv.key
database mdb
suffix "$LDAP_BASE"
rootdn "cn=admin,$LDAP_BASE"
directory $1/db
maxsize 10485760
access to attrs=userPassword by anonymous auth by * none
access to dn.subtree="ou=private,$LDAP_BASE" attrs=yubiKeyId
	by self read by dn.exact="cn=reader,$LDAP_BASE" read by * none
access to * by * read
EOF
}

start_slapd() {
	_ld=$T/slapd
	mkdir -p "$_ld/db"
	(cd "$_ld" && pki ldap)
	slapd_conf "$_ld"
	{ printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\n' \
		"$LDAP_BASE"
	  printf 'o: example\ndc: example\n\n'
	  cat "$1"; } > "$_ld/all.ldif"
	"$SLAPADD" -q -f "$_ld/slapd.conf" -l "$_ld/all.ldif" \
		>"$_ld/slapadd.log" 2>&1 ||
		{ cat "$_ld/slapadd.log" >&2; fail "slapadd"; }
	# As an unprivileged user when we are root (slapd drops to it).
	_who=
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody:nogroup "$_ld"
		chmod 755 "$T"
		_who="-u nobody -g nogroup"
	fi
	_try=0
	while :; do
		_p1=$(free_port); _p2=$(free_port)
		# -d stats: in the foreground, each operation logged (the
		# tests count the searches and binds of a login).
		# shellcheck disable=SC2086
		"$SLAPD" $_who -d stats -f "$_ld/slapd.conf" \
			-h "ldap://127.0.0.1:$_p1/ ldaps://127.0.0.1:$_p2/" \
			2>>"$_ld/slapd.log" &
		SLAPD_PID=$!
		_pids="$_pids $SLAPD_PID"
		LDAP_URI=ldap://127.0.0.1:$_p1
		_w=0
		while kill -0 "$SLAPD_PID" 2>/dev/null &&
		    ! LDAPNOINIT=1 ldapsearch -x -H "$LDAP_URI" -b "$LDAP_BASE" \
		    -s base >/dev/null 2>&1; do
			_w=$((_w + 1))
			[ $_w -lt 500 ] || break
			sleep 0.02
		done
		kill -0 "$SLAPD_PID" 2>/dev/null && [ $_w -lt 500 ] && break
		kill -9 "$SLAPD_PID" 2>/dev/null || :
		_try=$((_try + 1))
		[ $_try -lt 3 ] || { cat "$_ld/slapd.log" >&2; fail "slapd did not start"; }
	done
	# shellcheck disable=SC2034 # read by the tests that source this
	LDAPS_URI=ldaps://127.0.0.1:$_p2
	# shellcheck disable=SC2034 # read by the tests that source this
	LDAP_CA=$_ld/ldap-ca.pem
}

# slapd_ops OP: how many operations OP (SRCH, BIND) slapd has logged.
slapd_ops() { grep -c " $1 .* \\(scope\\|method\\)=" "$T/slapd/slapd.log" || :; }

# stop_slapd: the directory goes down (its port then refuses).
stop_slapd() {
	kill -TERM "$SLAPD_PID" 2>/dev/null || :
	_w=0
	while kill -0 "$SLAPD_PID" 2>/dev/null; do
		_w=$((_w + 1))
		[ $_w -lt 500 ] || { kill -9 "$SLAPD_PID"; break; }
		sleep 0.02
	done
}

# start_staller: a listener on 127.0.0.1 that accepts and never answers;
# sets STALL_URI.
start_staller() {
	_sr=$T/staller.port
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]) + "\n")
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
s.settimeout(1)
end = time.time() + 300
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' "$_sr" &
	_pids="$_pids $!"
	wait_for_file "$_sr" $! || fail "the staller did not start"
	# shellcheck disable=SC2034 # read by the tests that source this
	STALL_URI=ldap://127.0.0.1:$(cat "$_sr")
}
