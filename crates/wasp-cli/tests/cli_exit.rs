//! `wasp`'s exit statuses: the guest's `proc_exit` status (0 to 125 only),
//! 134 for a trap or a refused `proc_exit`, 1 when wasp itself fails; and
//! the same statuses, never a Rust panic (101), when stdout or stderr is a
//! closed pipe or a full disk (`/dev/full`).
//!
//! Self-contained: the modules are `.wat` text written to a temp dir.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn wasp() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wasp"));
    c.env_clear();
    c
}

/// A temp dir removed on drop.
struct Tmp(PathBuf);

impl Tmp {
    fn new() -> Tmp {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("wasp-cli-exit-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A command that calls `proc_exit(status)`.
fn exit_module(status: i64) -> String {
    format!(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start") (call $exit (i32.const {status})) unreachable))"#
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run(module: &Path) -> Output {
    wasp().arg("run").arg(module).output().unwrap()
}

#[test]
fn guest_statuses_below_126_are_the_exit_status() {
    let t = Tmp::new();
    for status in [0, 1, 2, 42, 125] {
        let m = t.file("exit.wat", &exit_module(status));
        let o = run(&m);
        assert_eq!(o.status.code(), Some(status as i32), "{}", stderr(&o));
        assert_eq!(stderr(&o), "");
    }
}

#[test]
fn statuses_of_126_and_above_are_refused_not_truncated() {
    // 256 used to exit 0 (success), 134 looked like a trap, -1 became 255.
    let t = Tmp::new();
    for status in [126, 127, 134, 255, 256, 257, 0x7fff_ffff, -1] {
        let m = t.file("exit.wat", &exit_module(status));
        let o = run(&m);
        assert_eq!(o.status.code(), Some(134), "proc_exit({status})");
        let err = stderr(&o);
        assert!(err.contains("invalid exit status"), "{err}");
        let shown = status as i32 as u32;
        assert!(err.contains(&format!("proc_exit({shown})")), "{err}");
    }
}

#[test]
fn trap_is_134_and_load_error_is_1() {
    let t = Tmp::new();
    let m = t.file(
        "trap.wat",
        r#"(module (func (export "_start") unreachable))"#,
    );
    let o = run(&m);
    assert_eq!(o.status.code(), Some(134));
    assert!(stderr(&o).contains("unreachable"), "{}", stderr(&o));
    let bad = t.file("bad.wat", "(module (func (export \"_start\") i32.add))");
    assert_eq!(run(&bad).status.code(), Some(1));
    assert_eq!(run(&t.0.join("missing.wasm")).status.code(), Some(1));
}
