/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * p11drive.c - drive a PKCS#11 module through a script of steps given as
 * arguments, one output line per step, for tests/fakep11.sh: several
 * calls in one process, as pam_yk makes them, which pkcs11-tool cannot.
 *
 *   p11drive MODULE STEP...
 *
 *   slots		"slots N": slots with a token present
 *   flags LABEL	"flags LABEL [COUNT_LOW] [FINAL_TRY] [LOCKED]", or
 *			"flags LABEL CKR_..." when C_GetTokenInfo fails
 *   open LABEL		"open R": a session on the token LABEL (the current
 *			one from now on; the previous one stays open); a
 *			token once found is asked for by its slot even
 *			when it is no longer listed
 *   login PIN		"login R" (CKU_USER)
 *   sign ID IN OUT	"sign R len=N tries=T": CKM_ECDSA with the private
 *			key of CKA_ID ID (hex) over the bytes of file IN,
 *			as a careful caller: the length query, then the
 *			call, retried (3 at most) with the length the
 *			module writes back on CKR_BUFFER_TOO_SMALL; the
 *			signature goes to OUT
 *   value ID		"value R len=L" for the length of CKA_VALUE of the
 *			certificate of CKA_ID ID, then "value R len=L" for
 *			the value itself into a buffer of min(L, 65536)
 *			bytes (L: a number or "unavailable")
 *   close		"close R"
 *
 * R is a CKR_ name.  Exit status 0 unless the module cannot be used at
 * all or a step is malformed.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "p11names.h"

#define VALUE_CAP	65536

static CK_FUNCTION_LIST_PTR p;
static CK_SESSION_HANDLE sess;
static char rvbuf[32];

#define RV(rv)	p11_rv_name((rv), rvbuf, sizeof(rvbuf))

/*
 * The slot of the token LABEL.  Slots once found are remembered, so a
 * token that went away is still asked for by its slot.
 */
static int
find_slot(const char *label, CK_SLOT_ID *out)
{
	static struct { char label[33]; CK_SLOT_ID slot; } seen[16];
	static int nseen;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	size_t len = strlen(label);
	int k;

	if (len > 32)
		return -1;
	for (k = 0; k < nseen; k++)
		if (strcmp(seen[k].label, label) == 0) {
			*out = seen[k].slot;
			return 0;
		}
	if (p->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return -1;
	for (i = 0; i < n; i++) {
		if (p->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    memcmp(ti.label, label, len) != 0 ||
		    (len < 32 && ti.label[len] != ' '))
			continue;
		if (nseen < 16) {
			strcpy(seen[nseen].label, label);
			seen[nseen++].slot = slots[i];
		}
		*out = slots[i];
		return 0;
	}
	return -1;
}

/* The object of class cls with CKA_ID hex. */
static CK_RV
find_object(CK_OBJECT_CLASS cls, const char *hex, CK_OBJECT_HANDLE *obj)
{
	unsigned char id[64];
	size_t n = 0;
	unsigned int b;
	CK_ATTRIBUTE t[2];
	CK_ULONG count = 0;
	CK_RV rv;

	while (hex[2 * n] != '\0' && n < sizeof(id) &&
	    sscanf(hex + 2 * n, "%2x", &b) == 1)
		id[n++] = (unsigned char)b;
	t[0].type = CKA_CLASS;
	t[0].pValue = &cls;
	t[0].ulValueLen = sizeof(cls);
	t[1].type = CKA_ID;
	t[1].pValue = id;
	t[1].ulValueLen = n;
	if ((rv = p->C_FindObjectsInit(sess, t, 2)) != CKR_OK)
		return rv;
	rv = p->C_FindObjects(sess, obj, 1, &count);
	if (rv == CKR_OK && count != 1)
		rv = CKR_OBJECT_HANDLE_INVALID;
	p->C_FindObjectsFinal(sess);
	return rv;
}

static CK_RV
sign(CK_OBJECT_HANDLE key, const unsigned char *in, CK_ULONG inlen,
    unsigned char **sig, CK_ULONG *siglen, int *tries)
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	unsigned char *buf;
	CK_ULONG len;
	CK_RV rv;

	*sig = NULL;
	*tries = 0;
	if ((rv = p->C_SignInit(sess, &mech, key)) != CKR_OK)
		return rv;
	rv = p->C_Sign(sess, (CK_BYTE_PTR)in, inlen, NULL, &len);
	if (rv != CKR_OK)
		return rv;
	do {
		if (len == 0 || len > VALUE_CAP ||
		    (buf = realloc(*sig, len)) == NULL)
			return CKR_HOST_MEMORY;
		*sig = buf;
		(*tries)++;
		rv = p->C_Sign(sess, (CK_BYTE_PTR)in, inlen, buf, &len);
	} while (rv == CKR_BUFFER_TOO_SMALL && *tries < 3);
	*siglen = len;
	return rv;
}

static int
step_sign(const char *id, const char *inpath, const char *outpath)
{
	unsigned char in[128], *sig = NULL;
	CK_OBJECT_HANDLE key;
	CK_ULONG siglen = 0;
	size_t inlen;
	FILE *f;
	int tries = 0;
	CK_RV rv;

	if ((f = fopen(inpath, "rb")) == NULL)
		return -1;
	inlen = fread(in, 1, sizeof(in), f);
	fclose(f);
	if ((rv = find_object(CKO_PRIVATE_KEY, id, &key)) == CKR_OK)
		rv = sign(key, in, inlen, &sig, &siglen, &tries);
	if (rv == CKR_OK && sig != NULL && (f = fopen(outpath, "wb")) != NULL) {
		fwrite(sig, 1, siglen, f);
		fclose(f);
	}
	printf("sign %s len=%lu tries=%d\n", RV(rv),
	    rv == CKR_OK ? (unsigned long)siglen : 0UL, tries);
	free(sig);
	return 0;
}

static void
print_value(CK_RV rv, CK_ULONG len)
{
	if (len == CK_UNAVAILABLE_INFORMATION)
		printf("value %s len=unavailable\n", RV(rv));
	else
		printf("value %s len=%lu\n", RV(rv), (unsigned long)len);
}

static void
step_value(const char *id)
{
	CK_ATTRIBUTE a = { CKA_VALUE, NULL, 0 };
	CK_OBJECT_HANDLE cert;
	CK_RV rv;

	if ((rv = find_object(CKO_CERTIFICATE, id, &cert)) != CKR_OK) {
		printf("value %s\n", RV(rv));
		return;
	}
	rv = p->C_GetAttributeValue(sess, cert, &a, 1);
	print_value(rv, a.ulValueLen);
	if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return;
	if (a.ulValueLen > VALUE_CAP)
		a.ulValueLen = VALUE_CAP;
	if ((a.pValue = malloc(a.ulValueLen + 1)) == NULL)
		return;
	rv = p->C_GetAttributeValue(sess, cert, &a, 1);
	print_value(rv, a.ulValueLen);
	free(a.pValue);
}

static void
step_flags(const char *label)
{
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	CK_RV rv;

	if (find_slot(label, &slot) != 0)
		rv = CKR_TOKEN_NOT_PRESENT;
	else
		rv = p->C_GetTokenInfo(slot, &ti);
	if (rv != CKR_OK) {
		printf("flags %s %s\n", label, RV(rv));
		return;
	}
	printf("flags %s%s%s%s\n", label,
	    ti.flags & CKF_USER_PIN_COUNT_LOW ? " COUNT_LOW" : "",
	    ti.flags & CKF_USER_PIN_FINAL_TRY ? " FINAL_TRY" : "",
	    ti.flags & CKF_USER_PIN_LOCKED ? " LOCKED" : "");
}

static int
run(char **s)
{
	CK_SLOT_ID slot;
	CK_ULONG n;
	CK_RV rv;

	if (strcmp(s[0], "slots") == 0) {
		rv = p->C_GetSlotList(CK_TRUE, NULL, &n);
		printf("slots %lu\n", rv == CKR_OK ? (unsigned long)n : 0UL);
		return 1;
	} else if (strcmp(s[0], "flags") == 0 && s[1] != NULL) {
		step_flags(s[1]);
		return 2;
	} else if (strcmp(s[0], "open") == 0 && s[1] != NULL) {
		if (find_slot(s[1], &slot) != 0)
			rv = CKR_TOKEN_NOT_PRESENT;
		else
			rv = p->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL,
			    NULL, &sess);
		printf("open %s\n", RV(rv));
		return 2;
	} else if (strcmp(s[0], "login") == 0 && s[1] != NULL) {
		rv = p->C_Login(sess, CKU_USER, (CK_UTF8CHAR_PTR)s[1],
		    strlen(s[1]));
		printf("login %s\n", RV(rv));
		return 2;
	} else if (strcmp(s[0], "sign") == 0 && s[1] != NULL && s[2] != NULL &&
	    s[3] != NULL) {
		return step_sign(s[1], s[2], s[3]) == 0 ? 4 : -1;
	} else if (strcmp(s[0], "value") == 0 && s[1] != NULL) {
		step_value(s[1]);
		return 2;
	} else if (strcmp(s[0], "close") == 0) {
		printf("close %s\n", RV(p->C_CloseSession(sess)));
		return 1;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	void *dl;
	int i, k;

	if (argc < 2) {
		fprintf(stderr, "usage: p11drive MODULE STEP...\n");
		return 2;
	}
	if ((dl = dlopen(argv[1], RTLD_NOW)) == NULL) {
		fprintf(stderr, "p11drive: %s\n", dlerror());
		return 1;
	}
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&p) != CKR_OK ||
	    p->C_Initialize(NULL) != CKR_OK) {
		fprintf(stderr, "p11drive: %s: cannot initialize\n", argv[1]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 2; i < argc; i += k) {
		if ((k = run(argv + i)) < 0) {
			fprintf(stderr, "p11drive: bad step at %s\n", argv[i]);
			p->C_Finalize(NULL);
			return 2;
		}
	}
	printf("finalize %s\n", RV(p->C_Finalize(NULL)));
	return 0;
}
