#!/usr/bin/env bash
# Builds the release wasp binary and makes target/go-exec/go_wasip1_wasm_exec, a symlink to it,
# then prints that directory. With it on PATH, the go command runs wasip1 programs on wasp:
#
#   export PATH="$(scripts/go-exec-path.sh):$PATH"
#   GOOS=wasip1 GOARCH=wasm go test -short strings
#
# (The same as `wasp go-exec --install DIR`; see docs/go.md.) Build output goes to stderr.
# Set WASP_BIN to link another wasp binary instead of building target/release/wasp.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${WASP_BIN:-}" ]; then
    cargo build --release -p wasp-cli >&2
    WASP_BIN="${CARGO_TARGET_DIR:-target}/release/wasp"
fi
dir="$PWD/target/go-exec"
"$WASP_BIN" go-exec --install "$dir" >/dev/null
printf '%s\n' "$dir"
