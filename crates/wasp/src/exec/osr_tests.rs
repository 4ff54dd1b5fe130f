//! Tests of on-stack replacement (`osr.rs`): a long loop in a call made
//! once switches to native code mid-call; the switch at any OSR point gives
//! the interpreter's results, traps (and backtraces), memory and globals;
//! interrupts stop the replaced frame; loops with operands below them are
//! never entered.

use crate::{Config, Engine, Instance, Linker, Module, Store, Tier, TrapCode, Val};
use std::time::Instant;

/// A store running `wat` under `config`.
fn setup(config: &Config, wat: &str) -> (Module, Store<()>, Instance) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, wat).expect("module");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .expect("instantiate");
    (module, store, instance)
}

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
