//! What a loaded `Module` tells about itself without instantiation: imports and exports with
//! their entity indices, the initial values of globals, data and element segments (the
//! accessors `wasp inspect` builds its report from).

use wasp::{Engine, EntityIndex, ExternType, GlobalInit, Module, SegmentKind, Val, ValType};

const WAT: &str = r#"
(module
  (import "env" "f" (func $imp (param i32)))
  (import "env" "g" (global $g i32))
  (import "env" "t" (table 1 funcref))
  (import "env" "g2" (global (mut f32)))
  (memory (export "mem") 1)
  (table $t2 2 externref)
  (global $a i32 (i32.const -5))
  (global i64 (i64.const 9223372036854775807))
  (global f32 (f32.const nan:0x200001))
  (global f64 (f64.const -1.5))
  (global funcref (ref.null func))
  (global externref (ref.null extern))
  (global funcref (ref.func $fn))
  (global (export "copy") i32 (global.get $g))
  (func $fn (export "fn") (export "fn2") (result i32) (i32.const 1))
  (export "imported" (func $imp))
  (export "t" (table 0))
  (export "t2" (table $t2))
  (export "g2" (global 1))
  (elem (table 0) (i32.const 0) func $fn)
  (elem funcref (ref.func $fn) (ref.null func) (ref.func $imp))
  (elem declare func $fn)
  (elem (table $t2) (i32.const 1) externref (ref.null extern))
  (data (i32.const 16) "hello")
  (data (global.get $g) "xy")
  (data "passive")
)
"#;

fn module() -> Module {
    Module::new(&Engine::default(), WAT).unwrap()
}

#[test]
fn imports_carry_their_index_in_each_kind_space() {
    let m = module();
    let got: Vec<(String, EntityIndex)> = m
        .imports_indexed()
        .map(|(i, idx)| (i.name().to_string(), idx))
        .collect();
    assert_eq!(
        got,
        [
            ("f".to_string(), EntityIndex::Func(0)),
            ("g".to_string(), EntityIndex::Global(0)),
            ("t".to_string(), EntityIndex::Table(0)),
            ("g2".to_string(), EntityIndex::Global(1)),
        ]
    );
    // Same order and types as `imports()`.
    for ((a, _), b) in m.imports_indexed().zip(m.imports()) {
        assert_eq!(
            (a.module(), a.name(), a.ty()),
            (b.module(), b.name(), b.ty())
        );
    }
}

#[test]
fn exports_name_the_entity_they_refer_to() {
    let m = module();
    let got: Vec<(&str, &str, u32)> = m
        .exports_indexed()
        .map(|(e, idx)| {
            let kind = match idx {
                EntityIndex::Func(_) => "func",
                EntityIndex::Table(_) => "table",
                EntityIndex::Memory(_) => "memory",
                EntityIndex::Global(_) => "global",
                EntityIndex::Tag(_) => "tag",
            };
            assert_eq!(kind, e.ty().kind_name(), "{}", e.name());
            (e.name(), kind, idx.index())
        })
        .collect();
    assert_eq!(
        got,
        [
            ("mem", "memory", 0),
            ("copy", "global", 9),
            ("fn", "func", 1),
            ("fn2", "func", 1),
            ("imported", "func", 0),
            ("t", "table", 0),
            ("t2", "table", 1),
            ("g2", "global", 1),
        ]
    );
    assert_eq!(m.exports().len(), m.exports_indexed().len());
    let (e, _) = m.exports_indexed().nth(4).unwrap();
    assert!(
        matches!(e.ty(), ExternType::Func(f) if f.params() == [ValType::I32]),
        "an export of an import has the import's type"
    );
}

#[test]
fn global_inits_of_defined_globals() {
    let m = module();
    assert_eq!(m.globals().len(), 10);
    assert_eq!(m.global_init(0), None, "imported");
    assert_eq!(m.global_init(1), None, "imported");
    let inits: Vec<GlobalInit> = (2..10).map(|i| m.global_init(i).unwrap()).collect();
    assert_eq!(
        inits,
        [
            GlobalInit::Value(Val::I32(-5)),
            GlobalInit::Value(Val::I64(i64::MAX)),
            GlobalInit::Value(Val::F32(0x7fa0_0001)),
            GlobalInit::Value(Val::F64((-1.5f64).to_bits())),
            GlobalInit::Value(Val::FuncRef(None)),
            GlobalInit::Value(Val::ExternRef(None)),
            GlobalInit::RefFunc(1),
            GlobalInit::GlobalGet(0),
        ]
    );
    assert_eq!(m.global_init(10), None, "out of range");
    assert_eq!(m.global_init(u32::MAX), None);
}

#[test]
fn data_segments_with_their_place_and_bytes() {
    let m = module();
    let got: Vec<(SegmentKind, &[u8])> = m.data_segments().collect();
    assert_eq!(
        got,
        [
            (
                SegmentKind::Active {
                    index: 0,
                    offset: Some(16)
                },
                &b"hello"[..]
            ),
            (
                SegmentKind::Active {
                    index: 0,
                    offset: None
                },
                &b"xy"[..]
            ),
            (SegmentKind::Passive, &b"passive"[..]),
        ]
    );
}

#[test]
fn element_segments_with_their_place_type_and_length() {
    let m = module();
    let got: Vec<(SegmentKind, ValType, usize)> = m.element_segments().collect();
    assert_eq!(
        got,
        [
            (
                SegmentKind::Active {
                    index: 0,
                    offset: Some(0)
                },
                ValType::FuncRef,
                1
            ),
            (SegmentKind::Passive, ValType::FuncRef, 3),
            (SegmentKind::Declared, ValType::FuncRef, 1),
            (
                SegmentKind::Active {
                    index: 1,
                    offset: Some(1)
                },
                ValType::ExternRef,
                1
            ),
        ]
    );
}

#[test]
fn an_empty_module_has_none_of_them() {
    let m = Module::new(&Engine::default(), "(module)").unwrap();
    assert_eq!(m.imports_indexed().len(), 0);
    assert_eq!(m.exports_indexed().len(), 0);
    assert_eq!(m.data_segments().len(), 0);
    assert_eq!(m.element_segments().len(), 0);
    assert_eq!(m.global_init(0), None);
}
