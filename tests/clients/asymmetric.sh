#!/bin/bash
# OAEP, ECDH and key wrapping with independent implementations: data that
# `openssl pkeyutl` encrypts with RSA-OAEP under the token's public key is
# decrypted by the token through pkcs11-tool; the ECDH secret pkcs11-tool
# derives from a token key and an OpenSSL key equals `openssl pkeyutl
# -derive` from the other side; secret keys wrapped and unwrapped by
# pkcs11-tool (AES key wrap, RSA PKCS#1 v1.5) encrypt as the originals do.
# (The other direction of OAEP, and X25519/X448, are in tests/api.)
#
# usage: tests/clients/asymmetric.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
need pkcs11-tool openssl cmp
tsr_setup "${1:-}"
cd "$TMP" || exit 1

LABEL="asymmetric"
SOPIN=12345678
PIN=1234
user() { p11 --token-label "$LABEL" --login --pin "$PIN" "$@"; }

step "token"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"

step "RSA-OAEP: OpenSSL encrypts to the token's key, the token decrypts"
run user --keypairgen --key-type rsa:2048 --id 01 --label oaep --usage-decrypt
run p11 --token-label "$LABEL" --read-object --type pubkey --id 01 -o rsa.der
run openssl pkey -pubin -inform DER -in rsa.der -out rsa.pem
printf 'a message for the token only' >msg
for md in sha1 sha256 sha384 sha512; do
	MD=$(echo "$md" | tr a-z A-Z)
	HASH=$MD
	[ "$md" = sha1 ] && HASH=SHA-1 # pkcs11-tool's name
	run openssl pkeyutl -encrypt -pubin -inkey rsa.pem -in msg -out "ct.$md" \
		-pkeyopt rsa_padding_mode:oaep -pkeyopt "rsa_oaep_md:$md" -pkeyopt "rsa_mgf1_md:$md"
	run user --decrypt -m RSA-PKCS-OAEP --hash-algorithm "$HASH" --mgf "MGF1-$MD" --id 01 \
		-i "ct.$md" -o "pt.$md"
	cmp msg "pt.$md" || fail "OAEP with $md: the token decrypted something else"
done
# A hash that disagrees with the ciphertext's is refused, not misread.
run_fails user --decrypt -m RSA-PKCS-OAEP --hash-algorithm SHA256 --mgf MGF1-SHA256 --id 01 \
	-i ct.sha1 -o pt.bad
expect 'CKR_ENCRYPTED_DATA_INVALID'

step "ECDH: the token's secret is OpenSSL's"
# (P-384 is left to tests/api: pkcs11-tool 0.23 cannot export any module's
# P-384 public key, SoftHSM2's included: "cannot create EVP_PKEY".)
id=10
for curve in prime256v1 secp521r1; do
	id=$((id + 1))
	run user --keypairgen --key-type "EC:$curve" --id "$id" --label "ecdh $curve" --usage-derive
	run p11 --token-label "$LABEL" --read-object --type pubkey --id "$id" -o "tok.$curve.der"
	run openssl pkey -pubin -inform DER -in "tok.$curve.der" -out "tok.$curve.pem"
	run openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$curve" -out "peer.$curve.pem"
	run openssl pkey -in "peer.$curve.pem" -pubout -outform DER -out "peer.$curve.der"
	run user --derive -m ECDH1-DERIVE --id "$id" -i "peer.$curve.der" -o "z.tok.$curve"
	run openssl pkeyutl -derive -inkey "peer.$curve.pem" -peerkey "tok.$curve.pem" \
		-out "z.ossl.$curve"
	cmp "z.tok.$curve" "z.ossl.$curve" || fail "ECDH on $curve: the secrets differ"
done

step "key wrapping: wrapped and unwrapped keys encrypt as the originals"
head -c 32 /dev/zero >zeros
IV=00000000000000000000000000000000
run user --keygen --key-type AES:32 --id 20 --label kek --usage-wrap
run user --keypairgen --key-type rsa:2048 --id 21 --label rsa-kek --usage-wrap
run user --keygen --key-type AES:16 --id 22 --label dek --extractable
run user --encrypt -m AES-CBC --iv "$IV" --id 22 -i zeros -o enc.dek
for wrap in "AES-KEY-WRAP 20 23" "RSA-PKCS 21 24"; do
	set -- $wrap
	run user --wrap -m "$1" --id "$2" --application-id 22 -o "wrapped.$3"
	run user --unwrap -m "$1" --id "$2" -i "wrapped.$3" --key-type AES: --application-id "$3" \
		--application-label "unwrapped $1"
	run user --encrypt -m AES-CBC --iv "$IV" --id "$3" -i zeros -o "enc.$3"
	cmp enc.dek "enc.$3" || fail "$1: the unwrapped key is another key"
done
# A key that is not extractable does not leave.
run user --keygen --key-type AES:16 --id 25 --label stays
run_fails user --wrap -m AES-KEY-WRAP --id 20 --application-id 25 -o wrapped.no
expect 'CKR_KEY_UNEXTRACTABLE'

echo "PASS"
