#!/bin/bash
# OpenSC's own thread test: `pkcs11-tool --test-threads` starts one thread
# per option, each running the two-letter commands it is given (IN:
# C_Initialize(NULL); IL: C_Initialize with CKF_OS_LOCKING_OK; GI:
# C_GetInfo; SL: C_GetSlotList; T0: C_GetTokenInfo of the first slot) while
# the main thread lists the slots.  Every thread must end with CKR_OK.  If
# it fails, the same run against SoftHSM2 tells pkcs11-tool's own faults
# from the module's.  (pkcs11-tool 0.23 waits up to 30 s for threads still
# running when it cleans up, whatever the module.)
#
# The stress test of many processes x many threads is tests/api/test-stress.c.
#
# usage: tests/clients/threads.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
need pkcs11-tool
tsr_setup "${1:-}"
cd "$TMP" || exit 1

LABEL="threads token"
tsr_new_token "$LABEL" 12345678 1234

THREAD_ARGS=(--test-threads IN --test-threads ILGISLT0 --test-threads ILGISLT0 --test-threads ILGISLT0
	--test-threads ILGISLT0)

# threads MODULE OUT: the run, its output in OUT, its status in OUT.rc.
threads() {
	local rc=0
	timeout 120 pkcs11-tool --module "$1" "${THREAD_ARGS[@]}" --list-slots >"$2" 2>&1 || rc=$?
	echo "$rc" >"$2.rc"
}

# verdict OUT: true when every thread ended with CKR_OK.
verdict() {
	[ "$(cat "$1.rc")" -eq 0 ] &&
		grep -q 'test_threads all threads have ended with CKR_OK' "$1" &&
		! grep -E 'thread:[0-9]+ state:[-0-9]+, rv:CKR_' "$1" | grep -vq 'rv:CKR_OK$'
}

step "pkcs11-tool ${THREAD_ARGS[*]} --list-slots"
threads "$MODULE" run.out
grep -E '^test_threads|returned|rv' run.out || true
if verdict run.out; then
	expect "token label +: $LABEL\$" run.out
	expect 'Test thread 4 returning rv = 0' run.out
	step "pkcs11-tool --test-threads: all threads ended with CKR_OK"
	exit 0
fi

cat run.out
[ -f "$SOFTHSM_MODULE" ] || fail "pkcs11-tool --test-threads failed, and SoftHSM2 is not there to compare"
step "the module failed; the same run against SoftHSM2"
(
	tsr_token_env "$TMP/reference"
	tsr_new_token "$LABEL" 12345678 1234 "$SOFTHSM_MODULE" >/dev/null
	threads "$SOFTHSM_MODULE" "$TMP/ref.out"
)
cat ref.out
verdict ref.out && fail "pkcs11-tool --test-threads fails on the module but passes on SoftHSM2"
note "pkcs11-tool --test-threads fails on SoftHSM2 as well: a fault of pkcs11-tool itself"
