//! Deadlines, interrupts and fuel on a real Go program (`tests/guests/go/deadline`):
//! `wasp run --timeout` stops a Go `time.Sleep(30 * time.Second)`, a busy loop and a blocked
//! stdin read within about a second of the limit (exit status 124, output kept); through the
//! API, `InterruptHandle::interrupt` and `Store::set_timeout` stop the same sleep; `--fuel`
//! stops the busy loop (exit 134), and the same program and input consume the same fuel on
//! every run.

mod common;

use common::*;
use std::time::{Duration, Instant};
use wasp::{Caller, Config, Engine, Extern, Linker, Module, Store, TrapCode};
use wasp_wasi::{MemoryOutput, WasiCtx, WasiCtxBuilder};

/// How much later than its limit a stopped guest may end (wasm checks, process exit).
const SLACK: Duration = Duration::from_millis(1500);

fn guest() -> String {
    go_guest("deadline").display().to_string()
}

/// `wasp run --timeout 1s deadline MODE` ended by its timeout.
fn assert_timed_out(out: &Outcome) {
    out.assert_code(124).assert_stdout("started\n");
    let err = out.stderr_str();
    assert!(
        err.contains("timeout: the guest ran past 1s"),
        "stderr: {err}"
    );
    assert!(err.contains("wasm backtrace:"), "stderr: {err}");
}

#[test]
fn timeout_stops_a_go_sleep() {
    let started = Instant::now();
    let out = run(wasp_run(["--timeout", "1s", &guest(), "sleep"]));
    assert_timed_out(&out);
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(took < Duration::from_secs(1) + SLACK, "{took:?}");
}

#[test]
fn timeout_stops_a_go_busy_loop() {
    let out = run(wasp_run(["--timeout", "1s", &guest(), "spin"]));
    assert_timed_out(&out);
    assert!(out.wall < Duration::from_secs(1) + SLACK, "{:?}", out.wall);
}

#[test]
fn timeout_stops_a_go_read_of_a_silent_stdin() {
    // `spawn` pipes stdin; the pipe stays open and empty until the child is gone.
    let r = spawn(wasp_run(["--timeout", "1s", &guest(), "read"]));
    let out = r.finish(Duration::from_secs(30));
    assert_timed_out(&out);
    assert!(out.wall < Duration::from_secs(1) + SLACK, "{:?}", out.wall);
}

#[test]
fn without_a_timeout_the_guest_finishes() {
    let out = run(wasp_run(["--timeout", "2m", &guest(), "work", "1000"]));
    out.assert_code(0);
    assert_eq!(
        out.stdout_str(),
        format!("started\nwork {:016x}\n", work(1000))
    );
}

#[test]
fn fuel_stops_a_go_busy_loop() {
    let out = run(wasp_run(["--fuel", "5000000", &guest(), "spin"]));
    out.assert_code(134).assert_stdout("started\n");
    let err = out.stderr_str();
    assert!(
        err.contains("out of fuel: the guest used all 5000000 units of fuel"),
        "stderr: {err}"
    );
    let out = run(wasp_run(["--fuel", "many", &guest(), "spin"]));
    out.assert_code(1);
    assert!(out.stderr_str().contains("--fuel: invalid amount `many`"));
}

#[test]
fn bad_timeouts_are_refused() {
    for (arg, msg) in [
        ("5x", "invalid duration `5x`"),
        ("0s", "must be more than zero"),
    ] {
        let out = run(wasp_run(["--timeout", arg, &guest(), "spin"]));
        out.assert_code(1);
        assert!(
            out.stderr_str().contains(msg),
            "{arg}: {}",
            out.stderr_str()
        );
    }
}

/// What `deadline work N` computes.
fn work(n: u64) -> u64 {
    let mut h: u64 = 14695981039346656037;
    for i in 0..n {
        h ^= i;
        h = h.wrapping_mul(1099511628211);
    }
    h
}

struct Host {
    wasi: WasiCtx,
    /// The replayable clock's time (ns), when `replayable`.
    clock: u64,
}

/// Writes `bytes` into the calling guest's memory at `ptr`.
fn write_guest(caller: &mut Caller<'_, Host>, ptr: u32, bytes: &[u8]) -> i32 {
    let mem = caller.get_export("memory").and_then(Extern::into_memory);
    match mem.map(|m| m.write(&mut *caller, ptr as usize, bytes)) {
        Some(Ok(())) => 0,
        _ => 21, // EFAULT
    }
}

/// Makes the guest's inputs replayable: `random_get` gives a fixed byte pattern and
/// `clock_time_get` a clock that advances 1 ms per reading, instead of the host's
/// randomness and time (Go's runtime seeds its hashes and scheduler from both).
fn replayable(linker: &mut Linker<Host>) {
    linker.allow_shadowing(true);
    let wasi = wasp_wasi::MODULE;
    linker
        .func_wrap(
            wasi,
            "random_get",
            |mut c: Caller<'_, Host>, buf: u32, len: u32| {
                let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                write_guest(&mut c, buf, &bytes)
            },
        )
        .unwrap();
    linker
        .func_wrap(
            wasi,
            "clock_time_get",
            |mut c: Caller<'_, Host>, _id: u32, _precision: u64, ptr: u32| {
                c.data_mut().clock += 1_000_000;
                let now = c.data().clock;
                write_guest(&mut c, ptr, &now.to_le_bytes())
            },
        )
        .unwrap();
}

/// The Go guest instantiated in a fresh store with `args`, its stdout captured.
fn api_guest(engine: &Engine, args: &[&str]) -> (Store<Host>, wasp::Func, MemoryOutput) {
    api_guest_with(engine, args, |_| {})
}

fn api_guest_with(
    engine: &Engine,
    args: &[&str],
    define: impl FnOnce(&mut Linker<Host>),
) -> (Store<Host>, wasp::Func, MemoryOutput) {
    let module = Module::from_file(engine, go_guest("deadline")).unwrap();
    let mut linker: Linker<Host> = Linker::new(engine);
    wasp_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
    define(&mut linker);
    let out = MemoryOutput::new();
    let mut b = WasiCtxBuilder::new();
    b.arg("deadline").args(args).stdout(out.clone());
    let host = Host {
        wasi: b.build(),
        clock: 1_700_000_000_000_000_000,
    };
    let mut store = Store::new(engine, host);
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let start = inst.get_func(&store, "_start").unwrap();
    (store, start, out)
}

#[test]
fn interrupt_through_the_api_stops_a_go_sleep() {
    let engine = Engine::default();
    let (mut store, start, out) = api_guest(&engine, &["sleep"]);
    let handle = store.interrupt_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        let at = Instant::now();
        handle.interrupt();
        at
    });
    let e = start.call(&mut store, &[], &mut []).unwrap_err();
    let ended = Instant::now();
    let raised = t.join().unwrap();
    assert_eq!(e.trap_code(), Some(TrapCode::Interrupted), "{e}");
    assert!(
        ended - raised < Duration::from_secs(1),
        "{:?}",
        ended - raised
    );
    assert_eq!(out.contents_string(), "started\n");
}

#[test]
fn a_timeout_through_the_api_stops_a_go_sleep() {
    let engine = Engine::default();
    let (mut store, start, out) = api_guest(&engine, &["sleep"]);
    let started = Instant::now();
    store.set_timeout(Duration::from_millis(500));
    let e = start.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::DeadlineExceeded), "{e}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert_eq!(out.contents_string(), "started\n");
}

#[test]
fn a_go_program_consumes_the_same_fuel_on_every_run() {
    // The same module and the same input, randomness and clock readings included (with
    // the host's, Go's runtime takes slightly different paths on every run).
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let measure = || {
        let (mut store, start, out) = api_guest_with(&engine, &["work", "20000"], replayable);
        store.set_fuel(u64::MAX).unwrap();
        let before = store.get_fuel().unwrap();
        let r = start.call(&mut store, &[], &mut []);
        assert!(
            r.as_ref().err().is_none_or(|e| e.exit_status() == Some(0)),
            "{r:?}"
        );
        assert_eq!(
            out.contents_string(),
            format!("started\nwork {:016x}\n", work(20000))
        );
        before - store.get_fuel().unwrap()
    };
    let first = measure();
    assert!(first > 20000 * 5, "{first}");
    for _ in 0..2 {
        assert_eq!(measure(), first);
    }
}
