//! Unit tests of `run::run` without containerd: small WebAssembly text
//! modules run as the shim runs a container's module, with in-memory stdio.
//! They check the output, the exit statuses (guest status, trap, refused
//! `proc_exit`, set-up failure, stop request), the entry function rules, the
//! root preopen and the listeners.

use containerd_shim_wasp::run::{run, Launch, Outcome, Stdio, SETUP_EXIT, TRAP_EXIT};
use containerd_shim_wasp::stop::Stop;
use std::time::{Duration, Instant};
use wasp_wasi::MemoryOutput;

/// WASI imports and a memory shared by the test modules, plus `$print`
/// (writes `len` bytes at `ptr` to stdout, using bytes 0..12 as scratch).
const PRELUDE: &str = r#"
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
"#;

fn module(body: &str) -> Vec<u8> {
    format!("(module {PRELUDE} {body})").into_bytes()
}

struct Run {
    outcome: Outcome,
    stdout: String,
    stderr: String,
}

fn launch(body: &str) -> (Launch, MemoryOutput, MemoryOutput) {
    let stdout = MemoryOutput::new();
    let stderr = MemoryOutput::new();
    let l = Launch {
        module: module(body),
        name: "test".into(),
        func: "_start".into(),
        args: vec!["/test.wasm".into()],
        envs: vec![],
        root: std::env::temp_dir(),
        listen: vec![],
        trace: false,
        stdio: Stdio::Memory {
            stdout: stdout.clone(),
            stderr: stderr.clone(),
        },
    };
    (l, stdout, stderr)
}

fn run_launch(l: &Launch, out: &MemoryOutput, err: &MemoryOutput, stop: &Stop) -> Run {
    let outcome = run(l, stop);
    Run {
        outcome,
        stdout: out.contents_string(),
        stderr: err.contents_string(),
    }
}

fn run_body(body: &str, edit: impl FnOnce(&mut Launch)) -> Run {
    let (mut l, out, err) = launch(body);
    edit(&mut l);
    run_launch(&l, &out, &err, &Stop::new())
}

const HELLO: &str = r#"
  (data (i32.const 100) "hello from wasp\n")
  (func (export "_start") (call $print (i32.const 100) (i32.const 16)))
"#;

#[test]
fn stdout_and_status_zero() {
    let r = run_body(HELLO, |_| {});
    assert_eq!(r.stdout, "hello from wasp\n");
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.outcome,
        Outcome {
            status: 0,
            message: None
        }
    );
}

#[test]
fn proc_exit_status_is_the_exit_status() {
    let r = run_body(
        r#"(func (export "_start") (call $proc_exit (i32.const 7)))"#,
        |_| {},
    );
    assert_eq!(
        r.outcome,
        Outcome {
            status: 7,
            message: None
        }
    );
}

#[test]
fn trap_is_134_with_the_trap_in_the_message() {
    let r = run_body(r#"(func (export "_start") unreachable)"#, |_| {});
    assert_eq!(r.outcome.status, TRAP_EXIT);
    let msg = r.outcome.message.unwrap();
    assert!(msg.starts_with("wasp: test: "), "{msg}");
    assert!(msg.contains("unreachable"), "{msg}");
}

#[test]
fn refused_proc_exit_is_134() {
    let r = run_body(
        r#"(func (export "_start") (call $proc_exit (i32.const 200)))"#,
        |_| {},
    );
    assert_eq!(r.outcome.status, TRAP_EXIT, "{:?}", r.outcome);
}

#[test]
fn invalid_module_is_a_setup_failure() {
    let r = run_body(HELLO, |l| l.module = b"\0asm\x01\0\0\0\x7f".to_vec());
    assert_eq!(r.outcome.status, SETUP_EXIT);
    assert!(r.outcome.message.unwrap().starts_with("wasp: test: "));
}

#[test]
fn unknown_import_is_a_setup_failure() {
    let r = run_body(
        r#"(import "env" "nothing" (func))
           (func (export "_start"))"#,
        |_| {},
    );
    assert_eq!(r.outcome.status, SETUP_EXIT);
    assert!(r.outcome.message.unwrap().contains("nothing"));
}

#[test]
fn missing_entry_function_is_a_setup_failure() {
    let r = run_body(HELLO, |l| l.func = "main".into());
    assert_eq!(r.outcome.status, SETUP_EXIT);
    let msg = r.outcome.message.unwrap();
    assert!(msg.contains("exports no function `main`"), "{msg}");
}

#[test]
fn entry_with_parameters_is_a_setup_failure() {
    let r = run_body(r#"(func (export "_start") (param i32))"#, |_| {});
    assert_eq!(r.outcome.status, SETUP_EXIT);
    assert!(r.outcome.message.unwrap().contains("takes parameters"));
}

#[test]
fn custom_entry_runs_after_initialize() {
    // `_initialize` stores "init\n"; `main` prints it: the output proves the order.
    let body = r#"
      (data (i32.const 200) "main\n")
      (func (export "_initialize")
        (i32.store (i32.const 100) (i32.const 0x74696e69))
        (i32.store8 (i32.const 104) (i32.const 10)))
      (func (export "main")
        (call $print (i32.const 100) (i32.const 5))
        (call $print (i32.const 200) (i32.const 5)))
    "#;
    let r = run_body(body, |l| l.func = "main".into());
    assert_eq!(
        r.outcome,
        Outcome {
            status: 0,
            message: None
        }
    );
    assert_eq!(r.stdout, "init\nmain\n");
}

/// Prints the NUL-separated strings a `*_sizes_get`/`*_get` pair returns.
fn print_strings(sizes: &str, get: &str) -> String {
    format!(
        r#"(func (export "_start")
             (drop (call ${sizes} (i32.const 16) (i32.const 20)))
             (drop (call ${get} (i32.const 1024) (i32.const 4096)))
             (call $print (i32.const 4096) (i32.load (i32.const 20))))"#
    )
}

#[test]
fn arguments_reach_the_guest() {
    let r = run_body(&print_strings("args_sizes_get", "args_get"), |l| {
        l.args = vec!["/app/prog.wasm".into(), "one".into(), "two words".into()];
    });
    assert_eq!(r.stdout, "/app/prog.wasm\0one\0two words\0");
}

#[test]
fn environment_reaches_the_guest() {
    let r = run_body(&print_strings("environ_sizes_get", "environ_get"), |l| {
        l.envs = vec![("A".into(), "1".into()), ("PATH".into(), "/bin".into())];
    });
    assert_eq!(r.stdout, "A=1\0PATH=/bin\0");
}

#[test]
fn root_is_preopened_as_slash() {
    let body = r#"
      (func (export "_start")
        (if (i32.ne (call $fd_prestat_dir_name (i32.const 3) (i32.const 100) (i32.const 1)) (i32.const 0))
          (then unreachable))
        (call $print (i32.const 100) (i32.const 1)))
    "#;
    let r = run_body(body, |_| {});
    assert_eq!(r.outcome.status, 0, "{:?}", r.outcome);
    assert_eq!(r.stdout, "/");
}

#[test]
fn unopenable_root_is_a_setup_failure() {
    let r = run_body(HELLO, |l| l.root = "/nonexistent/wasp-root".into());
    assert_eq!(r.outcome.status, SETUP_EXIT);
    assert!(r.outcome.message.unwrap().contains("cannot open the root"));
}

#[test]
fn listeners_follow_the_root() {
    // fd 4 must be a socket (filetype 6, socket_stream) and fd 5 nothing (EBADF = 8).
    let body = r#"
      (data (i32.const 200) "0123456789")
      (func (export "_start")
        (if (i32.ne (call $fd_fdstat_get (i32.const 4) (i32.const 100)) (i32.const 0))
          (then unreachable))
        (call $print (i32.add (i32.const 200) (i32.load8_u (i32.const 100))) (i32.const 1))
        (call $print (i32.add (i32.const 200) (call $fd_fdstat_get (i32.const 5) (i32.const 100))) (i32.const 1)))
    "#;
    let r = run_body(body, |l| l.listen = vec!["127.0.0.1:0".into()]);
    assert_eq!(r.outcome.status, 0, "{:?}", r.outcome);
    assert_eq!(r.stdout, "68");
}

#[test]
fn listen_failure_is_a_setup_failure() {
    let r = run_body(HELLO, |l| l.listen = vec!["not an address".into()]);
    assert_eq!(r.outcome.status, SETUP_EXIT);
    let msg = r.outcome.message.unwrap();
    assert!(
        msg.contains("WASP_LISTEN: cannot listen on not an address"),
        "{msg}"
    );
}

const SPIN: &str = r#"(func (export "_start") (loop $l (br $l)))"#;

/// Sleeps 60 s in `poll_oneoff` (one relative clock subscription).
const SLEEP: &str = r#"
  (func (export "_start")
    ;; subscription at 1024: userdata 0, tag 0 (clock), clock id 1 (monotonic),
    ;; timeout 60 s in ns, precision 0, flags 0 (relative)
    (i32.store (i32.const 1032) (i32.const 0))
    (i32.store (i32.const 1040) (i32.const 1))
    (i64.store (i32.const 1048) (i64.const 60000000000))
    (drop (call $poll_oneoff (i32.const 1024) (i32.const 2048) (i32.const 1) (i32.const 16))))
"#;

/// Runs `body`, requesting a stop for SIGTERM after `delay`, and checks it
/// ends promptly with 143.
fn stops_on_request(body: &str, delay: Duration) {
    let (l, out, err) = launch(body);
    let stop = Stop::new();
    let requester = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            stop.request(15);
        })
    };
    let started = Instant::now();
    let r = run_launch(&l, &out, &err, &stop);
    requester.join().unwrap();
    assert_eq!(r.outcome.status, 128 + 15, "{:?}", r.outcome);
    assert_eq!(
        r.outcome.message.as_deref(),
        Some("wasp: test: stopped by SIGTERM")
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn stop_request_interrupts_a_busy_guest() {
    stops_on_request(SPIN, Duration::from_millis(200));
}

#[test]
fn stop_request_interrupts_a_guest_blocked_in_wasi() {
    stops_on_request(SLEEP, Duration::from_millis(200));
}

#[test]
fn stop_requested_before_the_run_is_honoured() {
    // The request comes before any wasm runs: a single interrupt would be
    // dropped, so this checks the run does not start (or is stopped anyway).
    stops_on_request(SPIN, Duration::ZERO);
}
