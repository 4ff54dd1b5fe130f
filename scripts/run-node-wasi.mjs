// Runs a WASI preview 1 module on Node's built-in `node:wasi`, as a peer runtime to compare
// wasp against while developing guest programs (not used by the test suite).
//
//   node scripts/run-node-wasi.mjs [--dir HOST[::GUEST]]... [--env NAME=VALUE]... MODULE [ARGS...]
//
// Exits with the guest's proc_exit status. node:wasi has no read-only preopens and no
// socket preopens, so --listen is not supported.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";
import process from "node:process";

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
while (argv.length && argv[0].startsWith("--")) {
  const flag = argv.shift();
  const value = argv.shift();
  if (flag === "--dir") {
    const [host, guest] = value.includes("::") ? value.split("::") : [value, value];
    preopens[guest] = host;
  } else if (flag === "--env") {
    const i = value.indexOf("=");
    env[value.slice(0, i)] = value.slice(i + 1);
  } else {
    console.error(`unknown flag ${flag}`);
    process.exit(64);
  }
}
const module = argv.shift();
const wasi = new WASI({ version: "preview1", args: [module, ...argv], env, preopens, returnOnExit: true });
const wasm = await WebAssembly.compile(await readFile(module));
const instance = await WebAssembly.instantiate(wasm, wasi.getImportObject());
process.exitCode = wasi.start(instance);
