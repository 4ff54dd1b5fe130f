//! The linker glue: real wasm modules calling the host through wasp.

use wasp::{Engine, Extern, FuncType, Linker, Module, Store, ValType};
use wasp_wasi::{MemoryOutput, WasiCtx, WasiCtxBuilder, WasiFunction};

struct Host {
    wasi: WasiCtx,
}

fn run(wat: &str, ctx: WasiCtx) -> (Result<(), wasp::Error>, Store<Host>) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut linker: Linker<Host> = Linker::new(&engine);
    wasp_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
    let mut store = Store::new(&engine, Host { wasi: ctx });
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
    let r = start.call(&mut store, ());
    (r, store)
}

#[test]
fn hello_and_exit_code() {
    let out = MemoryOutput::new();
    let mut b = WasiCtxBuilder::new();
    b.stdout(out.clone());
    let wat = r#"
      (module
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "hello, wasi\n")
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 16))
          (i32.store (i32.const 4) (i32.const 12))
          (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
            (then unreachable))
          (if (i32.ne (i32.load (i32.const 8)) (i32.const 12)) (then unreachable))
          ;; a bad fd gives EBADF (8) to the guest
          (if (i32.ne (call $fd_write (i32.const 99) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 8))
            (then unreachable))
          (call $exit (i32.const 7))
          unreachable))"#;
    let (r, _store) = run(wat, b.build());
    let e = r.unwrap_err();
    assert_eq!(e.exit_status(), Some(7), "{e}");
    assert_eq!(out.contents_string(), "hello, wasi\n");
}

#[test]
fn exit_statuses_through_the_linker() {
    let wat = |status: i32| {
        format!(
            r#"(module
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (func (export "_start") (call $exit (i32.const {status})) unreachable))"#
        )
    };
    let (r, _) = run(&wat(125), WasiCtx::new());
    assert_eq!(r.unwrap_err().exit_status(), Some(125));
    for status in [126, 134, 256, -1] {
        let (r, _) = run(&wat(status), WasiCtx::new());
        let e = r.unwrap_err();
        assert_eq!(e.exit_status(), None, "proc_exit({status}): {e}");
        assert!(e.trap().is_none(), "{e}");
        assert!(e.to_string().contains("invalid exit status"), "{e}");
    }
}

#[test]
fn every_function_links_with_its_signature() {
    // Imports every function with the preview 1 signature; linking checks types.
    let sigs = [
        ("args_get", "(param i32 i32) (result i32)"),
        ("args_sizes_get", "(param i32 i32) (result i32)"),
        ("clock_res_get", "(param i32 i32) (result i32)"),
        ("clock_time_get", "(param i32 i64 i32) (result i32)"),
        ("environ_get", "(param i32 i32) (result i32)"),
        ("environ_sizes_get", "(param i32 i32) (result i32)"),
        ("fd_advise", "(param i32 i64 i64 i32) (result i32)"),
        ("fd_allocate", "(param i32 i64 i64) (result i32)"),
        ("fd_close", "(param i32) (result i32)"),
        ("fd_datasync", "(param i32) (result i32)"),
        ("fd_fdstat_get", "(param i32 i32) (result i32)"),
        ("fd_fdstat_set_flags", "(param i32 i32) (result i32)"),
        ("fd_fdstat_set_rights", "(param i32 i64 i64) (result i32)"),
        ("fd_filestat_get", "(param i32 i32) (result i32)"),
        ("fd_filestat_set_size", "(param i32 i64) (result i32)"),
        (
            "fd_filestat_set_times",
            "(param i32 i64 i64 i32) (result i32)",
        ),
        ("fd_pread", "(param i32 i32 i32 i64 i32) (result i32)"),
        ("fd_prestat_dir_name", "(param i32 i32 i32) (result i32)"),
        ("fd_prestat_get", "(param i32 i32) (result i32)"),
        ("fd_pwrite", "(param i32 i32 i32 i64 i32) (result i32)"),
        ("fd_read", "(param i32 i32 i32 i32) (result i32)"),
        ("fd_readdir", "(param i32 i32 i32 i64 i32) (result i32)"),
        ("fd_renumber", "(param i32 i32) (result i32)"),
        ("fd_seek", "(param i32 i64 i32 i32) (result i32)"),
        ("fd_sync", "(param i32) (result i32)"),
        ("fd_tell", "(param i32 i32) (result i32)"),
        ("fd_write", "(param i32 i32 i32 i32) (result i32)"),
        ("path_create_directory", "(param i32 i32 i32) (result i32)"),
        (
            "path_filestat_get",
            "(param i32 i32 i32 i32 i32) (result i32)",
        ),
        (
            "path_filestat_set_times",
            "(param i32 i32 i32 i32 i64 i64 i32) (result i32)",
        ),
        (
            "path_link",
            "(param i32 i32 i32 i32 i32 i32 i32) (result i32)",
        ),
        (
            "path_open",
            "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)",
        ),
        (
            "path_readlink",
            "(param i32 i32 i32 i32 i32 i32) (result i32)",
        ),
        ("path_remove_directory", "(param i32 i32 i32) (result i32)"),
        (
            "path_rename",
            "(param i32 i32 i32 i32 i32 i32) (result i32)",
        ),
        ("path_symlink", "(param i32 i32 i32 i32 i32) (result i32)"),
        ("path_unlink_file", "(param i32 i32 i32) (result i32)"),
        ("poll_oneoff", "(param i32 i32 i32 i32) (result i32)"),
        ("proc_exit", "(param i32)"),
        ("proc_raise", "(param i32) (result i32)"),
        ("random_get", "(param i32 i32) (result i32)"),
        ("sched_yield", "(result i32)"),
        ("sock_accept", "(param i32 i32 i32) (result i32)"),
        ("sock_recv", "(param i32 i32 i32 i32 i32 i32) (result i32)"),
        ("sock_send", "(param i32 i32 i32 i32 i32) (result i32)"),
        ("sock_shutdown", "(param i32 i32) (result i32)"),
    ];
    assert_eq!(sigs.len(), wasp_wasi::WASI_FUNCTIONS.len());
    let mut wat = String::from("(module\n");
    for (name, sig) in sigs {
        assert!(wasp_wasi::WASI_FUNCTIONS.contains(&name));
        wat += &format!("(import \"wasi_snapshot_preview1\" \"{name}\" (func {sig}))\n");
    }
    wat += "(memory (export \"memory\") 1) (func (export \"_start\")))";
    let (r, _) = run(&wat, WasiCtx::new());
    r.unwrap();
    // The public table says the same, and the linker defines exactly that.
    let parse = |sig: &str, what: &str| -> Vec<ValType> {
        let Some(at) = sig.find(&format!("({what}")) else {
            return Vec::new();
        };
        let list = &sig[at + what.len() + 1..];
        let list = &list[..list.find(')').unwrap()];
        list.split_whitespace()
            .map(|t| match t {
                "i32" => ValType::I32,
                "i64" => ValType::I64,
                _ => panic!("{t}"),
            })
            .collect()
    };
    let engine = Engine::default();
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    wasp_wasi::add_to_linker(&mut linker, |c| c).unwrap();
    let mut store = Store::new(&engine, WasiCtx::new());
    assert_eq!(wasp_wasi::FUNCTIONS.len(), sigs.len());
    for ((name, sig), f) in sigs.iter().zip(wasp_wasi::FUNCTIONS) {
        assert_eq!(f.name(), *name);
        let want = FuncType::new(parse(sig, "param"), parse(sig, "result"));
        assert_eq!(f.ty(), want, "{name}");
        assert_eq!(f.params().len(), want.params().len());
        assert_eq!(f.results(), want.results());
        let Some(Extern::Func(func)) = linker.get(&mut store, wasp_wasi::MODULE, name) else {
            panic!("{name} is not defined");
        };
        assert_eq!(func.ty(&store), want, "{name}");
    }
    assert!(WasiFunction::by_name("fd_frobnicate").is_none());
}

#[test]
fn args_through_memory() {
    let mut b = WasiCtxBuilder::new();
    b.arg("prog").arg("x");
    let wat = r#"
      (module
        (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "args_get" (func $get (param i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "_start")
          (drop (call $sizes (i32.const 0) (i32.const 4)))
          (if (i32.ne (i32.load (i32.const 0)) (i32.const 2)) (then unreachable))
          (if (i32.ne (i32.load (i32.const 4)) (i32.const 7)) (then unreachable))
          (drop (call $get (i32.const 16) (i32.const 64)))
          (if (i32.ne (i32.load8_u (i32.const 69)) (i32.const 120)) (then unreachable))
          ;; out of bounds: EFAULT (21)
          (if (i32.ne (call $get (i32.const 65535) (i32.const 64)) (i32.const 21)) (then unreachable))))"#;
    let (r, store) = run(wat, b.build());
    r.unwrap();
    drop(store);
}

#[test]
fn a_memory64_guest_is_refused_with_a_clear_error() {
    let wat = r#"
      (module
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") i64 1)
        (func (export "_start")
          (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))))"#;
    let (r, _) = run(wat, WasiCtx::new());
    let e = r.unwrap_err();
    assert!(e.to_string().contains("memory64"), "{e}");
}
