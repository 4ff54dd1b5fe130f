//! `wasp wast`: runs WebAssembly specification scripts and reports failures.
//!
//! Every failed check is printed as `file:line:col: message`, and the run
//! ends with the line `wast: N passed, M failed`. The exit code is 0 only if
//! every check of every script passed; a file that cannot be read counts as
//! one failed check, and output that cannot be written (a closed pipe, a full
//! disk) makes the exit code 1 as well.

use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  wasp wast i32.wast                    run one script
  wasp wast -v testsuite/*.wast         run many, with a summary line per file
  wasp wast -q a.wast b.wast            print only the final summary line
  wasp wast -qv testsuite/*.wast        print only the summary lines
  wasp wast --tier jit i32.wast         run it with every function compiled first
  wasp wast --tier tiered --tier-up-threshold 1 i32.wast
                                        compile each function at its first call
  wasp wast --no-multi-memory memory.wast
                                        run a WebAssembly 2.0 script (one memory)

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

    /// How functions run: interp, tiered or jit (as `wasp run --tier`).
    #[arg(long, value_name = "TIER", value_parser = crate::run::parse_tier)]
    pub tier: Option<wasp::Tier>,

    /// Under `--tier tiered`: compile a function at its N-th call (1 = the first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub tier_up_threshold: Option<u32>,

    /// Reject modules with more than one memory, as WebAssembly 2.0 does
    /// (its scripts, and the memory64 proposal's, expect that).
    #[arg(long)]
    pub no_multi_memory: bool,
}

/// Runs `wasp wast`; returns the exit code.
pub fn main(args: WastArgs) -> i32 {
    let mut config = wasp::Config::new();
    crate::run::apply_tier(&mut config, args.tier, args.tier_up_threshold);
    config.wasm_multi_memory(!args.no_multi_memory);
    let (mut passed, mut failed) = (0usize, 0usize);
    // Output goes out after each script; after a failed write the scripts
    // still run, but nothing more is written and the exit code is 1.
    let mut written = Ok(());
    let mut emit = |text: String| {
        if written.is_ok() && !text.is_empty() {
            written = crate::write_stdout(&text);
        }
    };
    for path in &args.files {
        match wasp_wast::run_wast_file_with_config(path, &config) {
            Ok(report) => {
                let mut text = String::new();
                if !args.quiet {
                    text += &report.failure_list();
                }
                if args.verbose {
                    text += &format!(
                        "{}: {} passed, {} failed\n",
                        report.name, report.passed, report.failed
                    );
                }
                emit(text);
                passed += report.passed;
                failed += report.failed;
            }
            Err(e) => {
                errln!("wasp wast: cannot read {}: {e}", path.display());
                failed += 1;
            }
        }
    }
    emit(format!("wast: {passed} passed, {failed} failed\n"));
    if let Err(e) = written {
        return crate::output_failed("wasp wast", "the report", e);
    }
    if failed == 0 {
        0
    } else {
        1
    }
}
