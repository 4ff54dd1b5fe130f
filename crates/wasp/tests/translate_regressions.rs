//! Regression tests for translator rewrites that assumed the shape of what
//! they emit (issue 8, defects 1 and 2, and the audit that followed). Each
//! runs a valid module through the public API and checks the answer the
//! WebAssembly semantics give.

use wasp::*;

fn call_i32(wat: &str, name: &str, args: &[Val]) -> Result<Vec<Val>> {
    let engine = Engine::default();
    let module = Module::new(&engine, wat)?;
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module)?;
    let f = inst
        .get_func(&store, name)
        .ok_or_else(|| Error::msg(format!("no export {name}")))?;
    let n = f.ty(&store).results().len();
    let mut out = vec![Val::I32(0); n];
    f.call(&mut store, args, &mut out)?;
    Ok(out)
}

fn i32s(vals: &[Val]) -> Vec<i32> {
    vals.iter()
        .map(|v| match v {
            Val::I32(x) => *x,
            other => panic!("not an i32: {other:?}"),
        })
        .collect()
}

/// Defect 1: a loop whose first instruction is a conditional branch back to
/// the same loop made loop inversion recurse without end (host stack overflow).
#[test]
fn loop_headed_by_a_branch_to_itself_translates_and_runs() {
    let wat = r#"(module (func (export "f") (param $c i32) (result i32) (local $n i32)
      (block $done (loop $l
        (br_if $l (i32.eqz (local.tee $c (i32.sub (local.get $c) (i32.const 0)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $n) (i32.const 10)))
        (br $l)))
      (local.get $n)))"#;
    assert_eq!(i32s(&call_i32(wat, "f", &[Val::I32(1)]).unwrap()), [10]);
    // The exact module from the issue (its `_start` counts to 10 and returns).
    let issue = r#"(module (func (export "_start") (local $c i32) (local $n i32)
      (block $done (loop $l
        (br_if $l (local.get $c))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $n) (i32.const 10)))
        (br $l)))))"#;
    assert!(call_i32(issue, "_start", &[]).unwrap().is_empty());
}

/// Nested loops sharing one head: the head's branch targets the outer loop,
/// and a back-edge to the inner loop inverts into a branch to the outer one.
#[test]
fn nested_loops_sharing_a_head_branch() {
    let wat = r#"(module (func (export "f") (param $c i32) (result i32) (local $n i32)
      (block $done (loop $outer (loop $inner
        (br_if $outer (i32.eqz (local.get $c)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $n) (i32.const 7)))
        (br $inner))))
      (local.get $n)))"#;
    assert_eq!(i32s(&call_i32(wat, "f", &[Val::I32(1)]).unwrap()), [7]);
}

/// Defect 2: every `br_table` entry must stay one instruction; an entry that
/// targets a loop headed by a conditional branch was inverted into two and
/// shifted the later entries.
#[test]
fn br_table_entry_targeting_an_inverted_loop() {
    let wat = r#"(module (func (export "f") (param $x i32) (param $sel i32) (result i32)
      (block $other (block $exit (loop $head
        (br_if $exit (local.get $x))
        (br_table $head $other (local.get $sel))))
        (return (i32.const 111)))
      (i32.const 222)))"#;
    assert_eq!(
        i32s(&call_i32(wat, "f", &[Val::I32(0), Val::I32(1)]).unwrap()),
        [222]
    );
    assert_eq!(
        i32s(&call_i32(wat, "f", &[Val::I32(1), Val::I32(0)]).unwrap()),
        [111]
    );
}

/// A table whose every entry targets loops headed by fused compares, with
/// the selector chosen so each entry is taken once.
#[test]
fn br_table_with_several_loop_entries() {
    let wat = r#"(module (func (export "f") (param $sel i32) (result i32) (local $n i32)
      (block $out
        (loop $a
          (br_if $out (i32.gt_u (local.get $n) (i32.const 100)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (loop $b
            (br_if $out (i32.gt_u (local.get $n) (i32.const 100)))
            (local.set $n (i32.add (local.get $n) (i32.const 10)))
            (local.set $sel (i32.add (local.get $sel) (i32.const 1)))
            (br_table $a $b $out (i32.and (local.get $sel) (i32.const 3))))))
      (i32.add (i32.mul (local.get $n) (i32.const 1000)) (local.get $sel))))"#;
    for sel in 0..4 {
        let got = i32s(&call_i32(wat, "f", &[Val::I32(sel)]).unwrap())[0];
        assert_eq!(got, reference(sel), "sel = {sel}");
    }
    // The same control flow, computed directly.
    fn reference(mut sel: i32) -> i32 {
        let mut n = 0;
        let mut in_b = false;
        loop {
            if n > 100 {
                break;
            }
            if !in_b {
                n += 1;
            }
            if n > 100 {
                break;
            }
            n += 10;
            sel += 1;
            match sel & 3 {
                0 => in_b = false,
                1 => in_b = true,
                _ => break,
            }
        }
        n * 1000 + sel
    }
}

/// Found by the `diff` fuzzer: a float operator over two NaN constants was
/// folded at translation time with a payload other than the run-time
/// handler's (and wasmtime's). Constants and run-time operands must agree.
#[test]
fn float_ops_over_nan_constants_give_the_run_time_payload() {
    let wat = r#"(module
      (func (export "folded") (result i32)
        (i32.reinterpret_f32 (f32.add (f32.const nan:0x200000) (f32.const nan:0x100000))))
      (func (export "dynamic") (param f32 f32) (result i32)
        (i32.reinterpret_f32 (f32.add (local.get 0) (local.get 1))))
      (func (export "folded_min") (result i64)
        (i64.reinterpret_f64 (f64.min (f64.const nan:0x1) (f64.const nan:0x2)))))"#;
    let (a, b) = (0x7fa0_0000u32, 0x7f90_0000u32);
    let folded = i32s(&call_i32(wat, "folded", &[]).unwrap())[0] as u32;
    let dynamic = i32s(&call_i32(wat, "dynamic", &[Val::F32(a), Val::F32(b)]).unwrap())[0] as u32;
    assert_eq!(folded, dynamic);
    assert_eq!(
        folded, 0x7fe0_0000,
        "the first NaN, quieted (x86, wasmtime)"
    );
    // min/max of two NaNs: the second, quieted.
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = inst
        .get_typed_func::<(), i64>(&store, "folded_min")
        .unwrap();
    assert_eq!(
        f.call(&mut store, ()).unwrap() as u64,
        0x7ff8_0000_0000_0002
    );
}
