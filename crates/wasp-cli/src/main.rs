//! `wasp`: the command-line interface of the wasp WebAssembly runtime.
//!
//! Each subcommand lives in its own module with a `clap::Args` struct and a
//! `main(args) -> i32` function returning the process exit code; this file
//! only parses the command line and dispatches.

use clap::{Parser, Subcommand};

// `wasp inspect`: what a module imports, exports and uses (src/inspect.rs).
mod inspect;
// `wasp run`: runs a WASI program (src/run.rs, `RunArgs` and `main`).
mod run;
mod wast_cmd;

const EXAMPLES: &str = "\
Examples:
  wasp wast tests/i32.wast              run one spec test script
  wasp wast -v spec/*.wast              run many, with a summary line per file
  wasp inspect --json prog.wasm         imports, exports, features, Go version as JSON";

/// A fast WebAssembly interpreter.
#[derive(Debug, Parser)]
#[command(name = "wasp", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    // To add a subcommand: a variant holding its `clap::Args` struct, and an
    // arm in `main` below.
    /// Run a WebAssembly (WASI preview 1) program.
    Run(Box<run::RunArgs>),
    /// Show a module's imports, exports, memories, features and Go build info.
    Inspect(inspect::InspectArgs),
    /// Run WebAssembly specification test scripts (.wast).
    Wast(wast_cmd::WastArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run::main(*args),
        Command::Inspect(args) => inspect::main(args),
        Command::Wast(args) => wast_cmd::main(args),
    };
    std::process::exit(code);
}
