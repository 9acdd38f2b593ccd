#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Replay the committed seed corpus of the reply parser through its harness.
set -eu
"${top_builddir:-.}/tests/fuzz/replay_reply" \
	"${top_srcdir:-.}"/tests/fuzz/corpus/reply/*
