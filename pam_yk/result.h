/* SPDX-License-Identifier: BSD-2-Clause */
/* result.h - what a login attempt came to, before it becomes a PAM code */
#ifndef YK_RESULT_H
#define YK_RESULT_H

enum yk_result {
	YK_OK,
	YK_NO_TOKENS,		/* the user definitely has none */
	YK_USER_UNKNOWN,	/* no such user */
	YK_NOT_MAPPED,		/* the token ID is not the user's */
	YK_BAD_INPUT,		/* not an OTP, or no input at all */
	YK_REJECTED,		/* the server said BAD_OTP or REPLAYED_OTP */
	YK_MAPPING_ERROR,	/* the mapping file is unsafe or unreadable */
	YK_UNAVAILABLE,		/* no verdict from any validation server */
	YK_DIRECTORY_DOWN,	/* piv_map=ldap: no answer from the directory
				   (not "no card": nullok never passes it) */
	YK_CONV_ERROR,		/* the conversation failed */
	YK_CONFIG,		/* a configuration error */
	YK_NOMEM,
	YK_SYSTEM,		/* any other local failure */
	/*
	 * No validation server could be reached at all (refused, timeout,
	 * TLS): YK_UNAVAILABLE's one case that offline= may fall back on.
	 */
	YK_UNREACHABLE,
};

#endif
