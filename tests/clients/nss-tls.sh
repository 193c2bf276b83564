#!/bin/bash
# TLS client authentication with a key on the token, through NSS: keys made
# on the token by `certutil -R`, certificates issued by an OpenSSL CA and put
# on the token with `certutil -A`, then `tstclnt` logs in to
# `openssl s_server -Verify 1` over TLS 1.2 and 1.3 with an RSA and an ECDSA
# key, and the server names the client.  Controls: the same handshake fails
# without the token, and with a wrong PIN.  The PKCS#11 calls NSS makes are
# recorded with OpenSC's pkcs11-spy and checked.
#
# usage: tests/clients/nss-tls.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/clients/lib-pki.sh
. "$(dirname "$0")/lib-pki.sh"
need modutil certutil tstclnt pkcs11-tool openssl
tsr_setup "${1:-}"
pki_setup
cd "$TMP" || exit 1

LABEL="tls token"
SOPIN=12345678
PIN=1234
# tstclnt retries a wrong PIN by itself (three logins per run): give the
# token room so that the wrong-PIN control cannot lock it.
echo "max_pin_tries = 100" >>"$TOKDIR/tessera.conf"

echo "$PIN" >pwfile
head -c 256 /dev/urandom >noise
cu() { certutil -d "$DB" "$@" </dev/null; }

step "a token, an NSS database with the module, a CA made with OpenSSL"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"
nss_db nssdb "$MODULE"
MAINDB=$DB
pki_ca
run cu -A -n "Tessera Test CA" -t "CT,C," -i ca.pem

# new_client NICK SUBJECT KEYARGS...: key generated on the token by
# certutil -R, certificate issued by the CA, stored on the token by
# certutil -A.  Trust "u,u,u" keeps it on the token only: with other trust
# NSS also keeps a copy in its own database.
new_client() {
	local nick=$1 subject=$2
	shift 2
	run cu -R -s "$subject" "$@" -h "$LABEL" -f pwfile -z noise -o "$nick.req"
	pki_issue "$nick.req" "$nick.pem"
	run cu -A -n "$nick" -t "u,u,u" -h "$LABEL" -f pwfile -i "$nick.pem"
}

step "client keys generated on the token, certificates from the CA stored beside them"
new_client alice-rsa "CN=Alice RSA,O=Tessera" -k rsa -g 2048
new_client alice-ec "CN=Alice EC,O=Tessera" -k ec -q nistp256
run cu -K -h "$LABEL" -f pwfile
expect "<[ 0-9]+> rsa +[0-9a-f]{40} +$LABEL:alice-rsa\$"
expect "<[ 0-9]+> ec +[0-9a-f]{40} +$LABEL:alice-ec\$"
run cu -L -h "$LABEL" -f pwfile
expect "^$LABEL:alice-rsa +u,u,u"
expect "^$LABEL:alice-ec +u,u,u"
run cu -L -h internal
expect_not 'alice'

# handshake NAME TLSVERSION NICK [TSTCLNT ARGS...]: one s_server, one
# tstclnt run; the server output stays in srv-NAME.out, tstclnt's in $TMP/out.
handshake() {
	local name=$1 ver=$2 nick=$3 sflag
	shift 3
	sflag=-tls${ver/./_}
	pki_server "srv-$name.out" -Verify 1 -CAfile ca.pem "$sflag" -www
	echo "+ tstclnt -h 127.0.0.1 -p $SRV_PORT -d $DB -n $nick -V tls$ver:tls$ver -Q $*"
	HS_RC=0
	timeout 60 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -n "$nick" -V "tls$ver:tls$ver" -Q \
		"$@" </dev/null >"$TMP/out" 2>&1 || HS_RC=$?
	cat "$TMP/out"
	pki_server_done
	echo "---- server (srv-$name.out):"
	grep -Ev '^ +[0-9]+ (items|client|server|session|callback|cache)' "srv-$name.out" || true
}

for key in rsa ec; do
	for ver in 1.2 1.3; do
		step "tstclnt, TLS $ver, client key alice-$key on the token"
		handshake "$key-$ver" "$ver" "$LABEL:alice-$key" -w "$PIN"
		[ "$HS_RC" -eq 0 ] || fail "tstclnt failed (status $HS_RC)"
		subject="O = Tessera, CN = Alice ${key^^}"
		expect_client_subject "srv-$key-$ver.out" "$subject"
	done
done

step "control: the same handshake without the token (token directory empty) fails"
(tsr_token_env "$TMP/empty") # writes the configuration files only
TESSERA_TOKEN_DIR=$TMP/empty TESSERA_CONF=$TMP/empty/tessera.conf SOFTHSM2_CONF=$TMP/empty/softhsm2.conf \
	handshake no-token 1.3 "$LABEL:alice-rsa" -w "$PIN"
[ "$HS_RC" -ne 0 ] || fail "tstclnt succeeded without the token"
expect_not '^depth=0 ' "srv-no-token.out"
expect_not '^ +1 server accepts that finished' "srv-no-token.out"

step "control: a database without the module cannot present the certificate"
nss_db plaindb "$MODULE"
run modutil -dbdir "$DB" -delete tessera -force
run cu -A -n "Tessera Test CA" -t "CT,C," -i "$TMP/ca.pem"
handshake no-module 1.3 "$LABEL:alice-rsa" -w "$PIN"
[ "$HS_RC" -ne 0 ] || fail "tstclnt succeeded without the module"
expect_not '^depth=0 ' "srv-no-module.out"
DB=$MAINDB

step "control: a wrong PIN fails, and does not lock the token"
handshake wrong-pin 1.3 "$LABEL:alice-ec" -w 99999999
[ "$HS_RC" -ne 0 ] || fail "tstclnt succeeded with a wrong PIN"
expect_not '^depth=0 ' "srv-wrong-pin.out"
expect_not '^ +1 server accepts that finished' "srv-wrong-pin.out"
if is_tessera; then
	run pkcs11-tool --module "$MODULE" --token-label "$LABEL" --list-token-slots
	expect 'user PIN count low'
	expect_not 'user PIN locked'
fi
handshake right-pin 1.3 "$LABEL:alice-ec" -w "$PIN"
[ "$HS_RC" -eq 0 ] || fail "tstclnt failed with the right PIN after the wrong one"
expect_client_subject "srv-right-pin.out" "O = Tessera, CN = Alice EC"
if is_tessera; then
	run pkcs11-tool --module "$MODULE" --token-label "$LABEL" --list-token-slots
	expect_not 'user PIN count low'
fi

step "the PKCS#11 calls NSS makes, recorded with pkcs11-spy"
spy_setup
# certutil and tstclnt through the spy, on the same token: a new key pair
# and its certificate, the listings, then handshakes.
spy "$TMP/spy-modutil.log" nss_db spydb "$SPY_LIB"
run cu -A -n "Tessera Test CA" -t "CT,C," -i ca.pem
spy_on "$TMP/spy-certutil.log"
new_client bob-rsa "CN=Bob RSA,O=Tessera" -k rsa -g 2048
run cu -L -h all -f pwfile
expect "^$LABEL:bob-rsa"
run cu -K -h "$LABEL" -f pwfile
expect "$LABEL:bob-rsa\$"
spy_off
for case in rsa-1.2 rsa-1.3 ec-1.3; do
	key=${case%-*} ver=${case#*-}
	spy_on "$TMP/spy-tls-$case.log"
	handshake "spy-$case" "$ver" "$LABEL:alice-$key" -w "$PIN"
	spy_off
	[ "$HS_RC" -eq 0 ] || fail "tstclnt through the spy failed (status $HS_RC)"
	expect_client_subject "srv-spy-$case.out" "O = Tessera, CN = Alice ${key^^}"
done

# NSS probes C_GetInterface for a fork-safe interface first; the module
# refuses it (CKR_ARGUMENTS_BAD, not NOT_SUPPORTED).  No function may report
# CKR_FUNCTION_NOT_SUPPORTED in these flows.
for log in spy-modutil spy-certutil spy-tls-rsa-1.2 spy-tls-rsa-1.3 spy-tls-ec-1.3; do
	spy_check "$TMP/$log.log"
done
# certutil -R generated the pair on the token and gave it its CKA_ID; -A
# stored the certificate with C_CreateObject.
for call in C_GenerateKeyPair C_SetAttributeValue C_CreateObject; do
	spy_has "$TMP/spy-certutil.log" "$call CKR_OK" || fail "certutil made no successful $call"
done
step "mechanisms NSS signed with"
for case in rsa-1.2 rsa-1.3 ec-1.3; do
	mechs=$(spy_mechs "$TMP/spy-tls-$case.log" C_SignInit | tr '\n' ' ')
	echo "TLS $case: C_SignInit with $mechs"
	case $case in
	rsa-*) [[ $mechs == *CKM_RSA_PKCS_PSS* || $mechs == *CKM_SHA256_RSA_PKCS_PSS* ]] ||
		fail "TLS $case did not sign with RSA-PSS" ;;
	ec-*) [[ $mechs == *CKM_ECDSA* ]] || fail "TLS $case did not sign with ECDSA" ;;
	esac
	spy_has "$TMP/spy-tls-$case.log" "C_Sign CKR_OK" ||
		spy_has "$TMP/spy-tls-$case.log" "C_SignFinal CKR_OK" ||
		fail "no successful signature in TLS $case"
done

step "NSS TLS: all checks passed"
