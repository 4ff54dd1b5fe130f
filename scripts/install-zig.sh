#!/usr/bin/env bash
# Installs zig (used as a C compiler for the C guest programs in tests/guests/c) and prints the
# absolute path of the `zig` binary on stdout (log messages go to stderr).
#
# zig comes from PyPI (`pip install ziglang`) into a venv under target/toolchains/; the wheel
# ships the binary and its lib/ (including wasi-libc) as the Python package `ziglang`. Compile
# a guest with:
#   "$(scripts/install-zig.sh)" cc --target=wasm32-wasi -O2 -o prog.wasm prog.c
# (equivalent to `python -m ziglang cc ...`).
#
# Idempotent; a fast no-op once installed. Override the version with WASP_ZIGLANG_VERSION.

set -euo pipefail
# shellcheck source=toolchain-venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-venv.sh"

ensure_pip_package "ziglang==${WASP_ZIGLANG_VERSION:-0.17.1}" ziglang zig
