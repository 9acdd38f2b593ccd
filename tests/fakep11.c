/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fakep11.c - a test-only PKCS#11 module that forwards every call to a
 * real module (SoftHSM in the tests) and injects the faults SoftHSM
 * cannot show: a locked PIN or a last try, a card pulled mid-flow, a
 * session that vanishes, a lying attribute length, a module that gets
 * signature lengths wrong.  Never installed.
 *
 * FAKEP11_MODULE=PATH  the real module (default
 *	/usr/lib/softhsm/libsofthsm2.so), loaded at the first
 *	C_GetFunctionList.  Functions without a fault are the real module's
 *	own entries, copied into the list this module hands out.
 *
 * The rest is read at every C_Initialize, which also resets the state
 * below.  An unknown value makes C_Initialize fail with
 * CKR_ARGUMENTS_BAD (and a line on stderr), so a typo cannot quietly
 * test nothing.
 *
 * FAKEP11_TOKEN=LABEL  the PIN and removal faults concern only the token
 *	with that label (default: every initialized token, sharing one PIN
 *	state); other tokens pass through untouched.
 * FAKEP11_PIN=low|final|locked  the user PIN's retry state, shown by
 *	C_GetTokenInfo as CKF_USER_PIN_COUNT_LOW, COUNT_LOW + FINAL_TRY, or
 *	CKF_USER_PIN_LOCKED alone (the real module's PIN flags are
 *	replaced).  Locked: C_Login as CKU_USER or CKU_CONTEXT_SPECIFIC
 *	returns CKR_PIN_LOCKED without reaching the real module.  As on a
 *	card, a CKR_PIN_INCORRECT from the real module moves low to final
 *	and final to locked, and a successful login clears low and final
 *	(within the process: the state starts again at each C_Initialize).
 * FAKEP11_REMOVE_AT=login|find|sign|session  the card goes away:
 *	login	C_Login returns CKR_DEVICE_REMOVED (the real module never
 *		sees the PIN)
 *	find	C_FindObjects returns CKR_TOKEN_NOT_PRESENT
 *	sign	the first C_Sign or C_SignFinal with an output buffer returns
 *		CKR_DEVICE_REMOVED (a length query still works)
 *	From then on that token is gone: C_GetSlotList(tokenPresent) leaves
 *	its slot out, C_GetSlotInfo clears CKF_TOKEN_PRESENT, C_GetTokenInfo
 *	and C_OpenSession return CKR_TOKEN_NOT_PRESENT, and the other calls
 *	on its sessions CKR_DEVICE_REMOVED.  C_CloseSession and C_Finalize
 *	still reach the real module, so nothing leaks.
 *	session	after the first successful C_Login, that session is gone
 *		(as after a reset by another program): the real module is
 *		logged out, and calls on the session return
 *		CKR_SESSION_HANDLE_INVALID (C_CloseSession closes it for real
 *		and says so too).  A new session works.
 * FAKEP11_HUGE_VALUE=1|max|N  C_GetAttributeValue reports a CKA_VALUE that
 *	exists as 0x7fffffff bytes long (max: (CK_ULONG)-2, the largest that
 *	is not CK_UNAVAILABLE_INFORMATION; N: N bytes) when asked for the
 *	length, and CKR_BUFFER_TOO_SMALL (ulValueLen set to
 *	CK_UNAVAILABLE_INFORMATION) for a buffer shorter than that.  0 or
 *	unset: off.  Every object, every token.
 * FAKEP11_BUFFER_QUIRK=1  C_Sign's length query (NULL output) answers one
 *	byte less than needed, and the first C_Sign with an output buffer
 *	after each C_SignInit returns CKR_BUFFER_TOO_SMALL with the right
 *	length written back, whatever the buffer's size: a caller must
 *	retry with the length the module gives.  Every token.
 * FAKEP11_NULL_SIGN=1  (read when the list is first handed out) the
 *	function list has no C_Sign: a NULL entry, as a broken module's.
 * FAKEP11_HANG=initialize|slots|find|login|sign|finalize  that call never
 *	returns (it sleeps for an hour): C_Initialize, C_GetSlotList,
 *	C_FindObjects, C_Login, C_Sign (with an output buffer), C_Finalize.
 *	Every token.
 * FAKEP11_LOGGED_IN=PIN  the token is already logged in, as by another
 *	part of the same program: the first C_OpenSession on a target token
 *	logs the real module in with PIN on that session.
 * FAKEP11_LOGIN_LIE=1  C_Login as CKU_USER on a target token answers
 *	CKR_USER_ALREADY_LOGGED_IN without reaching the real module.
 * FAKEP11_SIGN_LEN=N  a C_Sign with an output buffer that succeeds reports
 *	the signature as N bytes long (whatever the buffer's size).
 * FAKEP11_ATTR_GROW=value|modulus|ec_point:N  a C_GetAttributeValue with
 *	a buffer reports that attribute (CKA_VALUE, CKA_MODULUS, CKA_EC_POINT)
 *	N bytes longer than what was written (and than the length query
 *	said).  Every object, every token.
 * FAKEP11_KEY_TYPE=rsa|ec  key objects say they are CKK_RSA or CKK_EC.
 * FAKEP11_NO_SIGN=1  key objects say CKA_SIGN is CK_FALSE.
 * FAKEP11_NO_MECH=rsa|ecdsa  C_GetMechanismInfo answers
 *	CKR_MECHANISM_INVALID for CKM_RSA_PKCS or CKM_ECDSA, and
 *	C_GetMechanismList leaves it out.  Every token.
 * FAKEP11_YUBIKEY=1  C_GetTokenInfo shows target tokens as ykcs11 does a
 *	YubiKey: manufacturerID "Yubico (www.yubico.com)", model "YubiKey YK5".
 * FAKEP11_LOG=FILE  append a line per call that matters, never a PIN:
 *	C_Initialize rv=R | C_Finalize rv=R
 *	C_GetTokenInfo slot=S token=LABEL rv=R flags=0xF
 *		[USER_PIN_COUNT_LOW] [USER_PIN_FINAL_TRY] [USER_PIN_LOCKED]
 *	C_OpenSession slot=S rv=R | C_CloseSession rv=R
 *	C_Login token=LABEL user=CKU_USER|CKU_SO|CKU_CONTEXT_SPECIFIC
 *		pin_len=N|null rv=R
 *	C_Logout rv=R
 *	C_FindObjectsInit class=CKO_CERTIFICATE|CKO_PRIVATE_KEY|...|any rv=R
 *	C_GetMechanismInfo mech=0xM rv=R
 *	C_SignInit mech=0xM rv=R
 *	C_Sign in=N out=null|N rv=R [len=N]     (len: the length written)
 *	C_SignFinal out=null|N rv=R [len=N]
 *	fault: WHAT                             (each injected fault)
 *	R is the CKR_ name of the value returned to the caller (or 0xHEX);
 *	LABEL is the token label without its padding ("?" if unknown).
 *
 * Not thread-safe: one state for the process, as the tests need.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "p11names.h"

#define DEFAULT_MODULE	"/usr/lib/softhsm/libsofthsm2.so"
#define HUGE_DEFAULT	0x7fffffffUL

enum pin_state { PIN_REAL, PIN_LOW, PIN_FINAL, PIN_LOCKED };
enum remove_at { RM_NONE, RM_LOGIN, RM_FIND, RM_SIGN, RM_SESSION };
enum hang { HANG_NONE, HANG_INIT, HANG_SLOTS, HANG_FIND, HANG_LOGIN,
	HANG_SIGN, HANG_FINAL };

static CK_FUNCTION_LIST real_list;	/* a copy of the real module's */
static CK_FUNCTION_LIST fake_list;	/* what callers get */
static int loaded;

static struct {
	enum pin_state pin;
	enum remove_at remove_at;
	CK_ULONG huge;			/* 0: off */
	int quirk;
	char log[4096];			/* "": no log */
	char token[33];			/* "": every initialized token */
	int removed;			/* the token in removed_slot is gone */
	CK_SLOT_ID removed_slot;
	int gone;			/* session gone_h is invalid */
	int gone_done;			/* RM_SESSION has struck */
	CK_SESSION_HANDLE gone_h;
	int quirk_fired;		/* in this signing operation */
	enum hang hang;
	char logged_in[64];		/* "": off */
	int logged_in_done;
	int login_lie;
	CK_ULONG sign_len;		/* 0: off */
	CK_ULONG attr_grow;		/* 0: off */
	CK_ATTRIBUTE_TYPE grow_type;
	CK_KEY_TYPE key_type;
	int key_type_set;
	int no_sign;
	CK_MECHANISM_TYPE no_mech;
	int no_mech_set;
	int yubikey;
} st;

static void flog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
flog(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if (st.log[0] == '\0' || (f = fopen(st.log, "a")) == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

#define RV(rv)	p11_rv_name((rv), rvbuf, sizeof(rvbuf))

/* The token label without its blank padding, as a C string. */
static void
label_str(const CK_UTF8CHAR *label, char out[33])
{
	size_t n = 32;

	while (n > 0 && label[n - 1] == ' ')
		n--;
	memcpy(out, label, n);
	out[n] = '\0';
}

/* Whether the faults apply to the token described by info. */
static int
is_target(const CK_TOKEN_INFO *info)
{
	char label[33];

	if (!(info->flags & CKF_TOKEN_INITIALIZED))
		return 0;
	label_str(info->label, label);
	return st.token[0] == '\0' || strcmp(label, st.token) == 0;
}

static int
session_slot(CK_SESSION_HANDLE h, CK_SLOT_ID *slot)
{
	CK_SESSION_INFO si;

	if (real_list.C_GetSessionInfo(h, &si) != CKR_OK)
		return -1;
	*slot = si.slotID;
	return 0;
}

/* The label of session h's token ("?" if unknown); whether it is a target. */
static int
session_token(CK_SESSION_HANDLE h, char label[33])
{
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;

	strcpy(label, "?");
	if (session_slot(h, &slot) != 0 ||
	    real_list.C_GetTokenInfo(slot, &ti) != CKR_OK)
		return 0;
	label_str(ti.label, label);
	return is_target(&ti);
}

static int
slot_removed(CK_SLOT_ID slot)
{
	return st.removed && slot == st.removed_slot;
}

/* What a call on session h gets once its card or the session is gone. */
static CK_RV
blocked(CK_SESSION_HANDLE h)
{
	CK_SLOT_ID slot;

	if (st.gone && h == st.gone_h)
		return CKR_SESSION_HANDLE_INVALID;
	if (st.removed && session_slot(h, &slot) == 0 && slot_removed(slot))
		return CKR_DEVICE_REMOVED;
	return CKR_OK;
}

/* FAKEP11_REMOVE_AT: whether the call on session h pulls the card. */
static int
remove_now(CK_SESSION_HANDLE h, enum remove_at at, const char *where)
{
	char label[33];

	if (st.remove_at != at || st.removed || !session_token(h, label) ||
	    session_slot(h, &st.removed_slot) != 0)
		return 0;
	st.removed = 1;
	flog("fault: token %s removed at %s", label, where);
	return 1;
}

/* ---- configuration ---------------------------------------------------- */

static int
bad_env(const char *name, const char *v, const char *want)
{
	fprintf(stderr, "fakep11: %s=%s: expected %s\n", name, v, want);
	return -1;
}

static int
flag_env(const char *name, int *out)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0)
		return 0;
	if (strcmp(v, "1") != 0)
		return bad_env(name, v, "0 or 1");
	*out = 1;
	return 0;
}

static int
num_env(const char *name, CK_ULONG *out)
{
	const char *v = getenv(name);
	char *end;

	if (v == NULL || *v == '\0')
		return 0;
	*out = strtoul(v, &end, 0);
	if (*v == '-' || *end != '\0')
		return bad_env(name, v, "a length");
	return 0;
}

/* The faults added for issue 10: hangs, logins, lengths, keys. */
static int
read_env2(void)
{
	static const char *hangs[] = { "", "initialize", "slots", "find",
	    "login", "sign", "finalize" };
	const char *v;
	size_t i;

	if ((v = getenv("FAKEP11_HANG")) != NULL && *v != '\0') {
		for (i = 1; i < sizeof(hangs) / sizeof(hangs[0]); i++)
			if (strcmp(v, hangs[i]) == 0)
				st.hang = (enum hang)i;
		if (st.hang == HANG_NONE)
			return bad_env("FAKEP11_HANG", v, "initialize, slots, "
			    "find, login, sign or finalize");
	}
	if ((v = getenv("FAKEP11_LOGGED_IN")) != NULL && *v != '\0') {
		if (strlen(v) >= sizeof(st.logged_in))
			return bad_env("FAKEP11_LOGGED_IN", "...", "a PIN");
		strcpy(st.logged_in, v);
	}
	if ((v = getenv("FAKEP11_KEY_TYPE")) != NULL && *v != '\0') {
		st.key_type_set = 1;
		if (strcmp(v, "rsa") == 0)
			st.key_type = CKK_RSA;
		else if (strcmp(v, "ec") == 0)
			st.key_type = CKK_EC;
		else
			return bad_env("FAKEP11_KEY_TYPE", v, "rsa or ec");
	}
	if ((v = getenv("FAKEP11_NO_MECH")) != NULL && *v != '\0') {
		st.no_mech_set = 1;
		if (strcmp(v, "rsa") == 0)
			st.no_mech = CKM_RSA_PKCS;
		else if (strcmp(v, "ecdsa") == 0)
			st.no_mech = CKM_ECDSA;
		else
			return bad_env("FAKEP11_NO_MECH", v, "rsa or ecdsa");
	}
	if (flag_env("FAKEP11_LOGIN_LIE", &st.login_lie) != 0 ||
	    flag_env("FAKEP11_NO_SIGN", &st.no_sign) != 0 ||
	    flag_env("FAKEP11_YUBIKEY", &st.yubikey) != 0 ||
	    num_env("FAKEP11_SIGN_LEN", &st.sign_len) != 0)
		return -1;
	if ((v = getenv("FAKEP11_ATTR_GROW")) != NULL && *v != '\0') {
		char *end;

		if (strncmp(v, "value:", 6) == 0)
			st.grow_type = CKA_VALUE;
		else if (strncmp(v, "modulus:", 8) == 0)
			st.grow_type = CKA_MODULUS;
		else if (strncmp(v, "ec_point:", 9) == 0)
			st.grow_type = CKA_EC_POINT;
		else
			return bad_env("FAKEP11_ATTR_GROW", v,
			    "value|modulus|ec_point:N");
		st.attr_grow = strtoul(strchr(v, ':') + 1, &end, 0);
		if (*end != '\0' || st.attr_grow == 0)
			return bad_env("FAKEP11_ATTR_GROW", v,
			    "value|modulus|ec_point:N");
	}
	return 0;
}

/* FAKEP11_HANG: a call that never returns (an hour is never here). */
static void
hang_if(enum hang at, const char *where)
{
	if (st.hang != at)
		return;
	flog("fault: %s hangs", where);
	for (int i = 0; i < 3600; i++)
		sleep(1);
}

static int
read_env(void)
{
	const char *v;
	char *end;

	memset(&st, 0, sizeof(st));
	if ((v = getenv("FAKEP11_LOG")) != NULL && *v != '\0')
		snprintf(st.log, sizeof(st.log), "%s", v);
	if ((v = getenv("FAKEP11_TOKEN")) != NULL && *v != '\0') {
		if (strlen(v) >= sizeof(st.token))
			return bad_env("FAKEP11_TOKEN", v, "a token label");
		strcpy(st.token, v);
	}
	if ((v = getenv("FAKEP11_PIN")) != NULL && *v != '\0') {
		if (strcmp(v, "low") == 0)
			st.pin = PIN_LOW;
		else if (strcmp(v, "final") == 0)
			st.pin = PIN_FINAL;
		else if (strcmp(v, "locked") == 0)
			st.pin = PIN_LOCKED;
		else
			return bad_env("FAKEP11_PIN", v,
			    "low, final or locked");
	}
	if ((v = getenv("FAKEP11_REMOVE_AT")) != NULL && *v != '\0') {
		if (strcmp(v, "login") == 0)
			st.remove_at = RM_LOGIN;
		else if (strcmp(v, "find") == 0)
			st.remove_at = RM_FIND;
		else if (strcmp(v, "sign") == 0)
			st.remove_at = RM_SIGN;
		else if (strcmp(v, "session") == 0)
			st.remove_at = RM_SESSION;
		else
			return bad_env("FAKEP11_REMOVE_AT", v,
			    "login, find, sign or session");
	}
	if ((v = getenv("FAKEP11_HUGE_VALUE")) != NULL && *v != '\0') {
		if (strcmp(v, "max") == 0)
			st.huge = (CK_ULONG)-2;
		else if (strcmp(v, "1") == 0)
			st.huge = HUGE_DEFAULT;
		else {
			st.huge = strtoul(v, &end, 0);
			if (*v == '-' || *end != '\0' ||
			    st.huge == CK_UNAVAILABLE_INFORMATION)
				return bad_env("FAKEP11_HUGE_VALUE", v,
				    "0, 1, max or a length");
		}
	}
	if ((v = getenv("FAKEP11_BUFFER_QUIRK")) != NULL && *v != '\0') {
		if (strcmp(v, "1") == 0)
			st.quirk = 1;
		else if (strcmp(v, "0") != 0)
			return bad_env("FAKEP11_BUFFER_QUIRK", v, "0 or 1");
	}
	return read_env2();
}

/* ---- general and slot functions ---------------------------------------- */

static CK_RV
fk_Initialize(CK_VOID_PTR args)
{
	char rvbuf[32];
	CK_RV rv;

	if (read_env() != 0)
		return CKR_ARGUMENTS_BAD;
	hang_if(HANG_INIT, "C_Initialize");
	rv = real_list.C_Initialize(args);
	flog("C_Initialize rv=%s", RV(rv));
	return rv;
}

static CK_RV
fk_Finalize(CK_VOID_PTR reserved)
{
	char rvbuf[32];
	CK_RV rv;

	hang_if(HANG_FINAL, "C_Finalize");
	rv = real_list.C_Finalize(reserved);
	flog("C_Finalize rv=%s", RV(rv));
	return rv;
}

static CK_RV
fk_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_SLOT_ID_PTR all;
	CK_ULONG n, i, m;
	CK_RV rv;

	hang_if(HANG_SLOTS, "C_GetSlotList");
	if (!st.removed || !present || count == NULL)
		return real_list.C_GetSlotList(present, list, count);
	/* The real list without the removed slot. */
	if ((rv = real_list.C_GetSlotList(present, NULL, &n)) != CKR_OK)
		return rv;
	if ((all = calloc(n + 1, sizeof(*all))) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = real_list.C_GetSlotList(present, all, &n)) == CKR_OK) {
		for (i = m = 0; i < n; i++)
			if (!slot_removed(all[i]))
				all[m++] = all[i];
		if (list != NULL && *count < m)
			rv = CKR_BUFFER_TOO_SMALL;
		else if (list != NULL)
			memcpy(list, all, m * sizeof(*all));
		*count = m;
	}
	free(all);
	return rv;
}

static CK_RV
fk_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	CK_RV rv;

	rv = real_list.C_GetSlotInfo(slot, info);
	if (rv == CKR_OK && slot_removed(slot))
		info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
	return rv;
}

/* A blank-padded PKCS#11 string. */
static void
pad(CK_UTF8CHAR *out, size_t n, const char *s)
{
	memset(out, ' ', n);
	memcpy(out, s, strlen(s) < n ? strlen(s) : n);
}

static CK_FLAGS
pin_flags(CK_FLAGS flags)
{
	flags &= ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
	    CKF_USER_PIN_LOCKED);
	switch (st.pin) {
	case PIN_LOW:
		return flags | CKF_USER_PIN_COUNT_LOW;
	case PIN_FINAL:
		return flags | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY;
	case PIN_LOCKED:
		return flags | CKF_USER_PIN_LOCKED;
	default:
		return flags;
	}
}

static CK_RV
fk_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	char rvbuf[32], label[33] = "?";
	CK_FLAGS fl = 0;
	CK_RV rv;

	if (slot_removed(slot))
		rv = CKR_TOKEN_NOT_PRESENT;
	else if ((rv = real_list.C_GetTokenInfo(slot, info)) == CKR_OK) {
		if (st.pin != PIN_REAL && is_target(info))
			info->flags = pin_flags(info->flags);
		if (st.yubikey && is_target(info)) {
			pad(info->manufacturerID, sizeof(info->manufacturerID),
			    "Yubico (www.yubico.com)");
			pad(info->model, sizeof(info->model), "YubiKey YK5");
		}
		fl = info->flags;
		label_str(info->label, label);
	}
	flog("C_GetTokenInfo slot=%lu token=%s rv=%s flags=0x%lx%s%s%s",
	    (unsigned long)slot, label, RV(rv), (unsigned long)fl,
	    fl & CKF_USER_PIN_COUNT_LOW ? " USER_PIN_COUNT_LOW" : "",
	    fl & CKF_USER_PIN_FINAL_TRY ? " USER_PIN_FINAL_TRY" : "",
	    fl & CKF_USER_PIN_LOCKED ? " USER_PIN_LOCKED" : "");
	return rv;
}

/* ---- sessions and login ---------------------------------------------- */

static CK_RV
fk_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app,
    CK_NOTIFY notify, CK_SESSION_HANDLE_PTR h)
{
	char rvbuf[32], label[33];
	CK_RV rv, r2;

	if (slot_removed(slot))
		rv = CKR_TOKEN_NOT_PRESENT;
	else
		rv = real_list.C_OpenSession(slot, flags, app, notify, h);
	flog("C_OpenSession slot=%lu rv=%s", (unsigned long)slot, RV(rv));
	if (rv == CKR_OK && st.logged_in[0] != '\0' && !st.logged_in_done &&
	    session_token(*h, label)) {
		st.logged_in_done = 1;
		r2 = real_list.C_Login(*h, CKU_USER,
		    (CK_UTF8CHAR_PTR)st.logged_in, strlen(st.logged_in));
		flog("fault: token %s logged in before the caller: %s", label,
		    p11_rv_name(r2, rvbuf, sizeof(rvbuf)));
	}
	return rv;
}

static CK_RV
fk_CloseSession(CK_SESSION_HANDLE h)
{
	char rvbuf[32];
	CK_RV rv;

	rv = real_list.C_CloseSession(h);
	if (st.gone && h == st.gone_h) {
		st.gone = 0;
		rv = CKR_SESSION_HANDLE_INVALID;
	}
	flog("C_CloseSession rv=%s", RV(rv));
	return rv;
}

static const char *
user_name(CK_USER_TYPE u)
{
	switch (u) {
	case CKU_SO:			return "CKU_SO";
	case CKU_USER:			return "CKU_USER";
	case CKU_CONTEXT_SPECIFIC:	return "CKU_CONTEXT_SPECIFIC";
	default:			return "unknown";
	}
}

/* The retry counter of a card, after the real module's answer. */
static void
count_tries(CK_RV rv)
{
	if (rv == CKR_PIN_INCORRECT && st.pin == PIN_LOW)
		st.pin = PIN_FINAL;
	else if (rv == CKR_PIN_INCORRECT && st.pin == PIN_FINAL) {
		st.pin = PIN_LOCKED;
		flog("fault: PIN now locked");
	} else if (rv == CKR_OK && st.pin != PIN_LOCKED)
		st.pin = PIN_REAL;
}

static CK_RV
fk_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
    CK_ULONG len)
{
	char rvbuf[32], lenbuf[32] = "null", label[33];
	int target;
	CK_RV rv;

	if (pin != NULL)
		snprintf(lenbuf, sizeof(lenbuf), "%lu", (unsigned long)len);
	target = session_token(h, label);
	hang_if(HANG_LOGIN, "C_Login");
	if ((rv = blocked(h)) != CKR_OK)
		;
	else if (target && st.login_lie && user == CKU_USER) {
		flog("fault: C_Login says already logged in");
		rv = CKR_USER_ALREADY_LOGGED_IN;
	}
	else if (remove_now(h, RM_LOGIN, "C_Login"))
		rv = CKR_DEVICE_REMOVED;
	else if (target && st.pin == PIN_LOCKED && user != CKU_SO) {
		flog("fault: PIN locked");
		rv = CKR_PIN_LOCKED;
	} else {
		rv = real_list.C_Login(h, user, pin, len);
		if (target && user != CKU_SO)
			count_tries(rv);
		if (rv == CKR_OK && target && st.remove_at == RM_SESSION &&
		    !st.gone_done) {
			st.gone = st.gone_done = 1;
			st.gone_h = h;
			real_list.C_Logout(h);
			flog("fault: session gone after C_Login");
		}
	}
	flog("C_Login token=%s user=%s pin_len=%s rv=%s", label,
	    user_name(user), lenbuf, RV(rv));
	return rv;
}

static CK_RV
fk_Logout(CK_SESSION_HANDLE h)
{
	char rvbuf[32];
	CK_RV rv;

	if ((rv = blocked(h)) == CKR_OK)
		rv = real_list.C_Logout(h);
	flog("C_Logout rv=%s", RV(rv));
	return rv;
}

static CK_RV
fk_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	CK_RV rv;

	if ((rv = blocked(h)) != CKR_OK)
		return rv;
	return real_list.C_GetSessionInfo(h, info);
}

/* ---- objects ---------------------------------------------------------- */

static const char *
class_name(CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_OBJECT_CLASS c;
	CK_ULONG i;

	for (i = 0; t != NULL && i < n; i++) {
		if (t[i].type != CKA_CLASS || t[i].pValue == NULL ||
		    t[i].ulValueLen != sizeof(c))
			continue;
		memcpy(&c, t[i].pValue, sizeof(c));
		switch (c) {
		case CKO_CERTIFICATE:	return "CKO_CERTIFICATE";
		case CKO_PRIVATE_KEY:	return "CKO_PRIVATE_KEY";
		case CKO_PUBLIC_KEY:	return "CKO_PUBLIC_KEY";
		case CKO_DATA:		return "CKO_DATA";
		default:		return "other";
		}
	}
	return "any";
}

static CK_RV
fk_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	char rvbuf[32];
	CK_RV rv;

	if ((rv = blocked(h)) == CKR_OK)
		rv = real_list.C_FindObjectsInit(h, t, n);
	flog("C_FindObjectsInit class=%s rv=%s", class_name(t, n), RV(rv));
	return rv;
}

static CK_RV
fk_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR obj, CK_ULONG max,
    CK_ULONG_PTR count)
{
	CK_RV rv;

	if ((rv = blocked(h)) != CKR_OK)
		return rv;
	if (remove_now(h, RM_FIND, "C_FindObjects"))
		return CKR_TOKEN_NOT_PRESENT;
	hang_if(HANG_FIND, "C_FindObjects");
	return real_list.C_FindObjects(h, obj, max, count);
}

static CK_RV
fk_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	CK_RV rv;

	if ((rv = blocked(h)) != CKR_OK)
		return rv;
	return real_list.C_FindObjectsFinal(h);
}

/*
 * FAKEP11_HUGE_VALUE: the real module fills in everything but CKA_VALUE,
 * whose length is then reported as st.huge.
 */
static CK_RV
huge_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR t,
    CK_ULONG n)
{
	CK_ATTRIBUTE_PTR c;
	CK_ULONG i;
	CK_RV rv, r2;

	if ((c = calloc(n, sizeof(*c))) == NULL)
		return CKR_HOST_MEMORY;
	memcpy(c, t, n * sizeof(*c));
	for (i = 0; i < n; i++)
		if (c[i].type == CKA_VALUE)
			c[i].pValue = NULL;
	rv = real_list.C_GetAttributeValue(h, obj, c, n);
	for (i = 0; i < n; i++) {
		if (t[i].type != CKA_VALUE ||
		    c[i].ulValueLen == CK_UNAVAILABLE_INFORMATION) {
			t[i].ulValueLen = c[i].ulValueLen;
		} else if (t[i].pValue == NULL) {
			t[i].ulValueLen = st.huge;
			flog("fault: CKA_VALUE length %lu reported as %lu",
			    (unsigned long)c[i].ulValueLen,
			    (unsigned long)st.huge);
		} else if (t[i].ulValueLen < st.huge) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			if (rv == CKR_OK)
				rv = CKR_BUFFER_TOO_SMALL;
			flog("fault: CKA_VALUE buffer too small");
		} else {
			/* A buffer that big gets the real value. */
			r2 = real_list.C_GetAttributeValue(h, obj, &t[i], 1);
			if (rv == CKR_OK)
				rv = r2;
		}
	}
	free(c);
	return rv;
}

/* FAKEP11_KEY_TYPE, _NO_SIGN, _ATTR_GROW on one attribute the module filled. */
static void
attr_lie(CK_ATTRIBUTE_PTR a)
{
	CK_BBOOL no = CK_FALSE;

	if (a->pValue == NULL || a->ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return;
	if (st.key_type_set && a->type == CKA_KEY_TYPE &&
	    a->ulValueLen == sizeof(st.key_type) &&
	    memcmp(a->pValue, &st.key_type, sizeof(st.key_type)) != 0) {
		memcpy(a->pValue, &st.key_type, sizeof(st.key_type));
		flog("fault: CKA_KEY_TYPE changed");
	}
	if (st.no_sign && a->type == CKA_SIGN && a->ulValueLen == sizeof(no)) {
		memcpy(a->pValue, &no, sizeof(no));
		flog("fault: CKA_SIGN false");
	}
	if (st.attr_grow && a->type == st.grow_type) {
		flog("fault: attribute 0x%lx length %lu reported as %lu",
		    (unsigned long)a->type, (unsigned long)a->ulValueLen,
		    (unsigned long)(a->ulValueLen + st.attr_grow));
		a->ulValueLen += st.attr_grow;
	}
}

static CK_RV
fk_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
    CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_ULONG i;
	CK_RV rv;

	if ((rv = blocked(h)) != CKR_OK)
		return rv;
	if (st.huge != 0 && t != NULL)
		for (i = 0; i < n; i++)
			if (t[i].type == CKA_VALUE)
				return huge_value(h, obj, t, n);
	rv = real_list.C_GetAttributeValue(h, obj, t, n);
	for (i = 0; t != NULL && i < n; i++)
		attr_lie(&t[i]);
	return rv;
}

/* ---- mechanisms -------------------------------------------------------- */

static CK_RV
fk_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
    CK_ULONG_PTR count)
{
	CK_MECHANISM_TYPE_PTR all;
	CK_ULONG n, i, m;
	CK_RV rv;

	if (!st.no_mech_set || count == NULL)
		return real_list.C_GetMechanismList(slot, list, count);
	if ((rv = real_list.C_GetMechanismList(slot, NULL, &n)) != CKR_OK)
		return rv;
	if ((all = calloc(n + 1, sizeof(*all))) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = real_list.C_GetMechanismList(slot, all, &n)) == CKR_OK) {
		for (i = m = 0; i < n; i++)
			if (all[i] != st.no_mech)
				all[m++] = all[i];
		if (list != NULL && *count < m)
			rv = CKR_BUFFER_TOO_SMALL;
		else if (list != NULL)
			memcpy(list, all, m * sizeof(*all));
		*count = m;
	}
	free(all);
	return rv;
}

static CK_RV
fk_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
    CK_MECHANISM_INFO_PTR info)
{
	char rvbuf[32];
	CK_RV rv;

	if (st.no_mech_set && type == st.no_mech)
		rv = CKR_MECHANISM_INVALID;
	else
		rv = real_list.C_GetMechanismInfo(slot, type, info);
	flog("C_GetMechanismInfo mech=0x%lx rv=%s", (unsigned long)type, RV(rv));
	return rv;
}

/* ---- signatures ------------------------------------------------------- */

static CK_RV
fk_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
	char rvbuf[32];
	CK_RV rv;

	st.quirk_fired = 0;
	if ((rv = blocked(h)) == CKR_OK)
		rv = real_list.C_SignInit(h, mech, key);
	flog("C_SignInit mech=0x%lx rv=%s",
	    mech != NULL ? (unsigned long)mech->mechanism : 0UL, RV(rv));
	return rv;
}

/* FAKEP11_BUFFER_QUIRK for C_Sign. */
static CK_RV
quirky_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inlen,
    CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	CK_ULONG need;
	CK_RV rv;

	if (out == NULL) {
		rv = real_list.C_Sign(h, in, inlen, NULL, outlen);
		if (rv == CKR_OK && *outlen > 0) {
			*outlen -= 1;
			flog("fault: signature length one byte short");
		}
		return rv;
	}
	if (st.quirk_fired)
		return real_list.C_Sign(h, in, inlen, out, outlen);
	st.quirk_fired = 1;
	if ((rv = real_list.C_Sign(h, in, inlen, NULL, &need)) != CKR_OK)
		return rv;
	*outlen = need;
	flog("fault: CKR_BUFFER_TOO_SMALL once");
	return CKR_BUFFER_TOO_SMALL;
}

static CK_RV
fk_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inlen, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen)
{
	char rvbuf[32], obuf[32] = "null", lbuf[32] = "";
	CK_RV rv;

	if (out != NULL && outlen != NULL)
		snprintf(obuf, sizeof(obuf), "%lu", (unsigned long)*outlen);
	if ((rv = blocked(h)) != CKR_OK)
		;
	else if (out != NULL && remove_now(h, RM_SIGN, "C_Sign"))
		rv = CKR_DEVICE_REMOVED;
	else if (st.quirk && outlen != NULL)
		rv = quirky_sign(h, in, inlen, out, outlen);
	else {
		if (out != NULL)
			hang_if(HANG_SIGN, "C_Sign");
		rv = real_list.C_Sign(h, in, inlen, out, outlen);
	}
	if (rv == CKR_OK && out != NULL && outlen != NULL && st.sign_len) {
		flog("fault: signature length %lu reported as %lu",
		    (unsigned long)*outlen, (unsigned long)st.sign_len);
		*outlen = st.sign_len;
	}
	if ((rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL) && outlen != NULL)
		snprintf(lbuf, sizeof(lbuf), " len=%lu",
		    (unsigned long)*outlen);
	flog("C_Sign in=%lu out=%s rv=%s%s", (unsigned long)inlen, obuf,
	    RV(rv), lbuf);
	return rv;
}

static CK_RV
fk_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inlen)
{
	CK_RV rv;

	if ((rv = blocked(h)) != CKR_OK)
		return rv;
	return real_list.C_SignUpdate(h, in, inlen);
}

static CK_RV
fk_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	char rvbuf[32], obuf[32] = "null", lbuf[32] = "";
	CK_RV rv;

	if (out != NULL && outlen != NULL)
		snprintf(obuf, sizeof(obuf), "%lu", (unsigned long)*outlen);
	if ((rv = blocked(h)) != CKR_OK)
		;
	else if (out != NULL && remove_now(h, RM_SIGN, "C_SignFinal"))
		rv = CKR_DEVICE_REMOVED;
	else
		rv = real_list.C_SignFinal(h, out, outlen);
	if ((rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL) && outlen != NULL)
		snprintf(lbuf, sizeof(lbuf), " len=%lu",
		    (unsigned long)*outlen);
	flog("C_SignFinal out=%s rv=%s%s", obuf, RV(rv), lbuf);
	return rv;
}

/* ---- the entry point ---------------------------------------------------- */

static int
load_real(void)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST_PTR list = NULL;
	const char *path;
	void *dl;

	path = getenv("FAKEP11_MODULE");
	if (path == NULL || *path == '\0')
		path = DEFAULT_MODULE;
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "fakep11: %s\n", dlerror());
		return -1;
	}
	/* The module stays loaded: unloading SoftHSM mid-process is unsafe. */
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&list) != CKR_OK || list == NULL) {
		fprintf(stderr, "fakep11: %s: no C_GetFunctionList\n", path);
		return -1;
	}
	real_list = *list;
	fake_list = *list;
	fake_list.C_Initialize = fk_Initialize;
	fake_list.C_Finalize = fk_Finalize;
	fake_list.C_GetFunctionList = C_GetFunctionList;
	fake_list.C_GetSlotList = fk_GetSlotList;
	fake_list.C_GetSlotInfo = fk_GetSlotInfo;
	fake_list.C_GetTokenInfo = fk_GetTokenInfo;
	fake_list.C_OpenSession = fk_OpenSession;
	fake_list.C_CloseSession = fk_CloseSession;
	fake_list.C_GetSessionInfo = fk_GetSessionInfo;
	fake_list.C_Login = fk_Login;
	fake_list.C_Logout = fk_Logout;
	fake_list.C_FindObjectsInit = fk_FindObjectsInit;
	fake_list.C_FindObjects = fk_FindObjects;
	fake_list.C_FindObjectsFinal = fk_FindObjectsFinal;
	fake_list.C_GetAttributeValue = fk_GetAttributeValue;
	fake_list.C_SignInit = fk_SignInit;
	fake_list.C_GetMechanismList = fk_GetMechanismList;
	fake_list.C_GetMechanismInfo = fk_GetMechanismInfo;
	fake_list.C_Sign = fk_Sign;
	fake_list.C_SignUpdate = fk_SignUpdate;
	fake_list.C_SignFinal = fk_SignFinal;
	if (getenv("FAKEP11_NULL_SIGN") != NULL)
		fake_list.C_Sign = NULL;
	return 0;
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!loaded) {
		if (load_real() != 0)
			return CKR_GENERAL_ERROR;
		loaded = 1;
	}
	*list = &fake_list;
	return CKR_OK;
}
