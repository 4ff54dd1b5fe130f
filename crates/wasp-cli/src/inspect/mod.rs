//! `wasp inspect`: what a module needs and contains, without running it.
//!
//! Reports the imports grouped by module (a `(module, name, type)` imported
//! several times is listed once with its count) and, for
//! `wasi_snapshot_preview1`, whether wasp provides each function with that
//! signature; the exports with their types; memories, tables and globals
//! with their limits, mutability and initial values; the start function;
//! function count and code size; data and element segments; custom
//! sections; the Wasm features the code uses (from a scan of every
//! operator); and, for Go binaries, the Go version, main package and
//! module and build settings embedded by Go's linker (see
//! `inspect/goinfo.rs`).
//!
//! With `--profile NAME`, `--allow-wasi LIST` or `--deny-wasi LIST` (the
//! same flags and rules as `wasp run`, see `wasp_wasi::profile`) it also
//! shows which of the module's imports that policy would deny.
//! `--list-profiles` prints the named profiles.
//!
//! Exit status: 0, or 1 when the module cannot be read or is invalid, or a
//! flag is wrong.
//!
//! `--json` prints the same report as one object with a stable, documented
//! schema (see `inspect/json.rs`).
//!
//! Layout: `model.rs` builds the report from the loaded module and the
//! operator scan (`scan.rs`, `goinfo.rs`); `text.rs` and `json.rs` write it.

mod features;
mod goinfo;
mod json;
mod model;
mod scan;
mod text;

use std::io::{self, Write};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  wasp inspect hello.wasm                          summary for people
  wasp inspect --json hello.wasm | jq .imports     stable JSON for scripts
  wasp inspect --profile minimal prog.wasm         which imports would `minimal` deny?
  wasp inspect --deny-wasi 'path_*,sock_*' prog.wasm
  wasp inspect --list-profiles                     the named profiles and what they allow";

/// Arguments of `wasp inspect`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct InspectArgs {
    /// Print JSON (stable, documented schema) instead of the summary.
    #[arg(long)]
    pub json: bool,

    /// Show which imports this WASI profile would deny (minimal, stdio, fs-read, fs, net, full).
    #[arg(long, alias = "wasi-profile", value_name = "NAME")]
    pub profile: Option<String>,

    /// Allow only these WASI functions (plus the profile's); comma-separated, `prefix*` patterns.
    #[arg(long = "allow-wasi", value_name = "NAME[,NAME...]")]
    pub allow_wasi: Vec<String>,

    /// Deny these WASI functions; comma-separated, `prefix*` patterns (e.g. path_*).
    #[arg(long = "deny-wasi", value_name = "NAME[,NAME...]")]
    pub deny_wasi: Vec<String>,

    /// List the named WASI profiles and exit.
    #[arg(long)]
    pub list_profiles: bool,

    /// The module: a .wasm binary or a .wat text file.
    #[arg(value_name = "MODULE", required_unless_present = "list_profiles")]
    pub module: Option<PathBuf>,
}

/// Runs `wasp inspect`, writing the report (or the profile list) to `out`
/// and a message about a bad flag or an unreadable or invalid module to
/// stderr. Returns the exit code, or the error writing to `out` (a closed
/// pipe, a full disk) for the caller to report.
pub fn main(args: InspectArgs, out: &mut dyn Write) -> io::Result<i32> {
    let mut out = io::BufWriter::new(out);
    if args.list_profiles {
        if args.json {
            json::write_profiles(&mut out)?;
        } else {
            text::write_profiles(&mut out)?;
        }
        out.flush()?;
        return Ok(0);
    }
    let report = match &args.module {
        Some(path) => model::build(&args, path),
        None => Err("a MODULE is required".to_string()),
    };
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            errln!("wasp inspect: {e}");
            return Ok(1);
        }
    };
    if args.json {
        json::write_report(&report, &mut out)?;
    } else {
        text::write_report(&report, &mut out)?;
    }
    out.flush()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that fails every write, as a closed pipe does.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    fn args(json: bool, list_profiles: bool, module: Option<PathBuf>) -> InspectArgs {
        InspectArgs {
            json,
            profile: None,
            allow_wasi: Vec::new(),
            deny_wasi: Vec::new(),
            list_profiles,
            module,
        }
    }

    #[test]
    fn a_closed_output_is_an_error_for_the_caller_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("wasp-inspect-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let module = dir.join("m.wat");
        std::fs::write(&module, r#"(module (func (export "f")))"#).unwrap();
        for (json, list) in [(false, false), (true, false), (false, true), (true, true)] {
            let err = main(args(json, list, Some(module.clone())), &mut ClosedPipe)
                .expect_err("writing to a closed pipe fails");
            assert_eq!(
                err.kind(),
                io::ErrorKind::BrokenPipe,
                "json {json} list {list}"
            );
        }
        // The same report into a working sink.
        let mut out = Vec::new();
        assert_eq!(main(args(false, false, Some(module)), &mut out).unwrap(), 0);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("exports    1 export\n    f  func () -> ()\n"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_bad_module_is_exit_status_1_with_nothing_written() {
        let mut out = Vec::new();
        let missing = PathBuf::from("/nonexistent/wasp-inspect/m.wasm");
        assert_eq!(main(args(true, false, Some(missing)), &mut out).unwrap(), 1);
        assert!(out.is_empty());
    }
}
