//! The sampling profiler and position probes on the public API: samples
//! land in the function that burns the time, with its callers, weighted with
//! CPU time (a host call that sleeps weighs nothing, one that computes is
//! charged to its wasm caller); probes give trap backtraces and samples
//! positions; misuse is an error.

use std::sync::Arc;
use std::time::{Duration, Instant};
use wasp::*;

/// `$main` calls `$hot` (a loop of `n` iterations, counting down in local 1)
/// and then the host's `work`.
const WAT: &str = r#"(module
    (import "host" "work" (func $work))
    (func $hot (param i32) (result i32) (local i32)
      (local.set 1 (local.get 0))
      (loop $l
        (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
        (br_if $l (local.get 1)))
      (local.get 1))
    (func $main (export "main") (param i32) (result i32)
      (call $hot (local.get 0))
      (call $work))
    (func (export "trap") (param i32) (result i32)
      (if (local.get 0) (then unreachable))
      (i32.const 0)))"#;

fn spin(d: Duration) {
    let t = Instant::now();
    let mut x = 0u64;
    while t.elapsed() < d {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

/// The interpreter: every frame is on the store's stack, so samples have
/// whole call stacks (compiled code: `compiled_code_samples_name_the_leaf`).
fn setup(work: fn()) -> (Store<()>, TypedFunc<i32, i32>, Instance) {
    setup_tier(work, Tier::Interp)
}

fn setup_tier(work: fn(), tier: Tier) -> (Store<()>, TypedFunc<i32, i32>, Instance) {
    let mut config = Config::new();
    config.tier(tier);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, WAT).unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "work", move |_: Caller<'_, ()>| work())
        .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let main = inst.get_typed_func::<i32, i32>(&store, "main").unwrap();
    (store, main, inst)
}

/// Runs `$main` with loops of `n` until at least `d` of wall time passed.
fn run_for(store: &mut Store<()>, main: &TypedFunc<i32, i32>, n: i32, d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        main.call(&mut *store, n).unwrap();
    }
}

fn leaf_counts(p: &Profile) -> (u64, u64, u64) {
    let (mut hot, mut main, mut total) = (0, 0, 0);
    for s in &p.samples {
        total += s.count;
        match s.frames[0].func_index {
            1 => hot += s.count,
            2 => main += s.count,
            _ => {}
        }
    }
    (hot, main, total)
}

/// Samples taken in compiled code (at its loop headers) name the compiled
/// function as the innermost frame; compiled callers between it and the
/// interpreter are not recorded (no frame walk of native code yet).
#[test]
fn compiled_code_samples_name_the_leaf() {
    if Tier::default_for_host() != Tier::Tiered {
        return;
    }
    let (mut store, main, _) = setup_tier(|| {}, Tier::Jit);
    store.start_profiling(1000).unwrap();
    run_for(&mut store, &main, 1_000_000, Duration::from_millis(300));
    let p = store.take_profile().unwrap();
    let (hot, _, total) = leaf_counts(&p);
    assert!(total >= 10, "{total} samples in 300 ms at 1 kHz");
    assert!(hot * 10 >= total * 9, "{hot} of {total} samples in $hot");
}

#[test]
fn samples_land_in_the_hot_function_with_its_caller() {
    let (mut store, main, _) = setup(|| {});
    store.start_profiling(1000).unwrap();
    assert!(store.is_profiling());
    run_for(&mut store, &main, 1_000_000, Duration::from_millis(300));
    let p = store.take_profile().unwrap();
    assert!(!store.is_profiling());
    assert_eq!(p.hz, 1000);
    let (hot, _, total) = leaf_counts(&p);
    assert!(total >= 10, "{total} samples in 300 ms at 1 kHz");
    assert!(hot * 10 >= total * 9, "{hot} of {total} samples in $hot");
    for s in p.samples.iter().filter(|s| s.frames[0].func_index == 1) {
        let stack: Vec<u32> = s.frames.iter().map(|f| f.func_index).collect();
        assert_eq!(stack, [1, 2], "$hot called by $main");
        assert_eq!(s.frames[0].position, None, "no probe, no position");
    }
    let nanos: u64 = p.samples.iter().map(|s| s.nanos).sum();
    // 300 ms of wall time; a loaded machine may give the thread much less CPU.
    assert!(nanos > 20_000_000, "CPU time of 300 ms of work: {nanos} ns");
    assert!(p.modules.len() == 1 && p.duration >= Duration::from_millis(300));
    // Identical stacks are merged.
    let mut stacks: Vec<_> = p.samples.iter().map(|s| s.frames.clone()).collect();
    stacks.sort_by_key(|s| format!("{s:?}"));
    stacks.dedup();
    assert_eq!(stacks.len(), p.samples.len());
    assert!(store.take_profile().is_none(), "taken once");
}

#[cfg(unix)]
#[test]
fn host_time_is_charged_to_the_caller_and_sleep_weighs_nothing() {
    // CPU burnt in the host call goes to $main, the wasm frame calling it.
    let (mut store, main, _) = setup(|| spin(Duration::from_millis(20)));
    store.start_profiling(500).unwrap();
    run_for(&mut store, &main, 1, Duration::from_millis(200));
    let p = store.take_profile().unwrap();
    let (_, in_main, total) = leaf_counts(&p);
    // Without the charging, host time would land in no wasm frame (~0 of
    // the samples in $main); a loaded machine (tests in parallel) delays
    // some samples to the wasm around the calls, so 2/3 is the bar.
    assert!(
        in_main * 3 >= total * 2,
        "{in_main} of {total} samples in $main"
    );

    // Sleeping in the host call: samples are taken, but weigh little.
    let (mut store, main, _) = setup(|| std::thread::sleep(Duration::from_millis(20)));
    store.start_profiling(500).unwrap();
    run_for(&mut store, &main, 1, Duration::from_millis(200));
    let p = store.take_profile().unwrap();
    assert!(p.cpu_time);
    let nanos: u64 = p.samples.iter().map(|s| s.nanos).sum();
    assert!(nanos < 50_000_000, "sleeping 200 ms cost {nanos} ns of CPU");
}

#[test]
fn probes_give_positions_to_samples_and_backtraces() {
    let (mut store, main, inst) = setup(|| {});
    // Position: the loop counter (local 1) of $hot, local 0 elsewhere.
    let probe: PositionProbe = Arc::new(|f: &FrameView<'_>| {
        let l = if f.func_index() == 1 { 1 } else { 0 };
        assert!(f.local(99).is_none());
        assert_eq!(f.func_type().params(), [ValType::I32]);
        Some(f.local(l)? as u32 as u64 + if f.is_innermost() { 1 << 32 } else { 0 })
    });
    store.set_position_probe(Some(probe));
    store.start_profiling(1000).unwrap();
    run_for(&mut store, &main, 1_000_000, Duration::from_millis(100));
    let p = store.take_profile().unwrap();
    let s = p
        .samples
        .iter()
        .find(|s| s.frames[0].func_index == 1)
        .expect("a sample in $hot");
    let inner = s.frames[0].position.unwrap();
    assert!(inner >> 32 == 1 && (inner as u32) < 1_000_000, "{inner:#x}");
    assert_eq!(s.frames[1].position, Some(1_000_000), "$main's argument");

    let trap = inst.get_typed_func::<i32, i32>(&store, "trap").unwrap();
    let e = trap.call(&mut store, 7).unwrap_err();
    let bt = e.trap().unwrap().backtrace();
    assert_eq!(bt[0].func_index, 3);
    assert_eq!(bt[0].position, Some((1 << 32) | 7));
    store.set_position_probe(None);
    let e = trap.call(&mut store, 7).unwrap_err();
    assert_eq!(e.trap().unwrap().backtrace()[0].position, None);
}

#[test]
fn bad_rates_and_double_starts_are_errors() {
    let (mut store, _, _) = setup(|| {});
    assert!(store.take_profile().is_none());
    assert!(store.start_profiling(0).is_err());
    assert!(store.start_profiling(MAX_PROFILE_HZ + 1).is_err());
    store.start_profiling(100).unwrap();
    let e = store.start_profiling(100).unwrap_err();
    assert!(e.to_string().contains("already profiling"), "{e}");
    let p = store.take_profile().unwrap();
    assert!(p.samples.is_empty(), "nothing ran");
}

/// Reports one hidden caller (function 0 at position 42) below the
/// outermost wasm frame, and none elsewhere.
struct Hidden;

impl FrameProbe for Hidden {
    fn position(&self, f: &FrameView<'_>) -> Option<u64> {
        Some(u64::from(f.func_index()))
    }

    fn hidden_callers(
        &self,
        _: &FrameView<'_>,
        position: Option<u64>,
        caller: Option<&FrameView<'_>>,
    ) -> Vec<(u32, Option<u64>)> {
        match caller {
            None => vec![(0, position.map(|p| p + 40))],
            Some(_) => Vec::new(),
        }
    }
}

#[test]
fn hidden_callers_join_backtraces_and_samples() {
    let (mut store, main, inst) = setup(|| {});
    store.set_position_probe(Some(Arc::new(Hidden)));
    let trap = inst.get_typed_func::<i32, i32>(&store, "trap").unwrap();
    let e = trap.call(&mut store, 1).unwrap_err();
    let bt: Vec<(u32, Option<u64>)> = e
        .trap()
        .unwrap()
        .backtrace()
        .iter()
        .map(|f| (f.func_index, f.position))
        .collect();
    assert_eq!(bt, [(3, Some(3)), (0, Some(43))]);

    store.start_profiling(1000).unwrap();
    run_for(&mut store, &main, 1_000_000, Duration::from_millis(100));
    let p = store.take_profile().unwrap();
    let s = p
        .samples
        .iter()
        .find(|s| s.frames[0].func_index == 1)
        .expect("a sample in $hot");
    let stack: Vec<(u32, Option<u64>)> = s
        .frames
        .iter()
        .map(|f| (f.func_index, f.position))
        .collect();
    assert_eq!(stack, [(1, Some(1)), (2, Some(2)), (0, Some(42))]);
}
