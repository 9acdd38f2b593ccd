/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzzp11.c - a PKCS#11 module that answers from fuzz input (fuzzp11.h).
 * Each call takes its next bytes: a return code (0 = CKR_OK, so that
 * input running out means an honest card), then what it reports.  A
 * selector byte 0 gives the honest card's data (the harness's certificate,
 * key and signatures); other values give raw input bytes.  Every length
 * the module reports is fuzzed apart from what it writes: it may announce
 * any length, report more than the buffer it was given, say 0 or
 * CK_UNAVAILABLE_INFORMATION.  It never writes beyond the buffers it is
 * given: a module that does can corrupt anything, and no caller can help
 * that.
 */
#include <stdint.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "fuzzp11.h"

void fuzzp11_feed(const uint8_t *data, size_t size,
    struct fuzzp11_card *card);
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static const uint8_t *in;
static size_t left;
static struct fuzzp11_card *good;
static CK_OBJECT_CLASS finding;

void
fuzzp11_feed(const uint8_t *data, size_t size, struct fuzzp11_card *card)
{
	card->signed_honestly = 0;
	in = data;
	left = size;
	good = card;
}

static unsigned
u8(void)
{
	if (left == 0)
		return 0;
	left--;
	return *in++;
}

/* Up to n raw bytes of input (fewer when it runs out). */
static const uint8_t *
raw(size_t *n)
{
	const uint8_t *p = in;

	if (*n > left)
		*n = left;
	in += *n;
	left -= *n;
	return p;
}

static CK_RV
rv(void)
{
	static const CK_RV codes[] = {
		CKR_OK, CKR_GENERAL_ERROR, CKR_DEVICE_REMOVED,
		CKR_TOKEN_NOT_PRESENT, CKR_BUFFER_TOO_SMALL, CKR_PIN_INCORRECT,
		CKR_PIN_LOCKED, CKR_USER_ALREADY_LOGGED_IN,
		CKR_CRYPTOKI_ALREADY_INITIALIZED, CKR_SESSION_HANDLE_INVALID,
		CKR_ATTRIBUTE_TYPE_INVALID, CKR_DEVICE_ERROR, CKR_FUNCTION_FAILED,
	};
	unsigned b = u8();

	return b < 0x80 ? codes[b % (sizeof(codes) / sizeof(codes[0]))] :
	    CKR_OK;
}

/* The length to report for data of true length len in a buffer of given. */
static CK_ULONG
reported(CK_ULONG len, CK_ULONG given)
{
	switch (u8()) {
	case 1:	return 0;
	case 2:	return len - 1;
	case 3:	return len + 1;
	case 4:	return given + 1;
	case 5:	return CK_UNAVAILABLE_INFORMATION;
	case 6:	return (CK_ULONG)1 << 40;
	case 7:	return u8() << 8 | u8();
	default: return len;
	}
}

static void
pad(unsigned char *out, size_t n, const char *honest)
{
	size_t k = n;
	const uint8_t *p;

	memset(out, ' ', n);
	if (u8() == 0) {
		memcpy(out, honest, strlen(honest));
		return;
	}
	p = raw(&k);
	memcpy(out, p, k);
}

static CK_RV
f_initialize(CK_VOID_PTR a)
{
	return rv();
}

static CK_RV
f_finalize(CK_VOID_PTR r)
{
	return CKR_OK;
}

static CK_RV
f_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_RV r = rv();
	CK_ULONG n = (u8() + 1) % 48;

	for (CK_ULONG i = 0; list != NULL && i < n && i < *count; i++)
		list[i] = i;
	*count = n;
	return r;
}

static CK_RV
f_get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR ti)
{
	CK_RV r = rv();
	unsigned fl;

	memset(ti, 0, sizeof(*ti));
	pad(ti->label, sizeof(ti->label), "PIV Card");
	pad(ti->manufacturerID, sizeof(ti->manufacturerID), "Yubico");
	pad(ti->model, sizeof(ti->model), "YubiKey");
	pad(ti->serialNumber, sizeof(ti->serialNumber), "1234");
	fl = u8();
	ti->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED |
	    (fl & 1 ? CKF_USER_PIN_LOCKED : 0) |
	    (fl & 2 ? CKF_USER_PIN_FINAL_TRY : 0) |
	    (fl & 4 ? CKF_USER_PIN_COUNT_LOW : 0) |
	    (fl & 8 ? CKF_PROTECTED_AUTHENTICATION_PATH : 0);
	return r;
}

static CK_RV
f_get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE m,
    CK_MECHANISM_INFO_PTR mi)
{
	CK_RV r = rv();

	mi->flags = u8() == 0 ? CKF_SIGN : 0;
	return r;
}

static CK_RV
f_open_session(CK_SLOT_ID slot, CK_FLAGS fl, CK_VOID_PTR app, CK_NOTIFY n,
    CK_SESSION_HANDLE_PTR s)
{
	*s = slot + 1;
	return rv();
}

static CK_RV
f_close_session(CK_SESSION_HANDLE s)
{
	return rv();
}

static CK_RV
f_get_session_info(CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR si)
{
	CK_RV r = rv();

	memset(si, 0, sizeof(*si));
	si->state = u8() % 5;	/* 0: CKS_RO_PUBLIC_SESSION */
	return r;
}

static CK_RV
f_login(CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	return rv();
}

static CK_RV
f_logout(CK_SESSION_HANDLE s)
{
	return rv();
}

static CK_RV
f_find_objects_init(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	finding = CKO_DATA;
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == CKA_CLASS && t[i].ulValueLen == sizeof(finding))
			memcpy(&finding, t[i].pValue, sizeof(finding));
	return rv();
}

static CK_RV
f_find_objects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR o, CK_ULONG max,
    CK_ULONG_PTR n)
{
	CK_RV r = rv();
	unsigned k = u8();

	*n = k == 0 ? 1 : k % 3;
	for (CK_ULONG i = 0; i < *n && i < max; i++)
		o[i] = 100 + finding + i;
	return r;
}

static CK_RV
f_find_objects_final(CK_SESSION_HANDLE s)
{
	return CKR_OK;
}

/* One attribute: the honest or a raw value, and a fuzzed length. */
static CK_RV
one_attr(CK_ATTRIBUTE_PTR a)
{
	CK_RV r = rv();
	unsigned char small[sizeof(CK_ULONG)];
	const unsigned char *v = NULL;
	size_t n = 0, given = a->ulValueLen;
	unsigned sel = u8();

	switch (a->type) {
	case CKA_VALUE:
		v = good->cert;
		n = good->certlen;
		break;
	case CKA_EC_POINT:
		v = good->ec_point;
		n = good->ec_pointlen;
		break;
	case CKA_KEY_TYPE: {
		CK_KEY_TYPE kt = CKK_EC;

		memcpy(small, &kt, sizeof(kt));
		v = small;
		n = sizeof(kt);
		break;
	}
	case CKA_SIGN:
		small[0] = CK_TRUE;
		v = small;
		n = 1;
		break;
	default:	/* CKA_ALWAYS_AUTHENTICATE, CKA_MODULUS, ... */
		small[0] = CK_FALSE;
		v = small;
		n = 1;
		break;
	}
	if (sel != 0) {
		n = sel == 0xff ? (u8() << 8 | u8()) : sel - 1;
		v = raw(&n);
	}
	if (a->pValue != NULL)
		memcpy(a->pValue, v, n < given ? n : given);
	a->ulValueLen = reported(n, given);
	return r;
}

static CK_RV
f_get_attribute_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_RV r = CKR_OK;

	for (CK_ULONG i = 0; i < n; i++)
		if ((r = one_attr(&t[i])) != CKR_OK)
			break;
	return r;
}

static CK_RV
f_sign_init(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	return rv();
}

static CK_RV
f_sign(CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
    CK_ULONG_PTR siglen)
{
	CK_RV r = rv();
	unsigned char mine[1024];
	const unsigned char *v = mine;
	size_t n = sizeof(mine);
	unsigned sel = u8();

	good->signed_honestly = 0;
	if (sel != 0) {
		n = sel == 0xff ? (u8() << 8 | u8()) : sel - 1;
		v = raw(&n);
	} else if (good->sign(data, len, mine, &n) != 0)
		n = 0;
	else
		good->signed_honestly = 1;
	if (sig != NULL)
		memcpy(sig, v, n < *siglen ? n : *siglen);
	*siglen = reported(n, sig != NULL ? *siglen : 0);
	return r;
}

static CK_FUNCTION_LIST list = {
	.version = { 2, 40 },
	.C_Initialize = f_initialize,
	.C_Finalize = f_finalize,
	.C_GetSlotList = f_get_slot_list,
	.C_GetTokenInfo = f_get_token_info,
	.C_GetMechanismInfo = f_get_mechanism_info,
	.C_OpenSession = f_open_session,
	.C_CloseSession = f_close_session,
	.C_GetSessionInfo = f_get_session_info,
	.C_Login = f_login,
	.C_Logout = f_logout,
	.C_FindObjectsInit = f_find_objects_init,
	.C_FindObjects = f_find_objects,
	.C_FindObjectsFinal = f_find_objects_final,
	.C_GetAttributeValue = f_get_attribute_value,
	.C_SignInit = f_sign_init,
	.C_Sign = f_sign,
};

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR l)
{
	*l = &list;
	return CKR_OK;
}
