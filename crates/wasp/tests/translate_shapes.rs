//! The translator's optimisations, checked on the IR it produces (through the
//! hidden `Module::debug_ir` dump): Go's dispatch shortcut, loop inversion,
//! result redirection into locals, and compare+branch fusion.

use wasp::{Engine, Module};

/// Parses `debug_ir` lines `  12: Name { field: value, ... }` into (name, text).
fn ir(wat: &str, func: u32) -> Vec<(String, String)> {
    let module = Module::new(&Engine::default(), wat).unwrap();
    let dump = module.debug_ir(func).unwrap();
    dump.lines()
        .skip(1)
        .map(|l| {
            let body = l.split_once(": ").unwrap().1.to_string();
            let name = body.split([' ', '{']).next().unwrap().to_string();
            (name, body)
        })
        .collect()
}

fn offset_of(text: &str) -> Option<isize> {
    let rest = text.split("offset: ").nth(1)?;
    rest.split([',', ' ', '}']).next()?.parse().ok()
}

#[test]
fn go_dispatch_jumps_straight_to_the_case() {
    let wat = r#"(module (func (param $pc i32) (result i32)
        (loop $L
          (block $b2 (block $b1 (block $b0
            (br_table $b0 $b1 $b2 (local.get $pc)))
            ;; case 0
            (i32.const 2) (local.set $pc) (br $L))
            ;; case 1
            (return (i32.const 1)))
          ;; case 2
          (i32.const 1) (local.set $pc) (br $L))
        (i32.const 0)))"#;
    let code = ir(wat, 0);
    let table = code.iter().position(|(n, _)| n == "BrTable").unwrap();
    // No branch after the jump table goes back to the loop head (the br_table).
    for (i, (name, text)) in code.iter().enumerate().skip(table + 4) {
        if name == "Br" {
            let target = i as isize + offset_of(text).unwrap();
            assert_ne!(target as usize, table, "branch {i} re-dispatches: {code:?}");
        }
    }
}

#[test]
fn loops_test_their_condition_once_per_iteration() {
    let wat = r#"(module (func (param $n i32) (result i32) (local $i i32)
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (local.get $i)))"#;
    let code = ir(wat, 0);
    let names: Vec<&str> = code.iter().map(|(n, _)| n.as_str()).collect();
    // head: fused compare; body: one add straight into the local; back-edge:
    // the negated compare (no separate `br` per iteration).
    assert_eq!(
        &names[..4],
        &["BrI32GeU", "I32AddImm", "BrI32LtU", "Br"],
        "{code:?}"
    );
    assert!(
        code[1].1.contains("dst: 1") && code[1].1.contains("lhs: 1"),
        "{code:?}"
    );
    assert_eq!(offset_of(&code[2].1), Some(-1), "{code:?}");
}

#[test]
fn go_address_arithmetic_narrows_to_a_32_bit_add() {
    let wat = r#"(module (memory 1) (func (param $p i32) (result i64)
        (i64.load (i32.wrap_i64 (i64.add (i64.extend_i32_u (local.get $p)) (i64.const 8))))))"#;
    let code = ir(wat, 0);
    let names: Vec<&str> = code.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..2], &["I32AddImm", "I64Load"], "{code:?}");
    assert!(
        code[0].1.contains("lhs: 0") && code[0].1.contains("imm: 8"),
        "{code:?}"
    );
}

#[test]
fn double_eqz_becomes_a_test_against_zero_and_fuses() {
    let wat = r#"(module (func (param $x i64) (result i32)
        (if (i32.eqz (i64.eqz (local.get $x))) (then (return (i32.const 1))))
        (i32.const 0)))"#;
    let code = ir(wat, 0);
    assert_eq!(code[0].0, "BrI64EqImm", "{code:?}");
}

#[test]
fn go_call_sequence_is_compact() {
    // Go: SP -= 8; store the return PC at [SP]; call with resume point 0.
    let wat = r#"(module (memory 1) (global $SP (mut i32) (i32.const 1024))
        (func $f (param i32) (result i32) (i32.const 0))
        (func (param $pc i32) (result i32) (local $sp i32)
          (local.set $sp (i32.sub (global.get $SP) (i32.const 8)))
          (global.set $SP (local.get $sp))
          (i64.store (local.get $sp) (i64.const 326303744))
          (call $f (i32.const 0))))"#;
    let code = ir(wat, 1);
    let names: Vec<&str> = code.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        &names[..5],
        &[
            "GlobalGet",
            "I32SubImm",
            "GlobalSet",
            "Store64Imm",
            "CallImm"
        ],
        "{code:?}"
    );
}
