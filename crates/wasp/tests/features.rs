//! The feature set wasp accepts is WebAssembly 2.0 without SIMD, plus
//! exception handling, and every reader of the module bytes uses it (issue
//! 8, defect 11): an encoding from a later proposal must be rejected as
//! malformed, as wasmtime and wasmi do.

use wasp::{Engine, ErrorKind, Module};

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
fn simd_is_unsupported() {
    let err = Module::new(
        &Engine::default(),
        "(module (func (result v128) (v128.const i64x2 0 0)))",
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unsupported), "{err}");
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
