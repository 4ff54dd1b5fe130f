//! Handles carry the id of the store that created them (issue 8, defect 10):
//! using one with another store is a clear panic or error naming the
//! mistake, never a silent action on the other store's entity.

use std::panic::{catch_unwind, AssertUnwindSafe};
use wasp::*;

const WAT: &str = r#"(module
  (memory (export "mem") 1)
  (global (export "g") (mut i32) (i32.const 7))
  (table (export "t") 2 funcref)
  (func (export "f") (result i32) (i32.const 1))
  (type $t (func (result i32)))
  (func (export "call0") (result i32) (call_indirect (type $t) (i32.const 0))))"#;

fn two_stores() -> (Store<()>, Instance, Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let linker = Linker::new(&engine);
    let mut a = Store::new(&engine, ());
    let ia = linker.instantiate(&mut a, &module).unwrap();
    let mut b = Store::new(&engine, ());
    let ib = linker.instantiate(&mut b, &module).unwrap();
    (a, ia, b, ib)
}

/// Runs `f` and returns its panic message (it must panic).
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn memory_of_one_store_used_with_another_panics() {
    let (mut a, ia, mut b, _ib) = two_stores();
    let mem = ia.get_memory(&a, "mem").unwrap();
    mem.data_mut(&mut a)[0] = 42;
    let msg = panic_message(|| {
        let _ = mem.data(&b)[0];
    });
    assert!(msg.contains("Memory used with a store other than"), "{msg}");
    let msg = panic_message(|| {
        let _ = mem.grow(&mut b, 1);
    });
    assert!(msg.contains("Memory"), "{msg}");
    assert_eq!(mem.data(&a)[0], 42);
}

#[test]
fn global_table_func_instance_check_their_store() {
    let (a, ia, mut b, _ib) = two_stores();
    let g = ia.get_global(&a, "g").unwrap();
    assert!(panic_message(|| {
        let _ = g.get(&b);
    })
    .contains("Global used with"));
    assert!(panic_message(|| drop(g.set(&mut b, Val::I32(1)))).contains("Global"));
    let t = ia.get_table(&a, "t").unwrap();
    assert!(panic_message(|| {
        let _ = t.size(&b);
    })
    .contains("Table used with"));
    let f = ia.get_func(&a, "f").unwrap();
    let msg = panic_message(|| {
        let _ = f.call(&mut b, &[], &mut [Val::I32(0)]);
    });
    assert!(msg.contains("Func used with"), "{msg}");
    let msg = panic_message(|| {
        let _ = ia.get_export(&b, "f");
    });
    assert!(msg.contains("Instance used with"), "{msg}");
}

#[test]
fn foreign_function_cannot_enter_a_table() {
    let (a, ia, mut b, ib) = two_stores();
    let fa = ia.get_func(&a, "f").unwrap();
    let tb = ib.get_table(&b, "t").unwrap();
    let err = tb.grow(&mut b, 1, Val::FuncRef(Some(fa))).unwrap_err();
    assert!(err.to_string().contains("another store"), "{err}");
    let err = tb.set(&mut b, 0, Val::FuncRef(Some(fa))).unwrap_err();
    assert!(err.to_string().contains("another store"), "{err}");
    assert_eq!(tb.size(&b), 2, "the failed grow changed nothing");
    // The table's own function still works through call_indirect.
    let fb = ib.get_func(&b, "f").unwrap();
    tb.set(&mut b, 0, Val::FuncRef(Some(fb))).unwrap();
    let call0 = ib.get_typed_func::<(), i32>(&b, "call0").unwrap();
    assert_eq!(call0.call(&mut b, ()).unwrap(), 1);
    // Globals and untyped arguments reject foreign references too.
    let err = Global::new(
        &mut b,
        GlobalType::new(ValType::FuncRef, Mutability::Var),
        Val::FuncRef(Some(fa)),
    )
    .unwrap_err();
    assert!(err.to_string().contains("another store"), "{err}");
}

#[test]
fn foreign_reference_as_an_argument() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func (export "id") (param funcref) (result funcref) (local.get 0)))"#,
    )
    .unwrap();
    let linker = Linker::new(&engine);
    let mut a = Store::new(&engine, ());
    let ia = linker.instantiate(&mut a, &module).unwrap();
    let mut b = Store::new(&engine, ());
    let ib = linker.instantiate(&mut b, &module).unwrap();
    let fa = ia.get_func(&a, "id").unwrap();
    let id_b = ib.get_func(&b, "id").unwrap();
    let mut out = [Val::FuncRef(None)];
    let err = id_b
        .call(&mut b, &[Val::FuncRef(Some(fa))], &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("argument 0"), "{err}");
    // Typed calls panic with a clear message.
    let typed = id_b.typed::<Option<Func>, Option<Func>>(&b).unwrap();
    let msg = panic_message(|| drop(typed.call(&mut b, Some(fa))));
    assert!(msg.contains("Func used with"), "{msg}");
    // A reference returned by a store is a handle of that store.
    let own = ib.get_func(&b, "id").unwrap();
    let back = typed.call(&mut b, Some(own)).unwrap().unwrap();
    assert_eq!(back, own);
}

#[test]
fn linking_a_foreign_definition_is_a_link_error() {
    let engine = Engine::default();
    let mut a = Store::new(&engine, ());
    let mem_a = Memory::new(&mut a, MemoryType::new(1, None)).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "memory", mem_a).unwrap();
    let module = Module::new(&engine, r#"(module (import "env" "memory" (memory 1)))"#).unwrap();
    let mut b = Store::new(&engine, ());
    let err = linker.instantiate(&mut b, &module).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Link), "{err}");
    assert!(err.to_string().contains("another store"), "{err}");
    // In its own store it links.
    linker.instantiate(&mut a, &module).unwrap();
}
