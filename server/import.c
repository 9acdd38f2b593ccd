/* SPDX-License-Identifier: BSD-2-Clause */
/* import.c - parse key provisioning logs (pure) */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "modhex.h"

#define MAX_FIELDS	24
#define MAX_LINE	4096

/* Split s in place on ',' after trimming each field; returns the count. */
static size_t
split_fields(char *s, char *f[MAX_FIELDS])
{
	size_t n = 0;
	char *p = s;

	for (;;) {
		char *comma = strchr(p, ','), *end;

		if (n == MAX_FIELDS)
			return n + 1;	/* too many: the caller refuses */
		if (comma != NULL)
			*comma = '\0';
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		f[n++] = p;
		if (comma == NULL)
			return n;
		p = comma + 1;
	}
}

static bool
is_decimal(const char *s)
{
	if (*s == '\0' || strlen(s) > 10)
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static enum import_line
fill(char *const f[3], long serial, struct key_rec *out, const char **errstr)
{
	size_t idlen = strlen(f[0]);

	if (idlen == 0 || idlen > YK_PUBID_MAX || !modhex_valid(f[0], idlen)) {
		*errstr = "public ID must be 1 to 16 modhex characters";
		return IMPORT_ERROR;
	}
	if (strlen(f[1]) != 2 * YK_UID_LEN ||
	    hex_decode(f[1], YK_UID_LEN, out->private_id) != 0) {
		*errstr = "private ID must be 12 hex digits";
		return IMPORT_ERROR;
	}
	if (strlen(f[2]) != 2 * YK_AES_LEN ||
	    hex_decode(f[2], YK_AES_LEN, out->aes) != 0) {
		*errstr = "AES key must be 32 hex digits";
		return IMPORT_ERROR;
	}
	memcpy(out->public_id, f[0], idlen + 1);
	out->serial = serial;
	return IMPORT_KEY;
}

enum import_line
import_parse_line(const char *line, struct key_rec *out, const char **errstr)
{
	char buf[MAX_LINE], *f[MAX_FIELDS], *hash;
	size_t len = strcspn(line, "\r\n"), n;
	enum import_line r = IMPORT_ERROR;

	memset(out, 0, sizeof(*out));
	*errstr = "line too long";
	if (len >= sizeof(buf))
		return IMPORT_ERROR;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if ((hash = strchr(buf, '#')) != NULL)
		*hash = '\0';
	if ((n = split_fields(buf, f)) > MAX_FIELDS) {
		*errstr = "too many fields";
		goto out;
	}
	if (n == 1 && *f[0] == '\0') {
		r = IMPORT_SKIP;
		goto out;
	}
	if (strcasecmp(f[0], "Yubico OTP") == 0) {
		if (n < 6) {
			*errstr = "Personalization Tool line has too few fields";
			goto out;
		}
		r = fill(&f[3], 0, out, errstr);
	} else if (*f[0] == '\0' || is_decimal(f[0])) {
		if (n < 4) {
			*errstr = "expected serial,public_id,private_id,aes_key";
			goto out;
		}
		r = fill(&f[1], *f[0] ? strtol(f[0], NULL, 10) : 0, out, errstr);
	} else if (isalpha((unsigned char)*f[0])) {
		/* A header, LOGGING START, or another slot type. */
		r = IMPORT_SKIP;
	} else {
		*errstr = "first field is neither a serial number nor a type";
	}
out:
	explicit_bzero(buf, sizeof(buf));
	return r;
}
