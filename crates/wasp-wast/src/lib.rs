//! # wasp-wast
//!
//! Runs WebAssembly specification scripts (`.wast` files) on the wasp engine.
//!
//! A script is a list of directives: modules to compile and instantiate,
//! `register`s that make an instance importable, bare `invoke`s, and the
//! assertions (`assert_return`, `assert_trap`, `assert_exhaustion`,
//! `assert_invalid`, `assert_malformed`, `assert_unlinkable`, and
//! `assert_trap` on a module, the spec's "uninstantiable" case). Every
//! directive counts as one check that passes or fails; a failure never stops
//! the run, and a panic inside the engine is caught and recorded as a failure
//! of the directive that caused it.
//!
//! The `spectest` host module the scripts import from is provided with real
//! wasp host functions, globals, a table and a memory (see [`spectest`]).
//!
//! ```
//! let report = wasp_wast::run_wast_str("example.wast", r#"
//!     (assert_malformed (module quote "(func (nop") "unexpected end")
//!     (assert_invalid (module (func (result i32))) "type mismatch")
//! "#);
//! assert_eq!((report.passed, report.failed), (2, 0));
//! ```

#![warn(missing_docs)]

mod runner;
pub mod spectest;
mod values;

use std::fmt;
use std::path::Path;

pub use runner::Runner;

/// One failed check of a script, with the place of its directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 1-based line of the directive in the script.
    pub line: usize,
    /// 1-based column of the directive in the script.
    pub col: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// The outcome of running one script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The script's name (usually its path), used when printing failures.
    pub name: String,
    /// Number of directives that behaved as expected.
    pub passed: usize,
    /// Number of directives that did not (equal to `failures.len()`).
    pub failed: usize,
    /// Every failure, in script order.
    pub failures: Vec<Failure>,
}

impl Report {
    /// An empty report for the script `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Report {
            name: name.into(),
            ..Report::default()
        }
    }

    /// Did every check pass?
    pub fn ok(&self) -> bool {
        self.failed == 0
    }

    /// Number of checks run.
    pub fn total(&self) -> usize {
        self.passed + self.failed
    }

    /// Records a passed check.
    pub fn pass(&mut self) {
        self.passed += 1;
    }

    /// Records a failed check at `line:col` (1-based).
    pub fn fail(&mut self, line: usize, col: usize, message: impl Into<String>) {
        self.failed += 1;
        self.failures.push(Failure {
            line,
            col,
            message: message.into(),
        });
    }

    /// The failures, one per line, each as `name:line:col: message`.
    pub fn failure_list(&self) -> String {
        let mut out = String::new();
        for f in &self.failures {
            out.push_str(&format!("{}:{f}\n", self.name));
        }
        out
    }
}

impl fmt::Display for Report {
    /// The failure list followed by a `name: N passed, M failed` line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.failure_list())?;
        write!(
            f,
            "{}: {} passed, {} failed",
            self.name, self.passed, self.failed
        )
    }
}

/// Runs the script `text` with a default engine configuration; `name` labels
/// the report (a file name or path).
pub fn run_wast_str(name: &str, text: &str) -> Report {
    run_wast_str_with_config(name, text, &wasp::Config::default())
}

/// Runs the script `text` on an engine built from `config`.
pub fn run_wast_str_with_config(name: &str, text: &str, config: &wasp::Config) -> Report {
    Runner::new(name, text, config).run()
}

/// Reads and runs the script at `path`; the report is named after the path.
///
/// Fails only if the file cannot be read (or is not UTF-8): problems inside
/// the script are failures in the report.
pub fn run_wast_file(path: impl AsRef<Path>) -> std::io::Result<Report> {
    run_wast_file_with_config(path, &wasp::Config::default())
}

/// Reads and runs the script at `path` on an engine built from `config`
/// (e.g. another [`wasp::Tier`]); fails only if the file cannot be read.
pub fn run_wast_file_with_config(
    path: impl AsRef<Path>,
    config: &wasp::Config,
) -> std::io::Result<Report> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)?;
    Ok(run_wast_str_with_config(
        &path.display().to_string(),
        &text,
        config,
    ))
}
