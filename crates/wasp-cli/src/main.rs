//! `wasp`: the command-line interface of the wasp WebAssembly runtime.
//!
//! Each subcommand lives in its own module with a `clap::Args` struct and a
//! `main(args) -> i32` function returning the process exit code; this file
//! only parses the command line and dispatches.

use clap::{Parser, Subcommand};

// `wasp go-exec` and the `go_wasip1_wasm_exec` name: the go command's wasip1 runner.
mod go_exec;
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
    /// Run a Go wasip1 program the way `go run`/`go test` expect (go_wasip1_wasm_exec).
    GoExec(go_exec::GoExecArgs),
}

fn main() {
    // Started as `go_wasip1_wasm_exec` (a symlink on PATH): the go command's exec wrapper.
    if let Some(code) = go_exec::main_if_wrapper() {
        std::process::exit(code);
    }
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run::main(*args),
        Command::Inspect(args) => inspect::main(args),
        Command::Wast(args) => wast_cmd::main(args),
        Command::GoExec(args) => go_exec::main(args),
    };
    std::process::exit(code);
}
