//! The command line of the target binaries when they are not built for
//! libFuzzer, and the seed-range runner the tests use.
//!
//! ```text
//! <target> --seeds 0..1000        run seeds (deterministic inputs)
//! <target> --minutes 30 [--from N] run consecutive seeds from N for 30 minutes
//! <target> --print SEED           print the module seed SEED generates (diff, control)
//! <target> FILE...                run saved inputs (e.g. libFuzzer crash files)
//! ```

use crate::report;
use std::time::{Duration, Instant};

/// One target: its name, entry point and maximum input length.
#[derive(Clone, Copy)]
pub struct Target {
    /// The target's name (`load`, `diff`, `control`, `wasi`).
    pub name: &'static str,
    /// The entry point (panics on a finding).
    pub run: fn(&[u8]),
    /// Inputs of seed runs are at most this long.
    pub max_len: usize,
    /// Prints the module an input generates, if the target generates one.
    pub print: Option<fn(&[u8]) -> String>,
}

/// Runs half `half` (0 or 1) of target `t`'s CI seed range `0..ci_seeds`, or of
/// `WASP_FUZZ_SEEDS=A..B` when set: the seed tests split each range in two so
/// both test threads share the work.
pub fn run_ci_half(t: Target, ci_seeds: u64, half: u64) {
    let r = std::env::var("WASP_FUZZ_SEEDS")
        .ok()
        .and_then(|s| {
            let (a, b) = s.split_once("..")?;
            Some(a.parse().ok()?..b.parse().ok()?)
        })
        .unwrap_or(0..ci_seeds);
    let mid = r.start + (r.end - r.start) / 2;
    run_range(t, if half == 0 { r.start..mid } else { mid..r.end });
}

/// Runs `t` on every seed in `seeds`; prints a summary line at the end. With
/// `WASP_FUZZ_TRACE` set, prints each seed before running it (to find the
/// seed of a crash that kills the process, such as a host stack overflow).
pub fn run_range(t: Target, seeds: std::ops::Range<u64>) {
    let trace = std::env::var_os("WASP_FUZZ_TRACE").is_some();
    let start = Instant::now();
    let (a, b) = (seeds.start, seeds.end);
    crate::rng::for_seeds(seeds, t.max_len, |seed, data| {
        if trace {
            eprintln!("{}: seed {seed}", t.name);
        }
        run_one(t, seed, data);
    });
    eprintln!(
        "{}: seeds {a}..{b} in {:.1}s: {}",
        t.name,
        start.elapsed().as_secs_f64(),
        report::summary()
    );
    for n in report::oracle_notes() {
        eprintln!("  oracle: {n}");
    }
}

fn run_one(t: Target, seed: u64, data: &[u8]) {
    report::SEED.with(|s| s.set(Some(seed)));
    if let Err(p) = std::panic::catch_unwind(|| (t.run)(data)) {
        eprintln!(
            "{}: FINDING at seed {seed} (rerun: {} --seeds {seed}..{})",
            t.name,
            t.name,
            seed + 1
        );
        std::panic::resume_unwind(p);
    }
}

fn parse_range(s: &str) -> Option<std::ops::Range<u64>> {
    let (a, b) = s.split_once("..")?;
    Some(a.parse().ok()?..b.parse().ok()?)
}

/// The `main` of a target binary built without libFuzzer.
pub fn main(t: Target) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--seeds") => {
            let r = args
                .get(1)
                .and_then(|s| parse_range(s))
                .unwrap_or_else(|| usage(t));
            run_range(t, r);
        }
        Some("--minutes") => {
            let mins: f64 = args
                .get(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| usage(t));
            let from: u64 = match args.get(2).map(String::as_str) {
                Some("--from") => args
                    .get(3)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage(t)),
                _ => 0,
            };
            let end = Instant::now() + Duration::from_secs_f64(mins * 60.0);
            let mut seed = from;
            let start = Instant::now();
            while Instant::now() < end {
                run_range_quiet(t, seed..seed + 1000);
                seed += 1000;
                eprintln!(
                    "{}: seeds {from}..{seed} after {:.0}s: {}",
                    t.name,
                    start.elapsed().as_secs_f64(),
                    report::summary()
                );
            }
            for n in report::oracle_notes() {
                eprintln!("  oracle: {n}");
            }
        }
        Some("--print") => {
            let seed: u64 = args
                .get(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| usage(t));
            let Some(p) = t.print else { usage(t) };
            println!("{}", p(&crate::rng::seed_bytes(seed, t.max_len)));
        }
        Some(_) => {
            for f in &args {
                let data = std::fs::read(f).unwrap_or_else(|e| panic!("{f}: {e}"));
                (t.run)(&data);
                eprintln!("{f}: ok");
            }
            if let Some(p) = t.print {
                if let [f] = &args[..] {
                    println!("{}", p(&std::fs::read(f).unwrap_or_default()));
                }
            }
        }
        None => usage(t),
    }
}

fn run_range_quiet(t: Target, seeds: std::ops::Range<u64>) {
    crate::rng::for_seeds(seeds, t.max_len, |seed, data| run_one(t, seed, data));
}

fn usage(t: Target) -> ! {
    eprintln!(
        "usage: {0} --seeds A..B | {0} --minutes M [--from SEED] | {0} --print SEED | {0} FILE...",
        t.name
    );
    std::process::exit(2)
}
