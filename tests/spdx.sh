#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# spdx.sh - every source file of the tree names its licence in an SPDX
# line near its top (C, shell, Python, Automake, man pages).
set -eu
top_srcdir=${top_srcdir:-.}
cd "$top_srcdir"
missing=0 n=0
while IFS= read -r -d '' f; do
	n=$((n + 1))
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: BSD-2-Clause' && continue
	echo "no SPDX line: $f" >&2
	missing=$((missing + 1))
done < <(find . \( -path ./build -o -path './build-*' -o -path ./tests/fuzz/corpus \
	-o -path ./autom4te.cache -o -path ./build-aux -o -path ./m4 -o -path ./debian/.debhelper -o -path ./_build \
	-o -path './pam_yk-*' \) -prune -o -type f \
	\( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \
	-o -name '*.am' -o -name configure.ac -o -name '*.[158]' \) -print0)
[ "$n" -gt 50 ] || { echo "FAIL: only $n source files found" >&2; exit 1; }
[ "$missing" -eq 0 ] || { echo "FAIL: $missing of $n files lack an SPDX line" >&2; exit 1; }
echo "ok: $n source files carry an SPDX line"
