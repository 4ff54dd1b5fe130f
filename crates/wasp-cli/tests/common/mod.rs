//! Shared helpers for the integration tests that run real guest programs under `wasp run`:
//! building the guests with the real toolchains (installed by `scripts/install-go.sh` and
//! `scripts/install-zig.sh` into `target/toolchains/`), caching the `.wasm` files under
//! `target/guests/`, and running `wasp` with timeouts, piped stdio and CPU-time accounting.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::raw::{c_int, c_long};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

/// How long one guest run may take before the test kills it and fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(180);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The `wasp` binary under test; `WASP_TEST_BIN` overrides it (to try the guests on a shim
/// around another runtime that accepts the same `run` flags).
pub fn wasp_bin() -> PathBuf {
    match std::env::var_os("WASP_TEST_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => PathBuf::from(env!("CARGO_BIN_EXE_wasp")),
    }
}

/// Where built guests are cached: `<repo>/target/guests/{go,c}/NAME.wasm`.
fn guest_cache(kind: &str) -> PathBuf {
    let dir = repo_root().join("target/guests").join(kind);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs one of the install scripts and returns the path it prints.
fn install_tool(script: &str) -> PathBuf {
    let path = repo_root().join("scripts").join(script);
    let out = Command::new("bash")
        .arg(&path)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", path.display()));
    assert!(
        out.status.success(),
        "{} failed: {}",
        path.display(),
        out.status
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let tool = PathBuf::from(printed.trim());
    assert!(
        tool.is_file(),
        "{script} printed {tool:?}, which is not a file"
    );
    tool
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Newest modification time of the files below `dir` (recursively) with one of `exts`.
fn newest_source(dir: &Path, exts: &[&str]) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            newest = newest.max(newest_source(&path, exts));
        } else if path
            .file_name()
            .and_then(OsStr::to_str)
            .is_some_and(|n| exts.iter().any(|e| n.ends_with(e)))
        {
            newest = newest.max(mtime(&path).unwrap());
        }
    }
    newest
}

/// A directory name that is unique across processes and threads.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The Go guest programs: one per directory of `tests/guests/go`.
pub fn go_guest_names() -> Vec<String> {
    let src = repo_root().join("tests/guests/go");
    let mut names: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("main.go").is_file())
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// Returns the path of the Go guest `name` (`tests/guests/go/NAME/main.go`) built with
/// `GOOS=wasip1 GOARCH=wasm`, building all Go guests first if any is missing or older than the
/// newest Go source. The build is one `go build` of every package, done once per test process;
/// each output is renamed into place, so concurrent test processes never see a partial file.
pub fn go_guest(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BUILT
        .get_or_init(build_go_guests)
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}"));
    let wasm = dir.join(format!("{name}.wasm"));
    assert!(wasm.is_file(), "no Go guest named {name}");
    wasm
}

fn build_go_guests() -> Result<PathBuf, String> {
    let src = repo_root().join("tests/guests/go");
    let out_dir = guest_cache("go");
    let newest = newest_source(&src, &[".go", "go.mod"]);
    let names = go_guest_names();
    let fresh = names
        .iter()
        .all(|n| mtime(&out_dir.join(format!("{n}.wasm"))).is_some_and(|t| t >= newest));
    if fresh {
        return Ok(out_dir);
    }
    let go = install_tool("install-go.sh");
    let staging = out_dir.join(unique_name(".build"));
    std::fs::create_dir_all(&staging).unwrap();
    let started = Instant::now();
    let mut cmd = Command::new(&go);
    cmd.current_dir(&src)
        .args(["build", "-trimpath", "-o"])
        .arg(format!("{}/", staging.display()))
        .arg("./...")
        .env("GOOS", "wasip1")
        .env("GOARCH", "wasm")
        // Never download anything: no toolchain switch, no module proxy.
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOWORK", "off")
        .env("CGO_ENABLED", "0")
        .env_remove("GOROOT")
        .env_remove("GOPATH");
    if std::env::var_os("HOME").is_none() && std::env::var_os("XDG_CACHE_HOME").is_none() {
        let cache = repo_root().join("target/toolchains/cache");
        cmd.env("GOCACHE", cache.join("go-build"))
            .env("GOMODCACHE", cache.join("gomod"));
    }
    let out = cmd
        .output()
        .map_err(|e| format!("running {}: {e}", go.display()))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!(
            "go build of the Go guests failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    for n in &names {
        let built = staging.join(n);
        if !built.is_file() {
            return Err(format!("go build produced no {}", built.display()));
        }
        std::fs::rename(&built, out_dir.join(format!("{n}.wasm"))).unwrap();
    }
    let _ = std::fs::remove_dir_all(&staging);
    eprintln!(
        "built {} Go guests in {:.1}s",
        names.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(out_dir)
}

/// Returns the path of the C guest `tests/guests/c/NAME.c` compiled with
/// `zig cc --target=wasm32-wasi` (wasi-libc), rebuilding it if it is missing or older than its
/// source.
pub fn c_guest(name: &str) -> PathBuf {
    static ZIG: OnceLock<PathBuf> = OnceLock::new();
    static BUILD: Mutex<()> = Mutex::new(());
    let src = repo_root().join(format!("tests/guests/c/{name}.c"));
    assert!(src.is_file(), "no C guest {}", src.display());
    let out_dir = guest_cache("c");
    let wasm = out_dir.join(format!("{name}.wasm"));
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if mtime(&wasm).is_some_and(|t| t >= mtime(&src).unwrap()) {
        return wasm;
    }
    let zig = ZIG.get_or_init(|| install_tool("install-zig.sh"));
    // Build under the final file name (zig records it as the module name, which shows in
    // backtraces) inside a private directory, then rename into place.
    let staging = out_dir.join(unique_name(".build"));
    std::fs::create_dir_all(&staging).unwrap();
    let tmp = staging.join(format!("{name}.wasm"));
    let started = Instant::now();
    let mut cmd = Command::new(zig);
    cmd.args([
        "cc",
        "--target=wasm32-wasi",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-o",
    ])
    .arg(&tmp)
    .arg(&src);
    if std::env::var_os("HOME").is_none() && std::env::var_os("XDG_CACHE_HOME").is_none() {
        cmd.env(
            "ZIG_GLOBAL_CACHE_DIR",
            repo_root().join("target/toolchains/cache/zig"),
        );
    }
    let out = cmd.output().unwrap();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    assert!(
        out.status.success(),
        "zig cc {name}.c failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&tmp, &wasm).unwrap();
    let _ = std::fs::remove_dir_all(&staging);
    eprintln!(
        "built C guest {name} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    wasm
}

/// `--dir HOST::GUEST`: a writable preopen.
pub fn dir_arg(host: &Path, guest: &str) -> Vec<String> {
    vec!["--dir".into(), format!("{}::{guest}", host.display())]
}

/// A read-only preopen of `host` as `guest`.
pub fn ro_dir_arg(host: &Path, guest: &str) -> Vec<String> {
    vec!["--dir".into(), format!("{}::{guest}:ro", host.display())]
}

/// A temporary directory removed on drop (and left behind for inspection when the
/// `WASP_KEEP_TMP` environment variable is set).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let path = std::env::temp_dir().join(unique_name(&format!("wasp-test-{label}")));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path.canonicalize().unwrap())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("WASP_KEEP_TMP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A snapshot of a host directory tree: relative path → description (file contents, symlink
/// target or "dir"), to check that a guest changed nothing it must not change.
pub fn snapshot(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mtime = meta.modified().unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(rel, format!("symlink -> {}", target.display()));
            } else if meta.is_dir() {
                out.insert(rel, "dir".into());
                walk(root, &path, out);
            } else {
                let data = std::fs::read(&path).unwrap();
                out.insert(
                    rel,
                    format!("file {:?} mtime {mtime:?}", String::from_utf8_lossy(&data)),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// FNV-1a 64, as Go's `hash/fnv` New64a.
pub fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A free TCP port on 127.0.0.1 (bound and released; a race with other processes is
/// possible but unlikely).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// Running wasp

/// `wasp run ARGS...` as a command (nothing spawned yet).
pub fn wasp_run<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(wasp_bin());
    cmd.arg("run").args(args);
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// What a finished run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Exit status, or `None` when killed by a signal.
    pub code: Option<i32>,
    /// The signal that ended the process, if any.
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// User + system CPU time of the wasp process.
    pub cpu: Duration,
    /// Wall-clock time from spawn to exit.
    pub wall: Duration,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Panics with the full output unless the process exited with `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit status {code}, got {:?} (signal {:?})\n--- stdout:\n{}\n--- stderr:\n{}",
            self.code,
            self.signal,
            self.stdout_str(),
            self.stderr_str()
        );
        self
    }

    /// Panics with a readable diff unless stdout is exactly `expected`.
    pub fn assert_stdout(&self, expected: &str) -> &Self {
        let got = self.stdout_str();
        if got != expected {
            let mut diff = String::new();
            let (g, e): (Vec<_>, Vec<_>) = (got.lines().collect(), expected.lines().collect());
            for i in 0..g.len().max(e.len()) {
                let (gl, el) = (g.get(i).copied(), e.get(i).copied());
                if gl != el {
                    diff += &format!(
                        "line {}: expected {el:?}\n         got      {gl:?}\n",
                        i + 1
                    );
                }
            }
            panic!(
                "stdout differs (status {:?}):\n{diff}--- full stdout:\n{got}\n--- stderr:\n{}",
                self.code,
                self.stderr_str()
            );
        }
        self
    }
}

#[repr(C)]
struct Timeval {
    tv_sec: c_long,
    #[cfg(target_os = "linux")]
    tv_usec: c_long,
    #[cfg(not(target_os = "linux"))]
    tv_usec: i32,
}

#[repr(C)]
struct Rusage {
    ru_utime: Timeval,
    ru_stime: Timeval,
    rest: [c_long; 14],
}

extern "C" {
    fn wait4(pid: c_int, status: *mut c_int, options: c_int, rusage: *mut Rusage) -> c_int;
    fn kill(pid: c_int, sig: c_int) -> c_int;
}

const WNOHANG: c_int = 1;
const SIGKILL: c_int = 9;

/// A running wasp process: stdin can be written, stdout is read line by line, stderr is
/// collected in the background. Killed on drop if still running.
pub struct Running {
    child: Child,
    reaped: bool,
    started: Instant,
    pub stdin: Option<ChildStdin>,
    stdout_lines: mpsc::Receiver<Vec<u8>>,
    stdout_seen: Vec<u8>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    stdin_writer: Option<JoinHandle<()>>,
}

/// Spawns `cmd` with piped stdin, stdout and stderr.
pub fn spawn(mut cmd: Command) -> Running {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        loop {
            let mut line = Vec::new();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let stderr = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    Running {
        stdin: child.stdin.take(),
        child,
        reaped: false,
        started: Instant::now(),
        stdout_lines: rx,
        stdout_seen: Vec::new(),
        stderr: Some(stderr),
        stdin_writer: None,
    }
}

impl Running {
    /// Writes all of `data` to stdin from a background thread, then closes stdin.
    pub fn feed_stdin(&mut self, data: Vec<u8>) {
        let mut stdin = self.stdin.take().expect("stdin already closed");
        self.stdin_writer = Some(thread::spawn(move || {
            let _ = stdin.write_all(&data);
        }));
    }

    /// Writes `data` to stdin now (blocking) and flushes.
    pub fn write_stdin(&mut self, data: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin closed");
        stdin.write_all(data).unwrap();
        stdin.flush().unwrap();
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next line of stdout (without its newline), waiting up to `timeout`.
    pub fn next_line(&mut self, timeout: Duration) -> String {
        match self.stdout_lines.recv_timeout(timeout) {
            Ok(line) => {
                self.stdout_seen.extend_from_slice(&line);
                let s = String::from_utf8_lossy(&line).into_owned();
                s.strip_suffix('\n').unwrap_or(&s).to_owned()
            }
            Err(e) => {
                let seen = String::from_utf8_lossy(&self.stdout_seen).into_owned();
                self.kill();
                let stderr = self.stderr.take().unwrap().join().unwrap();
                panic!(
                    "no stdout line within {timeout:?} ({e}); stdout so far:\n{seen}\n--- stderr:\n{}",
                    String::from_utf8_lossy(&stderr)
                );
            }
        }
    }

    /// Waits for the next stdout line and asserts it equals `expected`.
    pub fn expect_line(&mut self, expected: &str, timeout: Duration) {
        let line = self.next_line(timeout);
        assert_eq!(line, expected, "unexpected stdout line");
    }

    fn kill(&mut self) {
        if !self.reaped {
            unsafe {
                kill(self.child.id() as c_int, SIGKILL);
            }
        }
    }

    /// Kills the process and returns what it printed (for failure messages).
    pub fn kill_and_collect(mut self) -> Outcome {
        self.kill();
        let mut out = self.finish_inner(Duration::from_secs(30));
        out.stderr.extend_from_slice(b"\n(killed by the test)\n");
        out
    }

    /// Waits for the process to exit (killing it after `timeout`) and returns everything it
    /// printed (including stdout lines already read) and its CPU time.
    pub fn finish(mut self, timeout: Duration) -> Outcome {
        let (outcome, timed_out) = self.wait_and_collect(timeout);
        assert!(
            !timed_out,
            "wasp did not finish within {timeout:?} and was killed\n--- stdout:\n{}\n--- stderr:\n{}",
            outcome.stdout_str(),
            outcome.stderr_str()
        );
        outcome
    }

    fn finish_inner(&mut self, timeout: Duration) -> Outcome {
        self.wait_and_collect(timeout).0
    }

    fn wait_and_collect(&mut self, timeout: Duration) -> (Outcome, bool) {
        let pid = self.child.id() as c_int;
        let mut status: c_int = 0;
        let mut usage: Rusage = unsafe { std::mem::zeroed() };
        let deadline = Instant::now() + timeout;
        let mut timed_out = false;
        loop {
            let r = unsafe { wait4(pid, &mut status, WNOHANG, &mut usage) };
            if r == pid {
                break;
            }
            assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
            if Instant::now() >= deadline && !timed_out {
                timed_out = true;
                unsafe {
                    kill(pid, SIGKILL);
                }
            }
            thread::sleep(Duration::from_millis(5));
        }
        self.reaped = true;
        let wall = self.started.elapsed();
        self.stdin = None;
        if let Some(w) = self.stdin_writer.take() {
            let _ = w.join();
        }
        let mut stdout = std::mem::take(&mut self.stdout_seen);
        while let Ok(line) = self.stdout_lines.recv_timeout(Duration::from_secs(10)) {
            stdout.extend_from_slice(&line);
        }
        let stderr = self.stderr.take().unwrap().join().unwrap();
        let tv = |t: &Timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        let (code, signal) = if status & 0x7f == 0 {
            (Some((status >> 8) & 0xff), None)
        } else {
            (None, Some(status & 0x7f))
        };
        let outcome = Outcome {
            code,
            signal,
            stdout,
            stderr,
            cpu: tv(&usage.ru_utime) + tv(&usage.ru_stime),
            wall,
        };
        (outcome, timed_out)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `cmd` to completion with `stdin` as its standard input.
pub fn run_with_stdin(cmd: Command, stdin: Vec<u8>) -> Outcome {
    let mut r = spawn(cmd);
    r.feed_stdin(stdin);
    r.finish(RUN_TIMEOUT)
}

/// Runs `cmd` to completion with an empty standard input.
pub fn run(cmd: Command) -> Outcome {
    run_with_stdin(cmd, Vec::new())
}
