#!/usr/bin/env python3
"""Runs a Go wasip1 program on wasmtime (the `wasmtime` package from PyPI) exactly the way Go's
own `lib/wasm/go_wasip1_wasm_exec` script runs it with the wasmtime CLI: host `/` preopened as
`/`, PWD (the current directory) and PATH passed, an 8 MiB wasm stack. Used by
scripts/go-stdlib-wide.sh to compare wasp with wasmtime.

    target/toolchains/venv/bin/python scripts/go-wasmtime.py BINARY [ARGS...]

Exits with the program's status, or 134 after a trap.
"""
import os
import sys
import threading

import wasmtime
import wasmtime._bindings

MAX_WASM_STACK = 8 << 20


def run(argv, result):
    wasi = wasmtime.WasiConfig()
    wasi.argv = argv
    wasi.env = [("PWD", os.getcwd()), ("PATH", os.environ.get("PATH", ""))]
    wasi.preopen_dir("/", "/")
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    config = wasmtime.Config()
    # -W max-wasm-stack=8388608, as in Go's script. The C API checks it against
    # async_stack_size (2 MiB by default), which the Python class does not expose.
    wasmtime._bindings.wasmtime_config_async_stack_size_set(config.ptr(), MAX_WASM_STACK + (1 << 20))
    config.max_wasm_stack = MAX_WASM_STACK
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, argv[0])
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
        result.append(0)
    except wasmtime.ExitTrap as e:
        result.append(e.code)
    except wasmtime.Trap as e:
        print(f"go-wasmtime: trap: {e}", file=sys.stderr)
        result.append(134)


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: go-wasmtime.py BINARY [ARGS...]", file=sys.stderr)
        return 2
    result = []
    # The wasm stack lives on this thread's native stack: give it room beyond the 8 MiB.
    threading.stack_size(256 << 20)
    t = threading.Thread(target=run, args=(sys.argv[1:], result))
    t.start()
    t.join()
    sys.stdout.flush()
    return result[0] if result else 1


if __name__ == "__main__":
    sys.exit(main())
