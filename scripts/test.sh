#!/usr/bin/env bash
# Runs the whole test suite: formatting and lints, every workspace test (spec
# suite, also under --tier jit and first-call tiered (crates/wasp-wast/tests/tiers.rs),
# engine, WASI, CLI with real Go and C guests), the spec suite again on
# the loop dispatch backend (release builds use threaded tail-call dispatch),
# the containerd shim (unit tests and end-to-end runs under a private
# containerd, scripts/shim-test.sh), and the deterministic fuzz tests (fixed seeds against wasmtime and wasmi, in
# release; long runs: docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo fmt --check --manifest-path fuzz/Cargo.toml
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
./scripts/shim-test.sh
WASP_LOOP_DISPATCH=1 CARGO_TARGET_DIR=target/loop-backend cargo test -p wasp -p wasp-wast
CARGO_TARGET_DIR=target/fuzz cargo clippy --release --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
CARGO_TARGET_DIR=target/fuzz cargo test --release --manifest-path fuzz/Cargo.toml
