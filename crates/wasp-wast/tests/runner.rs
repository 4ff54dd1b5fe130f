//! Tests of the script runner itself: that right expectations pass, wrong ones
//! fail with a useful message at the right place, and that every directive
//! kind is handled.

use wasp_wast::{run_wast_str, Report};

fn run(text: &str) -> Report {
    run_wast_str("test.wast", text)
}

/// Asserts that `report` passed `passed` checks and failed none.
fn assert_all_pass(report: &Report, passed: usize) {
    assert!(
        report.ok(),
        "unexpected failures:\n{}",
        report.failure_list()
    );
    assert_eq!(report.passed, passed, "{report}");
}

const ADD: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))
"#;

#[test]
fn wrong_expectation_fails_with_location() {
    let text = format!(
        "{ADD}\n(assert_return (invoke \"add\" (i32.const 1) (i32.const 2)) (i32.const 3))\n\
         (assert_return (invoke \"add\" (i32.const 1) (i32.const 2)) (i32.const 4))\n"
    );
    let report = run(&text);
    assert_eq!((report.passed, report.failed), (2, 1), "{report}");
    let failure = &report.failures[0];
    assert_eq!((failure.line, failure.col), (7, 2));
    assert!(
        failure.message.contains("expected [i32:4], got [i32:3]"),
        "{}",
        failure.message
    );
    assert!(report.failure_list().starts_with("test.wast:7:2: "));
}

#[test]
fn wrong_trap_expectations_fail() {
    let text = format!(
        "{ADD}\n(assert_trap (invoke \"add\" (i32.const 1) (i32.const 2)) \"unreachable\")\n\
         (module (func (export \"f\") unreachable))\n\
         (assert_trap (invoke \"f\") \"unreachable\")\n\
         (assert_trap (invoke \"f\") \"integer overflow\")\n\
         (assert_return (invoke \"f\"))\n"
    );
    let report = run(&text);
    assert_eq!((report.passed, report.failed), (3, 3), "{report}");
    let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [6, 9, 10]);
}

#[test]
fn float_results_compare_by_bits_and_nan_patterns() {
    let text = r#"
(module
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "pnan") (result f64) (f64.const nan:0x8000000000001))
  (func (export "neg0") (result f64) (f64.const -0)))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "nan") (f32.const nan:arithmetic))
(assert_return (invoke "pnan") (f64.const nan:arithmetic))
(assert_return (invoke "pnan") (f64.const nan:canonical))
(assert_return (invoke "neg0") (f64.const -0))
(assert_return (invoke "neg0") (f64.const 0))
"#;
    let report = run(text);
    assert_eq!((report.passed, report.failed), (5, 2), "{report}");
    let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [9, 11]);
}

#[test]
fn references_compare_by_host_payload() {
    let text = r#"
(module
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "f") (result funcref) (ref.func 0))
  (func (export "null") (result funcref) (ref.null func)))
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_return (invoke "f") (ref.func))
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "null") (ref.func))
"#;
    let report = run(text);
    assert_eq!((report.passed, report.failed), (5, 2), "{report}");
    let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [7, 11]);
}

#[test]
fn register_named_modules_and_spectest() {
    let text = r#"
(module $A
  (import "spectest" "global_i32" (global $g i32))
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "memory" (memory 1))
  (import "spectest" "table" (table 10 funcref))
  (global (export "g") i32 (global.get $g))
  (func (export "get") (result i32) (call $print (i32.const 1)) (global.get $g)))
(register "a" $A)
(module $B
  (import "a" "get" (func $get (result i32)))
  (func (export "twice") (result i32) (i32.add (call $get) (call $get))))
(assert_return (invoke $A "get") (i32.const 666))
(assert_return (invoke "twice") (i32.const 1332))
(assert_return (get $A "g") (i32.const 666))
(assert_return (get "g") (i32.const 666))
"#;
    let report = run(text);
    // `(get "g")` targets $B, the current module, which has no export "g".
    assert_eq!((report.passed, report.failed), (6, 1), "{report}");
    assert_eq!(report.failures[0].line, 16);
}

#[test]
fn module_level_assertions() {
    let text = r#"
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func (i32.const))") "unexpected token")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_unlinkable (module (import "spectest" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print" (func (param i32)))) "incompatible import type")
(module (func))
(assert_invalid (module (func)) "should fail")
(assert_malformed (module quote "(func)") "should fail")
(assert_unlinkable (module (func)) "should fail")
(module binary "\00asm\01\00\00\00")
"#;
    let report = run(text);
    assert_eq!((report.passed, report.failed), (7, 3), "{report}");
    let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [8, 9, 10]);
}

#[test]
fn trapping_instantiation() {
    let text = r#"
(assert_trap (module (func $f unreachable) (start $f)) "unreachable")
(assert_trap (module (memory 1) (data (i32.const 65536) "a")) "out of bounds memory access")
(assert_trap (module (memory 1)) "out of bounds memory access")
"#;
    let report = run(text);
    assert_eq!((report.passed, report.failed), (2, 1), "{report}");
    assert_eq!(report.failures[0].line, 4);
}

#[test]
fn exhaustion() {
    let text = r#"
(module (func $f (export "f") (call $f)))
(assert_exhaustion (invoke "f") "call stack exhausted")
"#;
    assert_all_pass(&run(text), 2);
}

#[test]
fn unknown_names_fail_without_panicking() {
    let text = r#"
(invoke "nothing")
(module)
(invoke "nothing")
(invoke $Nope "f")
(register "x" $Nope)
"#;
    let report = run(text);
    assert_eq!((report.passed, report.failed), (1, 4), "{report}");
}

#[test]
fn failed_module_is_not_current() {
    let text = format!("{ADD}\n(module (func (export \"g\") (i32.const 0)))\n(invoke \"add\")\n");
    let report = run(&text);
    assert_eq!((report.passed, report.failed), (1, 2), "{report}");
}

#[test]
fn script_that_does_not_parse_is_one_failure() {
    let report = run("(module)\n(assert_return (invoke \"f\"\n");
    assert_eq!((report.passed, report.failed), (0, 1), "{report}");
    assert!(report.failures[0]
        .message
        .starts_with("cannot parse script"));
}
