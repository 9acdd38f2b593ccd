/* SPDX-License-Identifier: BSD-2-Clause */
/* response.c - parse a verify reply and decide what it is worth (pure) */
#include "config.h"

#include <string.h>

#include "client.h"
#include "response.h"

static const struct {
	const char	*name;
	enum vc_class	cls;	/* when trusted */
} statuses[] = {
	{ "OK",			VC_CLASS_OK },
	{ "REPLAYED_OTP",	VC_CLASS_REPLAYED },
	{ "BAD_OTP",		VC_CLASS_BAD_OTP },
	{ "REPLAYED_REQUEST",	VC_CLASS_NONE },
	{ "BACKEND_ERROR",	VC_CLASS_NONE },
	{ "NO_SUCH_CLIENT",	VC_CLASS_NONE },
	{ "BAD_SIGNATURE",	VC_CLASS_NONE },
	{ "MISSING_PARAMETER",	VC_CLASS_NONE },
	{ "NOT_ENOUGH_ANSWERS",	VC_CLASS_NONE },
	{ "OPERATION_NOT_ALLOWED", VC_CLASS_NONE },
	{ "DELAYED_OTP",	VC_CLASS_NONE },
};

static int
parse_line(char *line, struct yk_params *out, const char **errstr)
{
	char *eq = strchr(line, '=');

	for (const char *c = line; *c != '\0'; c++) {
		if (*c < 0x20 || *c > 0x7e) {
			*errstr = "parse error: control or non-ASCII byte";
			return -1;
		}
	}
	if (eq == NULL || eq == line) {
		*errstr = "parse error: not key=value";
		return -1;
	}
	*eq = '\0';
	if (strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_") != (size_t)(eq - line)) {
		*errstr = "parse error: bad key";
		return -1;
	}
	if (params_get(out, line) != NULL) {
		*errstr = "parse error: duplicate key";
		return -1;
	}
	if (params_set(out, line, eq + 1) != 0) {
		*errstr = "parse error: too many lines";
		return -1;
	}
	return 0;
}

int
response_parse(const char *body, size_t len, struct yk_params *out,
    const char **errstr)
{
	char line[VC_REPLY_MAX + 1];
	size_t i = 0;
	bool blank = false;
	int r = -1;

	out->n = 0;
	if (len > VC_REPLY_MAX) {
		*errstr = "reply too long";
		goto out;
	}
	if (memchr(body, '\0', len) != NULL) {
		*errstr = "parse error: NUL byte";
		goto out;
	}
	while (i < len) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - body) : len;
		size_t ll = end - i;

		if (ll > 0 && body[end - 1] == '\r')
			ll--;
		if (ll == 0) {
			blank = true;
		} else if (blank) {
			*errstr = "parse error: text after a blank line";
			goto out;
		} else {
			memcpy(line, body + i, ll);
			line[ll] = '\0';
			if (parse_line(line, out, errstr) != 0)
				goto out;
		}
		i = end + 1;
	}
	if (out->n == 0) {
		*errstr = "empty reply";
		goto out;
	}
	r = 0;
out:
	explicit_bzero(line, sizeof(line));
	if (r != 0)
		params_wipe(out);
	return r;
}

/* An echo that is there must match; need: it must be there. */
static bool
echo_ok(const struct yk_params *reply, const char *key, const char *sent,
    bool need)
{
	const char *v = params_get(reply, key);

	return v == NULL ? !need : strcmp(v, sent) == 0;
}

enum vc_class
response_classify(const struct yk_params *reply, const struct vc_sent *sent,
    const char **why)
{
	const char *status = params_get(reply, "status");
	enum vc_class cls;
	size_t i;

	if (status == NULL) {
		*why = "no status";
		return VC_CLASS_NONE;
	}
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(status, statuses[i].name) == 0)
			break;
	if (i == sizeof(statuses) / sizeof(statuses[0])) {
		*why = "unknown status";
		return VC_CLASS_NONE;
	}
	*why = statuses[i].name;
	if ((cls = statuses[i].cls) == VC_CLASS_NONE)
		return VC_CLASS_NONE;	/* whoever signed it, not a verdict */
	if (sent->keylen > 0 && params_get(reply, "h") == NULL) {
		*why = "unsigned reply";
		return VC_CLASS_NONE;
	}
	if (sent->keylen > 0 &&
	    !params_verify(reply, sent->key, sent->keylen)) {
		*why = "bad signature";
		return VC_CLASS_NONE;
	}
	if (!echo_ok(reply, "otp", sent->otp, cls != VC_CLASS_BAD_OTP)) {
		*why = "otp mismatch";
		return VC_CLASS_NONE;
	}
	if (!echo_ok(reply, "nonce", sent->nonce, cls != VC_CLASS_BAD_OTP)) {
		*why = "nonce mismatch";
		return VC_CLASS_NONE;
	}
	return cls;
}

enum vc_class
response_check(const char *body, size_t len, const struct vc_sent *sent,
    const char **why)
{
	struct yk_params p = { .n = 0 };
	enum vc_class cls;

	if (response_parse(body, len, &p, why) != 0)
		return VC_CLASS_NONE;
	cls = response_classify(&p, sent, why);
	params_wipe(&p);
	return cls;
}
