//! Smoke tests of the engine through the public API.

use wasp::*;

fn run1(wat: &str, name: &str, arg: i64) -> Result<i64> {
    let engine = Engine::default();
    let module = Module::new(&engine, wat)?;
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let inst = linker.instantiate(&mut store, &module)?;
    let f = inst.get_typed_func::<i64, i64>(&store, name)?;
    f.call(&mut store, arg)
}

#[test]
fn factorial() {
    let wat = r#"(module (func $fac (export "fac") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
          (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1))))))))"#;
    assert_eq!(run1(wat, "fac", 20).unwrap(), 2_432_902_008_176_640_000);
}

#[test]
fn loop_sum() {
    let wat = r#"(module (func (export "sum") (param i64) (result i64) (local i64)
        (block $out (loop $l
          (br_if $out (i64.eqz (local.get 0)))
          (local.set 1 (i64.add (local.get 1) (local.get 0)))
          (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
          (br $l)))
        (local.get 1)))"#;
    assert_eq!(run1(wat, "sum", 100).unwrap(), 5050);
}

#[test]
fn unbounded_recursion_traps() {
    let wat = r#"(module (func $f (export "f") (param i64) (result i64)
        (i64.add (call $f (local.get 0)) (i64.const 1))))"#;
    let err = run1(wat, "f", 1).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackExhausted), "{err}");
}

#[test]
fn long_loop_does_not_grow_the_native_stack() {
    // 50 million backward branches: with the tail backend, any handler the
    // optimiser failed to tail-call would overflow the native stack here if
    // the guard did not unwind it.
    let wat = r#"(module (func (export "spin") (param i64) (result i64)
        (loop $l (br_if $l (i64.ne (local.tee 0 (i64.sub (local.get 0) (i64.const 1))) (i64.const 0))))
        (local.get 0)))"#;
    assert_eq!(run1(wat, "spin", 50_000_000).unwrap(), 0);
    eprintln!("dispatch backend: {}", wasp::dispatch_backend());
}

/// A callee's declared locals start at zero on every call, for few locals
/// and for many (the interpreter zeroes them on entry with one loop for any
/// count): each call leaves its locals dirty in the value stack for the next.
#[test]
fn declared_locals_start_at_zero_on_every_call() {
    for n in [1usize, 16, 17, 40, 300] {
        let decl = "(local i64)".repeat(n);
        let sum: String = (0..n)
            .map(|i| {
                format!(
                    "(local.set $acc (i64.add (local.get $acc) (local.get {})))",
                    i + 2
                )
            })
            .collect();
        let dirty: String = (0..n)
            .map(|i| format!("(local.set {} (i64.const 7))", i + 2))
            .collect();
        let wat = format!(
            r#"(module
                (func $f (param i32) (result i64) (local $acc i64) {decl}
                  {sum}
                  {dirty}
                  (local.get $acc))
                (func (export "run") (result i64)
                  (i64.add (call $f (i32.const 0)) (call $f (i32.const 1)))))"#
        );
        let engine = wasp::Engine::default();
        let module = wasp::Module::new(&engine, &wat).unwrap();
        let mut store = wasp::Store::new(&engine, ());
        let inst = wasp::Instance::new(&mut store, &module, &[]).unwrap();
        let run = inst.get_typed_func::<(), i64>(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), 0, "{n} locals");
    }
}
