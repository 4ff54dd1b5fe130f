//! The `load` target over a fixed seed range (deterministic; CI runs it).
//! `WASP_FUZZ_SEEDS=A..B` overrides the range.

// Two halves, so the two test threads share the work.
#[test]
fn load_seeds_first_half() {
    wasp_fuzz::cli::run_ci_half(wasp_fuzz::LOAD, wasp_fuzz::LOAD_CI_SEEDS, 0);
}

#[test]
fn load_seeds_second_half() {
    wasp_fuzz::cli::run_ci_half(wasp_fuzz::LOAD, wasp_fuzz::LOAD_CI_SEEDS, 1);
}
