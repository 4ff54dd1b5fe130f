//! Fuel: off by default and then absent from the translated code (checked on
//! the IR, through the hidden `Module::debug_ir` dump, as in
//! `translate_shapes.rs`); when on, one charge per region of the count
//! docs/embedding.md defines, `Store::set_fuel`/`get_fuel`, the `out of fuel`
//! trap, and the same consumption on every run.

use wasp::{Caller, Config, Engine, ErrorKind, Linker, Module, Store, TrapCode};

fn fuel_engine() -> Engine {
    let mut c = Config::new();
    c.consume_fuel(true);
    Engine::new(&c)
}

/// `debug_ir` lines as (name, text).
fn ir(engine: &Engine, wat: &str, func: u32) -> Vec<(String, String)> {
    let module = Module::new(engine, wat).unwrap();
    let dump = module.debug_ir(func).unwrap();
    dump.lines()
        .skip(1)
        .map(|l| {
            let body = l.split_once(": ").unwrap().1.to_string();
            let name = body.split([' ', '{']).next().unwrap().to_string();
            (name, body)
        })
        .collect()
}

fn field(text: &str, name: &str) -> Option<isize> {
    let rest = text.split(&format!("{name}: ")).nth(1)?;
    rest.split([',', ' ', '}']).next()?.parse().ok()
}

/// A counting loop: `for i := 0; i < n; i++ {}; return i`.
const COUNT: &str = r#"(module (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $i)))"#;

/// Shapes covering every kind of region start: entry, loop heads, block and
/// if ends, else, br_if fall-through, br_table targets, calls.
const SHAPES: &[&str] = &[
    COUNT,
    r#"(module (func (param i32) (result i32)
        (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))))"#,
    r#"(module (func (param i32) (result i32)
        (block $b2 (block $b1 (block $b0 (br_table $b0 $b1 $b2 (local.get 0)))
          (return (i32.const 10))) (return (i32.const 11))) (i32.const 12)))"#,
    r#"(module (func $f (param i32) (result i32) (local.get 0))
        (func (param i32) (result i32) (call $f (i32.add (local.get 0) (i32.const 1)))))"#,
];

#[test]
fn fuel_off_translation_has_no_fuel_instructions() {
    let engine = Engine::default();
    for wat in SHAPES {
        let module = Module::new(&engine, wat).unwrap();
        for f in 0..module.func_count() as u32 {
            let code = ir(&engine, wat, f);
            assert!(
                code.iter().all(|(n, _)| n != "Fuel"),
                "fuel off must emit no charge: {code:?}"
            );
        }
    }
    // The counting loop keeps its fuel-free shape exactly (loop inversion included).
    let names: Vec<String> = ir(&engine, COUNT, 0).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["BrI32GeU", "I32AddImm", "BrI32LtU", "Br", "Return1"]
    );
}

#[test]
fn fuel_on_charges_each_region_at_its_head() {
    let code = ir(&fuel_engine(), COUNT, 0);
    let names: Vec<&str> = code.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Fuel",
            "Fuel",
            "BrI32GeU",
            "Fuel",
            "I32AddImm",
            "Br",
            "Fuel",
            "Return1"
        ],
        "{code:?}"
    );
    let amounts: Vec<isize> = code
        .iter()
        .filter(|(n, _)| n == "Fuel")
        .map(|(_, t)| field(t, "amount").unwrap())
        .collect();
    // entry: block loop | head: get get ge_u br_if | body: get const add set
    // br end (the block's `end` follows in the code: a region is what lies
    // between two region starts) | exit: get end
    assert_eq!(amounts, [2, 4, 6, 2]);
    // The back-edge pays the loop head's charge again; the exit lands on its own.
    assert_eq!(field(&code[5].1, "offset"), Some(-4), "{code:?}");
    assert_eq!(field(&code[2].1, "offset"), Some(4), "{code:?}");
}

#[test]
fn regions_that_start_at_one_place_share_one_charge() {
    // An `if` without `else` binds two labels at its end: one charge there.
    let wat = r#"(module (func (param i32) (result i32)
        (if (local.get 0) (then (nop))) (i32.const 7)))"#;
    for f in [ir(&fuel_engine(), wat, 0), ir(&fuel_engine(), SHAPES[2], 0)] {
        for (n, t) in &f {
            if n == "Fuel" {
                assert!(field(t, "amount").unwrap() > 0, "empty region: {f:?}");
            }
        }
    }
}

fn run_count(engine: &Engine, n: i32, fuel: u64) -> (wasp::Result<i32>, u64) {
    let mut store = Store::new(engine, ());
    let module = Module::new(engine, COUNT).unwrap();
    let inst = Linker::new(engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = inst.get_typed_func::<i32, i32>(&store, "count").unwrap();
    store.set_fuel(fuel).unwrap();
    let r = f.call(&mut store, n);
    (r, store.get_fuel().unwrap())
}

#[test]
fn consumption_is_the_documented_count_and_exact() {
    let engine = fuel_engine();
    // 2 + 4 per test (n + 1 tests) + 6 per iteration + 2.
    let cost = |n: u64| 2 + 4 * (n + 1) + 6 * n + 2;
    for n in [0, 1, 10, 1000] {
        let (r, left) = run_count(&engine, n as i32, 1 << 40);
        assert_eq!(r.unwrap(), n as i32);
        assert_eq!((1 << 40) - left, cost(n), "n = {n}");
        // Exactly enough runs; one unit less stops before the last region.
        let (r, left) = run_count(&engine, n as i32, cost(n));
        assert_eq!((r.unwrap(), left), (n as i32, 0));
        let (r, left) = run_count(&engine, n as i32, cost(n) - 1);
        let e = r.unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::OutOfFuel), "{e}");
        assert_eq!(left, 1, "the unpaid region (cost 2) is not charged");
    }
}

#[test]
fn out_of_fuel_stops_an_infinite_loop_with_a_clear_message() {
    let engine = fuel_engine();
    let module = Module::new(
        &engine,
        r#"(module (func $spin (export "spin") (loop $l (br $l)))
                   (func (export "ok") (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let spin = inst.get_typed_func::<(), ()>(&store, "spin").unwrap();
    store.set_fuel(1_000_000).unwrap();
    let e = spin.call(&mut store, ()).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::OutOfFuel));
    assert_eq!(e.message(), "out of fuel");
    assert!(e.to_string().starts_with("wasm trap: out of fuel"), "{e}");
    assert!(store.get_fuel().unwrap() < 2);
    // The store starts a new call with what is left: none, so even `ok` traps...
    let ok = inst.get_typed_func::<(), i32>(&store, "ok").unwrap();
    store.set_fuel(0).unwrap();
    assert_eq!(
        ok.call(&mut store, ()).unwrap_err().trap_code(),
        Some(TrapCode::OutOfFuel)
    );
    // ...until refuelled.
    store.set_fuel(10).unwrap();
    assert_eq!(ok.call(&mut store, ()).unwrap(), 1);
    assert_eq!(store.get_fuel().unwrap(), 8, "i32.const, end");
}

#[test]
fn fuel_api_fails_unless_the_engine_meters_fuel() {
    let mut store = Store::new(&Engine::default(), ());
    let e = store.set_fuel(5).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Usage));
    assert!(e.to_string().contains("consume_fuel"), "{e}");
    assert!(store.get_fuel().is_err());
    let mut store = Store::new(&fuel_engine(), ());
    assert_eq!(store.get_fuel().unwrap(), 0, "a store starts with no fuel");
    store.set_fuel(5).unwrap();
    assert_eq!(store.get_fuel().unwrap(), 5);
}

#[test]
fn host_calls_cost_only_their_call_and_nested_wasm_pays_from_the_same_store() {
    let engine = fuel_engine();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "h" (func $h))
            (func (export "leaf") (result i32) (i32.const 3))
            (func (export "f") (call $h)))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "h", |mut caller: Caller<'_, Option<wasp::Func>>| {
            let before = caller.get_fuel().unwrap();
            if let Some(leaf) = *caller.data() {
                let mut out = [wasp::Val::I32(0)];
                leaf.call(&mut caller, &[], &mut out).unwrap();
            }
            // The nested call paid 2 (i32.const, end); the host work is free.
            assert_eq!(before - caller.get_fuel().unwrap(), 2);
        })
        .unwrap();
    let mut store = Store::new(&engine, None);
    let inst = linker.instantiate(&mut store, &module).unwrap();
    *store.data_mut() = inst.get_func(&store, "leaf");
    let f = inst.get_typed_func::<(), ()>(&store, "f").unwrap();
    store.set_fuel(100).unwrap();
    f.call(&mut store, ()).unwrap();
    assert_eq!(100 - store.get_fuel().unwrap(), 2 + 2, "call, end + leaf");
}

#[test]
fn the_same_module_and_input_consume_the_same_fuel_every_run() {
    // Recursion, memory, a br_table dispatch and indirect calls.
    let wat = r#"(module (memory 1) (table 2 funcref) (elem (i32.const 0) $fib $sum)
        (type $t (func (param i32) (result i64)))
        (func $fib (param $n i32) (result i64)
          (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
            (then (i64.extend_i32_u (local.get $n)))
            (else (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                           (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
        (func $sum (param $n i32) (result i64) (local $acc i64)
          (loop $l
            (i64.store (i32.const 8) (local.get $acc))
            (local.set $acc (i64.add (i64.load (i32.const 8)) (i64.extend_i32_u (local.get $n))))
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
          (local.get $acc))
        (func (export "run") (param $k i32) (result i64)
          (block $b1 (block $b0 (br_table $b0 $b1 (local.get $k)))
            (return (call_indirect (type $t) (i32.const 18) (i32.const 0))))
          (call_indirect (type $t) (i32.const 5000) (i32.const 1))))"#;
    let measure = |k: i32| {
        let engine = fuel_engine();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let f = inst.get_typed_func::<i32, i64>(&store, "run").unwrap();
        store.set_fuel(u64::MAX).unwrap();
        let v = f.call(&mut store, k).unwrap();
        (v, u64::MAX - store.get_fuel().unwrap())
    };
    for k in [0, 1] {
        let first = measure(k);
        assert!(first.1 > 1000, "{first:?}");
        for _ in 0..3 {
            assert_eq!(measure(k), first, "run {k}");
        }
    }
    assert_eq!(measure(0).0, 2584);
    assert_eq!(measure(1).0, 5000 * 5001 / 2);
}
