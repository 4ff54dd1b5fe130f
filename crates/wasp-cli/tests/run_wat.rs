//! `wasp run` on hand-written `.wat` modules: exit codes, traps, link
//! errors, argument and environment passing, the WASI edge cases Go does not
//! reach (bad pointers, unknown fds, fd_renumber, poll_oneoff with absolute
//! clocks and mixed fds, nsubscriptions = 0, CPU-time clocks), preopens,
//! listeners, reactors with --invoke, and resource flags.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn wasp() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wasp"));
    c.env_clear();
    c
}

struct Tmp(PathBuf);
impl Tmp {
    fn new(label: &str) -> Tmp {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("wasp-run-wat-{label}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
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

/// Imports used by the test modules, plus helpers `$print(ptr, len)` and
/// `$check(errno_got, errno_want)` (exits with 100 + got on a mismatch).
const PRELUDE: &str = r#"
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $res (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $set_flags (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 1024) (local.get $ptr))
    (i32.store (i32.const 1028) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 1024) (i32.const 1) (i32.const 1032))
      (then unreachable)))
  (func $check (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $exit (i32.add (i32.const 100) (local.get $got))))))
"#;

fn module(body: &str) -> String {
    format!("(module {PRELUDE} {body})")
}

fn run_wat(wat: &str, flags: &[&str], args: &[&str]) -> Output {
    let t = Tmp::new("m");
    let m = t.file("m.wat", wat);
    wasp()
        .arg("run")
        .args(flags)
        .arg(&m)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn hello_exit_code_and_binary_input() {
    let wat = module(
        r#"(data (i32.const 0) "hello\n")
           (func (export "_start") (call $print (i32.const 0) (i32.const 6)) (call $exit (i32.const 42)))"#,
    );
    let o = run_wat(&wat, &[], &[]);
    assert_eq!(o.status.code(), Some(42), "{}", stderr(&o));
    assert_eq!(stdout(&o), "hello\n");
    assert_eq!(stderr(&o), "");
    // returning from _start is status 0
    let o = run_wat(&module(r#"(func (export "_start"))"#), &[], &[]);
    assert_eq!(o.status.code(), Some(0));
    // a binary module (hand-assembled): _start executes `unreachable`
    let t = Tmp::new("bin");
    let bin = t.file(
        "m.wasm",
        [
            0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // header
            1, 4, 1, 0x60, 0, 0, // type: () -> ()
            3, 2, 1, 0, // func 0: type 0
            7, 10, 1, 6, b'_', b's', b't', b'a', b'r', b't', 0, 0, // export _start
            10, 5, 1, 3, 0, 0x00, 0x0b, // code: unreachable
        ],
    );
    let o = wasp().arg("run").arg(&bin).output().unwrap();
    assert_eq!(o.status.code(), Some(134));
    assert!(stderr(&o).contains("unreachable"), "{}", stderr(&o));
}

#[test]
fn trap_exits_134_with_kind_and_backtrace() {
    let wat = module(
        r#"(data (i32.const 0) "before\n")
           (func $deep_inside (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
           (func $caller (drop (call $deep_inside (i32.const 0))))
           (func (export "_start") (call $print (i32.const 0) (i32.const 7)) (call $caller))"#,
    );
    let o = run_wat(&wat, &[], &[]);
    assert_eq!(o.status.code(), Some(134));
    assert_eq!(stdout(&o), "before\n");
    let err = stderr(&o);
    assert!(err.contains("integer divide by zero"), "{err}");
    assert!(
        err.contains("deep_inside") && err.contains("caller"),
        "{err}"
    );
    assert!(
        err.find("deep_inside").unwrap() < err.find("caller").unwrap(),
        "innermost first: {err}"
    );
}

#[test]
fn unknown_import_is_a_link_error_before_running() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "ran\n")
        (func $init (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4))
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
        (start $init)
        (func (export "_start")))"#;
    let o = run_wat(wat, &[], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "", "nothing ran");
    let err = stderr(&o);
    assert!(
        err.contains("wasi_snapshot_preview1") && err.contains("fd_frobnicate"),
        "{err}"
    );
    // a missing module file
    let o = wasp()
        .args(["run", "/nonexistent/x.wasm"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/x.wasm"));
}

/// Prints the args buffer then the environ buffer, NULs and all.
const DUMP_ARGS_ENV: &str = r#"
  (func (export "_start")
    (call $check (call $args_sizes (i32.const 0) (i32.const 4)) (i32.const 0))
    (call $check (call $args_get (i32.const 4096) (i32.const 8192)) (i32.const 0))
    (call $print (i32.const 8192) (i32.load (i32.const 4)))
    (call $check (call $env_sizes (i32.const 0) (i32.const 4)) (i32.const 0))
    (call $check (call $env_get (i32.const 4096) (i32.const 16384)) (i32.const 0))
    (call $print (i32.const 16384) (i32.load (i32.const 4))))"#;

#[test]
fn args_and_env() {
    let t = Tmp::new("args");
    let m = t.file("m.wat", module(DUMP_ARGS_ENV));
    let o = wasp()
        .arg("run")
        .args([
            "--env",
            "A=1",
            "--env",
            "EMPTY=",
            "--env",
            "FROM_HOST",
            "--env",
            "NOT_SET",
        ])
        .arg(&m)
        .args(["x", "--env", "-5", ""])
        .env("FROM_HOST", "yes")
        .env("SECRET", "no")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = format!(
        "{}\0x\0--env\0-5\0\0A=1\0EMPTY=\0FROM_HOST=yes\0",
        m.display()
    );
    assert_eq!(stdout(&o), want);
    // --inherit-env passes everything, --env overrides
    let o = wasp()
        .arg("run")
        .args(["--inherit-env", "--env", "B=2"])
        .arg(&m)
        .env("B", "host")
        .env("C", "3")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("B=2\0") && out.contains("C=3\0"), "{out:?}");
    assert!(!out.contains("B=host"));
}

#[test]
fn bad_pointers_unknown_fds_renumber() {
    let wat = module(
        r#"(data (i32.const 0) "to stderr\n")
           (func (export "_start")
             ;; iovec array out of bounds: EFAULT (21)
             (call $check (call $fd_write (i32.const 1) (i32.const 131070) (i32.const 1) (i32.const 64)) (i32.const 21))
             ;; iovec buffer out of bounds
             (i32.store (i32.const 32) (i32.const 131000))
             (i32.store (i32.const 36) (i32.const 1000))
             (call $check (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 64)) (i32.const 21))
             ;; result pointer out of bounds
             (i32.store (i32.const 32) (i32.const 0))
             (i32.store (i32.const 36) (i32.const 10))
             (call $check (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const -1)) (i32.const 21))
             (call $check (call $args_sizes (i32.const 131072) (i32.const 0)) (i32.const 21))
             (call $check (call $clock (i32.const 1) (i64.const 0) (i32.const 131068)) (i32.const 21))
             ;; unknown fds: EBADF (8)
             (call $check (call $fd_write (i32.const 7) (i32.const 32) (i32.const 1) (i32.const 64)) (i32.const 8))
             (call $check (call $fd_read (i32.const -1) (i32.const 32) (i32.const 1) (i32.const 64)) (i32.const 8))
             (call $check (call $close (i32.const 3)) (i32.const 8))
             (call $check (call $renumber (i32.const 9) (i32.const 1)) (i32.const 8))
             (call $check (call $renumber (i32.const 1) (i32.const 9)) (i32.const 8))
             ;; fd_renumber(2, 1): fd 1 is now stderr, fd 2 is gone
             (call $check (call $renumber (i32.const 2) (i32.const 1)) (i32.const 0))
             (call $check (call $fd_write (i32.const 2) (i32.const 32) (i32.const 1) (i32.const 64)) (i32.const 8))
             (call $check (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 64)) (i32.const 0))
             (call $exit (i32.const 0)))"#,
    );
    let o = run_wat(&wat, &[], &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "to stderr\n");
}

#[test]
fn clocks_including_cpu_time() {
    let wat = module(
        r#"(func (export "_start")
             (call $check (call $clock (i32.const 0) (i64.const 1) (i32.const 0)) (i32.const 0))
             (call $check (call $clock (i32.const 1) (i64.const 1) (i32.const 8)) (i32.const 0))
             (call $check (call $clock (i32.const 2) (i64.const 1) (i32.const 16)) (i32.const 0))
             (call $check (call $clock (i32.const 3) (i64.const 1) (i32.const 24)) (i32.const 0))
             (call $check (call $res (i32.const 2) (i32.const 32)) (i32.const 0))
             (call $check (call $res (i32.const 3) (i32.const 40)) (i32.const 0))
             (call $check (call $clock (i32.const 4) (i64.const 1) (i32.const 24)) (i32.const 28))
             (call $check (call $res (i32.const 4) (i32.const 40)) (i32.const 28))
             ;; CPU times are non-zero, and at most the wall-clock monotonic time of the process
             (if (i64.eqz (i64.load (i32.const 16))) (then (call $exit (i32.const 3))))
             (if (i64.eqz (i64.load (i32.const 24))) (then (call $exit (i32.const 4))))
             (if (i64.eqz (i64.load (i32.const 32))) (then (call $exit (i32.const 5))))
             (if (i64.lt_u (i64.load (i32.const 0)) (i64.const 1600000000000000000)) (then (call $exit (i32.const 6))))
             (call $exit (i32.const 0)))"#,
    );
    let o = run_wat(&wat, &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Polls: [0] abs monotonic now+50ms, [1] abs realtime now+10s, [2] fd_read
/// stdin (when `with_stdin`); prints the userdata of each event as a byte.
fn poll_module(with_stdin: bool) -> String {
    let n = if with_stdin { 3 } else { 2 };
    module(&format!(
        r#"(func (export "_start") (local $i i32)
             (call $check (call $clock (i32.const 1) (i64.const 0) (i32.const 0)) (i32.const 0))
             (call $check (call $clock (i32.const 0) (i64.const 0) (i32.const 8)) (i32.const 0))
             ;; sub 0: userdata 'A', clock monotonic, abs now+50ms
             (i64.store (i32.const 256) (i64.const 65))
             (i32.store8 (i32.const 264) (i32.const 0))
             (i32.store (i32.const 272) (i32.const 1))
             (i64.store (i32.const 280) (i64.add (i64.load (i32.const 0)) (i64.const 50000000)))
             (i64.store (i32.const 288) (i64.const 0))
             (i32.store16 (i32.const 296) (i32.const 1))
             ;; sub 1: userdata 'B', clock realtime, abs now+10s
             (i64.store (i32.const 304) (i64.const 66))
             (i32.store8 (i32.const 312) (i32.const 0))
             (i32.store (i32.const 320) (i32.const 0))
             (i64.store (i32.const 328) (i64.add (i64.load (i32.const 8)) (i64.const 10000000000)))
             (i64.store (i32.const 336) (i64.const 0))
             (i32.store16 (i32.const 344) (i32.const 1))
             ;; sub 2: userdata 'C', fd_read on stdin
             (i64.store (i32.const 352) (i64.const 67))
             (i32.store8 (i32.const 360) (i32.const 1))
             (i32.store (i32.const 368) (i32.const 0))
             ;; nsubscriptions = 0 is EINVAL (28)
             (call $check (call $poll (i32.const 256) (i32.const 512) (i32.const 0) (i32.const 16)) (i32.const 28))
             (call $check (call $poll (i32.const 256) (i32.const 512) (i32.const {n}) (i32.const 16)) (i32.const 0))
             (block $done (loop $next
               (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 16))))
               ;; error field must be 0
               (call $check (i32.load16_u (i32.add (i32.const 520) (i32.mul (local.get $i) (i32.const 32)))) (i32.const 0))
               (call $print (i32.add (i32.const 512) (i32.mul (local.get $i) (i32.const 32))) (i32.const 1))
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br $next)))
             (call $exit (i32.const 0)))"#
    ))
}

#[test]
fn poll_absolute_clocks() {
    let t = Instant::now();
    let o = run_wat(&poll_module(false), &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "A");
    assert!(t.elapsed() >= Duration::from_millis(50));
}

#[test]
fn poll_mixed_clock_and_stdin() {
    let t = Tmp::new("poll");
    let m = t.file("m.wat", poll_module(true));
    // stdin gets data after 20 ms: the fd event arrives before the 50 ms clock
    let mut child = wasp()
        .arg("run")
        .arg(&m)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    stdin.write_all(b"x").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o) == "C" || stdout(&o) == "AC", "{:?}", stdout(&o));
    drop(stdin);
    // stdin silent: the monotonic deadline fires
    let mut child = wasp()
        .arg("run")
        .arg(&m)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let o = {
        let _keep_open = child.stdin.take();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        (child.wait().unwrap(), out)
    };
    assert_eq!(o.0.code(), Some(0));
    assert_eq!(o.1, "A");
}

#[test]
fn stdin_is_inherited() {
    let wat = module(
        r#"(func (export "_start") (local $n i32)
             (loop $more
               (i32.store (i32.const 32) (i32.const 4096))
               (i32.store (i32.const 36) (i32.const 4096))
               (call $check (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 40)) (i32.const 0))
               (local.set $n (i32.load (i32.const 40)))
               (if (local.get $n) (then
                 (call $print (i32.const 4096) (local.get $n))
                 (br $more)))))"#,
    );
    let t = Tmp::new("cat");
    let m = t.file("cat.wat", wat);
    let mut child = wasp()
        .arg("run")
        .arg(&m)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let data: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let mut stdin = child.stdin.take().unwrap();
    let d2 = data.clone();
    let w = std::thread::spawn(move || stdin.write_all(&d2).unwrap());
    let o = child.wait_with_output().unwrap();
    w.join().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stdout == data,
        "cat changed {} bytes into {}",
        data.len(),
        o.stdout.len()
    );
}

#[test]
fn preopens_read_only_and_cwd_not_exposed() {
    let t = Tmp::new("dirs");
    t.file("f.txt", "x");
    let wat = module(
        r#"(data (i32.const 64) "f.txt")
           (data (i32.const 80) "new.txt")
           (func (export "_start")
             ;; no preopen unless asked: fd 3 does not exist
             (call $exit (call $path_open (i32.const 3) (i32.const 1) (i32.const 64) (i32.const 5)
                   (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0))))"#,
    );
    let o = run_wat(&wat, &[], &[]);
    assert_eq!(o.status.code(), Some(8), "EBADF without --dir");
    let create = module(
        r#"(data (i32.const 80) "new.txt")
           (func (export "_start")
             (call $exit (call $path_open (i32.const 3) (i32.const 1) (i32.const 80) (i32.const 7)
                   (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 0))))"#,
    );
    let host = t.0.display().to_string();
    for flags in [
        vec!["--dir".to_string(), format!("{host}::/d:ro")],
        vec!["--dir-ro".to_string(), format!("{host}::/d")],
    ] {
        let flags: Vec<&str> = flags.iter().map(|s| s.as_str()).collect();
        let o = run_wat(&create, &flags, &[]);
        assert_eq!(o.status.code(), Some(69), "EROFS: {}", stderr(&o));
        assert!(!t.0.join("new.txt").exists());
    }
    let o = run_wat(&create, &["--dir", &format!("{host}::/d")], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(t.0.join("new.txt").exists());
    // a --dir that does not exist
    let o = run_wat(&create, &["--dir", "/nonexistent-wasp-dir::/d"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent-wasp-dir"));
}

#[test]
fn listen_socket_is_accepted() {
    let wat = module(
        r#"(data (i32.const 64) "hi from wasm\n")
           (func (export "_start")
             ;; the listener starts non-blocking; make accept wait
             (call $check (call $set_flags (i32.const 3) (i32.const 0)) (i32.const 0))
             (call $check (call $accept (i32.const 3) (i32.const 0) (i32.const 0)) (i32.const 0))
             (i32.store (i32.const 32) (i32.const 64))
             (i32.store (i32.const 36) (i32.const 13))
             (call $check (call $fd_write (i32.load (i32.const 0)) (i32.const 32) (i32.const 1) (i32.const 40)) (i32.const 0))
             (call $exit (i32.load (i32.const 0))))"#,
    );
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let t = Tmp::new("listen");
    let m = t.file("m.wat", wat);
    let addr = format!("127.0.0.1:{port}");
    let mut child = wasp()
        .arg("run")
        .args(["--listen", &addr])
        .arg(&m)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut conn = loop {
        match std::net::TcpStream::connect(&addr) {
            Ok(c) => break c,
            Err(_) if start.elapsed() < Duration::from_secs(20) => {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("wasp exited early: {status}");
                }
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("connect: {e}"),
        }
    };
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hi from wasm\n");
    assert_eq!(
        child.wait().unwrap().code(),
        Some(4),
        "the accepted fd is 4"
    );
    // an address that cannot be bound
    let o = run_wat(
        &module(r#"(func (export "_start"))"#),
        &["--listen", "256.0.0.1:1"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--listen"));
}

#[test]
fn reactor_invoke() {
    let wat = module(
        r#"(global $base (mut i64) (i64.const 0))
           (func (export "_initialize") (global.set $base (i64.const 1000)))
           (func (export "add") (param i32 i64) (result i64)
             (i64.add (global.get $base) (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))))
           (func (export "pair") (param f64) (result f64 i32) (f64.mul (local.get 0) (f64.const 2)) (i32.const -1))"#,
    );
    let o = run_wat(&wat, &["--invoke", "add"], &["-5", "7"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "1002\n");
    let o = run_wat(&wat, &["--invoke", "pair"], &["1.25"]);
    assert_eq!(stdout(&o), "2.5\n-1\n");
    let o = run_wat(&wat, &["--invoke", "add"], &["1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("takes 2"), "{}", stderr(&o));
    let o = run_wat(&wat, &["--invoke", "add"], &["x", "1"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run_wat(&wat, &["--invoke", "nope"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope"));
    // without --invoke a reactor just initialises
    let o = run_wat(&wat, &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // neither _start nor _initialize
    let o = run_wat("(module (func (export \"f\")))", &[], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--invoke"));
}

#[test]
fn max_memory_and_max_stack() {
    let wat = module(
        r#"(func (export "_start")
             ;; memory has 2 pages; grow by 14 to 16 pages (1 MiB) must work, one more must not
             (if (i32.eq (memory.grow (i32.const 14)) (i32.const -1)) (then (call $exit (i32.const 10))))
             (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1)) (then (call $exit (i32.const 11))))
             (call $exit (i32.const 0)))"#,
    );
    let o = run_wat(&wat, &["--max-memory", "1MiB"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run_wat(&wat, &[], &[]);
    assert_eq!(o.status.code(), Some(11), "no cap by default");
    let o = run_wat(&wat, &["--max-memory", "lots"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let rec = r#"(module
        (func $r (param i64) (result i64)
          (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 0))
            (else (i64.add (i64.const 1) (call $r (i64.sub (local.get 0) (i64.const 1)))))))
        (func (export "_start") (drop (call $r (i64.const 100000)))))"#;
    let o = run_wat(rec, &["--max-stack", "64KiB"], &[]);
    assert_eq!(o.status.code(), Some(134));
    assert!(stderr(&o).contains("stack"), "{}", stderr(&o));
    let o = run_wat(rec, &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn help_has_examples() {
    let o = wasp().args(["run", "--help"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let h = stdout(&o);
    for needle in [
        "--dir",
        "HOST::GUEST:ro",
        "--env",
        "--inherit-env",
        "--listen",
        "--max-memory",
        "--max-stack",
        "--invoke",
        "Examples:",
    ] {
        assert!(h.contains(needle), "help lacks {needle}");
    }
}
