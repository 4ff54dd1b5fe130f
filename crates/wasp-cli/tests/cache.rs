//! `wasp run`'s code cache and `--timings`: where the cache goes
//! (`--cache-dir`, `WASP_CACHE_DIR`, `$XDG_CACHE_HOME/wasp`, `~/.cache/wasp`,
//! none with `--no-cache`), a second run that validates and translates
//! nothing, a corrupt entry that is rebuilt, concurrent runs of one module.
//! Every run gets a cleared environment and temporary directories: nothing
//! here touches the real ~/.cache.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Tmp(PathBuf);
impl Tmp {
    fn new(label: &str) -> Tmp {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("wasp-cli-cache-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A WASI command printing "cached 42\n" through three functions.
const MODULE: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "cached 42\n")
  (func $iov (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 10)))
  (func $write (result i32) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "_start") (call $iov) (drop (call $write))))"#;

fn module(dir: &Path) -> PathBuf {
    let p = dir.join("m.wat");
    std::fs::write(&p, MODULE).unwrap();
    p
}

/// `wasp run` with a cleared environment plus `env`.
fn run(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wasp"));
    c.arg("run").args(args).env_clear();
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "cached 42\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn timings_show_a_miss_then_a_hit_that_validates_and_translates_nothing() {
    let tmp = Tmp::new("timings");
    let m = module(&tmp.0);
    let cache = tmp.0.join("cache");
    let m = m.to_str().unwrap();
    let c = cache.to_str().unwrap();
    let first = stderr(&run(&["--timings", "--cache-dir", c, m], &[]));
    for line in [
        "read file",
        "hash",
        "cache load",
        "decode",
        "validate",
        "instantiate",
        "translate",
        "execute",
        "compile",
        "cache save",
        "total",
    ] {
        assert!(first.contains(line), "no `{line}` in:\n{first}");
    }
    assert!(first.contains("cache: miss"), "{first}");
    assert!(first.contains("3 functions translated"), "{first}");
    assert!(first.contains("entry written"), "{first}");
    assert_eq!(entries(&cache).len(), 1);
    let second = stderr(&run(&["--timings", "--cache-dir", c, m], &[]));
    assert!(
        second.contains("cache: hit, 3 translated functions"),
        "{second}"
    );
    assert!(second.contains("0 function bodies"), "{second}");
    assert!(
        second.contains("0 functions translated, 3 decoded from the cache"),
        "{second}"
    );
    // WASP_TIMINGS=1 asks for the same.
    let env = stderr(&run(
        &["--cache-dir", c, m],
        &[("WASP_TIMINGS", Path::new("1"))],
    ));
    assert!(env.contains("wasp timings:"), "{env}");
    assert!(stderr(&run(&["--cache-dir", c, m], &[])).is_empty());
}

#[test]
fn the_cache_goes_where_flags_and_environment_say_and_nowhere_with_no_cache() {
    let tmp = Tmp::new("where");
    let m = module(&tmp.0);
    let m = m.to_str().unwrap();
    let home = tmp.0.join("home");
    let xdg = tmp.0.join("xdg");
    let env_dir = tmp.0.join("env");
    // $HOME/.cache/wasp by default, $XDG_CACHE_HOME/wasp before it.
    run(&[m], &[("HOME", &home)]);
    assert_eq!(entries(&home.join(".cache/wasp")).len(), 1);
    run(&[m], &[("HOME", &home), ("XDG_CACHE_HOME", &xdg)]);
    assert_eq!(entries(&xdg.join("wasp")).len(), 1);
    // WASP_CACHE_DIR before both; empty: no cache.
    run(
        &[m],
        &[
            ("HOME", &home),
            ("XDG_CACHE_HOME", &xdg),
            ("WASP_CACHE_DIR", &env_dir),
        ],
    );
    assert_eq!(entries(&env_dir).len(), 1);
    let off = tmp.0.join("off-home");
    run(&[m], &[("HOME", &off), ("WASP_CACHE_DIR", Path::new(""))]);
    // --no-cache: nothing anywhere, and the breakdown says so.
    let out = run(
        &["--no-cache", "--timings", m],
        &[("HOME", &off), ("WASP_CACHE_DIR", &off)],
    );
    assert!(stderr(&out).contains("cache: off"), "{}", stderr(&out));
    assert!(entries(&off)
        .iter()
        .all(|p| !p.to_string_lossy().ends_with(".wasp")));
    assert!(entries(&off.join(".cache/wasp")).is_empty());
    // No HOME at all: no cache, still runs.
    run(&[m], &[]);
}

#[test]
fn a_corrupt_entry_is_rebuilt() {
    let tmp = Tmp::new("corrupt");
    let m = module(&tmp.0);
    let (m, cache) = (m.to_str().unwrap(), tmp.0.join("c"));
    let c = cache.to_str().unwrap();
    run(&["--cache-dir", c, m], &[]);
    let entry = entries(&cache).pop().unwrap();
    let len = std::fs::metadata(&entry).unwrap().len();
    for bytes in [vec![0u8; 3], vec![0xff; len as usize]] {
        std::fs::write(&entry, bytes).unwrap();
        let out = stderr(&run(&["--timings", "--cache-dir", c, m], &[]));
        assert!(out.contains("cache: rejected"), "{out}");
        let out = stderr(&run(&["--timings", "--cache-dir", c, m], &[]));
        assert!(out.contains("cache: hit"), "{out}");
    }
}

#[test]
fn concurrent_runs_of_one_module_share_the_cache_safely() {
    let tmp = Tmp::new("concurrent");
    let m = module(&tmp.0);
    let cache = tmp.0.join("c");
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_wasp"))
                .args(["run", "--cache-dir"])
                .arg(&cache)
                .arg(&m)
                .env_clear()
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "cached 42\n");
    }
    let files = entries(&cache);
    assert_eq!(files.len(), 1, "{files:?}");
    let out = stderr(&run(
        &[
            "--timings",
            "--cache-dir",
            cache.to_str().unwrap(),
            m.to_str().unwrap(),
        ],
        &[],
    ));
    assert!(out.contains("cache: hit, 3 translated functions"), "{out}");
}
