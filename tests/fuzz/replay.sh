#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Replay every committed seed corpus (corpus/NAME/) through its harness,
# built without libFuzzer as replay_NAME: a corpus without its harness,
# or a harness that crashes or trips a sanitizer on a seed, fails.
set -eu
b=${top_builddir:-.}/tests/fuzz
c=${top_srcdir:-.}/tests/fuzz/corpus
n=0
for d in "$c"/*/; do
	name=$(basename "$d")
	if [ ! -x "$b/replay_$name" ]; then
		echo "no harness replay_$name for corpus/$name" >&2
		exit 1
	fi
	printf '%s: ' "$name"
	"$b/replay_$name" "$d"*
	n=$((n + 1))
done
echo "$n corpora replayed"
