//! A C program using SIMD (`tests/guests/c/simd/simd.c`: auto-vectorised loops plus explicit
//! `wasm_simd128.h` intrinsics over a few MB) compiled by `zig cc -msimd128` runs under
//! `wasp run` with exactly the output of the same source compiled natively (where the
//! intrinsics fall back to a scalar reference with the same lane order), under every tier;
//! `wasp inspect` reports its `simd` use.

mod common;

use common::*;
use std::process::Command;

const SRC: &str = "tests/guests/c/simd/simd.c";

/// The number of SIMD (0xfd-prefixed) operators in the module's code.
fn simd_operators(wasm: &[u8]) -> usize {
    let mut n = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                let (_, offset) = ops.read_with_offset().unwrap();
                n += (wasm[offset as usize] == 0xfd) as usize;
            }
        }
    }
    n
}

#[test]
fn c_simd_program_matches_native() {
    let wasm = c_build(
        SRC,
        "simd",
        "wasm",
        &["--target=wasm32-wasi", "-msimd128", "-ffp-contract=off"],
    );
    let native = c_build(SRC, "simd", "native", &["-ffp-contract=off", "-lm"]);
    let out = Command::new(&native).output().unwrap();
    assert!(out.status.success(), "native build failed: {out:?}");
    let expected = String::from_utf8(out.stdout).unwrap();
    assert_eq!(expected.lines().count(), 8, "{expected}");

    // The loops really were vectorised and the intrinsics emitted.
    let bytes = std::fs::read(&wasm).unwrap();
    let n = simd_operators(&bytes);
    assert!(n >= 100, "only {n} SIMD operators in {}", wasm.display());

    // `wasp inspect` reports the feature, with the operators' count.
    let o = Command::new(wasp_bin())
        .args(["inspect", "--json"])
        .arg(&wasm)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let report = String::from_utf8(o.stdout).unwrap();
    let features = report
        .split_once(r#""features":"#)
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .unwrap_or_else(|| panic!("no features in {report}"));
    assert!(features.contains(r#""simd""#), "{features}");
    assert!(report.contains(r#""v128.load""#), "{report}");

    for tier in ["interp", "tiered", "jit"] {
        let o = run(wasp_run([
            "--tier",
            tier,
            "--no-cache",
            &wasm.display().to_string(),
        ]));
        o.assert_code(0).assert_stdout(&expected);
    }
}
