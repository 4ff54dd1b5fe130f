//! Real Go programs under every execution tier (`wasp run --tier`): the
//! interpreter, tiered execution (the default threshold, and compiling every
//! function at its first call) and `jit` (everything compiled before `_start`)
//! print the same output and exit with the same status. hello is start-up
//! and runtime initialisation; hotloop is a compute loop (called functions
//! with long inner loops); goroutines switches goroutines over channels, which
//! unwinds and re-enters the wasm stack all the time.
//!
//! `--tier jit` compiles all of a Go binary's ~1,700 functions before
//! `_start`: seconds with an optimised build, minutes with the debug build's
//! unoptimised Cranelift on a loaded machine. So the `jit` runs happen when
//! `WASP_GO_TEST_BIN` names an optimised wasp (as for the stdlib tests, e.g.
//! `WASP_GO_TEST_BIN=target/release/wasp`); they then use that binary for
//! every tier.

mod common;

use common::*;

/// The tiers: the interpreter first (the reference), then the others.
const TIERS: [&[&str]; 4] = [
    &["--tier", "interp"],
    &["--tier", "tiered"],
    &["--tier", "tiered", "--tier-up-threshold", "1"],
    &["--tier", "jit"],
];

/// The tiers to test: all four with an optimised binary (`WASP_GO_TEST_BIN`),
/// else the three that compile lazily.
fn tiers() -> &'static [&'static [&'static str]] {
    if std::env::var_os("WASP_GO_TEST_BIN").is_some() {
        &TIERS
    } else {
        eprintln!("go_tiers: WASP_GO_TEST_BIN not set: --tier jit skipped");
        &TIERS[..3]
    }
}

/// Runs `args` under each of `tiers`; asserts every tier gives the
/// interpreter's exit status, stdout and stderr; returns the interpreter's
/// stdout.
fn same_under_tiers(tiers: &[&[&str]], args: &[String]) -> String {
    let mut expected = None;
    for &flags in tiers {
        let mut cmd = std::process::Command::new(wasp_bin_for_go());
        cmd.arg("run").args(flags).arg("--no-cache").args(args);
        cmd.env_clear();
        let out = run(cmd);
        let got = (out.code, out.stdout_str(), out.stderr_str());
        match &expected {
            None => expected = Some(got),
            Some(e) => assert_eq!(&got, e, "{flags:?} differs from --tier interp"),
        }
    }
    expected.expect("ran").1
}

#[test]
fn go_hello_is_the_same_in_every_tier() {
    let wasm = go_guest("hello").display().to_string();
    let out = same_under_tiers(tiers(), &[wasm, "a b".into(), "exit=3".into()]);
    assert!(out.starts_with("hello from wasp\nargc=3\n"), "{out}");
}

#[test]
fn go_compute_is_the_same_in_every_tier() {
    let wasm = go_guest("hotloop").display().to_string();
    let out = same_under_tiers(tiers(), &[wasm, "40".into()]);
    // The checksum of hotloop's `work(40)`, computed here.
    let mut data = vec![0u64; 4096];
    let mut sum = 0u64;
    for r in 0..40u64 {
        for (i, d) in data.iter_mut().enumerate() {
            *d = r.wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        }
        let mut h: u64 = 1469598103934665603;
        for &v in &data {
            h ^= v;
            h ^= h << 13;
            h ^= h >> 7;
            h ^= h << 17;
        }
        sum = sum.wrapping_add(h).wrapping_add(h);
    }
    assert_eq!(out, format!("{sum}\n"));
}

#[test]
fn go_goroutines_are_the_same_in_every_tier() {
    let wasm = go_guest("goroutines").display().to_string();
    let out = same_under_tiers(tiers(), &[wasm, "2000".into()]);
    assert!(out.contains("counter=64000"), "{out}");
}
