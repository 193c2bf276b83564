#!/bin/bash
# Install what Tessera's build and tests need on Debian 12 (or a close
# relative).  Does nothing when everything is installed already.
# Runs as root, or as a user with sudo.

set -euo pipefail

packages=(
	# build
	build-essential gcc meson ninja-build pkg-config
	libssl-dev libsqlite3-dev libp11-kit-dev libcmocka-dev libnss3-dev
	# clients the tests drive
	opensc libnss3-tools gnutls-bin p11-kit python3-pykcs11 openssl sqlite3
	p11-kit-modules libengine-pkcs11-openssl curl procps
	# reference module, and test vectors
	softhsm2 python3-cryptography python3-cryptography-vectors
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages are installed"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null; then
	sudo=(sudo)
else
	echo "deps: need root or sudo to install: ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
