/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_report.c - "ykpamcfg check"'s findings as text or as JSON.  What
 * is found and what it means is check.c's; this file only prints it.
 */
#include "config.h"

#include <stdio.h>

#include <json-c/json.h>

#include "check.h"

static const char *const level_names[] = { "ok", "info", "warn", "deny" };

static void
line_text(const struct entry *e, char *out, size_t len)
{
	size_t o = 0;
	char shown[220];

	if (e->pl != NULL)
		o = (size_t)snprintf(out, len, "%s:%u: %s %s %s", e->pl->file,
		    e->pl->lineno, e->pl->type, e->pl->control, e->pl->module);
	else
		o = (size_t)snprintf(out, len, "--args:");
	for (int i = 0; i < e->argc && o < len; i++) {
		shown_arg(e->argv[i], shown, sizeof(shown));
		o += (size_t)snprintf(out + o, len - o, " %s", shown);
	}
}

void
ck_print_text(const char *uesc, const char *service, const struct entry *es,
    size_t n, const struct pam_lines *pl, bool deny)
{
	char line[2048];

	printf("ykpamcfg check: user %s\n", uesc);
	for (size_t i = 0; pl != NULL && i < pl->nproblems; i++)
		printf("warn: %s\n", pl->problems[i]);
	if (n == 0)
		printf("deny: no auth line of %s uses pam_yk.so\n", service);
	for (size_t i = 0; i < n; i++) {
		line_text(&es[i], line, sizeof(line));
		printf("%s\n", line);
		for (size_t j = 0; j < es[i].nf; j++)
			printf("  %s: %s\n", level_names[es[i].f[j].level],
			    es[i].f[j].text);
		printf("  => %s: %s\n", level_names[es[i].verdict],
		    es[i].summary);
	}
	printf("result: %s\n", deny ? "deny" : "ok");
}

static json_object *
entry_json(const struct entry *e)
{
	json_object *j = json_object_new_object(), *a = json_object_new_array();
	json_object *fs = json_object_new_array();
	char shown[220];

	if (e->pl != NULL) {
		json_object_object_add(j, "file", json_object_new_string(e->pl->file));
		json_object_object_add(j, "line", json_object_new_int((int)e->pl->lineno));
		json_object_object_add(j, "type", json_object_new_string(e->pl->type));
		json_object_object_add(j, "control",
		    json_object_new_string(e->pl->control));
		json_object_object_add(j, "module",
		    json_object_new_string(e->pl->module));
	}
	for (int i = 0; i < e->argc; i++) {
		shown_arg(e->argv[i], shown, sizeof(shown));
		json_object_array_add(a, json_object_new_string(shown));
	}
	json_object_object_add(j, "args", a);
	json_object_object_add(j, "mode", e->mode ? json_object_new_string(e->mode) :
	    NULL);
	for (size_t i = 0; i < e->nf; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "level",
		    json_object_new_string(level_names[e->f[i].level]));
		json_object_object_add(f, "topic",
		    json_object_new_string(e->f[i].topic));
		json_object_object_add(f, "text",
		    json_object_new_string(e->f[i].text));
		json_object_array_add(fs, f);
	}
	json_object_object_add(j, "findings", fs);
	json_object_object_add(j, "verdict",
	    json_object_new_string(level_names[e->verdict]));
	json_object_object_add(j, "outcome", e->outcome ?
	    json_object_new_string(e->outcome) : NULL);
	json_object_object_add(j, "pam_code", e->pam_code ?
	    json_object_new_string(e->pam_code) : NULL);
	json_object_object_add(j, "summary", json_object_new_string(e->summary));
	return j;
}

int
ck_print_json(const char *user, const char *service, const struct entry *es,
    size_t n, const struct pam_lines *pl, bool deny)
{
	json_object *j = json_object_new_object(), *a, *p;

	if (j == NULL)
		return -1;
	json_object_object_add(j, "user", json_object_new_string(user));
	json_object_object_add(j, "service", service ?
	    json_object_new_string(service) : NULL);
	json_object_object_add(j, "result",
	    json_object_new_string(deny ? "deny" : "ok"));
	p = json_object_new_array();
	for (size_t i = 0; pl != NULL && i < pl->nproblems; i++)
		json_object_array_add(p, json_object_new_string(pl->problems[i]));
	json_object_object_add(j, "problems", p);
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, entry_json(&es[i]));
	json_object_object_add(j, "lines", a);
	printf("%s\n", json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return 0;
}
