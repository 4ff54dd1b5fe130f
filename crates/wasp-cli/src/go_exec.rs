//! `wasp go-exec` and the `go_wasip1_wasm_exec` entry point: wasp as the go command's runner.
//!
//! With `GOOS=wasip1 GOARCH=wasm`, `go run`, `go test` and `go build -exec` run each program as
//! `go_wasip1_wasm_exec BINARY ARGS...`, found on `PATH`, or as `CMD BINARY ARGS...` with
//! `-exec CMD`, from the package's directory. Go ships a shell script of that name that
//! starts wasmtime (or wazero, wasmedge, wasmer); this module does the same job inside wasp:
//!
//! - invoked under the file name `go_wasip1_wasm_exec` (a symlink to `wasp` on `PATH`, made
//!   by `wasp go-exec --install DIR`), `wasp` takes its arguments as `BINARY ARGS...`;
//! - `wasp go-exec BINARY ARGS...` is the same for `go test -exec "wasp go-exec"`.
//!
//! Like Go's script for wasmtime, the program runs under `wasp run` with host `/` preopened as
//! guest `/`, `PWD` set to the current directory and the host's `PATH` passed on; stdio is
//! inherited and the exit status is the program's. The wasm stack is wasp's default (128 MiB
//! of value slots, far above the 8 MiB Go's script asks wasmtime for). Extra `wasp run` flags
//! (`--max-stack`, `--max-memory`, `--env NAME`, `--listen`, ...) come from the
//! `WASP_GO_EXEC_FLAGS` environment variable, split at whitespace.

use crate::run;
use clap::{Args, FromArgMatches};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The name the go command looks for on `PATH` for `GOOS=wasip1 GOARCH=wasm`.
pub const WRAPPER_NAME: &str = "go_wasip1_wasm_exec";

/// Extra `wasp run` flags for every program started through the wrapper.
const FLAGS_VAR: &str = "WASP_GO_EXEC_FLAGS";

const EXAMPLES: &str = "\
Examples:
  GOOS=wasip1 GOARCH=wasm go test -exec \"wasp go-exec\" strings
  wasp go-exec --install ~/.local/wasp-go && export PATH=~/.local/wasp-go:$PATH
  GOOS=wasip1 GOARCH=wasm go test strings            (go_wasip1_wasm_exec found on PATH)
  GOOS=wasip1 GOARCH=wasm go run ./cmd/tool args
  WASP_GO_EXEC_FLAGS='--max-memory 1GiB --env GODEBUG' go test ./...

The program runs as `wasp run --dir /::/ --env PWD=<cwd> --env PATH=$PATH $WASP_GO_EXEC_FLAGS
BINARY ARGS...`; the exit status is the program's (134 after a trap).";

/// Arguments of `wasp go-exec`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct GoExecArgs {
    /// Create DIR/go_wasip1_wasm_exec, a symlink to this wasp binary, and exit; put DIR on
    /// PATH and the go command runs wasip1 programs on wasp.
    #[arg(long, value_name = "DIR", exclusive = true)]
    pub install: Option<PathBuf>,

    /// The Go program (a wasip1 .wasm binary) and its arguments.
    #[arg(
        value_name = "BINARY [ARGS]",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..
    )]
    pub argv: Vec<OsString>,
}

/// Runs `wasp go-exec`; returns the exit code.
pub fn main(args: GoExecArgs) -> i32 {
    if let Some(dir) = &args.install {
        return match install(dir) {
            Ok(link) => match crate::write_stdout(&format!("{}\n", link.display())) {
                Ok(()) => 0,
                Err(e) => crate::output_failed("wasp go-exec --install", "the link's path", e),
            },
            Err(e) => {
                errln!("wasp go-exec --install: {e}");
                1
            }
        };
    }
    exec(args.argv)
}

/// If this process was started under the name `go_wasip1_wasm_exec`, runs the program its
/// arguments name and returns the exit code; otherwise returns `None`.
pub fn main_if_wrapper() -> Option<i32> {
    let mut argv = std::env::args_os();
    let arg0 = PathBuf::from(argv.next()?);
    let name = arg0.file_name()?.to_str()?;
    // `go_wasip1_wasm_exec`, or the same with an `.exe` suffix.
    (name.strip_suffix(".exe").unwrap_or(name) == WRAPPER_NAME).then(|| exec(argv.collect()))
}

/// Runs `argv[0]` (the Go program) with `argv[1..]` as its arguments, the way Go's wrapper
/// script runs it on wasmtime.
fn exec(argv: Vec<OsString>) -> i32 {
    if argv.is_empty() {
        errln!("usage: {WRAPPER_NAME} BINARY [ARGS...]   (or: wasp go-exec BINARY [ARGS...])");
        return 2;
    }
    let cmd = run::RunArgs::augment_args(clap::Command::new(WRAPPER_NAME));
    let matches = match cmd.try_get_matches_from(run_argv(argv)) {
        Ok(m) => m,
        Err(e) => {
            errln!("{WRAPPER_NAME}: in {FLAGS_VAR}: {e}");
            return 2;
        }
    };
    match run::RunArgs::from_arg_matches(&matches) {
        Ok(args) => run::main(args),
        Err(e) => {
            errln!("{WRAPPER_NAME}: {e}");
            2
        }
    }
}

/// The `wasp run` command line for a Go program: `/` preopened as `/`, `PWD` and `PATH`,
/// the flags from `WASP_GO_EXEC_FLAGS`, then `--` and the program with its arguments.
fn run_argv(argv: Vec<OsString>) -> Vec<OsString> {
    let mut v: Vec<OsString> = vec![WRAPPER_NAME.into(), "--dir".into(), "/::/".into()];
    if let Some(pwd) = working_dir() {
        let mut e = OsString::from("PWD=");
        e.push(pwd.as_os_str());
        v.extend(["--env".into(), e]);
    }
    if let Some(path) = std::env::var_os("PATH") {
        let mut e = OsString::from("PATH=");
        e.push(path);
        v.extend(["--env".into(), e]);
    }
    if let Some(flags) = std::env::var(FLAGS_VAR)
        .ok()
        .filter(|f| !f.trim().is_empty())
    {
        v.extend(flags.split_whitespace().map(OsString::from));
    }
    v.push("--".into());
    v.extend(argv);
    v
}

/// The current directory as the shell would name it: `$PWD` when it is an absolute path to
/// the same directory (it keeps the symlinks the user went through), else the real path.
fn working_dir() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    if let Some(pwd) = std::env::var_os("PWD").map(PathBuf::from) {
        if pwd.is_absolute() && same_file(&pwd, &cwd) {
            return Some(pwd);
        }
    }
    Some(cwd)
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    a.canonicalize().ok() == b.canonicalize().ok()
}

/// Creates `dir/go_wasip1_wasm_exec` pointing at the running wasp binary (replacing an old
/// link) and returns its path.
fn install(dir: &Path) -> Result<PathBuf, String> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| format!("cannot locate the wasp binary: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let link = dir.join(WRAPPER_NAME);
    // Build the new link beside the old one and rename it over, so a concurrent `go test`
    // never finds the name missing.
    let tmp = dir.join(format!(".{WRAPPER_NAME}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    make_link(&exe, &tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &link).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", link.display())
    })?;
    Ok(link)
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    // No symlinks: a copy of the binary under the wrapper's name behaves the same.
    std::fs::copy(target, link).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_argv_preopens_root_and_ends_flags() {
        let v = run_argv(vec!["prog.wasm".into(), "-test.v".into(), "--dir".into()]);
        let s: Vec<String> = v.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(&s[..3], [WRAPPER_NAME, "--dir", "/::/"]);
        assert!(s.iter().any(|a| a.starts_with("PWD=/")));
        let dd = s.iter().position(|a| a == "--").unwrap();
        assert_eq!(&s[dd + 1..], ["prog.wasm", "-test.v", "--dir"]);
        // The guest's own flags, even wasp's names, reach the guest.
        let cmd = run::RunArgs::augment_args(clap::Command::new(WRAPPER_NAME));
        let args = run::RunArgs::from_arg_matches(&cmd.get_matches_from(v)).unwrap();
        assert_eq!(args.module, PathBuf::from("prog.wasm"));
        assert_eq!(args.args, [OsString::from("-test.v"), "--dir".into()]);
        assert_eq!(args.dirs, ["/::/"]);
    }
}
