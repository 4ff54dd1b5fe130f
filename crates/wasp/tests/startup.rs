//! Start-up paths of module loading: function bodies validated in parallel
//! while later sections decode still report the lowest-numbered bad
//! function; the one-pass data-section decoder and allocation-free constant
//! expressions give what the general path gives; function names decode on
//! first use.

use wasp::*;

/// `n` functions; those in `bad` return an i64 where an i32 is due.
fn many_funcs(n: usize, bad: &[usize]) -> String {
    let mut m = String::from("(module (memory 1)\n");
    for i in 0..n {
        let body = if bad.contains(&i) {
            "i64.const 1"
        } else {
            "i32.const 1"
        };
        m.push_str(&format!("(func $f{i} (result i32) {body})\n"));
    }
    m.push_str("(data (i32.const 0) \"x\"))");
    m
}

#[test]
fn parallel_validation_reports_the_lowest_numbered_bad_function() {
    let engine = Engine::default();
    for bad in [&[700, 150, 1999][..], &[0], &[1999], &[64, 65]] {
        let e = Module::new(&engine, many_funcs(2000, bad)).unwrap_err();
        let lowest = bad.iter().min().unwrap();
        assert!(
            e.to_string().contains(&format!("function {lowest},")),
            "{bad:?}: {e}"
        );
    }
    assert!(Module::new(&engine, many_funcs(2000, &[])).is_ok());
}

#[test]
fn a_bad_section_after_the_code_is_reported_while_bodies_validate() {
    // A data segment for memory 1, which does not exist: the data section's
    // error, not a hang or a body error.
    let mut m = many_funcs(500, &[]);
    m.truncate(m.len() - 1);
    m.push_str(" (data (memory 1) (i32.const 0) \"y\"))");
    let e = Module::new(&Engine::default(), m).unwrap_err();
    assert!(e.to_string().contains("data"), "{e}");
}

#[test]
fn data_segments_of_every_shape_initialise_memory() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
          (global $g (import "env" "base") i32)
          (memory (export "mem") 1)
          (data (i32.const 1) "ab")
          (data (global.get $g) "cd")
          (data $p "ef")
          (data (memory 0) (i32.const 100) "gh")
          (func (export "init") (memory.init $p (i32.const 200) (i32.const 0) (i32.const 2))))"#,
    )
    .unwrap();
    let kinds: Vec<SegmentKind> = module.data_segments().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        [
            SegmentKind::Active {
                index: 0,
                offset: Some(1)
            },
            SegmentKind::Active {
                index: 0,
                offset: None
            },
            SegmentKind::Passive,
            SegmentKind::Active {
                index: 0,
                offset: Some(100)
            },
        ]
    );
    let mut store = Store::new(&engine, ());
    let base = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(50),
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "base", base).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    instance
        .get_typed_func::<(), ()>(&store, "init")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    let mem = instance.get_memory(&store, "mem").unwrap();
    let data = mem.data(&store);
    assert_eq!(&data[1..3], b"ab");
    assert_eq!(&data[50..52], b"cd");
    assert_eq!(&data[100..102], b"gh");
    assert_eq!(&data[200..202], b"ef");
}

#[test]
fn function_names_decode_on_first_use() {
    let module = Module::new(
        &Engine::default(),
        r#"(module $m (func $first) (func) (func $third (export "boom") unreachable))"#,
    )
    .unwrap();
    assert_eq!(module.name(), Some("m"));
    assert_eq!(module.func_name(0), Some("first"));
    assert_eq!(module.func_name(1), None);
    assert_eq!(module.func_name(2), Some("third"));
    let engine = module.engine().clone();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let e = instance
        .get_typed_func::<(), ()>(&store, "boom")
        .unwrap()
        .call(&mut store, ())
        .unwrap_err();
    assert!(e.to_string().contains("third"), "{e}");
}

/// Data sections of the one-pass shape are checked by wasp instead of the
/// validator (parse.rs `data_valid`): what the validator rejects is still
/// rejected, with its message, and the limit on segments holds.
#[test]
fn one_pass_data_sections_are_still_validated() {
    let engine = Engine::default();
    for (wat, want) in [
        (r#"(module (data (i32.const 0) "a"))"#, "unknown memory"),
        (
            r#"(module (memory 1) (data (memory 1) (i32.const 0) "a"))"#,
            "unknown memory",
        ),
        (
            r#"(module (memory 1) (data (memory 0) (i64.const 0) "a"))"#,
            "type mismatch",
        ),
    ] {
        let e = Module::new(&engine, wat).unwrap_err();
        assert!(e.to_string().contains(want), "{wat}: {e}");
    }
    // Passive segments need no memory.
    assert!(Module::new(&engine, r#"(module (data "p"))"#).is_ok());
    // 100,000 segments are allowed, 100,001 are not.
    let many = |n: usize| {
        let mut m = String::from("(module (memory 1)");
        for i in 0..n {
            m.push_str(&format!(" (data (i32.const {}) \"x\")", i % 65536));
        }
        m.push(')');
        wat::parse_str(&m).unwrap()
    };
    assert!(Module::new(&engine, many(100_000)).is_ok());
    let e = Module::new(&engine, many(100_001)).unwrap_err();
    assert!(e.to_string().contains("data segments"), "{e}");
}
