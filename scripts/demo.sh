#!/bin/bash
# Tessera in two minutes: create a token in a throwaway directory, make an
# RSA and an EC key on it, sign a file with each, and check the signatures
# with OpenSSL, using nothing but pkcs11-tool and openssl.
#
# usage: scripts/demo.sh [MODULE]
#   MODULE defaults to $TESSERA_MODULE, then build/src/pkcs11/tessera-pkcs11.so.
#   Any PKCS#11 module with an uninitialised token will do.

set -Eeuo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
MODULE=${1:-${TESSERA_MODULE:-$root/build/src/pkcs11/tessera-pkcs11.so}}
LABEL=demo
SOPIN=87654321
PIN=123456

bold='' plain=''
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
STEP=start
step() {
	STEP=$*
	printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}
trap 'echo; echo "demo: FAILED during: $STEP" >&2' ERR

for tool in pkcs11-tool openssl; do
	command -v "$tool" >/dev/null || { echo "demo: $tool is missing; run scripts/deps.sh" >&2; exit 1; }
done
[ -f "$MODULE" ] || {
	echo "demo: no module at $MODULE" >&2
	echo "      build it first: meson setup build && ninja -C build" >&2
	exit 1
}
MODULE=$(readlink -f "$MODULE")

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TESSERA_TOKEN_DIR=$work/tokens
mkdir -p "$TESSERA_TOKEN_DIR"
cd "$work"

p11() { pkcs11-tool --module "$MODULE" "$@"; }
user() { p11 --token-label "$LABEL" --login --pin "$PIN" "$@"; }

step "The module"
echo "module:    $MODULE"
echo "token dir: $TESSERA_TOKEN_DIR (removed at the end)"
p11 --show-info

step "Create a token labelled '$LABEL' (SO PIN $SOPIN)"
slot=$(p11 --list-slots | awk '
	/^Slot [0-9]+ \(0x[0-9a-fA-F]+\)/ { id = $3; gsub(/[():]/, "", id) }
	/token state: +uninitialized/ && id != "" && !found { print id; found = 1 }')
[ -n "$slot" ] || { p11 --list-slots; echo "demo: no slot offers an uninitialised token" >&2; exit 1; }
p11 --slot "$slot" --init-token --label "$LABEL" --so-pin "$SOPIN"

step "Set the user PIN ($PIN)"
p11 --token-label "$LABEL" --login --login-type so --so-pin "$SOPIN" --init-pin --pin "$PIN"
p11 --list-token-slots

step "Generate an RSA-2048 key pair (id 01)"
user --keypairgen --key-type rsa:2048 --id 01 --label demo-rsa

step "Generate an EC P-256 key pair (id 02)"
user --keypairgen --key-type EC:prime256v1 --id 02 --label demo-ec

step "Sign a file with each key"
printf 'Signed on a Tessera token, %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >message.txt
cat message.txt
user --sign --id 01 --mechanism SHA256-RSA-PKCS -i message.txt -o message.rsa.sig
p11 --list-mechanisms >mechanisms.txt 2>/dev/null
if grep -Eq '^  ECDSA-SHA256(,|$)' mechanisms.txt; then
	user --sign --id 02 --mechanism ECDSA-SHA256 --signature-format openssl \
		-i message.txt -o message.ec.sig
else
	echo "(this module has no ECDSA-SHA256: hashing with openssl and signing with ECDSA)"
	openssl dgst -sha256 -binary message.txt >message.sha256
	user --sign --id 02 --mechanism ECDSA --signature-format openssl \
		-i message.sha256 -o message.ec.sig
fi
ls -l message.rsa.sig message.ec.sig

step "Export the public keys"
p11 --token-label "$LABEL" --read-object --type pubkey --id 01 -o rsa.der
p11 --token-label "$LABEL" --read-object --type pubkey --id 02 -o ec.der
openssl pkey -pubin -inform DER -in rsa.der -out rsa.pem
openssl pkey -pubin -inform DER -in ec.der -out ec.pem
cat rsa.pem ec.pem

step "Verify both signatures with OpenSSL"
echo -n "RSA:   "
openssl dgst -sha256 -verify rsa.pem -signature message.rsa.sig message.txt
echo -n "ECDSA: "
openssl dgst -sha256 -verify ec.pem -signature message.ec.sig message.txt

step "Objects on the token"
user --list-objects

step "Done"
echo "The demo token is deleted with $work."
