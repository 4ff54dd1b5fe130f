//! Timing one workload on the engines: warm-up calls, then the best (minimum)
//! wall-clock time of N calls each, with the checksum of every call checked.

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

/// One engine's state during a measurement.
struct Contender {
    runner: Box<dyn Runner>,
    expected: Option<i64>,
    best: Option<Duration>,
}

impl Contender {
    /// Makes one call, timing it when `timed`, and checks its checksum.
    fn step(&mut self, arg: i32, timed: bool) -> Result<(), Failure> {
        let start = Instant::now();
        let value = guarded(|| self.runner.call(arg))?;
        let elapsed = start.elapsed();
        match self.expected {
            None => self.expected = Some(value),
            Some(first) if first != value => {
                return Err(Failure::Nondeterministic {
                    first,
                    later: value,
                })
            }
            Some(_) => {}
        }
        if timed {
            self.best = Some(self.best.map_or(elapsed, |b| b.min(elapsed)));
        }
        Ok(())
    }
}

/// Runs `export(arg)` of `wasm` on each engine of `kinds` according to `plan`.
///
/// The engines take turns call by call (warm-up calls first), so that a
/// change in the machine's load hits all of them alike; an engine that fails
/// drops out without stopping the others.
pub fn measure(
    kinds: &[EngineKind],
    wasm: &[u8],
    export: &str,
    arg: i32,
    plan: Plan,
) -> Vec<Result<Timing, Failure>> {
    let mut states: Vec<Result<Contender, Failure>> = kinds
        .iter()
        .map(|&kind| {
            guarded(|| engines::prepare(kind, wasm, export)).map(|runner| Contender {
                runner,
                expected: None,
                best: None,
            })
        })
        .collect();
    let calls = (0..plan.warmup)
        .map(|_| false)
        .chain((0..plan.runs.max(1)).map(|_| true));
    for timed in calls {
        for state in &mut states {
            if let Ok(contender) = state {
                if let Err(failure) = contender.step(arg, timed) {
                    *state = Err(failure);
                }
            }
        }
    }
    states
        .into_iter()
        .map(|state| {
            state.map(|c| Timing {
                best: c.best.expect("at least one timed call"),
                checksum: c.expected.expect("at least one call"),
            })
        })
        .collect()
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
