#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/pam.d/*: each file is the distribution's stock PAM file named on
# its "# stock: PACKAGE PATH" line, taken from the installed package, with
# only pam_yk lines and comments added: no stock line is removed, changed
# or moved, and no pam_yk line carries id= or key= (they belong in conf=).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

EX=$top_srcdir/examples/pam.d
command -v dpkg-query >/dev/null || skip "not a Debian system (no dpkg-query)"

# stock PACKAGE PATH OUT: the file as the package shipped it.  The
# installed conffile when its md5 is still the one dpkg recorded (no local
# edit), else the package's cached .deb of the installed version.
stock() {
	_v=$(dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null) || return 1
	case $_v in "install ok installed "*) ;; *) return 1 ;; esac
	_md5=$(dpkg-query -W -f='${Conffiles}\n' "$1" | awk -v p="$2" '$1 == p { print $2 }')
	if [ -n "$_md5" ] && [ -f "$2" ] &&
	    [ "$(md5sum < "$2" | cut -d' ' -f1)" = "$_md5" ]; then
		cp "$2" "$3"
		return 0
	fi
	_ver=$(echo "${_v#install ok installed }" | sed 's/:/%3a/')
	for _deb in /var/cache/apt/archives/"$1"_"$_ver"_*.deb; do
		[ -f "$_deb" ] || continue
		dpkg-deb --fsys-tarfile "$_deb" | tar -xOf - ".$2" > "$3" 2>/dev/null &&
			[ "$(md5sum < "$3" | cut -d' ' -f1)" = "$_md5" ] && return 0
	done
	return 1
}

n=0
for f in "$EX"/*; do
	name=${f##*/}
	line=$(sed -n 's/^# stock: //p' "$f")
	[ "$(echo "$line" | wc -w)" = 2 ] ||
		fail "$name: no (or more than one) '# stock: PACKAGE PATH' line"
	# shellcheck disable=SC2086 # two words, checked above
	set -- $line
	if ! stock "$1" "$2" "$T/stock"; then
		echo "SKIP: $name: $2 of $1: the package is not installed, and its" \
			"conffile was edited with no cached .deb to compare with"
		continue
	fi
	diff "$T/stock" "$f" > "$T/diff" && fail "$name: identical to $2 (no pam_yk line)"
	# Normal diff: "<" lines are stock lines the example lacks; an
	# added line is blank, a comment, or a pam_yk.so line.
	grep '^<' "$T/diff" > "$T/removed" &&
		fail "$name: changes or drops lines of $1's $2: $(head -n 3 "$T/removed")"
	sed -n 's/^> //p; s/^>$//p' "$T/diff" | grep -v '^[[:space:]]*$' |
		grep -v '^[[:space:]]*#' | grep -v '[[:space:]]pam_yk\.so\([[:space:]]\|$\)' > "$T/extra" &&
		fail "$name: adds lines other than pam_yk's: $(head -n 3 "$T/extra")"
	grep -q '^[[:space:]]*-\{0,1\}auth[[:space:]].*[[:space:]]pam_yk\.so' "$f" ||
		fail "$name: no active pam_yk.so auth line"
	grep 'pam_yk\.so' "$f" | grep '[[:space:]]\(id\|key\)=' > "$T/secret" &&
		fail "$name: a pam_yk line with id= or key= (they belong in conf=): $(cat "$T/secret")"
	ok "$name: $1's $2 plus $(grep -c '^> *-\{0,1\}auth.*pam_yk\.so' "$T/diff") pam_yk line(s) and comments"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || skip "no stock file to compare with"
