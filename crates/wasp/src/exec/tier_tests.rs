//! Tests of tiered execution: functions tier up after the threshold, the
//! interpreter and native code call each other, `Tier::Jit` compiles a
//! module before it runs, `Tier::Interp` (and fuel) never compile, and every
//! tier gives the same results, traps, memory and globals.

use crate::{Config, Engine, Instance, Linker, Module, Store, Tier, TrapCode, Val};
use std::time::{Duration, Instant};

const WAT: &str = r#"
(module
  (memory 1)
  (global $calls (export "calls") (mut i32) (i32.const 0))
  (func $sq (export "sq") (param i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.mul (local.get 0) (local.get 0)))
  (func $sum (export "sum") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (call $sq (local.get 0))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "store") (param i32 i32)
    (i32.store (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))
"#;

/// A store running `WAT` under `config`.
fn setup(config: &Config) -> (Module, Store<()>, Instance) {
    setup_wat(config, WAT)
}

/// A store running `wat` under `config` (also the OSR tests' setup).
pub(super) fn setup_wat(config: &Config, wat: &str) -> (Module, Store<()>, Instance) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, wat).expect("module");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .expect("instantiate");
    (module, store, instance)
}

/// Calls export `name`: raw results, or the trap.
fn call(
    store: &mut Store<()>,
    inst: &Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<u64>, TrapCode> {
    let f = inst.get_func(&*store, name).expect("export");
    let n = f.ty(&*store).results().len();
    let mut out = vec![Val::I32(0); n];
    match f.call(&mut *store, args, &mut out) {
        Ok(()) => Ok(out.into_iter().map(Val::to_raw).collect()),
        Err(e) => Err(e.trap_code().expect("a trap")),
    }
}

/// Index of export `name` among the module's defined functions.
fn def_of(module: &Module, name: &str) -> u32 {
    let info = &module.inner.info;
    let f = match info.exports.iter().find(|(n, _)| n == name) {
        Some((_, crate::EntityIndex::Func(f))) => *f,
        other => panic!("export {name}: {other:?}"),
    };
    f - info.num_imported_funcs
}

/// Waits (at most 60 s) until defined function `def` has native code.
fn wait_native(module: &Module, def: u32) {
    let start = Instant::now();
    while !module.inner.tier.is_native(def) {
        assert!(start.elapsed() < Duration::from_secs(60), "never compiled");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Memory bytes (first page) and the `calls` global.
fn state(store: &Store<()>, inst: &Instance) -> (Vec<u8>, u64) {
    let inner = &store.inner;
    let i = &inner.instances[inst.idx(inner)];
    let mem = inner.memories[i.memories[0] as usize].data[..65536].to_vec();
    let g = inner.globals[i.globals[0] as usize].value;
    (mem, g)
}

/// A script of calls covering results, traps and memory.
fn script(store: &mut Store<()>, inst: &Instance) -> Vec<Result<Vec<u64>, TrapCode>> {
    let i = Val::I32;
    let mut out = Vec::new();
    for n in [0, 1, 7, 100] {
        out.push(call(store, inst, "sum", &[i(n)]));
    }
    out.push(call(store, inst, "div", &[i(7), i(-2)]));
    out.push(call(store, inst, "div", &[i(1), i(0)]));
    out.push(call(store, inst, "div", &[i(i32::MIN), i(-1)]));
    out.push(call(store, inst, "store", &[i(65532), i(0x1234_5678)]));
    out.push(call(store, inst, "store", &[i(65533), i(1)]));
    out.push(call(store, inst, "store", &[i(8), i(-1)]));
    out
}

#[test]
fn tiered_function_gets_native_code_after_threshold() {
    // Calls only: a tick of the hotness ticker during the first call (a
    // loaded machine) would charge `sq` with far more than 5 calls.
    let config = Config::new()
        .tier(Tier::Tiered)
        .tier_up_threshold(5)
        .tier_up_by_time(false)
        .clone();
    let (module, mut store, inst) = setup(&config);
    let sq = def_of(&module, "sq");
    // 4 calls of `sq`: below the threshold, nothing queued.
    assert_eq!(call(&mut store, &inst, "sum", &[Val::I32(4)]), Ok(vec![30]));
    std::thread::sleep(Duration::from_millis(50));
    assert!(!module.inner.tier.is_native(sq));
    assert_eq!(module.engine().stats().funcs_compiled, 0);
    // The 5th call queues it; the interpreter goes on meanwhile.
    assert_eq!(call(&mut store, &inst, "sum", &[Val::I32(2)]), Ok(vec![5]));
    wait_native(&module, sq);
    assert!(module.engine().stats().funcs_compiled >= 1);
    // Interpreted `sum` now calls native `sq` (and the host calls it too).
    assert_eq!(
        call(&mut store, &inst, "sum", &[Val::I32(10)]),
        Ok(vec![385])
    );
    assert_eq!(call(&mut store, &inst, "sq", &[Val::I32(-3)]), Ok(vec![9]));
    // Native code updated the same global: 4 + 2 + 10 + 1 calls.
    assert_eq!(state(&store, &inst).1, 17);
}

#[test]
fn jit_compiles_the_module_before_it_runs() {
    let (module, mut store, inst) = setup(Config::new().tier(Tier::Jit));
    assert_eq!(module.inner.tier.native_count(), 0);
    assert_eq!(
        call(&mut store, &inst, "div", &[Val::I32(9), Val::I32(2)]),
        Ok(vec![4])
    );
    for name in ["sq", "sum", "store", "div"] {
        assert!(module.inner.tier.is_native(def_of(&module, name)), "{name}");
    }
    assert_eq!(module.engine().stats().funcs_compiled, 4);
}

#[test]
fn every_tier_gives_the_same_results_traps_memory_and_globals() {
    let tiered = Config::new()
        .tier(Tier::Tiered)
        .tier_up_threshold(1)
        .clone();
    for config in [Config::new().tier(Tier::Jit).clone(), tiered] {
        let (module, mut store, inst) = setup(&config);
        let (_, mut interp, interp_inst) = setup(Config::new().tier(Tier::Interp));
        // Twice: the second run finds native code under `Tiered` too.
        for round in 0..2 {
            if round == 1 && config.tier == Tier::Tiered {
                for name in ["sq", "sum", "store", "div"] {
                    wait_native(&module, def_of(&module, name));
                }
            }
            let expected = script(&mut interp, &interp_inst);
            assert!(expected.contains(&Err(TrapCode::IntegerDivideByZero)));
            assert!(expected.contains(&Err(TrapCode::IntegerOverflow)));
            assert!(expected.contains(&Err(TrapCode::MemoryOutOfBounds)));
            let got = script(&mut store, &inst);
            assert_eq!(got, expected, "{:?} round {round}", config.tier);
            let (mem, calls) = state(&store, &inst);
            let (want_mem, want_calls) = state(&interp, &interp_inst);
            assert!(
                mem == want_mem,
                "{:?} round {round}: memory differs",
                config.tier
            );
            assert_eq!(calls, want_calls, "{:?} round {round}: global", config.tier);
        }
        assert_eq!(module.inner.tier.native_count(), 4, "{:?}", config.tier);
    }
}

#[test]
fn interp_and_fuel_never_compile() {
    let mut fuel = Config::new();
    fuel.tier(Tier::Jit).consume_fuel(true);
    for config in [
        Config::new()
            .tier(Tier::Interp)
            .tier_up_threshold(1)
            .clone(),
        fuel,
    ] {
        let (module, mut store, inst) = setup(&config);
        if config.fuel {
            store.set_fuel(u64::MAX).expect("fuel");
        }
        for _ in 0..50 {
            call(&mut store, &inst, "sum", &[Val::I32(100)]).expect("sum");
        }
        assert_eq!(module.inner.tier.native_count(), 0);
        assert_eq!(module.engine().stats().funcs_compiled, 0);
        assert!(
            module.engine().tier_queue().get().is_none(),
            "no compiling thread"
        );
    }
}

#[test]
fn interrupt_stops_a_tiered_hot_loop() {
    let wat = r#"(module
      (func (export "spin") (param i32) (result i32)
        (loop (br_if 0 (local.get 0)))
        (i32.const 7)))"#;
    for config in [
        Config::new()
            .tier(Tier::Tiered)
            .tier_up_threshold(2)
            .clone(),
        Config::new().tier(Tier::Jit).clone(),
    ] {
        let engine = Engine::new(&config);
        let module = Module::new(&engine, wat).expect("module");
        let mut store = Store::new(&engine, ());
        let inst = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .expect("instantiate");
        for _ in 0..3 {
            assert_eq!(call(&mut store, &inst, "spin", &[Val::I32(0)]), Ok(vec![7]));
        }
        wait_native(&module, 0);
        let handle = store.interrupt_handle();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            handle.interrupt();
        });
        let start = Instant::now();
        let r = call(&mut store, &inst, "spin", &[Val::I32(1)]);
        stopper.join().expect("interrupting thread");
        assert_eq!(r, Err(TrapCode::Interrupted), "{:?}", config.tier);
        assert!(start.elapsed() < Duration::from_secs(30));
        // The store runs again afterwards.
        assert_eq!(call(&mut store, &inst, "spin", &[Val::I32(0)]), Ok(vec![7]));
    }
}

#[test]
fn a_long_running_function_tiers_up_by_time_with_few_calls() {
    // Default threshold (1,000 calls): `burn` is called a few times only, but
    // each call runs long, so the hotness ticker (`jit/ticks.rs`) queues it.
    let wat = r#"(module
      (func (export "burn") (param i32) (result i32) (local i32)
        (loop
          (local.set 1 (i32.add (local.get 1) (i32.xor (local.get 0) (i32.const 5))))
          (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 1)))"#;
    let engine = Engine::new(Config::new().tier(Tier::Tiered));
    let module = Module::new(&engine, wat).expect("module");
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .expect("instantiate");
    // The sum of (i ^ 5) for i = n..1, wrapping.
    let expect = |n: i32| (1..=n).fold(0i32, |s, i| s.wrapping_add(i ^ 5)) as u32 as u64;
    let n = 2_000_000;
    let start = Instant::now();
    let mut calls = 0;
    while !module.inner.tier.is_native(0) {
        assert!(start.elapsed() < Duration::from_secs(60), "never compiled");
        assert_eq!(
            call(&mut store, &inst, "burn", &[Val::I32(n)]),
            Ok(vec![expect(n)])
        );
        calls += 1;
    }
    assert!(calls < 1000, "{calls} calls");
    // Native now, with the same result.
    assert_eq!(
        call(&mut store, &inst, "burn", &[Val::I32(n)]),
        Ok(vec![expect(n)])
    );
    assert_eq!(
        call(&mut store, &inst, "burn", &[Val::I32(3)]),
        Ok(vec![expect(3)])
    );
}

#[test]
fn without_tier_up_by_time_only_calls_count() {
    // `spin` loops until the host says 8 ticks have passed: one long call.
    // Counted by time it would be queued at once (threshold 5); counted by
    // calls it stays interpreted, and the ticker never looks at the store.
    let wat = r#"(module
      (import "host" "done" (func $done (result i32)))
      (func (export "spin") (result i32) (local i32)
        (loop
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (br_if 0 (i32.eqz (call $done))))
        (local.get 0)))"#;
    let config = Config::new()
        .tier(Tier::Tiered)
        .tier_up_threshold(5)
        .tier_up_by_time(false)
        .clone();
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wat).expect("module");
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let start = Instant::now();
    let long = 8 * crate::jit::ticks::PERIOD;
    linker
        .func_wrap("host", "done", move || i32::from(start.elapsed() >= long))
        .expect("define");
    let inst = linker
        .instantiate(&mut store, &module)
        .expect("instantiate");
    let f = inst.get_func(&store, "spin").expect("spin");
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[], &mut out).expect("spin");
    assert!(out[0].to_raw() > 0);
    std::thread::sleep(2 * crate::jit::ticks::PERIOD);
    assert!(!module.inner.tier.is_native(0));
    assert_eq!(store.inner.stack.attention.bits() & crate::exec::HOT, 0);
    assert_eq!(module.engine().stats().funcs_compiled, 0);
}

#[test]
fn interp_stores_are_not_ticked() {
    let (module, mut store, inst) = setup(Config::new().tier(Tier::Interp));
    for _ in 0..20 {
        assert_eq!(
            call(&mut store, &inst, "sum", &[Val::I32(100)]),
            Ok(vec![338350])
        );
        std::thread::sleep(Duration::from_millis(
            2 * crate::jit::ticks::PERIOD.as_millis() as u64,
        ));
    }
    assert_eq!(store.inner.stack.attention.bits() & crate::exec::HOT, 0);
    assert_eq!(module.inner.tier.native_count(), 0);
}

#[test]
fn call_indirect_cache_sees_table_changes_and_traps_as_before() {
    // `via` calls table 0 element `i` with type (i32) -> i32 many times, so
    // the compiled caller caches its compiled callees (`jit/icache.rs`);
    // `set`/`grow` change the table between calls; the answers, traps
    // included, must be the interpreter's.
    let wat = r#"(module
      (type $t (func (param i32) (result i32)))
      (type $u (func (param i64) (result i64)))
      (table $tab 4 funcref)
      (elem (i32.const 0) $inc $dbl $wide)
      (elem declare func $neg)
      (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
      (func $dbl (type $t) (i32.mul (local.get 0) (i32.const 2)))
      (func $neg (type $t) (i32.sub (i32.const 0) (local.get 0)))
      (func $wide (type $u) (local.get 0))
      (func (export "via") (param $i i32) (param $n i32) (result i32) (local $acc i32)
        (loop
          (local.set $acc (call_indirect (type $t) (local.get $acc) (local.get $i)))
          (br_if 0 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc))
      (func (export "set") (param i32 i32)
        (table.set $tab (local.get 0)
          (select (result funcref) (ref.func $neg) (ref.func $inc) (local.get 1))))
      (func (export "grow") (param i32) (result i32)
        (table.grow $tab (ref.func $dbl) (local.get 0))))"#;
    let run = |config: &Config| {
        let engine = Engine::new(config);
        let module = Module::new(&engine, wat).expect("module");
        let mut store = Store::new(&engine, ());
        let inst = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .expect("instantiate");
        let i = Val::I32;
        let mut out = Vec::new();
        for (name, args) in [
            ("via", vec![i(0), i(100)]),
            ("via", vec![i(1), i(5)]),
            ("via", vec![i(0), i(3)]),
            ("via", vec![i(2), i(1)]), // wrong signature
            ("via", vec![i(3), i(1)]), // null
            ("via", vec![i(4), i(1)]), // out of bounds
            ("set", vec![i(0), i(1)]), // element 0: $inc -> $neg
            ("via", vec![i(0), i(3)]),
            ("set", vec![i(0), i(0)]), // and back
            ("via", vec![i(0), i(3)]),
            ("grow", vec![i(1000)]), // the table moves; element 4 is $dbl
            ("via", vec![i(4), i(3)]),
            ("via", vec![i(0), i(7)]),
            ("set", vec![i(1), i(1)]),
            ("via", vec![i(1), i(2)]),
        ] {
            out.push(call(&mut store, &inst, name, &args));
        }
        out
    };
    let outs = || crate::jit::runtime::CALL_INDIRECT_OUTS.with(|n| n.get());
    let before = outs();
    let want = run(Config::new().tier(Tier::Interp));
    assert_eq!(outs(), before, "the interpreter makes no call-outs");
    assert_eq!(want[0], Ok(vec![100]));
    assert_eq!(want[3], Err(TrapCode::BadSignature));
    assert_eq!(want[4], Err(TrapCode::IndirectCallToNull));
    assert_eq!(want[5], Err(TrapCode::UndefinedElement));
    for config in [
        Config::new().tier(Tier::Jit).clone(),
        Config::new()
            .tier(Tier::Tiered)
            .tier_up_threshold(1)
            .clone(),
    ] {
        let before = outs();
        assert_eq!(run(&config), want, "{:?}", config.tier);
        // 129 indirect calls in all; with everything compiled (`Jit`) only
        // the first call of each element, the traps and a call of a new
        // element after `set` go out (about 6).
        let made = outs() - before;
        if config.tier == Tier::Jit {
            assert!(made < 20, "{made} call-outs");
        }
    }
}
