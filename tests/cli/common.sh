# shellcheck shell=bash
# Helpers for the tessera tool's tests; sourced after tests/clients/lib.sh.

# bad_input CODE CMD...: CMD must exit with CODE and print exactly one line
# on stderr, starting "tessera: ".
bad_input() {
	local code=$1 rc=0 lines
	shift
	echo "+ $* (must fail with $code)"
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	cat "$TMP/err"
	[ "$rc" -eq "$code" ] || fail "exit status $rc, not $code, from: $*"
	lines=$(grep -vc '^note: ' "$TMP/err" || true)
	[ "$lines" -eq 1 ] || fail "$lines lines on stderr, not one, from: $*"
	grep -q '^tessera: ' "$TMP/err" || fail "the error line does not start with 'tessera: '"
}
