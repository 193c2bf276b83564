#!/bin/bash
# PyKCS11 (python3-pykcs11) against the module; the checks are in pykcs11.py.
# usage: tests/clients/pykcs11.sh [MODULE]   (default: $TESSERA_MODULE)

# shellcheck source=tests/clients/lib.sh
. "$(dirname "$0")/lib.sh"
# Debian's python3-pykcs11 belongs to the system interpreter, whatever else
# is first on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"
"$PY" -c 'import PyKCS11, cryptography' 2>/dev/null || skip "python3-pykcs11 or python3-cryptography is missing"
tsr_setup "${1:-}"
step "PyKCS11"
run "$PY" "$(dirname "$0")/pykcs11.py" "$MODULE"
expect 'PyKCS11: all checks passed'
