# Shared by fuzz-ci.sh and fuzz-long.sh, which source it with their arguments:
#   source "$(dirname "${BASH_SOURCE[0]}")/fuzz-common.sh" "$@"
# Goes to the repository root ($root), installs cargo-fuzz when missing, picks the
# targets (the arguments, or every target in fuzz/) into $targets, builds them, and
# sets $bindir to where the fuzzer binaries are.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
[ "${#targets[@]}" -gt 0 ] || { echo "$(basename "$0"): no fuzz targets found" >&2; exit 1; }

echo "== building ${targets[*]} (cargo +nightly fuzz build)"
# cargo fuzz's default build: release, debug assertions and overflow checks, ASan.
cargo +nightly fuzz build

triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bindir="$root/fuzz/target/$triple/release"
