/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c - the ykvald command line */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "cli.h"
#include "dbdir.h"
#include "import.h"
#include "modhex.h"
#include "serve.h"
#include "store.h"

#define MAX_IMPORT	100000

/* DB is a SQLite file, or a PostgreSQL URI (postgresql://...). */
static const char usage_text[] =
"usage: ykvald serve [--db DB] [--listen ADDR:PORT]... [--tls-cert FILE --tls-key FILE]\n"
"                    [--ready-file FILE] [--max-connections N]\n"
"                    [--max-connections-per-ip N] [--request-timeout SECONDS]\n"
"                    [--allow-root] [--key-file FILE] [--rate-limit N]\n"
"                    [--db-timeout SECONDS]\n"
"       ykvald client add [--db DB] [--id N] [--json]\n"
"       ykvald client list [--db DB] [--json]\n"
"       ykvald client disable|enable [--db DB] ID\n"
"       ykvald client rotate-key [--db DB] [--json] ID\n"
"       ykvald key add|replace [--db DB] --public-id MODHEX --private-id HEX\n"
"                      --aes-key HEX [--serial N] [--key-file FILE]\n"
"       ykvald key import [--db DB] [--key-file FILE] FILE\n"
"       ykvald key list [--db DB] [--json]\n"
"       ykvald key disable|enable|delete [--db DB] PUBLIC_ID\n"
"       ykvald key bump [--db DB] --counter N [--use N] PUBLIC_ID\n"
"       ykvald backup [--db DB] FILE\n"
"       ykvald db init|migrate [--db DB] [--key-file FILE]\n"
"       ykvald db copy --from DB --to DB [--key-file FILE]\n"
"       ykvald --version\n";

enum { O_DB = 256, O_LISTEN, O_CERT, O_KEY, O_READY, O_MAXC, O_MAXIP,
	O_RTIME, O_ID, O_JSON, O_PUB, O_PRIV, O_AES, O_ROOT, O_CTR, O_USE,
	O_SERIAL, O_FROM, O_TO, O_KEYFILE, O_RATE, O_DBTIME };

static const struct option long_opts[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "tls-cert", required_argument, NULL, O_CERT },
	{ "tls-key", required_argument, NULL, O_KEY },
	{ "ready-file", required_argument, NULL, O_READY },
	{ "max-connections", required_argument, NULL, O_MAXC },
	{ "max-connections-per-ip", required_argument, NULL, O_MAXIP },
	{ "request-timeout", required_argument, NULL, O_RTIME },
	{ "id", required_argument, NULL, O_ID },
	{ "json", no_argument, NULL, O_JSON },
	{ "public-id", required_argument, NULL, O_PUB },
	{ "private-id", required_argument, NULL, O_PRIV },
	{ "aes-key", required_argument, NULL, O_AES },
	{ "serial", required_argument, NULL, O_SERIAL },
	{ "allow-root", no_argument, NULL, O_ROOT },
	{ "counter", required_argument, NULL, O_CTR },
	{ "use", required_argument, NULL, O_USE },
	{ "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },
	{ "key-file", required_argument, NULL, O_KEYFILE },
	{ "rate-limit", required_argument, NULL, O_RATE },
	{ "db-timeout", required_argument, NULL, O_DBTIME },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char	*db, *pub, *priv, *aes, *id, *serial;
	const char	*maxc, *maxip, *rtime, *ctr, *use, *from, *to, *rate,
			*dbtime;
	bool		json, allow_root;
	struct serve_opts serve;
	bool		seen[O_DBTIME + 1];
};

/* --key-file: the master key that seals the AES keys at rest. */
static unsigned char master[STORE_MASTER_LEN];
static bool have_master;

static int
load_master(const char *path)
{
	char err[512];

	if (store_read_master(path, master, err, sizeof(err)) != 0) {
		fprintf(stderr, "ykvald: %s\n", err);
		return -1;
	}
	have_master = true;
	return 0;
}

static void
forget_master(void)
{
	explicit_bzero(master, sizeof(master));
}

/* Parse options; 'allowed' lists the ones this command takes. */
static int
parse_opts(int argc, char **argv, const int *allowed, struct args *a)
{
	int c;

	a->db = STORE_DEFAULT_PATH;
	optind = 1;
	while ((c = cli_opt(argc, argv, "h", long_opts)) > 0) {
		bool ok = false;

		for (const int *p = allowed; *p != 0; p++)
			ok = ok || *p == c;
		if (!ok) {
			fprintf(stderr, "ykvald: %s does not take that "
			    "option\n", argv[0]);
			fputs(usage_text, stderr);
			return -1;
		}
		if (a->seen[c] && c != O_LISTEN) {
			fprintf(stderr, "ykvald: an option is given twice\n");
			return -1;
		}
		a->seen[c] = true;
		switch (c) {
		case O_DB: a->db = optarg; break;
		case O_CERT: a->serve.tls_cert = optarg; break;
		case O_KEY: a->serve.tls_key = optarg; break;
		case O_READY: a->serve.ready_file = optarg; break;
		case O_MAXC: a->maxc = optarg; break;
		case O_MAXIP: a->maxip = optarg; break;
		case O_RTIME: a->rtime = optarg; break;
		case O_ID: a->id = optarg; break;
		case O_JSON: a->json = true; break;
		case O_PUB: a->pub = optarg; break;
		case O_PRIV: a->priv = optarg; break;
		case O_AES: a->aes = optarg; break;
		case O_SERIAL: a->serial = optarg; break;
		case O_ROOT: a->allow_root = true; break;
		case O_CTR: a->ctr = optarg; break;
		case O_USE: a->use = optarg; break;
		case O_FROM: a->from = optarg; break;
		case O_TO: a->to = optarg; break;
		case O_RATE: a->rate = optarg; break;
		case O_DBTIME: a->dbtime = optarg; break;
		case O_KEYFILE:
			if (load_master(optarg) != 0)
				return -1;
			break;
		case O_LISTEN:
			if (a->serve.nlisten == SERVE_MAX_LISTEN) {
				fprintf(stderr, "ykvald: at most %d --listen\n",
				    SERVE_MAX_LISTEN);
				return -1;
			}
			a->serve.listen[a->serve.nlisten++] = optarg;
			break;
		}
	}
	return c < 0 ? -1 : 0;
}

/* A decimal 1..max, or -1. */
static long
parse_pos(const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > max)
		return -1;
	return v;
}

/* Say a note from dbdir_prepare, if any. */
static void
show_note(const char *note)
{
	if (note[0] != '\0')
		fprintf(stderr, "ykvald: %s\n", note);
}

/* How messages name a database: a URI may hold a password. */
static const char *
db_name(const char *db)
{
	return store_is_uri(db) ? "the PostgreSQL database" : db;
}

/*
 * Every command opens the database here: a SQLite file as its owner (see
 * dbdir_prepare), after whatever it had to read as the caller.
 */
static struct store *
open_db(const char *path, enum store_open_mode mode)
{
	char err[512], note[512] = "";
	struct store *st;

	if (!store_is_uri(path) && dbdir_prepare(path, mode == STORE_EXISTING ?
	    DBDIR_ADMIN : DBDIR_ADMIN_CREATE, err, sizeof(err), note,
	    sizeof(note)) != 0) {
		fprintf(stderr, "ykvald: %s\n", err);
		return NULL;
	}
	if (!store_is_uri(path))
		show_note(note);
	if ((st = store_open(path, mode, err, sizeof(err))) == NULL)
		fprintf(stderr, "ykvald: %s\n", err);
	else if (have_master)
		store_use_master(st, master);
	return st;
}

/* *out = the number s, 1..max, or the default when s is NULL. */
static int
serve_number(const char *opt, const char *s, long max, unsigned def,
    unsigned *out)
{
	long v = s != NULL ? parse_pos(s, max) : (long)def;

	if (v < 0)
		return cli_fail("serve: --%s must be a number from 1 to %ld, not "
		    "'%s'", opt, max, s);
	*out = (unsigned)v;
	return 0;
}

static int
cmd_serve(int argc, char **argv)
{
	static const int ok[] = { O_DB, O_LISTEN, O_CERT, O_KEY, O_READY,
		O_MAXC, O_MAXIP, O_RTIME, O_ROOT, O_KEYFILE, O_RATE, O_DBTIME, 0 };
	struct args a = { 0 };
	char err[512], note[512] = "";
	unsigned dbtime = 0;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc)
		return cli_fail("serve: unexpected argument '%s'", argv[optind]);
	/* Root holds the AES keys of every YubiKey for any bug to leak. */
	if (geteuid() == 0 && !a.allow_root)
		return cli_fail("%s", "serve: refusing to run as root: run it as "
		    "its own user (the ykvald unit has User=ykvald), or give "
		    "--allow-root");
	if (serve_number("max-connections", a.maxc, 65536,
	    SERVE_DEFAULT_MAX_CONNS, &a.serve.max_conns) != 0 ||
	    serve_number("max-connections-per-ip", a.maxip, 65536,
	    SERVE_DEFAULT_MAX_CONNS_PER_IP, &a.serve.max_conns_per_ip) != 0 ||
	    serve_number("request-timeout", a.rtime, 3600,
	    SERVE_DEFAULT_REQUEST_TIMEOUT, &a.serve.request_timeout) != 0 ||
	    (a.rate != NULL && serve_number("rate-limit", a.rate, 1000000, 0,
	    &a.serve.rate_limit) != 0) ||
	    serve_number("db-timeout", a.dbtime, 300,
	    STORE_DEFAULT_TIMEOUT_MS / 1000, &dbtime) != 0)
		return 2;
	store_set_timeout((int)dbtime * 1000);
	if (a.serve.nlisten == 0)
		a.serve.listen[a.serve.nlisten++] = "127.0.0.1:8000";
	a.serve.db = a.db;
	a.serve.master = have_master ? master : NULL;
	if (store_is_uri(a.db))
		return serve(&a.serve);
	if (dbdir_prepare(a.db, DBDIR_SERVE, err, sizeof(err), note,
	    sizeof(note)) != 0)
		return cli_fail("serve: %s", err);
	show_note(note);
	return serve(&a.serve);
}

/* A fresh client key: 20 random bytes, base64; 0 or -1. */
static int
new_client_key(char b64[32])
{
	unsigned char raw[20];
	int r = -1;

	if (RAND_bytes(raw, sizeof(raw)) == 1) {
		b64_encode(raw, sizeof(raw), b64);
		r = 0;
	}
	explicit_bzero(raw, sizeof(raw));
	return r;
}

static void
print_client_key(long id, const char *b64, bool json)
{
	if (json)
		printf("{ \"id\": %ld, \"key\": \"%s\" }\n", id, b64);
	else
		printf("id=%ld\nkey=%s\n", id, b64);
}

static int
cmd_client_add(int argc, char **argv)
{
	static const int ok[] = { O_DB, O_ID, O_JSON, 0 };
	struct args a = { 0 };
	char b64[32];
	struct store *st;
	long id = 0;
	int r;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc)
		return cli_fail("client add: unexpected argument '%s'", argv[optind]);
	if (a.id != NULL && (id = parse_pos(a.id, 2147483647)) < 0)
		return cli_fail("client add: --id must be a number from 1 to "
		    "2147483647, not '%s'", a.id);
	if (new_client_key(b64) != 0)
		return cli_fail("%s", "cannot get random bytes");
	if ((st = open_db(a.db, STORE_CREATE)) == NULL)
		return 1;
	r = store_client_add(st, &id, b64);
	store_close(st);
	if (r == -2)
		return cli_fail("client add: client id %s already exists", a.id);
	if (r != 0)
		return cli_fail("client add: cannot write to %s", db_name(a.db));
	print_client_key(id, b64, a.json);
	explicit_bzero(b64, sizeof(b64));
	return 0;
}

/* The one ID argument of "client disable|enable|rotate-key". */
static int
client_id_arg(const char *what, int argc, char **argv, long *id)
{
	if (optind != argc - 1)
		return cli_fail("client %s: expected one client ID", what);
	if ((*id = parse_pos(argv[optind], 2147483647)) < 0)
		return cli_fail("client %s: a client ID is a number from 1 to "
		    "2147483647, not '%s'", what, argv[optind]);
	return 0;
}

static int
cmd_client_toggle(int argc, char **argv, bool on)
{
	static const int ok[] = { O_DB, 0 };
	const char *what = on ? "enable" : "disable";
	struct args a = { 0 };
	struct store *st;
	long id = 0;
	int r;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (client_id_arg(what, argc, argv, &id) != 0)
		return 1;
	if ((st = open_db(a.db, STORE_EXISTING)) == NULL)
		return 1;
	r = store_client_set_active(st, id, on);
	store_close(st);
	if (r == -2)
		return cli_fail("client %s: no client %ld", what, id);
	if (r != 0)
		return cli_fail("client %s: cannot write to the database", what);
	printf("%s client %ld\n", on ? "enabled" : "disabled", id);
	return 0;
}

static int
cmd_client_rotate(int argc, char **argv)
{
	static const int ok[] = { O_DB, O_JSON, 0 };
	struct args a = { 0 };
	struct store *st;
	char b64[32];
	long id = 0;
	int r;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (client_id_arg("rotate-key", argc, argv, &id) != 0)
		return 1;
	if (new_client_key(b64) != 0)
		return cli_fail("%s", "cannot get random bytes");
	if ((st = open_db(a.db, STORE_EXISTING)) == NULL)
		return 1;
	r = store_client_set_key(st, id, b64);
	store_close(st);
	if (r == 0)
		print_client_key(id, b64, a.json);
	explicit_bzero(b64, sizeof(b64));
	if (r == -2)
		return cli_fail("client rotate-key: no client %ld", id);
	if (r != 0)
		return cli_fail("%s", "client rotate-key: cannot write to the database");
	return 0;
}

static int
print_client(const struct client_info *c, void *arg)
{
	json_object *arr = arg, *o;

	if (arr == NULL) {
		printf("%10ld %-8s %lld\n", c->id, c->active ? "active" :
		    "disabled", c->created);
		return 0;
	}
	if ((o = json_object_new_object()) == NULL)
		return -1;
	json_object_object_add(o, "id", json_object_new_int64(c->id));
	json_object_object_add(o, "active", json_object_new_boolean(c->active));
	json_object_object_add(o, "created", json_object_new_int64(c->created));
	return json_object_array_add(arr, o);
}

/* --public-id, --private-id, --aes-key and --serial as one key. */
static int
key_from_args(const char *what, const struct args *a, struct key_rec *k)
{
	char line[256];
	const char *errstr;
	long serial = 0;
	int r;

	if (a->pub == NULL || a->priv == NULL || a->aes == NULL)
		return cli_fail("key %s: --public-id, --private-id and --aes-key "
		    "are required", what);
	if (a->serial != NULL && (serial = parse_pos(a->serial, 2147483647)) < 0)
		return cli_fail("key %s: bad --serial '%s'", what, a->serial);
	/* One parser for the command line and for imports. */
	snprintf(line, sizeof(line), "%ld,%s,%s,%s", serial, a->pub, a->priv,
	    a->aes);
	r = import_parse_line(line, k, &errstr);
	explicit_bzero(line, sizeof(line));
	if (r != IMPORT_KEY || strchr(a->pub, ',') || strchr(a->priv, ',') ||
	    strchr(a->aes, ','))
		return cli_fail("key %s: %s", what, r == IMPORT_KEY ? "a value holds "
		    "a comma" : errstr);
	return 0;
}

static int
cmd_key_add(int argc, char **argv, bool replace)
{
	static const int ok[] = { O_DB, O_PUB, O_PRIV, O_AES, O_SERIAL,
		O_KEYFILE, 0 };
	const char *what = replace ? "replace" : "add";
	struct args a = { 0 };
	struct key_rec k = { 0 };
	char err[512];
	struct store *st;
	int r;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc)
		return cli_fail("key %s: unexpected argument '%s'", what,
		    argv[optind]);
	if (key_from_args(what, &a, &k) != 0)
		return 1;
	if ((st = open_db(a.db, replace ? STORE_EXISTING : STORE_CREATE)) == NULL) {
		explicit_bzero(&k, sizeof(k));
		return 1;
	}
	snprintf(err, sizeof(err), "cannot write to the database");
	r = replace ? store_key_replace(st, &k) :
	    store_keys_add(st, &k, 1, err, sizeof(err));
	store_close(st);
	explicit_bzero(&k, sizeof(k));
	if (r == -2 && replace)
		return cli_fail("key replace: no key with public ID '%s'", a.pub);
	if (r != 0)
		return cli_fail("key %s: %s", what, err);
	printf("%s %s\n", replace ? "replaced" : "added", a.pub);
	return 0;
}

static int
read_import(FILE *f, const char *name, struct key_rec **out, size_t *nout,
    size_t *skipped)
{
	struct key_rec *keys = NULL, k;
	char *line = NULL;
	size_t cap = 0, n = 0, lineno = 0;
	const char *errstr;
	int r = -1;

	*skipped = 0;
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		switch (import_parse_line(line, &k, &errstr)) {
		case IMPORT_SKIP:
			if (line[strspn(line, " \t\r\n")] != '\0' &&
			    line[strspn(line, " \t")] != '#')
				(*skipped)++;
			continue;
		case IMPORT_ERROR:
			fprintf(stderr, "ykvald: %s:%zu: %s\n", name, lineno, errstr);
			goto out;
		case IMPORT_KEY:
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp(keys[i].public_id, k.public_id) == 0) {
				fprintf(stderr, "ykvald: %s:%zu: public ID %s "
				    "appears twice\n", name, lineno, k.public_id);
				goto out;
			}
		}
		if (n == MAX_IMPORT) {
			fprintf(stderr, "ykvald: %s: more than %d keys\n", name,
			    MAX_IMPORT);
			goto out;
		}
		if (n % 64 == 0) {
			struct key_rec *nk = realloc(keys, (n + 64) * sizeof(*nk));

			if (nk == NULL)
				goto out;
			keys = nk;
		}
		keys[n++] = k;
	}
	if (ferror(f)) {
		fprintf(stderr, "ykvald: %s: read error\n", name);
		goto out;
	}
	*out = keys;
	*nout = n;
	keys = NULL;
	r = 0;
out:
	explicit_bzero(&k, sizeof(k));
	if (keys != NULL)
		explicit_bzero(keys, n * sizeof(*keys));
	free(keys);
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	return r;
}

static int
cmd_key_import(int argc, char **argv)
{
	static const int ok[] = { O_DB, O_KEYFILE, 0 };
	struct args a = { 0 };
	struct key_rec *keys = NULL;
	size_t n = 0, skipped;
	char err[512];
	struct store *st;
	FILE *f;
	int r;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc - 1)
		return cli_fail("%s", "key import: expected one FILE");
	if ((f = fopen(argv[optind], "re")) == NULL)
		return cli_fail("key import: cannot open %s", argv[optind]);
	r = read_import(f, argv[optind], &keys, &n, &skipped);
	fclose(f);
	if (r != 0)
		return 1;
	if (n == 0) {
		free(keys);
		return cli_fail("key import: no Yubico OTP keys in %s", argv[optind]);
	}
	r = 1;
	if ((st = open_db(a.db, STORE_CREATE)) != NULL) {
		r = store_keys_add(st, keys, n, err, sizeof(err)) == 0 ? 0 : 1;
		store_close(st);
		if (r != 0)
			fprintf(stderr, "ykvald: key import: %s; nothing was "
			    "imported\n", err);
	}
	explicit_bzero(keys, n * sizeof(*keys));
	free(keys);
	if (r == 0)
		printf("imported %zu keys (%zu other lines skipped)\n", n, skipped);
	return r;
}

static int
print_key(const struct key_info *k, void *arg)
{
	json_object *arr = arg, *o;

	if (arr == NULL) {
		printf("%-16s %-8s %10ld %7ld %5ld\n", k->public_id,
		    k->active ? "active" : "disabled", k->serial, k->counter,
		    k->use);
		return 0;
	}
	if ((o = json_object_new_object()) == NULL)
		return -1;
	json_object_object_add(o, "public_id", json_object_new_string(k->public_id));
	json_object_object_add(o, "serial", json_object_new_int64(k->serial));
	json_object_object_add(o, "active", json_object_new_boolean(k->active));
	json_object_object_add(o, "counter", json_object_new_int64(k->counter));
	json_object_object_add(o, "use", json_object_new_int64(k->use));
	json_object_object_add(o, "created", json_object_new_int64(k->created));
	json_object_object_add(o, "modified", json_object_new_int64(k->modified));
	return json_object_array_add(arr, o);
}

static int
key_foreach(struct store *st, void *arr)
{
	if (arr == NULL)
		printf("%-16s %-8s %10s %7s %5s\n", "public_id", "state",
		    "serial", "counter", "use");
	return store_keys_foreach(st, print_key, arr);
}

static int
client_foreach(struct store *st, void *arr)
{
	if (arr == NULL)
		printf("%10s %-8s %s\n", "id", "state", "created");
	return store_clients_foreach(st, print_client, arr);
}

/* "key list" and "client list": a table, or a JSON array. */
static int
cmd_list(int argc, char **argv, const char *what,
    int (*each)(struct store *, void *))
{
	static const int ok[] = { O_DB, O_JSON, 0 };
	struct args a = { 0 };
	json_object *arr = NULL;
	struct store *st;
	int r;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc)
		return cli_fail("%s list: unexpected argument '%s'", what,
		    argv[optind]);
	if ((st = open_db(a.db, STORE_EXISTING)) == NULL)
		return 1;
	if (a.json && (arr = json_object_new_array()) == NULL) {
		store_close(st);
		return cli_fail("%s", "out of memory");
	}
	r = each(st, arr);
	store_close(st);
	if (r == 0 && arr != NULL)
		printf("%s\n", json_object_to_json_string_ext(arr,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return r == 0 ? 0 : cli_fail("%s list: cannot read the database", what);
}

enum key_change { KEY_DISABLE, KEY_ENABLE, KEY_DELETE };

static int
cmd_key_change(int argc, char **argv, enum key_change how)
{
	static const int ok[] = { O_DB, 0 };
	static const char *const verb[] = { "disable", "enable", "delete" };
	static const char *const done[] = { "disabled", "enabled", "deleted" };
	struct args a = { 0 };
	struct store *st;
	int r;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc - 1)
		return cli_fail("key %s: expected one PUBLIC_ID", verb[how]);
	if ((st = open_db(a.db, STORE_EXISTING)) == NULL)
		return 1;
	r = how == KEY_DELETE ? store_key_delete(st, argv[optind]) :
	    store_key_set_active(st, argv[optind], how == KEY_ENABLE);
	store_close(st);
	if (r == -2)
		return cli_fail("no key with public ID '%s'", argv[optind]);
	if (r != 0)
		return cli_fail("%s", "cannot write to the database");
	printf("%s %s\n", done[how], argv[optind]);
	return 0;
}

static int
cmd_key_bump(int argc, char **argv)
{
	static const int ok[] = { O_DB, O_CTR, O_USE, 0 };
	struct args a = { 0 };
	struct store *st;
	long ctr, use = 0;
	int r;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc - 1)
		return cli_fail("%s", "key bump: expected one PUBLIC_ID");
	if ((ctr = parse_pos(a.ctr, 0x7fff)) < 0)
		return cli_fail("%s", "key bump: --counter must be a number from 1 "
		    "to 32767");
	if (a.use != NULL && strcmp(a.use, "0") != 0 &&
	    (use = parse_pos(a.use, 255)) < 0)
		return cli_fail("%s", "key bump: --use must be a number from 0 to 255");
	if ((st = open_db(a.db, STORE_EXISTING)) == NULL)
		return 1;
	r = store_key_bump(st, argv[optind], ctr, use);
	store_close(st);
	if (r == -2)
		return cli_fail("no key with public ID '%s'", argv[optind]);
	if (r != 0)
		return cli_fail("%s", "key bump: cannot write to the database");
	printf("%s: OTPs up to counter %ld use %ld are refused\n",
	    argv[optind], ctr, use);
	return 0;
}

/* Every row of from into the empty database to.  0, or -1 with err. */
static int
copy_rows(struct store *from, struct store *to, char *err, size_t errlen)
{
	struct store_rows rows;
	int r;

	if (store_dump(from, &rows, err, errlen) != 0)
		return -1;
	r = store_load(to, &rows, err, errlen);
	if (r == 0)
		printf("copied %zu clients and %zu keys\n", rows.nclients,
		    rows.nkeys);
	store_rows_free(&rows);
	return r == 0 ? 0 : -1;
}

/*
 * A database that has no image of its own (PostgreSQL) is backed up as
 * a SQLite database, in the empty file made for it: "db copy --from" it
 * restores it.  0, or 1 with err.
 */
static int
backup_to_sqlite(struct store *st, const char *out, char *err, size_t errlen)
{
	struct store *to;
	int r;

	if ((to = store_open(out, STORE_EXISTING, err, errlen)) == NULL)
		return 1;
	r = copy_rows(st, to, err, errlen) == 0 ? 0 : 1;
	store_close(to);
	return r;
}

/*
 * The copy is created by the caller (so root may write it where the
 * service user may not), never over an existing file or through a
 * symbolic link, mode 0600 whatever the umask; the database is then read
 * as its owner.
 */
static int
cmd_backup(int argc, char **argv)
{
	static const int ok[] = { O_DB, 0 };
	struct args a = { 0 };
	char err[512];
	struct store *st;
	const char *out;
	int fd, r = 1;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc - 1)
		return cli_fail("%s", "backup: expected one FILE");
	out = argv[optind];
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return cli_fail("backup: cannot create %s: %s%s", out,
		    strerror(errno), errno == EEXIST ? " (it is never "
		    "overwritten)" : "");
	if (fchmod(fd, 0600) != 0) {
		fprintf(stderr, "ykvald: backup: fchmod %s: %s\n", out,
		    strerror(errno));
		goto out;
	}
	if ((st = open_db(a.db, STORE_EXISTING)) == NULL)
		goto out;
	if (store_is_uri(a.db))
		r = backup_to_sqlite(st, out, err, sizeof(err));
	else
		r = store_backup(st, fd, err, sizeof(err)) == 0 ? 0 : 1;
	if (r != 0)
		fprintf(stderr, "ykvald: backup: %s: %s\n", out, err);
	store_close(st);
out:
	if (close(fd) != 0 && r == 0)
		r = cli_fail("backup: %s: %s", out, strerror(errno));
	if (r == 0)
		printf("backed up %s to %s\n", db_name(a.db), out);
	else if (unlink(out) != 0)
		fprintf(stderr, "ykvald: backup: remove %s, it is not a "
		    "backup\n", out);
	return r;
}

/* "db init" creates the schema, "db migrate" also upgrades an old one. */
static int
cmd_db_schema(int argc, char **argv, bool migrate)
{
	static const int ok[] = { O_DB, O_KEYFILE, 0 };
	const char *what = migrate ? "migrate" : "init";
	struct args a = { 0 };
	struct store *st;
	char err[512];
	size_t n = 0;
	int v, r = 0;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc)
		return cli_fail("db %s: unexpected argument '%s'", what, argv[optind]);
	if ((st = open_db(a.db, migrate ? STORE_MIGRATE : STORE_CREATE)) == NULL)
		return 1;
	v = store_schema_version(st);
	/* With --key-file, migrate also seals the keys stored in clear. */
	if (v == STORE_SCHEMA_VERSION && migrate && have_master &&
	    (r = store_seal_all(st, &n, err, sizeof(err))) != 0)
		fprintf(stderr, "ykvald: db migrate: %s\n", err);
	store_close(st);
	if (v != STORE_SCHEMA_VERSION)
		return cli_fail("db %s: cannot read the schema version", what);
	printf("%s: schema version %d\n", db_name(a.db), v);
	if (migrate && have_master)
		printf("sealed %zu AES keys\n", n);
	return r == 0 ? 0 : 1;
}

/* "db copy --from DB --to DB": into an empty database, all or nothing. */
static int
cmd_db_copy(int argc, char **argv)
{
	static const int ok[] = { O_FROM, O_TO, O_KEYFILE, 0 };
	struct args a = { 0 };
	struct store *from = NULL, *to = NULL;
	char err[512];
	int r = 1;

	if (parse_opts(argc, argv, ok, &a) != 0)
		return 2;
	if (optind != argc)
		return cli_fail("db copy: unexpected argument '%s'", argv[optind]);
	if (a.from == NULL || a.to == NULL)
		return cli_fail("%s", "db copy: --from and --to are required");
	if (strcmp(a.from, a.to) == 0)
		return cli_fail("%s", "db copy: --from and --to name the same database");
	if ((from = open_db(a.from, STORE_EXISTING)) == NULL ||
	    (to = open_db(a.to, STORE_MIGRATE)) == NULL)
		goto out;
	/* --key-file: open_db gave it to "to", whose load seals the keys. */
	if (copy_rows(from, to, err, sizeof(err)) != 0)
		fprintf(stderr, "ykvald: db copy: %s; nothing was copied\n", err);
	else
		r = 0;
out:
	store_close(from);
	store_close(to);
	return r;
}

/* "ykvald client frob": say what is unknown, then how to get help. */
static int
unknown(const char *cmd, const char *sub)
{
	if (*cmd == '\0')
		fputs(usage_text, stderr);
	else
		fprintf(stderr, "ykvald: unknown command '%s%s%s' (ykvald "
		    "--help lists them)\n", cmd, *sub ? " " : "", sub);
	return 2;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	const char *sub = argc > 2 ? argv[2] : "";
	int ac = argc - 2;
	char **av = argv + 2;

	cli_init("ykvald", usage_text);
	umask(077);	/* databases, their -wal and -shm, backups */
	atexit(forget_master);
	if (strcmp(cmd, "--version") == 0) {
		printf("ykvald (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "backup") == 0)
		return cmd_backup(argc - 1, argv + 1);
	if (strcmp(cmd, "client") == 0) {
		if (strcmp(sub, "add") == 0)
			return cmd_client_add(ac, av);
		if (strcmp(sub, "list") == 0)
			return cmd_list(ac, av, "client", client_foreach);
		if (strcmp(sub, "disable") == 0)
			return cmd_client_toggle(ac, av, false);
		if (strcmp(sub, "enable") == 0)
			return cmd_client_toggle(ac, av, true);
		if (strcmp(sub, "rotate-key") == 0)
			return cmd_client_rotate(ac, av);
	}
	if (strcmp(cmd, "key") == 0) {
		if (strcmp(sub, "add") == 0)
			return cmd_key_add(ac, av, false);
		if (strcmp(sub, "replace") == 0)
			return cmd_key_add(ac, av, true);
		if (strcmp(sub, "import") == 0)
			return cmd_key_import(ac, av);
		if (strcmp(sub, "list") == 0)
			return cmd_list(ac, av, "key", key_foreach);
		if (strcmp(sub, "disable") == 0)
			return cmd_key_change(ac, av, KEY_DISABLE);
		if (strcmp(sub, "enable") == 0)
			return cmd_key_change(ac, av, KEY_ENABLE);
		if (strcmp(sub, "delete") == 0)
			return cmd_key_change(ac, av, KEY_DELETE);
		if (strcmp(sub, "bump") == 0)
			return cmd_key_bump(ac, av);
	}
	if (strcmp(cmd, "db") == 0) {
		if (strcmp(sub, "init") == 0)
			return cmd_db_schema(ac, av, false);
		if (strcmp(sub, "migrate") == 0)
			return cmd_db_schema(ac, av, true);
		if (strcmp(sub, "copy") == 0)
			return cmd_db_copy(ac, av);
	}
	return unknown(cmd, strcmp(cmd, "client") == 0 ||
	    strcmp(cmd, "key") == 0 || strcmp(cmd, "db") == 0 ? sub : "");
}
