//! The `tiers` target: a libFuzzer target under `cargo fuzz` (which builds
//! with `--cfg fuzzing`); otherwise a runner over seeds or saved inputs
//! (see `wasp_fuzz::cli`).
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| (wasp_fuzz::TIERS.run)(data));

#[cfg(not(fuzzing))]
fn main() {
    wasp_fuzz::cli::main(wasp_fuzz::TIERS);
}
