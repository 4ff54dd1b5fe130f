//! Tests of on-stack replacement (`osr.rs`): a long loop in a call made
//! once switches to native code mid-call; the switch at any OSR point gives
//! the interpreter's results, traps (and backtraces), memory and globals;
//! interrupts stop the replaced frame; loops with operands below them are
//! never entered.

use crate::{Config, Engine, Instance, Linker, Module, Store, Tier, TrapCode, Val};
use std::time::Instant;

use super::tier_tests::setup_wat as setup;

/// Calls export `name`: raw results, or the trap with its backtrace's
/// function indices.
fn call(
    store: &mut Store<()>,
    inst: &Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<u64>, (TrapCode, Vec<u32>)> {
    let f = inst.get_func(&*store, name).expect("export");
    let n = f.ty(&*store).results().len();
    let mut out = vec![Val::I32(0); n];
    match f.call(&mut *store, args, &mut out) {
        Ok(()) => Ok(out.into_iter().map(Val::to_raw).collect()),
        Err(e) => {
            let t = e.trap().unwrap_or_else(|| panic!("a trap: {e}"));
            let frames = t.backtrace().iter().map(|f| f.func_index).collect();
            Err((t.code(), frames))
        }
    }
}

const LONG: &str = r#"(module
  (func (export "count") (param $n i64) (result i64) (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (local.get $acc) (i64.xor (local.get $n) (i64.const 5))))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br_if $l (i64.ne (local.get $n) (i64.const 0))))
    (local.get $acc)))"#;

/// The expected result of `count(n)`.
fn count(mut n: i64) -> i64 {
    let mut acc = 0i64;
    loop {
        acc = acc.wrapping_add(n ^ 5);
        n -= 1;
        if n == 0 {
            return acc;
        }
    }
}

#[test]
fn a_long_loop_in_a_single_call_switches_to_native_code() {
    // One call, never called again: only on-stack replacement makes it
    // native. Tiered with the ticker (the default).
    let config = Config::new().tier(Tier::Tiered).clone();
    let (module, mut store, inst) = setup(&config, LONG);
    let n = 60_000_000;
    let start = Instant::now();
    let r = call(&mut store, &inst, "count", &[Val::I64(n)]);
    let took = start.elapsed();
    assert_eq!(r, Ok(vec![count(n) as u64]));
    let stats = module.engine().stats();
    assert!(module.inner.tier.is_native(0));
    assert_eq!(stats.osr_compiled, 1, "{stats:?}");
    assert_eq!(stats.osr_entries, 1, "{stats:?}");
    eprintln!("count({n}) took {took:?}");
}

/// Locals of every type the compiler takes (i32, i64, f32 and f64 with
/// NaN payloads, funcref, externref), memory, globals, nested blocks, an
/// `if`, a loop whose head is a conditional branch (loop inversion), and a
/// trap at iteration `trap_at` (0: none) two frames deep. `t.sync` is
/// called in every iteration (the test's hook: it makes `$work` native
/// while its first call runs).
const MIX: &str = r#"(module
  (import "t" "sync" (func $sync))
  (memory 1)
  (global $g (mut i64) (i64.const 0))
  (global $h (mut f32) (f32.const 0))
  (elem declare func $work)
  (func $work (param $n i32) (param $seed i64) (param $trap_at i32)
        (result i64 f64 f32 i32 i64 i64)
    (local $a i32) (local $b i64) (local $f f32) (local $d f64) (local $x f64)
    (local $r funcref) (local $e externref)
    (local.set $f (f32.reinterpret_i32 (i32.const 0x7fa00001)))
    (local.set $d (f64.reinterpret_i64 (i64.const 0xfff0000000000123)))
    (local.set $b (local.get $seed))
    (block $exit
      (loop $l
        (br_if $exit (i32.eqz (local.get $n)))
        (call $sync)
        (local.set $b (i64.add (i64.mul (local.get $b) (i64.const 6364136223846793005))
                               (i64.const 1442695040888963407)))
        (local.set $a (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 33))))
        (i32.store (i32.and (i32.shl (local.get $a) (i32.const 2)) (i32.const 0xfffc))
                   (i32.add (local.get $a) (local.get $n)))
        (local.set $f (f32.neg (local.get $f)))
        (local.set $d (f64.copysign (local.get $d) (f64.convert_i32_s (local.get $a))))
        (local.set $x (f64.add (local.get $x) (f64.convert_i32_u (local.get $a))))
        (if (i32.and (local.get $a) (i32.const 1))
          (then (global.set $g (i64.add (global.get $g) (local.get $b))))
          (else (global.set $h (f32.add (global.get $h) (f32.const 1.5)))))
        (block $inner
          (br_if $inner (i32.and (local.get $a) (i32.const 2)))
          (local.set $r (ref.func $work))
          (block $deeper
            (br_if $deeper (i32.and (local.get $a) (i32.const 4)))
            (local.set $r (ref.null func))))
        (if (i32.eq (local.get $n) (local.get $trap_at))
          (then (drop (i32.load (i32.const -1)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $b) (local.get $d) (local.get $f) (ref.is_null (local.get $r))
    (i64.reinterpret_f64 (local.get $x)) (global.get $g))
  (func (export "outer") (param i32 i64 i32) (result i64 f64 f32 i32 i64 i64)
    (call $work (local.get 0) (local.get 1) (local.get 2))))"#;

/// Everything a run leaves behind: its outcome, memory, globals.
type Outcome = (Result<Vec<u64>, (TrapCode, Vec<u32>)>, Vec<u8>, Vec<u64>);

/// Runs `outer(args)` on a fresh instance of `MIX` under `config`. With
/// `switch_after`, the first `t.sync` waits until `$work` and its OSR
/// entries are compiled and asks for OSR after that many OSR points; the
/// number of switches is returned beside the outcome.
fn run_mix(config: &Config, args: &[Val], switch_after: Option<u32>) -> (Outcome, u64) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, MIX).expect("module");
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let m = module.clone();
    let first = std::sync::atomic::AtomicBool::new(true);
    linker
        .func_wrap("t", "sync", move |caller: crate::Caller<'_, ()>| {
            let Some(skip) =
                switch_after.filter(|_| first.swap(false, std::sync::atomic::Ordering::Relaxed))
            else {
                return;
            };
            let start = Instant::now();
            while !m.inner.tier.is_native(0) {
                assert!(start.elapsed().as_secs() < 60, "never compiled");
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            assert!(compile_entries(&m, 0) >= 4);
            super::osr::SKIP.with(|s| s.set(skip));
            let stack = &mut caller.store.inner.stack;
            stack.attention.raise_quiet(super::OSR);
            stack.osr_tries = u32::MAX;
        })
        .expect("define");
    let inst = linker
        .instantiate(&mut store, &module)
        .expect("instantiate");
    let r = call(&mut store, &inst, "outer", args);
    super::osr::SKIP.with(|s| s.set(0));
    let inner = &store.inner;
    let i = &inner.instances[inst.idx(inner)];
    let mem = inner.memories[i.memories[0] as usize].data[..65536].to_vec();
    let globals = i
        .globals
        .iter()
        .map(|&g| inner.globals[g as usize].value)
        .collect();
    ((r, mem, globals), engine.stats().osr_entries)
}

/// Waits until every OSR entry of defined function `def` that compiles is
/// compiled; returns how many there are.
fn compile_entries(module: &Module, def: u32) -> usize {
    let m = &module.inner;
    let code = m.compiled_func(def).expect("translates");
    let start = Instant::now();
    loop {
        let ready = code
            .osr
            .iter()
            .filter(|&&(_, p)| m.tier.osr_entry(m, def, p).is_some())
            .count();
        if ready == code.osr.len() || start.elapsed() > std::time::Duration::from_secs(20) {
            return ready;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn osr_at_any_point_gives_the_interpreters_results_traps_memory_and_globals() {
    let interp = Config::new().tier(Tier::Interp).clone();
    // `$work` is queued at its first call; nothing else tiers up.
    let tiered = Config::new()
        .tier(Tier::Tiered)
        .tier_up_threshold(1)
        .tier_up_by_time(false)
        .clone();
    // (iterations, seed, trap at); each switched after passing `skip` OSR
    // points (several per iteration).
    let runs: &[(i32, i64, i32)] = &[(40, 1, 0), (57, -3, 0), (33, 99, 5), (64, 7, 40)];
    let mut entered = 0;
    for (case, &(n, seed, trap_at)) in runs.iter().enumerate() {
        let args = [Val::I32(n), Val::I64(seed), Val::I32(trap_at)];
        let (want, _) = run_mix(&interp, &args, None);
        assert_eq!(want.0.is_err(), trap_at != 0, "{:?}", want.0);
        if let Err((_, frames)) = &want.0 {
            assert_eq!(frames, &vec![1, 2]);
        }
        for skip in [0u32, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 10_000] {
            let skip = skip.wrapping_mul(case as u32 + 1) % 400;
            let (got, switched) = run_mix(&tiered, &args, Some(skip));
            entered += switched;
            assert_eq!(got.0, want.0, "case {case}, skip {skip}");
            assert!(got.1 == want.1, "memory differs: case {case}, skip {skip}");
            assert_eq!(got.2, want.2, "globals: case {case}, skip {skip}");
        }
    }
    // Most runs switched (late skips outlast short loops).
    assert!(entered >= 30, "{entered} switches");
}

#[test]
fn a_loop_with_operands_below_it_is_no_osr_point_and_stays_correct() {
    let wat = r#"(module
      (func (export "stacked") (param $n i32) (result i32)
        (i32.const 100)
        (loop $l
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (local.get $n)))
        (i32.const 1)
        (i32.add)))"#;
    // One long call: the ticker makes it native and asks for OSR, which
    // finds no point to enter.
    let config = Config::new().tier(Tier::Tiered).clone();
    let (module, mut store, inst) = setup(&config, wat);
    assert!(module
        .inner
        .compiled_func(0)
        .expect("translates")
        .osr
        .is_empty());
    let n = if cfg!(debug_assertions) {
        20_000_000
    } else {
        200_000_000
    };
    assert_eq!(
        call(&mut store, &inst, "stacked", &[Val::I32(n)]),
        Ok(vec![101])
    );
    assert!(module.inner.tier.is_native(0));
    assert_eq!(module.engine().stats().osr_entries, 0);
}

#[test]
fn an_interrupt_stops_a_frame_that_switched_to_native_code() {
    let wat = r#"(module
      (func $spin (param i32) (result i32)
        (loop (br_if 0 (local.get 0)))
        (i32.const 7))
      (func (export "run") (param i32) (result i32) (call $spin (local.get 0))))"#;
    let config = Config::new().tier(Tier::Tiered).clone();
    let (module, mut store, inst) = setup(&config, wat);
    let handle = store.interrupt_handle();
    let engine = module.engine().clone();
    let stopper = std::thread::spawn(move || {
        let start = Instant::now();
        while engine.stats().osr_entries == 0 && start.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        handle.interrupt();
    });
    let r = call(&mut store, &inst, "run", &[Val::I32(1)]);
    stopper.join().expect("interrupting thread");
    assert_eq!(module.engine().stats().osr_entries, 1);
    // The compiled frame, then its interpreted caller.
    assert_eq!(r, Err((TrapCode::Interrupted, vec![0, 1])));
    assert_eq!(call(&mut store, &inst, "run", &[Val::I32(0)]), Ok(vec![7]));
}
