# shellcheck shell=bash
# Shared helpers for the client tests.  Source it; do not run it.
#
# The module under test is the test script's first argument, else
# $TESSERA_MODULE (which meson sets).  Everything here works with any PKCS#11
# module: a test can be pointed at SoftHSM2 to check the test itself.
#
# tsr_setup makes a private temporary directory ($TMP), removed on exit,
# and a token directory inside it ($TOKDIR).  It exports both Tessera's
# configuration (TESSERA_TOKEN_DIR, TESSERA_CONF) and SoftHSM2's
# (SOFTHSM2_CONF) so that whichever module is loaded finds an empty,
# private token directory and never touches the user's tokens.

set -euo pipefail

SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
step() { printf '\n=== %s\n' "$*"; }
note() { echo "note: $*"; }

# need TOOL...: skip the test if a client tool is not installed.
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (scripts/deps.sh installs it)"
	done
}

# tsr_module [PATH]: set MODULE to the module under test (PATH, else
# $TESSERA_MODULE), as an absolute path.
tsr_module() {
	MODULE=${1:-${TESSERA_MODULE:-}}
	[ -n "$MODULE" ] || fail "no module: pass the module path or set TESSERA_MODULE"
	[ -f "$MODULE" ] || fail "module $MODULE does not exist (build it first)"
	MODULE=$(readlink -f "$MODULE")
}

# is_tessera: true when the module under test is Tessera itself; checks that
# only Tessera promises (fork safety, PIN counter flags) run only then.
is_tessera() {
	case "$(basename "$MODULE")" in
	*tessera*) return 0 ;;
	*) return 1 ;;
	esac
}

# tsr_token_env DIR: point every known module at the empty token directory DIR.
tsr_token_env() {
	local dir=$1
	mkdir -p "$dir"
	cat >"$dir/tessera.conf" <<-EOF
		token_dir = $dir
		kdf_iterations = 1000
	EOF
	cat >"$dir/softhsm2.conf" <<-EOF
		directories.tokendir = $dir
		objectstore.backend = file
		log.level = ERROR
	EOF
	export TESSERA_TOKEN_DIR=$dir
	export TESSERA_CONF=$dir/tessera.conf
	export SOFTHSM2_CONF=$dir/softhsm2.conf
}

# tsr_setup [MODULE]: module, temporary directory with cleanup, token env.
tsr_setup() {
	tsr_module "${1:-}"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/tessera-client.XXXXXX")
	trap 'rm -rf "$TMP"' EXIT
	TOKDIR=$TMP/tokens
	tsr_token_env "$TOKDIR"
	echo "module:    $MODULE"
	echo "token dir: $TOKDIR"
}

# run CMD...: show the command and its output; fail the test if it fails.
# The output stays in $TMP/out for later assertions.
run() {
	echo "+ $*"
	local rc=0
	"$@" >"$TMP/out" 2>&1 || rc=$?
	cat "$TMP/out"
	[ "$rc" -eq 0 ] || fail "exit status $rc from: $*"
}

# run_fails CMD...: like run, but the command must fail.
run_fails() {
	echo "+ $* (must fail)"
	local rc=0
	"$@" >"$TMP/out" 2>&1 || rc=$?
	cat "$TMP/out"
	[ "$rc" -ne 0 ] || fail "this should have failed: $*"
}

# expect PATTERN [FILE]: the output of the last run (or FILE) matches the
# extended regular expression PATTERN.
expect() {
	local file=${2:-$TMP/out}
	grep -Eq -- "$1" "$file" || {
		echo "---- $file:"
		cat "$file"
		fail "expected /$1/ in the output above"
	}
}

# expect_not PATTERN [FILE]: the output does not match PATTERN.
expect_not() {
	local file=${2:-$TMP/out}
	if grep -Eq -- "$1" "$file"; then
		echo "---- $file:"
		cat "$file"
		fail "did not expect /$1/ in the output above"
	fi
}

# p11 ARGS...: pkcs11-tool on the module under test.
p11() { pkcs11-tool --module "$MODULE" "$@"; }

# tsr_free_slot [MODULE]: the ID of the first slot holding an uninitialised
# token, as pkcs11-tool --list-slots shows it (Tessera: the first free slot).
tsr_free_slot() {
	pkcs11-tool --module "${1:-$MODULE}" --list-slots 2>/dev/null | awk '
		/^Slot [0-9]+ \(0x[0-9a-fA-F]+\)/ { id = $3; gsub(/[():]/, "", id) }
		/token state: +uninitialized/ && id != "" && !found { print id; found = 1 }'
}

# tsr_new_token LABEL SOPIN PIN [MODULE]: initialise the free token and its user PIN.
tsr_new_token() {
	local label=$1 sopin=$2 pin=$3 mod=${4:-$MODULE} slot
	slot=$(tsr_free_slot "$mod")
	[ -n "$slot" ] || { pkcs11-tool --module "$mod" --list-slots; fail "no slot with an uninitialised token"; }
	run pkcs11-tool --module "$mod" --slot "$slot" --init-token --label "$label" --so-pin "$sopin"
	run pkcs11-tool --module "$mod" --token-label "$label" --login --login-type so --so-pin "$sopin" \
		--init-pin --pin "$pin"
}
