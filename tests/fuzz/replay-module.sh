#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Replay the seed corpora of the module's parsers: arguments, the mapping
# file, the OTP normaliser and the challenge-response state file.
set -eu
b=${top_builddir:-.}/tests/fuzz
c=${top_srcdir:-.}/tests/fuzz/corpus
"$b/replay_args" "$c"/args/*
"$b/replay_authfile" "$c"/authfile/*
"$b/replay_otp" "$c"/otp/*
"$b/replay_state" "$c"/state/*
"$b/replay_piv_map" "$c"/piv_map/*
