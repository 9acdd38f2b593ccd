#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Replay the committed seed corpora through the fuzz harnesses.
set -eu
b=${top_builddir:-.}/tests/fuzz
c=${top_srcdir:-.}/tests/fuzz/corpus
"$b/replay_request" "$c"/request/*
"$b/replay_import" "$c"/import/*
