//! WebAssembly 3.0 GC through the embedding API: the collector reclaims
//! garbage during a long run (far more allocated than the heap limit),
//! keeps what is reachable from the stack, globals, tables, objects and the
//! host, traps cleanly when live data exceeds the limit, and references
//! travel through `Val::AnyRef` / `ExternRef` in both directions.

use wasp::*;

fn engine_with_heap(bytes: usize) -> Engine {
    let mut c = Config::new();
    c.max_gc_heap(bytes);
    Engine::new(&c)
}

fn instance(store: &mut Store<()>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).unwrap();
    Linker::new(store.engine())
        .instantiate(store, &module)
        .unwrap()
}

/// Allocates `n` 64-element arrays plus a struct per iteration, keeping only
/// the last struct, and sums a field of each: the running total proves
/// every object was built and read.
const CHURN: &str = r#"(module
  (type $arr (array (mut i64)))
  (type $box (struct (field i64) (field (ref $arr))))
  (func (export "churn") (param $n i32) (result i64)
    (local $sum i64) (local $b (ref null $box)) (local $i i32)
    (loop $l
      (local.set $b
        (struct.new $box (i64.extend_i32_u (local.get $i))
          (array.new $arr (i64.const 3) (i32.const 64))))
      (local.set $sum (i64.add (local.get $sum)
        (i64.add (struct.get $box 0 (local.get $b))
                 (array.get $arr (struct.get $box 1 (local.get $b)) (i32.const 63)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum)))"#;

#[test]
fn a_loop_allocating_far_more_than_the_heap_limit_completes() {
    let limit = 2 << 20;
    let engine = engine_with_heap(limit);
    let mut store = Store::new(&engine, ());
    let inst = instance(&mut store, CHURN);
    let churn = inst.get_typed_func::<i32, i64>(&store, "churn").unwrap();
    let n: i64 = 100_000;
    // Each iteration allocates over 600 bytes: ~60 MiB in all, 30x the limit.
    assert_eq!(
        churn.call(&mut store, n as i32).unwrap(),
        n * (n - 1) / 2 + 3 * n
    );
    let stats = store.gc_stats();
    assert!(stats.collections > 10, "{stats:?}");
    assert!(stats.freed > 190_000, "{stats:?}");
    assert!(stats.bytes <= limit as u64, "{stats:?}");
}

/// A list reachable only from a global, and one reachable only from the
/// frames of a recursion, survive the collections that garbage between
/// their allocations forces.
#[test]
fn reachable_objects_survive_collections() {
    let engine = engine_with_heap(4 << 20);
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &mut store,
        r#"(module
      (type $node (struct (field i32) (field (ref null $node))))
      (type $junk (array i64))
      (global $list (mut (ref null $node)) (ref.null $node))
      (func $garbage (drop (array.new_default $junk (i32.const 256))))
      (func (export "build") (param $n i32)
        (loop $l
          (global.set $list (struct.new $node (local.get $n) (global.get $list)))
          (call $garbage)
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (local.get $n))))
      (func $sum (param $p (ref null $node)) (result i32)
        (if (result i32) (ref.is_null (local.get $p))
          (then (i32.const 0))
          (else (i32.add (struct.get $node 0 (local.get $p))
                         (call $sum (struct.get $node 1 (local.get $p)))))))
      (func (export "sum") (result i32) (call $sum (global.get $list)))
      ;; Each frame holds its node in a local while deeper frames allocate.
      (func $deep (param $k i32) (result i32) (local $mine (ref null $node))
        (local.set $mine (struct.new $node (local.get $k) (ref.null $node)))
        (call $garbage)
        (if (result i32) (local.get $k)
          (then (i32.add (call $deep (i32.sub (local.get $k) (i32.const 1)))
                         (struct.get $node 0 (local.get $mine))))
          (else (i32.const 0))))
      (func (export "deep") (param i32) (result i32) (call $deep (local.get 0))))"#,
    );
    inst.get_typed_func::<i32, ()>(&store, "build")
        .unwrap()
        .call(&mut store, 5000)
        .unwrap();
    let sum = inst.get_typed_func::<(), i32>(&store, "sum").unwrap();
    assert_eq!(sum.call(&mut store, ()).unwrap(), 5000 * 5001 / 2);
    let deep = inst.get_typed_func::<i32, i32>(&store, "deep").unwrap();
    assert_eq!(deep.call(&mut store, 3000).unwrap(), 3000 * 3001 / 2);
    assert!(store.gc_stats().collections > 0);
    // Host-triggered collection keeps the global's list.
    store.gc();
    assert_eq!(sum.call(&mut store, ()).unwrap(), 5000 * 5001 / 2);
    assert_eq!(store.gc_stats().live, 5000);
}

#[test]
fn live_data_beyond_the_limit_traps_with_a_backtrace() {
    let engine = engine_with_heap(1 << 20);
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &mut store,
        r#"(module
      (type $node (struct (field (ref null $node)) (field i64)))
      (global $list (mut (ref null $node)) (ref.null $node))
      (func $hoard (export "hoard")
        (loop $l
          (global.set $list (struct.new $node (global.get $list) (i64.const 0)))
          (br $l))))"#,
    );
    let f = inst.get_typed_func::<(), ()>(&store, "hoard").unwrap();
    let err = f.call(&mut store, ()).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::GcHeapExhausted), "{err:?}");
    assert!(err.to_string().contains("GC heap exhausted"), "{err}");
    assert!(
        err.backtrace()
            .iter()
            .any(|f| f.func_name.as_deref() == Some("hoard")),
        "{err:?}"
    );
    // A huge array fails the same way, without trying to allocate it.
    let inst = instance(
        &mut store,
        r#"(module (type $a (array i64))
      (func (export "big") (result i32)
        (array.len (array.new_default $a (i32.const -1)))))"#,
    );
    let f = inst.get_typed_func::<(), i32>(&store, "big").unwrap();
    assert_eq!(
        f.call(&mut store, ()).unwrap_err().trap_code(),
        Some(TrapCode::GcHeapExhausted)
    );
}

/// References handed to the host stay alive across collections and can be
/// passed back; host values convert to and from `anyref`.
#[test]
fn references_cross_the_api_both_ways() {
    let engine = engine_with_heap(1 << 20);
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &mut store,
        r#"(module
      (type $pt (struct (field i32) (field i32)))
      (type $junk (array i64))
      (func (export "make") (param i32 i32) (result (ref $pt))
        (struct.new $pt (local.get 0) (local.get 1)))
      (func (export "x") (param (ref null $pt)) (result i32) (struct.get $pt 0 (local.get 0)))
      (func (export "churn") (param $n i32)
        (loop $l (drop (array.new_default $junk (i32.const 1000)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (local.get $n))))
      (func (export "internalize") (param externref) (result anyref)
        (any.convert_extern (local.get 0)))
      (func (export "externalize") (param anyref) (result externref)
        (extern.convert_any (local.get 0)))
      (func (export "i31") (param anyref) (result i32)
        (i31.get_s (ref.cast i31ref (local.get 0)))))"#,
    );
    let make = inst.get_func(&store, "make").unwrap();
    let mut out = [Val::I32(0)];
    make.call(&mut store, &[Val::I32(7), Val::I32(8)], &mut out)
        .unwrap();
    let Val::AnyRef(Some(pt)) = out[0] else {
        panic!("{:?}", out[0])
    };
    assert_eq!(pt.kind(&store), AnyKind::Struct);
    assert_eq!(pt.len(&store), Some(2));
    inst.get_typed_func::<i32, ()>(&store, "churn")
        .unwrap()
        .call(&mut store, 2000)
        .unwrap();
    assert!(store.gc_stats().collections > 0);
    let x = inst.get_func(&store, "x").unwrap();
    x.call(&mut store, &[Val::AnyRef(Some(pt))], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::I32(7));

    let host = ExternRef::new(&mut store, 42u32);
    let internalize = inst.get_func(&store, "internalize").unwrap();
    internalize
        .call(&mut store, &[Val::ExternRef(Some(host))], &mut out)
        .unwrap();
    let Val::AnyRef(Some(any)) = out[0] else {
        panic!("{:?}", out[0])
    };
    assert_eq!(any.kind(&store), AnyKind::Host);
    let back = any.to_extern();
    assert_eq!(
        back.data(&store).and_then(|d| d.downcast_ref::<u32>()),
        Some(&42)
    );
    // A struct seen as an externref has no host data.
    let externalize = inst.get_func(&store, "externalize").unwrap();
    externalize
        .call(&mut store, &[Val::AnyRef(Some(pt))], &mut out)
        .unwrap();
    let Val::ExternRef(Some(e)) = out[0] else {
        panic!("{:?}", out[0])
    };
    assert!(e.data(&store).is_none());
    assert_eq!(e.to_any(), pt);

    let i31 = AnyRef::from_i31(&store, 0x7fff_fffe);
    let f = inst
        .get_typed_func::<Option<AnyRef>, i32>(&store, "i31")
        .unwrap();
    assert_eq!(f.call(&mut store, Some(i31)).unwrap(), -2);
    assert_eq!(i31.kind(&store), AnyKind::I31(0x7fff_fffe));
    let err = f.call(&mut store, Some(pt)).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::CastFailure));
}

/// Globals, tables and element segments initialised with GC objects.
#[test]
fn constant_expressions_allocate() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &mut store,
        r#"(module
      (type $v (array i32))
      (type $s (struct (field i32) (field (ref $v))))
      (global $g (ref $s)
        (struct.new $s (i32.const 5) (array.new_fixed $v 3 (i32.const 1) (i32.const 2) (i32.const 3))))
      (table $t 2 (ref null $s) (struct.new $s (i32.const 9) (array.new_default $v (i32.const 4))))
      (elem $e (ref i31) (item (ref.i31 (i32.const -1))) (item (ref.i31 (i32.const 6))))
      (func (export "g") (result i32)
        (i32.add (struct.get $s 0 (global.get $g))
          (array.get $v (struct.get $s 1 (global.get $g)) (i32.const 2))))
      (func (export "t") (result i32)
        (i32.add (struct.get $s 0 (table.get $t (i32.const 1)))
                 (array.len (struct.get $s 1 (table.get $t (i32.const 0))))))
      (func (export "e") (result i32)
        (i31.get_u (array.get $a (array.new_elem $a $e (i32.const 0) (i32.const 2)) (i32.const 0))))
      (type $a (array i31ref)))"#,
    );
    let call = |store: &mut Store<()>, name: &str| {
        inst.get_typed_func::<(), i32>(&*store, name)
            .unwrap()
            .call(store, ())
            .unwrap()
    };
    assert_eq!(call(&mut store, "g"), 8);
    assert_eq!(call(&mut store, "t"), 13);
    assert_eq!(call(&mut store, "e"), 0x7fff_ffff);
    store.gc();
    assert_eq!(call(&mut store, "g"), 8);
    assert_eq!(call(&mut store, "t"), 13);
}

#[test]
fn null_and_bounds_traps_name_the_gc_instruction_kind() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &mut store,
        r#"(module
      (type $s (struct (field (mut i32))))
      (type $a (array (mut i8)))
      (func (export "null_struct") (result i32) (struct.get $s 0 (ref.null $s)))
      (func (export "null_array") (result i32) (array.len (ref.null $a)))
      (func (export "oob") (result i32) (array.get_u $a (array.new $a (i32.const 300) (i32.const 4)) (i32.const 4)))
      (func (export "packed") (result i32)
        (i32.add (array.get_u $a (array.new $a (i32.const 300) (i32.const 4)) (i32.const 3))
                 (array.get_s $a (array.new $a (i32.const 255) (i32.const 1)) (i32.const 0))))
      (func (export "null_i31") (result i32) (i31.get_u (ref.null i31))))"#,
    );
    for (name, code) in [
        ("null_struct", TrapCode::NullStructReference),
        ("null_array", TrapCode::NullArrayReference),
        ("oob", TrapCode::ArrayOutOfBounds),
        ("null_i31", TrapCode::NullI31Reference),
    ] {
        let f = inst.get_typed_func::<(), i32>(&store, name).unwrap();
        let err = f.call(&mut store, ()).unwrap_err();
        assert_eq!(err.trap_code(), Some(code), "{name}: {err}");
        assert!(err.to_string().contains(code.message()), "{err}");
    }
    let f = inst.get_typed_func::<(), i32>(&store, "packed").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 44 - 1);
}

/// Iso-recursive type identity across modules: an object made by one module
/// passes a cast to the structurally identical type of another, not to a
/// different one.
#[test]
fn casts_across_modules_follow_canonical_types() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let maker = instance(
        &mut store,
        r#"(module
      (rec (type $a (sub (struct (field i32)))) (type $b (sub $a (struct (field i32) (field i64)))))
      (func (export "make") (result anyref) (struct.new $b (i32.const 1) (i64.const 2))))"#,
    );
    let tester = instance(
        &mut store,
        r#"(module
      (rec (type $a (sub (struct (field i32)))) (type $b (sub $a (struct (field i32) (field i64)))))
      (type $c (struct (field i32)))
      (func (export "is_a") (param anyref) (result i32) (ref.test (ref $a) (local.get 0)))
      (func (export "is_b") (param anyref) (result i32) (ref.test (ref $b) (local.get 0)))
      (func (export "is_c") (param anyref) (result i32) (ref.test (ref $c) (local.get 0))))"#,
    );
    let make = maker
        .get_typed_func::<(), Option<AnyRef>>(&store, "make")
        .unwrap();
    let obj = make.call(&mut store, ()).unwrap();
    for (name, want) in [("is_a", 1), ("is_b", 1), ("is_c", 0)] {
        let f = tester
            .get_typed_func::<Option<AnyRef>, i32>(&store, name)
            .unwrap();
        assert_eq!(f.call(&mut store, obj).unwrap(), want, "{name}");
    }
}

/// A module that allocates is never compiled, even under `Tier::Jit` (the
/// collector cannot see references in native registers); one without GC
/// types still is.
#[test]
fn modules_that_allocate_stay_interpreted() {
    let mut c = Config::new();
    c.tier(Tier::Jit);
    let engine = Engine::new(&c);
    let mut store = Store::new(&engine, ());
    let inst = instance(&mut store, CHURN);
    let churn = inst.get_typed_func::<i32, i64>(&store, "churn").unwrap();
    assert_eq!(churn.call(&mut store, 10).unwrap(), 45 + 30);
    assert_eq!(engine.stats().funcs_compiled, 0);
    let plain = instance(
        &mut store,
        r#"(module (func (export "f") (result i32) (i32.const 1)))"#,
    );
    let f = plain.get_typed_func::<(), i32>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 1);
    if cfg!(all(
        unix,
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        assert!(engine.stats().funcs_compiled > 0);
    }
}

/// A `v128` field initialised in a constant expression from a `v128`
/// global gets both halves (regression: the expression stack took only the
/// low one, shifting the fields after it).
#[test]
fn constant_struct_fields_read_v128_globals_whole() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &mut store,
        r#"(module
      (type $s (struct (field v128) (field i32)))
      (global $v v128 (v128.const i64x2 0x1111 0x2222))
      (global $g (ref $s) (struct.new $s (global.get $v) (i32.const 7)))
      (func (export "hi") (result i64) (i64x2.extract_lane 1 (struct.get $s 0 (global.get $g))))
      (func (export "i") (result i32) (struct.get $s 1 (global.get $g))))"#,
    );
    let hi = inst.get_typed_func::<(), i64>(&store, "hi").unwrap();
    assert_eq!(hi.call(&mut store, ()).unwrap(), 0x2222);
    let i = inst.get_typed_func::<(), i32>(&store, "i").unwrap();
    assert_eq!(i.call(&mut store, ()).unwrap(), 7);
}
