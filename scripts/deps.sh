#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Install the Debian 12 packages pam_yk needs to build, test and demo.
# Idempotent: asks apt only for what is missing.  Needs root for apt.
set -euo pipefail

PACKAGES=(
	# build
	gcc make autoconf automake libtool pkg-config
	libpam0g-dev libcurl4-openssl-dev libssl-dev libjson-c-dev
	libykpers-1-dev libyubikey-dev libmicrohttpd-dev libsqlite3-dev
	libp11-kit-dev libgnutls28-dev libpq-dev
	# tests and demo
	sqlite3 curl openssl ca-certificates iproute2 python3
	pamtester libpam-wrapper libnss-wrapper libuid-wrapper libpam-yubico
	softhsm2 opensc libpam-pkcs11 xxd strace
	# backdated OCSP answers (tests/ocspstub.py): openssl cannot make them
	python3-cryptography
	# the gates of scripts/test.sh: a clang build, scan-build (in
	# clang-tools), shellcheck, and libFuzzer (libclang-rt) for the
	# fuzz run
	clang clang-tools shellcheck libclang-rt-14-dev
	# real stacks: the tests start their own sshd and run sudo and the
	# screen locker vlock
	openssh-server openssh-client sudo vlock
	# ykvald's PostgreSQL backend: the tests run their own servers
	postgresql
	# LDAP token mapping: libldap for the helper, and a directory
	# (slapd, ldap-utils) that the tests start on loopback
	libldap-dev slapd ldap-utils
	# the Debian packages (tests/packages.sh): build, lintian
	build-essential dpkg-dev debhelper fakeroot lintian
	# make fuzz (--enable-fuzzing): clang and its libFuzzer, ASan and
	# UBSan runtimes (only recommended by clang, and recommends are off)
	clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# Packages such as openssh-server would start their service on install;
# the tests start their own daemons on loopback, so keep apt from starting
# any (the usual policy-rc.d "101" answer), and remove the file afterwards.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
# Installing postgresql would create (and start) a "main" cluster on port
# 5432; the tests never use one (tests/pg-lib.sh starts its own), so do
# not make it (postgresql-common's createcluster.conf reads this directory).
if [[ " ${missing[*]} " == *" postgresql "* ]]; then
	mkdir -p /etc/postgresql-common/createcluster.d
	printf 'create_main_cluster = false\n' \
		>/etc/postgresql-common/createcluster.d/pam_yk-no-main.conf
fi
# Installing slapd would make a database for the host's domain and start
# a system slapd; the tests start their own (tests/ldap-lib.sh), so have
# its postinst configure nothing (and policy-rc.d above starts nothing).
if [[ " ${missing[*]} " == *" slapd "* ]]; then
	echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
fi
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
