//! memory64, multiple memories, custom page sizes and wide arithmetic
//! through the public API: memory types, sizes and growth in the memory's
//! own pages, import matching, accesses of memories other than memory 0,
//! 64-bit addresses and offsets, and the two-result wide operators.

use wasp::{
    Config, Engine, ErrorKind, Linker, Memory, MemoryType, Module, Store, Tier, TrapCode, Val,
};

/// Instantiates `wat` on an interpreter-only engine (the compiling tier
/// leaves these functions interpreted anyway).
fn instance(wat: &str) -> (Store<()>, wasp::Instance) {
    let engine = Engine::new(Config::new().tier(Tier::Interp));
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, inst)
}

fn call(store: &mut Store<()>, inst: &wasp::Instance, name: &str, args: &[Val]) -> Vec<Val> {
    let f = inst.get_func(&*store, name).unwrap();
    let mut out = vec![Val::I32(0); f.ty(&*store).results().len()];
    f.call(&mut *store, args, &mut out).unwrap();
    out
}

fn trap(store: &mut Store<()>, inst: &wasp::Instance, name: &str, args: &[Val]) -> TrapCode {
    let f = inst.get_func(&*store, name).unwrap();
    let mut out = vec![Val::I32(0); f.ty(&*store).results().len()];
    let e = f.call(&mut *store, args, &mut out).unwrap_err();
    e.trap_code().unwrap_or_else(|| panic!("not a trap: {e}"))
}

#[test]
fn memory64_types_sizes_and_growth() {
    let mut store = Store::new(&Engine::default(), ());
    let m = Memory::new(&mut store, MemoryType::new64(1, Some(3))).unwrap();
    let ty = m.ty(&store);
    assert!(ty.memory64);
    assert_eq!((ty.limits.min, ty.limits.max), (1, Some(3)));
    assert_eq!(m.size64(&store), 1);
    assert_eq!(m.grow64(&mut store, 2).unwrap(), 1);
    assert_eq!(m.size64(&store), 3);
    assert!(m.grow64(&mut store, 1).is_err());
    assert_eq!(m.data_size(&store), 3 * 65536);
}

#[test]
fn one_byte_pages_count_in_bytes() {
    let mut store = Store::new(&Engine::default(), ());
    let ty = MemoryType::new(10, Some(20)).with_page_size_log2(0);
    let m = Memory::new(&mut store, ty).unwrap();
    assert_eq!((m.size(&store), m.data_size(&store)), (10, 10));
    assert_eq!(m.grow(&mut store, 3).unwrap(), 10);
    assert_eq!(m.data_size(&store), 13);
    assert!(m.grow(&mut store, 8).is_err());
    // Only 1 and 65536 are page sizes.
    let bad = MemoryType::new(1, None).with_page_size_log2(3);
    assert!(Memory::new(&mut store, bad).is_err());
}

#[test]
fn imports_match_index_type_and_page_size() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let m64 = Memory::new(&mut store, MemoryType::new64(1, None)).unwrap();
    let small = Memory::new(&mut store, MemoryType::new(1, None).with_page_size_log2(0)).unwrap();
    let want32 = Module::new(&engine, r#"(module (import "m" "x" (memory 1)))"#).unwrap();
    let want64 = Module::new(&engine, r#"(module (import "m" "x" (memory i64 1)))"#).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("m", "x", m64).unwrap();
    let e = linker.instantiate(&mut store, &want32).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Link), "{e}");
    assert!(linker.instantiate(&mut store, &want64).is_ok());
    let mut linker = Linker::new(&engine);
    linker.define("m", "x", small).unwrap();
    let e = linker.instantiate(&mut store, &want32).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Link), "{e}");
}

#[test]
fn multi_memory_can_be_turned_off() {
    let wat = "(module (memory 1) (memory 1))";
    assert!(Module::new(&Engine::default(), wat).is_ok());
    let engine = Engine::new(Config::new().wasm_multi_memory(false));
    let e = Module::new(&engine, wat).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Invalid), "{e}");
}

#[test]
fn second_memory_loads_stores_and_bulk_operators() {
    let (mut store, inst) = instance(
        r#"(module
          (memory $a 1) (memory $b 1 2) (export "b" (memory $b))
          (data (memory $b) (i32.const 8) "\2a")
          (func (export "roundtrip") (param i32 i64) (result i64)
            (i64.store $b offset=4 (local.get 0) (local.get 1))
            (i64.load $b offset=4 (local.get 0)))
          (func (export "load_a") (param i32) (result i32) (i32.load8_u $a (local.get 0)))
          (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
          (func (export "copy_b_to_a") (param i32 i32 i32)
            (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
          (func (export "fill_b") (param i32 i32 i32)
            (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
          (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
          (func (export "size_b") (result i32) (memory.size $b)))"#,
    );
    let v = Val::I64(0x1122_3344_5566_7788);
    assert_eq!(
        call(&mut store, &inst, "roundtrip", &[Val::I32(100), v])[0],
        v
    );
    assert_eq!(
        call(&mut store, &inst, "load_b", &[Val::I32(8)])[0],
        Val::I32(42)
    );
    assert_eq!(
        call(&mut store, &inst, "load_a", &[Val::I32(8)])[0],
        Val::I32(0)
    );
    call(
        &mut store,
        &inst,
        "copy_b_to_a",
        &[Val::I32(0), Val::I32(8), Val::I32(1)],
    );
    assert_eq!(
        call(&mut store, &inst, "load_a", &[Val::I32(0)])[0],
        Val::I32(42)
    );
    call(
        &mut store,
        &inst,
        "fill_b",
        &[Val::I32(16), Val::I32(7), Val::I32(2)],
    );
    assert_eq!(
        call(&mut store, &inst, "load_b", &[Val::I32(17)])[0],
        Val::I32(7)
    );
    let t = trap(&mut store, &inst, "load_b", &[Val::I32(65536)]);
    assert_eq!(t, TrapCode::MemoryOutOfBounds);
    assert_eq!(
        call(&mut store, &inst, "grow_b", &[Val::I32(1)])[0],
        Val::I32(1)
    );
    assert_eq!(
        call(&mut store, &inst, "grow_b", &[Val::I32(1)])[0],
        Val::I32(-1)
    );
    assert_eq!(call(&mut store, &inst, "size_b", &[])[0], Val::I32(2));
    let b = inst.get_memory(&store, "b").unwrap();
    assert_eq!(b.data(&store)[17], 7);
    // The loaded memory 1 is reached after growth too (its base may move).
    assert_eq!(
        call(&mut store, &inst, "load_b", &[Val::I32(70000)])[0],
        Val::I32(0)
    );
}

#[test]
fn memory64_addresses_and_offsets_cannot_wrap() {
    let (mut store, inst) = instance(
        r#"(module
          (memory i64 1)
          (data (i64.const 0xfff8) "\01\02\03\04\05\06\07\08")
          (func (export "load") (param i64) (result i64) (i64.load (local.get 0)))
          (func (export "load_off") (param i64) (result i32)
            (i32.load8_u offset=0xffffffff (local.get 0)))
          (func (export "load_huge") (param i64) (result i32)
            (i32.load8_u offset=0x100000000 (local.get 0)))
          (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
          (func (export "size") (result i64) (memory.size)))"#,
    );
    assert_eq!(
        call(&mut store, &inst, "load", &[Val::I64(0xfff8)])[0],
        Val::I64(0x0807_0605_0403_0201)
    );
    for a in [0xfff9, -1, i64::MIN, 1 << 32] {
        let t = trap(&mut store, &inst, "load", &[Val::I64(a)]);
        assert_eq!(t, TrapCode::MemoryOutOfBounds, "address {a:#x}");
    }
    // address + offset overflowing 64 bits is out of bounds, not a wrap.
    let t = trap(&mut store, &inst, "load_off", &[Val::I64(-0xffff_ffff)]);
    assert_eq!(t, TrapCode::MemoryOutOfBounds);
    let t = trap(&mut store, &inst, "load_huge", &[Val::I64(0)]);
    assert_eq!(t, TrapCode::MemoryOutOfBounds);
    assert_eq!(call(&mut store, &inst, "size", &[])[0], Val::I64(1));
    assert_eq!(
        call(&mut store, &inst, "grow", &[Val::I64(1)])[0],
        Val::I64(1)
    );
    // More than the engine's cap (4 GiB): -1 as an i64.
    assert_eq!(
        call(&mut store, &inst, "grow", &[Val::I64(1 << 40)])[0],
        Val::I64(-1)
    );
    assert_eq!(call(&mut store, &inst, "size", &[])[0], Val::I64(2));
}

#[test]
fn custom_page_size_memory_zero_counts_bytes() {
    let (mut store, inst) = instance(
        r#"(module
          (memory 3 (pagesize 1))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "size") (result i32) (memory.size))
          (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))"#,
    );
    assert_eq!(call(&mut store, &inst, "size", &[])[0], Val::I32(3));
    let t = trap(&mut store, &inst, "store", &[Val::I32(3), Val::I32(1)]);
    assert_eq!(t, TrapCode::MemoryOutOfBounds);
    assert_eq!(
        call(&mut store, &inst, "grow", &[Val::I32(1)])[0],
        Val::I32(3)
    );
    call(&mut store, &inst, "store", &[Val::I32(3), Val::I32(1)]);
    assert_eq!(call(&mut store, &inst, "size", &[])[0], Val::I32(4));
}

#[test]
fn wide_arithmetic_gives_two_results() {
    let (mut store, inst) = instance(
        r#"(module
          (func (export "add") (param i64 i64 i64 i64) (result i64 i64)
            (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
          (func (export "sub") (param i64 i64 i64 i64) (result i64 i64)
            (i64.sub128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
          (func (export "mul_s") (param i64 i64) (result i64 i64)
            (i64.mul_wide_s (local.get 0) (local.get 1)))
          (func (export "mul_u") (param i64 i64) (result i64 i64)
            (i64.mul_wide_u (local.get 0) (local.get 1))))"#,
    );
    let i = Val::I64;
    assert_eq!(
        call(&mut store, &inst, "add", &[i(-1), i(0), i(1), i(0)]),
        [i(0), i(1)]
    );
    assert_eq!(
        call(&mut store, &inst, "sub", &[i(0), i(0), i(1), i(0)]),
        [i(-1), i(-1)]
    );
    assert_eq!(
        call(&mut store, &inst, "mul_s", &[i(-1), i(1)]),
        [i(-1), i(-1)]
    );
    assert_eq!(
        call(&mut store, &inst, "mul_u", &[i(-1), i(2)]),
        [i(-2), i(1)]
    );
}
