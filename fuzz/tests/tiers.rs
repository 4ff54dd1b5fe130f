//! The `tiers` target over a fixed seed range (deterministic; CI runs it).
//! `WASP_FUZZ_SEEDS=A..B` overrides the range.

// Two halves, so the two test threads share the work.
#[test]
fn tiers_seeds_first_half() {
    wasp_fuzz::cli::run_ci_half(wasp_fuzz::TIERS, wasp_fuzz::TIERS_CI_SEEDS, 0);
}

#[test]
fn tiers_seeds_second_half() {
    wasp_fuzz::cli::run_ci_half(wasp_fuzz::TIERS, wasp_fuzz::TIERS_CI_SEEDS, 1);
}
