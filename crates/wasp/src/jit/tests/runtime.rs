//! Compiled code in a real store: calls between compiled and interpreted
//! functions in both directions, host imports that re-enter wasm and grow
//! memory, `call_indirect` and its traps, tables and bulk memory,
//! interrupts and deadlines stopping compiled loops, and trap backtraces
//! equal to the interpreter's.

use super::{with_big_stack, Diff, Outcome};
use crate::error::TrapCode;
use crate::jit::{Batch, Compiler, JitOptions};
use crate::{Caller, Linker, Store};
use std::sync::atomic::Ordering;

fn options() -> JitOptions {
    JitOptions {
        optimize: true,
        verify: true,
    }
}

/// Replaces the batch with one holding only `funcs`.
fn compile_only(d: &mut Diff, funcs: &[u32]) {
    d.batch = Compiler::new(options())
        .unwrap()
        .compile(&d.module.inner, funcs)
        .unwrap();
    for &f in funcs {
        assert!(
            d.batch.contains(f),
            "{f}: {:?}",
            d.batch.unsupported.get(&f)
        );
    }
}

/// Installs `batch` in the jit side's module (`TierState::code`) and makes
/// the interpreter divert its next calls of those functions to native code.
fn install(d: &Diff, batch: &Batch) {
    let tier = &d.module.inner.tier;
    let imported = d.module.inner.info.num_imported_funcs;
    for f in batch.funcs() {
        tier.code[f as usize].store(batch.code_addr(f).unwrap(), Ordering::Release);
        tier.counters[(f - imported) as usize].store(0, Ordering::Relaxed);
    }
}

/// `host.twice` calls the guest's `double` twice; `host.grow` grows the
/// guest's memory by its argument (pages).
fn host_linker(store: &mut Store<()>) -> Linker<()> {
    let mut l = Linker::new(store.engine());
    l.func_wrap(
        "host",
        "twice",
        |mut caller: Caller<'_, ()>, x: i32| -> crate::Result<i32> {
            let f = caller.get_export("double").unwrap().into_func().unwrap();
            let f = f.typed::<i32, i32>(&caller)?;
            let once = f.call(&mut caller, x)?;
            f.call(&mut caller, once)
        },
    )
    .unwrap();
    l.func_wrap("host", "grow", |mut caller: Caller<'_, ()>, d: i32| {
        let m = caller.get_export("memory").unwrap().into_memory().unwrap();
        m.grow(&mut caller, d as u32).map_or(-1, |old| old as i32)
    })
    .unwrap();
    l.func_wrap("host", "inc", |x: i32| x.wrapping_add(1))
        .unwrap();
    l
}

#[test]
fn host_imports_reenter_wasm_and_grown_memory_is_seen() {
    let wat = r#"(module
      (import "host" "twice" (func $twice (param i32) (result i32)))
      (import "host" "grow" (func $grow (param i32) (result i32)))
      (memory (export "memory") 1 10)
      (func $double (export "double") (param i32) (result i32)
        (i32.mul (local.get 0) (i32.const 2)))
      (func (export "run") (param i32) (result i32)
        (i32.add (call $twice (local.get 0)) (i32.const 1)))
      (func (export "grow_then_store") (param i32) (result i32)
        (drop (call $grow (i32.const 2)))
        (i32.store (i32.const 131072) (local.get 0))
        (i32.add (memory.size) (i32.load (i32.const 131072)))))"#;
    let mut d = Diff::with(wat.as_bytes(), host_linker, options()).unwrap();
    // `double` stays interpreted: compiled code → host → interpreter.
    compile_only(&mut d, &[3, 4]);
    assert_eq!(d.call("run", &[5]), Outcome::Values(vec![21]));
    // Memory 1 page → 3: compiled code stores in page 2 after the host grew it.
    assert_eq!(d.call("grow_then_store", &[7]), Outcome::Values(vec![10]));
    assert_eq!(d.call("grow_then_store", &[7]), Outcome::Values(vec![12]));
    // Grown to the maximum: the host's grow fails, the store still fits.
    for _ in 0..4 {
        d.call("grow_then_store", &[1]);
    }
}

#[test]
fn compiled_and_interpreted_functions_call_each_other_both_ways() {
    with_big_stack(|| {
        let wat = r#"(module
          (func $even (export "even") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
              (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
          (func $odd (export "odd") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
              (else (call $even (i32.sub (local.get 0) (i32.const 1))))))
          (func (export "sum") (param i32 i64 f64) (result i64 f64 i32)
            (call $mix (local.get 0) (local.get 1) (local.get 2)))
          (func $mix (param i32 i64 f64) (result i64 f64 i32)
            (i64.add (local.get 1) (i64.extend_i32_u (local.get 0)))
            (f64.mul (local.get 2) (f64.const 2))
            (i32.const -1)))"#;
        let mut d = Diff::with(wat.as_bytes(), super::empty_linker, options()).unwrap();
        // `even` and `sum` compiled, `odd` and `mix` interpreted.
        compile_only(&mut d, &[0, 2]);
        let b = Compiler::new(options())
            .unwrap()
            .compile(&d.module.inner, &[0, 2])
            .unwrap();
        // Native → interpreter only (the interpreter's calls stay interpreted).
        assert_eq!(d.call("even", &[1001]), Outcome::Values(vec![0]));
        assert_eq!(
            d.call("sum", &[3, 1 << 40, 1.5f64.to_bits()]),
            Outcome::Values(vec![(1 << 40) + 3, 3.0f64.to_bits(), 0xffff_ffff])
        );
        // Both ways: the interpreter's `odd` calls native `even` again.
        install(&d, &b);
        let invokes = || crate::jit::runtime::INVOKES.with(|n| n.get());
        let before = invokes();
        for n in [0, 1, 2, 77, 1000, 3001] {
            d.call("even", &[n]);
            let odd = d.export("odd");
            d.call_index(odd, &[n]);
        }
        assert!(
            invokes() >= before + 3000,
            "the interpreter ran native `even`"
        );
        drop(b);
    });
}

#[test]
fn call_indirect_reaches_every_kind_of_callee_and_traps_like_the_interpreter() {
    let wat = r#"(module
      (import "host" "inc" (func $h (param i32) (result i32)))
      (type $t (func (param i32) (result i32)))
      (table 6 10 funcref)
      (elem (i32.const 0) $inc $h $dbl $other)
      (elem $e func $dbl $inc)
      (memory 1)
      (data $d "\01\02\03\04")
      (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      (func $other (param i64) (result i64) (local.get 0))
      (func (export "ind") (param i32 i32) (result i32)
        (call_indirect (type $t) (local.get 0) (local.get 1)))
      (func (export "tables") (param i32) (result i32)
        (table.set (i32.const 4) (ref.func $inc))
        (drop (table.grow (ref.null func) (local.get 0)))
        (table.fill (i32.const 6) (ref.func $dbl) (local.get 0))
        (table.copy (i32.const 5) (i32.const 0) (i32.const 1))
        (table.init $e (i32.const 1) (i32.const 0) (i32.const 2))
        (elem.drop $e)
        (i32.add (table.size)
          (i32.add (ref.is_null (table.get (local.get 0)))
            (call_indirect (type $t) (i32.const 10) (i32.const 5)))))
      (func (export "bulk") (param i32 i32 i32) (result i32)
        (memory.fill (local.get 0) (i32.const 0xab) (local.get 1))
        (memory.copy (local.get 2) (local.get 0) (local.get 1))
        (memory.init $d (local.get 0) (i32.const 0) (i32.const 4))
        (i32.load (local.get 2)))
      (func (export "drop_data") (data.drop $d)))"#;
    let mut d = Diff::with(wat.as_bytes(), host_linker, options()).unwrap();
    // `dbl` stays interpreted.
    compile_only(&mut d, &[1, 3, 4, 5, 6, 7]);
    let ind = d.export("ind");
    for i in 0..8 {
        d.call_index(ind, &[20, i]);
    }
    assert_eq!(d.call_index(ind, &[20, 0]), Outcome::Values(vec![21]));
    assert_eq!(d.call_index(ind, &[20, 1]), Outcome::Values(vec![21]));
    assert_eq!(d.call_index(ind, &[20, 2]), Outcome::Values(vec![40]));
    assert_eq!(
        d.call_index(ind, &[0, 3]),
        Outcome::Trap(TrapCode::BadSignature)
    );
    assert_eq!(
        d.call_index(ind, &[0, 5]),
        Outcome::Trap(TrapCode::IndirectCallToNull)
    );
    assert_eq!(
        d.call_index(ind, &[0, 6]),
        Outcome::Trap(TrapCode::UndefinedElement)
    );
    assert_eq!(
        d.call_index(ind, &[0, u32::MAX as u64]),
        Outcome::Trap(TrapCode::UndefinedElement)
    );
    for n in [0, 1, 2, 3, 4, 9] {
        d.call("tables", &[n]);
    }
    for n in [0, 1, 5] {
        d.call_index(ind, &[3, n]);
    }
    for args in [
        [0, 0, 0],
        [8, 16, 100],
        [65530, 6, 0],
        [100, 65437, 0],
        [0, 4, 65533],
    ] {
        d.call("bulk", &args);
    }
    d.call("drop_data", &[]);
    assert_eq!(
        d.call("bulk", &[8, 0, 0]),
        Outcome::Trap(TrapCode::MemoryOutOfBounds)
    );
}

#[test]
fn interrupts_and_deadlines_stop_compiled_loops() {
    let wat = r#"(module
      (func $spin (export "spin") (loop $l (br $l)))
      (func (export "spin_deep") (call $spin))
      (func (export "count") (param i32) (result i32) (local i32)
        (loop $l
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 1)))"#;
    let mut d = Diff::new(wat);
    let handle = d.jit.store.interrupt_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        handle.interrupt();
    });
    let spin = d.export("spin");
    let started = std::time::Instant::now();
    assert_eq!(
        d.jit.run_compiled(&d.batch, spin, &[], 0),
        Outcome::Trap(TrapCode::Interrupted)
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(90));
    stopper.join().unwrap();
    d.jit.store.inner.stack.attention.clear_interrupt();
    assert_eq!(d.call("count", &[1000]), Outcome::Values(vec![1000]));
    // A deadline stops it too (through a compiled call).
    d.jit
        .store
        .set_timeout(std::time::Duration::from_millis(50));
    let deep = d.export("spin_deep");
    assert_eq!(
        d.jit.run_compiled(&d.batch, deep, &[], 0),
        Outcome::Trap(TrapCode::DeadlineExceeded)
    );
    d.jit.store.clear_deadline();
    assert_eq!(d.call("count", &[5]), Outcome::Values(vec![5]));
}

#[test]
fn trap_backtraces_equal_the_interpreters() {
    with_big_stack(|| {
        let wat = r#"(module $m
          (import "host" "twice" (func $twice (param i32) (result i32)))
          (memory (export "memory") 1)
          (func $double (export "double") (param i32) (result i32)
            (if (i32.eq (local.get 0) (i32.const 13)) (then unreachable))
            (i32.mul (local.get 0) (i32.const 2)))
          (func $c (param i32) (result i32)
            (i32.div_u (i32.const 100) (local.get 0)))
          (func $b (param i32) (result i32) (i32.add (call $c (local.get 0)) (i32.const 1)))
          (func $a (param i32) (result i32) (i32.add (call $b (local.get 0)) (i32.const 1)))
          (func (export "run") (param i32) (result i32) (call $a (local.get 0)))
          (func (export "via_host") (param i32) (result i32)
            (i32.add (call $twice (local.get 0)) (i32.const 1)))
          (func $rec (export "rec") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.load (i32.const 65536)))
              (else (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))"#;
        let cases: [(&str, u64); 4] = [("run", 0), ("via_host", 13), ("rec", 5), ("rec", 200)];
        // Every function compiled; then $b (and $double) interpreted.
        for subset in [&[1, 2, 3, 4, 5, 6, 7][..], &[2, 4, 5, 6, 7][..]] {
            for hook in [false, true] {
                let mut d = Diff::with(wat.as_bytes(), host_linker, options()).unwrap();
                compile_only(&mut d, subset);
                let b = Compiler::new(options())
                    .unwrap()
                    .compile(&d.module.inner, subset)
                    .unwrap();
                if hook {
                    install(&d, &b);
                }
                for (name, arg) in cases {
                    let f = d.export(name);
                    let (interp, results, jit) = d.func_handle(f);
                    let want = d.interp.interpret_raw(interp, &[arg]).unwrap_err();
                    let got = d
                        .jit
                        .run_compiled_raw(&d.batch, f, &[arg], results)
                        .unwrap_err();
                    let _ = jit;
                    assert_eq!(got.trap_code(), want.trap_code(), "{name}({arg})");
                    let names = |e: &crate::Error| -> Vec<(u32, Option<String>, Option<String>)> {
                        e.trap()
                            .unwrap()
                            .backtrace()
                            .iter()
                            .map(|f| (f.func_index, f.func_name.clone(), f.module_name.clone()))
                            .collect()
                    };
                    assert_eq!(
                        names(&got),
                        names(&want),
                        "{name}({arg}) subset {subset:?} hook {hook}"
                    );
                    assert!(!names(&want).is_empty());
                }
                drop(b);
            }
        }
    });
}

#[test]
fn unbounded_recursion_through_both_tiers_is_a_clean_trap() {
    // On a test thread's 2 MiB stack: native → interpreter → native nests
    // host frames, and the stack limit (not a crash) ends it.
    let wat = r#"(module
      (func $even (export "even") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
          (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
      (func $odd (export "odd") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (call $even (i32.sub (local.get 0) (i32.const 1)))))))"#;
    let mut d = Diff::new(wat);
    compile_only(&mut d, &[0]);
    let b = Compiler::new(options())
        .unwrap()
        .compile(&d.module.inner, &[0])
        .unwrap();
    install(&d, &b);
    assert_eq!(
        d.call("even", &[100_000_000]),
        Outcome::Trap(TrapCode::StackExhausted)
    );
    // Everything unwound: a normal call works.
    assert_eq!(d.call("even", &[10]), Outcome::Values(vec![1]));
    drop(b);
}

#[test]
fn native_frame_size_is_small_and_100k_simple_frames_fit_8_mib() {
    let wat = r#"(module
      (import "host" "sp" (func $sp (result i64)))
      (func $rec (export "rec") (param i32) (result i64)
        (if (result i64) (i32.eqz (local.get 0)) (then (call $sp))
          (else (i64.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i64.const 0))))))"#;
    let linker = |store: &mut Store<()>| {
        let mut l = Linker::new(store.engine());
        l.func_wrap("host", "sp", || {
            let here = 0u8;
            std::hint::black_box(&here) as *const u8 as i64
        })
        .unwrap();
        l
    };
    let mut d = Diff::with(wat.as_bytes(), linker, options()).unwrap();
    let at = |d: &mut Diff, n: u64| match d.jit.run_compiled(&d.batch, 1, &[n], 1) {
        Outcome::Values(v) => v[0],
        other => panic!("{other:?}"),
    };
    let frame = (at(&mut d, 0) - at(&mut d, 1000)) / 1000;
    println!("native frame of a one-parameter recursive function: {frame} bytes");
    assert!(frame <= 128, "{frame} bytes per frame");
    // 100,000 deep on an 8 MiB stack (a main thread's), less the margins.
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let mut d = d;
            assert!(matches!(
                d.jit.run_compiled(&d.batch, 1, &[100_000], 1),
                Outcome::Values(_)
            ));
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn a_host_panic_unwinds_past_compiled_code_to_the_embedder() {
    let wat = r#"(module (import "host" "boom" (func $boom))
      (func (export "run") (param i32) (result i32) (call $boom) (local.get 0)))"#;
    let linker = |store: &mut Store<()>| {
        let mut l = Linker::new(store.engine());
        l.func_wrap("host", "boom", || -> () { panic!("host says boom") })
            .unwrap();
        l
    };
    let mut d = Diff::with(wat.as_bytes(), linker, options()).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        d.jit.run_compiled(&d.batch, 1, &[3], 1)
    }));
    let msg = r.unwrap_err();
    assert_eq!(msg.downcast_ref::<&str>(), Some(&"host says boom"));
    // The store is usable afterwards: the frames were put back.
    assert!(d.jit.store.inner.stack.frames.is_empty());
}
