#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# mode=A,B,... (issue 16) through a real PAM stack: for every combination
# of enrolment in otp (a token ID in authfile=), challenge-response (a
# state file in chalresp_path=) and piv (a SoftHSM card whose certificate
# authfile= maps to the user), none to all three, and for lists of three
# and of two methods, the first listed method the user is enrolled in
# decides: the log says so, only that method's question is asked, and
# the right answer to it logs in.  A wrong answer to the method that
# decides never leads to a second question.  YubiKeys are emulated at
# libykpers' boundary (fakeykpers.so); ykvald runs on loopback.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

piv_requirements
fakep11_copy
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
[ -f "$FAKEYK" ] || fail "no $FAKEYK"
[ "$(id -u)" = 0 ] || skip "pam-methods.sh needs root (the PKCS#11 module must be root's)"
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$NSSW
chmod 755 "$T"

# Users: one per combination of o(tp), c(hallenge-response), p(iv).
USERS="un uo uc up uoc uop ucp uocp"
: > "$T/passwd"
i=5000
for u in $USERS root; do
	[ $u = root ] && i=0
	printf '%s:x:%s:%s:%s:/nonexistent:/bin/sh\n' $u $i $i $u >> "$T/passwd"
	printf '%s:x:%s:\n' $u $i >> "$T/group"
	i=$((i + 1))
done
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP FAKEYK_KEYS

has() { case ${1#u} in *$2*) return 0 ;; esac; return 1; }

# piv: one card, alice-p256's certificate, mapped by fingerprint.  Only
# the CA and that certificate of pki_make's PKI (the rest is slow to make).
PKI=$T/pki; mkdir -p "$PKI"; _serial=100
_pki_configs
_pki_root ca
_pki_issue alice-p256 p256 alice alice
token_init card1
token_put card1 "$PKI/alice-p256.pem" "$PKI/alice-p256.key" 01
FP=$(openssl x509 -in "$PKI/alice-p256.pem" -outform DER | sha256sum | cut -d' ' -f1)

# otp and piv: the central mapping file.
for u in $USERS; do
	line=
	has $u o && line=$line:$PUB
	has $u p && line=$line:sha256=$FP
	[ -z "$line" ] || echo "$u$line"
done > "$T/authfile"
chmod 600 "$T/authfile"

# challenge-response: root's chalresp_path, one state file per user.
hmac() { printf '%s' "$2" | xxd -r -p | openssl mac -digest SHA1 -macopt hexkey:$1 HMAC | tr A-F a-f; }
pbkdf2() { openssl kdf -keylen 20 -kdfopt digest:SHA1 -kdfopt pass:$1 -kdfopt hexsalt:$2 -kdfopt iter:$3 PBKDF2 | tr -d ':' | tr A-F a-f; }
challenge() { printf '%s5a' "$(head -c 62 /dev/urandom | xxd -p | tr -d '\n')"; }
v2_line() {
	_c=$(challenge)
	_s=$(head -c 32 /dev/urandom | xxd -p | tr -d '\n')
	echo "v2:$_c:$(pbkdf2 "$(hmac $1 $_c)" $_s 1000):$_s:1000:2"
}
mkdir -m 700 "$T/cr"
for u in $USERS; do
	has $u c || continue
	v2_line $CRSECRET > "$T/cr/$u-$CRSERIAL"
	chmod 600 "$T/cr/$u-$CRSERIAL"
done

new_db "$T/db"
start_ykvald "$T/db"
ctr=1 use=0
fresh() {
	use=$((use + 1))
	[ $use -le 255 ] || { ctr=$((ctr + 1)); use=0; }
	FRESH=$(otp $ctr $use)
}
WRONG=$PUB$("$OTPGEN" $PUB $PRIV 00112233445566778899aabbccddeeff 1 1 | cut -c13-)

: > "$T/debug"; chmod 666 "$T/debug"
base="id=1 key=$CKEY urllist=$URL authfile=$T/authfile chalresp_path=$T/cr pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem piv_map=authfile pkcs11_uri=pkcs11:token=card1 debug debug_file=$T/debug"

# drive USER ANSWER...: log in on service "m"; sets GOT and PROMPTS.
drive() {
	_u=$1; shift
	: > "$T/debug"
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" m "$_u" "$@" > "$T/out" 2>&1 ||
		fail "pamdrive: $(cat "$T/out")"
	GOT=$(sed -n 's/^result: //p' "$T/out")
	PROMPTS=$(grep -c '^prompt-' "$T/out" || :)
}
# decides METHOD USER: the log line says that METHOD decided for USER.
decides() {
	grep -q "mode=[a-z,-]*: $1 decides for $2" "$T/debug" ||
		{ cat "$T/out" "$T/debug" >&2; fail "$what: the log does not say $1 decides for $2"; }
}
# answers METHOD: the right answer for METHOD.
answers() {
	case $1 in
	otp)	fresh; ANS=$FRESH ;;
	piv)	ANS=$USER_PIN ;;
	*)	ANS= ;;
	esac
}
# prompt_of METHOD: what METHOD asks ("" for challenge-response).
prompt_of() {
	case $1 in
	otp)	echo "YubiKey for \`$2': " ;;
	piv)	echo "PIN for " ;;
	esac
}

# first LIST USER: the first method of LIST that USER is enrolled in.
first() {
	for _m in $(echo "$1" | tr , ' '); do
		case $_m in
		otp) has $2 o && { echo otp; return; } ;;
		challenge-response) has $2 c && { echo challenge-response; return; } ;;
		piv) has $2 p && { echo piv; return; } ;;
		esac
	done
	return 0
}

n=0
for list in piv,otp,challenge-response challenge-response,otp,piv \
    otp,piv,challenge-response piv,otp otp,piv otp,challenge-response \
    challenge-response,piv; do
	service m "auth required $MODULE mode=$list $base"
	for u in $USERS; do
		what="mode=$list, $u"
		m=$(first $list $u)
		if [ -z "$m" ]; then
			fresh
			drive $u "$FRESH" $USER_PIN
			[ "$GOT" = PAM_USER_UNKNOWN ] && [ "$PROMPTS" = 0 ] ||
				{ cat "$T/out" "$T/debug" >&2; fail "$what: $GOT after $PROMPTS questions, want PAM_USER_UNKNOWN after none"; }
			grep -q "mode=$list: $u is enrolled in none" "$T/debug" ||
				{ cat "$T/debug" >&2; fail "$what: no 'enrolled in none' line"; }
			n=$((n + 1))
			continue
		fi
		answers $m
		cp "$T/cr/$u-$CRSERIAL" "$T/before" 2>/dev/null || : > "$T/before"
		drive $u $ANS
		[ "$GOT" = PAM_SUCCESS ] || { cat "$T/out" "$T/debug" >&2; fail "$what: $GOT"; }
		decides $m $u
		want=$(prompt_of $m $u)
		if [ -n "$want" ]; then
			[ "$PROMPTS" = 1 ] && grep -qF "prompt-off: $want" "$T/out" ||
				{ cat "$T/out" >&2; fail "$what: asked other than '$want'"; }
		else
			[ "$PROMPTS" = 0 ] || { cat "$T/out" >&2; fail "$what: challenge-response asked a question"; }
			cmp -s "$T/before" "$T/cr/$u-$CRSERIAL" &&
				fail "$what: the state file was not rotated"
		fi
		# the skipped methods are named, each with its reason
		for s in $(echo "${list%%$m*}" | tr , ' '); do
			grep -q "decides for $u; skipped .*$s: " "$T/debug" ||
				{ cat "$T/debug" >&2; fail "$what: $s is not said to be skipped"; }
		done
		n=$((n + 1))
	done
done
ok "$n logins: the first listed method each user is enrolled in decided"

# No card at all: piv is skipped as "no card"; another user's card too.
service m "auth required $MODULE mode=piv,otp $base pkcs11_uri=pkcs11:token=nosuchcard"
what="no card"; fresh; drive uop "$FRESH"
[ "$GOT" = PAM_SUCCESS ] || fail "$what: $GOT"; decides otp uop
grep -q "skipped piv: " "$T/debug" || fail "$what: piv not skipped"
ok "no card: piv skipped, otp decides"

# --- a wrong answer to the method that decides is the end of it
service m "auth required $MODULE mode=piv,otp,challenge-response $base"
what="wrong PIN"; fresh; drive uocp 654321 "$FRESH" "$FRESH"
[ "$GOT" = PAM_AUTH_ERR ] && [ "$PROMPTS" = 1 ] ||
	{ cat "$T/out" >&2; fail "$what: $GOT after $PROMPTS questions"; }
ok "$what: PAM_AUTH_ERR, no second question"
service m "auth required $MODULE mode=otp,piv,challenge-response $base"
what="wrong OTP"; drive uocp "$WRONG" $USER_PIN $USER_PIN
[ "$GOT" = PAM_AUTH_ERR ] && [ "$PROMPTS" = 1 ] ||
	{ cat "$T/out" >&2; fail "$what: $GOT after $PROMPTS questions"; }
ok "$what: PAM_AUTH_ERR, no second question"
what="a password, not an OTP"; drive uocp "hunter2" $USER_PIN $USER_PIN
[ "$GOT" = PAM_AUTH_ERR ] && [ "$PROMPTS" = 1 ] ||
	{ cat "$T/out" >&2; fail "$what: $GOT after $PROMPTS questions"; }
ok "$what: PAM_AUTH_ERR, no second question"
service m "auth required $MODULE mode=challenge-response,piv,otp $base"
what="the wrong key"; fresh
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:0000000000000000000000000000000000000000"
drive uocp $USER_PIN "$FRESH"
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
[ "$GOT" = PAM_AUTH_ERR ] && [ "$PROMPTS" = 0 ] ||
	{ cat "$T/out" >&2; fail "$what: $GOT after $PROMPTS questions"; }
ok "$what: PAM_AUTH_ERR, nothing else asked"

# --- a failure while looking denies; it never skips to the next method
chmod 777 "$T/cr"
what="an unsafe chalresp_path"; fresh; drive uoc "$FRESH"
[ "$GOT" = PAM_AUTH_ERR ] && [ "$PROMPTS" = 0 ] ||
	{ cat "$T/out" "$T/debug" >&2; fail "$what: $GOT after $PROMPTS questions"; }
grep -q "challenge-response for uoc denied" "$T/debug" || fail "$what: not logged"
chmod 700 "$T/cr"
ok "$what: denied, otp not tried"
service m "auth required $MODULE mode=piv,otp $base piv_cafile=$T/nonexistent.pem"
what="piv's trust anchors missing"; fresh; drive uo "$FRESH"
[ "$GOT" = PAM_SERVICE_ERR ] && [ "$PROMPTS" = 0 ] ||
	{ cat "$T/out" "$T/debug" >&2; fail "$what: $GOT after $PROMPTS questions"; }
ok "$what: PAM_SERVICE_ERR, otp not tried"

# --- looking for the card has a deadline: a card that never answers
# denies within timeout= (+1 s), asks nothing, and otp is not tried
if [ -f "$FAKEP11" ]; then
	FAKEP11_MODULE=$SOFTHSM_MODULE; export FAKEP11_MODULE
	service m "auth required $MODULE mode=piv,otp $base pkcs11_module=$FAKEP11 timeout=2"
	for at in initialize find; do
		what="a card that hangs in $at"
		fresh
		t0=$(now_ms)
		FAKEP11_HANG=$at; export FAKEP11_HANG
		drive uop "$FRESH"
		unset FAKEP11_HANG
		ms=$(($(now_ms) - t0))
		[ "$GOT" = PAM_AUTH_ERR ] && [ "$PROMPTS" = 0 ] ||
			{ cat "$T/out" "$T/debug" >&2; fail "$what: $GOT after $PROMPTS questions"; }
		[ $ms -lt 6000 ] || fail "$what: $ms ms with timeout=2"
		grep -q "did not answer within timeout=2 s" "$T/debug" ||
			{ cat "$T/debug" >&2; fail "$what: not logged"; }
		ok "$what: denied in $ms ms, nothing asked, otp not tried"
	done
	# piv_map=authfile: no card is looked for a user without sha256=
	FAKEP11_LOG=$T/p11.log; export FAKEP11_LOG
	: > "$T/p11.log"; fresh; drive uo "$FRESH"
	[ "$GOT" = PAM_SUCCESS ] && [ ! -s "$T/p11.log" ] ||
		fail "uo: $GOT, the module was called: $(head -n 3 "$T/p11.log")"
	: > "$T/p11.log"; drive uop $USER_PIN
	[ "$GOT" = PAM_SUCCESS ] && [ -s "$T/p11.log" ] ||
		fail "uop: $GOT, the card was not looked for"
	unset FAKEP11_LOG
	ok "no sha256= mapped: no card looked for; one mapped: looked for"
else
	echo "SKIP: no $FAKEP11: the hanging card cases"
fi

# --- nullok: enrolled in none steps aside; a list is never nullok's "no card"
service m "auth required $MODULE mode=piv,otp $base nullok" "auth required pam_permit.so"
what="nullok, enrolled in none"; drive un
[ "$GOT" = PAM_SUCCESS ] || fail "$what: $GOT"
ok "$what: PAM_IGNORE, the stack decides"

# --- the shipped "card, else OTP" examples' pam_yk lines, paths replaced
printf 'id=1\nkey=%s\nurllist=%s\n' "$CKEY" "$URL" > "$T/pam_yk.conf"
chmod 600 "$T/pam_yk.conf"
for ex in sudo-card sshd-card; do
	line=$(sed -n 's/^auth *\([a-z]*\) *pam_yk\.so /auth \1 pam_yk.so /p' \
	    "$top_srcdir/examples/pam.d/$ex" | sed "s|pam_yk\.so|$MODULE|;
	    s|/etc/pam_yk.conf|$T/pam_yk.conf|; s|/etc/pam_yk/piv-ca.pem|$PKI/ca.pem|;
	    s|/etc/yubikey_mappings|$T/authfile|")
	case $line in *mode=piv,otp*) ;; *) fail "$ex: no mode=piv,otp line" ;; esac
	service m "$line pkcs11_module=$SOFTHSM_MODULE pkcs11_uri=pkcs11:token=card1 debug debug_file=$T/debug"
	what="$ex, a card user"; drive uop $USER_PIN
	[ "$GOT" = PAM_SUCCESS ] && [ "$PROMPTS" = 1 ] || fail "$what: $GOT"; decides piv uop
	what="$ex, an OTP user"; fresh; drive uo "$FRESH"
	[ "$GOT" = PAM_SUCCESS ] && [ "$PROMPTS" = 1 ] || fail "$what: $GOT"; decides otp uo
	ok "examples/pam.d/$ex: the card user by card, the OTP user by OTP"
done

# --- bad lists are configuration errors
for l in otp,otp piv,client,otp otp,sms "otp,,piv" "" OTP; do
	service m "auth required $MODULE mode=$l $base"
	what="mode=$l"; fresh; drive uocp "$FRESH"
	[ "$GOT" = PAM_SERVICE_ERR ] && [ "$PROMPTS" = 0 ] || fail "$what: $GOT"
done
ok "duplicate, unknown and empty entries: PAM_SERVICE_ERR"
stop_ykvald
