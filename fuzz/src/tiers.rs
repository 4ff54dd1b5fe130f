//! Differential execution between wasp's tiers: the `diff` target's
//! wasm-smith modules and calls, run by the interpreter (`Tier::Interp`) and
//! by compiled code (`Tier::Jit`, which compiles every function the compiler
//! supports before the first call). Results (bit patterns), traps, and the
//! exported memories, globals and tables must be identical after every call:
//! both tiers follow one NaN policy, so nothing is exempt.

use crate::diff::{self, FUEL, FUEL_EXPORT};
use crate::engines::{self, Limits, Outcome, TrapKind, V};
use crate::report::{self, bump, COUNTERS};
use arbitrary::{Result, Unstructured};

/// libFuzzer entry: never fails on short input, panics on a finding.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = check(&mut u);
}

/// Generates a module and calls (as `diff` does) and compares the tiers.
pub fn check(u: &mut Unstructured) -> Result<()> {
    bump(&COUNTERS.inputs, 1);
    let bytes = diff::generate(u)?;
    let exports = engines::func_exports(&bytes);
    let mut calls = Vec::new();
    if !exports.is_empty() {
        for _ in 0..u.int_in_range(1..=12)? {
            let i = u.choose_index(exports.len())?;
            let args = exports[i]
                .params
                .iter()
                .map(|t| diff::arg(u, *t))
                .collect::<Result<Vec<_>>>()?;
            calls.push((i, args));
        }
    }
    if let Err(msg) = compare(&bytes, &exports, &calls) {
        report::fail("tiers", &bytes, &msg);
    }
    Ok(())
}

fn compare(
    bytes: &[u8],
    exports: &[engines::FuncExport],
    calls: &[(usize, Vec<V>)],
) -> std::result::Result<(), String> {
    let limits = Limits::default();
    let interp = engines::wasp_in(bytes, &limits, Some(wasp::Tier::Interp));
    let jit = engines::wasp_in(bytes, &limits, Some(wasp::Tier::Jit));
    bump(&COUNTERS.modules, 1);
    let (mut interp, mut jit) = match (interp, jit) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(a), Err(b)) if a == b => return Ok(()),
        (a, b) => {
            let show = |x: &std::result::Result<Box<dyn engines::Instance>, Outcome>| match x {
                Ok(_) => "instantiated".to_string(),
                Err(o) => format!("{o:?}"),
            };
            return Err(format!(
                "instantiation: interp {} / jit {}",
                show(&a),
                show(&b)
            ));
        }
    };
    if let Some(msg) = diff::state_diff(&jit.state(), &interp.state()) {
        return Err(format!("after instantiation: {msg}"));
    }
    for (step, (i, args)) in calls.iter().enumerate() {
        let f = &exports[*i];
        for inst in [&mut interp, &mut jit] {
            inst.set_global(FUEL_EXPORT, V::I32(FUEL as u32));
        }
        let a = interp.call(&f.name, args);
        let b = jit.call(&f.name, args);
        bump(&COUNTERS.calls, 1);
        if matches!(a, Outcome::Trap(_)) {
            bump(&COUNTERS.traps, 1);
        }
        // The tiers' stacks differ (slots vs native frames): one running out
        // where the other does not ends the comparison, inconclusive.
        let limit = |o: &Outcome| {
            matches!(
                o,
                Outcome::Trap(TrapKind::StackOverflow | TrapKind::Interrupted)
            )
        };
        if limit(&a) || limit(&b) {
            bump(&COUNTERS.skipped, 1);
            return Ok(());
        }
        let call = format!("call #{step} {}", f.name);
        if a != b {
            return Err(format!("{call}: interp {a:?} / jit {b:?}"));
        }
        if let Some(msg) = diff::state_diff(&jit.state(), &interp.state()) {
            return Err(format!("{call}: returned {a:?}; then {msg}"));
        }
    }
    Ok(())
}

/// The module an input generates, as text (for `tiers --print`).
pub fn print(data: &[u8]) -> String {
    diff::print(data)
}
