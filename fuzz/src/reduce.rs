//! A small test-case reducer for findings of `diff` and `control`: deletes
//! lines and `block`/`loop`/`if` constructs of a module's text while the
//! module stays valid and still shows the finding.
//!
//! ```text
//! reduce IN.wat|IN.wasm OUT.wat FUNC [ARG...]           wasp and wasmtime disagree on FUNC(ARGS)
//! reduce --abort IN.wat|IN.wasm OUT.wat FUNC [ARG...]   wasp kills the process (host stack overflow)
//! reduce --wasmi IN.wat|IN.wasm OUT.wat FUNC [ARG...]   wasmi and wasmtime disagree (oracle bugs)
//! ```
//!
//! Arguments are as findings print them (`i64:0x..`, `f64:0x..`, `v128:0x..`), or plain i32s.
//! In `--abort` mode each candidate runs in a child process.

use crate::diff::{state_diff, FUEL, FUEL_EXPORT};
use crate::engines::{self, Limits, Outcome, V};
use std::process::Command;
use std::time::Duration;

/// Does `text` still show the finding?
type Pred<'a> = dyn FnMut(&str) -> bool + 'a;

fn valid(text: &str) -> Option<Vec<u8>> {
    let bytes = wat::parse_str(text).ok()?;
    let mut v = wasmparser::Validator::new_with_features(engines::diff_features());
    v.validate_all(&bytes).ok()?;
    Some(bytes)
}

/// wasp and wasmtime disagree (result, trap or exported state) on `func(args)`.
pub fn mismatch(bytes: &[u8], func: &str, args: &[V]) -> bool {
    mismatch_with(engines::wasp, bytes, func, args)
}

/// `engine` and wasmtime disagree on `func(args)` (`reduce --wasmi` reduces
/// oracle bugs with `engines::wasmi`).
pub fn mismatch_with(engine: engines::Instantiate, bytes: &[u8], func: &str, args: &[V]) -> bool {
    let limits = Limits {
        wasmtime_fuel: Some(20_000_000),
        deadline: Duration::from_secs(1),
        ..Limits::default()
    };
    let (Ok(mut r), Ok(mut w)) = (engines::wasmtime(bytes, &limits), engine(bytes, &limits)) else {
        return false;
    };
    r.set_global(FUEL_EXPORT, V::I32(FUEL as u32));
    w.set_global(FUEL_EXPORT, V::I32(FUEL as u32));
    let a = r.call(func, args);
    if matches!(
        a,
        Outcome::Error(_) | Outcome::Trap(engines::TrapKind::OutOfFuel)
    ) {
        return false;
    }
    let b = w.call(func, args);
    a != b || state_diff(&w.state(), &r.state()).is_some()
}

fn matching_end(lines: &[String], i: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (j, l) in lines.iter().enumerate().skip(i) {
        let t = l.trim_start();
        if t.starts_with("block") || t.starts_with("loop") || t.starts_with("if") {
            depth += 1;
        } else if t == "end" || t.starts_with("end ") {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

/// Reduces `text` while `pred` holds; returns the smallest text found.
pub fn reduce(text: &str, pred: &mut Pred) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let join = |l: &[String]| l.join("\n");
    loop {
        let before = lines.len();
        // Whole constructs, then their wrappers (keep the body).
        let mut i = 0;
        while i < lines.len() {
            if let Some(e) = matching_end(&lines, i) {
                let mut cand = lines.clone();
                cand.drain(i..=e);
                if pred(&join(&cand)) {
                    lines = cand;
                    continue;
                }
                let mut cand = lines.clone();
                cand.remove(e);
                cand.remove(i);
                if pred(&join(&cand)) {
                    lines = cand;
                    continue;
                }
            }
            i += 1;
        }
        // Chunks of lines, halving the size.
        let mut chunk = (lines.len() / 2).max(1);
        while chunk >= 1 {
            let mut i = 0;
            while i < lines.len() {
                let mut cand = lines.clone();
                cand.drain(i..(i + chunk).min(lines.len()));
                if pred(&join(&cand)) {
                    lines = cand;
                } else {
                    i += chunk;
                }
            }
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
        if lines.len() == before {
            return join(&lines);
        }
    }
}

/// Parses call arguments: `i32:0x..`, `i64:0x..`, `f32:0x..`, `f64:0x..`
/// (bit patterns, as findings print them), or a plain i32 (decimal or hex).
pub fn parse_args(args: &[String]) -> Vec<V> {
    fn num(s: &str) -> u64 {
        let s = s.split('(').next().unwrap_or(s);
        match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).expect("hex argument"),
            None => s.parse::<i64>().expect("decimal argument") as u64,
        }
    }
    args.iter()
        .map(|a| match a.split_once(':') {
            Some(("i64", x)) => V::I64(num(x)),
            Some(("f32", x)) => V::F32(num(x) as u32),
            Some(("f64", x)) => V::F64(num(x)),
            Some(("i32", x)) => V::I32(num(x) as u32),
            Some(("v128", x)) => {
                let x = x.split('(').next().unwrap_or(x);
                let h = x.strip_prefix("0x").expect("hex v128 argument");
                V::V128(u128::from_str_radix(h, 16).expect("hex v128 argument"))
            }
            _ => V::I32(num(a) as u32),
        })
        .collect()
}

fn read_text(path: &str) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if bytes.starts_with(b"\0asm") {
        crate::report::wat(&bytes)
    } else {
        String::from_utf8(bytes).expect("utf-8 text")
    }
}

/// The `reduce` binary.
pub fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--probe") {
        // Child of --abort mode: just run the call.
        let text = read_text(&args[1]);
        let bytes = valid(&text).expect("valid candidate");
        let _ = mismatch(&bytes, &args[2], &parse_args(&args[3..]));
        return;
    }
    let abort = args.first().map(String::as_str) == Some("--abort");
    if abort {
        args.remove(0);
    }
    let other: engines::Instantiate = if args.first().map(String::as_str) == Some("--wasmi") {
        args.remove(0);
        engines::wasmi
    } else {
        engines::wasp
    };
    if args.len() < 3 {
        eprintln!("usage: cargo run --release --example reduce -- [--abort | --wasmi] IN OUT FUNC [I32...]");
        std::process::exit(2);
    }
    let text = read_text(&args[0]);
    let func = args[2].clone();
    let call_args = parse_args(&args[3..]);
    let me = std::env::current_exe().expect("own path");
    let tmp = std::env::temp_dir().join(format!("wasp-reduce-{}.wat", std::process::id()));
    let mut tries = 0u64;
    let mut pred = |t: &str| -> bool {
        tries += 1;
        let Some(bytes) = valid(t) else { return false };
        if abort {
            std::fs::write(&tmp, t).expect("write candidate");
            let st = Command::new(&me)
                .arg("--probe")
                .arg(&tmp)
                .arg(&func)
                .args(&args[3..])
                .stderr(std::process::Stdio::null())
                .status()
                .expect("child runs");
            !st.success() && st.code().is_none()
        } else {
            mismatch_with(other, &bytes, &func, &call_args)
        }
    };
    if let Some(bytes) = valid(&text) {
        let limits = Limits::default();
        for (name, inst) in [
            ("wasmtime", engines::wasmtime(&bytes, &limits)),
            ("other", other(&bytes, &limits)),
        ] {
            if let Ok(mut i) = inst {
                i.set_global(FUEL_EXPORT, V::I32(FUEL as u32));
                eprintln!("{name} ({}): {:?}", i.engine(), i.call(&func, &call_args));
            }
        }
    }
    assert!(pred(&text), "the input does not show the finding");
    let out = reduce(&text, &mut pred);
    std::fs::write(&args[1], &out).expect("write output");
    eprintln!(
        "reduced {} to {} lines in {tries} tries: {}",
        text.lines().count(),
        out.lines().count(),
        args[1]
    );
}
