#!/bin/bash
# p11-kit and GnuTLS: the module file the build installs registers the
# module with p11-kit, so that `p11-kit list-modules` and
# `p11tool --list-tokens` find it; p11tool makes a key on the token, certtool
# a request signed by it; the certificate goes onto the token; `gnutls-cli`
# then logs in to `openssl s_server -Verify 1` over TLS 1.2 and 1.3 with RSA
# and ECDSA keys named only by pkcs11: URIs.
#
# p11-kit ignores a user's configuration when running as root, so as root
# the test runs in a private mount namespace in which the system module
# directory holds only the module under test; otherwise it uses a private
# HOME with "user-config: only".  Either way no other module is loaded.
#
# usage: tests/clients/p11kit.sh [MODULE]   (default: $TESSERA_MODULE)

P11KIT_MODULES=/usr/share/p11-kit/modules
if [ "$(id -u)" -eq 0 ] && [ -z "${TSR_P11KIT_NS:-}" ] &&
	unshare --mount --propagation private true 2>/dev/null; then
	TSR_P11KIT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/clients/lib-pki.sh
. "$(dirname "$0")/lib-pki.sh"
need p11-kit p11tool certtool gnutls-cli pkcs11-tool openssl
tsr_setup "${1:-}"
pki_setup
cd "$TMP" || exit 1

LABEL=gnutls-token
SOPIN=12345678
PIN=1234
TOKEN_URI="pkcs11:token=$LABEL"

step "register the module with p11-kit through its module file"
# The module file meson generates and installs beside the module, pointed at
# the module under test (it is not installed here).
name=tessera
src=$(dirname "$MODULE")/tessera.module
mkdir p11-modules
if [ -f "$src" ]; then
	grep -q '^module:' "$src" || fail "$src has no module: line"
	sed "s|^module:.*|module: $MODULE|" "$src" >p11-modules/$name.module
else
	is_tessera && fail "no tessera.module beside $MODULE (the build generates it)"
	name=under-test
	echo "module: $MODULE" >p11-modules/$name.module
fi
cat p11-modules/$name.module
if [ -n "${TSR_P11KIT_NS:-}" ]; then
	mount --bind "$TMP/p11-modules" "$P11KIT_MODULES" || fail "cannot bind-mount $P11KIT_MODULES"
	[ ! -d /etc/pkcs11/modules ] || mount --bind "$TMP/p11-modules" /etc/pkcs11/modules
elif [ "$(id -u)" -ne 0 ]; then
	export HOME=$TMP/home XDG_CONFIG_HOME=$TMP/home/.config
	mkdir -p "$HOME/.config/pkcs11"
	echo "user-config: only" >"$HOME/.config/pkcs11/pkcs11.conf"
	cp -r p11-modules "$HOME/.config/pkcs11/modules"
else
	skip "running as root without a private mount namespace (unshare): p11-kit reads only the system configuration"
fi

step "a token with an RSA key made by pkcs11-tool"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"
run p11 --token-label "$LABEL" --login --pin "$PIN" --keypairgen --key-type rsa:2048 --id 11 --label gnutls-rsa

step "p11-kit lists the module and its token"
run p11-kit list-modules
expect "^$name: $MODULE\$"
expect "^    token: $LABEL\$"
run p11tool --list-tokens
expect "Label: $LABEL\$"
expect "Module: $MODULE\$"
expect "URL: pkcs11:.*token=$LABEL"

step "p11tool generates an EC key on the token"
export GNUTLS_PIN=$PIN
run p11tool --login --generate-privkey=ecdsa --curve=secp256r1 --label gnutls-ec --id 12 "$TOKEN_URI"
expect 'BEGIN PUBLIC KEY'
# Public keys and certificates are visible without a login, private keys only after.
run p11tool --list-all "$TOKEN_URI"
expect "type=public"
expect_not "type=private"
run p11tool --login --list-all "$TOKEN_URI"
expect "object=gnutls-ec;type=private"
expect "object=gnutls-rsa;type=private"
expect 'CKA_NEVER_EXTRACTABLE; CKA_SENSITIVE'

step "certificate requests signed on the token by certtool; certificates stored on the token"
pki_ca
for key in rsa ec; do
	id=$([ $key = rsa ] && echo 11 || echo 12)
	cat >"gnutls-$key.tmpl" <<-EOF
		organization = "Tessera"
		cn = "GnuTLS ${key^^}"
		tls_www_client
	EOF
	run certtool --generate-request --template "gnutls-$key.tmpl" \
		--load-privkey "$TOKEN_URI;object=gnutls-$key;type=private" --outfile "gnutls-$key.csr"
	run openssl req -in "gnutls-$key.csr" -noout -verify
	pki_issue "gnutls-$key.csr" "gnutls-$key.pem"
	run p11tool --login --write --load-certificate "gnutls-$key.pem" --label "gnutls-$key" --id "$id" "$TOKEN_URI"
done
run p11tool --list-all-certs "$TOKEN_URI"
expect "object=gnutls-rsa;type=cert"
expect "object=gnutls-ec;type=cert"
unset GNUTLS_PIN

# tls NAME VERSION KEY [PIN]: gnutls-cli with certificate and key taken
# from the token by URI; the server's output stays in srv-NAME.out.
tls() {
	local name=$1 ver=$2 key=$3 pin=${4:-$PIN} rc=0
	pki_server "srv-$name.out" -Verify 1 -CAfile ca.pem "-tls${ver/./_}" -www
	echo "+ gnutls-cli ... --x509certfile '$TOKEN_URI;object=gnutls-$key;type=cert'" \
		"--x509keyfile '$TOKEN_URI;object=gnutls-$key;type=private;pin-value=...' (TLS $ver)"
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 60 gnutls-cli --x509cafile ca.pem \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS$ver" \
		--x509certfile "$TOKEN_URI;object=gnutls-$key;type=cert" \
		--x509keyfile "$TOKEN_URI;object=gnutls-$key;type=private;pin-value=$pin" \
		-p "$SRV_PORT" 127.0.0.1 >"$TMP/out" 2>&1 || rc=$?
	grep -E '^- (Handshake|Description|Version|Status)|[Ee]rror|Subject:' "$TMP/out" || true
	pki_server_done
	TLS_RC=$rc
}

for key in rsa ec; do
	for ver in 1.2 1.3; do
		step "gnutls-cli, TLS $ver, key gnutls-$key on the token"
		tls "$key-$ver" "$ver" "$key"
		[ "$TLS_RC" -eq 0 ] || fail "gnutls-cli failed (status $TLS_RC)"
		expect '^- Handshake was completed'
		expect "^- Description: \(TLS$ver-"
		# s_server -www sends back the client certificate it saw.
		expect "Subject: O ?= ?Tessera, CN ?= ?GnuTLS ${key^^}"
		expect_client_subject "srv-$key-$ver.out" "O = Tessera, CN = GnuTLS ${key^^}"
	done
done

step "control: a wrong pin-value fails the handshake"
tls wrong-pin 1.3 ec 99999999
[ "$TLS_RC" -ne 0 ] || fail "gnutls-cli succeeded with a wrong PIN"
expect_not '^depth=0 ' "srv-wrong-pin.out"

step "p11-kit and GnuTLS: all checks passed"
