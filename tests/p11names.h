/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * p11names.h - CKR_ names for the PKCS#11 return values the tests meet,
 * shared by tests/fakep11.c and tests/p11drive.c.  Include after
 * <p11-kit/pkcs11.h> and <stdio.h>.
 */
#ifndef P11NAMES_H
#define P11NAMES_H

/* The CKR_ name of rv, or its value in hex written to buf. */
static const char *
p11_rv_name(CK_RV rv, char *buf, size_t len)
{
	static const struct { CK_RV rv; const char *name; } names[] = {
#define N(x)	{ x, #x }
		N(CKR_OK), N(CKR_HOST_MEMORY), N(CKR_GENERAL_ERROR),
		N(CKR_FUNCTION_FAILED), N(CKR_ARGUMENTS_BAD),
		N(CKR_ATTRIBUTE_SENSITIVE), N(CKR_ATTRIBUTE_TYPE_INVALID),
		N(CKR_DATA_LEN_RANGE), N(CKR_DEVICE_ERROR),
		N(CKR_DEVICE_REMOVED), N(CKR_KEY_HANDLE_INVALID),
		N(CKR_MECHANISM_INVALID), N(CKR_OBJECT_HANDLE_INVALID),
		N(CKR_OPERATION_ACTIVE), N(CKR_OPERATION_NOT_INITIALIZED),
		N(CKR_PIN_INCORRECT), N(CKR_PIN_LEN_RANGE), N(CKR_PIN_LOCKED),
		N(CKR_SESSION_CLOSED), N(CKR_SESSION_HANDLE_INVALID),
		N(CKR_TOKEN_NOT_PRESENT), N(CKR_TOKEN_NOT_RECOGNIZED),
		N(CKR_USER_ALREADY_LOGGED_IN), N(CKR_USER_NOT_LOGGED_IN),
		N(CKR_USER_PIN_NOT_INITIALIZED), N(CKR_USER_TYPE_INVALID),
		N(CKR_BUFFER_TOO_SMALL), N(CKR_CRYPTOKI_NOT_INITIALIZED),
		N(CKR_CRYPTOKI_ALREADY_INITIALIZED), N(CKR_SLOT_ID_INVALID),
#undef N
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(buf, len, "0x%lx", (unsigned long)rv);
	return buf;
}

#endif
