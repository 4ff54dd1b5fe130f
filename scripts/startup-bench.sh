#!/usr/bin/env bash
# Start-up benchmark (issue 13, BENCHMARKS.md "Start-up"): a Go hello and a
# `go test -c` binary of encoding/json (~17.6 MB) run to exit, side by side in
# one hyperfine run per group:
#   first run (no code cache): wasp --no-cache, wasmi CLI, wasmtime without cache
#   cached (warm):             wasp with its cache, wasmtime with its cache
# plus node for reference, the breakdown `wasp run --timings` prints, and the
# floor of the wasmtime runner (python + import wasmtime + Engine()).
#
#   scripts/startup-bench.sh            # RUNS=20 by default
#   RUNS=50 scripts/startup-bench.sh
#
# Needs: target/release/wasp (built here), hyperfine (apt-get install hyperfine),
# the wasmi CLI (cargo install wasmi_cli --root target/wasmi-cli, done here on
# first use), wasmtime from PyPI in target/toolchains/venv (installed here), Go
# (scripts/install-go.sh) for the test binary, node (optional). Caches live in a
# temporary directory, never in ~/.cache. Writes the tables to
# target/startup-bench/results.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${RUNS:-20}"
out="$root/target/startup-bench"
mkdir -p "$out"
tmp="$(mktemp -d /tmp/wasp-startup-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

command -v hyperfine >/dev/null || { echo "needs hyperfine: apt-get install -y hyperfine" >&2; exit 2; }
cargo build --release -q -p wasp-cli
wasp="$root/target/release/wasp"
wasmi="$root/target/wasmi-cli/bin/wasmi"
if [ ! -x "$wasmi" ]; then
  CARGO_TARGET_DIR="$root/target/wasmi-build" cargo install -q wasmi_cli --root "$root/target/wasmi-cli"
  rm -rf "$root/target/wasmi-build"
fi
py="$root/target/toolchains/venv/bin/python"
if [ ! -x "$py" ]; then bash scripts/toolchain-venv.sh >/dev/null; fi
"$py" -c 'import wasmtime' 2>/dev/null || "$py" -m pip install -q wasmtime
wasmtime="$py $root/scripts/startup-wasmtime.py"

hello="$root/target/guests/go/hello.wasm"
if [ ! -f "$hello" ]; then
  echo "build the Go guests first: cargo test -p wasp-cli --test go_programs (makes $hello)" >&2
  exit 2
fi
json="$out/json.wasm"
if [ ! -f "$json" ]; then
  go="$(bash scripts/install-go.sh)"
  (cd "$out" && GOOS=wasip1 GOARCH=wasm "$go" test -c -o json.wasm encoding/json)
fi

results="$out/results.md"
: > "$results"
bench() { # title, commands...
  local title="$1"; shift
  echo; echo "## $title"
  echo "### $title" >> "$results"
  hyperfine -N --warmup 3 --runs "$runs" --style basic --export-json "$tmp/t.json" "$@"
  # Median and min: the machine's other load makes means and maxima noisy.
  python3 - "$tmp/t.json" >> "$results" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
print("| command | median [ms] | min [ms] | mean ± σ [ms] | user+sys CPU [ms] |")
print("|:---|---:|---:|---:|---:|")
for r in rows:
    ms = lambda x: f"{x * 1e3:.1f}"
    print(f"| `{r['command']}` | {ms(r['median'])} | {ms(r['min'])} | {ms(r['mean'])} ± {ms(r['stddev'] or 0)} | {ms(r['user'] + r['system'])} |")
PY
  echo >> "$results"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
bench "Go hello, first run (no code cache)" \
  -n "wasp --no-cache" "$wasp run --no-cache $hello" \
  -n "wasmi" "$wasmi run $hello"
bench "Go hello, cached (warm)" \
  -n "wasp (cache)" "$wasp run --cache-dir $tmp/wasp $hello" \
  -n "wasmtime (cache)" "$wasmtime --cache-dir $tmp/wasmtime $hello" \
  -n "python+wasmtime floor" "$py -c 'import wasmtime; wasmtime.Engine()'"
bench "encoding/json test binary to its first test (-test.run=XXX), first run" \
  -n "wasp --no-cache" "$wasp run --no-cache $json -test.run=XXX" \
  -n "wasmi" "$wasmi run $json -test.run=XXX"
bench "encoding/json test binary to its first test, cached (warm)" \
  -n "wasp (cache)" "$wasp run --cache-dir $tmp/wasp $json -test.run=XXX" \
  -n "wasmtime (cache)" "$wasmtime --cache-dir $tmp/wasmtime $json -test.run=XXX"
if command -v node >/dev/null; then
  bench "Go hello on node (reference)" -n "node" "node $root/scripts/run-node-wasi.mjs $hello"
fi

echo; echo "## wasp run --timings (one run each)"
for args in "--no-cache $hello" "--cache-dir $tmp/wasp $hello" \
            "--no-cache $json -test.run=XXX" "--cache-dir $tmp/wasp $json -test.run=XXX"; do
  echo "\$ wasp run --timings $args" | sed "s|$root/||g; s|$tmp|\$CACHE|g"
  # shellcheck disable=SC2086
  "$wasp" run --timings $args 2>&1 >/dev/null | grep -v '^to stderr\|^testing: warning' || true
done
echo; echo "tables: $results"
