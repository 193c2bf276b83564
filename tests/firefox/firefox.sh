#!/bin/bash
# Firefox end to end: a client key generated on the token, its certificate
# (issued by a local test CA) stored on the token, Tessera loaded into a
# fresh Firefox profile, and a headless firefox-esr loading a page from a
# local HTTPS server that requires a client certificate.
#
# Nobody types the PIN.  tests/firefox/marionette.py drives Firefox over
# Marionette, and a chrome-side observer answers the token's password prompt
# ("Please authenticate to the security device (<token>)").  Runs:
#   prompt   the observer answers the prompt with the PIN: the server sees the
#            token's certificate and the page shows it (screenshot kept)
#   unlock   the token is logged in before navigating, through PSM (what
#            Settings → Security Devices → Log In does; the observer answers
#            that login's prompt), and the page then needs no PIN
#   wrong    control: the observer answers with a wrong PIN: no certificate
#            reaches the server and the page shows no authenticated content
#
# Installs firefox-esr with apt-get when it is missing (set
# TESSERA_FIREFOX_INSTALL=0 to forbid that); skips, saying why, when it
# cannot.  Screenshots, results and logs stay in $TESSERA_FIREFOX_ARTIFACTS
# (meson: <build>/tests/firefox/artifacts; by hand: a new directory in /tmp).
# Firefox runs with TESSERA_DEBUG=1 (the module's diagnostics land in
# firefox-NAME.log); TESSERA_FIREFOX_ENV adds "VAR=value ..." to its
# environment for diagnosis, e.g. MOZ_LOG=sync,pipnss:5 MOZ_LOG_FILE=/tmp/ff.
#
# usage: tests/firefox/firefox.sh [MODULE]   (default: $TESSERA_MODULE)

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/clients/lib.sh
. "$HERE/../clients/lib.sh"

T0=$(date +%s)
elapsed() { echo $(($(date +%s) - T0)); }
step() { printf '\n=== [%ss] %s\n' "$(elapsed)" "$*"; }

# --- Firefox itself ---------------------------------------------------------

ensure_firefox() {
	command -v firefox-esr >/dev/null 2>&1 && return 0
	[ "${TESSERA_FIREFOX_INSTALL:-1}" != 0 ] ||
		skip "firefox-esr is not installed, and TESSERA_FIREFOX_INSTALL=0 forbids installing it"
	command -v apt-get >/dev/null 2>&1 || skip "firefox-esr is not installed and there is no apt-get to install it"
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo -n true 2>/dev/null ||
			skip "firefox-esr is not installed; installing it needs root or password-less sudo"
		sudo=(sudo -n)
	fi
	echo "firefox-esr is not installed: installing it with apt-get (about a minute)"
	local log
	log=$(mktemp)
	local inst=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive
		timeout 400 apt-get install -y -q --no-install-recommends firefox-esr)
	if ! "${inst[@]}" >"$log" 2>&1; then
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive timeout 200 apt-get update -q >>"$log" 2>&1 || true
		if ! "${inst[@]}" >>"$log" 2>&1; then
			tail -n 5 "$log"
			rm -f "$log"
			skip "firefox-esr is not installed and apt-get could not install it (output above)"
		fi
	fi
	rm -f "$log"
	command -v firefox-esr >/dev/null 2>&1 || skip "apt-get installed firefox-esr but there is no firefox-esr command"
	echo "installed firefox-esr in $(elapsed) s"
}

ensure_firefox
need modutil certutil pkcs11-tool openssl python3 setsid timeout
# The interpreter itself, not a version manager's shim (pyenv's costs seconds a call).
PY=$(python3 -c 'import sys; print(sys.executable)') || skip "python3 does not run"
FIREFOX_VERSION=$(firefox-esr --version 2>/dev/null) || skip "firefox-esr does not run: $(firefox-esr --version 2>&1 | tail -n 1)"
echo "firefox:   $FIREFOX_VERSION"

tsr_setup "${1:-}"
# Negative runs cost failed logins; keep the lockout far away.
echo "max_pin_tries = 100" >>"$TESSERA_CONF"

ART=${TESSERA_FIREFOX_ARTIFACTS:-}
if [ -z "$ART" ]; then
	ART=$(mktemp -d "${TMPDIR:-/tmp}/tessera-firefox.XXXXXX")
else
	rm -rf "$ART" && mkdir -p "$ART"
fi
ART=$(readlink -f "$ART")
echo "artifacts: $ART"

SERVER_PID=
FF_PID=
cleanup() {
	if [ -n "$FF_PID" ]; then kill -- -"$FF_PID" 2>/dev/null || true; fi
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

cd "$TMP" || exit 1

LABEL="Tessera Firefox"
SOPIN=87654321
PIN=246810
WRONG_PIN=135790
NICK="Firefox User"
CLIENT_CN="Tessera Firefox User"
DB=sql:$TMP/profile

echo "$PIN" >pwfile
head -c 256 /dev/urandom >noise
mu() { modutil -dbdir "$DB" "$@" </dev/null; }
cu() { certutil -d "$DB" "$@" </dev/null; }
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# jv FILE EXPR: evaluate the Python expression EXPR on the JSON in FILE (as d).
jv() {
	"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"
}

step "token: initialise it with pkcs11-tool"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"

step "a test CA and a server certificate for 127.0.0.1 (openssl)"
run openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
	-subj "/O=Tessera Test/CN=Tessera Test CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
cat >server.ext <<-EOF
	basicConstraints = CA:FALSE
	keyUsage = critical, digitalSignature, keyEncipherment
	extendedKeyUsage = serverAuth
	subjectAltName = IP:127.0.0.1, DNS:localhost
EOF
cat >client.ext <<-EOF
	basicConstraints = CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = clientAuth
EOF
run openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/O=Tessera Test/CN=127.0.0.1"
run openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile server.ext -out server.pem

step "a fresh Firefox profile: its NSS database loads Tessera and trusts the CA"
mkdir profile
run cu -N --empty-password
run mu -add tessera -libfile "$MODULE" -force
expect 'Module "tessera" added'
run cu -A -n "Tessera Test CA" -t "C,," -i ca.pem
run cu -U
expect "token: $LABEL\$"

step "client key generated on the token (certutil -R), certificate from the CA, stored on the token"
run cu -R -h "$LABEL" -f pwfile -z noise -k rsa -g 2048 -s "CN=$CLIENT_CN,O=Tessera Test" -a -o client.csr
run openssl req -in client.csr -verify -noout
run openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAserial ca.srl -days 2 \
	-extfile client.ext -out client.pem
# NSS keeps trust in trust objects, which a token such as Tessera (or
# SoftHSM) does not store; any trust other than what NSS already computes
# for a certificate with a key ("u,u,u") makes certutil copy the certificate
# into the profile's own database to hang the trust on.  That copy, whose
# trust has no "u", then hides the token's certificate from Firefox's
# client-certificate search.  So: -t "u,u,u", and no copy in the profile.
run cu -A -h "$LABEL" -f pwfile -n "$NICK" -t "u,u,u" -i client.pem
run cu -L -h all -f pwfile
expect "^$LABEL:$NICK +u,u,u"
run cu -L
expect_not "$NICK"
run cu -K -h "$LABEL" -f pwfile
expect '<[ 0-9]+> rsa +[0-9a-f]{40} +'"$LABEL:$NICK\$"
run pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$PIN" --list-objects
cert_id=$(awk '/^Certificate Object/ { on = 1; next } /^[A-Z]/ { on = 0 }
	on && /^ +ID: / { print $2; exit }' "$TMP/out")
[ -n "$cert_id" ] || fail "the certificate on the token has no CKA_ID"
awk '/^Private Key Object/ { on = 1; next } /^[A-Z]/ { on = 0 } on && /^ +ID: / { print $2 }' "$TMP/out" |
	grep -qx "$cert_id" || fail "no private key on the token has the certificate's CKA_ID $cert_id"

step "HTTPS server on 127.0.0.1 that requires a client certificate from the CA"
SERVER_LOG=$ART/server.log
: >"$SERVER_LOG"
"$PY" "$HERE/server.py" --cert server.pem --key server.key --ca ca.pem \
	--port-file server.port --log "$SERVER_LOG" --lifetime 400 >"$ART/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
	[ -s server.port ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$ART/server.out"; fail "the HTTPS server died"; }
	sleep 0.1
done
[ -s server.port ] || fail "the HTTPS server did not start in 10 s"
SERVER_PORT=$(cat server.port)
URL=https://127.0.0.1:$SERVER_PORT/
echo "server: $URL"
# The server itself refuses a client without a certificate (TLS 1.3 sends
# the refusal after the handshake, so look at what the server logged).
openssl s_client -connect "127.0.0.1:$SERVER_PORT" -CAfile ca.pem -quiet </dev/null >/dev/null 2>&1 || true
for _ in $(seq 50); do
	grep -q 'handshake' "$SERVER_LOG" && break
	sleep 0.1
done
expect 'handshake failed: .*(PEER_DID_NOT_RETURN_A_CERTIFICATE|certificate)' "$SERVER_LOG"
expect_not 'handshake ok' "$SERVER_LOG"

# firefox_run NAME MODE PIN MAX_ANSWERS: a copy of the profile, a headless
# Firefox on it, and marionette.py loading $URL.  Leaves $ART/NAME.json,
# $ART/NAME.png, $ART/firefox-NAME.log, and in $TMP/NAME.server the server's
# log lines written during the run.
firefox_run() {
	local name=$1 mode=$2 pin=$3 answers=$4 prof port lines rc=0
	prof=$TMP/ff-$name
	cp -a "$TMP/profile" "$prof"
	cp "$HERE/user.js" "$prof/user.js"
	port=$(free_port)
	echo "user_pref(\"marionette.port\", $port);" >>"$prof/user.js"
	mkdir -p "$TMP/home-$name"
	local extra_env=()
	read -r -a extra_env <<<"${TESSERA_FIREFOX_ENV:-}"
	lines=$(wc -l <"$SERVER_LOG")
	echo "+ firefox-esr --headless --marionette --remote-allow-system-access --no-remote --profile $prof (Marionette on $port)"
	# Its own session and process group, so that it and its children can be
	# ended together; the token's environment must be in Firefox's.
	env HOME="$TMP/home-$name" XDG_CACHE_HOME="$TMP/home-$name/.cache" \
		XDG_CONFIG_HOME="$TMP/home-$name/.config" MOZ_HEADLESS=1 \
		MOZ_CRASHREPORTER_DISABLE=1 MOZ_DISABLE_AUTO_SAFE_MODE=1 \
		TESSERA_TOKEN_DIR="$TESSERA_TOKEN_DIR" TESSERA_CONF="$TESSERA_CONF" TESSERA_DEBUG=1 \
		"${extra_env[@]}" setsid firefox-esr --headless --marionette --remote-allow-system-access \
		--no-remote --profile "$prof" about:blank \
		>"$ART/firefox-$name.log" 2>&1 </dev/null &
	FF_PID=$!
	local started
	started=$(date +%s)
	local margs=(--port "$port" --url "$URL" --token "$LABEL" --pin-mode "$mode"
		--max-answers "$answers" --screenshot "$ART/$name.png" --result "$ART/$name.json"
		--connect-timeout 60 --page-timeout 40 --quit)
	[ -n "$pin" ] && margs+=(--pin "$pin")
	echo "+ marionette.py ${margs[*]}"
	timeout 150 "$PY" "$HERE/marionette.py" "${margs[@]}" || rc=$?
	# Let Firefox quit (marionette.py asked it to), then end what is left.
	local t
	for t in $(seq 150); do
		kill -0 "$FF_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "firefox ran $(($(date +%s) - started)) s; quit took $((t / 10)).$((t % 10)) s"
	kill -- -"$FF_PID" 2>/dev/null || true
	local ffrc=0
	wait "$FF_PID" 2>/dev/null || ffrc=$?
	FF_PID=
	tail -n +"$((lines + 1))" "$SERVER_LOG" >"$TMP/$name.server"
	echo "---- server log during this run:"
	cat "$TMP/$name.server"
	[ -f "$ART/$name.json" ] && { echo "---- $ART/$name.json:"; cat "$ART/$name.json"; echo; }
	if grep -aq '^tessera: ' "$ART/firefox-$name.log"; then
		echo "---- the module's diagnostics in Firefox (TESSERA_DEBUG=1):"
		grep -a '^tessera: ' "$ART/firefox-$name.log" | sort | uniq -c
	fi
	if [ "$rc" -ne 0 ]; then
		echo "---- $ART/firefox-$name.log (last lines):"
		tail -n 40 "$ART/firefox-$name.log"
		# 143 = 128 + SIGTERM: ended by us; any other signal: it crashed.
		[ "$ffrc" -le 128 ] || [ "$ffrc" -eq 143 ] ||
			fail "Firefox crashed (signal $((ffrc - 128))) in the $name run; marionette.py exit status $rc"
		fail "marionette.py failed (exit status $rc) in the $name run"
	fi
	echo "screenshot: $ART/$name.png"
}

# authenticated NAME: the page and the server both show the token's certificate.
authenticated() {
	local name=$1 j=$ART/$1.json
	[ "$(jv "$j" 'd["page"]["title"]')" = "Tessera client certificate test" ] ||
		fail "$name: the page is not the server's: $(jv "$j" 'd["page"]["url"]') (title: $(jv "$j" 'd["page"]["title"]'); screenshot $ART/$name.png)"
	jv "$j" 'd["page"]["text"]' >"$TMP/$name.text"
	expect 'AUTHENTICATED with a client certificate' "$TMP/$name.text"
	expect "CN=$CLIENT_CN,O=Tessera Test" "$TMP/$name.text"
	expect "handshake ok subject=\"CN=$CLIENT_CN,O=Tessera Test\"" "$TMP/$name.server"
	expect "GET / subject=\"CN=$CLIENT_CN,O=Tessera Test\"" "$TMP/$name.server"
	[ "$(jv "$j" '[t["loggedIn"] for t in d["tokens_after"]]')" = "[True]" ] ||
		fail "$name: Firefox does not show exactly one logged-in token \"$LABEL\""
	[ "$(head -c 8 "$ART/$name.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		fail "$name: the screenshot is not a PNG"
	[ "$(stat -c %s "$ART/$name.png")" -gt 5000 ] || fail "$name: the screenshot is suspiciously small"
}

step "Firefox, PIN prompt answered over Marionette"
firefox_run prompt prompt "$PIN" 1
authenticated prompt
[ "$(jv "$ART/prompt.json" '[t["loggedIn"] for t in d["tokens_before"]] + d["prompts_before_navigate"]')" = "[False]" ] ||
	fail "the token was logged in, or asked for its PIN, before the page asked for it"
[ "$(jv "$ART/prompt.json" 'len([p for p in d["prompts"] if p["answered"]])')" = 1 ] ||
	fail "expected exactly one answered PIN prompt"
jv "$ART/prompt.json" '[p["text"] for p in d["prompts"]]' >"$TMP/out"
expect "security device \\($LABEL\\)"
echo "ok: Firefox asked for the PIN of \"$LABEL\", got it, and the server saw the token's certificate"

step "Firefox, token unlocked beforehand (Security Devices → Log In, through PSM)"
firefox_run unlock unlock "$PIN" 1
authenticated unlock
[ "$(jv "$ART/unlock.json" '[t["loggedIn"] for t in d["tokens_before"] + d["tokens_unlocked"]]')" = "[False, True]" ] ||
	fail "logging in to the token through PSM before navigating failed"
[ "$(jv "$ART/unlock.json" 'len(d["prompts_before_navigate"]) == len(d["prompts"]) == 1')" = True ] ||
	fail "expected one prompt, for the login before navigating, and none for the page"
echo "ok: logged in before navigating, no prompt for the page, and the server saw the token's certificate"

step "control: a wrong PIN gets no authenticated page"
# One wrong answer; Firefox asks again after a failed login, and the
# observer cancels that: one failed login on the token's counter.
firefox_run wrong prompt "$WRONG_PIN" 1
jv "$ART/wrong.json" 'd["page"]["text"]' >"$TMP/wrong.text"
jv "$ART/wrong.json" 'd["page"]["url"]' >>"$TMP/wrong.text"
expect_not 'AUTHENTICATED' "$TMP/wrong.text"
expect_not "$CLIENT_CN" "$TMP/wrong.text"
expect_not 'handshake ok|GET ' "$TMP/wrong.server"
expect 'handshake failed' "$TMP/wrong.server"
[ "$(jv "$ART/wrong.json" 'len([p for p in d["prompts"] if p["answered"]])')" = 1 ] ||
	fail "expected the wrong PIN to be given exactly once"
[ "$(jv "$ART/wrong.json" 'len(d["prompts"]) >= 2')" = True ] ||
	fail "Firefox did not ask again after the wrong PIN (did the login fail?)"
[ "$(jv "$ART/wrong.json" '[t["loggedIn"] for t in d["tokens_after"]]')" = "[False]" ] ||
	fail "the token is logged in after a wrong PIN"
echo "ok: the wrong PIN was refused and the page is $(jv "$ART/wrong.json" 'd["page"]["url"]' | cut -c1-60)"

step "the right PIN still works after the control (no lockout)"
run pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$PIN" --list-objects --type privkey
expect 'Private Key Object'

step "Firefox: all checks passed in $(elapsed) s; screenshots: $ART/prompt.png $ART/unlock.png $ART/wrong.png"
