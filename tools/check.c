/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check.c - "ykpamcfg check": what pam_yk would do for a user, line by line
 * of a PAM service file, told in plain words (check_report.c prints it).
 * Every answer comes from the module's own code: cfg_parse for the
 * options, mapping_read and af_is_token (authfile/) for the mapping files,
 * cr_files.c for where challenge-response state is and which file a login
 * uses, cr_key.c for the keys, piv_probe for PKCS#11, validation/ for the
 * servers, and yk_pam_final for the PAM code.  It only reads: no file is
 * written, no OTP sent, no challenge, no PIN.  tests/check-agree.sh holds
 * its predictions to the module's answers.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/_pam_types.h>

#include "cr_files.h"
#include "check.h"
#include "cli.h"
#include "log.h"
#include "login.h"
#include "mapping.h"
#include "methods.h"
#include "mono.h"
#include "pamcode.h"
#include "piv_login.h"
#include "privs.h"
#include "request.h"
#include "result.h"
#include "cr_state.h"
#include "otp_helper.h"
#include "cr_key.h"

static const char usage_text[] =
"usage: ykpamcfg check [--json] [--no-network] [-u USER]\n"
"                      (--service FILE | --args 'ARG ARG...')\n"
"  --service FILE  every auth line of the PAM file FILE that uses pam_yk.so\n"
"  --args ARGS     one module argument line instead of a file\n"
"  -u USER         the user to check (default: you)\n"
"  --no-network    do not contact the validation servers\n"
"  --json          print the findings as JSON\n"
"exit status: 0 the setup can let USER in, 1 it denies every login of\n"
"USER on some line, 2 wrong usage\n";

struct opts {
	bool		json, no_network;
	const char	*user, *service, *args;
};

struct ctx {
	const struct opts	*o;
	const char		*user;
	char			uesc[64];	/* the user, escaped */
	struct passwd		pwbuf, *pw;
	int			pwerr;		/* getpwnam_r's error */
	char			pwmem[16384];
	struct yk_log		log;
	/* --service: the stack against the distribution's stock file */
	enum ck_level		stack_level;
	char			stack_text[900];
	const char		*stack_refused;
};

static void add(struct entry *e, enum ck_level level, const char *topic,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add(struct entry *e, enum ck_level level, const char *topic, const char *fmt,
    ...)
{
	struct finding *f;
	va_list ap;

	if (e->nf == MAX_FINDINGS)
		return;
	f = &e->f[e->nf++];
	f->level = level;
	f->topic = topic;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

/* ---- options ------------------------------------------------------------ */

/* An argument as it can be written back: secrets hidden, blanks bracketed. */
void
shown_arg(const char *a, char *out, size_t len)
{
	char esc[200];

	if (cfg_arg_secret(a))
		snprintf(out, len, "%.*s(hidden)", (int)(strchr(a, '=') - a + 1), a);
	else if (strpbrk(a, " \t") != NULL)
		snprintf(out, len, "[%s]", log_escape(a, esc, sizeof(esc)));
	else
		snprintf(out, len, "%s", log_escape(a, esc, sizeof(esc)));
}

/*
 * Each argument alone through cfg's table (cfg_check_arg: its reasons
 * name the option, never a secret value, and name the nearest option of
 * a misspelt one), so that every bad option is named, not just the
 * first; then the whole line, whose verdict is cfg_parse's, as in the
 * module.  0 when it parses.
 */
static int
check_options(struct entry *e, struct cfg *cfg)
{
	char err[512], shown[220];
	int bad = 0;

	for (int i = 0; i < e->argc; i++) {
		if (cfg_check_arg(e->argv[i], err, sizeof(err)) == CFG_OK)
			continue;
		shown_arg(e->argv[i], shown, sizeof(shown));
		add(e, CK_DENY, "options", "option '%s': %s", shown, err);
		bad++;
	}
	if (cfg_parse(e->argc, (const char **)e->argv, cfg, err,
	    sizeof(err)) != CFG_OK) {
		if (bad == 0)
			add(e, CK_DENY, "options", "%s", err);
		add(e, CK_INFO, "options", "the module refuses this line: "
		    "every login fails with PAM_SERVICE_ERR");
		cfg_free(cfg);
		return -1;
	}
	return 0;
}

/* What the accepted options mean for security, and debug_file. */
static int
option_notes(struct entry *e, const struct cfg *cfg)
{
	struct yk_log l;
	const char *why = NULL;
	char url[256];

	if (cfg->conf != NULL)
		add(e, CK_OK, "options", "conf=%s is root's, private, and "
		    "parses", cfg->conf);
	/* cfg_parse's own record of what the line set over conf=. */
	for (size_t i = 0; cfg_options[i].name != NULL; i++) {
		if (!cfg->line_overrides[i])
			continue;
		add(e, CK_DENY, "options", "%s is set in conf=%s and again on "
		    "the PAM line, which overrides the file: keep it in the "
		    "file only", cfg_options[i].name, cfg->conf);
		e->refused = "an option on the PAM line overrides conf=";
	}
	if (cfg->alwaysok)
		add(e, CK_WARN, "options", "alwaysok: every failure but a "
		    "configuration error lets the user in (a test option; "
		    "never in production)");
	if (cfg->verbose_otp)
		add(e, CK_WARN, "options", "verbose_otp: the OTP is shown "
		    "while it is typed");
	if (cfg->nullok)
		add(e, CK_INFO, "options", "nullok: %s", cfg->nmethods == 1 &&
		    cfg->mode == MODE_PIV ?
		    "without a card the module steps aside (PAM_IGNORE)" :
		    "a user without a token or state passes this line by "
		    "(PAM_IGNORE)");
	if (cfg->piv_eku_any && (cfg->modes & CFG_IN_PIV))
		add(e, CK_WARN, "options", "piv_eku=any: certificates for any "
		    "purpose (e-mail, code signing) may log in");
	if (cfg->piv_min_rsa_bits < 2048 && (cfg->modes & CFG_IN_PIV))
		add(e, CK_WARN, "options", "piv_min_rsa_bits=%u: RSA keys "
		    "under 2048 bits are accepted in the chain",
		    cfg->piv_min_rsa_bits);
	if ((cfg->modes & CFG_IN_CLIENT) && !cfg->have_key)
		add(e, CK_WARN, "options", "no key=: the servers' replies "
		    "cannot be authenticated, only TLS protects them");
	for (size_t i = 0; (cfg->modes & CFG_IN_CLIENT) && i < cfg->vc.nurls;
	    i++)
		if (strncmp(cfg->vc.urls[i], "http://", 7) == 0)
			add(e, CK_WARN, "options", "%s is plain http://: OTPs "
			    "travel in clear text (the replies are signed with "
			    "key=)", request_url_shown(cfg->vc.urls[i], url,
			    sizeof(url)));
	if (cfg->debug_file == NULL)
		return 0;
	log_init(&l, "check");
	if (log_open_debug(&l, cfg->debug_file, &why) != 0) {
		add(e, CK_DENY, "options", "%s: every login fails with "
		    "PAM_SERVICE_ERR", why ? why : "debug_file cannot be opened");
		return -1;
	}
	log_close(&l);
	add(e, CK_OK, "options", "debug_file=%s can be appended to",
	    cfg->debug_file);
	return 0;
}

/* Does the module step aside (nullok) for a user without tokens or state? */
static bool
steps_aside(const struct cfg *cfg)
{
	return yk_pam_code(YK_NO_TOKENS, cfg) == PAM_IGNORE;
}

/* ---- mapping files (client and piv modes) -------------------------------- */

/* The user's entries, through the module's mapping_read; reports the file. */
static enum yk_result
mapping(struct ctx *c, struct entry *e, const struct cfg *cfg,
    struct af_entries *ents)
{
	struct mapping_where w;
	enum yk_result r = mapping_read(cfg, &c->log, c->user, c->pw, ents, &w);

	switch (r) {
	case YK_OK:
		add(e, CK_OK, "mapping", "%s is safe to read (owner, mode, "
		    "size)%s", w.path, ents->listed ? "" :
		    ", but has no line for the user");
		break;
	case YK_NO_TOKENS:
		add(e, CK_INFO, "mapping", "%s does not exist", w.path);
		break;
	case YK_USER_UNKNOWN:
		add(e, CK_DENY, "mapping", "no such user %s: there is no home "
		    "for ~/.yubico/authorized_yubikeys", c->uesc);
		break;
	default:
		add(e, CK_DENY, "mapping", "%s %s: every login of %s is denied%s",
		    w.path[0] ? w.path : "the mapping file",
		    w.why ? w.why : "cannot be read", c->uesc,
		    r == YK_SYSTEM && geteuid() != 0 ? " (run this check as "
		    "root)" : "");
		break;
	}
	return r;
}

/* ---- client mode ------------------------------------------------------------ */

static void
list_tokens(struct entry *e, const struct cfg *cfg, const struct af_entries *a,
    const char *uesc)
{
	char ids[300] = "", esc[80];
	const char *eg = NULL;		/* the first other entry */
	size_t n = 0, other = 0, len = 0;

	for (size_t i = 0; i < a->n; i++) {
		const char *t = a->entry[i];

		if (af_is_token(t, cfg->token_id_len)) {
			if (n++ < 8)
				len += (size_t)snprintf(ids + len, sizeof(ids) - len,
				    "%s%s", n > 1 ? ", " : "", t);
		} else if (other++ == 0)
			eg = t;
	}
	if (n > 0)
		add(e, CK_OK, "tokens", "%zu token ID(s) mapped to %s: %s%s", n,
		    uesc, ids, n > 8 ? ", ..." : "");
	if (eg != NULL)
		add(e, CK_INFO, "tokens", "%zu other entr%s of %s (not "
		    "%u-character modhex token IDs, e.g. '%s') %s", other,
		    other == 1 ? "y" : "ies", uesc, cfg->token_id_len,
		    log_escape(eg, esc, 40), "are not used in client mode");
}

static enum yk_result
servers(struct ctx *c, struct entry *e, const struct cfg *cfg)
{
	struct ck_server s[VC_MAX_URLS];
	size_t usable = 0, confirmed = 0, unreachable = 0;
	char url[256];

	if (c->o->no_network) {
		add(e, CK_INFO, "server", "%zu server(s) not contacted "
		    "(--no-network)", cfg->vc.nurls);
		return YK_OK;
	}
	(void)check_servers(cfg, s);
	for (size_t i = 0; i < cfg->vc.nurls; i++) {
		usable += s[i].level != CK_DENY;
		confirmed += s[i].confirmed;
		unreachable += s[i].unreachable;
	}
	/* One bad server among good ones does not deny: it is a warning. */
	for (size_t i = 0; i < cfg->vc.nurls; i++)
		add(e, s[i].level == CK_DENY && usable > 0 ? CK_WARN : s[i].level,
		    "server", "%s: %s", request_url_shown(cfg->vc.urls[i],
		    url, sizeof(url)), s[i].text);
	/*
	 * A request without an OTP cannot confirm id= and key= against
	 * YK-VAL or YubiCloud (they sign that early error with an empty
	 * key); ykvald signs it with the client's key.  Unconfirmed is a
	 * deny: a wrong id= or key= would refuse every OTP.
	 */
	if (usable > 0 && cfg->vc.keylen > 0 && confirmed == 0) {
		add(e, CK_DENY, "server", "no server confirms id=%ld and key= "
		    "(a reply signed with key=): if they are wrong, every OTP "
		    "is refused.  Servers that sign early errors with an empty "
		    "key (YK-VAL, YubiCloud) cannot confirm them without an "
		    "OTP: after a real login has worked, check with "
		    "--no-network", cfg->vc.id);
		e->refused = "id= and key= are not confirmed by any server";
	}
	if (usable > 0)
		return YK_OK;
	if (unreachable == cfg->vc.nurls) {
		add(e, CK_DENY, "server", "no server would give a trusted "
		    "answer (none can be reached): every OTP is refused "
		    "(PAM_AUTHINFO_UNAVAIL)%s", cfg->offline ?
		    ", unless offline= applies" : "");
		return YK_UNREACHABLE;
	}
	add(e, CK_DENY, "server", "no server would give a trusted answer: "
	    "every OTP is refused (PAM_AUTHINFO_UNAVAIL)");
	return YK_UNAVAILABLE;
}

/* The program that makes the module's requests: the module's own rule. */
static enum yk_result
validate_helper(struct entry *e, const struct cfg *cfg)
{
	const char *path = validate_helper_path(cfg->validate_helper);
	const char *why = validate_helper_problem(path);

	if (why != NULL) {
		add(e, CK_DENY, "helper", "%s %s: every login fails "
		    "(PAM_SERVICE_ERR)", path, why);
		return YK_CONFIG;
	}
	add(e, CK_OK, "helper", "%s makes the requests (run with an empty "
	    "environment)", path);
	return YK_OK;
}

/*
 * The one search a login of the user makes for attribute attr
 * (ldap_map_search: the user escaped), shown into e with whom it binds
 * as (the password hidden) and the CA it trusts.  0, or -1 when the
 * user cannot be looked up (shown).
 */
static int
ldap_shown(struct ctx *c, struct entry *e, const struct cfg *cfg,
    const char *attr, struct ldap_search *s)
{
	const char *why = NULL;
	const char *prefix = cfg->mode == MODE_CLIENT ? cfg->yubi_attr_prefix :
	    NULL;

	if (ldap_map_search(cfg, c->user, strlen(c->user), s, &why) != 0) {
		add(e, CK_DENY, "ldap", "%s: %s cannot be looked up", why,
		    c->uesc);
		return -1;
	}
	s->attr = attr;
	add(e, CK_INFO, "ldap", "lookup: %s%s, base '%s' (scope %s)%s%s%s, "
	    "attribute %s%s%s%s", cfg->ldap_uris, cfg->ldap_starttls ?
	    " with StartTLS" : "", s->base, s->subtree ? "sub" : "base",
	    s->subtree ? ", filter '" : "", s->filter, s->subtree ? "'" : "",
	    s->attr, prefix ? ", values after the prefix '" : "",
	    prefix ? prefix : "", prefix ? "'" : "");
	add(e, CK_INFO, "ldap", "bind: %s%s; CA: %s",
	    cfg->ldap_bind_as_user ? "as the user's DN, with the password "
	    "typed before the OTP (or an earlier module's)" :
	    cfg->ldap_bind_user != NULL ? cfg->ldap_bind_user : "none "
	    "(anonymous)", cfg->ldap_bind_user != NULL ? ", password hidden" :
	    "", cfg->ldap_cacertfile != NULL ? cfg->ldap_cacertfile :
	    LDAP_SYSTEM_CA " (the system store)");
	return 0;
}

/*
 * The LDAP lookup a login makes, shown (bind password hidden), then made
 * through the module's own mapping_ldap: the same search, helper and
 * reading of the values.
 */
static enum yk_result
ldap_mapping(struct ctx *c, struct entry *e, const struct cfg *cfg,
    struct af_entries *ents)
{
	struct mapping_ldap_info in;
	enum yk_result r;

	if (ldap_shown(c, e, cfg, cfg->yubi_attr, &in.search) != 0)
		return YK_MAPPING_ERROR;
	if (c->o->no_network) {
		add(e, CK_INFO, "ldap", "the directory is not contacted "
		    "(--no-network)");
		return YK_OK;
	}
	if (cfg->ldap_bind_as_user) {
		add(e, CK_INFO, "ldap", "the directory is not contacted: "
		    "ldap_bind_as_user needs the user's password");
		return YK_OK;
	}
	r = mapping_ldap(cfg, &c->log, c->user, NULL, ents, &in);
	switch (r) {
	case YK_OK:
		add(e, CK_OK, "ldap", "the directory answered in %.0f ms: %zu "
		    "value(s) of %s", in.elapsed_ms, in.nvalues, cfg->yubi_attr);
		break;
	case YK_NO_TOKENS:
		add(e, CK_INFO, "ldap", "the directory answered in %.0f ms: no "
		    "entry for %s", in.elapsed_ms, c->uesc);
		break;
	case YK_UNAVAILABLE:
		add(e, CK_DENY, "ldap", "the directory gave no answer (%s) "
		    "after %.0f ms: every login fails (PAM_AUTHINFO_UNAVAIL)",
		    in.why, in.elapsed_ms);
		break;
	default:
		add(e, CK_DENY, "ldap", "%s: every login of %s is denied%s",
		    in.why[0] ? in.why : "the lookup failed", c->uesc,
		    r == YK_CONFIG ? " (PAM_SERVICE_ERR)" : "");
		break;
	}
	return r;
}

static enum yk_result
check_client(struct ctx *c, struct entry *e, const struct cfg *cfg)
{
	struct af_entries ents = { .n = 0 };
	enum yk_result r, net;

	r = cfg->ldap_uris != NULL ? ldap_mapping(c, e, cfg, &ents) :
	    mapping(c, e, cfg, &ents);
	if (r == YK_OK && cfg->ldap_uris != NULL && (c->o->no_network ||
	    cfg->ldap_bind_as_user)) {
		/* nothing looked up: no tokens to list or to miss */
		af_entries_free(&ents);
		net = validate_helper(e, cfg);
		return net == YK_OK ? servers(c, e, cfg) : net;
	}
	if (r == YK_OK) {
		list_tokens(e, cfg, &ents, c->uesc);
		if (af_count_tokens(&ents, cfg->token_id_len) == 0)
			r = YK_NO_TOKENS;
	}
	af_entries_free(&ents);
	if (r == YK_NO_TOKENS)
		add(e, steps_aside(cfg) ? CK_WARN : CK_DENY, "tokens", "no token "
		    "ID is mapped to %s%s", c->uesc, steps_aside(cfg) ? ": nullok "
		    "passes the user on (PAM_IGNORE)" : ": every login fails "
		    "(PAM_USER_UNKNOWN); map one, or add nullok");
	net = validate_helper(e, cfg);
	if (net == YK_OK)
		net = servers(c, e, cfg);
	return r != YK_OK ? r : net;
}

/* ---- challenge-response mode ---------------------------------------------- */

struct state_file {
	char		name[CR_NAME_MAX + 16];
	const char	*why;		/* NULL: usable */
	int		version, slot;
	unsigned	iterations;
};

/* What a login would find in name: the module's open, read and parse. */
static void
look_at(const struct cr_place *pl, const char *name, struct state_file *s)
{
	struct cr_state st;

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->why = NULL;
	if (cr_peek_state(pl, name, &st, &s->why) == 0) {
		s->version = st.version;
		s->slot = st.slot;
		s->iterations = st.iterations;
	}
	explicit_bzero(&st, sizeof(st));
}

/*
 * The state directory (the module's cr_place_open) and its files (the
 * module's cr_files_scan), each looked at; YK_OK, YK_NO_TOKENS or a
 * denial.
 */
static enum yk_result
scan_states(struct entry *e, struct cr_place *pl, struct cr_listing *ls,
    struct state_file *files, size_t *n)
{
	const char *why = NULL;
	char name[CR_NAME_MAX + 16];
	enum yk_result r = cr_place_open(pl, &why);

	*n = 0;
	if (r == YK_NO_TOKENS) {
		add(e, CK_INFO, "state", "there is no state directory %s", pl->dir);
		return r;
	}
	if (r != YK_OK) {
		add(e, CK_DENY, "state", "the state directory %s %s", pl->dir,
		    why);
		return r;
	}
	if (cr_files_scan(pl, ls) != 0) {
		add(e, CK_DENY, "state", "the state directory %s cannot be "
		    "listed", pl->dir);
		cr_place_close(pl);
		return YK_MAPPING_ERROR;
	}
	for (size_t i = 0; i < ls->n; i++) {
		snprintf(name, sizeof(name), "%s-%u", pl->base, ls->serials[i]);
		look_at(pl, name, &files[(*n)++]);
	}
	if (ls->plain)
		look_at(pl, pl->base, &files[(*n)++]);
	if (ls->clash) {	/* as the module: refused, never ignored */
		snprintf(files[*n].name, sizeof(files[*n].name), "%s", pl->base);
		files[(*n)++].why = CR_CLASH_WHY;
	}
	cr_place_close(pl);
	if (*n == 0) {
		add(e, CK_INFO, "state", "%s holds no state file %s-SERIAL or %s",
		    pl->dir, pl->base, pl->base);
		return YK_NO_TOKENS;
	}
	return YK_OK;
}

/* The keys now, and the file a login with them would use (cr_files_pick). */
static enum yk_result
check_keys(struct entry *e, const struct cr_place *pl,
    const struct cr_listing *ls, const struct state_file *files, size_t n)
{
	struct ykkey_info keys[YKKEY_MAX];
	struct cr_locked use = { .fd = -1 };
	const struct state_file *f = NULL;
	const char *why = NULL;
	size_t nkeys = 0, good = 0;
	enum yk_result r;

	for (size_t i = 0; i < n; i++)
		good += files[i].why == NULL;
	if (ykkey_list(keys, YKKEY_MAX, &nkeys, &why) != YKKEY_OK) {
		add(e, CK_DENY, "key", "cannot look for YubiKeys: %s",
		    why ? why : "error");
		return YK_SYSTEM;
	}
	for (size_t k = 0; k < nkeys; k++)
		add(e, CK_INFO, "key", "YubiKey connected: serial %u, firmware "
		    "%d.%d.%d", keys[k].serial, keys[k].major, keys[k].minor,
		    keys[k].build);
	r = cr_files_pick(pl, ls, keys, nkeys, &use, &why);
	if (nkeys == 0 && good == 0) {
		add(e, CK_DENY, "state", "no state file is usable (and no "
		    "YubiKey is connected)");
		return r;
	}
	if (nkeys == 0) {
		add(e, CK_WARN, "key", "no YubiKey is connected now: a login "
		    "needs one with a state file above");
		e->absent = true;
		return r;
	}
	if (r == YK_REJECTED) {
		add(e, CK_DENY, "key", "%s: a login with them is denied", why);
		return r;
	}
	for (size_t i = 0; i < n && f == NULL; i++)
		if (strcmp(files[i].name, use.name) == 0)
			f = &files[i];
	if (r == YK_OK && f != NULL && f->why == NULL) {
		add(e, CK_OK, "state", "a login with the YubiKey of serial %u "
		    "would use %s/%s and ask slot %d (no challenge is sent "
		    "here)", use.serial, pl->dir, use.name, f->slot);
		return YK_OK;
	}
	add(e, CK_DENY, "state", "a login with the YubiKey of serial %u would "
	    "use %s/%s, which %s", use.serial, pl->dir, use.name,
	    r != YK_OK ? why : f != NULL ? f->why : "is not there");
	return r != YK_OK ? r : YK_MAPPING_ERROR;
}

static enum yk_result
check_chalresp(struct ctx *c, struct entry *e, const struct cfg *cfg)
{
	struct state_file *files = calloc(CR_FILES_MAX + 2, sizeof(*files));
	struct privs saved = { .dropped = false };
	struct cr_listing ls;
	struct cr_place pl;
	const char *why = NULL;
	size_t n = 0;
	enum yk_result r = YK_NOMEM;

	if (files == NULL)
		return YK_NOMEM;
	/* Where the module looks (files go by the account's name). */
	if (cr_place_set(cfg, c->pw, &pl, &why) != 0) {
		add(e, CK_DENY, "state", "the state files of %s: %s", c->uesc,
		    why);
		r = YK_MAPPING_ERROR;
		goto out;
	}
	/* The user's files are read as the user, as the module does. */
	if (cfg->chalresp_path == NULL && privs_drop(c->pw, &saved) != 0) {
		add(e, CK_DENY, "state", "cannot switch to %s to read %s%s",
		    c->uesc, pl.dir, geteuid() != 0 ? " (run this check as "
		    "root)" : "");
		r = YK_SYSTEM;
		goto out;
	}
	r = scan_states(e, &pl, &ls, files, &n);
	if (privs_restore(&saved) != 0) {
		add(e, CK_DENY, "state", "cannot restore privileges");
		r = YK_SYSTEM;
		goto out;
	}
	for (size_t f = 0; f < n; f++) {
		char iter[40] = "";

		if (files[f].why != NULL) {
			add(e, CK_WARN, "state", "%s/%s %s", pl.dir, files[f].name,
			    files[f].why);
			continue;
		}
		if (files[f].version == 2)
			snprintf(iter, sizeof(iter), ", %u iterations",
			    files[f].iterations);
		add(e, CK_OK, "state", "%s/%s: v%d, slot %d%s; owner and mode "
		    "are safe", pl.dir, files[f].name, files[f].version,
		    files[f].slot, iter);
	}
	if (r == YK_NO_TOKENS)
		add(e, steps_aside(cfg) ? CK_WARN : CK_DENY, "state", "%s has no "
		    "challenge-response state%s", c->uesc, steps_aside(cfg) ?
		    ": nullok passes the user on (PAM_IGNORE)" : ": every login "
		    "fails (PAM_USER_UNKNOWN); make one with ykpamcfg");
	if (r == YK_OK)
		r = check_keys(e, &pl, &ls, files, n);
out:
	explicit_bzero(files, (CR_FILES_MAX + 2) * sizeof(*files));
	free(files);
	return r;
}

/* ---- piv mode ----------------------------------------------------------- */

static const char *const map_names[] = {
	[PIV_MAP_AUTHFILE] = "authfile", [PIV_MAP_CN] = "CN",
	[PIV_MAP_UID] = "UID",
	[PIV_MAP_UPN] = "UPN (its local part, at a piv_domain= domain)",
	[PIV_MAP_EMAIL] = ("e-mail address (its local part, at a "
	    "piv_domain= domain)"),
	[PIV_MAP_LDAP] = "directory entry",
};

/*
 * piv_ocsp=: what the responder (or the cache) said about the card's
 * certificate, judged by the module's own rule (piv_ocsp_allows).  True
 * when that is what refuses the card.
 */
static bool
check_ocsp(struct entry *e, const struct cfg *cfg, const struct piv_probe *pr)
{
	const struct piv_ocsp_res *o = &pr->ocsp;
	bool allowed = piv_ocsp_allows(cfg->piv_ocsp, o->st);

	if (cfg->piv_ocsp == PIV_OCSP_OFF || o->st == PIV_OCSP_NONE)
		return false;
	add(e, !allowed ? CK_DENY : o->st == PIV_OCSP_GOOD ? CK_OK : CK_WARN,
	    "ocsp", "OCSP %s: %s%s", piv_ocsp_status_name(o->st), o->why,
	    allowed && o->st != PIV_OCSP_GOOD ? " (allowed by piv_ocsp=try)" :
	    "");
	return !allowed;
}

/* What piv_map=ldap's entry holds, value by value (a few of them). */
static void
piv_show_values(struct entry *e, const struct cfg *cfg,
    const struct piv_dir *d, const char *uesc)
{
	char line[700] = "", esc[300], subj[256];
	size_t o = 0;

	for (size_t i = 0; i < d->v.n && i < 4; i++) {
		const unsigned char *p = (const unsigned char *)d->v.val[i];
		unsigned char fp[LDAP_MAP_FP_LEN];
		char hex[2 * LDAP_MAP_FP_LEN + 1];
		X509 *x = NULL;
		int n;

		if (cfg->piv_ldap_fp_attr != NULL) {
			(void)ldap_map_fingerprint(d->v.val[i], d->v.len[i], fp);
			ldap_hex(fp, sizeof(fp), hex);
			n = snprintf(line + o, sizeof(line) - o, "%ssha256=%s",
			    i ? "; " : "", hex);
		} else {
			x = d2i_X509(NULL, &p, (long)d->v.len[i]);
			subj[0] = '\0';
			if (x != NULL)
				X509_NAME_oneline(X509_get_subject_name(x), subj,
				    sizeof(subj));
			X509_free(x);
			n = snprintf(line + o, sizeof(line) - o, "%s%s", i ?
			    "; " : "", log_escape(subj, esc, 120));
		}
		if (n < 0 || (size_t)n >= sizeof(line) - o)
			break;
		o += (size_t)n;
	}
	add(e, CK_OK, "ldap", "the entry of %s holds %zu %s: %s%s", uesc,
	    d->v.n, cfg->piv_ldap_fp_attr != NULL ? "fingerprint(s)" :
	    "certificate(s)", line, d->v.n > 4 ? "; ..." : "");
}

#define PIV_NO_NETWORK	"the directory is not contacted (--no-network)"

/*
 * piv_map=ldap: the search a login makes, shown, then made through the
 * module's own piv_dir_lookup into d, which piv_probe then uses for the
 * card (one search, as in a login).  With --no-network d says so.
 */
static enum yk_result
piv_directory(struct ctx *c, struct entry *e, const struct cfg *cfg,
    struct piv_dir *d)
{
	struct ldap_search s;
	enum yk_result r;

	if (ldap_shown(c, e, cfg, cfg->piv_ldap_fp_attr != NULL ?
	    cfg->piv_ldap_fp_attr : PIV_LDAP_CERT_ATTR, &s) != 0)
		return YK_MAPPING_ERROR;
	if (c->o->no_network) {
		add(e, CK_INFO, "ldap", PIV_NO_NETWORK);
		d->looked = true;
		d->r = YK_UNAVAILABLE;
		d->why = PIV_NO_NETWORK;
		return YK_OK;
	}
	clock_gettime(CLOCK_MONOTONIC, &d->deadline);
	d->deadline = mono_add(d->deadline, cfg->vc.timeout_ms);
	switch ((r = piv_dir_lookup(cfg, &c->log, c->user, d))) {
	case YK_OK:
		add(e, CK_OK, "ldap", "the directory answered in %.0f ms",
		    d->info.elapsed_ms);
		piv_show_values(e, cfg, d, c->uesc);
		break;
	case YK_DIRECTORY_DOWN:
		add(e, CK_DENY, "ldap", "the directory gave no answer (%s) "
		    "after %.0f ms: every login fails (PAM_AUTHINFO_UNAVAIL)",
		    d->why, d->info.elapsed_ms);
		break;
	default:
		add(e, CK_DENY, "ldap", "%s: every card of %s is refused%s",
		    d->why ? d->why : "the lookup failed", c->uesc,
		    r == YK_CONFIG ? " (PAM_SERVICE_ERR)" : "");
		break;
	}
	return r;
}

static enum yk_result
check_piv(struct ctx *c, struct entry *e, const struct cfg *cfg)
{
	struct af_entries ents = { .n = 0 };
	struct piv_probe pr;
	struct piv_dir d;
	enum yk_result r, map = YK_OK;
	size_t fps = 0;

	memset(&d, 0, sizeof(d));

	if (cfg->piv_map == PIV_MAP_AUTHFILE) {
		map = mapping(c, e, cfg, &ents);
		for (size_t i = 0; map == YK_OK && i < ents.n; i++)
			fps += af_is_fingerprint(ents.entry[i]);
		af_entries_free(&ents);
		if (fps > 0)
			add(e, CK_OK, "mapping", "%zu certificate fingerprint(s) "
			    "(sha256=) mapped to %s", fps, c->uesc);
		else if (map == YK_OK || map == YK_NO_TOKENS) {
			add(e, CK_DENY, "mapping", "no certificate fingerprint "
			    "(sha256=) is mapped to %s: every card is refused",
			    c->uesc);
			map = YK_NOT_MAPPED;
		}
	} else if (cfg->piv_map == PIV_MAP_LDAP)
		map = piv_directory(c, e, cfg, &d);
	else
		add(e, CK_INFO, "mapping", "the certificate must name %s in its "
		    "%s", c->uesc, map_names[cfg->piv_map]);
	{
		struct piv_dir *dp = cfg->piv_map == PIV_MAP_LDAP ? &d : NULL;

		if (c->o->no_network && cfg->piv_ocsp != PIV_OCSP_OFF) {
			/* The module's step without its network part: a
			   copy, off. */
			struct cfg *off = malloc(sizeof(*off));

			if (off == NULL) {
				piv_dir_free(&d);
				return YK_NOMEM;
			}
			*off = *cfg;
			off->piv_ocsp = PIV_OCSP_OFF;
			add(e, CK_INFO, "ocsp", "OCSP not asked (--no-network)");
			r = piv_probe(off, &c->log, c->user, c->pw, dp, &pr);
			explicit_bzero(off, sizeof(*off));
			free(off);
		} else
			r = piv_probe(cfg, &c->log, c->user, c->pw, dp, &pr);
	}
	piv_dir_free(&d);
	if (!pr.loaded) {
		/* The module's own record of what the reason is about. */
		add(e, CK_DENY, "pkcs11", "%s%s%s", pr.modfault ?
		    cfg->pkcs11_module : "", pr.modfault ? ": " : "",
		    pr.why ? pr.why : "cannot be used");
		e->hard = true;
		return r == YK_CONFIG ? YK_CONFIG : YK_UNAVAILABLE;
	}
	add(e, CK_OK, "pkcs11", "%s loads", cfg->pkcs11_module);
	if (check_ocsp(e, cfg, &pr))
		return r;
	if (r == YK_OK) {
		char esc[300];

		add(e, CK_OK, "card", "token '%s': the certificate %s passes "
		    "the checks and %s %s; a login would ask for the PIN "
		    "next (not asked here)", pr.label,
		    log_escape(pr.subject, esc, sizeof(esc)),
		    cfg->piv_map == PIV_MAP_LDAP ? "is in the directory entry "
		    "of" : "names", c->uesc);
		return YK_OK;
	}
	if (r == YK_UNAVAILABLE && pr.why != NULL &&
	    strcmp(pr.why, PIV_NO_NETWORK) == 0) {
		add(e, CK_INFO, "card", "a certificate that passes the checks "
		    "is not matched against the directory (--no-network)");
		return YK_OK;
	}
	if (r == YK_UNAVAILABLE) {
		if (map != YK_OK)
			return map;
		add(e, CK_WARN, "card", "no token holds a certificate in the "
		    "configured slot now (%s)", pr.why ? pr.why : "no card");
		e->absent = true;
		return r;
	}
	add(e, CK_DENY, "card", "%s", pr.why ? pr.why : "the card is refused");
	return r;
}

/* ---- verdicts ------------------------------------------------------------- */

/* r for cfg (the whole line: the PAM code is the module's), where m is
   the method that decides. */
static void
conclude(struct ctx *c, struct entry *e, const struct cfg *cfg,
    enum yk_mode m, enum yk_result r)
{
	static const char *const next[] = {
		[MODE_CLIENT] = "ask for an OTP and check it online",
		[MODE_CHALRESP] = "ask the YubiKey to answer its challenge",
		[MODE_PIV] = "ask for the PIN and have the card sign",
	};
	int code, final;

	if (r == YK_OK && e->refused != NULL) {
		e->verdict = CK_DENY;
		snprintf(e->summary, sizeof(e->summary), "pam_yk would %s for "
		    "%s, but this setup is refused: %s", next[m],
		    c->uesc, e->refused);
		return;
	}
	if (r == YK_OK) {
		e->verdict = CK_OK;
		snprintf(e->summary, sizeof(e->summary), "a login of %s gets "
		    "as far as it can without the user: pam_yk would %s",
		    c->uesc, next[m]);
		return;
	}
	/* The module's own rules: the code for r, then alwaysok. */
	code = yk_pam_code(r, cfg);
	final = yk_pam_final(r, cfg);
	e->outcome = yk_pam_code_name(code);
	e->pam_code = yk_pam_code_name(final);
	if (e->absent) {
		e->verdict = CK_WARN;
		snprintf(e->summary, sizeof(e->summary), "nothing denies %s, "
		    "but the %s is not connected now (%s until it is)", c->uesc,
		    m == MODE_PIV ? "card" : "YubiKey", e->outcome);
	} else if (code == PAM_IGNORE && !e->hard) {
		e->verdict = CK_WARN;
		snprintf(e->summary, sizeof(e->summary), "pam_yk steps aside for "
		    "%s (nullok, PAM_IGNORE): the rest of the stack decides",
		    c->uesc);
	} else if (final == PAM_SUCCESS) {
		e->verdict = CK_WARN;
		snprintf(e->summary, sizeof(e->summary), "this line would fail "
		    "(%s), but alwaysok lets %s in", e->outcome, c->uesc);
	} else {
		e->verdict = CK_DENY;
		snprintf(e->summary, sizeof(e->summary), "every login of %s "
		    "fails on this line (%s)", c->uesc, e->outcome);
	}
}

static void
control_note(struct entry *e)
{
	const char *ctl = e->pl != NULL ? e->pl->control : NULL, *what;

	if (ctl == NULL)
		return;
	if (strcmp(ctl, "required") == 0)
		what = "a failure fails the login, after the other modules ran";
	else if (strcmp(ctl, "requisite") == 0)
		what = "a failure fails the login at once";
	else if (strcmp(ctl, "sufficient") == 0)
		what = "a success ends the stack; a failure is passed over";
	else if (strcmp(ctl, "optional") == 0)
		what = "counts only when it is the only module of the stack";
	else
		what = "the actions in brackets decide";
	add(e, CK_INFO, "control", "%s: %s", ctl, what);
	if (e->pl->type[0] == '-')
		add(e, CK_INFO, "control", "-%s: libpam skips this line "
		    "silently when the module file is missing", e->pl->type + 1);
}

static void
mode_line(struct entry *e, const struct cfg *cfg)
{
	if (cfg->mode == MODE_CLIENT)
		add(e, CK_INFO, "mode", "client (online OTP): id=%ld, %zu "
		    "validation server(s), timeout %u s, %s", cfg->vc.id,
		    cfg->vc.nurls, cfg->vc.timeout_ms / 1000,
		    cfg->have_key ? "key= set" : "no key=");
	else if (cfg->mode == MODE_CHALRESP)
		add(e, CK_INFO, "mode", "challenge-response (offline HMAC-SHA1), "
		    "state in %s", cfg->chalresp_path ? cfg->chalresp_path :
		    "~/.yubico/challenge-SERIAL");
	else
		add(e, CK_INFO, "mode", "piv (a certificate on a PKCS#11 token): "
		    "module %s, trust anchors %s", cfg->pkcs11_module,
		    cfg->piv_cafile ? cfg->piv_cafile : cfg->piv_capath);
}

/*
 * --service FILE: FILE's basename names the service; where the stock file
 * of that service (as its package shipped it) has pam_nologin, FILE's
 * stack must have it too, or /etc/nologin would not stop a login that
 * the distribution's file stops.
 */
static void
stack_rule(struct ctx *c, const char *file)
{
	const char *base = strrchr(file, '/');
	char stock[400], why[400], err[300];
	int s, u;

	base = base != NULL ? base + 1 : file;
	s = pamfile_stock_uses(base, "pam_nologin.so", stock, sizeof(stock),
	    why, sizeof(why));
	if (s < 0) {
		c->stack_level = CK_INFO;
		snprintf(c->stack_text, sizeof(c->stack_text), "cannot compare "
		    "with the distribution's file for the service %s: %s",
		    base, why);
		return;
	}
	if (s == 0) {
		c->stack_level = CK_INFO;
		snprintf(c->stack_text, sizeof(c->stack_text), "%s has no "
		    "pam_nologin.so: none is needed here", stock);
		return;
	}
	u = pamfile_uses(file, "pam_nologin.so", err, sizeof(err));
	if (u == 1) {
		c->stack_level = CK_OK;
		snprintf(c->stack_text, sizeof(c->stack_text), "the stack keeps "
		    "pam_nologin.so, as %s has it", stock);
	} else {
		c->stack_level = CK_DENY;
		snprintf(c->stack_text, sizeof(c->stack_text), "the stack has "
		    "no pam_nologin.so, which %s has: with /etc/nologin "
		    "present, logins that the stock file refuses would pass "
		    "(add the pam_yk lines to the stock file instead of "
		    "replacing it)%s%s", stock, u < 0 ? ": " : "",
		    u < 0 ? err : "");
		c->stack_refused = "the stack drops pam_nologin.so, which the "
		    "distribution's file has";
	}
}

/* The checks of cfg's one method. */
static enum yk_result
check_method(struct ctx *c, struct entry *e, const struct cfg *cfg)
{
	if (cfg->mode == MODE_CLIENT)
		return check_client(c, e, cfg);
	if (cfg->mode == MODE_CHALRESP)
		return check_chalresp(c, e, cfg);
	return check_piv(c, e, cfg);
}

/*
 * mode=A,B,...: which method decides, by the module's own methods_choose,
 * whether offline= can apply, then that method's checks with the
 * configuration it runs with (cfg_method).  *m: the method.
 */
static enum yk_result
check_list(struct ctx *c, struct entry *e, const struct cfg *cfg,
    enum yk_mode *m)
{
	struct login lg = { cfg, &c->log, c->user, c->pw };
	struct method_choice mc;
	struct cfg one;
	enum yk_result r = methods_choose(&lg, &mc);

	method_choice_free(&mc);	/* the card is looked at again below */
	*m = mc.mode;
	add(e, CK_INFO, "mode", "mode=%s: the first method %s is enrolled in "
	    "decides, and only it is asked", cfg->mode_arg, c->uesc);
	if (mc.skipped[0] != '\0')
		add(e, CK_INFO, "methods", "skipped %s", mc.skipped);
	if (r == YK_NO_TOKENS) {
		add(e, steps_aside(cfg) ? CK_WARN : CK_DENY, "methods", "%s is "
		    "not enrolled in any of them%s", c->uesc, steps_aside(cfg) ?
		    ": nullok passes the user on (PAM_IGNORE)" : ": every "
		    "login fails (PAM_USER_UNKNOWN)");
		return r;
	}
	if (r != YK_OK) {
		add(e, CK_DENY, "methods", "looking at %s for %s fails, which "
		    "denies: %s", method_name(mc.mode), c->uesc, mc.why);
		return r;
	}
	add(e, CK_OK, "methods", "%s decides for %s%s%s", method_name(mc.mode),
	    c->uesc, mc.why[0] ? ": " : "", mc.why);
	if (cfg->offline)
		add(e, mc.fallback ? CK_OK : CK_INFO, "offline", "offline="
		    "challenge-response: %s", mc.offline);
	cfg_method(cfg, mc.mode, &one);
	mode_line(e, &one);
	r = check_method(c, e, &one);
	if (methods_falls_back(&mc, r)) {
		add(e, CK_WARN, "offline", "no validation server can be reached "
		    "now: a login falls back to challenge-response");
		*m = MODE_CHALRESP;
		cfg_method(cfg, MODE_CHALRESP, &one);
		mode_line(e, &one);
		r = check_method(c, e, &one);
	}
	explicit_bzero(&one, sizeof(one));
	return r;
}

static void
check_entry(struct ctx *c, struct entry *e)
{
	struct cfg cfg;
	enum yk_mode m;
	enum yk_result r;

	control_note(e);
	if (c->stack_text[0] != '\0') {
		add(e, c->stack_level, "stack", "%s", c->stack_text);
		e->refused = c->stack_refused;
	}
	if (check_options(e, &cfg) != 0) {
		memset(&cfg, 0, sizeof(cfg));
		conclude(c, e, &cfg, MODE_CLIENT, YK_CONFIG);
		return;
	}
	e->mode = cfg.mode == MODE_CLIENT ? "client" :
	    cfg.mode == MODE_CHALRESP ? "challenge-response" : "piv";
	/* A list as written: the line's own text outlives cfg (not conf's). */
	for (int i = 0; cfg.nmethods > 1 && i < e->argc; i++)
		if (strncmp(e->argv[i], "mode=", 5) == 0)
			e->mode = e->argv[i] + 5;
	m = cfg.mode;
	if (cfg.nmethods == 1)
		mode_line(e, &cfg);
	add(e, CK_OK, "options", "every option is known and valid");
	if (option_notes(e, &cfg) != 0)
		r = YK_CONFIG;
	else if ((r = login_account(&cfg, c->pw, c->pwerr)) != YK_OK)
		add(e, CK_DENY, "user", r == YK_SYSTEM ? "the name service "
		    "cannot tell whether %s exists" : "no such user %s", c->uesc);
	else if (cfg.nmethods > 1)
		r = check_list(c, e, &cfg, &m);
	else
		r = check_method(c, e, &cfg);
	conclude(c, e, &cfg, m, r);
	cfg_free(&cfg);
}

/* ---- the command ---------------------------------------------------------- */

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "no-network", no_argument, NULL, 'N' },
		{ "service", required_argument, NULL, 's' },
		{ "args", required_argument, NULL, 'a' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .json = false };
	cli_init("ykpamcfg check", usage_text);
	optind = 1;
	while ((c = cli_opt(argc, argv, "u:h", lopts)) > 0) {
		switch (c) {
		case 'J': o->json = true; break;
		case 'N': o->no_network = true; break;
		case 's': o->service = optarg; break;
		case 'a': o->args = optarg; break;
		case 'u': o->user = optarg; break;
		}
	}
	if (c < 0)
		return -1;
	if (optind != argc || (o->service == NULL) == (o->args == NULL)) {
		cli_fail("%s", optind != argc ?
		    "unexpected argument" : "give either --service or --args");
		fputs(usage_text, stderr);
		return -1;
	}
	return 0;
}

static bool
is_pam_yk(const char *module)
{
	const char *b = strrchr(module, '/');

	return strcmp(b ? b + 1 : module, "pam_yk.so") == 0;
}

int
check_main(int argc, char **argv)
{
	struct opts o;
	struct ctx *c = NULL;
	struct pam_lines pl = { .n = 0 };
	struct entry *es = NULL;
	size_t n = 0;
	char err[600];
	bool deny = false;
	int r = 1;

	if (parse(argc, argv, &o) != 0)
		return 2;
	/* The module's own log lines would land in the system log. */
	setlogmask(LOG_UPTO(LOG_EMERG));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 1;
	c->o = &o;
	log_init(&c->log, "ykpamcfg-check");
	if (o.user == NULL) {
		if (getpwuid_r(getuid(), &c->pwbuf, c->pwmem, sizeof(c->pwmem),
		    &c->pw) != 0 || c->pw == NULL) {
			fprintf(stderr, "ykpamcfg check: who are you? (use -u)\n");
			goto out;
		}
		c->user = c->pw->pw_name;
	} else {
		c->user = o.user;
		c->pwerr = getpwnam_r(o.user, &c->pwbuf, c->pwmem,
		    sizeof(c->pwmem), &c->pw);
		if (c->pwerr != 0)
			c->pw = NULL;
		/*
		 * As the module: a known account goes by its own name, so
		 * that ALICE, folded to alice by the name service, finds
		 * alice's mapping lines.
		 */
		if (c->pw != NULL)
			c->user = c->pw->pw_name;
	}
	log_escape(c->user, c->uesc, sizeof(c->uesc));
	if (o.service != NULL) {
		if (pamfile_read(o.service, &pl, err, sizeof(err)) != 0) {
			fprintf(stderr, "ykpamcfg check: %s\n", err);
			goto out;
		}
		stack_rule(c, o.service);
		if ((es = calloc(pl.n ? pl.n : 1, sizeof(*es))) == NULL)
			goto out;
		for (size_t i = 0; i < pl.n; i++) {
			if (!is_pam_yk(pl.line[i].module))
				continue;
			es[n].pl = &pl.line[i];
			es[n].argc = pl.line[i].argc;
			es[n++].argv = pl.line[i].argv;
		}
	} else {
		if ((es = calloc(1, sizeof(*es))) == NULL ||
		    pamfile_split_args(o.args, &es[0].argc, &es[0].argv) != 0)
			goto out;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		check_entry(c, &es[i]);
		deny = deny || es[i].verdict == CK_DENY;
	}
	deny = deny || n == 0;
	if (o.json)
		ck_print_json(c->user, o.service, es, n, o.service ? &pl : NULL,
		    deny);
	else
		ck_print_text(c->uesc, o.service, es, n, o.service ? &pl : NULL,
		    deny);
	r = deny ? 1 : 0;
out:
	if (es != NULL && o.args != NULL)
		pam_args_free(es[0].argc, es[0].argv);
	free(es);
	pam_lines_free(&pl);
	if (c != NULL)
		explicit_bzero(c->pwmem, sizeof(c->pwmem));
	free(c);
	return r;
}
