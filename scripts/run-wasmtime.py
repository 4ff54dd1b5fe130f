#!/usr/bin/env python3
"""Runs a WASI preview 1 module on wasmtime (the `wasmtime` package from PyPI), as a peer runtime
to compare wasp against while developing guest programs (not used by the test suite).

    pip install wasmtime   # into target/toolchains/venv
    target/toolchains/venv/bin/python scripts/run-wasmtime.py \
        [--dir HOST[::GUEST]]... [--dir-ro HOST[::GUEST]]... [--env NAME=VALUE]... MODULE [ARGS...]

Exits with the guest's proc_exit status, or 134 on a trap. No socket preopens.
"""
import sys

import wasmtime


def main() -> int:
    argv = sys.argv[1:]
    wasi = wasmtime.WasiConfig()
    env = []
    while argv and argv[0].startswith("--"):
        flag, value = argv[0], argv[1]
        argv = argv[2:]
        if flag in ("--dir", "--dir-ro"):
            host, _, guest = value.partition("::")
            wasi.preopen_dir(host, guest or host, fs_mutable=(flag == "--dir"))
        elif flag == "--env":
            name, _, val = value.partition("=")
            env.append((name, val))
        else:
            print(f"unknown flag {flag}", file=sys.stderr)
            return 64
    module_path = argv[0]
    wasi.argv = [module_path, *argv[1:]]
    wasi.env = env
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    config = wasmtime.Config()
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, module_path)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    try:
        start(store)
    except wasmtime.ExitTrap as e:
        return e.code
    except wasmtime.Trap as e:
        print(f"trap: {e}", file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    sys.exit(main())
