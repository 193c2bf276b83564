#!/bin/bash
# NSS's modutil and certutil against the module: load it into an NSS
# database, generate keys on the token, make a self-signed certificate that
# lives on the token, and certificate requests that OpenSSL verifies.
#
# usage: tests/clients/nss.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
need modutil certutil pkcs11-tool openssl
tsr_setup "${1:-}"
cd "$TMP" || exit 1

LABEL="nss token"
SOPIN=12345678
PIN=1234
DB=sql:$TMP/nssdb

echo "$PIN" >pwfile
head -c 256 /dev/urandom >noise
mkdir nssdb

# NSS tools prompt on the terminal when they want something they were not
# given; give them no terminal so that a missing option fails instead of hanging.
mu() { modutil -dbdir "$DB" "$@" </dev/null; }
cu() { certutil -d "$DB" "$@" </dev/null; }

step "initialise the token with pkcs11-tool"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"

step "add the module to a new NSS database"
run mu -create -force
run mu -add tessera -libfile "$MODULE" -force
expect 'Module "tessera" added'
run mu -list
expect "library name: $MODULE"
expect "token: $LABEL\$"
expect 'status: loaded'
# modutil's detailed listing exits non-zero for every empty reader (as it
# does with an empty smart-card reader); what matters is that our token shows.
echo "+ mu -list tessera"
mu -list tessera >"$TMP/out" 2>&1 || true
cat "$TMP/out"
expect "Token Name: $LABEL *\$"
expect "Slot: Tessera slot 0"

step "certutil sees the token"
run cu -U
expect "token: $LABEL\$"

step "self-signed RSA certificate, key generated on the token"
run cu -S -s "CN=Tessera Test" -n testcert -x -t "CTu,Cu,Cu" -h "$LABEL" -f pwfile -z noise \
	-k rsa -g 2048 -v 12
run cu -L -h all -f pwfile
expect "^$LABEL:testcert +CTu,Cu,Cu"
run cu -K -h "$LABEL" -f pwfile
expect '<[ 0-9]+> rsa +[0-9a-f]{40} +'"$LABEL:testcert\$"

step "the certificate is on the token, with the key's CKA_ID"
run cu -L -n "$LABEL:testcert" -h "$LABEL" -f pwfile -a
cp "$TMP/out" testcert.pem
run openssl x509 -in testcert.pem -noout -subject -issuer
expect 'subject=CN ?= ?Tessera Test'
expect 'issuer=CN ?= ?Tessera Test'
run openssl verify -no-CApath -no-CAstore -partial_chain -CAfile testcert.pem testcert.pem
run pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$PIN" --list-objects
expect 'Certificate Object; type = X.509 cert'
expect 'subject: +DN: CN=Tessera Test'
# NSS derives CKA_ID from the public key and gives the certificate the same one.
objects() { # "<class> <ID>" for every object pkcs11-tool listed
	awk '/^[A-Z][A-Za-z ]+ Object;/ { c = $1 } /^ +ID: / { print c, $2 }' "$TMP/out"
}
cert_id=$(awk '/^Certificate Object/ { on = 1; next } /^[A-Z]/ { on = 0 }
	on && /^ +ID: / { print $2; exit }' "$TMP/out")
[ -n "$cert_id" ] || fail "the certificate has no CKA_ID"
objects | grep -qx "Private $cert_id" || fail "no private key has the certificate's CKA_ID $cert_id"
objects | grep -qx "Public $cert_id" || fail "no public key has the certificate's CKA_ID $cert_id"

step "certificate request signed by the key on the token"
run cu -R -s "CN=Tessera Request,O=Tessera" -k testcert -h "$LABEL" -f pwfile -z noise -a -o req-rsa.pem
run openssl req -in req-rsa.pem -verify -noout -subject
expect 'verify OK'
expect 'CN ?= ?Tessera Request'
openssl req -in req-rsa.pem -noout -pubkey >req-rsa.pub
openssl x509 -in testcert.pem -noout -pubkey >testcert.pub
cmp req-rsa.pub testcert.pub || fail "the request does not carry the certificate's public key"

step "EC P-256: request and self-signed certificate, keys generated on the token"
run cu -R -s "CN=Tessera EC Request" -k ec -q nistp256 -h "$LABEL" -f pwfile -z noise -a -o req-ec.pem
run openssl req -in req-ec.pem -verify -noout -text
expect 'verify OK'
expect 'NIST CURVE: P-256|prime256v1'
run cu -S -s "CN=Tessera EC Test" -n eccert -x -t ",," -h "$LABEL" -f pwfile -z noise \
	-k ec -q nistp256 -v 12
run cu -L -n "$LABEL:eccert" -h "$LABEL" -f pwfile -a
cp "$TMP/out" eccert.pem
run openssl verify -no-CApath -no-CAstore -partial_chain -CAfile eccert.pem eccert.pem
run cu -K -h "$LABEL" -f pwfile
expect '<[ 0-9]+> ec +[0-9a-f]{40} +'"$LABEL:eccert\$"
expect "$LABEL:testcert\$"

step "NSS: all checks passed"
