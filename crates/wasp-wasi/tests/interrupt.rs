//! WASI calls blocked in the host end when the store is interrupted or its
//! deadline passes: `poll_oneoff` on a clock or on stdin, a blocking
//! `fd_read` of a pipe, a blocking `sock_accept`. The call traps (it never
//! returns the errno to the guest), with the guest's frame in the backtrace;
//! the store stays usable and a stale wake-up does not cut a later wait short.

use std::time::{Duration, Instant};
use wasp::{Engine, Linker, Module, Store, TrapCode, TypedFunc};
use wasp_wasi::{WasiCtx, WasiCtxBuilder};

const GUEST: &str = r#"(module $guest
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $setfl (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; One subscription at 0: a monotonic clock `ns` from now.
  (func $sleeper (export "sleep") (param $ns i64) (result i32)
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (local.get $ns))
    (i32.store16 (i32.const 40) (i32.const 0))
    (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
  ;; One subscription at 0: fd_read on stdin, no clock.
  (func $stdin_poller (export "poll_stdin") (result i32)
    (i32.store8 (i32.const 8) (i32.const 1))
    (i32.store (i32.const 16) (i32.const 0))
    (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
  ;; A blocking read of 16 bytes from stdin.
  (func $reader (export "read") (result i32)
    (i32.store (i32.const 200) (i32.const 256))
    (i32.store (i32.const 204) (i32.const 16))
    (call $read (i32.const 0) (i32.const 200) (i32.const 1) (i32.const 208)))
  ;; A blocking accept on the preopened listener (fd 3, made blocking first).
  (func $acceptor (export "accept") (result i32)
    (drop (call $setfl (i32.const 3) (i32.const 0)))
    (call $accept (i32.const 3) (i32.const 0) (i32.const 300))))"#;

struct Host {
    wasi: WasiCtx,
}

struct Guest {
    store: Store<Host>,
    instance: wasp::Instance,
}

impl Guest {
    fn new(ctx: WasiCtx) -> Guest {
        let engine = Engine::default();
        let module = Module::new(&engine, GUEST).unwrap();
        let mut linker: Linker<Host> = Linker::new(&engine);
        wasp_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
        let mut store = Store::new(&engine, Host { wasi: ctx });
        let instance = linker.instantiate(&mut store, &module).unwrap();
        Guest { store, instance }
    }

    fn func<P: wasp::WasmParams>(&self, name: &str) -> TypedFunc<P, i32> {
        self.instance.get_typed_func(&self.store, name).unwrap()
    }

    /// Interrupts the store from another thread after `ms`.
    fn interrupt_after(&self, ms: u64) -> std::thread::JoinHandle<()> {
        let h = self.store.interrupt_handle();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            h.interrupt();
        })
    }
}

const LONG: i64 = 30_000_000_000; // 30 s

/// The call trapped with `code`, quickly, in the guest function `frame`.
fn assert_stopped(r: wasp::Result<i32>, code: TrapCode, frame: &str, started: Instant) {
    let took = started.elapsed();
    let e = r.expect_err("the wait must end in a trap, not return an errno");
    let trap = e.trap().unwrap_or_else(|| panic!("not a trap: {e}"));
    assert_eq!(trap.code(), code, "{e}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let names: Vec<String> = trap
        .backtrace()
        .iter()
        .filter_map(|f| f.func_name.clone())
        .collect();
    assert_eq!(names, [frame], "{e}");
}

#[test]
fn interrupt_ends_a_clock_wait_in_poll_oneoff() {
    let mut g = Guest::new(WasiCtx::new());
    let sleep = g.func::<i64>("sleep");
    let started = Instant::now();
    let t = g.interrupt_after(100);
    let r = sleep.call(&mut g.store, LONG);
    t.join().unwrap();
    assert_stopped(r, TrapCode::Interrupted, "sleeper", started);
    assert!(started.elapsed() >= Duration::from_millis(100));
    // The store is usable, and a short sleep runs to its end.
    let started = Instant::now();
    assert_eq!(sleep.call(&mut g.store, 30_000_000).unwrap(), 0);
    assert!(started.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_deadline_ends_a_clock_wait_in_poll_oneoff() {
    let mut g = Guest::new(WasiCtx::new());
    let sleep = g.func::<i64>("sleep");
    let started = Instant::now();
    g.store.set_timeout(Duration::from_millis(150));
    let r = sleep.call(&mut g.store, LONG);
    assert_stopped(r, TrapCode::DeadlineExceeded, "sleeper", started);
    assert!(started.elapsed() >= Duration::from_millis(150));
    // Still past: the next call stops before it starts; cleared, it runs.
    let e = sleep.call(&mut g.store, LONG).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::DeadlineExceeded));
    g.store.clear_deadline();
    assert_eq!(sleep.call(&mut g.store, 1_000_000).unwrap(), 0);
}

#[test]
fn a_stale_interrupt_does_not_cut_a_later_wait_short() {
    let mut g = Guest::new(WasiCtx::new());
    let sleep = g.func::<i64>("sleep");
    // Create the waker, then raise an interrupt while nothing runs.
    assert_eq!(sleep.call(&mut g.store, 1_000_000).unwrap(), 0);
    g.store.interrupt_handle().interrupt();
    let started = Instant::now();
    assert_eq!(sleep.call(&mut g.store, 80_000_000).unwrap(), 0);
    assert!(started.elapsed() >= Duration::from_millis(80));
}

/// A context whose stdin is a pipe nobody writes to (the writer stays open).
fn silent_stdin() -> (WasiCtx, std::io::PipeWriter) {
    let (r, w) = std::io::pipe().unwrap();
    let mut b = WasiCtxBuilder::new();
    b.stdin_fd(r);
    (b.build(), w)
}

#[test]
fn interrupt_ends_poll_oneoff_on_stdin_and_a_blocking_read() {
    let (ctx, _writer) = silent_stdin();
    let mut g = Guest::new(ctx);
    for (name, frame) in [("poll_stdin", "stdin_poller"), ("read", "reader")] {
        let f = g.func::<()>(name);
        let t = g.interrupt_after(100);
        let started = Instant::now();
        let r = f.call(&mut g.store, ());
        t.join().unwrap();
        assert_stopped(r, TrapCode::Interrupted, frame, started);
    }
}

#[test]
fn a_deadline_ends_a_blocking_read_and_data_still_arrives_after() {
    use std::io::Write;
    let (ctx, mut writer) = silent_stdin();
    let mut g = Guest::new(ctx);
    let read = g.func::<()>("read");
    let started = Instant::now();
    g.store.set_timeout(Duration::from_millis(100));
    assert_stopped(
        read.call(&mut g.store, ()),
        TrapCode::DeadlineExceeded,
        "reader",
        started,
    );
    g.store.clear_deadline();
    writer.write_all(b"hi").unwrap();
    assert_eq!(read.call(&mut g.store, ()).unwrap(), 0);
}

#[test]
fn interrupt_ends_a_blocking_accept() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut b = WasiCtxBuilder::new();
    b.preopened_listener(listener).unwrap();
    let mut g = Guest::new(b.build());
    let accept = g.func::<()>("accept");
    let started = Instant::now();
    let t = g.interrupt_after(100);
    let r = accept.call(&mut g.store, ());
    t.join().unwrap();
    assert_stopped(r, TrapCode::Interrupted, "acceptor", started);
}
