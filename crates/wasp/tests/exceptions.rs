//! Exception handling through the embedding API: exceptions that escape to
//! the embedder (tag and payload reachable from the error), exceptions that
//! cross host frames in both directions, host functions that throw, tag
//! identity per instantiation and through imports, traps that stay traps,
//! and unwinding through compiled frames (`Tier::Jit`).

use wasp::*;

fn instantiate<T>(store: &mut Store<T>, linker: &Linker<T>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).unwrap();
    linker.instantiate(store, &module).unwrap()
}

const THROWER: &str = r#"(module
    (tag $e (export "e") (param i32 i64))
    (func (export "throw") (param i32)
      (local.get 0) (i64.const -7) (throw $e))
    (func (export "catch") (param i32) (result i32)
      (block $h (result i32 i64)
        (try_table (catch $e $h) (call 0 (local.get 0)))
        (return (i32.const -1)))
      (drop)))"#;

#[test]
fn uncaught_exception_is_an_error_with_tag_and_payload() {
    let engine = Engine::default();
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, &linker, THROWER);
    let tag = inst.get_export(&store, "e").unwrap().into_tag().unwrap();
    let ty = tag.ty(&store);
    assert_eq!(ty.params(), [ValType::I32, ValType::I64]);
    assert!(ty.results().is_empty());
    let f = inst.get_typed_func::<i32, ()>(&store, "throw").unwrap();
    let err = f.call(&mut store, 42).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Exception(_)), "{err:?}");
    assert!(err.trap().is_none());
    assert!(err.to_string().contains("uncaught exception"), "{err}");
    let exc = err.exception().expect("an exception");
    assert_eq!(exc.tag(), tag);
    assert_eq!(exc.payload(), [Val::I32(42), Val::I64(-7)]);
    let r = exc.exn_ref();
    assert_eq!(r.tag(&store), tag);
    assert_eq!(r.payload(&store), [Val::I32(42), Val::I64(-7)]);
    // The store is usable afterwards, and a caught throw returns normally.
    let c = inst.get_typed_func::<i32, i32>(&store, "catch").unwrap();
    assert_eq!(c.call(&mut store, 5).unwrap(), 5);
}

/// wasm → host → wasm throws: the exception leaves the inner call as an
/// error, the host function passes it on with `?`, and the outer wasm
/// catches it with the payload.
#[test]
fn exception_propagates_out_of_a_host_function_into_its_wasm_caller() {
    let engine = Engine::default();
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, u32>, x: i32| -> Result<()> {
                *caller.data_mut() += 1;
                let f = caller.get_export("throw").unwrap().into_func().unwrap();
                let f = f.typed::<i32, ()>(&caller)?;
                f.call(&mut caller, x * 10)?;
                *caller.data_mut() += 100; // never reached
                Ok(())
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "host" "reenter" (func $reenter (param i32)))
            (tag $e (param i32))
            (func (export "throw") (param i32) (throw $e (local.get 0)))
            (func (export "run") (param i32) (result i32)
              (local $x i32)
              (local.set $x (i32.const 1000))
              (block $h (result i32)
                (try_table (catch $e $h) (call $reenter (local.get 0)))
                (return (i32.const -1)))
              (i32.add (local.get $x)))
            (func (export "run_uncaught") (param i32) (call $reenter (local.get 0))))"#,
    );
    let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 4).unwrap(), 1040);
    assert_eq!(*store.data(), 1);
    // Without a handler it reaches the embedder, through both wasm calls.
    let run = inst
        .get_typed_func::<i32, ()>(&store, "run_uncaught")
        .unwrap();
    let err = run.call(&mut store, 3).unwrap_err();
    assert_eq!(err.exception().unwrap().payload(), [Val::I32(30)]);
    assert_eq!(*store.data(), 2);
}

#[test]
fn host_function_throws_and_wasm_catches() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let tag = Tag::new(&mut store, FuncType::new([ValType::F64], [])).unwrap();
    linker.define("host", "tag", tag).unwrap();
    linker
        .func_wrap(
            "host",
            "fail",
            move |mut caller: Caller<'_, ()>, x: f64| -> Result<f64> {
                if x < 0.0 {
                    return Err(Exception::new(&mut caller, tag, &[Val::from(x * 2.0)])?.into());
                }
                Ok(x)
            },
        )
        .unwrap();
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "host" "tag" (tag $t (param f64)))
            (import "host" "fail" (func $fail (param f64) (result f64)))
            (func (export "run") (param f64) (result f64)
              (block $h (result f64)
                (try_table (result f64) (catch $t $h) (call $fail (local.get 0)))
                (return))
              (f64.neg)))"#,
    );
    let run = inst.get_typed_func::<f64, f64>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 1.5).unwrap(), 1.5);
    assert_eq!(run.call(&mut store, -1.5).unwrap(), 3.0);
    // A tag's type must have no results; a payload must match the tag.
    assert!(Tag::new(&mut store, FuncType::new([], [ValType::I32])).is_err());
    assert!(Exception::new(&mut store, tag, &[Val::I32(1)]).is_err());
    assert!(Exception::new(&mut store, tag, &[]).is_err());
}

/// Each instantiation defines a new tag: instance A's exception is not
/// caught by instance B's `catch $e` (only by its `catch_all`), while a
/// module that imports A's tag catches it.
#[test]
fn tags_are_per_instance_and_shared_through_imports() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.allow_shadowing(true);
    let mut store = Store::new(&engine, ());
    let module = Module::new(
        &engine,
        r#"(module
            (import "peer" "throw" (func $peer (param i32)))
            (tag $e (export "e") (param i32))
            (func (export "throw") (param i32) (throw $e (local.get 0)))
            (func (export "catch_peer") (param i32) (result i32)
              (block $all
                (block $mine (result i32)
                  (try_table (catch $e $mine) (catch_all $all) (call $peer (local.get 0)))
                  (return (i32.const -1)))
                (return))
              (i32.const 99)))"#,
    )
    .unwrap();
    linker
        .func_wrap("peer", "throw", |_: i32| -> Result<()> { Ok(()) })
        .unwrap();
    let a = linker.instantiate(&mut store, &module).unwrap();
    linker.instance(&store, "peer", a).unwrap();
    let b = linker.instantiate(&mut store, &module).unwrap();
    let ta = a.get_export(&store, "e").unwrap().into_tag().unwrap();
    let tb = b.get_export(&store, "e").unwrap().into_tag().unwrap();
    assert_ne!(ta, tb);
    let catch_peer = b.get_typed_func::<i32, i32>(&store, "catch_peer").unwrap();
    assert_eq!(catch_peer.call(&mut store, 5).unwrap(), 99);
    // An importer of A's tag catches A's exceptions with `catch`.
    linker.define("a", "e", ta).unwrap();
    let c = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "a" "e" (tag $e (param i32)))
            (import "peer" "throw" (func $peer (param i32)))
            (func (export "run") (param i32) (result i32)
              (block $h (result i32)
                (try_table (catch $e $h) (call $peer (local.get 0)))
                (return (i32.const -1)))))"#,
    );
    let run = c.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 17).unwrap(), 17);
    // An import of the wrong type does not link.
    let bad = Module::new(&engine, r#"(module (import "a" "e" (tag (param i64))))"#).unwrap();
    let err = linker.instantiate(&mut store, &bad).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Link), "{err}");
}

#[test]
fn traps_are_not_caught() {
    let engine = Engine::default();
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (func $boom (unreachable))
            (func (export "run")
              (block $h (try_table (catch_all $h) (call $boom)))))"#,
    );
    let run = inst.get_typed_func::<(), ()>(&store, "run").unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
    assert!(err.exception().is_none());
}

/// Also the regression test of `catch_all_ref` of an exception with a
/// payload: it delivers the exnref only (the payload was once written too,
/// past the label's slot).
#[test]
fn throw_ref_of_null_traps_and_exnref_crosses_the_api() {
    let engine = Engine::default();
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (tag $e (param i32))
            (func (export "get") (param i32) (result exnref)
              (block $h (result exnref)
                (try_table (catch_all_ref $h) (throw $e (local.get 0)))
                (unreachable)))
            (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))"#,
    );
    let get = inst.get_func(&store, "get").unwrap();
    let mut out = [Val::ExnRef(None)];
    get.call(&mut store, &[Val::I32(8)], &mut out).unwrap();
    let Val::ExnRef(Some(r)) = out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(r.payload(&store), [Val::I32(8)]);
    let rethrow = inst.get_func(&store, "rethrow").unwrap();
    let err = rethrow.call(&mut store, &out, &mut []).unwrap_err();
    assert_eq!(err.exception().unwrap().exn_ref(), r);
    let err = rethrow
        .call(&mut store, &[Val::ExnRef(None)], &mut [])
        .unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::NullReference));
}

/// An interpreted catcher calls a compiled function (its module has no
/// exception operators) that calls an interpreted thrower: the compiled
/// frame is left through its status word and the catcher gets the payload.
/// Functions with exception operators stay interpreted under `Tier::Jit`.
#[test]
fn exceptions_unwind_through_compiled_frames() {
    let engine = Engine::new(Config::new().tier(Tier::Jit));
    let mut linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let thrower = instantiate(&mut store, &linker, THROWER);
    linker.instance(&store, "t", thrower).unwrap();
    let middle = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "t" "throw" (func $throw (param i32)))
            (func (export "mid") (param i32)
              (call $throw (i32.add (local.get 0) (i32.const 1)))))"#,
    );
    linker.instance(&store, "m", middle).unwrap();
    let catcher = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "t" "e" (tag $e (param i32 i64)))
            (import "m" "mid" (func $mid (param i32)))
            (func (export "run") (param i32) (result i64)
              (local $y i64)
              (block $h (result i32 i64)
                (try_table (catch $e $h) (call $mid (local.get 0)))
                (return (i64.const -1)))
              (local.set $y)
              (i64.add (i64.extend_i32_s) (local.get $y)))
            (func (export "run_uncaught") (param i32) (call $mid (local.get 0))))"#,
    );
    let run = catcher.get_typed_func::<i32, i64>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 10).unwrap(), 11 - 7);
    let run = catcher
        .get_typed_func::<i32, ()>(&store, "run_uncaught")
        .unwrap();
    let err = run.call(&mut store, 1).unwrap_err();
    assert_eq!(
        err.exception().unwrap().payload(),
        [Val::I32(2), Val::I64(-7)]
    );
    // `mid` ran compiled; the functions with exception operators did not.
    let stats = engine.stats();
    assert!(stats.funcs_compiled >= 1, "{stats:?}");
    assert!(stats.funcs_not_compilable >= 3, "{stats:?}");
}

/// Catch clauses of every target shape: the function's own label (the
/// handler returns the payload), a loop label (the payload becomes the
/// loop parameter), and an inner try_table that does not match, so the
/// outer one catches.
#[test]
fn catch_targets_function_loop_and_outer_try() {
    let engine = Engine::default();
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (tag $e (param i32))
            (tag $other)
            (func $throw (param i32) (throw $e (local.get 0)))
            (func (export "to_func") (param i32) (result i32)
              (try_table (catch $e 0) (call $throw (local.get 0)))
              (i32.const -1))
            (func (export "to_loop") (param i32) (result i32)
              (local $sum i32)
              (i32.const 0)
              (loop $l (param i32)
                (local.set $sum (i32.add (local.get $sum)))
                (if (i32.gt_s (local.get 0) (i32.const 0))
                  (then
                    (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                    (try_table (catch $e $l) (call $throw (local.get 0))))))
              (local.get $sum))
            (func (export "outer") (param i32) (result i32)
              (block $h (result i32)
                (try_table (catch $e $h)
                  (block $o
                    (try_table (catch $other $o) (call $throw (local.get 0)))))
                (i32.const -1))
              (i32.const 100)
              (i32.add)))"#,
    );
    let f = inst.get_typed_func::<i32, i32>(&store, "to_func").unwrap();
    assert_eq!(f.call(&mut store, 5).unwrap(), 5);
    let f = inst.get_typed_func::<i32, i32>(&store, "to_loop").unwrap();
    assert_eq!(f.call(&mut store, 4).unwrap(), 3 + 2 + 1);
    let f = inst.get_typed_func::<i32, i32>(&store, "outer").unwrap();
    assert_eq!(f.call(&mut store, 7).unwrap(), 107);
}

/// A `v128` payload takes two slots: thrown, caught in wasm, and escaping
/// to the embedder, both halves arrive (one slot per value was copied, so
/// the high half was lost).
#[test]
fn v128_payloads_keep_both_halves() {
    let wat = r#"(module
      (tag $e (export "e") (param i32 v128 i64))
      (func $throw (export "throw") (param i64 i64)
        (i32.const 7)
        (i64x2.replace_lane 1 (i64x2.splat (local.get 0)) (local.get 1))
        (i64.const -3)
        (throw $e))
      (func (export "catch") (param i64 i64) (result i64)
        (local v128)
        (block $h (result i32 v128 i64)
          (try_table (catch $e $h) (call $throw (local.get 0) (local.get 1)))
          (return (i64.const -1)))
        (drop)
        (local.set 2)
        (drop)
        (i64.add (i64x2.extract_lane 0 (local.get 2))
                 (i64.mul (i64.const 1000) (i64x2.extract_lane 1 (local.get 2))))))"#;
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, &Linker::new(&engine), wat);
    let c = inst
        .get_typed_func::<(i64, i64), i64>(&store, "catch")
        .unwrap();
    assert_eq!(c.call(&mut store, (4, 5)).unwrap(), 5_004);
    let t = inst
        .get_typed_func::<(i64, i64), ()>(&store, "throw")
        .unwrap();
    let err = t.call(&mut store, (4, 5)).unwrap_err();
    let exc = err.exception().expect("an exception");
    let v = 4u128 | (5u128 << 64);
    assert_eq!(exc.payload(), [Val::I32(7), Val::V128(v), Val::I64(-3)]);
    // An exception made by the host carries a v128 into wasm the same way.
    let tag = inst.get_export(&store, "e").unwrap().into_tag().unwrap();
    let made = Exception::new(&mut store, tag, &[Val::I32(1), Val::V128(v), Val::I64(2)]).unwrap();
    assert_eq!(made.payload(), [Val::I32(1), Val::V128(v), Val::I64(2)]);
}
