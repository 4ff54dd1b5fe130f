//! Timing one workload on one engine: warm-up calls, then the best (minimum)
//! wall-clock time of N calls, with the checksum of every call checked.

use crate::engines::{self, EngineKind, Runner};
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// A successful measurement.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Fastest of the timed calls.
    pub best: Duration,
    /// What every call returned.
    pub checksum: i64,
}

/// Why a measurement has no timing.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The engine could not load, instantiate or run the workload. Reported as
    /// "error" in the table; the other engine's result still counts.
    Error(String),
    /// Two calls with the same argument returned different checksums: a
    /// miscompilation. The harness aborts on this.
    Nondeterministic { first: i64, later: i64 },
}

/// How many calls to make.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Untimed calls first (the first one also pays for lazy translation).
    pub warmup: u32,
    /// Timed calls; the best one is reported.
    pub runs: u32,
}

/// Runs `export(arg)` of `wasm` on `kind` according to `plan`.
pub fn measure(
    kind: EngineKind,
    wasm: &[u8],
    export: &str,
    arg: i32,
    plan: Plan,
) -> Result<Timing, Failure> {
    let mut runner = guarded(|| engines::prepare(kind, wasm, export))?;
    let call = |runner: &mut Box<dyn Runner>| guarded(|| runner.call(arg));

    let mut expected = None;
    let mut check = |value: i64| match expected {
        None => {
            expected = Some(value);
            Ok(())
        }
        Some(first) if first == value => Ok(()),
        Some(first) => Err(Failure::Nondeterministic {
            first,
            later: value,
        }),
    };

    for _ in 0..plan.warmup {
        check(call(&mut runner)?)?;
    }
    let mut times = Vec::with_capacity(plan.runs as usize);
    for _ in 0..plan.runs.max(1) {
        let start = Instant::now();
        let value = call(&mut runner)?;
        times.push(start.elapsed());
        check(value)?;
    }
    Ok(Timing {
        best: times.into_iter().min().expect("at least one timed call"),
        checksum: expected.expect("at least one call was made"),
    })
}

/// Runs `f`, turning both its error and a panic into [`Failure::Error`], so an
/// engine that is not finished yet shows up as "error" instead of aborting.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, Failure> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(Failure::Error(message)),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(Failure::Error(format!("panicked: {message}")))
        }
    }
}

/// Geometric mean of `ratios` (`None` when empty).
pub fn geomean(ratios: &[f64]) -> Option<f64> {
    if ratios.is_empty() {
        return None;
    }
    let log_sum: f64 = ratios.iter().map(|r| r.ln()).sum();
    Some((log_sum / ratios.len() as f64).exp())
}

#[cfg(test)]
mod tests {
    use super::geomean;

    #[test]
    fn geomean_of_reciprocals_is_one() {
        let g = geomean(&[2.0, 0.5, 4.0, 0.25]).unwrap();
        assert!((g - 1.0).abs() < 1e-12);
        assert_eq!(geomean(&[]), None);
    }
}
