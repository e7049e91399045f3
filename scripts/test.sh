#!/usr/bin/env bash
# The project's one test command (README.md "Tests"); .ci/run calls it after installing
# what it needs. Network end-to-end tests need root (they build namespaces); unprivileged
# they print SKIPPED, except under CI=true where they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n=== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "vrrp-core builds for an embedded target (no_std, no alloc)"
cargo build -p vrrp-core --target thumbv7em-none-eabihf

step "workspace tests"
cargo test --workspace --profile ci

step "Debian package: build; as root also install (dpkg -i), check and remove"
if [ "$(id -u)" = 0 ]; then
    PROFILE=ci bash packaging/deb.sh --check
else
    PROFILE=ci bash packaging/deb.sh
fi

step "loom models of the daemon's thread-shared state (bounded preemptions, release)"
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 CARGO_TARGET_DIR=target/loom \
    cargo test -p vrrp-node --no-default-features --release --test loom_sync

step "fuzz: every target, bounded time each"
FUZZ_SECONDS=${FUZZ_SECONDS:-45} bash scripts/fuzz-ci.sh

step "embedded: the host's traces replayed on a Cortex-M4F (QEMU mps2-an386), and the cost firmware"
PROFILE=ci bash scripts/embedded.sh --cost
