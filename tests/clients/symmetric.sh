#!/bin/bash
# Symmetric mechanisms against an independent implementation: OpenSC's
# pkcs11-tool drives the module (C_GenerateKey, C_CreateObject, multi-part
# C_Encrypt*/C_Decrypt*, C_Sign/C_Verify with HMAC) and OpenSSL's command
# line checks every result, both ways: what the token encrypts OpenSSL
# decrypts, and the reverse.
#
# usage: tests/clients/symmetric.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
need pkcs11-tool openssl od
tsr_setup "${1:-}"
cd "$TMP" || exit 1

LABEL="symmetric test"
SOPIN=12345678
PIN=1234
IV=000102030405060708090a0b0c0d0e0f

user() { p11 --token-label "$LABEL" --login --pin "$PIN" "$@"; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# want_mech NAME: the module lists NAME (Tessera must; another module may
# not, and the step is left out).
want_mech() {
	grep -Eq "^  $1(,|\$)" "$TMP/mechs" && return 0
	is_tessera && fail "the module does not list mechanism $1"
	note "the module does not list $1; step left out"
	return 1
}

# same FILE1 FILE2 WHAT: the two files hold the same bytes.
same() {
	cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"
	echo "ok: $3"
}

step "initialise a token"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"
p11 --token-label "$LABEL" -M >"$TMP/mechs" 2>&1 || fail "cannot list mechanisms"
cat "$TMP/mechs"
if is_tessera; then
	for m in AES-ECB AES-CBC AES-CBC-PAD AES-CTR AES-GCM AES-CMAC AES-KEY-WRAP \
		SHA-1-HMAC SHA256-HMAC SHA512-HMAC SHA3-256-HMAC; do
		want_mech "$m"
	done
	# CCM, CTS, KEY_WRAP_PAD and KWP have no name in pkcs11-tool 0.23.
	for t in 1088 1089 210A 210B; do want_mech "mechtype-0x$t, keySize=\\{16,32\\}"; done
fi

# Sizes: empty, under a block, a block, and more than pkcs11-tool's
# 1 KiB parts (so C_EncryptUpdate runs several times).
head -c 0 /dev/urandom >p0.bin
head -c 5 /dev/urandom >p5.bin
head -c 16 /dev/urandom >p16.bin
head -c 3000 /dev/urandom >p3000.bin
head -c 4096 /dev/urandom >p4096.bin

step "AES-256: a known key through C_CreateObject"
openssl rand -out key.bin 32
run user --write-object key.bin --type secrkey --key-type AES:32 --label aes-imported --id 51 \
	--usage-decrypt
KEY=$(hex key.bin)

# crosscheck ID KEYHEX BITS: AES-CBC-PAD both ways for every size, and
# AES-CBC and AES-ECB for the whole-block sizes.
crosscheck() {
	local id=$1 key=$2 bits=$3 f
	for f in p0 p5 p16 p3000 p4096; do
		[ "$f" = p0 ] && ! is_tessera && continue # some modules refuse empty input
		user --encrypt -m AES-CBC-PAD --iv "$IV" --id "$id" -i $f.bin -o $f.tok >"$TMP/out" 2>&1 ||
			{ cat "$TMP/out"; fail "AES-CBC-PAD encryption of $f"; }
		openssl enc -d -aes-"$bits"-cbc -K "$key" -iv "$IV" -in $f.tok -out $f.dec ||
			fail "OpenSSL cannot decrypt the token's AES-CBC-PAD of $f"
		same $f.bin $f.dec "token AES-$bits-CBC-PAD -> openssl ($f)"
		openssl enc -aes-"$bits"-cbc -K "$key" -iv "$IV" -in $f.bin -out $f.ossl
		user --decrypt -m AES-CBC-PAD --iv "$IV" --id "$id" -i $f.ossl -o $f.back >"$TMP/out" 2>&1 ||
			{ cat "$TMP/out"; fail "AES-CBC-PAD decryption of $f"; }
		same $f.bin $f.back "openssl AES-$bits-CBC -> token ($f)"
	done
	for f in p16 p4096; do
		user --encrypt -m AES-CBC --iv "$IV" --id "$id" -i $f.bin -o $f.cbc >/dev/null 2>&1 ||
			fail "AES-CBC encryption of $f"
		openssl enc -aes-"$bits"-cbc -nopad -K "$key" -iv "$IV" -in $f.bin -out $f.ocbc
		same $f.cbc $f.ocbc "AES-$bits-CBC token = openssl ($f)"
		user --encrypt -m AES-ECB --id "$id" -i $f.bin -o $f.ecb >/dev/null 2>&1 ||
			fail "AES-ECB encryption of $f"
		openssl enc -aes-"$bits"-ecb -nopad -K "$key" -in $f.bin -out $f.oecb
		same $f.ecb $f.oecb "AES-$bits-ECB token = openssl ($f)"
		user --decrypt -m AES-ECB --id "$id" -i $f.oecb -o $f.decb >/dev/null 2>&1 ||
			fail "AES-ECB decryption of $f"
		same $f.bin $f.decb "openssl AES-$bits-ECB -> token ($f)"
	done
	# Whole blocks only: 3000 bytes is not.
	run_fails user --encrypt -m AES-CBC --iv "$IV" --id "$id" -i p3000.bin -o bad.out
	is_tessera && expect CKR_DATA_LEN_RANGE
	return 0
}
crosscheck 51 "$KEY" 256

step "AES-128: a key made by C_GenerateKey, extractable, read back"
run user --keygen --key-type AES:16 --label aes-generated --id 52 --extractable --usage-decrypt
run user --read-object --type secrkey --id 52 -o gen.key
[ "$(wc -c <gen.key)" -eq 16 ] || fail "the generated AES-128 key has $(wc -c <gen.key) bytes"
crosscheck 52 "$(hex gen.key)" 128

step "HMAC: a generic secret made by C_GenerateKey"
run user --keygen --key-type GENERIC:64 --label hmac-generated --id 53 --extractable --usage-sign
run user --read-object --type secrkey --id 53 -o hmac.key
HKEY=$(hex hmac.key)
for pair in SHA-1-HMAC:SHA1 SHA224-HMAC:SHA224 SHA256-HMAC:SHA256 SHA384-HMAC:SHA384 \
	SHA512-HMAC:SHA512 SHA3-256-HMAC:SHA3-256 SHA3-512-HMAC:SHA3-512; do
	mech=${pair%%:*} md=${pair##*:}
	want_mech "$mech" || continue
	for f in p0 p5 p3000; do
		user --sign -m "$mech" --id 53 -i $f.bin -o $f.mac >"$TMP/out" 2>&1 ||
			{ cat "$TMP/out"; fail "$mech over $f"; }
		openssl mac -digest "$md" -macopt hexkey:"$HKEY" -in $f.bin -binary -out $f.omac HMAC
		same $f.mac $f.omac "$mech token = openssl ($f)"
	done
	run user --verify -m "$mech" --id 53 -i p3000.bin --signature-file p3000.omac
	expect 'Signature is valid'
	# pkcs11-tool 0.23 reports a bad MAC but exits 0.
	user --verify -m "$mech" --id 53 -i p5.bin --signature-file p3000.omac >"$TMP/out" 2>&1 || true
	expect 'Invalid signature'
	expect_not 'Signature is valid'
done

echo
echo "PASS: symmetric mechanisms agree with OpenSSL"
