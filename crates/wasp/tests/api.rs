//! Embedding API behaviour: host functions, re-entrancy, memory access,
//! limits, traps with backtraces, and clean errors for bad modules.

use wasp::*;

fn instantiate<T>(store: &mut Store<T>, linker: &Linker<T>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).unwrap();
    linker.instantiate(store, &module).unwrap()
}

#[test]
fn host_function_reenters_the_instance() {
    let engine = Engine::default();
    let mut linker = Linker::<u32>::new(&engine);
    // The host function calls back into the guest's exported `double`.
    linker
        .func_wrap(
            "host",
            "twice",
            |mut caller: Caller<'_, u32>, x: i32| -> Result<i32> {
                *caller.data_mut() += 1;
                let f = caller.get_export("double").unwrap().into_func().unwrap();
                let f = f.typed::<i32, i32>(&caller)?;
                let once = f.call(&mut caller, x)?;
                f.call(&mut caller, once)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "host" "twice" (func $twice (param i32) (result i32)))
            (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
            (func (export "run") (param i32) (result i32)
              (i32.add (call $twice (local.get 0)) (i32.const 1))))"#,
    );
    let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 5).unwrap(), 21);
    assert_eq!(*store.data(), 1);
}

#[test]
fn host_reads_and_writes_guest_memory() {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<u8>>::new(&engine);
    linker
        .func_wrap(
            "host",
            "upper",
            |mut caller: Caller<'_, Vec<u8>>, ptr: i32, len: i32| {
                let mem = caller.get_export("memory").unwrap().into_memory().unwrap();
                let (data, seen) = mem.data_and_store_mut(&mut caller);
                let s = &mut data[ptr as usize..(ptr + len) as usize];
                seen.extend_from_slice(s);
                s.make_ascii_uppercase();
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "host" "upper" (func $upper (param i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 16) "hello")
            (func (export "run") (result i32)
              (call $upper (i32.const 16) (i32.const 5))
              (i32.load8_u (i32.const 16))))"#,
    );
    let run = inst.get_typed_func::<(), i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), b'H' as i32);
    assert_eq!(store.data().as_slice(), b"hello");
    let mem = inst.get_memory(&store, "memory").unwrap();
    assert_eq!(&mem.data(&store)[16..21], b"HELLO");
}

#[test]
fn memory_grow_respects_configured_maximum() {
    let mut config = Config::new();
    config.max_memory_pages(4);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &Linker::new(&engine),
        r#"(module (memory 1)
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, 3).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    assert_eq!(grow.call(&mut store, 0).unwrap(), 4);
}

/// A function in the shape Go emits: `(param i32) (result i32)`, a loop with a
/// `br_table` dispatch on the resume point, SP in a global, a stack check.
const GO_SHAPED_RECURSION: &str = r#"(module
  (memory 16)
  (global $SP (mut i32) (i32.const 1048576))
  (global $depth (mut i64) (i64.const 0))
  (global $max (mut i64) (i64.const 0))
  (func $rec (param $pc i32) (result i32)
    (local $sp i32)
    (local.set $sp (global.get $SP))
    (loop $L
      (block $B1 (block $B0
        (br_table $B0 $B1 (local.get $pc)))
        ;; resume point 0: recurse while depth < max
        (global.set $depth (i64.add (global.get $depth) (i64.const 1)))
        (if (i64.ge_s (global.get $depth) (global.get $max)) (then (return (i32.const 0))))
        (local.set $sp (i32.sub (local.get $sp) (i32.const 8)))
        (global.set $SP (local.get $sp))
        (i64.store (local.get $sp) (i64.const 1))
        (i32.const 1) (local.set $pc) (br $L))
      ;; resume point 1: call, then unwind check
      (if (call $rec (i32.const 0)) (then (return (i32.const 1))))
      (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
      (global.set $SP (local.get $sp)))
    (i32.const 0))
  (func (export "run") (param i64) (result i64)
    (global.set $max (local.get 0))
    (drop (call $rec (i32.const 0)))
    (global.get $depth)))"#;

#[test]
fn go_shaped_recursion_100k_deep_runs_with_defaults() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, &Linker::new(&engine), GO_SHAPED_RECURSION);
    let run = inst.get_typed_func::<i64, i64>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 100_000).unwrap(), 100_000);
    // The store stays usable after a deep call.
    assert_eq!(run.call(&mut store, 100_005).unwrap(), 100_005);
}

#[test]
fn unbounded_recursion_is_a_clean_trap_and_store_stays_usable() {
    let mut config = Config::new();
    config.max_stack_bytes(1 << 20);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &Linker::new(&engine),
        r#"(module
            (func $inf (export "inf") (param i32) (result i32) (call $inf (local.get 0)))
            (func (export "ok") (result i32) (i32.const 7)))"#,
    );
    let inf = inst.get_typed_func::<i32, i32>(&store, "inf").unwrap();
    let err = inf.call(&mut store, 0).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackExhausted));
    assert!(err.to_string().contains("call stack exhausted"), "{err}");
    let ok = inst.get_typed_func::<(), i32>(&store, "ok").unwrap();
    assert_eq!(ok.call(&mut store, ()).unwrap(), 7);
}

#[test]
fn traps_carry_kind_and_named_backtrace() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &Linker::new(&engine),
        r#"(module $demo
            (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
            (func $outer (export "outer") (param i32) (result i32) (call $inner (local.get 0))))"#,
    );
    let f = inst.get_typed_func::<i32, i32>(&store, "outer").unwrap();
    let err = f.call(&mut store, 0).unwrap_err();
    let trap = err.trap().expect("a trap");
    assert_eq!(trap.code(), TrapCode::IntegerDivideByZero);
    let names: Vec<_> = trap
        .backtrace()
        .iter()
        .map(|f| f.func_name.clone())
        .collect();
    assert_eq!(
        names,
        vec![Some("inner".to_string()), Some("outer".to_string())]
    );
    let text = err.to_string();
    assert!(
        text.contains("integer divide by zero") && text.contains("demo!inner"),
        "{text}"
    );
}

#[test]
fn bad_modules_are_errors_not_panics() {
    let engine = Engine::default();
    let garbage = Module::new(&engine, b"\0asm\x01\0\0\0\x99\x99\x99").unwrap_err();
    assert!(matches!(garbage.kind(), ErrorKind::Malformed), "{garbage}");
    assert!(garbage.to_string().contains("byte offset"), "{garbage}");

    let valid = wat::parse_str("(module (func (export \"f\") (result i32) i32.const 1))").unwrap();
    for cut in 1..valid.len() {
        let r = Module::new(&engine, &valid[..cut]);
        if cut < 8 {
            assert!(r.is_err());
        }
        if let Err(e) = r {
            assert!(!e.to_string().is_empty());
        }
    }

    // A function that does not validate: the error names the function.
    let invalid = wat::parse_str("(module (func) (func (result i32) i64.const 1))");
    // wat itself may accept it (it type-checks nothing); wasp must reject it.
    let err = Module::new(&engine, invalid.unwrap()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Invalid), "{err}");
    assert!(err.to_string().contains("function 1"), "{err}");

    let text_err = Module::new(&engine, "(module (func (").unwrap_err();
    assert!(matches!(text_err.kind(), ErrorKind::Malformed));
}

#[test]
fn missing_import_is_a_link_error_naming_it() {
    let engine = Engine::default();
    let module = Module::new(&engine, r#"(module (import "env" "nope" (func)))"#).unwrap();
    let mut store = Store::new(&engine, ());
    let err = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Link));
    assert!(err.to_string().contains("env::nope"), "{err}");
}

#[test]
fn translation_is_lazy() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func (export "a") (result i32) i32.const 1)
                   (func (export "b") (result i32) i32.const 2))"#,
    )
    .unwrap();
    assert_eq!(module.translated_count(), 0);
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let a = inst.get_typed_func::<(), i32>(&store, "a").unwrap();
    assert_eq!(a.call(&mut store, ()).unwrap(), 1);
    assert_eq!(module.translated_count(), 1);
}

#[test]
fn exit_status_passes_through_host_calls() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap(
            "env",
            "exit",
            |_: Caller<'_, ()>, code: i32| -> Result<()> { Err(Error::exit(code)) },
        )
        .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module (import "env" "exit" (func $exit (param i32)))
            (func (export "_start") (call $exit (i32.const 3)) unreachable))"#,
    );
    let f = inst.get_typed_func::<(), ()>(&store, "_start").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap_err().exit_status(), Some(3));
}

#[test]
fn interrupt_handle_stops_an_infinite_loop_and_store_stays_usable() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &Linker::new(&engine),
        r#"(module
            (func $f (export "spin") (loop $l (br $l)))
            (func (export "recurse") (call $r))
            (func $r (call $r2))
            (func $r2 (loop $l (call $leaf) (br $l)))
            (func $leaf)
            (func (export "ok") (result i32) (i32.const 5)))"#,
    );
    for name in ["spin", "recurse"] {
        let handle = store.interrupt_handle();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            handle.interrupt();
        });
        let f = inst.get_typed_func::<(), ()>(&store, name).unwrap();
        let err = f.call(&mut store, ()).unwrap_err();
        t.join().unwrap();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::Interrupted),
            "{name}: {err}"
        );
    }
    let ok = inst.get_typed_func::<(), i32>(&store, "ok").unwrap();
    assert_eq!(ok.call(&mut store, ()).unwrap(), 5);
}

#[test]
fn stores_move_across_threads_and_modules_are_shared() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Store<Vec<u8>>>();
    send::<Module>();
    sync::<Module>();
    sync::<Engine>();
    send::<Linker<()>>();
    // One module, instantiated and run on several threads at once.
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func (export "sq") (param i64) (result i64) (i64.mul (local.get 0) (local.get 0))))"#,
    )
    .unwrap();
    let handles: Vec<_> = (0..4i64)
        .map(|i| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut store = Store::new(&engine, ());
                let inst = Linker::new(&engine)
                    .instantiate(&mut store, &module)
                    .unwrap();
                let f = inst.get_typed_func::<i64, i64>(&store, "sq").unwrap();
                f.call(&mut store, i).unwrap()
            })
        })
        .collect();
    let out: Vec<i64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(out, vec![0, 1, 4, 9]);
}
