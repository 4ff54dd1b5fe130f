//! `wasp wast`: runs WebAssembly specification scripts and reports failures.
//!
//! Every failed check is printed as `file:line:col: message`, and the run
//! ends with the line `wast: N passed, M failed`. The exit code is 0 only if
//! every check of every script passed; a file that cannot be read counts as
//! one failed check.

use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  wasp wast i32.wast                    run one script
  wasp wast -v testsuite/*.wast         run many, with a summary line per file
  wasp wast -q a.wast b.wast            print only the final summary line
  wasp wast -qv testsuite/*.wast        print only the summary lines

Exit status: 0 if every check passed, 1 otherwise.";

/// Arguments of `wasp wast`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct WastArgs {
    /// The scripts to run.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Also print a `file: N passed, M failed` line for each script.
    #[arg(short, long)]
    pub verbose: bool,

    /// Do not print the failures (only the summary lines).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `wasp wast`; returns the exit code.
pub fn main(args: WastArgs) -> i32 {
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &args.files {
        match wasp_wast::run_wast_file(path) {
            Ok(report) => {
                if !args.quiet {
                    print!("{}", report.failure_list());
                }
                if args.verbose {
                    println!(
                        "{}: {} passed, {} failed",
                        report.name, report.passed, report.failed
                    );
                }
                passed += report.passed;
                failed += report.failed;
            }
            Err(e) => {
                eprintln!("wasp wast: cannot read {}: {e}", path.display());
                failed += 1;
            }
        }
    }
    println!("wast: {passed} passed, {failed} failed");
    if failed == 0 {
        0
    } else {
        1
    }
}
