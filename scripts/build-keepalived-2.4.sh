#!/usr/bin/env bash
# Build keepalived v2.4.3 (the first release with `auth_hmac`) from the source mirror, with
# only the VRRP half and none of the optional features, into target/keepalived-2.4.3/.
#
# Usage:   bash scripts/build-keepalived-2.4.sh          (prints the binary's path)
#
# Source: $KEEPALIVED_REPO (a git repository holding tag v2.4.3; default: the local mirror
# /work/.mirror/acassen+keepalived/repo, else a shallow clone of
# https://github.com/acassen/keepalived). Nothing of keepalived's source is committed here.
# Needs: gcc make autoconf automake pkg-config libssl-dev libnl-3-dev libnl-genl-3-dev
# (installed with apt-get when missing and run as root). Takes about a minute on two cores.
set -euo pipefail

TAG=v2.4.3
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO_ROOT/target/keepalived-2.4.3"
BIN="$OUT/keepalived"

if [[ -x $BIN ]] && "$BIN" --version 2>&1 | grep -q 'v2\.4\.3'; then
    echo "$BIN"
    exit 0
fi

need=()
for pkg in gcc make autoconf automake pkg-config libssl-dev libnl-3-dev libnl-genl-3-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [[ ${#need[@]} -gt 0 ]]; then
    if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
        echo "error: missing packages: ${need[*]} (run as root to install them)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

SRC=$(mktemp -d /tmp/keepalived-2.4.3.XXXXXX)
trap 'rm -rf "$SRC"' EXIT
REPO=${KEEPALIVED_REPO:-/work/.mirror/acassen+keepalived/repo}
if git -C "$REPO" rev-parse -q --verify "refs/tags/$TAG" >/dev/null 2>&1; then
    git -C "$REPO" archive "$TAG" | tar -x -C "$SRC"
else
    git clone -q --depth 1 --branch "$TAG" https://github.com/acassen/keepalived "$SRC/clone"
    SRC="$SRC/clone"
fi

cd "$SRC"
./autogen.sh >build.log 2>&1
./configure --disable-lvs --disable-libiptc --disable-libipset --disable-nftables \
    --disable-snmp --disable-dbus --disable-systemd >>build.log 2>&1
nice -n 19 make -j"$(nproc)" >>build.log 2>&1 || { tail -30 build.log >&2; exit 1; }
mkdir -p "$OUT"
install -m 0755 keepalived/keepalived "$BIN"
"$BIN" --version 2>&1 | head -1 >&2
echo "$BIN"
