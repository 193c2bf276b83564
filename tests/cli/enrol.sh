#!/bin/bash
# The enrolment flow of the old window.crypto, with the tessera tool and a
# local test CA made by openssl:
#   keygen on a fresh token -> PKCS#10 (openssl req -verify) and CRMF (proof
#   of possession checked with OpenSSL's CRMF API) -> the CA issues ->
#   tessera import -> certutil -L -h all lists the certificate on the token
#   under the key's nickname -> sign-text checked by openssl cms and NSS's
#   cmsutil, and by tessera verify -> a PKCS#12 import -> bad input.
#   tests/cli/enrol.sh TESSERA_BINARY CRMF_CHECK [MODULE]
. "$(dirname "$0")/../clients/lib.sh"

TESSERA=$(readlink -f "${1:?usage: enrol.sh TESSERA_BINARY CRMF_CHECK [MODULE]}")
CRMF_CHECK=$(readlink -f "${2:?usage: enrol.sh TESSERA_BINARY CRMF_CHECK [MODULE]}")
tsr_setup "${3:-}"
T() { "$TESSERA" --module "$MODULE" "$@"; }
. "$(dirname "$0")/common.sh"
need openssl
export TESSERA_PIN=1234 TESSERA_SO_PIN=87654321
cd "$TMP"

step "a fresh token"
run T token init --label enrol
TOKEN=$(tail -1 "$TMP/out")

step "a local test CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -subj "/CN=Tessera Test CA" -days 30 2>/dev/null
echo "hello, signText" >msg.txt

TYPES="rsa:2048 ec:p256 ec:p384 ed25519"
for type in $TYPES; do
	name=${type/:/-}
	step "$type: keygen, requests, issue, import"
	run T keygen --type "$type" --label "key-$name" --token "$TOKEN"
	expect '^pkcs11:.*;id=(%[0-9A-F]{2}){20};object=key-'"$name"';type=private$'
	KEY=$(tail -1 "$TMP/out")
	run T request --key "$KEY" --subject "CN=user $name,O=Tessera" --san "DNS:$name.example" \
		--out "req-$name.pem"
	run openssl req -verify -noout -in "req-$name.pem"
	expect 'verify OK'
	run T request --key "$KEY" --subject "/CN=user $name" --format crmf --der --out "req-$name.crmf"
	run "$CRMF_CHECK" "req-$name.crmf"
	expect "proof of possession verified; subject /CN=user $name"
	run openssl x509 -req -in "req-$name.pem" -CA ca.pem -CAkey ca.key -CAcreateserial \
		-copy_extensions copy -days 10 -out "cert-$name.pem"
	cat "cert-$name.pem" ca.pem >"chain-$name.pem"
	run T import "chain-$name.pem"
	expect "^user pkcs11:.*object=user%20$name;type=cert"
	run T list objects "$TOKEN" --json
	expect '"class": "cert", "key_type": "", "label": "user '"$name"'"'

	case $type in ed25519) continue ;; esac # CMS with Ed25519 needs OpenSSL >= 3.2
	step "$type: sign-text, checked by openssl cms and tessera verify"
	run T sign-text --key "$KEY" --in msg.txt --out "sig-$name.b64"
	base64 -d "sig-$name.b64" >"sig-$name.der"
	run openssl cms -verify -inform DER -in "sig-$name.der" -CAfile ca.pem -binary
	expect 'hello, signText'
	run T verify --ca ca.pem --in "sig-$name.b64"
	expect "verified: signed by 'user $name'"
	run T sign-text --key "$KEY" --in msg.txt --detached --pem --out "sig-$name.pem"
	run openssl cms -verify -in "sig-$name.pem" -inform PEM -content msg.txt -CAfile ca.pem -binary
	run T verify --ca ca.pem --in "sig-$name.pem" --content msg.txt
done

step "CRMF with key archival: the KRA recovers the encryption key the token made"
openssl req -x509 -newkey rsa:2048 -nodes -keyout kra.key -out kra.pem -subj "/CN=Test KRA" \
	-days 10 2>/dev/null
run T request --key "$TOKEN;object=key-ec-p256" --subject "CN=user ec-p256" --format crmf \
	--archive-to kra.pem --der --out archive.crmf
expect "^note: encryption key archived to the KRA: pkcs11:.*object=key-ec-p256%20\\(encryption\\);type=private"
run "$CRMF_CHECK" archive.crmf kra.key recovered.pem
expect 'the KRA recovered the archived private key \(2048 bits\)'
if command -v pkcs11-tool >/dev/null; then
	pkcs11-tool --module "$MODULE" --token-label enrol --read-object --type pubkey \
		--label "key-ec-p256 (encryption)" -o encpub.der >/dev/null 2>&1 ||
		fail "cannot read the encryption key's public half"
	openssl pkey -pubin -inform DER -in encpub.der -outform DER -out token-pub.der
	openssl pkey -in recovered.pem -pubout -outform DER -out recovered-pub.der
	cmp token-pub.der recovered-pub.der || fail "the recovered key is not the token's"
fi
T list objects "$TOKEN" >before-archive.txt
bad_input 2 T request --key "$TOKEN;object=key-ec-p256" --subject CN=x --archive-to kra.pem
bad_input 5 T request --key "$TOKEN;object=key-ec-p256" --subject CN=x --format crmf \
	--archive-to missing.pem
bad_input 11 T request --key "$TOKEN;object=key-ec-p256" --subject CN=x --format crmf \
	--archive-to ca.pem
bad_input 7 T request --key "$TOKEN;object=key-ec-p256" --subject CN=x --format crmf \
	--archive-to kra.pem
T list objects "$TOKEN" | diff before-archive.txt - || fail "a refused archival changed the token"

step "the CA certificate came along once"
run T list objects "$TOKEN;object=Tessera%20Test%20CA;type=cert"
[ "$(grep -c 'Tessera Test CA' "$TMP/out")" = 1 ] || fail "the CA certificate is not there exactly once"

step "NSS sees the certificates on the token under the keys' nicknames"
if command -v certutil >/dev/null && command -v cmsutil >/dev/null; then
	mkdir nssdb
	certutil -N -d sql:nssdb --empty-password
	run "$TESSERA" module add tsr "$MODULE" --nss-db nssdb --yes
	echo "$TESSERA_PIN" >pin.txt
	run certutil -L -d sql:nssdb -h all -f pin.txt
	expect '^enrol:user rsa-2048 +u,u,u'
	expect '^enrol:user ec-p256 +u,u,u'
	certutil -A -d sql:nssdb -n testca -t C,C,C -i ca.pem
	run cmsutil -D -d sql:nssdb -i sig-ec-p256.der -o content.txt
	cmp content.txt msg.txt || fail "cmsutil -D gave other content"
	run cmsutil -D -d sql:nssdb -i sig-rsa-2048.der -o content.txt
	cmp content.txt msg.txt || fail "cmsutil -D gave other content"

	step "TLS client authentication with the token's key: tstclnt to openssl s_server"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
		-out srv.pem -subj /CN=localhost -days 5 2>/dev/null
	port=$((20000 + RANDOM % 20000))
	openssl s_server -accept "127.0.0.1:$port" -cert srv.pem -key srv.key -CAfile ca.pem \
		-Verify 2 -www -naccept 1 >server.log 2>&1 &
	server=$!
	for _ in $(seq 1 300); do grep -q ACCEPT server.log && break; sleep 0.1; done
	# tstclnt keeps polling after the reply: wait (up to a minute, for a
	# loaded machine) until it has shown the handshake, then stop it.
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 60 tstclnt -h 127.0.0.1 -p "$port" -d sql:nssdb \
		-n "enrol:user ec-p256" -W pin.txt -o -V tls1.2:tls1.3 >client.log 2>&1 &
	client=$!
	for _ in $(seq 1 600); do
		grep -q 'Subject: CN *= *user ec-p256' client.log && break
		kill -0 "$client" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5
	kill "$client" 2>/dev/null || true
	wait "$client" 2>/dev/null || true
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	cat server.log
	expect 'Client certificate' client.log
	expect 'Subject: CN *= *user ec-p256' client.log
else
	note "NSS tools not installed: certutil and cmsutil checks skipped"
fi

step "a PKCS#12 file: key, certificate and chain"
openssl req -x509 -newkey rsa:2048 -nodes -keyout p12.key -out p12.pem -subj "/CN=p12 user" \
	-days 10 2>/dev/null
openssl pkcs12 -export -inkey p12.key -in p12.pem -certfile ca.pem -out user.p12 -passout pass:secret
TESSERA_P12_PASSWORD=secret run T import --p12 user.p12 --token "$TOKEN"
expect '^user pkcs11:.*object=p12%20user;type=cert'
run T sign-text --key "$TOKEN;object=p12%20user;type=private" --in msg.txt --der --out sig-p12.der
run openssl cms -verify -inform DER -in sig-p12.der -noverify -binary
expect 'hello, signText'
run T list objects "$TOKEN;type=private" --login
expect 'p12 user'

step "bad input changes nothing"
# Sorted: a module may list its objects in any order (SoftHSM2 does).
T list objects "$TOKEN" | sort >before.txt
bad_input 5 T import missing.pem
printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n' >corrupt.pem
bad_input 5 T import corrupt.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
	-out other.csr -subj "/CN=nobody's key" 2>/dev/null
openssl x509 -req -in other.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 \
	-out other.pem 2>/dev/null
bad_input 3 T import other.pem
cat other.pem cert-ec-p256.pem >mixed.pem
bad_input 3 T import mixed.pem
bad_input 2 T keygen --type rsa:1024 --label x
bad_input 2 T keygen --type ec:p256
bad_input 7 T keygen --type ec:p256 --label key-ec-p256 --token "$TOKEN"
bad_input 3 T keygen --type ec:p256 --label y --token 'pkcs11:token=nosuch'
bad_input 4 env TESSERA_PIN=0000 "$TESSERA" --module "$MODULE" keygen --type ec:p256 --label z \
	--token "$TOKEN"
bad_input 3 T request --key "$TOKEN;object=nosuch" --subject CN=x
bad_input 2 T request --key "$TOKEN;object=key-ec-p256" --subject 'no equals sign'
bad_input 2 T request --key "$TOKEN;object=key-ec-p256" --subject CN=x --san 'bogus:x'
bad_input 4 env TESSERA_PIN=0000 "$TESSERA" --module "$MODULE" sign-text \
	--key "$TOKEN;object=key-ec-p256" --in msg.txt
bad_input 5 T sign-text --key "$TOKEN;object=key-ec-p256" --in missing.txt
bad_input 3 T sign-text --key "$TOKEN;object=key-nocert" --in msg.txt
run T keygen --type ec:p256 --label key-nocert --token "$TOKEN"
bad_input 3 T sign-text --key "$TOKEN;object=key-nocert" --in msg.txt
printf 'tampered\n' >tampered.txt
bad_input 10 T verify --ca ca.pem --in sig-ec-p256.pem --content tampered.txt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca2.key \
	-out ca2.pem -subj "/CN=Another CA" -days 10 2>/dev/null
bad_input 10 T verify --ca ca2.pem --in sig-ec-p256.b64
bad_input 5 T verify --ca ca.pem --in corrupt.pem
bad_input 5 T verify --ca missing.pem --in sig-ec-p256.b64
bad_input 4 env TESSERA_P12_PASSWORD=wrong "$TESSERA" --module "$MODULE" import --p12 user.p12 \
	--token "$TOKEN"
bad_input 5 T import --p12 corrupt.pem --token "$TOKEN"
T list objects "$TOKEN" | grep -v key-nocert | sort >after.txt
grep -v key-nocert before.txt | diff - after.txt || fail "bad input changed the token"

echo
echo "enrol: all checks passed"
