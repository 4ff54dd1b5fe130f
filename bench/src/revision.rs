//! Which wasp the numbers belong to: the last commit that changed
//! `crates/wasp` in the checkout the harness was built from, marked `-dirty`
//! when that directory has uncommitted changes. Read when the harness runs,
//! so rebuild before trusting it.
//! `at-revision.sh` builds against an exported tree and names the revision
//! through `WASP_BENCH_REVISION` instead.

use std::path::Path;
use std::process::Command;

/// `abc1234`, `abc1234-dirty`, or `unknown` when git is not available.
pub fn wasp_revision() -> String {
    if let Ok(rev) = std::env::var("WASP_BENCH_REVISION") {
        return rev;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["log", "-1", "--format=%h", "--", "crates/wasp"]) {
        None => "unknown".to_string(),
        Some(rev) => match git(&["status", "--porcelain", "--", "crates/wasp"]) {
            Some(changes) if !changes.is_empty() => format!("{rev}-dirty"),
            _ => rev,
        },
    }
}
