//! # wasp-fuzz
//!
//! Fuzz targets for the wasp engine and its WASI host. Each target is a
//! function over raw bytes that panics on a finding; the same function is
//!
//! - a libFuzzer target (`fuzz_targets/<name>.rs`, built by `cargo fuzz`, for
//!   long coverage-guided runs), and
//! - a deterministic `cargo test` over a fixed seed range (`tests/<name>.rs`,
//!   inputs from [`rng::seed_bytes`]), which CI runs.
//!
//! Targets: [`load`] (decoding and validation never panic, and agree with
//! wasmparser and wasmtime), [`diff`] (wasm-smith modules on wasp, wasmtime
//! and wasmi, compared call by call), [`control`] (our own generator of
//! nested blocks, loops and branches, aimed at the translator's loop-head
//! rewrites), [`wasi`] (random preview 1 call sequences against a scratch
//! preopen), [`tiers`] (the `diff` modules on wasp's interpreter and on its
//! compiled code, compared bit for bit). See `docs/fuzzing.md` for how to
//! run them.

pub mod cli;
pub mod control;
pub mod diff;
pub mod engines;
pub mod load;
pub mod nan;
pub mod reduce;
pub mod report;
pub mod rng;
pub mod tiers;
pub mod wasi;

pub use rng::{for_seeds, seed_bytes};

/// The load target.
pub const LOAD: cli::Target = cli::Target {
    name: "load",
    run: load::run,
    max_len: 4096,
    print: None,
};

/// The differential-execution target.
pub const DIFF: cli::Target = cli::Target {
    name: "diff",
    run: diff::run,
    max_len: 8192,
    print: Some(diff::print),
};

/// The control-flow target.
pub const CONTROL: cli::Target = cli::Target {
    name: "control",
    run: control::run,
    max_len: 4096,
    print: Some(control::print),
};

/// The interpreter-versus-compiled-code target.
pub const TIERS: cli::Target = cli::Target {
    name: "tiers",
    run: tiers::run,
    max_len: 8192,
    print: Some(tiers::print),
};

/// The WASI target.
pub const WASI: cli::Target = cli::Target {
    name: "wasi",
    run: wasi::run,
    max_len: 2048,
    print: None,
};

/// Seeds `0..N` of each target that `cargo test` runs (CI: about a minute in
/// all on two cores, release build).
pub const LOAD_CI_SEEDS: u64 = 40_000;
/// See [`LOAD_CI_SEEDS`].
pub const DIFF_CI_SEEDS: u64 = 10_000;
/// See [`LOAD_CI_SEEDS`].
pub const CONTROL_CI_SEEDS: u64 = 5_000;
/// See [`LOAD_CI_SEEDS`].
pub const WASI_CI_SEEDS: u64 = 1_500;
/// See [`LOAD_CI_SEEDS`].
pub const TIERS_CI_SEEDS: u64 = 10_000;
