// Runs a Go wasip1 program on Node's built-in `node:wasi` the way Go's own
// lib/wasm/go_wasip1_wasm_exec runs it on wasmtime: host `/` preopened as `/`, PWD (the current
// directory) and PATH passed. Used by scripts/go-stdlib-wide.sh to compare wasp with V8.
//
//   node --stack-size=4000 scripts/go-node-wasi.mjs BINARY [ARGS...]
//
// Go recursion is wasm recursion: V8's default stack (about 1 MiB) overflows in Go's
// encoding/json tests, hence --stack-size (KiB; it must stay below the native stack, 8 MiB by
// default). proc_exit ends the process directly (returnOnExit: false): with returnOnExit,
// node 20 crashed after deep recursion.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";
import process from "node:process";

const argv = process.argv.slice(2);
if (argv.length === 0) {
  console.error("usage: node go-node-wasi.mjs BINARY [ARGS...]");
  process.exit(2);
}
const env = { PWD: process.cwd(), PATH: process.env.PATH ?? "" };
const wasi = new WASI({ version: "preview1", args: argv, env, preopens: { "/": "/" }, returnOnExit: false });
const wasm = await WebAssembly.compile(await readFile(argv[0]));
const instance = await WebAssembly.instantiate(wasm, wasi.getImportObject());
try {
  wasi.start(instance);
} catch (e) {
  console.error(`go-node-wasi: trap: ${e}`);
  process.exit(134);
}
