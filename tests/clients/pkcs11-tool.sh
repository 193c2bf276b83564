#!/bin/bash
# OpenSC's pkcs11-tool against the module: token and PIN management, key
# generation, signatures (each checked by OpenSSL), digests, and
# pkcs11-tool's own --test, whose known faults are told apart from ours by
# running it against SoftHSM2 as well.
#
# usage: tests/clients/pkcs11-tool.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
need pkcs11-tool openssl stdbuf
tsr_setup "${1:-}"
cd "$TMP" || exit 1

LABEL="client test"
SOPIN=12345678
PIN=1234
NEWPIN=43210

tok() { p11 --token-label "$LABEL" "$@"; }
user() { p11 --token-label "$LABEL" --login --pin "$NEWPIN" "$@"; }

# want_mech NAME: the module lists mechanism NAME.  Tessera must list every
# mechanism this test asks for; another module may lack some (SoftHSM2 2.6
# has no ECDSA-SHA256), and then that step is left out with a note.
want_mech() {
	grep -Eq "^  $1(,|\$)" "$TMP/mechs" && return 0
	is_tessera && fail "the module does not list mechanism $1"
	note "the module does not list $1; step left out"
	return 1
}

step "module information and slots"
run p11 --show-info
expect 'Cryptoki version'
run p11 --list-slots
expect 'token state: +uninitialized'

step "initialise a token and its user PIN"
tsr_new_token "$LABEL" "$SOPIN" "$PIN"
run p11 --list-slots
expect "token label +: $LABEL\$"
expect 'token initialized'
expect 'PIN initialized'
[ -n "$(tsr_free_slot)" ] || fail "no free slot with an uninitialised token after C_InitToken"
if is_tessera; then
	ls "$TOKDIR"/*.tessera >/dev/null 2>&1 || fail "C_InitToken created no token file in $TOKDIR"
fi

step "change the user PIN"
run tok --login --pin "$PIN" --change-pin --new-pin "$NEWPIN"
run_fails tok --login --pin "$PIN" --list-objects
expect CKR_PIN_INCORRECT
if is_tessera; then
	run tok --list-token-slots
	expect 'user PIN count low'
fi
run user --list-objects
if is_tessera; then
	run tok --list-token-slots
	expect_not 'user PIN count low'
fi

step "a wrong PIN is refused"
run_fails tok --login --pin 99999 --list-objects
expect CKR_PIN_INCORRECT
run user --list-objects

step "mechanisms"
run p11 --list-mechanisms
cp "$TMP/out" "$TMP/mechs"

step "generate an RSA-2048 and an EC P-256 key pair"
run user --keypairgen --key-type rsa:2048 --id 01 --label rsa-key
expect 'Private Key Object; RSA'
run user --keypairgen --key-type EC:prime256v1 --id 02 --label ec-key
expect 'Private Key Object; EC'

step "list objects"
run tok --list-objects
expect 'Public Key Object; RSA 2048 bits'
expect 'Public Key Object; EC'
expect_not 'Private Key Object'
run user --list-objects
expect 'Private Key Object; RSA'
expect 'Private Key Object; EC'
expect 'Public Key Object; RSA 2048 bits'
expect 'Public Key Object; EC'
[ "$(grep -Ec 'label: +rsa-key$' "$TMP/out")" -eq 2 ] || fail "expected two objects labelled rsa-key"
[ "$(grep -Ec 'label: +ec-key$' "$TMP/out")" -eq 2 ] || fail "expected two objects labelled ec-key"

step "export the public keys"
run tok --read-object --type pubkey --id 01 -o rsa.der
run tok --read-object --type pubkey --id 02 -o ec.der
run openssl pkey -pubin -inform DER -in rsa.der -out rsa.pem
run openssl pkey -pubin -inform DER -in ec.der -out ec.pem
run openssl pkey -pubin -in rsa.pem -noout -text
expect 'Public-Key: \(2048 bit\)'
run openssl pkey -pubin -in ec.pem -noout -text
expect 'prime256v1'

head -c 3000 /dev/urandom >data
openssl dgst -sha256 -binary data >data.sha256

step "SHA256-RSA-PKCS"
run user --sign --id 01 --mechanism SHA256-RSA-PKCS -i data -o sig.rsa
run openssl dgst -sha256 -verify rsa.pem -signature sig.rsa data

step "RSA-PKCS over a DigestInfo (as NSS signs)"
{ printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; cat data.sha256; } >data.di
run user --sign --id 01 --mechanism RSA-PKCS -i data.di -o sig.rsapkcs
cmp sig.rsa sig.rsapkcs || fail "RSA-PKCS over the DigestInfo differs from SHA256-RSA-PKCS"
run openssl dgst -sha256 -verify rsa.pem -signature sig.rsapkcs data

step "RSA-PKCS-PSS over a SHA-256 hash"
run user --sign --id 01 --mechanism RSA-PKCS-PSS --hash-algorithm SHA256 --mgf MGF1-SHA256 \
	-i data.sha256 -o sig.pss
run openssl pkeyutl -verify -pubin -inkey rsa.pem -in data.sha256 -sigfile sig.pss \
	-pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_mgf1_md:sha256 \
	-pkeyopt rsa_pss_saltlen:digest

step "SHA256-RSA-PKCS-PSS"
run user --sign --id 01 --mechanism SHA256-RSA-PKCS-PSS -i data -o sig.sha256pss
run openssl dgst -sha256 -verify rsa.pem -sigopt rsa_padding_mode:pss \
	-sigopt rsa_pss_saltlen:digest -signature sig.sha256pss data

if want_mech ECDSA-SHA256; then
	step "ECDSA-SHA256"
	run user --sign --id 02 --mechanism ECDSA-SHA256 --signature-format openssl -i data -o sig.ecsha256
	run openssl dgst -sha256 -verify ec.pem -signature sig.ecsha256 data
fi

step "ECDSA over a SHA-256 hash"
run user --sign --id 02 --mechanism ECDSA --signature-format openssl -i data.sha256 -o sig.ecdsa
run openssl pkeyutl -verify -pubin -inkey ec.pem -in data.sha256 -sigfile sig.ecdsa
run user --sign --id 02 --mechanism ECDSA -i data.sha256 -o sig.raw
[ "$(stat -c %s sig.raw)" -eq 64 ] || fail "raw ECDSA P-256 signature is $(stat -c %s sig.raw) bytes, not r||s (64)"

step "digests"
for md in SHA-1 SHA256 SHA384 SHA512; do
	want_mech "$md" || continue
	run p11 --hash --mechanism "$md" -i data -o "hash.$md"
	ossl=$(echo "$md" | tr -d '-' | tr '[:upper:]' '[:lower:]')
	openssl dgst "-$ossl" -binary data | cmp - "hash.$md" || fail "$md digest differs from OpenSSL's"
done

if is_tessera; then
	step "fork: the child must call C_Initialize again"
	run p11 --test-fork
fi

# pkcs11-tool's self test.  Debian's pkcs11-tool 0.23 fails on some modules
# for reasons of its own: its OAEP decryption test passes a label ("ABC"),
# which SoftHSM2 2.6 refuses with CKR_ARGUMENTS_BAD, and any such error
# aborts the rest of --test.  A failure of the module under test passes only
# if SoftHSM2, given the same token and keys, fails in the same place.

# selftest MODULE OUT [ARGS...]: run --test, line-buffered so that errors
# stay next to the test that printed them.
selftest() {
	local mod=$1 out=$2 rc=0
	shift 2
	stdbuf -oL -eL pkcs11-tool --module "$mod" --token-label "$LABEL" --test \
		--login --pin "$NEWPIN" "$@" >"$out" 2>&1 || rc=$?
	echo "$rc" >"$out.rc"
}

# faults OUT: one line per failure, "<section> / <test>: <message>", with
# return codes removed (another module may fail the same way with another code).
faults() {
	awk '
		/^(error|ERR|Aborting|OAEP parameters|PSS parameters|Using|No errors|[0-9]+ errors)/ { skip = 1 }
		/^[A-Za-z]/ && !skip { section = $0; test = "" }
		/^ +[A-Za-z0-9][A-Za-z0-9-]*: / && $1 != "ERR:" { test = $1 }
		/ERR|^error:|[Ff]ailed|openssl error/ {
			msg = $0
			sub(/^ +/, "", msg)
			gsub(/(rv = )?CKR_[A-Z_]+ \(0x[0-9a-fA-F]+\)/, "", msg)
			sub(/[: ]+$/, "", msg)
			print section " / " test " " msg
		}
		{ skip = 0 }' "$1" | sort -u
}

# reference: the same token and keys on SoftHSM2, for comparison; made once.
REF=
reference() {
	[ -z "$REF" ] || return 0
	if [ "$MODULE" = "$(readlink -f "$SOFTHSM_MODULE")" ]; then
		REF=$MODULE
		return 0
	fi
	[ -f "$SOFTHSM_MODULE" ] || return 1
	(
		ref=$SOFTHSM_MODULE
		tsr_token_env "$TMP/reference"
		tsr_new_token "$LABEL" "$SOPIN" "$NEWPIN" "$ref"
		r() { run pkcs11-tool --module "$ref" --token-label "$LABEL" --login --pin "$NEWPIN" "$@"; }
		r --keypairgen --key-type rsa:2048 --id 01 --label rsa-key
		r --keypairgen --key-type EC:prime256v1 --id 02 --label ec-key
	) >"$TMP/reference.log" 2>&1 || { cat "$TMP/reference.log"; fail "could not set up the SoftHSM2 reference token"; }
	REF=$SOFTHSM_MODULE
}

# check_selftest NAME ARGS...: run --test with ARGS on the module (and on
# the reference if the module fails), and decide.
check_selftest() {
	local out=$TMP/selftest.$1
	shift
	step "pkcs11-tool --test${*:+ $*}"
	selftest "$MODULE" "$out" "$@"
	cat "$out"
	if [ "$(cat "$out.rc")" -eq 0 ] && grep -q '^No errors' "$out"; then
		return 0
	fi
	[ "$(cat "$out.rc")" -lt 128 ] || fail "pkcs11-tool crashed (status $(cat "$out.rc"))"
	faults "$out" >"$out.faults"
	[ -s "$out.faults" ] || fail "pkcs11-tool --test failed without saying why"
	reference || fail "pkcs11-tool --test failed and SoftHSM2 is not there to compare"
	if [ "$REF" != "$MODULE" ]; then
		(
			export SOFTHSM2_CONF=$TMP/reference/softhsm2.conf
			selftest "$REF" "$out.ref" "$@"
		)
	else
		cp "$out" "$out.ref"
	fi
	faults "$out.ref" >"$out.ref.faults"
	if comm -23 "$out.faults" "$out.ref.faults" | grep -q .; then
		echo "---- pkcs11-tool --test on SoftHSM2 ($REF):"
		cat "$out.ref"
		echo "---- failures of the module under test that SoftHSM2 does not show:"
		comm -23 "$out.faults" "$out.ref.faults"
		fail "pkcs11-tool --test${*:+ $*}"
	fi
	note "pkcs11-tool --test${*:+ $*} failed only where it also fails on SoftHSM2" \
		"(faults of pkcs11-tool 0.23 itself):"
	sed 's/^/    /' "$out.faults"
}

check_selftest plain
# --allow-sw also runs the signature tests, which skip mechanisms without CKF_HW.
check_selftest sw --allow-sw

step "pkcs11-tool: all checks passed"
