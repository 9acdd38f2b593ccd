#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# server-stop.sh against the PostgreSQL backend.
# shellcheck disable=SC2034 # read by lib.sh
YK_DB=pg
# shellcheck source=tests/server-stop.sh
. "${top_srcdir:-.}/tests/server-stop.sh"
