#!/usr/bin/env python3
"""Runs a WASI command on wasmtime (PyPI `wasmtime`) for the start-up benchmark
(scripts/startup-bench.sh): `startup-wasmtime.py [--cache-dir DIR] MODULE [ARGS...]`.
With --cache-dir, wasmtime's code cache is on and kept in DIR (never ~/.cache).
Exits with the guest's status (134 after a trap)."""
import os
import sys

import wasmtime


def main() -> int:
    argv = sys.argv[1:]
    config = wasmtime.Config()
    if argv[:1] == ["--cache-dir"]:
        cache_dir = os.path.abspath(argv[1])
        argv = argv[2:]
        os.makedirs(cache_dir, exist_ok=True)
        toml = os.path.join(cache_dir, "config.toml")
        if not os.path.exists(toml):
            with open(toml, "w") as f:
                f.write(f'[cache]\ndirectory = "{cache_dir}/data"\n')
        config.cache = toml
    wasi = wasmtime.WasiConfig()
    wasi.argv = argv
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, argv[0])
    start = linker.instantiate(store, module).exports(store)["_start"]
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
