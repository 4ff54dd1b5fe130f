//! `wasp-bench`: runs the workloads in `bench/workloads/` on wasp and on wasmi
//! in the same process and prints each engine's best time, the ratio
//! wasp/wasmi (lower is better for wasp) and their geometric mean.
//!
//! Usage: `cargo run --release -- [--quick] [--runs N] [--warmup N]
//! [--filter NAME,...] [--engine both|wasp|wasmi] [--tier interp|tiered|jit]
//! [--markdown] [--list]`

mod engines;
mod measure;
mod report;
mod revision;
mod workloads;

use engines::EngineKind;
use measure::{Failure, Plan};
use report::Row;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
wasp-bench: the same WebAssembly workloads on wasp and on wasmi

USAGE: cargo run --release -- [OPTIONS]

OPTIONS:
  --quick             small inputs and 3 runs: a smoke test, not a measurement
  --runs N            timed calls per workload and engine; the best counts (default 5)
  --warmup N          untimed calls first (default 1)
  --filter A,B        only workloads whose name contains one of these
  --engine E          both (default), wasp or wasmi
  --tier T            wasp's tier: interp (default), tiered or jit
  --markdown          also print the results as a Markdown table
  --list              list the workloads and exit
  -h, --help          this text";

struct Options {
    quick: bool,
    plan: Plan,
    filters: Vec<String>,
    engines: Vec<EngineKind>,
    markdown: bool,
    list: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        quick: false,
        plan: Plan { warmup: 1, runs: 5 },
        filters: Vec::new(),
        engines: vec![EngineKind::Wasp, EngineKind::Wasmi],
        markdown: false,
        list: false,
    };
    let mut runs = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => opts.quick = true,
            "--runs" => runs = Some(number(&value("--runs")?)?),
            "--warmup" => opts.plan.warmup = number(&value("--warmup")?)?,
            "--filter" => {
                opts.filters = value("--filter")?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "--engine" => {
                opts.engines = match value("--engine")?.as_str() {
                    "both" => vec![EngineKind::Wasp, EngineKind::Wasmi],
                    "wasp" => vec![EngineKind::Wasp],
                    "wasmi" => vec![EngineKind::Wasmi],
                    other => return Err(format!("unknown engine {other:?}")),
                }
            }
            "--tier" => engines::set_wasp_tier(value("--tier")?.parse()?),
            "--markdown" => opts.markdown = true,
            "--list" => opts.list = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    opts.plan.runs = runs.unwrap_or(if opts.quick { 3 } else { 5 }).max(1);
    Ok(opts)
}

fn number(s: &str) -> Result<u32, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(64);
        }
    };
    let selected: Vec<_> = workloads::ALL
        .iter()
        .filter(|w| opts.filters.is_empty() || opts.filters.iter().any(|f| w.name.contains(f)))
        .collect();
    if opts.list {
        for w in &selected {
            println!("{:<18} {:>10}  {}", w.name, w.arg, w.about);
        }
        return ExitCode::SUCCESS;
    }
    if selected.is_empty() {
        eprintln!("no workload matches {:?}", opts.filters);
        return ExitCode::from(64);
    }

    println!(
        "wasp {} ({}) vs wasmi 2.0.0; {} mode, best of {} runs after {} warm-up call(s); times in ms, lower is better",
        revision::wasp_revision(),
        engines::wasp_tier().name(),
        if opts.quick { "quick" } else { "full" },
        opts.plan.runs,
        opts.plan.warmup
    );
    println!("{}", report::header());
    let mut rows = Vec::new();
    for w in selected {
        let wasm = match wat::parse_str(w.wat) {
            Ok(wasm) => wasm,
            Err(e) => {
                eprintln!("FATAL: {}: the workload does not parse: {e}", w.name);
                return ExitCode::from(2);
            }
        };
        let arg = w.arg(opts.quick);
        // wasmi first: it is the reference the wasp result is checked against.
        let kinds: Vec<EngineKind> = [EngineKind::Wasmi, EngineKind::Wasp]
            .into_iter()
            .filter(|k| opts.engines.contains(k))
            .collect();
        let results: Vec<_> = kinds
            .iter()
            .copied()
            .zip(measure::measure(&kinds, &wasm, w.export, arg, opts.plan))
            .collect();
        let pick = |kind| {
            results
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, r)| r.clone())
        };
        let wasmi = pick(EngineKind::Wasmi);
        let wasp = pick(EngineKind::Wasp);
        let row = Row {
            name: w.name,
            arg,
            wasp,
            wasmi,
        };
        println!("{}", report::line(&row));
        let _ = std::io::stdout().flush();
        if let Some(msg) = fatal(&row) {
            eprintln!("\nFATAL: {}: {msg}", row.name);
            return ExitCode::from(2);
        }
        rows.push(row);
    }

    let ratios: Vec<f64> = rows.iter().filter_map(Row::ratio).collect();
    let geomean = measure::geomean(&ratios);
    println!(
        "{:<18} {:>10} {:>12} {:>12} {:>11}  (over {} workloads)",
        "geometric mean",
        "",
        "",
        "",
        geomean.map_or_else(|| "-".to_string(), |g| format!("{g:.2}x")),
        ratios.len()
    );
    let errors = report::errors(&rows);
    if !errors.is_empty() {
        println!("\nerrors:");
        for e in errors {
            println!("  {e}");
        }
    }
    if opts.markdown {
        println!("\n{}", report::markdown(&rows, geomean));
    }
    ExitCode::SUCCESS
}

/// A disagreement that makes the numbers meaningless: the engines returned
/// different checksums, or one engine returned different ones across calls.
fn fatal(row: &Row) -> Option<String> {
    for (engine, m) in [("wasp", &row.wasp), ("wasmi", &row.wasmi)] {
        if let Some(Err(Failure::Nondeterministic { first, later })) = m {
            return Some(format!(
                "{engine} returned {first:#x} and then {later:#x} for the same input"
            ));
        }
    }
    match (&row.wasp, &row.wasmi) {
        (Some(Ok(a)), Some(Ok(b))) if a.checksum != b.checksum => Some(format!(
            "checksums differ: wasp returned {:#x}, wasmi returned {:#x}",
            a.checksum, b.checksum
        )),
        _ => None,
    }
}
