//! Many instances in one store: every defined function keeps its own
//! identity, type and instance (the store makes their entities from the
//! modules' shared signatures; see `StoreInner::func`), across direct
//! calls, calls through imports, tables shared between instances, and
//! exported `Func`s.

use wasp::*;

const LIB: &str = r#"(module
    (global $g (mut i32) (i32.const 0))
    (table (export "t") 2 funcref)
    (func $get (export "get") (result i32) (global.get $g))
    (func $bump (export "bump") (param i32) (result i32)
        (global.set $g (i32.add (global.get $g) (local.get 0)))
        (global.get $g))
    (elem (i32.const 0) $get $bump))"#;

const USER: &str = r#"(module
    (import "lib" "bump" (func $bump (param i32) (result i32)))
    (import "lib" "t" (table 2 funcref))
    (type $get (func (result i32)))
    (func $own (result i32) (i32.const 7))
    (func (export "run") (param i32) (result i32)
        (drop (call $bump (local.get 0)))
        (i32.add (call $own) (call_indirect (type $get) (i32.const 0))))
    (func (export "bad") (result i32)
        (call_indirect (type $get) (i32.const 1))))"#;

#[test]
fn functions_of_many_instances_keep_their_instance_and_type() {
    let engine = Engine::default();
    let lib = Module::new(&engine, LIB).unwrap();
    let user = Module::new(&engine, USER).unwrap();
    let mut store = Store::new(&engine, ());
    // Two library instances, each with its own global, and a user of each.
    let mut users = Vec::new();
    for _ in 0..2 {
        let l = Instance::new(&mut store, &lib, &[]).unwrap();
        let bump = l.get_export(&store, "bump").unwrap();
        let t = l.get_export(&store, "t").unwrap();
        let u = Instance::new(&mut store, &user, &[bump, t]).unwrap();
        users.push((l, u));
    }
    let run = |store: &mut Store<()>, u: &Instance, x: i32| {
        u.get_typed_func::<i32, i32>(&*store, "run")
            .unwrap()
            .call(store, x)
    };
    assert_eq!(run(&mut store, &users[0].1, 5).unwrap(), 12);
    assert_eq!(run(&mut store, &users[0].1, 1).unwrap(), 13);
    assert_eq!(
        run(&mut store, &users[1].1, 100).unwrap(),
        107,
        "its own library's global"
    );
    for (l, _) in &users {
        let get = l.get_func(&store, "get").unwrap();
        assert_eq!(get.ty(&store).params().len(), 0);
        assert_eq!(get.ty(&store).results().len(), 1);
        let bump = l.get_func(&store, "bump").unwrap();
        assert_eq!(bump.ty(&store).params().len(), 1);
        assert_ne!(get, bump);
    }
    assert_ne!(
        users[0].0.get_func(&store, "get").unwrap(),
        users[1].0.get_func(&store, "get").unwrap(),
        "the same function of two instances is two functions"
    );
    // Table element 1 is `bump` (i32 -> i32): called as `get`, a signature trap.
    let bad = users[1].1.get_typed_func::<(), i32>(&store, "bad").unwrap();
    let err = bad.call(&mut store, ()).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::BadSignature), "{err}");
    // A host function allocated after the instances keeps working next to them.
    let host = Func::wrap(&mut store, |x: i32| x + 1);
    assert_eq!(
        host.typed::<i32, i32>(&store)
            .unwrap()
            .call(&mut store, 1)
            .unwrap(),
        2
    );
    let t = users[0].0.get_table(&store, "t").unwrap();
    t.set(&mut store, 0, Val::FuncRef(Some(host))).unwrap();
    let err = run(&mut store, &users[0].1, 0).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::BadSignature), "{err}");
}
