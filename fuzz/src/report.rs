//! Reporting findings: a finding saves the module (binary and text) where a
//! person can rerun it, then panics with a message naming the file, so
//! libFuzzer records the input as a crash and `cargo test` fails.
//!
//! Statistics (modules run, calls compared, oracle disagreements) are counted
//! in process-wide counters that the tests print.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters, printed by the tests and the seed-range runner.
#[derive(Debug, Default)]
pub struct Counters {
    /// Inputs run.
    pub inputs: AtomicU64,
    /// Modules instantiated on the reference engine.
    pub modules: AtomicU64,
    /// Calls (or WASI calls) compared.
    pub calls: AtomicU64,
    /// Calls that trapped (on the reference engine), or WASI calls that
    /// returned a non-zero errno.
    pub traps: AtomicU64,
    /// Modules skipped (the reference engine refused them, or a stack limit).
    pub skipped: AtomicU64,
    /// Oracle disagreements where wasp sided with the reference: wasmi against
    /// wasmtime (diff, control), wasmtime against wasmparser (load).
    pub oracle_disagreements: AtomicU64,
    /// Results where only NaN bits differed and the op is exempt (see `diff`).
    pub nan_exempt: AtomicU64,
}

/// The counters.
pub static COUNTERS: Counters = Counters {
    inputs: AtomicU64::new(0),
    modules: AtomicU64::new(0),
    calls: AtomicU64::new(0),
    traps: AtomicU64::new(0),
    skipped: AtomicU64::new(0),
    oracle_disagreements: AtomicU64::new(0),
    nan_exempt: AtomicU64::new(0),
};

/// Adds `n` to a counter.
pub fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// A one-line summary of the counters.
pub fn summary() -> String {
    let c = &COUNTERS;
    let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
    format!(
        "inputs {}, modules {}, calls {} ({} trapped or errno), skipped {}, oracle disagreements {}, NaN-exempt {}",
        g(&c.inputs),
        g(&c.modules),
        g(&c.calls),
        g(&c.traps),
        g(&c.skipped),
        g(&c.oracle_disagreements),
        g(&c.nan_exempt)
    )
}

/// First disagreement messages seen per oracle-bug class (kept short).
static ORACLE_NOTES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

thread_local! {
    /// The seed being run on this thread (seed runs only), for notes.
    pub static SEED: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Records an oracle disagreement (wasmi against wasmtime); keeps the first 20.
pub fn oracle_note(msg: String) {
    let msg = match SEED.with(|s| s.get()) {
        Some(seed) => format!("seed {seed}: {msg}"),
        None => msg,
    };
    let mut v = ORACLE_NOTES.lock().unwrap_or_else(|e| e.into_inner());
    if v.len() < 20 {
        v.push(msg);
    }
}

/// The oracle disagreements recorded so far.
pub fn oracle_notes() -> Vec<String> {
    ORACLE_NOTES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ *b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Where findings are written: `$WASP_FUZZ_OUT`, else `<tmp>/wasp-fuzz`.
pub fn out_dir() -> PathBuf {
    std::env::var_os("WASP_FUZZ_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("wasp-fuzz"))
}

/// The module as text, or a note why it cannot be printed.
pub fn wat(bytes: &[u8]) -> String {
    wasmprinter::print_bytes(bytes).unwrap_or_else(|e| format!("(unprintable: {e})"))
}

/// Saves `bytes` as `<target>-<hash>.wasm` and `.wat` and panics with `msg`.
pub fn fail(target: &str, bytes: &[u8], msg: &str) -> ! {
    let dir = out_dir();
    let _ = std::fs::create_dir_all(&dir);
    let base = dir.join(format!("{target}-{:016x}", fnv(bytes)));
    let wasm = base.with_extension("wasm");
    let _ = std::fs::write(&wasm, bytes);
    let text = wat(bytes);
    let _ = std::fs::write(base.with_extension("wat"), &text);
    let short: String = if text.lines().count() <= 80 {
        text
    } else {
        let mut s: String = text.lines().take(80).collect::<Vec<_>>().join("\n");
        s.push_str("\n  ... (full text beside the .wasm)");
        s
    };
    panic!(
        "{target}: {msg}\nmodule saved to {} (and .wat):\n{short}",
        wasm.display()
    );
}

/// Panics with `msg` (for findings with no module to save).
pub fn fail_plain(target: &str, msg: &str) -> ! {
    panic!("{target}: {msg}");
}
