#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# scripts/demo.sh prints each command it runs ("$ curl ...") so that it
# can be pasted into a shell: a shell must read the printed line back as
# the very words that were run (a URL with '&', quotes, spaces, $, ...).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

DEMO=$top_srcdir/scripts/demo.sh
fns=$(sed -n '/^shq() {$/,/^}$/p; /^run() {/p' "$DEMO")
printf '%s\n' "$fns" | grep -q '^run() {' || fail "no run() in $DEMO"
eval "$fns"
words=('http://127.0.0.1:1/wsapi/2.0/verify?id=1&otp=cccc&nonce=x&timestamp=1'
	"it's" '' 'a b' '$HOME' '`id`' 'a;b' '*' '~' 'x\y' '"q"' 'plain-word_1.2:3=4@5%6+7,8/9')
printed=$(run true "${words[@]}" | sed -n '1s/^\$ //p')
[ -n "$printed" ] || fail "run printed no '\$ ' line"
eval "set -- $printed"
[ "$1" = true ] || fail "the printed line: $printed"
shift
[ $# = ${#words[@]} ] || fail "$# words read back from: $printed"
i=0
for w in "$@"; do
	[ "$w" = "${words[$i]}" ] || fail "word $i read back as [$w], ran [${words[$i]}]: $printed"
	i=$((i + 1))
done
ok "the printed command reads back as the $i words run: $printed"
