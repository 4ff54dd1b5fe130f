//! The docs/go.md worked example, as a test: a Go reactor (`tests/guests/go/wasmimport`,
//! built with `-buildmode=c-shared`) imports Rust host functions with `//go:wasmimport` and
//! exports Go functions with `//go:wasmexport`; this file is the Rust host, written against
//! wasp's embedding API with WASI from `wasp_wasi`. Covers a string parameter read from guest
//! memory, i64 arguments and results, the host writing into a Go buffer, package state kept
//! between calls, Go's stdout from inside an export, and re-entrancy (Go -> host -> Go export).
//! Also: `wasp run --invoke` on a reactor without host imports.

mod common;

use common::*;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use wasp::{Caller, Engine, Extern, Linker, Module, Store};
use wasp_wasi::{WasiCtx, WasiCtxBuilder};

/// Builds the example reactor (once per test process; rebuilt when the source is newer).
fn reactor() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let src = repo_root().join("tests/guests/go/wasmimport");
            let out = work_dir().join("wasmimport.wasm");
            let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified());
            let fresh = match modified(&out) {
                Ok(built) => ["guest.go", "go.mod"]
                    .iter()
                    .all(|f| modified(&src.join(f)).is_ok_and(|t| t <= built)),
                Err(_) => false,
            };
            if !fresh {
                build_reactor(&src, &out);
            }
            out
        })
        .clone()
}

fn build_reactor(src: &std::path::Path, out: &std::path::Path) {
    let tmp = out.with_extension(format!("{}.tmp", std::process::id()));
    let o = go_cmd()
        .current_dir(src)
        .args(["build", "-buildmode=c-shared", "-buildvcs=false", "-o"])
        .arg(&tmp)
        .arg(".")
        .output()
        .unwrap();
    assert!(o.status.success(), "go build: {o:?}");
    std::fs::rename(&tmp, out).unwrap();
}

/// The host's state: the WASI context and what the guest sent to `example.log`.
struct Host {
    wasi: WasiCtx,
    log: Vec<String>,
}

/// A `Write` that appends to a shared buffer (the guest's stdout).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The guest's exported linear memory, seen from inside a host function.
fn memory(caller: &Caller<'_, Host>) -> wasp::Memory {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => m,
        _ => panic!("the Go module exports no memory"),
    }
}

/// Defines the four functions of the "example" module that `guest.go` imports.
fn define_example(linker: &mut Linker<Host>) {
    // log(msg string): a Go string arrives as (pointer, length) into linear memory.
    linker
        .func_wrap(
            "example",
            "log",
            |mut caller: Caller<'_, Host>, ptr: i32, len: i32| {
                let mem = memory(&caller);
                let mut bytes = vec![0; len as u32 as usize];
                mem.read(&caller, ptr as u32 as usize, &mut bytes)
                    .expect("log: string out of bounds");
                let msg = String::from_utf8(bytes).expect("log: not UTF-8");
                caller.data_mut().log.push(msg);
            },
        )
        .unwrap();
    // add(a, b int64) int64
    linker
        .func_wrap("example", "add", |_: Caller<'_, Host>, a: i64, b: i64| {
            a.wrapping_add(b)
        })
        .unwrap();
    // fill(buf *byte, n uint32) uint32: write into the Go slice the pointer points at.
    linker
        .func_wrap(
            "example",
            "fill",
            |mut caller: Caller<'_, Host>, buf: i32, n: i32| -> i32 {
                let text = b"written by the rust host";
                let len = text.len().min(n as u32 as usize);
                let mem = memory(&caller);
                mem.write(&mut caller, buf as u32 as usize, &text[..len])
                    .expect("fill: buffer out of bounds");
                len as i32
            },
        )
        .unwrap();
    // square_via_go(x int32) int64: call back into the module's own export "square".
    linker
        .func_wrap(
            "example",
            "square_via_go",
            |mut caller: Caller<'_, Host>, x: i32| -> wasp::Result<i64> {
                let Some(Extern::Func(square)) = caller.get_export("square") else {
                    panic!("no export square");
                };
                square.typed::<i32, i64>(&caller)?.call(&mut caller, x)
            },
        )
        .unwrap();
}

#[test]
fn go_calls_rust_and_rust_calls_go() {
    let engine = Engine::default();
    let module = Module::from_file(&engine, reactor()).unwrap();
    let mut linker: Linker<Host> = Linker::new(&engine);
    wasp_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
    define_example(&mut linker);

    let stdout = Captured::default();
    let wasi = WasiCtxBuilder::new()
        .arg("wasmimport.wasm")
        .stdout(stdout.clone())
        .inherit_stderr()
        .build();
    let mut store = Store::new(&engine, Host { wasi, log: vec![] });
    let instance = linker.instantiate(&mut store, &module).unwrap();

    // A reactor: _initialize runs Go's runtime and package initialisation, once, first.
    let init = instance
        .get_typed_func::<(), ()>(&store, "_initialize")
        .unwrap();
    init.call(&mut store, ()).unwrap();

    let fib = instance.get_typed_func::<i32, i64>(&store, "fib").unwrap();
    assert_eq!(fib.call(&mut store, 10).unwrap(), 55);
    assert_eq!(fib.call(&mut store, 90).unwrap(), 2_880_067_194_370_816_120);

    let greet = instance
        .get_typed_func::<i32, i32>(&store, "greet")
        .unwrap();
    assert_eq!(greet.call(&mut store, 3).unwrap(), 3);
    assert_eq!(
        store.data().log,
        ["hello 1 from Go", "hello 2 from Go", "hello 3 from Go"]
    );
    store.data_mut().wasi.flush();
    assert_eq!(
        String::from_utf8(stdout.0.lock().unwrap().clone()).unwrap(),
        "greet(3) done\n"
    );

    let shout = instance.get_typed_func::<(), i32>(&store, "shout").unwrap();
    assert_eq!(shout.call(&mut store, ()).unwrap(), 24);
    assert_eq!(store.data().log.last().unwrap(), "WRITTEN BY THE RUST HOST");

    // Go -> Rust -> Go: each square is an export call made from inside a host function.
    let sum = instance
        .get_typed_func::<i32, i64>(&store, "sum_of_squares")
        .unwrap();
    assert_eq!(sum.call(&mut store, 100).unwrap(), 338_350);

    let calls = instance
        .get_typed_func::<(), i32>(&store, "calls_so_far")
        .unwrap();
    assert_eq!(calls.call(&mut store, ()).unwrap(), 5);
}

#[test]
fn exports_trap_before_initialize() {
    let engine = Engine::default();
    let module = Module::from_file(&engine, reactor()).unwrap();
    let mut linker: Linker<Host> = Linker::new(&engine);
    wasp_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
    define_example(&mut linker);
    let wasi = WasiCtxBuilder::new().build();
    let mut store = Store::new(&engine, Host { wasi, log: vec![] });
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let square = instance
        .get_typed_func::<i32, i64>(&store, "square")
        .unwrap();
    let err = square.call(&mut store, 3).unwrap_err();
    assert!(err.trap().is_some(), "expected a trap, got {err}");
}

const PLAIN_REACTOR: &str = r#"package main

func main() {}

//go:wasmexport add
func add(a, b int64) int64 { return a + b }

//go:wasmexport hypot
func hypot(x, y float64) float64 {
	r := x*x + y*y
	z := r
	for i := 0; i < 60; i++ {
		z = (z + r/z) / 2
	}
	return z
}
"#;

#[test]
fn wasp_run_invoke_calls_a_go_export() {
    let tmp = TempDir::under_target("invoke");
    std::fs::write(
        tmp.path().join("go.mod"),
        "module example/plain\n\ngo 1.24\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("main.go"), PLAIN_REACTOR).unwrap();
    let wasm = tmp.path().join("plain.wasm");
    let o = go_cmd()
        .current_dir(tmp.path())
        .args(["build", "-buildmode=c-shared", "-buildvcs=false", "-o"])
        .arg(&wasm)
        .arg(".")
        .output()
        .unwrap();
    assert!(o.status.success(), "go build: {o:?}");
    for (func, args, want) in [
        ("add", ["40", "2"], "42\n"),
        ("add", ["-7", "-8"], "-15\n"),
        ("hypot", ["3", "4"], "5\n"),
    ] {
        let mut cmd = std::process::Command::new(wasp_bin_for_go());
        cmd.args(["run", "--invoke", func]).arg(&wasm).args(args);
        let out = run_logged(
            &mut cmd,
            &tmp.path().join("invoke.log"),
            Duration::from_secs(60),
        );
        assert!(out.success(), "{func}: {}\n{}", out.describe(), out.output);
        assert_eq!(out.output, want, "{func} {args:?}");
    }
}
