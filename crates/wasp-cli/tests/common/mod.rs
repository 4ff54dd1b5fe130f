//! Shared helpers for the wasp-cli integration tests: the repo root and the `wasp` binary under
//! test; the real toolchains (installed by `scripts/install-go.sh` and `scripts/install-zig.sh`
//! into `target/toolchains/`) and one offline `GOOS=wasip1 GOARCH=wasm` Go environment with
//! its build cache under `target/go-stdlib/`; the guest programs built with them and cached
//! under `target/guests/`; temporary directories; and (`process.rs`) running `wasp` and other
//! children with timeouts, piped stdio, CPU-time accounting or a log file.
#![allow(dead_code)] // each test binary uses a different subset

mod process;

#[allow(unused_imports)] // unused by the test binaries that run no process
pub use process::*;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The binary cargo built for this test, or the one the environment variable `var` names
/// (made absolute: the tests run it from other directories).
fn bin_from_env(var: &str) -> PathBuf {
    // `wasp run` keeps a code cache (by default in ~/.cache/wasp): the suite's, children too, is under target/.
    if std::env::var_os("WASP_CACHE_DIR").is_none() {
        std::env::set_var("WASP_CACHE_DIR", repo_root().join("target/test-wasp-cache"));
    }
    match std::env::var_os(var) {
        Some(bin) => PathBuf::from(&bin)
            .canonicalize()
            .unwrap_or_else(|e| panic!("{var}={}: {e}", bin.to_string_lossy())),
        None => PathBuf::from(env!("CARGO_BIN_EXE_wasp")),
    }
}

/// The `wasp` binary under test; `WASP_TEST_BIN` overrides it (to try the guests on a shim
/// around another runtime that accepts the same `run` flags).
pub fn wasp_bin() -> PathBuf {
    bin_from_env("WASP_TEST_BIN")
}

/// The `wasp` binary the tests hand to the go command (`go-exec`, `go_wasip1_wasm_exec`,
/// the stdlib test binaries): `WASP_GO_TEST_BIN` overrides it (e.g. `target/release/wasp`,
/// about twice as fast as the debug build, whose engine keeps its debug assertions).
pub fn wasp_bin_for_go() -> PathBuf {
    bin_from_env("WASP_GO_TEST_BIN")
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

// ---------------------------------------------------------------------------------------------
// The Go toolchain and its environment

/// The real `go` binary (`scripts/install-go.sh` installs it on first use and prints it).
pub fn go_bin() -> &'static Path {
    static GO: OnceLock<PathBuf> = OnceLock::new();
    GO.get_or_init(|| install_tool("install-go.sh"))
}

/// GOROOT of [`go_bin`]: two directories up from the binary.
pub fn goroot() -> PathBuf {
    go_bin().parent().unwrap().parent().unwrap().to_path_buf()
}

/// `<repo>/target/go-stdlib`: the Go build cache and GOPATH, test binaries, scratch
/// directories.
pub fn work_dir() -> PathBuf {
    let dir = repo_root().join("target/go-stdlib");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A go command for `GOOS=wasip1 GOARCH=wasm` that never touches the network (no toolchain
/// switch, no module proxy) and keeps its build cache in `target/go-stdlib/gocache` (shared by
/// every test that builds Go and kept between runs).
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

// ---------------------------------------------------------------------------------------------
// Guest programs

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
    let staging = out_dir.join(unique_name(".build"));
    std::fs::create_dir_all(&staging).unwrap();
    let started = Instant::now();
    let mut cmd = go_cmd();
    cmd.current_dir(&src)
        .args(["build", "-trimpath", "-o"])
        .arg(format!("{}/", staging.display()))
        .arg("./...");
    let out = cmd
        .output()
        .map_err(|e| format!("running {}: {e}", go_bin().display()))?;
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
    c_build(
        &format!("tests/guests/c/{name}.c"),
        name,
        "wasm",
        &["--target=wasm32-wasi"],
    )
}

/// Compiles the C source `rel_src` (relative to the repository) with `zig cc -O2` and the
/// extra `flags` (a `--target`, or none for the host) into `NAME.EXT` in the C guest cache,
/// rebuilding it if it is missing or older than its source; returns its path.
pub fn c_build(rel_src: &str, name: &str, ext: &str, flags: &[&str]) -> PathBuf {
    static ZIG: OnceLock<PathBuf> = OnceLock::new();
    static BUILD: Mutex<()> = Mutex::new(());
    let src = repo_root().join(rel_src);
    assert!(src.is_file(), "no C source {}", src.display());
    let out_dir = guest_cache("c");
    let wasm = out_dir.join(format!("{name}.{ext}"));
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if mtime(&wasm).is_some_and(|t| t >= mtime(&src).unwrap()) {
        return wasm;
    }
    let zig = ZIG.get_or_init(|| install_tool("install-zig.sh"));
    // Build under the final file name (zig records it as the module name, which shows in
    // backtraces) inside a private directory, then rename into place.
    let staging = out_dir.join(unique_name(".build"));
    std::fs::create_dir_all(&staging).unwrap();
    let tmp = staging.join(format!("{name}.{ext}"));
    let started = Instant::now();
    let mut cmd = Command::new(zig);
    cmd.arg("cc")
        .args(flags)
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
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
        "zig cc {rel_src} failed ({}):\n{}",
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
    /// A new directory under the system's temporary directory.
    pub fn new(label: &str) -> TempDir {
        Self::create(std::env::temp_dir().join(unique_name(&format!("wasp-test-{label}"))))
    }

    /// A new directory under `target/go-stdlib/tmp`, for what the go command builds, runs or
    /// puts on PATH (the system's temporary directory may be small or `noexec`).
    pub fn under_target(label: &str) -> TempDir {
        Self::create(work_dir().join("tmp").join(unique_name(label)))
    }

    fn create(path: PathBuf) -> TempDir {
        let _ = std::fs::remove_dir_all(&path);
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
