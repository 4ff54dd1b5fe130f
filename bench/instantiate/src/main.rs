//! `wasp-instantiate-bench`: per-request instantiation on wasp and on
//! wasmtime 48 (`InstancePre`; default and pooling allocators), over each
//! engine's public API and the same minimal in-memory WASI host code:
//!
//! - instantiate: a fresh store + `InstancePre::instantiate` (median of N),
//! - request: store + instantiate + `_start` with output captured + drop,
//! - idle: the resident memory of 1,000 live instances (each engine in a
//!   child process of its own, so peaks do not mix).
//!
//! Usage: `wasp-instantiate-bench [--runs N] [--idle N] [--markdown] [--engines wasp,wasmtime]
//! NAME=MODULE.wasm...` (`--engines` keeps only the engines listed; the ratios need `wasp`;
//! `--request-runs N` times N requests instead of `--runs`, for profiling;
//! `--warmup N`: requests before timing, default 1,000, see `main`;
//! `WASP_BENCH_NO_POOL=1` turns wasp's memory pool off, `Config::memory_pool(0, 0)`).
//! `--gc MODULE.wat [N]`: a GC allocation loop on both engines (`gc.rs`).
//! The log line of each engine also gives the minor page faults per request.
//! (`bench/instantiate/run.sh` builds the Go and C guests and runs it.)

mod engines;
mod gc;
mod wasi;

use engines::{Runner, Wasmtime, Wasp};
use std::time::{Duration, Instant};

const ENGINES: [&str; 3] = ["wasp", "wasmtime", "wasmtime-pooling"];

fn runner(engine: &str, path: &str) -> Box<dyn Runner> {
    match engine {
        "wasp" => Box::new(Wasp::new(path)),
        "wasmtime" => Box::new(Wasmtime::new(path, false)),
        "wasmtime-pooling" => Box::new(Wasmtime::new(path, true)),
        other => panic!("unknown engine {other}"),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Resident and peak resident set (KiB) from /proc/self/status.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Child mode: prints the RSS growth of `n` idle instances, in KiB.
/// Minor page faults of this process so far (/proc/self/stat's 10th field).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name may hold spaces: count from after its ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn idle_child(engine: &str, path: &str, n: usize) {
    let r = runner(engine, path);
    drop(r.instantiate()); // the module's lazily prepared state
    let (before, _) = rss_kib();
    let live: Vec<_> = (0..n).map(|_| r.instantiate()).collect();
    let (after, peak) = rss_kib();
    println!("{} {}", after.saturating_sub(before), peak);
    drop(live);
}

fn idle_in_child(engine: &str, path: &str, n: usize) -> Option<(u64, u64)> {
    let out = std::process::Command::new(std::env::current_exe().ok()?)
        .args(["--idle-child", engine, path, &n.to_string()])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("{engine}: idle child failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace().map(|v| v.parse().ok());
    Some((it.next()??, it.next()??))
}

/// `--calls MODULE`: the call path of wasp's interpreter: the best of 7
/// runs of the module's `_start` (a call-heavy export such as a recursive
/// fib), interpreter only, in a fresh store each.
fn calls(path: &str) {
    let mut config = wasp::Config::new();
    config.tier(wasp::Tier::Interp);
    let engine = wasp::Engine::new(&config);
    let module = wasp::Module::from_file(&engine, path).expect("wasp: load");
    let best = (0..7)
        .map(|_| {
            let mut store = wasp::Store::new(&engine, ());
            let inst = wasp::Instance::new(&mut store, &module, &[]).expect("instantiate");
            let f = inst.get_typed_func::<(), ()>(&store, "_start").expect("_start");
            let t = Instant::now();
            f.call(&mut store, ()).expect("call");
            t.elapsed()
        })
        .min()
        .unwrap();
    println!("calls: best of 7 {:.2} ms", best.as_secs_f64() * 1e3);
}

struct Row {
    module: String,
    engine: &'static str,
    instantiate: Duration,
    request: Duration,
    idle: Option<(u64, u64)>,
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--idle-child") {
        idle_child(&args[1], &args[2], args[3].parse().unwrap());
        return;
    }
    if args.first().map(String::as_str) == Some("--calls") {
        calls(&args[1]);
        return;
    }
    if args.first().map(String::as_str) == Some("--gc") {
        gc::run(&args[1], args.get(2).map_or(1_000_000, |n| n.parse().expect("N")));
        return;
    }
    let (mut runs, mut idle, mut markdown, mut modules) = (200usize, 1000usize, false, Vec::new());
    let mut engines: Vec<&str> = ENGINES.to_vec();
    let mut request_runs = None;
    let mut warmup = 1000usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--idle" => idle = it.next().and_then(|v| v.parse().ok()).expect("--idle N"),
            "--markdown" => markdown = true,
            "--request-runs" => {
                request_runs = Some(it.next().and_then(|v| v.parse().ok()).expect("--request-runs N"))
            }
            "--warmup" => warmup = it.next().and_then(|v| v.parse().ok()).expect("--warmup N"),
            "--engines" => {
                let list = it.next().expect("--engines a,b");
                engines.retain(|e| list.split(',').any(|x| x == *e));
            }
            m => {
                let (name, path) = m.split_once('=').expect("NAME=MODULE.wasm");
                modules.push((name.to_string(), path.to_string()));
            }
        }
    }
    assert!(!modules.is_empty(), "usage: wasp-instantiate-bench [--runs N] [--idle N] [--markdown] NAME=MODULE.wasm...");
    let mut rows = Vec::new();
    for (name, path) in &modules {
        for &engine in &engines {
            let r = runner(engine, path);
            let out = r.request();
            assert!(!out.is_empty(), "{engine} {name}: no output");
            // Warm up to the steady state of a stream of requests, the same
            // for every engine: lazy translation, prepared images, allocator
            // pools, and for wasp's default tier the per-module call counts
            // that queue hot functions for compilation (a function called
            // once per request reaches the default threshold of 1,000 calls
            // after 1,000 requests); then a pause for background compiles.
            for _ in 0..warmup {
                r.request();
            }
            // Then until the background compiles are done (on a loaded
            // machine the niced compiler lags): no progress in 3 checks
            // 200 ms apart, or 20 s.
            let settle = Instant::now();
            let (mut work, mut still) = (r.background_work(), 0);
            while still < 3 && settle.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(200));
                let now = r.background_work();
                still = if now == work { still + 1 } else { 0 };
                work = now;
            }
            let inst: Vec<Duration> = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    let live = r.instantiate();
                    let d = t.elapsed();
                    drop(live);
                    d
                })
                .collect();
            let faults = minor_faults();
            let n_req = request_runs.unwrap_or(runs).max(1);
            let req: Vec<Duration> = (0..n_req)
                .map(|_| {
                    let t = Instant::now();
                    let out = r.request();
                    let d = t.elapsed();
                    assert!(!out.is_empty());
                    d
                })
                .collect();
            let faults = (minor_faults() - faults) as f64 / n_req as f64;
            let note = r.note();
            if !note.is_empty() {
                eprintln!("{name:>8} {engine}: {note}");
            }
            drop(r);
            let row = Row {
                module: name.clone(),
                engine,
                instantiate: median(inst),
                request: median(req),
                idle: idle_in_child(engine, path, idle),
            };
            eprintln!(
                "{name:>8} {engine:<17} instantiate {:>8} µs  request {:>9} µs ({faults:.0} page faults)  idle x{idle} {:?}",
                us(row.instantiate),
                us(row.request),
                row.idle
            );
            rows.push(row);
        }
    }
    println!();
    println!("module   engine             instantiate µs   request µs   {idle} idle: RSS MiB   ratio wasp/this (inst, req, idle)");
    for r in &rows {
        let wasp = rows
            .iter()
            .find(|w| w.module == r.module && w.engine == "wasp")
            .unwrap();
        let ratio = |a: f64, b: f64| format!("{:.2}", a / b);
        let idle_mib = |r: &Row| r.idle.map_or(f64::NAN, |(d, _)| d as f64 / 1024.0);
        println!(
            "{:<8} {:<18} {:>14} {:>12} {:>18.1}   {}, {}, {}",
            r.module,
            r.engine,
            us(r.instantiate),
            us(r.request),
            idle_mib(r),
            ratio(wasp.instantiate.as_secs_f64(), r.instantiate.as_secs_f64()),
            ratio(wasp.request.as_secs_f64(), r.request.as_secs_f64()),
            ratio(idle_mib(wasp), idle_mib(r)),
        );
    }
    if markdown {
        println!();
        println!("| module | engine | instantiate (µs, median of {runs}) | request (µs) | {idle} idle instances (RSS MiB) | wasp / this: instantiate, request, idle |");
        println!("|---|---|---:|---:|---:|---|");
        for r in &rows {
            let wasp = rows
                .iter()
                .find(|w| w.module == r.module && w.engine == "wasp")
                .unwrap();
            let idle_mib = |r: &Row| r.idle.map_or(f64::NAN, |(d, _)| d as f64 / 1024.0);
            println!(
                "| {} | {} | {} | {} | {:.1} | {:.2}, {:.2}, {:.2} |",
                r.module,
                r.engine,
                us(r.instantiate),
                us(r.request),
                idle_mib(r),
                wasp.instantiate.as_secs_f64() / r.instantiate.as_secs_f64(),
                wasp.request.as_secs_f64() / r.request.as_secs_f64(),
                idle_mib(wasp) / idle_mib(r),
            );
        }
    }
}
