//! The `load` target over a fixed seed range (deterministic; CI runs it).
//! `WASP_FUZZ_SEEDS=A..B` overrides the range.

fn range(default: std::ops::Range<u64>) -> std::ops::Range<u64> {
    std::env::var("WASP_FUZZ_SEEDS")
        .ok()
        .and_then(|s| {
            let (a, b) = s.split_once("..")?;
            Some(a.parse().ok()?..b.parse().ok()?)
        })
        .unwrap_or(default)
}

// Two halves, so the two test threads share the work.
#[test]
fn load_seeds_first_half() {
    let r = range(0..wasp_fuzz::LOAD_CI_SEEDS);
    wasp_fuzz::cli::run_range(wasp_fuzz::LOAD, r.start..r.start + (r.end - r.start) / 2);
}

#[test]
fn load_seeds_second_half() {
    let r = range(0..wasp_fuzz::LOAD_CI_SEEDS);
    wasp_fuzz::cli::run_range(wasp_fuzz::LOAD, r.start + (r.end - r.start) / 2..r.end);
}
