//! Instantiation from prepared images: memory 0 from a copy-on-write image of
//! the data segments, tables from a prepared element plan. Everything the
//! spec says about segments must hold exactly as on the one-by-one path.

use wasp::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// Bytes a test can recognise: no long runs, differs across pages.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 12) as u8)
        .collect()
}

/// A module whose memory 0 (`pages` pages) gets `segs` at constant offsets.
fn module_with_data(pages: u32, segs: &[(u32, &[u8])], extra: &str) -> String {
    let data: String = segs
        .iter()
        .map(|(off, b)| format!("(data (i32.const {off}) \"{}\")\n", hex(b)))
        .collect();
    format!(
        r#"(module (memory (export "memory") {pages})
            (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
            (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
            {extra}
            {data})"#
    )
}

fn memory_bytes(store: &Store<()>, inst: &Instance) -> Vec<u8> {
    inst.get_memory(store, "memory")
        .unwrap()
        .data(store)
        .to_vec()
}

#[test]
fn a_large_image_gives_every_instance_the_segments_bytes() {
    let big = pattern(200_000, 1);
    let small = pattern(300, 2);
    // Overlapping segments: the later one wins, as in the spec's order.
    let wat = module_with_data(
        8,
        &[(100, &big), (150_000, &small), (65536 * 8 - 4, b"end!")],
        "",
    );
    let engine = Engine::default();
    let module = Module::new(&engine, &wat).unwrap();
    let mut expected = vec![0u8; 8 * 65536];
    expected[100..100 + big.len()].copy_from_slice(&big);
    expected[150_000..150_300].copy_from_slice(&small);
    expected[8 * 65536 - 4..].copy_from_slice(b"end!");
    let linker = Linker::new(&engine);
    let mut stores: Vec<(Store<()>, Instance)> = Vec::new();
    for _ in 0..3 {
        let mut store = Store::new(&engine, ());
        let inst = linker.instantiate(&mut store, &module).unwrap();
        assert!(memory_bytes(&store, &inst) == expected);
        stores.push((store, inst));
    }
    // A write in one instance is private to it.
    let (s0, i0) = &mut stores[0];
    let st = i0.get_typed_func::<(i32, i32), ()>(&*s0, "store").unwrap();
    st.call(&mut *s0, (200, 0x55)).unwrap();
    st.call(&mut *s0, (0, 0x66)).unwrap();
    let (s1, i1) = &mut stores[1];
    let ld = i1.get_typed_func::<i32, i32>(&*s1, "load").unwrap();
    assert_eq!(ld.call(&mut *s1, 200).unwrap(), expected[200] as i32);
    assert_eq!(ld.call(&mut *s1, 0).unwrap(), 0);
    // memory.grow keeps the contents and adds zeroed pages.
    let grow = i1.get_typed_func::<i32, i32>(&*s1, "grow").unwrap();
    assert_eq!(grow.call(&mut *s1, 2).unwrap(), 8);
    let after = memory_bytes(s1, i1);
    assert!(after[..8 * 65536] == expected[..]);
    assert!(after[8 * 65536..].iter().all(|&b| b == 0));
    assert_eq!(ld.call(&mut *s1, 10 * 65536 - 1).unwrap(), 0);
    assert!(
        ld.call(&mut *s1, 10 * 65536).is_err(),
        "out of bounds traps"
    );
    // Dropping one instance's store leaves the others intact.
    drop(stores.remove(0));
    let (s2, i2) = &stores[1];
    assert!(memory_bytes(s2, i2) == expected);
}

#[test]
fn a_segment_out_of_bounds_still_traps_at_instantiation() {
    let big = pattern(70_000, 3);
    let engine = Engine::default();
    for wat in [
        module_with_data(2, &[(0, &big), (2 * 65536 - 2, b"abc")], ""),
        module_with_data(1, &[(0, &big)], ""),
    ] {
        let module = Module::new(&engine, &wat).unwrap();
        let mut store = Store::new(&engine, ());
        let err = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::MemoryOutOfBounds), "{err}");
    }
}

#[test]
fn an_imported_memory_gets_the_segments_one_by_one() {
    // Writes before a trapping segment stay in an imported memory.
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mem = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    let big = pattern(65_000, 4);
    let wat = format!(
        r#"(module (import "env" "memory" (memory 1))
            (data (i32.const 10) "{}")
            (data (i32.const 65535) "xy"))"#,
        hex(&big)
    );
    let module = Module::new(&engine, &wat).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "memory", mem).unwrap();
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::MemoryOutOfBounds));
    assert!(mem.data(&store)[10..10 + big.len()] == big[..]);
}

#[test]
fn offsets_from_globals_take_the_ordinary_path() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let g = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(4096),
    )
    .unwrap();
    let big = pattern(70_000, 5);
    let wat = format!(
        r#"(module (import "env" "base" (global i32)) (memory (export "memory") 2)
            (data (global.get 0) "{}") (data (i32.const 0) "hi"))"#,
        hex(&big)
    );
    let module = Module::new(&engine, &wat).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "base", g).unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let data = memory_bytes(&store, &inst);
    assert_eq!(&data[..2], b"hi");
    assert!(data[4096..4096 + big.len()] == big[..]);
}

#[test]
fn active_segments_count_as_dropped_and_passive_ones_stay() {
    let big = pattern(70_000, 6);
    let extra = r#"
        (data $p "passive")
        (func (export "init_active") (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 1)))
        (func (export "init_active_empty") (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 0)))
        (func (export "init_passive") (memory.init $p (i32.const 0) (i32.const 0) (i32.const 7)))
        (func (export "drop_passive") (data.drop $p))"#;
    // `extra` comes before the data list: `$p` is segment 0, the active one 1.
    let wat = module_with_data(2, &[(16, &big)], extra);
    let engine = Engine::default();
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let call = |store: &mut Store<()>, name: &str| {
        inst.get_typed_func::<(), ()>(&*store, name)
            .unwrap()
            .call(store, ())
    };
    call(&mut store, "init_passive").unwrap();
    assert_eq!(&memory_bytes(&store, &inst)[..7], b"passive");
    assert!(call(&mut store, "init_active_empty").is_ok());
    call(&mut store, "drop_passive").unwrap();
    assert_eq!(
        call(&mut store, "init_passive").unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        call(&mut store, "init_active").unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds),
        "an applied active segment is dropped"
    );
    assert!(memory_bytes(&store, &inst)[16..16 + big.len()] == big[..]);
}

#[test]
fn prepared_tables_resolve_imports_per_store() {
    // Two stores bind different host functions (at different store indices)
    // to the same import; each instance's table must call its own.
    let wat = r#"(module
        (import "env" "f" (func $f (result i32)))
        (type $t (func (result i32)))
        (table 8 funcref)
        (func $a (result i32) (i32.const 10))
        (func $b (result i32) (i32.const 20))
        (elem (i32.const 1) $a $f $b)
        (elem (i32.const 5) $b)
        (elem $pass func $a)
        (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
        (func (export "init") (table.init $pass (i32.const 7) (i32.const 0) (i32.const 1))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    for (padding, answer) in [(0, 1), (3, 2), (0, 3), (5, 4)] {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        for i in 0..padding {
            // Host functions created first shift the store indices.
            let pad = Func::wrap(&mut store, move |_: Caller<'_, ()>| -> i32 { -i });
            linker.define("pad", &format!("p{i}"), pad).unwrap();
        }
        let f = Func::wrap(&mut store, move |_: Caller<'_, ()>| -> i32 { answer });
        linker.define("env", "f", f).unwrap();
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let call = inst.get_typed_func::<i32, i32>(&store, "call").unwrap();
        assert_eq!(call.call(&mut store, 1).unwrap(), 10);
        assert_eq!(call.call(&mut store, 2).unwrap(), answer);
        assert_eq!(call.call(&mut store, 3).unwrap(), 20);
        assert_eq!(call.call(&mut store, 5).unwrap(), 20);
        let null = call.call(&mut store, 0).unwrap_err();
        assert_eq!(null.trap_code(), Some(TrapCode::IndirectCallToNull));
        assert!(call.call(&mut store, 8).is_err(), "out of bounds");
        assert!(call.call(&mut store, 7).is_err());
        inst.get_typed_func::<(), ()>(&store, "init")
            .unwrap()
            .call(&mut store, ())
            .unwrap();
        assert_eq!(call.call(&mut store, 7).unwrap(), 10);
    }
}

#[test]
fn an_element_segment_out_of_bounds_still_traps() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (table 2 funcref) (func $a) (elem (i32.const 1) $a $a))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let err = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::TableOutOfBounds));
}

#[test]
fn a_table_written_by_one_instance_stays_prepared_for_the_others() {
    // The prepared table is shared copy-on-write: wasm `table.set`,
    // `table.grow` and `Table::set` in one instance change only its own
    // table, in its own store and in a store instantiated later.
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (type $t (func (result i32)))
            (table (export "t") 4 8 funcref)
            (func $a (result i32) (i32.const 10))
            (func $b (result i32) (i32.const 20))
            (elem (i32.const 0) $a $b)
            (func (export "call") (param i32) (result i32)
                (call_indirect (type $t) (local.get 0)))
            (func (export "swap")
                (table.set (i32.const 0) (table.get (i32.const 1))))
            (func (export "grow") (result i32)
                (table.grow (ref.func $a) (i32.const 2))))"#,
    )
    .unwrap();
    let pre = Linker::<()>::new(&engine).instantiate_pre(&module).unwrap();
    let mut s1 = Store::new(&engine, ());
    let i1 = pre.instantiate(&mut s1).unwrap();
    let mut s2 = Store::new(&engine, ());
    let i2 = pre.instantiate(&mut s2).unwrap();
    let call = |s: &mut Store<()>, i: &Instance, k: i32| {
        let f = i.get_typed_func::<i32, i32>(&*s, "call").unwrap();
        f.call(s, k)
    };
    assert_eq!(call(&mut s1, &i1, 0).unwrap(), 10);
    i1.get_typed_func::<(), ()>(&s1, "swap")
        .unwrap()
        .call(&mut s1, ())
        .unwrap();
    assert_eq!(
        call(&mut s1, &i1, 0).unwrap(),
        20,
        "the writer sees its write"
    );
    assert_eq!(
        call(&mut s2, &i2, 0).unwrap(),
        10,
        "the other store does not"
    );
    let grow = i2.get_typed_func::<(), i32>(&s2, "grow").unwrap();
    assert_eq!(grow.call(&mut s2, ()).unwrap(), 4);
    assert_eq!(call(&mut s2, &i2, 5).unwrap(), 10);
    let t1 = i1.get_table(&s1, "t").unwrap();
    assert_eq!(
        t1.size(&s1),
        4,
        "growth in one store leaves the other's size"
    );
    t1.set(&mut s1, 1, Val::FuncRef(None)).unwrap();
    assert!(call(&mut s1, &i1, 1).is_err(), "a null element traps");
    let mut s3 = Store::new(&engine, ());
    let i3 = pre.instantiate(&mut s3).unwrap();
    assert_eq!(call(&mut s3, &i3, 0).unwrap(), 10);
    assert_eq!(call(&mut s3, &i3, 1).unwrap(), 20);
    assert!(
        call(&mut s3, &i3, 2).is_err(),
        "an uninitialised element traps"
    );
}

#[test]
fn a_data_drop_in_one_instance_leaves_the_segment_to_the_others() {
    // The dropped flags come shared from the memory image; `data.drop`
    // makes the instance's own copy.
    let big = pattern(70_000, 9);
    let extra = r#"
        (data $p "passive")
        (func (export "init_active") (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 1)))
        (func (export "init_passive") (memory.init $p (i32.const 0) (i32.const 0) (i32.const 7)))
        (func (export "drop_passive") (data.drop $p))"#;
    let wat = module_with_data(2, &[(16, &big)], extra);
    let engine = Engine::default();
    let module = Module::new(&engine, &wat).unwrap();
    let pre = Linker::<()>::new(&engine).instantiate_pre(&module).unwrap();
    let fresh = || {
        let mut store = Store::new(&engine, ());
        let inst = pre.instantiate(&mut store).unwrap();
        (store, inst)
    };
    let call = |store: &mut Store<()>, inst: &Instance, name: &str| {
        inst.get_typed_func::<(), ()>(&*store, name)
            .unwrap()
            .call(store, ())
    };
    let (mut s1, i1) = fresh();
    let (mut s2, i2) = fresh();
    call(&mut s1, &i1, "drop_passive").unwrap();
    assert_eq!(
        call(&mut s1, &i1, "init_passive").unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
    call(&mut s2, &i2, "init_passive").unwrap();
    assert_eq!(&memory_bytes(&s2, &i2)[..7], b"passive");
    let (mut s3, i3) = fresh();
    call(&mut s3, &i3, "init_passive").unwrap();
    assert_eq!(
        call(&mut s3, &i3, "init_active").unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds),
        "an active segment applied by the image is dropped"
    );
    assert!(memory_bytes(&s3, &i3)[16..16 + big.len()] == big[..]);
}
