#!/usr/bin/env bash
# Builds the Debian package with cargo-deb from binaries already built with PROFILE (CI's
# `cargo test --profile ci` builds them), then, with --check (as root): installs it with
# dpkg -i, verifies the unit, runs `vrrpd -t` on the sample and `man -l` on the pages,
# and removes (purges) it, checking nothing is left. README.md "Debian package".
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
target=target/$PROFILE
[ "$PROFILE" = dev ] && target=target/debug
out=target/debian
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked
cargo build -q --profile "$PROFILE" -p vrrp-node --bins
rm -rf target/deb-docs "$out"
"$target/vrrp-docs" target/deb-docs >/dev/null
gzip -9n target/deb-docs/man8/*.8
# The generated pages are not Cargo build outputs: cargo-deb's warning about that is noise.
cargo deb -p vrrp-node --no-build --no-strip --profile "$PROFILE" -o "$out" 2>&1 >/dev/null \
    | { grep -v "are detected as Cargo target dir" || true; } >&2
deb=$(ls "$out"/vrrpd_*.deb)
echo "built $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb"

[ "${1:-}" = --check ] || exit 0
if dpkg -s vrrpd >/dev/null 2>&1; then
    echo "vrrpd is already installed here: not touching it" >&2
    exit 1
fi
trap 'dpkg --purge vrrpd >/dev/null 2>&1 || true' EXIT
dpkg -i "$deb"
unit=$(dpkg -L vrrpd | grep '/systemd/system/vrrpd.service$')
systemd-analyze verify "$unit"
/usr/sbin/vrrpd -t -f /usr/share/doc/vrrpd/examples/keepalived.conf
/usr/sbin/vrrpd --version
/usr/sbin/vrrpctl --version
for page in /usr/share/man/man8/vrrpd.8.gz /usr/share/man/man8/vrrpctl.8.gz; do
    MANWIDTH=80 man -l "$page" | grep -q 'SYNOPSIS'
done
bash -n /usr/share/bash-completion/completions/vrrpd
files=$(dpkg -L vrrpd | grep -v '^/\.$')
dpkg --purge vrrpd
trap - EXIT
left=0
for f in $files; do
    # Directories shared with other packages stay; files of ours must go.
    if [ -e "$f" ] && [ ! -d "$f" ]; then echo "left behind: $f" >&2; left=1; fi
done
[ "$left" = 0 ]
echo "Debian package: installed, checked and removed cleanly"
