/* SPDX-License-Identifier: BSD-2-Clause */
/* test_cfg.c - module arguments: each one good, each one bad or misspelt */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "tap.h"

#define KEY "key=EHmo8FMxuhumBlTinC4uYL0Mgwg="
/* A whole LDAP mapping, as one argument list's middle. */
#define LDAP_OK "ldap_uri=ldaps://ldap.example", "ldapdn=ou=people,dc=example", \
	"user_attr=uid", "yubi_attr=yubiKeyId"
/* The same for piv_map=ldap (no yubi_attr=). */
#define PIV_LDAP_OK "ldap_uri=ldaps://ldap.example", \
	"ldapdn=ou=people,dc=example", "user_attr=uid"

/* parse(c, err, arg, ..., NULL) */
static enum cfg_err
parse(struct cfg *c, char *err, ...)
{
	const char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, err);
	while (argc < 16 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	err[0] = '\0';
	return cfg_parse(argc, argv, c, err, 256);
}

/* GOOD(args...): accepted.  BAD(what, args...): refused, err names what. */
#define GOOD(...) do {							\
	struct cfg c; char err[256];					\
	enum cfg_err r_ = parse(&c, err, "id=1", __VA_ARGS__, NULL);	\
	CHECK(r_ == 0, "should accept %s: %s", #__VA_ARGS__, err);	\
	cfg_free(&c);							\
} while (0)
#define BAD(what, ...) do {						\
	struct cfg c; char err[256];					\
	enum cfg_err r_ = parse(&c, err, __VA_ARGS__, NULL);		\
	CHECK(r_ != 0 && strstr(err, what) != NULL,			\
	    "should refuse %s naming '%s': got '%s'", #__VA_ARGS__, what, err); \
	cfg_free(&c);							\
} while (0)

static void
test_table(void)
{
	GOOD("debug");
	GOOD("nullok");
	GOOD("alwaysok");
	GOOD("try_first_pass");
	GOOD("use_first_pass");
	GOOD("always_prompt");
	GOOD("verbose_otp");
	GOOD("mode=client");
	GOOD(KEY);
	GOOD("urllist=https://a.example/wsapi/2.0/verify;https://b.example/wsapi/2.0/verify");
	GOOD(KEY, "urllist=http://127.0.0.1:8000/wsapi/2.0/verify");
	GOOD("url=https://a.example/wsapi/2.0/verify?id=%d&otp=%s");
	GOOD("capath=/etc/ssl/certs");
	GOOD("cainfo=/etc/ssl/certs/ca-certificates.crt");
	GOOD("proxy=socks5h://127.0.0.1:1080");
	GOOD("authfile=/etc/yubikey_mappings");
	GOOD("token_id_length=16");
	GOOD("token_id_length=1");
	GOOD("timeout=1");
	GOOD("timeout=60");
	GOOD("prompt=Touch your YubiKey: ");
	GOOD("debug_file=/var/log/pam_yk.log");
	GOOD("chalresp_path=/var/yubico");

	BAD("unknown option 'debgu'", "id=1", "debgu");
	BAD("unknown option 'kye=' (its value is not shown)", "id=1",
	    "kye=EHmo8FMxuhumBlTinC4uYL0Mgwg=");
	BAD("unknown option 'nullokk'", "id=1", "nullokk");
	BAD("unknown option 'use_frist_pass'", "id=1", "use_frist_pass");
	BAD("unknown option 'try_first_pas'", "id=1", "try_first_pas");
	BAD("unknown option 'alwaysOK'", "id=1", "alwaysOK");
	BAD("unknown option 'always-prompt'", "id=1", "always-prompt");
	BAD("unknown option 'verbose_otp='", "id=1", "verbose_otp=1");
	BAD("unknown option 'urlist", "id=1", "urlist=https://x/wsapi/2.0/verify");
	BAD("unknown option 'authfle", "id=1", "authfle=/etc/x");
	BAD("unknown option 'token_id_len=", "id=1", "token_id_len=12");
	BAD("unknown option 'timout=", "id=1", "timout=5");
	BAD("unknown option 'ID='", "ID=1");
	/* A known option with an empty value is a bad value, not unknown. */
	BAD("cainfo: expected a value, not an empty one", "id=1", "cainfo=");
	BAD("capath: expected a value, not an empty one", "id=1", "capath=");
	BAD("proxy: expected a value", "id=1", "proxy=");
	BAD("prompt: expected a value", "id=1", "prompt=");
	BAD("debug_file: expected a value", "id=1", "debug_file=");
	BAD("authfile: expected an absolute path", "id=1", "authfile=");
	BAD("mode:", "id=1", "mode=clinet");
	BAD("id:", "id=abc");
	BAD("id:", "id=0");
	BAD("id:", "id=-1");
	BAD("id:", "id=1x");
	BAD("id: the API client id is required", "debug");
	BAD("key:", "id=1", "key=not base64!");
	BAD("key:", "id=1", "key=");
	BAD("forged", "id=1", "urllist=http://127.0.0.1/wsapi/2.0/verify");
	BAD("urllist:", "id=1", "urllist=ftp://a.example/");
	BAD("urllist:", "id=1", "urllist=https://a.example/v?id=1");
	BAD("urllist: no URL", "id=1", "urllist=;;");
	BAD("urllist: more than", "id=1", "urllist=https://1;https://2;https://3;https://4;https://5;https://6;https://7;https://8;https://9;https://10;https://11");
	BAD("url:", "id=1", "url=https://a.example/verify?id=%s&otp=%s");
	BAD("url:", "id=1", "url=https://a.example/verify?id=%d&otp=%s%n");
	BAD("url:", "id=1", "url=https://a.example/verify");
	BAD("url:", "id=1", "url=https://a.example/verify?id=%d&otp=%");
	BAD("url:", "id=1", "url=https://a.example/%d/verify?otp=%s");
	BAD("authfile:", "id=1", "authfile=relative/path");
	BAD("token_id_length:", "id=1", "token_id_length=17");
	BAD("token_id_length:", "id=1", "token_id_length=0");
	BAD("token_id_length:", "id=1", "token_id_length=twelve");
	BAD("timeout:", "id=1", "timeout=0");
	BAD("timeout:", "id=1", "timeout=61");
	BAD("timeout:", "id=1", "timeout=5s");
	BAD("chalresp_path:", "id=1", "chalresp_path=var/yubico");
	BAD("chalresp_path:", "chalresp_path=/var//yubico");
	BAD("chalresp_path:", "chalresp_path=/var/../etc");
	BAD("prompt:", "mode=challenge-response", "prompt=two\nlines");
	BAD("mysql_server: the MySQL mapping", "id=1", "mysql_server=db");
	BAD("exclude each other", "id=1", "use_first_pass", "try_first_pass");
	BAD("conf: expected an absolute path", "id=1", "conf=pam_yk.conf");
	/* LDAP: each option, and the combinations that are refused */
	GOOD(LDAP_OK);
	GOOD(LDAP_OK, "yubi_attr_prefix=yubikey:", "ldap_starttls");
	GOOD("ldapserver=127.0.0.1:3890", "ldapdn=dc=example",
	    "ldap_filter=(&(objectClass=person)(uid=%u))", "yubi_attr=yk");
	GOOD("ldapserver=ldap.example", "ldap_starttls", "ldapdn=dc=example",
	    "user_attr=uid", "yubi_attr=yk", "ldap_bind_as_user");
	GOOD("ldap_uri=ldaps://a.example,ldap://127.0.0.1:389", "ldapdn=dc=x",
	    "user_attr=uid", "yubi_attr=yk", "ldap_bind_user=cn=r,dc=x",
	    "ldap_bind_password=pw");
	GOOD(LDAP_OK, "ldap_cacertfile=/ca.pem", "ldap_clientcertfile=/c.pem",
	    "ldap_clientkeyfile=/k.pem");
	GOOD(LDAP_OK, "ldap_connection_timeout=60", "ldap_helper=/h");
	BAD("ldap_uri: expected", "id=1", "ldap_uri=http://x");
	BAD("ldap_uri: expected", "id=1", "ldap_uri=ldap://a, ldap://b");
	BAD("ldap_uri: expected", "id=1", "ldap_uri=ldaps://");
	BAD("ldapserver: expected", "id=1", "ldapserver=a b");
	BAD("user_attr: expected", "id=1", "user_attr=u=id");
	BAD("yubi_attr: expected", "id=1", "yubi_attr=(x)");
	BAD("ldap_filter: expected", "id=1", "ldap_filter=(uid=x)");
	BAD("ldap_filter: expected", "id=1", "ldap_filter=uid=%u");
	BAD("ldapdn: expected", "id=1", "ldapdn=a\nb");
	BAD("ldap_connection_timeout:", "id=1", "ldap_connection_timeout=61");
	BAD("ldap_uri: the LDAP options", "id=1", "yubi_attr=yk");
	BAD("ldap_uri and ldapserver", "id=1", LDAP_OK, "ldapserver=h");
	BAD("yubi_attr:", "id=1", "ldap_uri=ldaps://h", "ldapdn=dc=x",
	    "user_attr=uid");
	BAD("ldapdn:", "id=1", "ldap_uri=ldaps://h", "yubi_attr=yk",
	    "user_attr=uid");
	BAD("user_attr or ldap_filter", "id=1", "ldap_uri=ldaps://h",
	    "ldapdn=dc=x", "yubi_attr=yk");
	BAD("ldap_bind_user and ldap_bind_password", "id=1", LDAP_OK,
	    "ldap_bind_user=cn=r");
	BAD("ldap_bind_as_user: needs user_attr", "id=1", "ldap_uri=ldaps://h",
	    "ldapdn=dc=x", "ldap_filter=(uid=%u)", "yubi_attr=yk",
	    "ldap_bind_as_user");
	BAD("ldap_clientcertfile and ldap_clientkeyfile", "id=1", LDAP_OK,
	    "ldap_clientcertfile=/c.pem");
	BAD("authfile and ldap_uri", "id=1", LDAP_OK, "authfile=/a");
	BAD("could be forged", "id=1", "ldap_uri=ldap://ldap.example",
	    "ldapdn=dc=x", "user_attr=uid", "yubi_attr=yk");
	BAD("could be forged", "id=1", "ldapserver=ldap.example",
	    "ldapdn=dc=x", "user_attr=uid", "yubi_attr=yk");
	BAD("does not apply to mode=piv", "mode=piv", "piv_cafile=/ca.pem",
	    LDAP_OK);
	/* piv_map=ldap: the connection and search options, not the OTP ones */
	GOOD("mode=piv", "piv_cafile=/ca.pem", "piv_map=ldap", PIV_LDAP_OK);
	GOOD("mode=piv", "piv_cafile=/ca.pem", "piv_map=ldap", PIV_LDAP_OK,
	    "piv_ldap_fp_attr=pivFingerprint", "ldap_bind_user=cn=r,dc=x",
	    "ldap_bind_password=pw", "ldap_connection_timeout=2",
	    "ldap_cacertfile=/ca.pem", "ldap_helper=/h");
	GOOD("mode=piv", "piv_cafile=/ca.pem", "piv_map=ldap",
	    "ldapserver=127.0.0.1:3890", "ldapdn=dc=x",
	    "ldap_filter=(&(objectClass=person)(uid=%u))");
	BAD("ldap_uri: piv_map=ldap needs", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_map=ldap");
	BAD("piv_map: the LDAP options are for piv_map=ldap", "mode=piv",
	    "piv_cafile=/ca.pem", PIV_LDAP_OK);
	BAD("piv_map: the LDAP options are for piv_map=ldap", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_map=cn", PIV_LDAP_OK);
	BAD("piv_map: the LDAP options are for piv_map=ldap", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_ldap_fp_attr=fp");
	BAD("authfile and piv_map=ldap", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_map=ldap", PIV_LDAP_OK, "authfile=/a");
	BAD("ldapdn:", "mode=piv", "piv_cafile=/ca.pem", "piv_map=ldap",
	    "ldap_uri=ldaps://h", "user_attr=uid");
	BAD("user_attr or ldap_filter", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_map=ldap", "ldap_uri=ldaps://h", "ldapdn=dc=x");
	BAD("certificate mapping could be forged", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_map=ldap", "ldap_uri=ldap://h",
	    "ldapdn=dc=x", "user_attr=uid");
	BAD("yubi_attr: does not apply to mode=piv", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_map=ldap", PIV_LDAP_OK, "yubi_attr=yk");
	BAD("ldap_bind_as_user: does not apply to mode=piv", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_map=ldap", PIV_LDAP_OK,
	    "ldap_bind_as_user");
	BAD("piv_ldap_fp_attr: expected", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_map=ldap", PIV_LDAP_OK, "piv_ldap_fp_attr=a b");
	BAD("piv_ldap_fp_attr: does not apply to mode=client", "id=1",
	    LDAP_OK, "piv_ldap_fp_attr=fp");
	BAD("ldap_uri: does not apply to mode=challenge-response",
	    "mode=challenge-response",
	    "ldap_uri=ldaps://h");
	/* PIV */
	BAD("piv_cafile or piv_capath", "mode=piv");
	BAD("pkcs11_module: expected an absolute path", "mode=piv",
	    "piv_cafile=/ca.pem", "pkcs11_module=opensc-pkcs11.so");
	BAD("piv_slot:", "mode=piv", "piv_cafile=/ca.pem", "piv_slot=9b");
	BAD("piv_map:", "mode=piv", "piv_cafile=/ca.pem", "piv_map=gecos");
	BAD("piv_eku:", "mode=piv", "piv_cafile=/ca.pem", "piv_eku=none");
	BAD("piv_cafile: expected an absolute path", "mode=piv",
	    "piv_cafile=ca.pem");
	/* OCSP */
	BAD("piv_ocsp:", "mode=piv", "piv_cafile=/ca.pem", "piv_ocsp=on");
	BAD("piv_ocsp: does not apply", "id=1", "piv_ocsp=require");
	BAD("piv_ocsp: does not apply", "mode=challenge-response",
	    "piv_ocsp=try");
	BAD("need piv_ocsp=try", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_ocsp_url=http://ocsp.example/");
	BAD("need piv_ocsp=try", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_ocsp=off", "piv_ocsp_cache=/var/cache/pam_yk");
	BAD("need piv_ocsp=try", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_ocsp_max_age=60");
	BAD("piv_ocsp_url: expected an http://", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_ocsp=try",
	    "piv_ocsp_url=https://ocsp.example/");
	BAD("piv_ocsp_url: expected an http://", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_ocsp=try", "piv_ocsp_url=http://");
	BAD("piv_ocsp_url: expected an http://", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_ocsp=try",
	    "piv_ocsp_url=http://u:p@ocsp.example/");
	BAD("piv_ocsp_url: expected an http://", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_ocsp=try",
	    "piv_ocsp_url=http://ocsp.example/?x");
	BAD("piv_ocsp_max_age: expected 1 to", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_ocsp=try", "piv_ocsp_max_age=0");
	BAD("piv_ocsp_cache: expected an absolute path", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_ocsp=try", "piv_ocsp_cache=cache");
	BAD("piv_crlpath: expected an absolute path", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_crlpath=");
	BAD("pkcs11_uri: query", "mode=piv", "piv_cafile=/ca.pem",
	    "pkcs11_uri=pkcs11:token=x?pin-value=123456");
	BAD("pkcs11_uri: unknown attribute 'slot-id'", "mode=piv",
	    "piv_cafile=/ca.pem", "pkcs11_uri=pkcs11:slot-id=1");
	BAD("pkcs11_uri: bad percent", "mode=piv", "piv_cafile=/ca.pem",
	    "pkcs11_uri=pkcs11:token=a%2");
	BAD("pkcs11_uri: bad percent", "mode=piv", "piv_cafile=/ca.pem",
	    "pkcs11_uri=pkcs11:token=a%00b");
	BAD("pkcs11_uri: expected", "mode=piv", "piv_cafile=/ca.pem",
	    "pkcs11_uri=token=x");
	BAD("pkcs11_uri: type", "mode=piv", "piv_cafile=/ca.pem",
	    "pkcs11_uri=pkcs11:type=private");
	BAD("piv_domain: piv_map=upn needs", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_map=upn");
	BAD("piv_domain: piv_map=email needs", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_map=email");
	BAD("piv_domain: 'a@b.example' is not", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_map=upn", "piv_domain=a@b.example");
	BAD("piv_domain: expected", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_map=upn", "piv_domain=");
	BAD("piv_domain: expected", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_map=upn", "piv_domain=a.example,,b.example");
	BAD("piv_domain: 'a..example' is not", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_map=upn", "piv_domain=a..example");
	BAD("piv_domain: '.example' is not", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_map=upn", "piv_domain=.example");
	BAD("piv_domain: more than 16", "mode=piv", "piv_cafile=/ca.pem",
	    "piv_map=upn", "piv_domain=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q");
	BAD("piv_min_rsa_bits: expected 1024", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_min_rsa_bits=512");
	BAD("piv_min_rsa_bits: expected 1024", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_min_rsa_bits=16385");
	BAD("piv_min_rsa_bits: expected 1024", "mode=piv",
	    "piv_cafile=/ca.pem", "piv_min_rsa_bits=2048bits");
	BAD("use_first_pass: does not apply to mode=piv", "mode=piv",
	    "piv_cafile=/ca.pem", "use_first_pass");
	BAD("try_first_pass: does not apply to mode=piv", "mode=piv",
	    "piv_cafile=/ca.pem", "try_first_pass");
	BAD("conf: cannot open", "id=1", "conf=/nonexistent/pam_yk.conf");
}

/* mode= lists (issue 16) and offline=. */
static void
test_lists(void)
{
	GOOD("mode=otp");
	GOOD("mode=piv,otp", "piv_cafile=/ca.pem");
	GOOD("mode=otp,challenge-response,piv", "piv_cafile=/ca.pem");
	GOOD("mode=challenge-response,client");
	/* an option of one method is fine when that method is listed */
	GOOD("mode=piv,otp", "piv_cafile=/ca.pem", "use_first_pass");
	/* the directory maps otp's token IDs beside any piv_map */
	GOOD("mode=piv,otp", "piv_cafile=/ca.pem", "piv_map=cn", LDAP_OK);
	GOOD("mode=piv,otp", "piv_cafile=/ca.pem", "piv_map=ldap", LDAP_OK);
	BAD("yubi_attr: the LDAP mapping needs", "id=1", "mode=piv,otp",
	    "piv_cafile=/ca.pem", "piv_map=ldap", PIV_LDAP_OK);
	/* a list looks the user up before anything is typed */
	BAD("ldap_bind_as_user: a method list", "id=1",
	    "mode=otp,challenge-response",
	    LDAP_OK, "ldap_bind_as_user");
	GOOD("mode=otp,challenge-response", "offline=challenge-response");
	GOOD("mode=piv,otp,challenge-response", "piv_cafile=/ca.pem",
	    "offline=challenge-response");
	BAD("mode: otp is listed twice" , "id=1", "mode=otp,piv,otp",
	    "piv_cafile=/ca.pem");
	BAD("mode: otp is listed twice", "id=1", "mode=client,otp");
	BAD("mode: expected", "id=1", "mode=otp,sms");
	BAD("not 'sms'", "id=1", "mode=otp,sms");
	BAD("mode: expected", "id=1", "mode=otp,");
	BAD("mode: expected", "id=1", "mode=,otp");
	BAD("mode: expected", "id=1", "mode=");
	BAD("mode: expected", "id=1", "mode=otp,,piv", "piv_cafile=/ca.pem");
	BAD("mode: expected", "id=1", "mode=OTP");
	BAD("mode: expected", "id=1", "mode=otp piv");
	BAD("piv_cafile or piv_capath", "id=1", "mode=otp,piv");
	BAD("id: the API client id", "mode=piv,otp", "piv_cafile=/ca.pem");
	GOOD("mode=piv,challenge-response", "piv_cafile=/ca.pem",
	    "use_first_pass");
	BAD("offline: does not apply to mode=piv,challenge-response",
	    "mode=piv,challenge-response", "piv_cafile=/ca.pem",
	    "offline=challenge-response");
	BAD("offline: mode= must list challenge-response", "id=1",
	    "offline=challenge-response");
	BAD("offline: mode= must list challenge-response", "id=1",
	    "mode=otp,piv", "piv_cafile=/ca.pem", "offline=challenge-response");
	BAD("offline: mode= lists challenge-response before otp", "id=1",
	    "mode=challenge-response,otp", "offline=challenge-response");
	BAD("offline: does not apply", "mode=challenge-response",
	    "offline=challenge-response");
	BAD("offline: expected challenge-response", "id=1",
	    "mode=otp,challenge-response", "offline=piv");
}

/* What a list sets, and the copy each method runs with (cfg_method). */
static void
test_list_values(void)
{
	struct cfg c, m;
	char err[256];

	CHECK(parse(&c, err, "id=1", "mode=piv,otp,challenge-response",
	    "piv_cafile=/ca.pem", NULL) == 0 && c.nmethods == 3 &&
	    c.mode == MODE_PIV && c.methods[1] == MODE_CLIENT &&
	    c.methods[2] == MODE_CHALRESP && c.modes == CFG_IN_ALL &&
	    c.vc.timeout_ms == CFG_PIV_TIMEOUT_MS &&
	    c.vc.connect_timeout_ms == 3000, "a list of three: %s", err);
	cfg_method(&c, MODE_CLIENT, &m);
	CHECK(m.mode == MODE_CLIENT && m.nmethods == 1 &&
	    m.modes == CFG_IN_CLIENT && m.vc.timeout_ms ==
	    CFG_DEFAULT_TIMEOUT_MS && m.nowned == 0, "otp's copy");
	cfg_method(&c, MODE_PIV, &m);
	CHECK(m.vc.timeout_ms == CFG_PIV_TIMEOUT_MS, "piv's copy");
	explicit_bzero(&m, sizeof(m));
	cfg_free(&c);
	CHECK(parse(&c, err, "id=1", "mode=piv,otp", "piv_cafile=/ca.pem",
	    "timeout=2", NULL) == 0, "timeout: %s", err);
	cfg_method(&c, MODE_PIV, &m);
	CHECK(m.vc.timeout_ms == 2000 && c.vc.connect_timeout_ms == 2000,
	    "timeout= holds for every method");
	explicit_bzero(&m, sizeof(m));
	cfg_free(&c);
}

static void
test_values(void)
{
	struct cfg c;
	char err[256];

	CHECK(parse(&c, err, "mode=piv", "piv_capath=/etc/ssl/certs",
	    "pkcs11_uri=pkcs11:token=My%20Card;object=alice;id=%02%ff;type=cert",
	    NULL) == 0, "PIV: %s", err);
	CHECK(c.piv_uri.token && strcmp(c.piv_uri.token, "My Card") == 0 &&
	    strcmp(c.piv_uri.object, "alice") == 0 && c.piv_uri.idlen == 2 &&
	    c.piv_uri.id[0] == 2 && c.piv_uri.id[1] == 0xff, "URI decoded");
	cfg_free(&c);
	CHECK(parse(&c, err, "mode=piv", "piv_cafile=/ca.pem", "piv_slot=9C",
	    "piv_map=upn", "piv_domain=EXAMPLE.COM", NULL) == 0 &&
	    c.piv_uri.id[0] == 2 && c.piv_map == PIV_MAP_UPN,
	    "piv_slot=9C is CKA_ID 02");
	cfg_free(&c);
	CHECK(parse(&c, err, "mode=piv", "piv_cafile=/ca.pem", "piv_map=email",
	    "piv_domain=a.example,B-2.Example", "piv_domain=c.example",
	    "piv_min_rsa_bits=1024", NULL) == 0 && c.npiv_domains == 3 &&
	    strcmp(c.piv_domain[1], "B-2.Example") == 0 &&
	    strcmp(c.piv_domain[2], "c.example") == 0 &&
	    c.piv_min_rsa_bits == 1024, "piv_domain lists add up: %s", err);
	cfg_free(&c);
	CHECK(parse(&c, err, "mode=piv", "piv_cafile=/ca.pem",
	    "piv_ocsp=require", "piv_ocsp_url=http://[::1]:8080/ocsp",
	    "piv_ocsp_max_age=3600", "piv_ocsp_cache=/var/cache/pam_yk",
	    NULL) == 0 && c.piv_ocsp == PIV_OCSP_REQUIRE &&
	    strcmp(c.piv_ocsp_url, "http://[::1]:8080/ocsp") == 0 &&
	    c.piv_ocsp_max_age == 3600 &&
	    strcmp(c.piv_ocsp_cache, "/var/cache/pam_yk") == 0,
	    "the OCSP options: %s", err);
	cfg_free(&c);
	CHECK(parse(&c, err, "mode=piv", "piv_cafile=/ca.pem", NULL) == 0 &&
	    c.piv_uri.id[0] == 1 && c.piv_uri.idlen == 1 &&
	    strcmp(c.pkcs11_module, PKCS11_DEFAULT_MODULE) == 0 &&
	    c.piv_min_rsa_bits == 2048 && c.npiv_domains == 0,
	    "PIV defaults: 9a, OpenSC, RSA >= 2048");
	CHECK(c.piv_ocsp == PIV_OCSP_OFF && c.piv_ocsp_url == NULL &&
	    c.piv_ocsp_cache == NULL && c.piv_ocsp_max_age == 0,
	    "PIV default: no OCSP");
	CHECK(c.vc.timeout_ms == 30000, "PIV default timeout: %u ms",
	    c.vc.timeout_ms);
	cfg_free(&c);
	CHECK(parse(&c, err, "mode=piv", "piv_cafile=/ca.pem", "timeout=2",
	    NULL) == 0 && c.vc.timeout_ms == 2000, "PIV timeout=2");
	cfg_free(&c);

	CHECK(parse(&c, err, "id=7", NULL) == 0, "%s", err);
	CHECK(c.vc.nurls == 1 && strcmp(c.vc.urls[0],
	    "https://api.yubico.com/wsapi/2.0/verify") == 0, "default URL");
	CHECK(c.vc.timeout_ms == 10000 && c.token_id_len == 12, "defaults");
	CHECK(c.vc.connect_timeout_ms == 3000, "connect timeout");
	CHECK(c.vc.keylen == 0 && c.vc.id == 7, "id, no key");
	cfg_free(&c);
	CHECK(parse(&c, err, "id=1", "url=https://h.example/wsapi/2.0/verify?id=%d&otp=%s",
	    "timeout=2", KEY, NULL) == 0, "%s", err);
	CHECK(c.vc.nurls == 1 && strcmp(c.vc.urls[0],
	    "https://h.example/wsapi/2.0/verify") == 0, "url= base: %s", c.vc.urls[0]);
	CHECK(c.vc.timeout_ms == 2000 && c.vc.connect_timeout_ms == 2000, "timeout=2");
	CHECK(c.vc.keylen == 20, "key decoded");
	cfg_free(&c);
	CHECK(parse(&c, err, "id=1", "urllist=https://a/x;https://b/y", "id=9",
	    NULL) == 0 && c.vc.id == 9 && c.vc.nurls == 2, "last id wins, 2 URLs");
	cfg_free(&c);
}

static bool
any(const bool *set)
{
	for (size_t i = 0; i < CFG_MAX_OPTIONS; i++)
		if (set[i])
			return true;
	return false;
}

/* conf=FILE: same options, root's, no group/other bits; the line overrides. */
static void
test_conf(void)
{
	char dir[] = "/tmp/test_cfg.XXXXXX", path[128], arg[140], err[256];
	struct cfg c;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/pam_yk.conf", dir);
	snprintf(arg, sizeof(arg), "conf=%s", path);
	f = fopen(path, "w");
	fprintf(f, "# pam_yk\n\nid=5\n  " KEY "  \r\ntimeout=3\n");
	fclose(f);
	chmod(path, 0600);
	if (geteuid() == 0) {
		CHECK(parse(&c, err, arg, "timeout=4", NULL) == 0, "conf: %s", err);
		CHECK(c.vc.id == 5 && c.vc.keylen == 20 && c.vc.timeout_ms == 4000,
		    "conf values, the line overrides");
		cfg_free(&c);
		CHECK(parse(&c, err, "timeout=4", arg, NULL) == 0 &&
		    c.vc.timeout_ms == 4000, "the line overrides wherever conf= is");
		cfg_free(&c);
		/* The record ykpamcfg check reads: what the line set again. */
		CHECK(parse(&c, err, arg, "timeout=4", "debug", NULL) == 0,
		    "conf and timeout=4: %s", err);
		for (size_t i = 0; cfg_options[i].name != NULL; i++) {
			bool want = strcmp(cfg_options[i].name, "timeout") == 0;

			CHECK(c.line_overrides[i] == want, "%s is %san override",
			    cfg_options[i].name, want ? "" : "not ");
			CHECK(!c.line_overrides[i] || c.conf_set[i],
			    "%s: an override of what conf= did not set",
			    cfg_options[i].name);
		}
		cfg_free(&c);
		CHECK(parse(&c, err, arg, "authfile=/etc/x", "debug", NULL) == 0 &&
		    !any(c.line_overrides) && any(c.conf_set),
		    "options conf= does not set are no override");
		cfg_free(&c);
		CHECK(parse(&c, err, "id=5", "timeout=4", NULL) == 0 &&
		    !any(c.line_overrides) && !any(c.conf_set),
		    "without conf= nothing is overridden");
		cfg_free(&c);
		chmod(path, 0640);
		CHECK(parse(&c, err, arg, NULL) != 0 &&
		    strstr(err, "group or others"), "0640 conf: %s", err);
		cfg_free(&c);
		chmod(path, 0600);
		f = fopen(path, "a");
		fprintf(f, "bogus_option\n");
		fclose(f);
		CHECK(parse(&c, err, arg, NULL) == CFG_E_UNKNOWN &&
		    strstr(err, "unknown option 'bogus_option'") &&
		    strstr(err, path), "unknown option in conf: %s", err);
		cfg_free(&c);
		f = fopen(path, "w");
		fprintf(f, "conf=/etc/other.conf\n");
		fclose(f);
		CHECK(parse(&c, err, arg, NULL) == CFG_E_FILE &&
		    strstr(err, "cannot name another"), "nested conf: %s", err);
		cfg_free(&c);
		f = fopen(path, "w");
		fprintf(f, "id=1\ncapath=\n");
		fclose(f);
		CHECK(parse(&c, err, arg, NULL) == CFG_E_VALUE &&
		    strstr(err, "capath: expected a value") && strstr(err, path),
		    "an empty value in conf: %s", err);
		cfg_free(&c);
		CHECK(cfg_check_arg(arg, err, sizeof(err)) == CFG_E_VALUE &&
		    strstr(err, "capath:"), "conf= alone is read: %s", err);
		f = fopen(path, "w");
		fprintf(f, "mode=piv\npiv_cafile=/ca.pem\nuse_first_pass\n");
		fclose(f);
		CHECK(parse(&c, err, arg, NULL) == CFG_E_MODE &&
		    strstr(err, "use_first_pass: does not apply to mode=piv"),
		    "a mode rule on conf='s options: %s", err);
		cfg_free(&c);
	} else {
		CHECK(parse(&c, err, arg, NULL) != 0 &&
		    strstr(err, "not owned by root"), "user-owned conf: %s", err);
		cfg_free(&c);
	}
	unlink(path);
	symlink("/etc/passwd", path);
	CHECK(parse(&c, err, arg, NULL) != 0 && strstr(err, "conf:"),
	    "symlinked conf: %s", err);
	cfg_free(&c);
	unlink(path);
	rmdir(dir);
}

/* Every row of cfg_options (ykpamcfg check's suggestions) is known. */
static void
test_names(void)
{
	for (const struct cfg_option *o = cfg_options; o->name != NULL; o++) {
		struct cfg c;
		char arg[64], err[256];
		const char *argv[] = { "id=1", arg };

		snprintf(arg, sizeof(arg), "%s%s", o->name,
		    o->kind != CFG_FLAG ? "=/x" : "");
		err[0] = '\0';
		(void)cfg_parse(2, argv, &c, err, sizeof(err));
		CHECK(strstr(err, "unknown option") == NULL, "%s: %s", o->name,
		    err);
		cfg_free(&c);
	}
}

/* CODE(kind, args...): cfg_parse refuses (or takes) them as that kind. */
#define CODE(want, ...) do {						\
	struct cfg c; char err[256];					\
	enum cfg_err r_ = parse(&c, err, __VA_ARGS__, NULL);		\
	CHECK(r_ == (want), "%s: error kind %d, want %d (%s)",		\
	    #__VA_ARGS__, (int)r_, (int)(want), err);			\
	cfg_free(&c);							\
} while (0)

static void
test_kinds(void)
{
	CODE(CFG_OK, "id=1");
	CODE(CFG_E_UNKNOWN, "id=1", "debgu");
	CODE(CFG_E_UNKNOWN, "id=1", "verbose_otp=1");
	CODE(CFG_E_UNKNOWN, "id=1", "key");
	CODE(CFG_E_UNKNOWN, "id=1", "=x");
	CODE(CFG_E_UNKNOWN, "id=1", "");
	CODE(CFG_E_UNSUPPORTED, "id=1", "mysql_server=db");
	CODE(CFG_E_MISSING, "id=1", "ldap_starttls");
	CODE(CFG_E_MISSING, "id=1", "ldap_uri=ldaps://x");
	CODE(CFG_E_VALUE, "id=1", "ldap_uri=x");
	CODE(CFG_E_VALUE, "id=1", "ldap_connection_timeout=0");
	CODE(CFG_E_MODE, "mode=challenge-response", "ldap_starttls");
	CODE(CFG_E_CONFLICT, "id=1", LDAP_OK, "ldapserver=127.0.0.1");
	CODE(CFG_E_VALUE, "id=1", "capath=");
	CODE(CFG_E_VALUE, "id=0");
	CODE(CFG_E_VALUE, "id=1", "mode=PIV");
	CODE(CFG_E_VALUE, "mode=challenge-response", "prompt=a\tb");
	CODE(CFG_E_MODE, "mode=piv", "piv_cafile=/ca.pem", "use_first_pass");
	CODE(CFG_E_CONFLICT, "id=1", "use_first_pass", "try_first_pass");
	CODE(CFG_E_CONFLICT, "id=1", "urllist=http://127.0.0.1/wsapi/2.0/verify");
	CODE(CFG_E_MISSING, "debug");
	CODE(CFG_E_MISSING, "mode=piv");
	CODE(CFG_E_MISSING, "mode=piv", "piv_cafile=/ca.pem", "piv_map=upn");
	CODE(CFG_E_FILE, "id=1", "conf=/nonexistent/pam_yk.conf");
	/* Only the PAM line names conf=; the prompt rule is challenge-response's. */
	CODE(CFG_OK, "id=1", "prompt=a\tb");
	CODE(CFG_OK, "mode=piv", "piv_cafile=/ca.pem", "piv_slot=9E");
}

/* HINT(arg, hint): arg is unknown, and the reason suggests hint (or none). */
#define HINT(arg, hint) do {						\
	struct cfg c; char err[256];					\
	const char *h_ = (hint);					\
	(void)parse(&c, err, "id=1", arg, NULL);			\
	CHECK(h_ != NULL ? strstr(err, h_) != NULL :			\
	    strstr(err, "did you mean") == NULL,			\
	    "%s: want %s: got '%s'", arg, h_ ? h_ : "no hint", err);	\
	cfg_free(&c);							\
} while (0)

/* Did you mean: from the table, for unknown options only. */
static void
test_hints(void)
{
	char buf[64];

	HINT("urlist=https://x/wsapi/2.0/verify", "did you mean 'urllist='?");
	HINT("nullOK", "unknown option 'nullOK'; did you mean 'nullok'?");
	HINT("alwaysOK", "did you mean 'alwaysok'?");
	HINT("verbose_otp=1", "did you mean 'verbose_otp'?");
	HINT("key", "did you mean 'key='?");
	HINT("kye=EHmo8FMxuhumBlTinC4uYL0Mgwg=", "(its value is not shown); "
	    "did you mean 'key='?");
	HINT("timout=5", "did you mean 'timeout='?");
	HINT("frobnicate=1", NULL);
	HINT("capath=", NULL);		/* known: a bad value, no hint */
	HINT("cainfo=", NULL);
	HINT("ldap_ur=x", "did you mean 'ldap_uri='?");
	HINT("mysql_serve=x", NULL);	/* never suggests an unsupported one */
	CHECK(cfg_nearest("piv_cfile=/x", buf, sizeof(buf)) != NULL &&
	    strcmp(buf, "piv_cafile=") == 0, "nearest piv_cfile=");
	CHECK(cfg_nearest("debg", buf, sizeof(buf)) != NULL &&
	    strcmp(buf, "debug") == 0, "nearest debg");
	CHECK(cfg_nearest("x", buf, sizeof(buf)) == NULL, "nothing near x");
	CHECK(cfg_nearest("", buf, sizeof(buf)) == NULL, "nothing near ''");
}

/* Secrets are never in a reason, and cfg_arg_secret says which to hide. */
static void
test_secrets(void)
{
	static const char *const args[] = {
		"key=S3cr3t!!", "key=S3cr3t", "kye=S3cr3t", "KEY=S3cr3t",
		"urllist=ftp://u:S3cr3t@h/", "urllist=https://u:S3cr3t@h/v?x",
		"url=https://u:S3cr3t@h/x", "url=https://u:S3cr3t@h/x?id=%d",
		"urllist=http://u:S3cr3t@127.0.0.1/wsapi/2.0/verify",
		"ldap_bind_password=S3cr3t", "mysql_password=S3cr3t",
		"ldap_bind_pasword=S3cr3t", "mysql_pasword=S3cr3t",
		"proxy=S3cr3t", "urlist=https://u:S3cr3t@h/",
	};
	static const struct { const char *arg; bool secret; } hide[] = {
		{ "key=x", true }, { "kye=x", true }, { "Key=x", true },
		{ "urllist=https://u:p@h/", true },
		{ "url=https://u:p@h/v?id=%d&otp=%s", true },
		{ "proxy=http://u:p@h:3128", true },
		{ "ldap_bind_password=x", true }, { "mysql_password=x", true },
		{ "mysql_pasword=x", true },
		{ "key", false }, { "urllist=https://h/", false },
		{ "proxy=http://h:3128", false }, { "id=1", false },
		{ "frobnicate=1", false }, { "capath=/x", false },
		{ "prompt=a@b", false }, { "ldap_uri=ldap://u@x", false },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		struct cfg c;

		err[0] = '\0';
		(void)parse(&c, err, "id=1", args[i], NULL);
		CHECK(strstr(err, "S3cr3t") == NULL, "%s: shown in '%s'",
		    args[i], err);
		cfg_free(&c);
		err[0] = '\0';
		(void)cfg_check_arg(args[i], err, sizeof(err));
		CHECK(strstr(err, "S3cr3t") == NULL, "%s alone: shown in '%s'",
		    args[i], err);
	}
	for (size_t i = 0; i < sizeof(hide) / sizeof(hide[0]); i++)
		CHECK(cfg_arg_secret(hide[i].arg) == hide[i].secret,
		    "%s is %ssecret", hide[i].arg, hide[i].secret ? "" : "not ");
}

/* cfg_check_value: one option's value by the module's rule (the helper). */
static void
test_check_value(void)
{
	static const struct {
		const char	*name, *value;
		enum yk_mode	mode;
		enum cfg_err	want;
	} t[] = {
		{ "timeout", "10", MODE_CHALRESP, CFG_OK },
		{ "timeout", "60", MODE_CHALRESP, CFG_OK },
		{ "timeout", "0", MODE_CHALRESP, CFG_E_VALUE },
		{ "timeout", "61", MODE_CHALRESP, CFG_E_VALUE },
		{ "timeout", "1s", MODE_CHALRESP, CFG_E_VALUE },
		{ "timeout", "", MODE_CHALRESP, CFG_E_VALUE },
		{ "chalresp_path", "/var/yubico", MODE_CHALRESP, CFG_OK },
		{ "chalresp_path", "/var//yubico", MODE_CHALRESP, CFG_E_VALUE },
		{ "chalresp_path", "", MODE_CHALRESP, CFG_E_VALUE },
		{ "prompt", "Touch it", MODE_CHALRESP, CFG_OK },
		{ "prompt", "two\nlines", MODE_CHALRESP, CFG_E_VALUE },
		{ "prompt", "two\nlines", MODE_CLIENT, CFG_OK },
		{ "prompt", "", MODE_CLIENT, CFG_E_VALUE },
		{ "use_first_pass", "", MODE_PIV, CFG_E_MODE },
		{ "use_first_pass", "", MODE_CLIENT, CFG_OK },
		{ "ldap_uri", "x", MODE_CLIENT, CFG_E_VALUE },
		{ "ldap_uri", "ldaps://h", MODE_CLIENT, CFG_OK },
		{ "ldap_uri", "ldaps://h", MODE_PIV, CFG_OK },
		{ "ldap_uri", "ldaps://h", MODE_CHALRESP, CFG_E_MODE },
		{ "yubi_attr", "yk", MODE_PIV, CFG_E_MODE },
		{ "piv_ldap_fp_attr", "fp", MODE_PIV, CFG_OK },
		{ "piv_ldap_fp_attr", "fp", MODE_CLIENT, CFG_E_MODE },
		{ "mysql_server", "x", MODE_CLIENT, CFG_E_UNSUPPORTED },
		{ "nosuch", "x", MODE_CLIENT, CFG_E_UNKNOWN },
		{ "timeout=", "10", MODE_CLIENT, CFG_E_UNKNOWN },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum cfg_err r = cfg_check_value(t[i].name, t[i].value,
		    t[i].mode, err, sizeof(err));

		CHECK(r == t[i].want, "%s=%s in mode %s: %d, want %d", t[i].name,
		    t[i].value, cfg_mode_names[t[i].mode], (int)r,
		    (int)t[i].want);
	}
}

/* The table itself: names unique and bare, each kind with what it needs. */
static void
test_rows(void)
{
	size_t n = 0;

	for (const struct cfg_option *o = cfg_options; o->name != NULL;
	    o++, n++) {
		CHECK(*o->name != '\0' && strchr(o->name, '=') == NULL,
		    "row %zu: a bare name", n);
		CHECK(cfg_option_find(o->name) == o, "%s: found once", o->name);
		CHECK((o->kind == CFG_ENUM) == (o->values != NULL),
		    "%s: words only for an enum", o->name);
		CHECK(o->kind != CFG_UINT || o->min <= o->max, "%s: a range",
		    o->name);
		CHECK((o->kind == CFG_UNSUPPORTED) == (o->modes == 0),
		    "%s: applies to some mode unless unsupported", o->name);
		CHECK(o->kind != CFG_CUSTOM && o->kind != CFG_LIST ? 1 :
		    o->set != NULL, "%s: a setter", o->name);
		CHECK(o->same_as == NULL || cfg_option_find(o->same_as) != NULL,
		    "%s: same as a known option", o->name);
	}
	CHECK(n > 30 && n <= CFG_MAX_OPTIONS, "%zu rows", n);
}

int
main(void)
{
	test_rows();
	test_kinds();
	test_hints();
	test_secrets();
	test_check_value();
	test_names();
	test_table();
	test_lists();
	test_list_values();
	test_values();
	test_conf();
	return tap_done("test_cfg");
}
