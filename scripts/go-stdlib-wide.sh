#!/usr/bin/env bash
# Runs the tests of ~70 Go standard-library packages (wazero's integration list plus the ones
# CI checks) on wasp, and on wasmtime and node where available, and writes the table
# docs/go-stdlib-wide.md. Not part of CI: it takes about half an hour on 2 cores.
#
#   scripts/go-stdlib-wide.sh [--runtimes wasp,wasmtime,node] [--packages a,b] [--jobs N]
#                             [--timeout SECONDS] [--out FILE]
#
# Installs Go (scripts/install-go.sh) and, unless WASP_WIDE_NO_PIP=1, the `wasmtime` package
# from PyPI into the same venv (target/toolchains/venv); uses `node` from PATH if there is one.
# Builds target/release/wasp unless WASP_BIN names a wasp binary. Details in
# scripts/go-stdlib-wide.py; logs under target/go-stdlib/wide/logs/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go="$(scripts/install-go.sh)"
python="$PWD/target/toolchains/venv/bin/python"
if ! "$python" -c 'import wasmtime' 2>/dev/null && [ "${WASP_WIDE_NO_PIP:-0}" != 1 ]; then
    "$python" -m pip install --quiet --disable-pip-version-check wasmtime >&2 ||
        echo "[go-stdlib-wide] pip install wasmtime failed: no wasmtime column" >&2
fi
if [ -z "${WASP_BIN:-}" ]; then
    cargo build --release -p wasp-cli >&2
    WASP_BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/wasp"
fi
node_args=()
if command -v node >/dev/null 2>&1; then
    node_args=(--node "$(command -v node)")
fi
exec "$python" scripts/go-stdlib-wide.py --go "$go" --wasp "$WASP_BIN" --python "$python" \
    "${node_args[@]}" "$@"
