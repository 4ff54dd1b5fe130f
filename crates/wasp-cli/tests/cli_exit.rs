//! `wasp`'s exit statuses: the guest's `proc_exit` status (0 to 125 only),
//! 134 for a trap or a refused `proc_exit`, 1 when wasp itself fails; and
//! the same statuses, never a Rust panic (101), when stdout or stderr is a
//! closed pipe or a full disk (`/dev/full`).
//!
//! Self-contained: the modules are `.wat` text written to a temp dir.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

/// Where a test connects the child's stdout or stderr.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sink {
    /// A pipe whose read end is already closed: writes fail with `EPIPE`.
    ClosedPipe,
    /// `/dev/full`: writes fail with `ENOSPC`.
    Full,
    /// A pipe the test reads.
    Captured,
}

const BROKEN: [Sink; 2] = [Sink::ClosedPipe, Sink::Full];

impl Sink {
    fn stdio(self) -> Stdio {
        match self {
            Sink::ClosedPipe => {
                let (r, w) = std::io::pipe().unwrap();
                drop(r);
                Stdio::from(w)
            }
            Sink::Full => Stdio::from(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full"),
            ),
            Sink::Captured => Stdio::piped(),
        }
    }
}

/// Runs `wasp ARGS` with stdout and stderr connected as given; fails the
/// test on a Rust panic (exit 101 or a panic message).
fn run_with(args: &[&std::ffi::OsStr], out: Sink, err: Sink, env: &[(&str, &str)]) -> Output {
    let o = wasp()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(out.stdio())
        .stderr(err.stdio())
        .output()
        .unwrap();
    let what = format!("wasp {args:?} with stdout {out:?}, stderr {err:?}");
    assert_ne!(
        o.status.code(),
        Some(101),
        "{what} panicked: {}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"), "{what}: {}", stderr(&o));
    o
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

#[test]
fn trap_and_load_error_keep_their_status_when_stderr_is_broken() {
    let t = Tmp::new();
    let trap = t.file(
        "trap.wat",
        r#"(module (func (export "_start") unreachable))"#,
    );
    let bad = t.file("bad.wat", "(module (func (export \"_start\") i32.add))");
    let missing = t.0.join("missing.wasm");
    for err in BROKEN {
        for out in [Sink::Captured, Sink::ClosedPipe, Sink::Full] {
            let o = run_with(&[os("run"), trap.as_os_str()], out, err, &[]);
            assert_eq!(o.status.code(), Some(134), "trap, stderr {err:?}");
            for m in [&bad, &missing] {
                let o = run_with(&[os("run"), m.as_os_str()], out, err, &[]);
                assert_eq!(o.status.code(), Some(1), "load error, stderr {err:?}");
            }
            // a refused proc_exit is reported like a trap
            let m = t.file("exit.wat", &exit_module(256));
            let o = run_with(&[os("run"), m.as_os_str()], out, err, &[]);
            assert_eq!(o.status.code(), Some(134));
        }
        // usage errors and --help
        let o = run_with(&[os("run"), os("--no-such-flag")], Sink::Captured, err, &[]);
        assert_eq!(o.status.code(), Some(2));
        let o = run_with(&[os("go-exec")], Sink::Captured, err, &[]);
        assert_eq!(o.status.code(), Some(2));
    }
}

#[test]
fn invoke_results_that_cannot_be_written_are_an_error() {
    let t = Tmp::new();
    let m = t.file(
        "f.wat",
        r#"(module (func (export "f") (param i32) (result i32 i64)
             (i32.add (local.get 0) (i32.const 1)) (i64.const 7)))"#,
    );
    let args = [os("run"), os("--invoke"), os("f"), m.as_os_str(), os("41")];
    let o = run_with(&args, Sink::Captured, Sink::Captured, &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "42\n7\n");
    for out in BROKEN {
        let o = run_with(&args, out, Sink::Captured, &[]);
        assert_eq!(o.status.code(), Some(1), "stdout {out:?}");
        match out {
            // `wasp run --invoke f m.wat | head -0`: no message for a closed pipe
            Sink::ClosedPipe => assert_eq!(stderr(&o), ""),
            _ => assert!(stderr(&o).contains("writing the results"), "{}", stderr(&o)),
        }
        for err in BROKEN {
            let o = run_with(&args, out, err, &[]);
            assert_eq!(o.status.code(), Some(1), "stdout {out:?}, stderr {err:?}");
        }
    }
}

#[test]
fn guest_writes_to_a_broken_stdout_get_an_errno() {
    // The guest writes to fd 1 and exits with fd_write's errno.
    let t = Tmp::new();
    let m = t.file(
        "w.wat",
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 64) "hello\n")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 64))
            (i32.store (i32.const 4) (i32.const 6))
            (call $exit (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    let args = [os("run"), m.as_os_str()];
    let o = run_with(&args, Sink::Captured, Sink::Captured, &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "hello\n");
    const EPIPE: i32 = 64;
    const ENOSPC: i32 = 51;
    let trace = [("WASP_TRACE_WASI", "1")];
    for env in [&[][..], &trace[..]] {
        for err in [Sink::Captured, Sink::ClosedPipe, Sink::Full] {
            let o = run_with(&args, Sink::ClosedPipe, err, env);
            assert_eq!(o.status.code(), Some(EPIPE), "env {env:?}, stderr {err:?}");
            let o = run_with(&args, Sink::Full, err, env);
            assert_eq!(o.status.code(), Some(ENOSPC), "env {env:?}, stderr {err:?}");
        }
    }
}

#[test]
fn other_subcommands_do_not_panic_on_broken_output() {
    let t = Tmp::new();
    let wast = t.file(
        "ok.wast",
        r#"(module (func (export "f") (result i32) i32.const 1))
           (assert_return (invoke "f") (i32.const 1))"#,
    );
    let m = t.file("m.wat", r#"(module (func (export "_start")))"#);
    let o = run_with(
        &[os("wast"), wast.as_os_str()],
        Sink::Captured,
        Sink::Captured,
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    for out in BROKEN {
        for err in [Sink::Captured, Sink::ClosedPipe, Sink::Full] {
            // every check passed, but the report was lost
            let o = run_with(&[os("wast"), os("-v"), wast.as_os_str()], out, err, &[]);
            assert_eq!(o.status.code(), Some(1), "wast, stdout {out:?}");
            let o = run_with(&[os("--help")], out, err, &[]);
            assert_eq!(o.status.code(), Some(1), "--help, stdout {out:?}");
            let o = run_with(&[os("inspect"), m.as_os_str()], out, err, &[]);
            assert_eq!(o.status.code(), Some(1), "inspect, stdout {out:?}");
            let dir = t.0.join("bin");
            let o = run_with(
                &[os("go-exec"), os("--install"), dir.as_os_str()],
                out,
                err,
                &[],
            );
            assert_eq!(
                o.status.code(),
                Some(1),
                "go-exec --install, stdout {out:?}"
            );
        }
    }
}

#[test]
fn trace_shows_every_call_denied_ones_and_the_exit() {
    // One path for every call: the trace covers denied functions and
    // proc_exit (with its outcome) the same way as the others.
    let t = Tmp::new();
    let m = t.file(
        "t.wat",
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 64) "hi\n")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 64))
            (i32.store (i32.const 4) (i32.const 3))
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            (drop (call $random (i32.const 16) (i32.const 4)))
            (drop (call $seek (i32.const 1) (i64.const -1) (i32.const 0) (i32.const 24)))
            (call $exit (i32.const 3))))"#,
    );
    for (status, extra) in [(3, None), (134, Some("proc_exit"))] {
        let mut args = vec![os("run"), os("--deny-wasi"), os("random_get")];
        if let Some(f) = extra {
            args.extend([os("--deny-wasi"), os(f)]);
        }
        args.push(m.as_os_str());
        let o = run_with(
            &args,
            Sink::Captured,
            Sink::Captured,
            &[("WASP_TRACE_WASI", "1")],
        );
        assert_eq!(o.status.code(), Some(status), "{}", stderr(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout), "hi\n");
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("[wasi]")).collect();
        let exit = match extra {
            None => "[wasi] proc_exit(3) -> exit with status 3",
            Some(_) => "[wasi] proc_exit(3) -> wasi: proc_exit is denied by the host",
        };
        assert_eq!(lines.len(), 4, "{err}");
        assert_eq!(lines[0], "[wasi] fd_write(1, 0, 1, 8) -> ok");
        assert_eq!(lines[1], "[wasi] random_get(16, 4) -> nosys (52)");
        // an i64 offset shows signed; the errno is fd.rs's business
        assert!(
            lines[2].starts_with("[wasi] fd_seek(1, -1, 0, 24) -> "),
            "{err}"
        );
        assert_eq!(lines[3], exit);
    }
}
