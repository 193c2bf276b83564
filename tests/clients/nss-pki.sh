#!/bin/bash
# NSS's PKCS#12 and CMS tools with keys on the token: `pk12util -i` imports
# PKCS#12 files made by OpenSSL onto the token, `certutil -K -h` and
# `-L -h all` list what is there, `pk12util -o` refuses to export keys the
# token will not let out, and `cmsutil -S` signs with token keys (imported
# and generated on the token) in a way `openssl cms -verify` accepts.  The
# PKCS#11 calls of these flows are recorded with pkcs11-spy and checked.
#
# usage: tests/clients/nss-pki.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/clients/lib-pki.sh
. "$(dirname "$0")/lib-pki.sh"
need modutil certutil pk12util cmsutil pkcs11-tool openssl
tsr_setup "${1:-}"
pki_setup
cd "$TMP" || exit 1

LABEL="pki token"
SOPIN=12345678
PIN=1234

echo "$PIN" >pwfile
echo "p12 secret" >p12pass
head -c 256 /dev/urandom >noise
cu() { certutil -d "$DB" "$@" </dev/null; }
p12() { pk12util -d "$DB" "$@" </dev/null; }

step "a token, an NSS database with the module (through pkcs11-spy), a CA made with OpenSSL"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"
spy_setup
spy "$TMP/spy-modutil.log" nss_db nssdb "$SPY_LIB"
pki_ca
run cu -A -n "Tessera Test CA" -t "CT,C,C" -i ca.pem

# p12_file NAME SUBJECT KEYARGS...: an OpenSSL key and CA-issued certificate
# in NAME.p12 (with the CA certificate), protected by p12pass.
p12_file() {
	local name=$1 subject=$2
	shift 2
	openssl req -new -nodes "$@" -keyout "$name.key" -subj "$subject" -out "$name.csr" 2>/dev/null ||
		fail "openssl: key for $name"
	pki_issue "$name.csr" "$name.pem"
	run openssl pkcs12 -export -in "$name.pem" -inkey "$name.key" -certfile ca.pem -name "$name" \
		-passout file:p12pass -out "$name.p12"
}

step "PKCS#12 files made by OpenSSL, imported onto the token by pk12util -i"
p12_file carol-rsa "/O=Tessera/CN=Carol RSA" -newkey rsa:2048
p12_file carol-ec "/O=Tessera/CN=Carol EC" -newkey ec -pkeyopt ec_paramgen_curve:P-256
spy_on "$TMP/spy-pk12-import.log"
run p12 -i carol-rsa.p12 -h "$LABEL" -k pwfile -w p12pass
expect 'PKCS12 IMPORT SUCCESSFUL'
run p12 -i carol-ec.p12 -h "$LABEL" -k pwfile -w p12pass
expect 'PKCS12 IMPORT SUCCESSFUL'
spy_off

step "and a key generated on the token by certutil -R, certified by the CA"
spy_on "$TMP/spy-certutil.log"
run cu -R -s "CN=Dave EC,O=Tessera" -k ec -q nistp256 -h "$LABEL" -f pwfile -z noise -o dave-ec.req
pki_issue dave-ec.req dave-ec.pem
run cu -A -n dave-ec -t ",," -h "$LABEL" -f pwfile -i dave-ec.pem

step "certutil lists the keys and certificates on the token"
run cu -K -h "$LABEL" -f pwfile
expect "<[ 0-9]+> rsa +[0-9a-f]{40} +carol-rsa\$"
expect "<[ 0-9]+> ec +[0-9a-f]{40} +carol-ec\$"
expect "<[ 0-9]+> ec +[0-9a-f]{40} +$LABEL:dave-ec\$"
[ "$(grep -Ec '^<[ 0-9]+> ' "$TMP/out")" -eq 3 ] || fail "expected exactly three keys on the token"
run cu -L -h all -f pwfile
expect "^$LABEL:carol-rsa +u,u,u"
expect "^$LABEL:carol-ec +u,u,u"
expect "^$LABEL:dave-ec +u,u,u"
expect "^Tessera Test CA +CT,C,C"
spy_off

step "the imported objects on the token, seen by pkcs11-tool"
run pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$PIN" --list-objects
for who in "Carol RSA" "Carol EC" "Dave EC"; do
	expect "subject: +DN: O=Tessera, CN=$who\$"
done
# Every private key is sensitive; the one generated on the token was never
# extractable.  An imported key's CKA_EXTRACTABLE is whatever NSS asked for.
cp "$TMP/out" "$TMP/objects"
keys=$(grep -c '^Private Key Object' "$TMP/objects")
[ "$keys" -eq 3 ] || fail "expected three private keys, found $keys"
[ "$(grep -A4 '^Private Key Object' "$TMP/objects" | grep -Ec 'Access: +sensitive')" -eq 3 ] ||
	fail "not every private key is sensitive"
# key_access CERT-CN: the Access line of the private key whose CKA_ID is
# that of the certificate with this common name.
key_access() {
	local id
	id=$(awk -v cn="CN=$1" '/^[A-Z]/ { c = /^Certificate Object/; d = 0 }
		c && index($0, cn) { d = 1 } c && d && /^ +ID: / { print $2; exit }' "$TMP/objects")
	[ -n "$id" ] || fail "no certificate for $1 on the token"
	awk -v id="$id" '/^[A-Z]/ { p = /^Private Key Object/; hit = 0 }
		p && /^ +ID: / { hit = ($2 == id) } p && hit && /Access:/ { print; exit }' "$TMP/objects"
}
key_access "Dave EC" | grep -q 'never extractable' || fail "the key certutil -R made is not 'never extractable'"

step "pk12util -o refuses to export keys that may not leave the token"
# pk12util first offers the key to the token through C_UnwrapKey, then falls
# back to C_CreateObject.  CKR_FUNCTION_NOT_SUPPORTED from C_WrapKey or
# C_UnwrapKey is expected only from a module that lists no mechanism able to
# wrap or unwrap.
run pkcs11-tool --module "$MODULE" --token-label "$LABEL" --list-mechanisms
allowed='^$' can_wrap=yes
if ! grep -Eq '(^|[ ,])(un)?wrap(,|$)' "$TMP/out"; then
	note "the module lists no wrapping mechanism: C_WrapKey/C_UnwrapKey may say CKR_FUNCTION_NOT_SUPPORTED"
	allowed='^C_(Un)?[Ww]rapKey$' can_wrap=
fi
spy_on "$TMP/spy-pk12-export.log"
for nick in dave-ec carol-rsa carol-ec; do
	cn=$(echo "$nick" | sed 's/-rsa$/ RSA/; s/-ec$/ EC/; s/^./\U&/')
	if key_access "$cn" | sed 's/never extractable//' | grep -q extractable; then
		# Control: a key the token lets out (pk12util -i asked for none
		# other) leaves wrapped, and is the key that came in.
		[ -n "$can_wrap" ] || { note "$nick is extractable, but the module cannot wrap"; continue; }
		run p12 -o "$nick-out.p12" -n "$LABEL:$nick" -k pwfile -w p12pass
		expect 'PKCS12 EXPORT SUCCESSFUL'
		openssl pkcs12 -in "$nick-out.p12" -passin file:p12pass -nocerts -nodes 2>/dev/null |
			openssl pkey -pubout >"$nick-out.pub" || fail "cannot read the key pk12util exported"
		openssl pkey -in "$nick.key" -pubout | cmp - "$nick-out.pub" ||
			fail "the exported $nick is not the imported key"
		continue
	fi
	run_fails p12 -o "$nick-out.p12" -n "$LABEL:$nick" -k pwfile -w p12pass
	expect 'SEC_ERROR_PKCS12_UNABLE_TO_EXPORT_KEY|[Uu]nable to export'
	[ ! -s "$nick-out.p12" ] || fail "pk12util wrote a PKCS#12 file for $nick"
done
spy_off
# Control: the same tool exports the same file's key from NSS's own database.
mkdir softdb
run certutil -d sql:softdb -N --empty-password
run pk12util -d sql:softdb -i carol-rsa.p12 -w p12pass
run pk12util -d sql:softdb -o soft-out.p12 -n carol-rsa -w p12pass
run openssl pkcs12 -in soft-out.p12 -passin file:p12pass -nokeys -noout

step "cmsutil -S signs with a token key; openssl cms -verify accepts it"
head -c 5000 /dev/urandom | base64 >message.txt
spy_on "$TMP/spy-cmsutil.log"
for nick in carol-rsa carol-ec dave-ec; do
	run cmsutil -S -d "$DB" -N "$LABEL:$nick" -G -P -H SHA256 -i message.txt -o "$nick.p7s" -f pwfile
	[ -s "$nick.p7s" ] || fail "cmsutil wrote no signature"
	run openssl cms -verify -inform DER -in "$nick.p7s" -CAfile ca.pem -out "$nick.out"
	expect 'Verification successful|CMS Verification successful'
	cmp message.txt "$nick.out" || fail "the signed content differs from the message"
	run openssl cms -cmsout -print -inform DER -in "$nick.p7s"
	expect "subject: O=Tessera, CN=$(echo "$nick" | sed 's/-rsa$/ RSA/; s/-ec$/ EC/; s/^./\U&/')"
done
# A detached signature, too.
run cmsutil -S -d "$DB" -N "$LABEL:carol-rsa" -T -i message.txt -o detached.p7s -f pwfile
run openssl cms -verify -binary -inform DER -in detached.p7s -content message.txt -CAfile ca.pem -out /dev/null
expect 'Verification successful'
spy_off
# Control: a changed message does not verify.
sed 's/^./X/' message.txt >changed.txt
run_fails openssl cms -verify -binary -inform DER -in detached.p7s -content changed.txt -CAfile ca.pem -out /dev/null

step "the PKCS#11 calls NSS made"
for log in spy-modutil spy-pk12-import spy-certutil spy-pk12-export spy-cmsutil; do
	spy_check "$TMP/$log.log" "$allowed"
done
# The imports stored keys and certificates with C_CreateObject (NSS's own
# trust objects, a vendor class, are refused and NSS keeps them itself).
spy_has "$TMP/spy-pk12-import.log" "C_CreateObject CKR_OK" || fail "pk12util -i created no object"
spy_has "$TMP/spy-certutil.log" "C_GenerateKeyPair CKR_OK" || fail "certutil -R generated no key pair"
mechs=$(spy_mechs "$TMP/spy-cmsutil.log" C_SignInit | tr '\n' ' ')
echo "cmsutil signed with: $mechs"
[[ $mechs == *CKM_RSA_PKCS\ * && $mechs == *CKM_ECDSA* ]] || fail "expected CKM_RSA_PKCS and CKM_ECDSA signatures"
# Where the module can wrap, it is the key's CKA_EXTRACTABLE that stops
# pk12util, not a missing mechanism.
if [ -n "$can_wrap" ] && is_tessera; then
	spy_has "$TMP/spy-pk12-export.log" "C_WrapKey CKR_KEY_UNEXTRACTABLE" ||
		fail "C_WrapKey did not answer CKR_KEY_UNEXTRACTABLE for a key that may not leave the token"
else
	note "pk12util -o failed at C_WrapKey with" \
		"$(spy_calls "$TMP/spy-pk12-export.log" | awk '$1 == "C_WrapKey" { print $2 }' | sort -u | tr '\n' ' ')"
fi

step "NSS PKCS#12 and CMS: all checks passed"
