#!/bin/bash
# The tessera tool's module, token and session commands against one module:
# list, random, token init/set-pin/unlock, logout, module add/remove (p11-kit
# and NSS), watch, and bad input for each (one line on stderr, a non-zero
# exit, nothing changed).
#   tests/cli/basic.sh TESSERA_BINARY [MODULE]
. "$(dirname "$0")/../clients/lib.sh"

TESSERA=$(readlink -f "${1:?usage: basic.sh TESSERA_BINARY [MODULE]}")
tsr_setup "${2:-}"
T() { "$TESSERA" --module "$MODULE" "$@"; }
. "$(dirname "$0")/common.sh"

step "list before any token"
run T list
run T list slots
run T list modules --json
expect '"cryptoki": "'

step "token init (blank token), with the PINs from a file and the environment"
printf '1234\n' >"$TMP/pin"
TESSERA_SO_PIN=87654321 run T token init --label alpha --pin-file "$TMP/pin"
expect '^pkcs11:.*token=alpha'
URI=$(tail -1 "$TMP/out")
run T list tokens "$URI" --json
expect '"label": "alpha"'
expect 'pin-initialized'

step "random"
run T random 32
expect '^[0-9a-f]{64}$'
run T random 12 --base64 "$URI"
expect '^[A-Za-z0-9+/]{16}$'
T random 100 --raw >"$TMP/raw"
[ "$(stat -c %s "$TMP/raw")" = 100 ] || fail "--raw did not write 100 bytes"

step "PINs: wrong old PIN refused, change, unlock with the SO PIN"
bad_input 4 T token set-pin --pin 9999 --new-pin 4321 "$URI"
run T token set-pin --pin 1234 --new-pin 4321 "$URI"
run T list objects "$URI" --pin 4321
bad_input 4 T list objects "$URI" --pin 1234
run T token unlock --so-pin 87654321 --new-pin 1234 "$URI"
run T list objects "$URI" --pin 1234
bad_input 4 T token unlock --so-pin 00000000 --new-pin 1234 "$URI"
if is_tessera; then
	step "the SO PIN changes too"
	run T token set-pin --so --so-pin 87654321 --new-pin 11223344 "$URI"
	run T token set-pin --so --so-pin 11223344 --new-pin 87654321 "$URI"
fi

step "two tokens: a command that needs one asks, or without a terminal says to name one"
TESSERA_SO_PIN=87654321 run T token init --label beta --pin 1234
bad_input 2 T keygen --type ec:p256 --label k1 --pin 1234
expect '2 tokens could do this.*--token' "$TMP/err"
run T keygen --type ec:p256 --label k1 --pin 1234 --token 'pkcs11:token=beta'
expect ';token=beta;id=.*;object=k1;type=private$'

if command -v script >/dev/null; then
	step "on a terminal: the tokens are listed, one is chosen, the PIN is read with echo off"
	(sleep 2; printf '2\r'; sleep 2; printf '1234\r'; sleep 4) |
		env -u TESSERA_PIN script -qfc "$TESSERA --module $MODULE keygen --type ec:p256 --label k2" \
			/dev/null >"$TMP/tty.out" 2>&1 || true
	cat "$TMP/tty.out"
	expect '^ +1\) (alpha|beta) ' "$TMP/tty.out"
	second=$(sed -n 's/^ *2) \([a-z]*\) .*/\1/p' "$TMP/tty.out")
	[ -n "$second" ] || fail "no second token listed"
	expect 'Which token \(1-2\)\?' "$TMP/tty.out"
	expect "User PIN for '$second'" "$TMP/tty.out"
	expect_not '1234' "$TMP/tty.out"
	expect ";token=$second;id=.*;object=k2;type=private" "$TMP/tty.out"
fi

step "logout: the state a new session sees is public"
run T logout
expect 'logged out: alpha .*session state ro-public'
run T logout "$URI" --json
expect '"state": "ro-public"'

step "bad input: usage, URIs, counts"
bad_input 2 T frobnicate
bad_input 2 T list widgets
bad_input 2 T list 'pkcs11:token=a b'
bad_input 2 T list 'pkcs11:id=%zz'
bad_input 2 T list 'pkcs11:token=a;token=b'
bad_input 2 T random 0
bad_input 2 T random lots
bad_input 3 T random 8 'pkcs11:token=nosuch'
bad_input 3 T logout 'pkcs11:token=nosuch'
bad_input 3 T token set-pin 'pkcs11:token=nosuch' --pin 1 --new-pin 2
bad_input 5 T token set-pin "$URI" --pin-file "$TMP/missing" --new-pin 2
bad_input 2 T token init "$URI"
bad_input 9 T token init --label again "$URI" --so-pin 87654321 --pin 1234
bad_input 4 T token set-pin "$URI" </dev/null
bad_input 6 "$TESSERA" list --module "$TMP/missing.so"
run T list tokens "$URI"
expect 'alpha'

step "module add/remove with an NSS database, seen by modutil"
need modutil
mkdir "$TMP/nssdb"
modutil -create -dbdir "sql:$TMP/nssdb" -force </dev/null >/dev/null 2>&1
run "$TESSERA" module add tsr "$MODULE" --nss-db "$TMP/nssdb" --yes
run modutil -list -dbdir "sql:$TMP/nssdb"
expect "library name: $MODULE"
bad_input 7 "$TESSERA" module add tsr "$MODULE" --nss-db "$TMP/nssdb" --yes
bad_input 8 "$TESSERA" module add 'no/slash' "$MODULE" --nss-db "$TMP/nssdb" --yes
bad_input 6 "$TESSERA" module add other /etc/passwd --nss-db "$TMP/nssdb" --yes
bad_input 9 "$TESSERA" module remove tsr --nss-db "$TMP/nssdb" </dev/null
run "$TESSERA" module list --nss-db "$TMP/nssdb" --json
expect '"name": "tsr"'
run "$TESSERA" module remove tsr --nss-db "$TMP/nssdb" --yes
run modutil -list -dbdir "sql:$TMP/nssdb"
expect_not "$MODULE"
bad_input 5 "$TESSERA" module list --nss-db "$TMP/no-such-dir"

step "module add/remove with p11-kit's user configuration"
# p11-kit ignores a user configuration in programs running as root, so as
# root these steps run as nobody, with a home of their own.
HOMEDIR=$TMP/home
mkdir -p "$HOMEDIR/.config/pkcs11"
echo "user-config: only" >"$HOMEDIR/.config/pkcs11/pkcs11.conf"
as_user() { env HOME="$HOMEDIR" XDG_CONFIG_HOME="$HOMEDIR/.config" "$@"; }
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv is needed to run as a user"
	chmod 755 "$TMP"
	chown -R nobody "$HOMEDIR" "$TOKDIR"
	as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env HOME="$HOMEDIR" XDG_CONFIG_HOME="$HOMEDIR/.config" "$@"; }
fi
MODDIR=$HOMEDIR/.config/pkcs11/modules
bad_input 9 as_user "$TESSERA" module add mytoken "$MODULE" </dev/null
[ ! -e "$MODDIR/mytoken.module" ] || fail "declined, yet the file was written"
run as_user "$TESSERA" module add mytoken "$MODULE" --yes
grep -qx "module: $MODULE" "$MODDIR/mytoken.module" || fail "no module line"
[ -z "$(find "$MODDIR" -name '.*')" ] || fail "a temporary file was left behind"
run as_user "$TESSERA" module list
expect "^mytoken +$MODULE +user"
run as_user "$TESSERA" list tokens
expect '^mytoken .* alpha '
bad_input 7 as_user "$TESSERA" module add mytoken "$MODULE" --yes
bad_input 8 as_user "$TESSERA" module add .hidden "$MODULE" --yes
bad_input 6 as_user "$TESSERA" module add nolib "$TMP/missing.so" --yes
bad_input 6 as_user "$TESSERA" module add notp11 /lib/x86_64-linux-gnu/libz.so.1 --yes
[ "$(ls "$MODDIR")" = mytoken.module ] || fail "a refused add wrote something: $(ls "$MODDIR")"
run as_user "$TESSERA" module remove mytoken --yes
[ ! -e "$MODDIR/mytoken.module" ] || fail "not removed"
bad_input 3 as_user "$TESSERA" module remove mytoken --yes

step "watch: a token file removed and put back"
if [ "$(id -u)" = 0 ]; then chown -R root "$TOKDIR"; fi
SERIAL=$(sed -n 's/.*;serial=\([^;]*\);.*/\1/p' <<<"$URI")
TOKFILE=$TOKDIR/$SERIAL.tessera
[ -e "$TOKFILE" ] || TOKFILE=
if ! is_tessera || [ -z "$TOKFILE" ]; then
	note "watch needs Tessera's token files; not checked with this module"
else
	export WATCHLOG=$TMP/exec.log
	T watch --count 2 --exec 'echo "$TESSERA_EVENT $TESSERA_SLOT $TESSERA_TOKEN_LABEL" >>"$WATCHLOG"' \
		>"$TMP/watch.out" 2>"$TMP/watch.err" &
	WPID=$!
	# Ready once the module in it watches the token directory (its inotify
	# descriptor is open); then the removal must be seen before the return.
	for _ in $(seq 1 300); do
		ls -l "/proc/$WPID/fd" 2>/dev/null | grep -q inotify && break
		sleep 0.1
	done
	sleep 0.5
	mv "$TOKFILE" "$TMP/aside.tessera"
	for _ in $(seq 1 300); do grep -q '^remove' "$TMP/watch.out" && break; sleep 0.1; done
	mv "$TMP/aside.tessera" "$TOKFILE"
	for _ in $(seq 1 150); do kill -0 $WPID 2>/dev/null || break; sleep 0.2; done
	if kill -0 $WPID 2>/dev/null; then kill $WPID; fail "watch did not see both events"; fi
	wait $WPID || fail "watch failed: $(cat "$TMP/watch.err")"
	cat "$TMP/watch.out"
	expect '^remove +module=.* token=alpha ' "$TMP/watch.out"
	expect '^insert +module=.* token=alpha pkcs11:' "$TMP/watch.out"
	expect '^remove [0-9]+ alpha$' "$TMP/exec.log"
	expect '^insert [0-9]+ alpha$' "$TMP/exec.log"
fi

echo
echo "basic: all checks passed"
