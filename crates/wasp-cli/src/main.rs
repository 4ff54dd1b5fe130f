//! `wasp`: the command-line interface of the wasp WebAssembly runtime.
//!
//! Each subcommand lives in its own module with a `clap::Args` struct and a
//! `main(args) -> i32` function returning the process exit code; this file
//! only parses the command line and dispatches.
//!
//! Output never panics: `print!`/`eprintln!` panic (exit 101) when stdout or
//! stderr is a closed pipe or a full disk, so every subcommand writes through
//! [`write_stdout`] (whose error becomes exit status 1) and [`errln!`]
//! (whose failure is ignored: there is nowhere left to report it, and the
//! exit status still tells).

use clap::{Parser, Subcommand};
use std::io::{self, Write};

/// `eprintln!` that never panics: writes one line to stderr and ignores a
/// failure (a closed pipe, a full disk).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::write_stderr(format_args!($($arg)*))
    };
}

// `wasp go-exec` and the `go_wasip1_wasm_exec` name: the go command's wasip1 runner.
mod go_exec;
// `wasp inspect`: what a module imports, exports and uses (src/inspect/).
mod inspect;
// `wasp run --profile` and Go-aware trap backtraces (src/observe.rs, src/pprof.rs).
mod observe;
mod pprof;
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

/// Writes `text` to stdout and flushes it. The caller turns an error into
/// an exit status with [`output_failed`].
pub(crate) fn write_stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes one line to stderr, ignoring failure (use [`errln!`]).
pub(crate) fn write_stderr(line: std::fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}").and_then(|()| err.flush());
}

/// Exit status 1 after `what` could not be written to stdout, said on
/// stderr unless stdout is a closed pipe (`wasp ... | head` is no error
/// worth a message).
pub(crate) fn output_failed(command: &str, what: &str, e: io::Error) -> i32 {
    if e.kind() != io::ErrorKind::BrokenPipe {
        errln!("{command}: writing {what}: {e}");
    }
    1
}

/// Parses the command line; help, version and usage errors are printed
/// here (exit 0 or 2, or 1 when the help cannot be written).
fn parse() -> Result<Cli, i32> {
    Cli::try_parse().map_err(|e| match (e.print(), e.exit_code()) {
        (Err(_), 0) => 1,
        (_, code) => code,
    })
}

fn main() {
    // Started as `go_wasip1_wasm_exec` (a symlink on PATH): the go command's exec wrapper.
    if let Some(code) = go_exec::main_if_wrapper() {
        std::process::exit(code);
    }
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => std::process::exit(code),
    };
    let code = match cli.command {
        Command::Run(args) => run::main(*args),
        Command::Inspect(args) => inspect::main(args, &mut io::stdout())
            .unwrap_or_else(|e| output_failed("wasp inspect", "the report", e)),
        Command::Wast(args) => wast_cmd::main(args),
        Command::GoExec(args) => go_exec::main(args),
    };
    std::process::exit(code);
}
