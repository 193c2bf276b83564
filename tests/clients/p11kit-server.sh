#!/bin/bash
# The token out of the application's process: `p11-kit server` loads the
# module and serves one token on a Unix socket; applications load only
# p11-kit's client module (p11-kit-client.so) and reach the token through
# it.  pkcs11-tool makes keys and signs (OpenSSL verifies), NSS lists the
# token's certificates and keys and logs in over TLS with one, and OpenSSL's
# pkcs11 engine and curl sign and log in too.  The clients run with a token
# directory of their own that is empty, and never load the module (their
# dynamic loader's record shows it), while the server does; once the server
# is gone the clients see no token.
#
# usage: tests/clients/p11kit-server.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/clients/lib-pki.sh
. "$(dirname "$0")/lib-pki.sh"
need p11-kit pkcs11-tool openssl modutil certutil tstclnt
[ -f "$P11KIT_CLIENT" ] || skip "$P11KIT_CLIENT is missing (package p11-kit-modules)"
tsr_setup "${1:-}"
pki_setup
cd "$TMP" || exit 1

LABEL=remote-token
SOPIN=12345678
PIN=1234
CLIENT=$P11KIT_CLIENT

step "a token, made directly with the module"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"

step "p11-kit server loads the module and serves the token"
# As a user would start it: it goes to the background and prints the
# variables its clients need (P11_KIT_SERVER_ADDRESS, P11_KIT_SERVER_PID).
run p11-kit server --sh --name "$TMP/p11-kit.sock" --provider "$MODULE" "pkcs11:token=$LABEL"
expect '^P11_KIT_SERVER_ADDRESS=unix:path='
expect '^P11_KIT_SERVER_PID=[0-9]+;'
eval "$(grep '^P11_KIT_SERVER_' "$TMP/out")"
ADDRESS=$P11_KIT_SERVER_ADDRESS SERVER_PID=$P11_KIT_SERVER_PID
unset P11_KIT_SERVER_ADDRESS P11_KIT_SERVER_PID
PKI_PIDS+=("$SERVER_PID")
kill -0 "$SERVER_PID" || fail "p11-kit server is not running"

# The clients' environment: the server's address, and a token directory of
# their own that holds nothing.
(tsr_token_env "$TMP/client-tokens") # writes the configuration files only
CLIENT_ENV=(P11_KIT_SERVER_ADDRESS="$ADDRESS" TESSERA_TOKEN_DIR="$TMP/client-tokens"
	TESSERA_CONF="$TMP/client-tokens/tessera.conf" SOFTHSM2_CONF="$TMP/client-tokens/softhsm2.conf")
client() { env "${CLIENT_ENV[@]}" "$@"; }
rp11() { client pkcs11-tool --module "$CLIENT" "$@"; }
ruser() { rp11 --token-label "$LABEL" --login --pin "$PIN" "$@"; }

# no_module PREFIX: the dynamic loader's records (LD_DEBUG=files,
# LD_DEBUG_OUTPUT=PREFIX, one file per process) show the client module and
# never the module under test.
no_module() {
	cat "$1".* >"$1.all" 2>/dev/null || fail "no loader record $1.*"
	grep -q "file=$CLIENT " "$1.all" || fail "the client did not load $CLIENT"
	if grep -q "$(basename "$MODULE")" "$1.all"; then
		grep "$(basename "$MODULE")" "$1.all"
		fail "a client process loaded $(basename "$MODULE")"
	fi
}

step "pkcs11-tool through p11-kit-client.so"
run rp11 --list-slots
expect "token label +: $LABEL\$"
run ruser --keypairgen --key-type rsa:2048 --id 41 --label remote-rsa
run ruser --keypairgen --key-type EC:prime256v1 --id 42 --label remote-ec
run rp11 --token-label "$LABEL" --read-object --type pubkey --id 41 -o rsa.der
run rp11 --token-label "$LABEL" --read-object --type pubkey --id 42 -o ec.der
openssl pkey -pubin -inform DER -in rsa.der -out rsa.pub
openssl pkey -pubin -inform DER -in ec.der -out ec.pub
head -c 2000 /dev/urandom >data
echo "+ pkcs11-tool (client) --sign --id 41 -m SHA256-RSA-PKCS, under LD_DEBUG=files"
LD_DEBUG=files LD_DEBUG_OUTPUT=$TMP/ld-sign-rsa \
	client pkcs11-tool --module "$CLIENT" --token-label "$LABEL" --login --pin "$PIN" \
	--sign --id 41 -m SHA256-RSA-PKCS -i data -o sig.rsa || fail "remote RSA signature failed"
run openssl dgst -sha256 -verify rsa.pub -signature sig.rsa data
# p11-kit 0.24 forwards only the mechanisms its protocol knows, which leaves
# out CKM_ECDSA_SHA256 (the client does not list it); CKM_ECDSA over a hash is there.
openssl dgst -sha256 -binary data >data.sha256
run ruser --sign --id 42 -m ECDSA --signature-format openssl -i data.sha256 -o sig.ec
run openssl pkeyutl -verify -pubin -inkey ec.pub -in data.sha256 -sigfile sig.ec
no_module "$TMP/ld-sign-rsa"
echo "the signing client loaded p11-kit-client.so and not $(basename "$MODULE")"

step "a long-running client process never maps the module; the server's helper does"
# p11-kit server runs the module in a helper process (p11-kit-remote) for
# each connection.  A client holds its session open while we look.
PY=/usr/bin/python3
$PY -c 'import PyKCS11' 2>/dev/null || fail "$PY cannot import PyKCS11 (package python3-pykcs11)"
cat >hold.py <<'PYEOF'
import os, sys, time
import PyKCS11
lib = PyKCS11.PyKCS11Lib()
lib.load(sys.argv[1])
slot = [s for s in lib.getSlotList(tokenPresent=True)
        if lib.getTokenInfo(s).label.strip() == sys.argv[2]][0]
session = lib.openSession(slot)
session.login(sys.argv[3])
key = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                           (PyKCS11.CKA_LABEL, "remote-ec")])[0]
sig = session.sign(key, b"x" * 32, PyKCS11.Mechanism(PyKCS11.CKM_ECDSA))
print("signed through the client module, %d bytes" % len(sig), flush=True)
open(sys.argv[4], "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[5]):
        break
    time.sleep(0.1)
session.logout()
PYEOF
env "${CLIENT_ENV[@]}" $PY hold.py "$CLIENT" "$LABEL" "$PIN" "$TMP/client.ready" "$TMP/client.done" >client.out 2>&1 &
PY_PID=$!
PKI_PIDS+=("$PY_PID")
for _ in $(seq 100); do
	[ -e client.ready ] && break
	kill -0 "$PY_PID" 2>/dev/null || break
	sleep 0.1
done
cat client.out
[ -e client.ready ] || fail "the Python client did not sign through p11-kit-client.so"
grep -q "$CLIENT" "/proc/$PY_PID/maps" || fail "the client has not mapped $CLIENT"
if grep -q "$(basename "$MODULE")" "/proc/$PY_PID/maps"; then
	fail "the client process $PY_PID maps $(basename "$MODULE")"
fi
echo "client $PY_PID maps $(basename "$CLIENT") and not $(basename "$MODULE")"
mapped=
for h in $(ps -o pid= --ppid "$SERVER_PID"); do
	if grep -q "$(basename "$MODULE")" "/proc/$h/maps" 2>/dev/null; then
		mapped="$mapped $h"
	fi
done
[ -n "$mapped" ] || fail "no helper process of the server maps $(basename "$MODULE")"
echo "server helper(s)$mapped map $(basename "$MODULE")"
touch client.done
wait "$PY_PID" || fail "the Python client failed"

step "the keys are on the server's token, not in the clients' token directory"
run p11 --token-label "$LABEL" --login --pin "$PIN" --list-objects
expect 'label: +remote-rsa'
expect 'label: +remote-ec'
if is_tessera; then
	ls "$TMP/client-tokens"/*.tessera >/dev/null 2>&1 && fail "a token file appeared in the clients' directory"
	run p11 --list-slots # directly, with the clients' empty directory: no such token there
	TESSERA_TOKEN_DIR=$TMP/client-tokens p11 --list-slots >client-slots.txt 2>&1 || true
	expect_not "token label +: $LABEL\$" client-slots.txt
fi

step "NSS through p11-kit-client.so: certutil makes a key and stores its certificate"
pki_ca
echo "$PIN" >pwfile
head -c 256 /dev/urandom >noise
(
	export "${CLIENT_ENV[@]}"
	nss_db nssdb "$CLIENT"
)
DB=sql:$TMP/nssdb
cu() { client certutil -d "$DB" "$@" </dev/null; }
run cu -U
expect "token: $LABEL\$"
run cu -A -n "Tessera Test CA" -t "CT,C," -i ca.pem
run cu -R -s "CN=Remote NSS,O=Tessera" -k ec -q nistp256 -h "$LABEL" -f pwfile -z noise -o nss.req
pki_issue nss.req nss.pem
run cu -A -n remote-nss -t ",," -h "$LABEL" -f pwfile -i nss.pem
run cu -L -h "$LABEL" -f pwfile
expect "^$LABEL:remote-nss +u,u,u"
run cu -K -h "$LABEL" -f pwfile
expect "<[ 0-9]+> ec +[0-9a-f]{40} +$LABEL:remote-nss\$"
expect "<[ 0-9]+> rsa .* remote-rsa\$"

step "tstclnt logs in over TLS 1.3 with the remote key"
pki_server srv-nss.out -Verify 1 -CAfile ca.pem -tls1_3 -www
LD_DEBUG=files LD_DEBUG_OUTPUT=$TMP/ld-tstclnt run client timeout 60 tstclnt -h 127.0.0.1 -p "$SRV_PORT" \
	-d "$DB" -n "$LABEL:remote-nss" -w "$PIN" -V tls1.3:tls1.3 -Q
pki_server_done
expect_client_subject srv-nss.out "O = Tessera, CN = Remote NSS"
no_module "$TMP/ld-tstclnt"

ENGINE_SO=/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
if [ -f "$ENGINE_SO" ]; then
	step "OpenSSL's pkcs11 engine through p11-kit-client.so"
	cat >engine.cnf <<-EOF
		openssl_conf = openssl_init
		[openssl_init]
		engines = engine_section
		[engine_section]
		pkcs11 = pkcs11_section
		[pkcs11_section]
		engine_id = pkcs11
		dynamic_path = $ENGINE_SO
		MODULE_PATH = $CLIENT
		init = 0
	EOF
	key="pkcs11:token=$LABEL;object=remote-rsa;type=private;pin-value=$PIN"
	run client env OPENSSL_CONF="$TMP/engine.cnf" openssl req -new -engine pkcs11 -keyform engine \
		-key "$key" -subj "/O=Tessera/CN=Remote OpenSSL" -out engine.csr
	run openssl req -in engine.csr -noout -verify
	pki_issue engine.csr engine.pem
	pki_server srv-engine.out -Verify 1 -CAfile ca.pem -tls1_3 -www
	printf 'GET / HTTP/1.0\r\n\r\n' >request
	run client env OPENSSL_CONF="$TMP/engine.cnf" timeout 60 openssl s_client -engine pkcs11 \
		-keyform engine -key "$key" -cert engine.pem -CAfile ca.pem -verify_return_error \
		-connect "127.0.0.1:$SRV_PORT" -ign_eof -quiet <request
	pki_server_done
	expect_client_subject srv-engine.out "O = Tessera, CN = Remote OpenSSL"
	if command -v curl >/dev/null; then
		pki_server srv-curl.out -Verify 1 -CAfile ca.pem -www
		run client env OPENSSL_CONF="$TMP/engine.cnf" timeout 60 curl -sS --engine pkcs11 \
			--key-type ENG --key "$key" --cert engine.pem --cacert ca.pem "https://127.0.0.1:$SRV_PORT/"
		expect "Subject: O ?= ?Tessera, CN ?= ?Remote OpenSSL"
		pki_server_done
		expect_client_subject srv-curl.out "O = Tessera, CN = Remote OpenSSL"
	fi
else
	note "$ENGINE_SO is missing (package libengine-pkcs11-openssl): engine step left out"
fi

step "control: with the server gone the clients see no token"
run env P11_KIT_SERVER_PID="$SERVER_PID" p11-kit server --sh --kill
for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
rp11 --list-slots >gone.txt 2>&1 || true
cat gone.txt
expect_not "token label +: $LABEL" gone.txt

step "p11-kit server: all checks passed"
