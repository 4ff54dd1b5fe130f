//! Tail calls (`return_call`, `return_call_indirect`, `return_call_ref`) run
//! in constant stack: the interpreter replaces the caller's frame instead of
//! pushing one. A loop of 10^8 tail calls completes under a call-depth limit
//! that plain calls exhaust at 10^4; tail calls to host functions and across
//! instances work; a trap after tail calls shows the frames that are live.

use wasp::*;

/// An engine whose stores allow at most 10,000 nested calls, interpreted
/// (functions that tail-call are never compiled; their callees could be).
fn small_stack_engine() -> Engine {
    Engine::new(Config::new().max_call_depth(10_000).tier(Tier::Interp))
}

fn instantiate<T>(store: &mut Store<T>, linker: &Linker<T>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).unwrap();
    linker.instantiate(store, &module).unwrap()
}

const LOOPS: &str = r#"(module
    (type $t (func (param i64 i64) (result i64)))
    (table 1 funcref)
    (elem (i32.const 0) $count_indirect)
    ;; Counts n down to 0, adding to acc: the result is acc + n.
    (func $count (export "count") (param $n i64) (param $acc i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (return_call $count (i64.sub (local.get $n) (i64.const 1))
                                  (i64.add (local.get $acc) (i64.const 1))))))
    (func $count_indirect (export "count_indirect") (param $n i64) (param $acc i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (return_call_indirect (type $t)
                (i64.sub (local.get $n) (i64.const 1))
                (i64.add (local.get $acc) (i64.const 1))
                (i32.const 0)))))
    (elem declare func $count_ref)
    (func $count_ref (export "count_ref") (param $n i64) (param $acc i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (return_call_ref $t
                (i64.sub (local.get $n) (i64.const 1))
                (i64.add (local.get $acc) (i64.const 1))
                (ref.func $count_ref)))))
    ;; The same recursion with a plain call: needs one frame per step.
    (func $plain (export "plain") (param $n i64) (param $acc i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (call $plain (i64.sub (local.get $n) (i64.const 1))
                           (i64.add (local.get $acc) (i64.const 1)))))))"#;

#[test]
fn tail_recursion_of_10_8_iterations_runs_in_constant_stack() {
    let engine = small_stack_engine();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, &Linker::new(&engine), LOOPS);
    let plain = inst
        .get_typed_func::<(i64, i64), i64>(&store, "plain")
        .unwrap();
    // The limit is real: plain recursion 20,000 deep exhausts it...
    let err = plain.call(&mut store, (20_000, 0)).unwrap_err();
    assert_eq!(err.trap().map(|t| t.code()), Some(TrapCode::StackExhausted));
    assert_eq!(plain.call(&mut store, (5_000, 0)).unwrap(), 5_000);
    // ...and tail recursion 10^8 deep does not reach it.
    let count = inst
        .get_typed_func::<(i64, i64), i64>(&store, "count")
        .unwrap();
    assert_eq!(
        count.call(&mut store, (100_000_000, 7)).unwrap(),
        100_000_007
    );
    for name in ["count_indirect", "count_ref"] {
        let f = inst
            .get_typed_func::<(i64, i64), i64>(&store, name)
            .unwrap();
        assert_eq!(
            f.call(&mut store, (1_000_000, 0)).unwrap(),
            1_000_000,
            "{name}"
        );
    }
}

#[test]
fn tail_calls_to_host_functions() {
    let engine = small_stack_engine();
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .func_wrap(
            "host",
            "add",
            |mut c: Caller<'_, u32>, a: i32, b: i32| -> Result<i32> {
                *c.data_mut() += 1;
                Ok(a + b)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (type $bin (func (param i32 i32) (result i32)))
            (import "host" "add" (func $add (type $bin)))
            (table 1 funcref)
            (elem (i32.const 0) $add)
            (elem declare func $add)
            (func (export "direct") (param i32) (result i32)
              (return_call $add (local.get 0) (i32.const 1)))
            (func (export "indirect") (param i32) (result i32)
              (return_call_indirect (type $bin) (local.get 0) (i32.const 2) (i32.const 0)))
            (func (export "by_ref") (param i32) (result i32)
              (return_call_ref $bin (local.get 0) (i32.const 3) (ref.func $add)))
            ;; A loop that tail-calls itself 100,000 times, with a host call in each step.
            (func $loop (export "loop") (param $n i32) (param $acc i32) (result i32)
              (if (result i32) (i32.eqz (local.get $n))
                (then (local.get $acc))
                (else (return_call $loop (i32.sub (local.get $n) (i32.const 1))
                                         (call $add (local.get $acc) (i32.const 1)))))))"#,
    );
    for (name, want) in [("direct", 11), ("indirect", 12), ("by_ref", 13)] {
        let f = inst.get_typed_func::<i32, i32>(&store, name).unwrap();
        assert_eq!(f.call(&mut store, 10).unwrap(), want, "{name}");
    }
    assert_eq!(*store.data(), 3);
    let f = inst
        .get_typed_func::<(i32, i32), i32>(&store, "loop")
        .unwrap();
    assert_eq!(f.call(&mut store, (100_000, 0)).unwrap(), 100_000);
    assert_eq!(*store.data(), 100_003);
}

#[test]
fn tail_calls_across_instances() {
    let engine = small_stack_engine();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    // Two instances tail-calling each other 10^6 times (ping-pong): each
    // call switches instance; none pushes a frame.
    let a = instantiate(
        &mut store,
        &linker,
        r#"(module
            (type $t (func (param i32 i32) (result i32)))
            (table (export "table") 1 funcref)
            (global (export "g") i32 (i32.const 100))
            (func $ping (export "ping") (param $n i32) (param $acc i32) (result i32)
              (if (result i32) (i32.eqz (local.get $n))
                (then (i32.add (local.get $acc) (global.get 0)))
                (else (return_call_indirect (type $t)
                        (i32.sub (local.get $n) (i32.const 1))
                        (i32.add (local.get $acc) (i32.const 1))
                        (i32.const 0))))))"#,
    );
    linker.instance(&mut store, "a", a).unwrap();
    let b = instantiate(
        &mut store,
        &linker,
        r#"(module
            (type $t (func (param i32 i32) (result i32)))
            (import "a" "ping" (func $ping (type $t)))
            (import "a" "table" (table 1 funcref))
            (elem (i32.const 0) $pong)
            (global i32 (i32.const 5000))
            (func $pong (export "pong") (param $n i32) (param $acc i32) (result i32)
              (if (result i32) (i32.eqz (local.get $n))
                (then (i32.add (local.get $acc) (global.get 0)))
                (else (return_call $ping (i32.sub (local.get $n) (i32.const 1))
                                         (i32.add (local.get $acc) (i32.const 1)))))))"#,
    );
    let pong = b.get_typed_func::<(i32, i32), i32>(&store, "pong").unwrap();
    // An even count ends in pong (its global), an odd one in ping.
    assert_eq!(pong.call(&mut store, (1_000_000, 0)).unwrap(), 1_005_000);
    assert_eq!(pong.call(&mut store, (1_000_001, 0)).unwrap(), 1_000_101);
}

#[test]
fn trap_backtrace_after_tail_calls_shows_the_live_frames() {
    let engine = small_stack_engine();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &Linker::new(&engine),
        r#"(module $demo
            (func $boom (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
            (func $middle (param i32) (result i32) (return_call $boom (local.get 0)))
            (func $outer (export "outer") (param i32) (result i32)
              (i32.add (call $middle (local.get 0)) (i32.const 1))))"#,
    );
    let f = inst.get_typed_func::<i32, i32>(&store, "outer").unwrap();
    assert_eq!(f.call(&mut store, 1).unwrap(), 2);
    let err = f.call(&mut store, 0).unwrap_err();
    let trap = err.trap().expect("a trap");
    assert_eq!(trap.code(), TrapCode::IntegerDivideByZero);
    let names: Vec<_> = trap
        .backtrace()
        .iter()
        .map(|f| f.func_name.clone())
        .collect();
    // `middle` was replaced by `boom`: the frames that were live.
    assert_eq!(
        names,
        vec![Some("boom".to_string()), Some("outer".to_string())]
    );
}

#[test]
fn an_endless_tail_call_loop_meets_its_deadline() {
    // No backward branch: only the tail call itself can notice the deadline.
    let engine = small_stack_engine();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &Linker::new(&engine),
        r#"(module (func $spin (export "spin") (param i32) (result i32)
             (return_call $spin (i32.add (local.get 0) (i32.const 1)))))"#,
    );
    let f = inst.get_typed_func::<i32, i32>(&store, "spin").unwrap();
    store.set_deadline(std::time::Instant::now() + std::time::Duration::from_millis(50));
    let err = f.call(&mut store, 0).unwrap_err();
    assert_eq!(
        err.trap().map(|t| t.code()),
        Some(TrapCode::DeadlineExceeded),
        "{err}"
    );
}

/// `v128` arguments and results take two slots: tail calls and `call_ref`
/// move both halves (they moved one slot per value, so a tail-called
/// function saw the high half as its low half and garbage above it; found
/// by the differential fuzzer once it generated SIMD with tail calls).
#[test]
fn v128_arguments_and_results_survive_tail_calls_and_call_ref() {
    let wat = r#"(module
      (type $v (func (param v128 i64) (result v128)))
      (table 1 funcref)
      (elem (i32.const 0) $add)
      (elem declare func $add)
      ;; lanes (a, b) + (k, k)
      (func $add (param v128 i64) (result v128)
        (i64x2.add (local.get 0) (i64x2.splat (local.get 1))))
      (func $pack (param i64 i64) (result v128)
        (i64x2.replace_lane 1 (i64x2.splat (local.get 0)) (local.get 1)))
      (func $lanes (param v128) (result i64)
        (i64.add (i64x2.extract_lane 0 (local.get 0))
                 (i64.mul (i64.const 1000) (i64x2.extract_lane 1 (local.get 0)))))
      (func $direct (param v128 i64) (result v128)
        (return_call $add (local.get 0) (local.get 1)))
      (func $indirect (param v128 i64) (result v128)
        (return_call_indirect (type $v) (local.get 0) (local.get 1) (i32.const 0)))
      (func $by_ref (param v128 i64) (result v128)
        (return_call_ref $v (local.get 0) (local.get 1) (ref.func $add)))
      (func $plain_ref (param v128 i64) (result v128)
        (call_ref $v (local.get 0) (local.get 1) (ref.func $add)))
      (func (export "direct") (param i64 i64 i64) (result i64)
        (call $lanes (call $direct (call $pack (local.get 0) (local.get 1)) (local.get 2))))
      (func (export "indirect") (param i64 i64 i64) (result i64)
        (call $lanes (call $indirect (call $pack (local.get 0) (local.get 1)) (local.get 2))))
      (func (export "by_ref") (param i64 i64 i64) (result i64)
        (call $lanes (call $by_ref (call $pack (local.get 0) (local.get 1)) (local.get 2))))
      (func (export "plain_ref") (param i64 i64 i64) (result i64)
        (call $lanes (call $plain_ref (call $pack (local.get 0) (local.get 1)) (local.get 2)))))"#;
    for tier in [Tier::Interp, Tier::Tiered, Tier::Jit] {
        let engine = Engine::new(Config::new().tier(tier).tier_up_threshold(1));
        let mut store = Store::new(&engine, ());
        let inst = instantiate(&mut store, &Linker::new(&engine), wat);
        for name in ["direct", "indirect", "by_ref", "plain_ref"] {
            let f = inst
                .get_typed_func::<(i64, i64, i64), i64>(&store, name)
                .unwrap();
            // (1 + 10) + 1000 * (2 + 10)
            assert_eq!(
                f.call(&mut store, (1, 2, 10)).unwrap(),
                12_011,
                "{name} {tier:?}"
            );
        }
    }
}
