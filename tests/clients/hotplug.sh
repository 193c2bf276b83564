#!/bin/bash
# Cards that come and go, seen by real clients: a token file moved out of
# the token directory is a card pulled from its reader, moved back it is the
# card put in again.  pkcs11-tool --test-hotplug sees it through
# C_GetSlotList and through C_WaitForSlotEvent; NSS's modutil lists the
# slot empty and then the token again, in the same slot; and a running NSS
# client (nss-watch.c) is told of both events and finds the token's
# certificate again without restarting.
#
# usage: tests/clients/hotplug.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
need pkcs11-tool modutil certutil cc pkg-config
tsr_setup "${1:-}"
is_tessera || skip "token files that come and go are Tessera's; $MODULE is another module"
pkg-config --exists nss || fail "pkg-config finds no nss (package libnss3-dev)"
cd "$TMP" || exit 1

LABEL=plug
SOPIN=12345678
PIN=1234
tsr_new_token "$LABEL" "$SOPIN" "$PIN"
run p11 --token-label "$LABEL" --list-token-slots
SERIAL=$(awk '/serial num/ { print $NF; exit }' "$TMP/out")
[ -f "$TOKDIR/$SERIAL.tessera" ] || fail "no token file $TOKDIR/$SERIAL.tessera"
SLOT=$(awk '/^Slot [0-9]+ \(0x[0-9a-f]+\):/ { s = $2 } /token label +: plug$/ { print s; exit }' "$TMP/out")
echo "token $LABEL: file $SERIAL.tessera, slot $SLOT"

mkdir drawer
# pull / push: the token's files leave the directory / come back (the main
# file last, so that it is whole when the module sees it arrive).
pull() {
	echo "+ pull the card: move $SERIAL.tessera out of the token directory"
	mv "$TOKDIR/$SERIAL.tessera" drawer/
	mv "$TOKDIR/$SERIAL.tessera"-* drawer/ 2>/dev/null || true
}
push() {
	echo "+ put the card back"
	mv drawer/"$SERIAL.tessera"-* "$TOKDIR/" 2>/dev/null || true
	mv drawer/"$SERIAL.tessera" "$TOKDIR/"
}

# wait_for FILE PATTERN [COUNT]: FILE matches PATTERN at least COUNT times
# (default 1) within 20 s.
wait_for() {
	local file=$1 pattern=$2 count=${3:-1}
	for _ in $(seq 200); do
		[ "$(grep -Ec -- "$pattern" "$file" 2>/dev/null || true)" -ge "$count" ] && return 0
		sleep 0.1
	done
	echo "---- $file:"
	cat "$file"
	fail "timed out waiting for /$pattern/ x$count in $file"
}

step "pkcs11-tool --test-hotplug"
# pkcs11-tool asks for return before each look at the slots: first with
# C_GetSlotList, then ("x") blocking in C_WaitForSlotEvent.
PROMPT='Please press return to continue, x to exit:'
coproc HOTPLUG { exec pkcs11-tool --module "$MODULE" --test-hotplug >"$TMP/hotplug.out" 2>&1; }
HP_PID=$HOTPLUG_PID
trap 'kill $HP_PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
prompts() { grep -o -- "$PROMPT" hotplug.out | wc -l; }
say() { printf '%s\n' "$1" >&"${HOTPLUG[1]}"; }
# answer TEXT: answer the prompt, wait for the next one; what pkcs11-tool
# printed in between is in last.txt.
answer() {
	local n
	n=$(prompts)
	say "$1"
	wait_for hotplug.out "$PROMPT" $((n + 1))
	awk -v p="$PROMPT" '{ t = t $0 "\n" } END { n = split(t, a, p); printf "%s", a[n - 1] }' \
		hotplug.out >last.txt
}
listed() { grep -Eq "token label +: $LABEL\$" last.txt; }

wait_for hotplug.out "$PROMPT"
answer ""
listed || fail "C_GetSlotList: the token is not listed at first"
pull
sleep 1 # as a person would: the module learns of the change from inotify
answer ""
listed && fail "C_GetSlotList: the token is still listed after it was pulled"
grep -Eq "^Slot $SLOT \(0x[0-9a-f]+\):" last.txt || fail "slot $SLOT is gone from the slot list"
push
sleep 1
answer ""
listed || fail "C_GetSlotList: the token is not listed after it was put back"
grep -Pzq "Slot $SLOT \(0x[0-9a-f]+\): [^\n]*\n +token label +: $LABEL\n" last.txt ||
	fail "the token is not back in slot $SLOT"
answer x
# The two changes above are events not yet collected: C_WaitForSlotEvent
# reports them at once.  Collect until it blocks.
for _ in 1 2 3 4 5; do
	n=$(prompts)
	say ""
	sleep 1
	[ "$(prompts)" -gt "$n" ] || break
	grep -q 'event on slot' hotplug.out || fail "C_WaitForSlotEvent returned without an event"
done
[ "$(prompts)" -eq "$n" ] || fail "C_WaitForSlotEvent keeps returning events"
pull # C_WaitForSlotEvent is blocked now
wait_for hotplug.out "$PROMPT" $((n + 1))
awk -v p="$PROMPT" '{ t = t $0 "\n" } END { n = split(t, a, p); printf "%s", a[n - 1] }' hotplug.out >last.txt
cat last.txt
expect "event on slot 0x$(printf '%x' "$SLOT")\$" last.txt
listed && fail "C_WaitForSlotEvent: the token is still listed after its removal event"
n=$(prompts)
say ""
sleep 0.5
[ "$(prompts)" -eq "$n" ] || fail "C_WaitForSlotEvent did not block"
push
wait_for hotplug.out "$PROMPT" $((n + 1))
awk -v p="$PROMPT" '{ t = t $0 "\n" } END { n = split(t, a, p); printf "%s", a[n - 1] }' hotplug.out >last.txt
cat last.txt
expect "event on slot 0x$(printf '%x' "$SLOT")\$" last.txt
listed || fail "C_WaitForSlotEvent: the token is not listed after its insertion event"
say x
wait "$HP_PID" || fail "pkcs11-tool --test-hotplug failed"

step "NSS: modutil lists the slot empty, then the token again in the same slot"
mkdir nssdb
DB=sql:$TMP/nssdb
run modutil -dbdir "$DB" -create -force
run modutil -dbdir "$DB" -add tessera -libfile "$MODULE" -force
echo "$PIN" >pwfile
head -c 256 /dev/urandom >noise
run certutil -d "$DB" -S -s "CN=Plug" -n plugcert -x -t ",," -h "$LABEL" -f pwfile -z noise \
	-k ec -q nistp256 </dev/null
# modutil's per-slot listing exits non-zero for empty readers: judge it by content.
mlist() { modutil -dbdir "$DB" -list tessera </dev/null >"$1" 2>&1 || true; cat "$1"; }
slot_of() { awk -v l="$LABEL" '/Slot: / { s = $0 } /Token Name: / && $0 ~ l { print s }' "$1"; }
mlist before.txt
before=$(slot_of before.txt)
[ -n "$before" ] || fail "modutil does not list token $LABEL"
pull
mlist pulled.txt
[ -z "$(slot_of pulled.txt)" ] || fail "modutil still lists token $LABEL after it was pulled"
push
mlist back.txt
[ "$(slot_of back.txt)" = "$before" ] || fail "token $LABEL is not back in its slot ($before)"

step "a running NSS client sees the token go and come back"
# shellcheck disable=SC2046 # pkg-config's words
cc -o nss-watch "$HERE/nss-watch.c" $(pkg-config --cflags --libs nss) || fail "cannot build nss-watch"
./nss-watch "$DB" tessera "$LABEL" plugcert "$PIN" 20 >watch.out 2>&1 &
WATCH_PID=$!
trap 'kill $HP_PID $WATCH_PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
wait_for watch.out '^ready '
expect "^ready slot=[0-9]+ token=$LABEL cert=yes\$" watch.out
sleep 0.3
pull
wait_for watch.out "^event slot=[0-9]+ present=0 "
sleep 0.3
push
wait_for watch.out '^returned$'
wait "$WATCH_PID" || { cat watch.out; fail "nss-watch failed"; }
cat watch.out
expect "^event slot=[0-9]+ present=1 token=$LABEL cert=yes\$" watch.out
run certutil -d "$DB" -K -h "$LABEL" -f pwfile </dev/null
expect "$LABEL:plugcert\$"

step "hot-plug: all checks passed"
