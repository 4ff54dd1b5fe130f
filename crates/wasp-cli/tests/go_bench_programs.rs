//! The Go benchmark programs of `scripts/go-bench.sh` (BENCHMARKS.md "Go
//! programs by tier"), `computemix` and `jsonregexp`, at a small size: the
//! interpreter, tiered execution (the default threshold, and compiling every
//! function at its first call) print the same checksums, and the parts of
//! the output that do not need a hash function are checked against values
//! computed here. (`goroutines` and `hello`, the other two programs of the
//! benchmark, are covered by `go_tiers.rs`.)

mod common;

use common::*;

/// The tiers compared: the interpreter (the reference) first.
const TIERS: [&[&str]; 3] = [
    &["--tier", "interp"],
    &["--tier", "tiered"],
    &["--tier", "tiered", "--tier-up-threshold", "1"],
];

/// Runs Go guest `name` with `args` under every tier; asserts each exits 0
/// and prints what the interpreter prints; returns that output.
fn same_under_tiers(name: &str, args: &[&str]) -> String {
    let wasm = go_guest(name);
    let mut expected: Option<String> = None;
    for flags in TIERS {
        let mut cmd = std::process::Command::new(wasp_bin_for_go());
        cmd.arg("run")
            .args(flags)
            .arg("--no-cache")
            .arg(&wasm)
            .args(args);
        cmd.env_clear();
        let out = run(cmd);
        assert_eq!(out.code, Some(0), "{name} {flags:?}: {}", out.stderr_str());
        let got = out.stdout_str();
        match &expected {
            None => expected = Some(got),
            Some(e) => assert_eq!(&got, e, "{name}: {flags:?} differs from --tier interp"),
        }
    }
    expected.expect("ran")
}

/// The xorshift32 values computemix sorts (scale 1).
fn sorted_words() -> Vec<u32> {
    let mut x: u32 = 2463534242;
    let mut xs: Vec<u32> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        })
        .collect();
    xs.sort_unstable();
    xs
}

#[test]
fn go_computemix_is_the_same_in_every_tier() {
    let out = same_under_tiers("computemix", &["1"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with("sha256 ") && lines[0].len() == 7 + 64,
        "{out}"
    );
    // sort: the same values sorted here, and their FNV-1a 64.
    let xs = sorted_words();
    let fnv = xs.iter().fold(14695981039346656037u64, |mut h, v| {
        for b in v.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(1099511628211);
        }
        h
    });
    let want = format!(
        "sort n={} min={} max={} fnv={fnv:016x}",
        xs.len(),
        xs[0],
        xs[xs.len() - 1]
    );
    assert_eq!(lines[1], want);
    // maps: the same inserts and lookups with a Rust map.
    let space = 32 * 1024u64;
    let mut m = std::collections::HashMap::new();
    let mut x: u64 = 88172645463325252;
    for _ in 0..16 * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = x % space;
        m.insert(k, k * 7);
    }
    let (mut hits, mut sum) = (0, 0u64);
    for i in 0..64 * 1024u64 {
        if let Some(v) = m.get(&(i % space)) {
            hits += 1;
            sum += v;
        }
    }
    assert_eq!(
        lines[2],
        format!("maps size={} hits={hits} sum={sum}", m.len())
    );
    // nbody: the energy of the benchmarks game's start is -0.169075164.
    assert!(
        lines[3].starts_with("nbody steps=4000 energy=-0.169075164 -0.1690"),
        "{out}"
    );
}

#[test]
fn go_jsonregexp_is_the_same_in_every_tier() {
    let out = same_under_tiers("jsonregexp", &["1"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("json bytes="), "{out}");
    assert!(lines[0].contains(" records=1000 "), "{out}");
    assert!(lines[0].ends_with(" tags=3000"), "{out}");
    // 2,000 log lines, one address each.
    assert!(lines[1].starts_with("regexp bytes="), "{out}");
    assert!(lines[1].contains(" ips=2000 "), "{out}");
}
