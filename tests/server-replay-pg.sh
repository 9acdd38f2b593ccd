#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# server-replay.sh against the PostgreSQL backend.
# shellcheck disable=SC2034 # read by lib.sh
YK_DB=pg
# shellcheck source=tests/server-replay.sh
. "${top_srcdir:-.}/tests/server-replay.sh"
