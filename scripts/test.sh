#!/usr/bin/env bash
# Runs the whole test suite: every workspace test (spec suite, engine, WASI,
# CLI with real Go and C guests), then the spec suite again on the loop
# dispatch backend (release builds use threaded tail-call dispatch).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
WASP_LOOP_DISPATCH=1 CARGO_TARGET_DIR=target/loop-backend cargo test -p wasp -p wasp-wast
