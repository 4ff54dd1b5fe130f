//! Deadlines and interrupts through the API: a store's deadline stops
//! running code and every later call until it is replaced or cleared; an
//! interrupt stops the executions in progress (nested ones too) and never a
//! later call; a host function sees the request through its
//! `InterruptWaker`, and the trap it returns carries a wasm backtrace.

use std::time::{Duration, Instant};
use wasp::{Caller, Engine, Instance, InterruptHandle, Linker, Module, Store, TrapCode};

const SPIN: &str = r#"(module
    (func $spin (export "spin") (loop $l (br $l)))
    (func (export "ok") (result i32) (i32.const 5))
    (func (export "work") (result i32) (local $i i32)
      (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                   (i32.const 1000))))
      (local.get $i)))"#;

fn instance(store: &mut Store<()>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).unwrap();
    Linker::new(store.engine())
        .instantiate(store, &module)
        .unwrap()
}

#[test]
fn a_deadline_stops_a_running_call_and_stays_until_cleared() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instance(&mut store, SPIN);
    let spin = inst.get_typed_func::<(), ()>(&store, "spin").unwrap();
    let ok = inst.get_typed_func::<(), i32>(&store, "ok").unwrap();
    assert!(store.deadline().is_none());

    let started = Instant::now();
    store.set_timeout(Duration::from_millis(100));
    assert!(store.deadline().is_some());
    let e = spin.call(&mut store, ()).unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.trap_code(), Some(TrapCode::DeadlineExceeded), "{e}");
    assert_eq!(e.message(), "deadline exceeded");
    assert!(
        took >= Duration::from_millis(100) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // A passed deadline is state of the store: even a call without a loop traps...
    assert_eq!(
        ok.call(&mut store, ()).unwrap_err().trap_code(),
        Some(TrapCode::DeadlineExceeded)
    );
    // ...until it is cleared or replaced.
    store.clear_deadline();
    assert_eq!(ok.call(&mut store, ()).unwrap(), 5);
    store.set_timeout(Duration::from_secs(3600));
    assert_eq!(ok.call(&mut store, ()).unwrap(), 5);
    store.set_deadline(Instant::now() - Duration::from_millis(1));
    assert_eq!(
        ok.call(&mut store, ()).unwrap_err().trap_code(),
        Some(TrapCode::DeadlineExceeded),
        "a deadline in the past takes effect at once"
    );
}

#[test]
fn a_replaced_deadline_does_not_fire() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instance(&mut store, SPIN);
    let ok = inst.get_typed_func::<(), i32>(&store, "ok").unwrap();
    store.set_timeout(Duration::from_millis(20));
    store.set_timeout(Duration::from_secs(3600));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(ok.call(&mut store, ()).unwrap(), 5);
}

#[test]
fn many_stores_share_one_watchdog_and_each_stops_at_its_own_deadline() {
    let engine = Engine::default();
    let module = Module::new(&engine, SPIN).unwrap();
    let threads: Vec<_> = (0..8u64)
        .map(|i| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut store = Store::new(&engine, ());
                let inst = Linker::new(&engine)
                    .instantiate(&mut store, &module)
                    .unwrap();
                let spin = inst.get_typed_func::<(), ()>(&store, "spin").unwrap();
                let limit = Duration::from_millis(50 + 25 * i);
                let t = Instant::now();
                store.set_timeout(limit);
                let e = spin.call(&mut store, ()).unwrap_err();
                assert_eq!(e.trap_code(), Some(TrapCode::DeadlineExceeded));
                let took = t.elapsed();
                assert!(
                    took >= limit && took < limit + Duration::from_secs(3),
                    "{took:?}"
                );
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn interrupt_after(h: InterruptHandle, ms: u64) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        h.interrupt();
    })
}

#[test]
fn an_interrupt_raised_after_a_call_returned_does_not_trap_the_next_call() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instance(&mut store, SPIN);
    let ok = inst.get_typed_func::<(), i32>(&store, "ok").unwrap();
    let spin = inst.get_typed_func::<(), ()>(&store, "spin").unwrap();
    let work = inst.get_typed_func::<(), i32>(&store, "work").unwrap();
    assert_eq!(ok.call(&mut store, ()).unwrap(), 5);
    // Raised while nothing runs (after the call returned): dropped, even
    // for a call that passes check points (its loop's back-edges).
    store.interrupt_handle().interrupt();
    assert_eq!(work.call(&mut store, ()).unwrap(), 1000);
    // Raised during a call: stops it, and only it.
    let t = interrupt_after(store.interrupt_handle(), 50);
    assert_eq!(
        spin.call(&mut store, ()).unwrap_err().trap_code(),
        Some(TrapCode::Interrupted)
    );
    t.join().unwrap();
    assert_eq!(work.call(&mut store, ()).unwrap(), 1000);
}

#[test]
fn an_interrupt_stops_every_execution_in_progress_and_blocked_hosts_see_it() {
    // The outer wasm calls the host, which runs the inner spinning wasm and
    // swallows its trap: the outer execution must stop anyway.
    let engine = Engine::default();
    let mut linker: Linker<Option<wasp::Func>> = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "host",
            |mut caller: Caller<'_, Option<wasp::Func>>| {
                let spin = caller.data().expect("spin set");
                let waker = caller.interrupt_waker();
                assert_eq!(waker.stop_requested(), None);
                let inner = spin.call(&mut caller, &[], &mut []).unwrap_err();
                assert_eq!(inner.trap_code(), Some(TrapCode::Interrupted));
                // A host function waiting in the host sees the same request.
                assert_eq!(waker.stop_requested(), Some(TrapCode::Interrupted));
                assert!(waker.check().is_err());
            },
        )
        .unwrap();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "host" (func $host))
            (func $spin (export "spin") (loop $l (br $l)))
            (func $outer (export "outer") (call $host) (loop $l (br $l)))
            (func (export "ok") (result i32) (i32.const 5)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, None);
    let inst = linker.instantiate(&mut store, &module).unwrap();
    *store.data_mut() = inst.get_func(&store, "spin");
    let outer = inst.get_typed_func::<(), ()>(&store, "outer").unwrap();
    let t = interrupt_after(store.interrupt_handle(), 50);
    let e = outer.call(&mut store, ()).unwrap_err();
    t.join().unwrap();
    assert_eq!(e.trap_code(), Some(TrapCode::Interrupted), "{e}");
    let ok = inst.get_typed_func::<(), i32>(&store, "ok").unwrap();
    assert_eq!(ok.call(&mut store, ()).unwrap(), 5);
}

#[test]
fn a_trap_returned_by_a_host_function_gets_the_wasm_backtrace() {
    let engine = Engine::default();
    let mut linker: Linker<()> = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "wait",
            |caller: Caller<'_, ()>| -> wasp::Result<()> {
                // What a blocked WASI call does once its waker fires.
                caller.interrupt_waker().check()?;
                Err(wasp::Trap::new(TrapCode::DeadlineExceeded).into())
            },
        )
        .unwrap();
    let module = Module::new(
        &engine,
        r#"(module $m (import "env" "wait" (func $wait))
            (func $sleeper (export "run") (call $wait)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let run = inst.get_typed_func::<(), ()>(&store, "run").unwrap();
    let e = run.call(&mut store, ()).unwrap_err();
    let trap = e.trap().expect("a trap");
    assert_eq!(trap.code(), TrapCode::DeadlineExceeded);
    let names: Vec<_> = trap
        .backtrace()
        .iter()
        .map(|f| f.func_name.clone())
        .collect();
    assert_eq!(names, [Some("sleeper".to_string())]);
}
