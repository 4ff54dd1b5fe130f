#!/usr/bin/env bash
# Go programs by tier (issue 9, BENCHMARKS.md "Go programs by tier"): the Go guests kept in
# tests/guests/go (computemix, jsonregexp, goroutines, hello) run under wasp `--tier interp`,
# `--tier tiered`, `--tier jit`, wasmtime (PyPI, warm code cache) and node (`node:wasi`, if
# node is installed), each program in one hyperfine run with all runners alternating.
#
#   scripts/go-bench.sh                 # RUNS=3 (hello: HELLO_RUNS=10)
#   RUNS=5 NO_JIT=1 scripts/go-bench.sh # more runs, without the slow-to-start --tier jit
#   SCALE=small scripts/go-bench.sh     # tiny inputs (checks the script and the outputs)
#   WASP_BIN=path/to/wasp scripts/go-bench.sh   # that wasp binary, no cargo build
#
# Before timing, every runner's stdout is compared with `--tier interp`'s (the programs print
# checksums): a runner that disagrees stops the script. wasp runs with --no-cache except for
# hello (start-up with a warm cache, as wasmtime's). Prints a markdown table of median wall
# seconds with each runner's ratio to wasmtime and its mean CPU time (user + system, all
# threads), also written to target/go-bench/results.md.
#
# Needs: a release wasp (built here unless WASP_BIN names one: cargo build --release -p
# wasp-cli, in $CARGO_TARGET_DIR if set), Go (scripts/install-go.sh; the build is offline: GOTOOLCHAIN=local GOPROXY=off
# GOFLAGS=-mod=mod), hyperfine (installed here with apt-get if missing), wasmtime from PyPI in
# target/toolchains/venv (installed here). Caches live in a temporary directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${RUNS:-3}"
hello_runs="${HELLO_RUNS:-10}"
out="$root/target/go-bench"
mkdir -p "$out"
tmp="$(mktemp -d /tmp/wasp-go-bench-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

if ! command -v hyperfine >/dev/null; then
  apt-get install -y hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 2; }
fi
if [ -n "${WASP_BIN:-}" ]; then
  wasp="$(realpath "$WASP_BIN")"
else
  cargo build --release -q -p wasp-cli
  wasp="${CARGO_TARGET_DIR:-$root/target}/release/wasp"
fi
py="$root/target/toolchains/venv/bin/python"
if [ ! -x "$py" ]; then bash scripts/toolchain-venv.sh >/dev/null; fi
"$py" -c 'import wasmtime' 2>/dev/null || "$py" -m pip install -q "wasmtime==48.0.0"

# The guests, built like the CLI tests build them (one `go build ./...`).
go="$(bash scripts/install-go.sh)"
bin="$out/wasm"
mkdir -p "$bin"
(cd tests/guests/go && GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod \
  CGO_ENABLED=0 GOCACHE="$root/target/go-stdlib/gocache" GOPATH="$root/target/go-stdlib/gopath" \
  "$go" build -trimpath -o "$bin/" ./computemix ./jsonregexp ./goroutines ./hello)
for p in computemix jsonregexp goroutines hello; do mv -f "$bin/$p" "$bin/$p.wasm"; done

if [ "${SCALE:-}" = small ]; then
  compute_arg=1; json_arg=1; gor_arg=200
else
  compute_arg=16; json_arg=24; gor_arg=10000
fi
wt_cache="$tmp/wasmtime-cache"
wasp_cache="$tmp/wasp-cache"
export WASP_CACHE_DIR="$wasp_cache"
results="$out/results.md"
{
  echo "| program | interp | tiered | jit | wasmtime (cached) | node |"
  echo "|---|---:|---:|---:|---:|---:|"
} > "$results"

bench() { # name, runs, wasp-extra-flags, module args...
  local name="$1" n="$2" flags="$3"; shift 3
  local m="$bin/$1"; shift
  local args="$*"
  local -a names=(interp tiered) cmds=(
    "$wasp run $flags --tier interp $m $args"
    "$wasp run $flags --tier tiered $m $args")
  if [ -z "${NO_JIT:-}" ]; then
    names+=(jit); cmds+=("$wasp run $flags --tier jit $m $args")
  fi
  names+=(wasmtime); cmds+=("$py $root/scripts/startup-wasmtime.py --cache-dir $wt_cache $m $args")
  if command -v node >/dev/null; then
    names+=(node); cmds+=("node --no-warnings $root/scripts/run-node-wasi.mjs $m $args")
  fi
  # The answers first: every runner must print what the interpreter prints (this also warms
  # both code caches).
  local want i
  want="$(${cmds[0]})"
  for i in "${!cmds[@]}"; do
    if [ "$(${cmds[$i]})" != "$want" ]; then
      echo "go-bench: ${names[$i]} disagrees with interp on $name" >&2
      exit 1
    fi
  done
  echo "== $name: $want"
  local -a hf=()
  for i in "${!cmds[@]}"; do hf+=(-n "${names[$i]}" "${cmds[$i]}"); done
  hyperfine -N --warmup 1 --runs "$n" --style basic --export-json "$tmp/$name.json" "${hf[@]}"
  python3 - "$tmp/$name.json" "$name" >> "$results" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))["results"]
med = {r["command"]: r["median"] for r in data}
# CPU seconds (user + system, all threads: wasp's compiling thread included):
# steadier than wall time on a loaded machine.
cpu = {r["command"]: r["user"] + r["system"] for r in data}
base = med.get("wasmtime")
fmt = lambda t: f"{t * 1000:.1f} ms" if t < 0.2 else f"{t:.2f} s"
def cell(k):
    if k not in med:
        return "-"
    t = med[k]
    s = f"{fmt(t)} ({t / base:.2f}x)" if base and k != "wasmtime" else fmt(t)
    return f"{s}, cpu {fmt(cpu[k])}"
print("| " + " | ".join([sys.argv[2]] + [cell(k) for k in ("interp", "tiered", "jit", "wasmtime", "node")]) + " |")
PY
}

bench "computemix $compute_arg" "$runs" --no-cache computemix.wasm "$compute_arg"
bench "jsonregexp $json_arg" "$runs" --no-cache jsonregexp.wasm "$json_arg"
bench "goroutines $gor_arg" "$runs" --no-cache goroutines.wasm "$gor_arg"
bench "hello" "$hello_runs" "" hello.wasm
echo
echo "median wall time (ratio to wasmtime), mean CPU time, $(date -u '+%F %H:%M UTC'), $(git describe --always --dirty), load: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$results"
cat "$results"
