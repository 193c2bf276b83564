#!/bin/bash
# The tool's OpenSSL provider on a fresh token of the module under test.
#   tests/cli/provider.sh TESSERA_BINARY PROVIDER_TEST [MODULE]
. "$(dirname "$0")/../clients/lib.sh"

TESSERA=$(readlink -f "${1:?usage: provider.sh TESSERA_BINARY PROVIDER_TEST [MODULE]}")
PROVIDER_TEST=$(readlink -f "${2:?usage: provider.sh TESSERA_BINARY PROVIDER_TEST [MODULE]}")
tsr_setup "${3:-}"
export TESSERA_PIN=1234 TESSERA_SO_PIN=87654321

step "a fresh token"
run "$TESSERA" --module "$MODULE" token init --label provider
TOKEN=$(tail -1 "$TMP/out")

step "sign and decrypt through the provider"
want=18
if ! is_tessera; then
	export TSR_TEST_OAEP_SHA1_ONLY=1 # SoftHSM2 2.6 has OAEP with SHA-1 only
	want=17
fi
run "$PROVIDER_TEST" "$MODULE" "$TOKEN"
expect "^$want passed, 0 failed\$"
