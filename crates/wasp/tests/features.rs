//! The feature set wasp accepts is WebAssembly 2.0 (with SIMD) plus relaxed
//! SIMD, memory64, multi-memory, custom-page-sizes, wide-arithmetic,
//! WebAssembly 3.0's tail calls, typed function references, extended
//! constant expressions, exception handling and the GC type system (not GC
//! instructions) (issue 10); every reader of the module bytes uses it (issue
//! 8, defect 11): an encoding from a later proposal must be rejected as
//! malformed, as wasmtime and wasmi do.

use wasp::{Engine, ErrorKind, Linker, Module, Store, Val};

fn section(id: u8, body: &[u8]) -> Vec<u8> {
    let mut s = vec![id, body.len() as u8];
    s.extend_from_slice(body);
    s
}

fn module(imports: &[u8]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend(section(1, &[1, 0x60, 0, 0])); // one type: [] -> []
    m.extend(section(2, imports));
    m
}

#[test]
fn compact_import_encoding_is_malformed() {
    // One import group: module "m", empty name, 0x7f, one item "f": func type 0.
    let bytes = module(&[1, 1, b'm', 0, 0x7f, 1, 1, b'f', 0x00, 0]);
    let err = Module::new(&Engine::default(), &bytes).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Malformed),
        "{:?}: {err}",
        err.kind()
    );
    assert!(err.to_string().contains("import section"), "{err}");
    // The second compact form (0x7e: one type for many names) too.
    let bytes = module(&[1, 1, b'm', 0, 0x7e, 0x00, 0, 1, 1, b'f']);
    let err = Module::new(&Engine::default(), &bytes).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Malformed), "{err}");
}

#[test]
fn the_same_import_in_the_2_0_encoding_loads() {
    let bytes = module(&[1, 1, b'm', 1, b'f', 0x00, 0]);
    let m = Module::new(&Engine::default(), &bytes).unwrap();
    assert_eq!(m.imports().count(), 1);
}

#[test]
fn simd_and_relaxed_simd_load_and_run() {
    let engine = Engine::default();
    let wat = r#"(module
        (func (export "f") (param v128 i32) (result v128 i32)
            (i32x4.add (local.get 0) (v128.const i32x4 1 2 3 4))
            (i32.add (local.get 1) (i32.const 1)))
        (func (export "r") (result v128)
            (f32x4.relaxed_madd (v128.const f32x4 2 2 2 2) (v128.const f32x4 3 3 3 3)
                                (v128.const f32x4 1 1 1 1))))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = inst.get_func(&store, "f").unwrap();
    let mut out = [Val::I32(0), Val::I32(0)];
    let x = 10u128 | 20 << 32 | 30 << 64 | 40 << 96;
    f.call(&mut store, &[Val::V128(x), Val::I32(5)], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::V128(11 | 22 << 32 | 33 << 64 | 44 << 96));
    assert_eq!(out[1], Val::I32(6));
    let r = inst.get_func(&store, "r").unwrap();
    let mut out = [Val::I32(0)];
    r.call(&mut store, &[], &mut out).unwrap();
    let seven = 7.0f32.to_bits() as u128;
    assert_eq!(out[0], Val::V128(seven * (1 | 1 << 32 | 1 << 64 | 1 << 96)));
}

#[test]
fn threads_are_unsupported() {
    let err = Module::new(
        &Engine::default(),
        "(module (memory 1 1) (func (result i32) (i32.atomic.load (i32.const 0))))",
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unsupported), "{err}");
}

#[test]
fn memory_proposals_are_accepted() {
    let engine = Engine::default();
    for wat in [
        "(module (memory i64 1) (func (result i64) (memory.size)))",
        "(module (memory 1) (memory 2) (func (result i32) (i32.load 1 (i32.const 0))))",
        "(module (memory 1 (pagesize 1)))",
        "(module (func (param i64 i64) (result i64 i64) (i64.mul_wide_u (local.get 0) (local.get 1))))",
    ] {
        Module::new(&engine, wat).unwrap_or_else(|e| panic!("{wat}: {e}"));
    }
}

#[test]
fn wasm3_core_features_load() {
    let engine = Engine::default();
    for wat in [
        "(module (func $f (return_call $f)))",
        "(module (type $t (func)) (table 1 funcref) (func (return_call_indirect (type $t) (i32.const 0))))",
        "(module (type $t (func)) (func (param (ref null $t)) (call_ref $t (local.get 0))))",
        "(module (type $t (func)) (func (param (ref null $t)) (drop (ref.as_non_null (local.get 0)))))",
        "(module (global i32 (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3)))))",
        "(module (rec (type $a (sub (func))) (type $s (struct (field (ref null $a))))))",
        "(module (type $t (func)) (table 1 (ref $t) (ref.func $f)) (func $f))",
    ] {
        Module::new(&engine, wat).unwrap_or_else(|e| panic!("{wat}: {e}"));
    }
}

/// GC instructions load and run (they were refused before the collector).
#[test]
fn gc_instructions_run() {
    let engine = Engine::default();
    let m = Module::new(
        &engine,
        r#"(module (type $s (struct (field i32)))
            (func (export "f") (result i32) (struct.get $s 0 (struct.new $s (i32.const 41)))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let f = i.get_typed_func::<(), i32>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 41);
}

/// Exception handling (WebAssembly 3.0) is accepted: tags, `throw`,
/// `throw_ref`, `try_table` and `exnref`.
#[test]
fn exception_handling_is_accepted() {
    let m = Module::new(
        &Engine::default(),
        r#"(module
            (tag $e (export "e") (param i32))
            (func (param exnref) (result i32)
              (block $h (result i32)
                (try_table (catch $e $h) (throw $e (i32.const 1)))
                (throw_ref (local.get 0)))))"#,
    )
    .unwrap();
    assert_eq!(m.exports().count(), 1);
}

/// The legacy `try`/`catch`/`delegate` encoding is not (it is not part of
/// WebAssembly 3.0).
#[test]
fn legacy_exceptions_are_rejected() {
    // (func try nop catch_all end): 0x06 try, 0x19 catch_all.
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend(section(1, &[1, 0x60, 0, 0]));
    m.extend(section(3, &[1, 0]));
    m.extend(section(10, &[1, 6, 0, 0x06, 0x40, 0x19, 0x0b, 0x0b]));
    let err = Module::new(&Engine::default(), &m).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unsupported), "{err}");
    assert!(err.to_string().contains("legacy_exceptions"), "{err}");
}
