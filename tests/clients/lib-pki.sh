# shellcheck shell=bash
# Helpers for the client tests that need certificates, TLS servers, NSS
# databases or a record of the PKCS#11 calls.  Source it after lib.sh and
# call pki_setup after tsr_setup; everything lands in $TMP.

SPY_LIB=${SPY_LIB:-/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so}
P11KIT_CLIENT=${P11KIT_CLIENT:-/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so}
TESTS_CLIENTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PKI_PIDS=()

# pki_setup: stop every server this test started when it exits, then
# remove $TMP as lib.sh does.
pki_setup() {
	trap 'pki_stop_all; pki_keep; rm -rf "$TMP"' EXIT
}

# TSR_KEEP_LOGS=DIR keeps the spy logs and server outputs, for a look after.
pki_keep() {
	[ -n "${TSR_KEEP_LOGS:-}" ] || return 0
	mkdir -p "$TSR_KEEP_LOGS"
	cp "$TMP"/*.log "$TMP"/*.out "$TSR_KEEP_LOGS"/ 2>/dev/null || true
}

pki_stop_all() {
	local p
	for p in "${PKI_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PKI_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}

# pki_ca: a test CA (RSA-2048) in ca.key/ca.pem in the current directory,
# and a server certificate for 127.0.0.1/localhost (EC P-256) in srv.key/srv.pem.
pki_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
		-subj "/O=Tessera tests/CN=Tessera Test CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null ||
		fail "openssl could not make the test CA"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
		-subj "/CN=localhost" -out srv.csr 2>/dev/null || fail "openssl: server key"
	pki_issue srv.csr srv.pem "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
}

# pki_issue REQ OUT [EXTENSIONS]: the CA signs the request REQ (PEM or DER)
# into the certificate OUT (PEM).  Default extensions suit a TLS client and
# an S/MIME signer (no key usage: cmsutil also wants the signer's
# certificate fit for encryption, which an EC key cannot be).
pki_issue() {
	local req=$1 out=$2 ext=${3:-"extendedKeyUsage=clientAuth,emailProtection"} form=PEM
	grep -q -- '-----BEGIN' "$req" || form=DER
	printf '%s\n' "$ext" >"$out.ext"
	openssl x509 -req -inform "$form" -in "$req" -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days 7 -extfile "$out.ext" -out "$out" 2>"$out.err" || {
		cat "$out.err"
		fail "the CA could not sign $req"
	}
}

# pki_server OUT ARGS...: start `openssl s_server` on a free port of
# 127.0.0.1 with the server certificate, ARGS added; its output goes to OUT.
# Sets SRV_PORT and SRV_PID.  It serves one connection (-naccept 1).
pki_server() {
	local out=$1
	shift
	: >"$out"
	openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert srv.pem -key srv.key "$@" \
		</dev/null >"$out" 2>&1 &
	SRV_PID=$!
	PKI_PIDS+=("$SRV_PID")
	for _ in $(seq 100); do
		grep -q '^ACCEPT' "$out" && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	SRV_PORT=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$out")
	[ -n "$SRV_PORT" ] || {
		cat "$out"
		fail "openssl s_server did not start"
	}
}

# pki_server_done: wait (at most 10 s) for the server to finish its one
# connection, then make sure it is gone.
pki_server_done() {
	for _ in $(seq 100); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
}

# expect_client_subject FILE SUBJECT: the s_server output FILE shows a TLS
# handshake that finished, with a client certificate whose subject is SUBJECT
# (as OpenSSL prints it, e.g. "O = Tessera, CN = Alice") that verified.
expect_client_subject() {
	local file=$1 subject=$2
	expect "^depth=0 $subject\$" "$file"
	expect_not 'verify error|verify return:0' "$file"
	expect '^ +1 server accepts that finished' "$file"
}

# nss_db NAME LIBFILE: a new NSS database $TMP/NAME with the module LIBFILE
# added as "tessera"; sets DB to its sql: name.
nss_db() {
	local name=$1 lib=$2
	mkdir -p "$TMP/$name"
	DB=sql:$TMP/$name
	modutil -dbdir "$DB" -create -force </dev/null >"$TMP/$name.log" 2>&1 ||
		{ cat "$TMP/$name.log"; fail "modutil -create $name"; }
	modutil -dbdir "$DB" -add tessera -libfile "$lib" -force </dev/null >>"$TMP/$name.log" 2>&1 ||
		{ cat "$TMP/$name.log"; fail "modutil -add $lib"; }
}

# --- recording the PKCS#11 calls with OpenSC's pkcs11-spy -------------------

# spy_setup: build the shim that lets Debian 12's spy record a 3.0 module
# (see spy-shim.c).  After it, `spy LOG CMD...` runs CMD with the spy
# recording into LOG; an NSS database made with `nss_db NAME "$SPY_LIB"`
# then reaches the module under test through the spy.
spy_setup() {
	[ -f "$SPY_LIB" ] || fail "$SPY_LIB is missing (package opensc)"
	need cc pkg-config
	# shellcheck disable=SC2046 # pkg-config's words
	cc -shared -fPIC -O1 -I"$TESTS_CLIENTS/../../src/common" $(pkg-config --cflags p11-kit-1) \
		-o "$TMP/spy-shim.so" "$TESTS_CLIENTS/spy-shim.c" -ldl ||
		fail "could not build the spy shim"
}

spy() {
	local log=$1
	shift
	PKCS11SPY=$TMP/spy-shim.so TSR_SHIM_MODULE=$MODULE PKCS11SPY_OUTPUT=$log "$@"
}

# spy_on LOG ... spy_off: the same for every command in between.
spy_on() {
	export PKCS11SPY=$TMP/spy-shim.so TSR_SHIM_MODULE=$MODULE PKCS11SPY_OUTPUT=$1
}
spy_off() {
	unset PKCS11SPY TSR_SHIM_MODULE PKCS11SPY_OUTPUT
}

# spy_calls LOG: "function return-code" for every call in the log.
spy_calls() {
	awk '/^[0-9]+: C_[A-Za-z]+/ { fn = $2 }
		/^Returned: / { print fn, $3 }' "$1"
}

# spy_has LOG "FUNCTION RESULT": the log holds such a call.
spy_has() {
	local calls
	calls=$(spy_calls "$1")
	grep -qx -- "$2" <<<"$calls"
}

# spy_check LOG [ALLOWED]: show a summary of the calls recorded in LOG and
# fail on any CKR_GENERAL_ERROR, or on a CKR_FUNCTION_NOT_SUPPORTED from a
# function outside the regular expression ALLOWED (default: none).
spy_check() {
	local log=$1 allowed=${2:-'^$'} bad
	[ -s "$log" ] || fail "the spy recorded nothing in $log"
	echo "PKCS#11 calls recorded in $(basename "$log") (count, function, result):"
	spy_calls "$log" | sort | uniq -c | sort -k2 | sed 's/^/    /'
	[ "$(spy_calls "$log" | wc -l)" -gt 0 ] || fail "no calls parsed from $log"
	if grep -q ' CKR_GENERAL_ERROR$' <<<"$(spy_calls "$log")"; then
		fail "CKR_GENERAL_ERROR in $log"
	fi
	bad=$(spy_calls "$log" | awk '$2 == "CKR_FUNCTION_NOT_SUPPORTED" { print $1 }' |
		grep -Ev -- "$allowed" | sort -u || true)
	[ -z "$bad" ] || fail "unexpected CKR_FUNCTION_NOT_SUPPORTED from: $bad (in $log)"
}

# spy_mechs LOG FUNCTION: the mechanisms passed to FUNCTION (e.g. C_SignInit).
spy_mechs() {
	awk -v f="$2" '/^[0-9]+: C_/ { on = ($2 == f) }
		on && /^\[in\] pMechanism->type = / { print $NF }' "$1" | sort -u
}
