/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_piv_p11.c - a PKCS#11 module's answers through the whole PIV
 * login (piv_login, piv_probe): slot lists, token info (token_matches,
 * p11_str), the lengths it reports for attributes and signatures
 * (get_attr, read_cert, key_matches, sign), session states and return
 * codes.  The module is tests/fuzz/.libs/fuzzp11.so (fuzzp11.c), loaded
 * by the login as pkcs11_module= from beside this program; every answer
 * comes from the input.  Where the input says "honest", it answers with a
 * certificate (CN=alice) and EC P-256 key made at start-up by openssl in
 * a private directory under $TMPDIR, so that logins can also succeed.
 * The first input byte picks the pkcs11_uri attributes, probe or login,
 * and use_authtok_as_pin.  Run as root: the module and the CA file must
 * be root's (module_unsafe, piv_trust_load).
 */
#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "login.h"
#include "piv_login.h"
#include "fuzzp11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Thousands of logins a second: none of them goes to syslog. */
void
syslog(int prio, const char *fmt, ...)
{
}

static char dir[PATH_MAX - 32], module[PATH_MAX], cafile[PATH_MAX];
static unsigned char *cert, ec_point[140];
static size_t certlen, ec_pointlen;
static EVP_PKEY *key;
static fuzzp11_feed_fn feed;
static struct fuzzp11_card card;

static void
cleanup(void)
{
	static const char *const f[] = { "ca.pem", "ca.key", "leaf.key",
	    "leaf.csr", "leaf.der", "leaf.ext", "ca.srl", NULL };
	char p[PATH_MAX + 16];

	for (int i = 0; f[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, f[i]);
		unlink(p);
	}
	rmdir(dir);
}

static int
sign(const unsigned char *data, size_t len, unsigned char *sig, size_t *siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	unsigned char der[160];
	const unsigned char *q = der;
	size_t dlen = sizeof(der);
	ECDSA_SIG *es = NULL;
	int r = -1;

	if (ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_sign(ctx, der, &dlen, data, len) == 1 &&
	    (es = d2i_ECDSA_SIG(NULL, &q, (long)dlen)) != NULL && *siglen >= 64 &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32) {
		*siglen = 64;
		r = 0;
	}
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "fuzz_piv_p11: %s\n", what);
	abort();
}

/* The test CA and alice's certificate and key, made by openssl. */
static void
make_pki(void)
{
	char cmd[8 * PATH_MAX], p[PATH_MAX + 16];
	unsigned char pt[133];
	size_t ptlen = 0;
	struct stat st;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "set -e; cd '%s'; exec >/dev/null 2>&1; "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout ca.key -subj /CN=FuzzCA -days 30 -sha256 "
	    "-addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem; "
	    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout leaf.key -subj /CN=alice -out leaf.csr; "
	    "printf 'keyUsage=critical,digitalSignature\\n"
	    "extendedKeyUsage=clientAuth\\n' >leaf.ext; "
	    "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 30 -sha256 -extfile leaf.ext -outform DER "
	    "-out leaf.der; chmod 600 ca.pem", dir);
	if (system(cmd) != 0)
		die("openssl cannot make the test PKI");
	snprintf(cafile, sizeof(cafile), "%s/ca.pem", dir);
	snprintf(p, sizeof(p), "%s/leaf.der", dir);
	if (stat(p, &st) != 0 || (f = fopen(p, "rb")) == NULL ||
	    (cert = malloc((size_t)st.st_size)) == NULL ||
	    fread(cert, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
		die("cannot read leaf.der");
	certlen = (size_t)st.st_size;
	fclose(f);
	snprintf(p, sizeof(p), "%s/leaf.key", dir);
	if ((f = fopen(p, "r")) == NULL ||
	    (key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		die("cannot read leaf.key");
	fclose(f);
	if (EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", pt,
	    sizeof(pt), &ptlen) != 1 || ptlen > 127)
		die("cannot get the EC point");
	/* CKA_EC_POINT: the point in a DER OCTET STRING. */
	ec_point[0] = 0x04;
	ec_point[1] = (unsigned char)ptlen;
	memcpy(ec_point + 2, pt, ptlen);
	ec_pointlen = ptlen + 2;
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char exe[PATH_MAX - 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *dl;

	if (n <= 0)
		die("cannot find this program");
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(module, sizeof(module), "%s/.libs/fuzzp11.so", exe);
	if ((dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (*(void **)&feed = dlsym(dl, "fuzzp11_feed")) == NULL)
		die("cannot load .libs/fuzzp11.so beside this program");
	snprintf(dir, sizeof(dir), "%s/fuzz_piv_p11.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("cannot make a directory");
	atexit(cleanup);
	make_pki();
	card.cert = cert;
	card.certlen = certlen;
	card.ec_point = ec_point;
	card.ec_pointlen = ec_pointlen;
	card.sign = sign;
}

/* The PIN: a malformed one (too short) when the first byte says so. */
static char *
ask_pin(void *arg, const char *prompt)
{
	return strdup(arg != NULL ? "1234" : "123456");
}

/* piv_login with the login context and the conversation (login.h). */
static enum yk_result
ask(void *arg, bool echo, const char *prompt, char **answer)
{
	*answer = ask_pin(arg, prompt);
	return *answer != NULL ? YK_OK : YK_NOMEM;
}

static const char *
authtok(void *arg)
{
	return "654321";
}

static void
say(void *arg, const char *text)
{
	if (text == NULL || text[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct passwd pw = { .pw_name = "alice", .pw_uid = 1000,
	    .pw_gid = 1000, .pw_dir = "/nonexistent", .pw_shell = "/bin/sh" };
	struct cfg cfg;
	struct yk_log log;
	struct piv_probe probe;
	unsigned opt = size > 0 ? data[0] : 0;
	struct login lg = { &cfg, &log, "alice", &pw };
	struct conv cv = { .ask = ask, .authtok = authtok, .info = say,
	    .error = say, .arg = opt & 0x80 ? &cfg : NULL };
	enum yk_result r;

	if (feed == NULL)
		setup();
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = MODE_PIV;
	cfg.pkcs11_module = module;
	cfg.piv_cafile = cafile;
	cfg.piv_map = PIV_MAP_CN;
	cfg.piv_min_rsa_bits = CFG_DEFAULT_MIN_RSA_BITS;
	cfg.vc.timeout_ms = 10000;
	cfg.piv_uri.id[0] = 0x01;
	cfg.piv_uri.idlen = 1;
	cfg.piv_uri.token = opt & 1 ? "PIV Card" : NULL;
	cfg.piv_uri.manufacturer = opt & 2 ? "Yubico" : NULL;
	cfg.piv_uri.model = opt & 4 ? "YubiKey" : NULL;
	cfg.piv_uri.serial = opt & 8 ? "1234" : NULL;
	cfg.piv_uri.object = opt & 0x10 ? "Certificate for PIV Authentication" :
	    NULL;
	cfg.use_authtok_as_pin = (opt & 0x20) != 0;
	log_init(&log, "fuzz");
	feed(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0, &card);
	if (opt & 0x40) {
		r = piv_probe(&cfg, &log, "alice", &pw, NULL, &probe);
		if ((r == YK_OK) != (probe.why == NULL))
			abort();
	} else {
		r = piv_login(&lg, &cv);
		/* Only the key's own signature over our challenge logs in. */
		if (r == YK_OK && !card.signed_honestly)
			abort();
	}
	return 0;
}
