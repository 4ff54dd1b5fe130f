//! The embedding API for per-request platforms: `InstancePre` shared by
//! threads, host functions without `Caller` and with `?` on any error type,
//! and errors that print once through `anyhow`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use wasp::{
    Caller, Engine, ErrorKind, Extern, Func, InstancePre, Linker, Memory, MemoryType, Module,
    Store, Trap, TrapCode,
};

/// A module that calls `host::bump` with its argument and returns the
/// result plus one; `host::fail` is called by `fail`.
const WAT: &str = r#"(module $guest
  (import "host" "bump" (func $bump (param i32) (result i32)))
  (import "host" "fail" (func $fail (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "request")
  (func $run (export "run") (param i32) (result i32)
    (i32.add (call $bump (local.get 0)) (i32.const 1)))
  (func $do_fail (export "fail") (param i32)
    (call $fail (local.get 0))))"#;

fn linker(
    engine: &Engine,
    fail: impl Fn(i32) -> wasp::Result<()> + Send + Sync + 'static,
) -> Linker<u32> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "bump", |mut c: Caller<'_, u32>, x: i32| {
            *c.data_mut() += 1;
            x * 10
        })
        .unwrap();
    linker.func_wrap("host", "fail", fail).unwrap();
    linker
}

fn assert_send_sync_clone<T: Send + Sync + Clone>(_: &T) {}

#[test]
fn instance_pre_from_8_threads_each_with_its_own_stores() {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let pre = linker(&engine, |_| Ok(()))
        .instantiate_pre(&module)
        .unwrap();
    assert_send_sync_clone(&pre);
    let total = Arc::new(AtomicU32::new(0));
    std::thread::scope(|s| {
        for t in 0..8 {
            let pre = pre.clone();
            let total = total.clone();
            s.spawn(move || {
                for i in 0..25 {
                    let mut store = Store::new(pre.engine(), 0u32);
                    let inst = pre.instantiate(&mut store).unwrap();
                    let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
                    let x = t * 100 + i;
                    assert_eq!(run.call(&mut store, x).unwrap(), x * 10 + 1);
                    assert_eq!(run.call(&mut store, 1).unwrap(), 11);
                    // The linker's host function ran in this store, twice.
                    assert_eq!(*store.data(), 2);
                    // Each instance has its own memory, initialised from the data segment.
                    let mem = inst.get_memory(&store, "memory").unwrap();
                    assert_eq!(&mem.data(&store)[16..23], b"request");
                    mem.data_mut(&mut store)[16] = b'X';
                    total.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(total.load(Ordering::Relaxed), 200);
    // Instantiating twice in one store gives two instances with separate memories.
    let mut store = Store::new(&engine, 0u32);
    let a = pre.instantiate(&mut store).unwrap();
    let b = pre.instantiate(&mut store).unwrap();
    let (ma, mb) = (
        a.get_memory(&store, "memory").unwrap(),
        b.get_memory(&store, "memory").unwrap(),
    );
    ma.data_mut(&mut store)[16] = b'Y';
    assert_eq!(mb.data(&store)[16], b'r');
    assert_eq!(pre.module().name(), Some("guest"));
}

#[test]
fn instance_pre_checks_imports_once_with_clear_errors() {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut l: Linker<u32> = Linker::new(&engine);
    l.func_wrap("host", "bump", |x: i32| x).unwrap();
    let e = l.instantiate_pre(&module).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Link), "{e:?}");
    assert_eq!(
        e.to_string(),
        "unknown import: `host::fail` (func) has not been defined"
    );
    l.func_wrap("host", "fail", |x: i64| x).unwrap();
    let e = l.instantiate_pre(&module).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Link), "{e:?}");
    assert_eq!(
        e.to_string(),
        "incompatible import `host::fail`: expected function (i32) -> (), found (i64) -> (i64)"
    );
    // A store of another engine is refused.
    let pre = linker(&engine, |_| Ok(()))
        .instantiate_pre(&module)
        .unwrap();
    let other = Engine::default();
    let e = pre.instantiate(&mut Store::new(&other, 0u32)).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Usage), "{e:?}");
}

#[test]
fn instance_pre_with_a_store_extern_works_only_in_that_store() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "mem" (memory 1))
             (func (export "peek") (result i32) (i32.load8_u (i32.const 5))))"#,
    )
    .unwrap();
    let mut home = Store::new(&engine, ());
    let mem = Memory::new(&mut home, MemoryType::new(1, None)).unwrap();
    mem.data_mut(&mut home)[5] = 42;
    let mut l: Linker<()> = Linker::new(&engine);
    l.define("env", "mem", Extern::Memory(mem)).unwrap();
    let pre: InstancePre<()> = l.instantiate_pre(&module).unwrap();
    let inst = pre.instantiate(&mut home).unwrap();
    let peek = inst.get_typed_func::<(), i32>(&home, "peek").unwrap();
    assert_eq!(peek.call(&mut home, ()).unwrap(), 42);
    let e = pre.instantiate(&mut Store::new(&engine, ())).unwrap_err();
    assert!(e.to_string().contains("belongs to another store"), "{e}");
}

#[test]
fn host_function_question_mark_on_io_error_traps_with_its_message() {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut l: Linker<u32> = Linker::new(&engine);
    l.func_wrap("host", "bump", |x: i32| x).unwrap();
    l.func_wrap("host", "fail", |code: i32| -> std::io::Result<()> {
        let missing = format!("/nonexistent/wasp-embed-test/{code}");
        std::fs::read(missing)?;
        Ok(())
    })
    .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let inst = l.instantiate(&mut store, &module).unwrap();
    let fail = inst.get_typed_func::<i32, ()>(&store, "fail").unwrap();
    let e = fail.call(&mut store, 7).unwrap_err();
    let io = std::fs::read("/nonexistent/wasp-embed-test/7").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Host(_)), "{e:?}");
    assert_eq!(e.message(), io.to_string());
    assert_eq!(
        e.downcast_ref::<std::io::Error>().map(|e| e.kind()),
        Some(std::io::ErrorKind::NotFound)
    );
    // The error ends the execution like a trap: with the calling wasm's backtrace.
    let names: Vec<_> = e.backtrace().iter().map(|f| f.to_string()).collect();
    assert_eq!(names, ["guest!do_fail"]);
    assert_eq!(
        e.to_string(),
        format!("{io}\nwasm backtrace:\n    0: guest!do_fail")
    );
    // The store stays usable.
    let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 4).unwrap(), 5);
}

#[test]
fn host_function_errors_of_any_type_keep_trap_and_exit_semantics() {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let run = |fail: Box<dyn Fn(i32) -> wasp::Result<()> + Send + Sync>| {
        let mut store = Store::new(&engine, 0u32);
        let inst = linker(&engine, fail)
            .instantiate(&mut store, &module)
            .unwrap();
        let f = inst.get_typed_func::<i32, ()>(&store, "fail").unwrap();
        f.call(&mut store, 3).unwrap_err()
    };
    // A wasp exit passes through unchanged.
    let e = run(Box::new(|c| Err(wasp::Error::exit(c))));
    assert_eq!(e.exit_status(), Some(3));
    // A trap keeps its code and gets the backtrace.
    let e = run(Box::new(|_| Err(Trap::new(TrapCode::Unreachable).into())));
    assert_eq!(e.trap_code(), Some(TrapCode::Unreachable));
    assert_eq!(e.backtrace().len(), 1);

    // Closures with other error types: String, &str, a std error, a boxed error.
    let engine2 = Engine::default();
    let check = |f: Func, store: &mut Store<()>, expected: &str| {
        let e = f
            .typed::<i32, i32>(&*store)
            .unwrap()
            .call(&mut *store, 5)
            .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Host(_)), "{e:?}");
        assert_eq!(e.message(), expected);
    };
    let mut store = Store::new(&engine2, ());
    let f = Func::wrap(&mut store, |x: i32| -> Result<i32, String> {
        Err(format!("bad {x}"))
    });
    check(f, &mut store, "bad 5");
    let f = Func::wrap(&mut store, |_: i32| -> Result<i32, &'static str> {
        Err("nope")
    });
    check(f, &mut store, "nope");
    let f = Func::wrap(
        &mut store,
        |x: i32| -> Result<i32, std::num::ParseIntError> { Ok(x + "x1".parse::<i32>()?) },
    );
    check(f, &mut store, "invalid digit found in string");
    let f = Func::wrap(
        &mut store,
        |_: Caller<'_, ()>, _: i32| -> Result<i32, Box<dyn std::error::Error + Send + Sync>> {
            Err("boxed".into())
        },
    );
    check(f, &mut store, "boxed");
    // `?` on an io::Error inside a closure returning wasp::Result.
    let f = Func::wrap(&mut store, |_: i32| -> wasp::Result<i32> {
        Err(std::io::Error::other("disk on fire"))?
    });
    check(f, &mut store, "disk on fire");
}

#[test]
fn func_wrap_without_caller() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "add" (func $add (param i32 i32) (result i32)))
             (import "env" "seven" (func $seven (result i64)))
             (import "env" "nothing" (func $nothing))
             (func (export "f") (result i64)
               (call $nothing)
               (i64.add (call $seven) (i64.extend_i32_s (call $add (i32.const 2) (i32.const 3))))))"#,
    )
    .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let c2 = calls.clone();
    let mut l: Linker<()> = Linker::new(&engine);
    l.func_wrap("env", "add", |a: i32, b: i32| a + b).unwrap();
    l.func_wrap("env", "seven", || 7i64).unwrap();
    l.func_wrap("env", "nothing", move || {
        c2.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = l.instantiate(&mut store, &module).unwrap();
    let f = inst.get_typed_func::<(), i64>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 12);
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    // Func::wrap too, and its type comes from the closure.
    let mul = Func::wrap(&mut store, |a: i64, b: i64| a * b);
    assert_eq!(mul.ty(&store).to_string(), "(i64, i64) -> (i64)");
    let mul = mul.typed::<(i64, i64), i64>(&store).unwrap();
    assert_eq!(mul.call(&mut store, (6, 7)).unwrap(), 42);
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn errors_print_once_through_anyhow() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module $m (func $boom (export "boom") unreachable))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let boom = inst.get_typed_func::<(), ()>(&store, "boom").unwrap();
    let e = boom.call(&mut store, ()).unwrap_err();
    let plain = e.to_string();
    assert_eq!(
        plain,
        "wasm trap: unreachable\nwasm backtrace:\n    0: m!boom"
    );
    let any = anyhow::Error::from(e);
    for text in [format!("{any:#}"), format!("{any:?}"), format!("{any}")] {
        assert_eq!(count(&text, "wasm trap: unreachable"), 1, "{text}");
        assert_eq!(count(&text, "wasm backtrace"), 1, "{text}");
        assert_eq!(count(&text, "m!boom"), 1, "{text}");
    }
    // With context, the trap is still there once.
    let any = any.context("handling request 7");
    let text = format!("{any:?}");
    assert_eq!(count(&text, "wasm trap: unreachable"), 1, "{text}");
    assert!(text.starts_with("handling request 7"), "{text}");

    // A host error: its message (and its own source chain) once, then the backtrace.
    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("reading the config")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let e = wasp::Error::host(Outer(std::io::Error::other("disk on fire")));
    assert_eq!(e.message(), "reading the config: disk on fire");
    let any = anyhow::Error::from(e);
    for text in [format!("{any:#}"), format!("{any:?}")] {
        assert_eq!(count(&text, "disk on fire"), 1, "{text}");
        assert_eq!(count(&text, "reading the config"), 1, "{text}");
    }
}

/// Host functions returning `anyhow::Result`: `?` on anything, and a wasp
/// error inside keeps its kind (with the `anyhow` feature, which the
/// per-request example enables for the workspace build).
#[cfg(feature = "anyhow")]
#[test]
fn anyhow_host_functions_keep_wasp_errors() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let exit = Func::wrap(&mut store, |code: i32| -> anyhow::Result<()> {
        let r: wasp::Result<()> = Err(wasp::Error::exit(code));
        r?;
        Ok(())
    });
    let e = exit
        .typed::<i32, ()>(&store)
        .unwrap()
        .call(&mut store, 9)
        .unwrap_err();
    assert_eq!(e.exit_status(), Some(9));
    let io = Func::wrap(&mut store, |_: i32| -> anyhow::Result<()> {
        use anyhow::Context;
        std::fs::read("/nonexistent/wasp-anyhow").context("loading the model")?;
        Ok(())
    });
    let e = io
        .typed::<i32, ()>(&store)
        .unwrap()
        .call(&mut store, 0)
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Host(_)), "{e:?}");
    assert!(
        e.message().starts_with("loading the model: No such file"),
        "{}",
        e.message()
    );
}
