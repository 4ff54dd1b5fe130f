//! Hand-written edge cases, each compared with the interpreter: every
//! numeric operator over interesting operands (and with constant operands,
//! which take Cranelift's folding paths), memory at its exact boundary,
//! `memory.grow`, control flow with block parameters, calls, recursion,
//! globals, and what stays unsupported.

use super::{diff_all_exports, with_big_stack, Diff, Outcome};
use crate::error::TrapCode;
use crate::jit::{Compiler, JitOptions};

const I32_BIN: &[&str] = &[
    "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s",
    "shr_u", "rotl", "rotr", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s",
    "ge_u",
];
const F_BIN: &[&str] = &[
    "add", "sub", "mul", "div", "min", "max", "copysign", "eq", "ne", "lt", "gt", "le", "ge",
];
const F_UN: &[&str] = &["abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"];

/// Does `op` compare (an i32 result)?
fn is_cmp(op: &str) -> bool {
    matches!(
        op,
        "eq" | "ne"
            | "lt_s"
            | "lt_u"
            | "gt_s"
            | "gt_u"
            | "le_s"
            | "le_u"
            | "ge_s"
            | "ge_u"
            | "lt"
            | "gt"
            | "le"
            | "ge"
    )
}

/// One exported function per operator: `(param ty ty) (result rty)`.
fn binary_module(ty: &str, ops: &[&str]) -> String {
    let mut m = String::from("(module\n");
    for op in ops {
        let rty = if is_cmp(op) { "i32" } else { ty };
        m += &format!(
            "(func (export \"{op}\") (param {ty} {ty}) (result {rty}) local.get 0 local.get 1 {ty}.{op})\n"
        );
    }
    m + ")"
}

#[test]
fn integer_operators_agree() {
    let i64_ops: Vec<&str> = I32_BIN.to_vec();
    diff_all_exports(&binary_module("i32", I32_BIN), 400);
    diff_all_exports(&binary_module("i64", &i64_ops), 400);
}

#[test]
fn float_operators_agree_bit_for_bit() {
    diff_all_exports(&binary_module("f32", F_BIN), 1000);
    diff_all_exports(&binary_module("f64", F_BIN), 1000);
    let mut m = String::from("(module\n");
    for ty in ["f32", "f64"] {
        for op in F_UN {
            m += &format!(
                "(func (export \"{ty}.{op}\") (param {ty}) (result {ty}) local.get 0 {ty}.{op})\n"
            );
        }
    }
    diff_all_exports(&(m + ")"), 100);
}

#[test]
fn nan_results_follow_the_rule() {
    let mut d = Diff::new(&binary_module("f32", &["min", "max", "add", "mul"]));
    let one = 1.0f32.to_bits() as u64;
    let snan = 0x7f80_0001u64;
    let qnan = 0xffc0_0002u64;
    assert_eq!(
        d.call("min", &[snan, one]),
        Outcome::Values(vec![0x7fc0_0001])
    );
    assert_eq!(
        d.call("max", &[one, snan]),
        Outcome::Values(vec![0x7fc0_0001])
    );
    // Two NaNs: the second, quieted.
    assert_eq!(
        d.call("min", &[qnan, snan]),
        Outcome::Values(vec![0x7fc0_0001])
    );
    assert_eq!(d.call("max", &[snan, qnan]), Outcome::Values(vec![qnan]));
    let nz = (-0.0f32).to_bits() as u64;
    assert_eq!(d.call("min", &[0, nz]), Outcome::Values(vec![nz]));
    assert_eq!(d.call("max", &[nz, 0]), Outcome::Values(vec![0]));
    // Arithmetic: the first NaN operand, quieted.
    assert_eq!(d.call("add", &[qnan, snan]), Outcome::Values(vec![qnan]));
    assert_eq!(
        d.call("mul", &[one, snan]),
        Outcome::Values(vec![0x7fc0_0001])
    );
    assert_eq!(
        d.call("add", &[snan, qnan]),
        Outcome::Values(vec![0x7fc0_0001])
    );
}

/// Cranelift swaps `fadd` operands to sink a load and folds `-x * -y` to
/// `x * y`; neither may change a NaN result.
#[test]
fn nan_results_survive_cranelift_rewrites() {
    let wat = r#"(module (memory 1)
      (func (export "add_load") (param i32 f32) (result f32)
        (f32.add (f32.load (local.get 0)) (local.get 1)))
      (func (export "mul_neg") (param f64 f64) (result f64)
        (f64.mul (f64.neg (local.get 0)) (f64.neg (local.get 1))))
      (func (export "store") (param i32 f32) (f32.store (local.get 0) (local.get 1))))"#;
    let mut d = Diff::new(wat);
    d.call("store", &[0, 0x7fa0_0001]);
    assert_eq!(
        d.call("add_load", &[0, 0x7fb0_0002]),
        Outcome::Values(vec![0x7fe0_0001])
    );
    let (a, b) = (0x7ff4_0000_0000_0001u64, 0x7ff2_0000_0000_0002u64);
    assert_eq!(
        d.call("mul_neg", &[a, b]),
        Outcome::Values(vec![0xfffc_0000_0000_0001])
    );
}

#[test]
fn unary_operators_and_conversions_agree() {
    let ops = [
        ("i32", "i32", "clz"),
        ("i32", "i32", "ctz"),
        ("i32", "i32", "popcnt"),
        ("i32", "i32", "eqz"),
        ("i32", "i32", "extend8_s"),
        ("i32", "i32", "extend16_s"),
        ("i64", "i64", "clz"),
        ("i64", "i64", "ctz"),
        ("i64", "i64", "popcnt"),
        ("i64", "i32", "eqz"),
        ("i64", "i64", "extend8_s"),
        ("i64", "i64", "extend16_s"),
        ("i64", "i64", "extend32_s"),
        ("i32", "i64", "extend_i32_s"),
        ("i32", "i64", "extend_i32_u"),
        ("i64", "i32", "wrap_i64"),
        ("f32", "i32", "trunc_f32_s"),
        ("f32", "i32", "trunc_f32_u"),
        ("f64", "i32", "trunc_f64_s"),
        ("f64", "i32", "trunc_f64_u"),
        ("f32", "i64", "trunc_f32_s"),
        ("f32", "i64", "trunc_f32_u"),
        ("f64", "i64", "trunc_f64_s"),
        ("f64", "i64", "trunc_f64_u"),
        ("f32", "i32", "trunc_sat_f32_s"),
        ("f32", "i32", "trunc_sat_f32_u"),
        ("f64", "i32", "trunc_sat_f64_s"),
        ("f64", "i32", "trunc_sat_f64_u"),
        ("f32", "i64", "trunc_sat_f32_s"),
        ("f32", "i64", "trunc_sat_f32_u"),
        ("f64", "i64", "trunc_sat_f64_s"),
        ("f64", "i64", "trunc_sat_f64_u"),
        ("i32", "f32", "convert_i32_s"),
        ("i32", "f32", "convert_i32_u"),
        ("i64", "f32", "convert_i64_s"),
        ("i64", "f32", "convert_i64_u"),
        ("i32", "f64", "convert_i32_s"),
        ("i32", "f64", "convert_i32_u"),
        ("i64", "f64", "convert_i64_s"),
        ("i64", "f64", "convert_i64_u"),
        ("f64", "f32", "demote_f64"),
        ("f32", "f64", "promote_f32"),
        ("f32", "i32", "reinterpret_f32"),
        ("f64", "i64", "reinterpret_f64"),
        ("i32", "f32", "reinterpret_i32"),
        ("i64", "f64", "reinterpret_i64"),
    ];
    let mut m = String::from("(module\n");
    for (i, (from, to, op)) in ops.iter().enumerate() {
        let prefix = if op.starts_with("eqz")
            || op.starts_with("clz")
            || op.starts_with("ctz")
            || op.starts_with("popcnt")
            || op.starts_with("extend8")
            || op.starts_with("extend16")
            || op.starts_with("extend32")
        {
            from
        } else {
            to
        };
        m += &format!(
            "(func (export \"f{i}\") (param {from}) (result {to}) local.get 0 {prefix}.{op})\n"
        );
    }
    let mut d = diff_all_exports(&(m + ")"), 100);
    // Spot checks of the trap kinds (the interpreter's, by construction).
    let nan = f32::NAN.to_bits() as u64;
    assert_eq!(
        d.call("f16", &[nan]),
        Outcome::Trap(TrapCode::BadConversionToInteger)
    );
    assert_eq!(
        d.call("f16", &[2147483648.0f32.to_bits() as u64]),
        Outcome::Trap(TrapCode::IntegerOverflow)
    );
    assert_eq!(
        d.call("f17", &[(-1.0f32).to_bits() as u64]),
        Outcome::Trap(TrapCode::IntegerOverflow)
    );
    assert_eq!(
        d.call("f17", &[(-0.9f32).to_bits() as u64]),
        Outcome::Values(vec![0])
    );
}

/// Operators whose right operand is a constant, and fully constant ones:
/// Cranelift folds and strength-reduces these (a constant zero divisor
/// must still trap, `MIN / -1` must not be folded into a wrong value).
#[test]
fn constant_operands_agree() {
    let consts: [i64; 9] = [0, 1, -1, 2, 7, 31, 32, 33, i32::MIN as i64];
    let mut m = String::from("(module\n");
    let mut n = 0;
    for ty in ["i32", "i64"] {
        for op in I32_BIN {
            for c in consts {
                let c = if ty == "i64" && c == i32::MIN as i64 {
                    i64::MIN
                } else {
                    c
                };
                let rty = if is_cmp(op) { "i32" } else { ty };
                m += &format!("(func (export \"c{n}\") (param {ty}) (result {rty}) local.get 0 {ty}.const {c} {ty}.{op})\n");
                m += &format!("(func (export \"k{n}\") (result {rty}) {ty}.const {c} {ty}.const -1 {ty}.{op})\n");
                m += &format!("(func (export \"l{n}\") (param {ty}) (result {rty}) {ty}.const {c} local.get 0 {ty}.{op})\n");
                n += 1;
            }
        }
    }
    diff_all_exports(&(m + ")"), 20);
}

#[test]
fn memory_accesses_trap_exactly_at_the_boundary() {
    let wat = r#"(module (memory 1 3)
      (func (export "load32") (param i32) (result i32) local.get 0 i32.load)
      (func (export "load32_off") (param i32) (result i32) local.get 0 i32.load offset=65532)
      (func (export "load32_maxoff") (param i32) (result i32) local.get 0 i32.load offset=0xffffffff)
      (func (export "load8s") (param i32) (result i32) local.get 0 i32.load8_s offset=1)
      (func (export "load16u") (param i32) (result i64) local.get 0 i64.load16_u offset=2)
      (func (export "load32s") (param i32) (result i64) local.get 0 i64.load32_s)
      (func (export "loadf64") (param i32) (result f64) local.get 0 f64.load offset=3)
      (func (export "store64") (param i32 i64) local.get 0 local.get 1 i64.store offset=1)
      (func (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8)
      (func (export "store16") (param i32 i64) local.get 0 local.get 1 i64.store16 offset=7)
      (func (export "storef32") (param i32 f32) local.get 0 local.get 1 f32.store)
      (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
      (func (export "size") (result i32) memory.size)
      ;; A store, then a trap: the store stays.
      (func (export "store_then_trap") (param i32)
        i32.const 8 i32.const 0x01020304 i32.store
        local.get 0 i32.const 0 i32.store)
      (data (i32.const 0) "\01\02\03\04\05\06\07\08\f0\f1\f2\f3\f4\f5\f6\f7\f8\f9"))"#;
    let mut d = Diff::new(wat);
    let addrs = [
        0u64,
        1,
        7,
        65532,
        65533,
        65535,
        65536,
        65537,
        0x7fff_ffff,
        0xffff_fffc,
        0xffff_ffff,
    ];
    for name in [
        "load32",
        "load32_off",
        "load32_maxoff",
        "load8s",
        "load16u",
        "load32s",
        "loadf64",
    ] {
        for &a in &addrs {
            d.call(name, &[a]);
        }
    }
    assert_eq!(d.call("load32", &[65532]), Outcome::Values(vec![0]));
    assert_eq!(
        d.call("load32", &[65533]),
        Outcome::Trap(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        d.call("load32_off", &[1]),
        Outcome::Trap(TrapCode::MemoryOutOfBounds)
    );
    for &a in &addrs {
        d.call("store64", &[a, 0x1122_3344_5566_7788]);
        d.call("store8", &[a, 0xabcd]);
        d.call("store16", &[a, 0xfedc_ba98]);
        d.call("storef32", &[a, 0x7f80_0001]);
    }
    d.call("store_then_trap", &[65536]);
    // Grow, then the new page is addressable, the old boundary no longer traps.
    assert_eq!(d.call("grow", &[1]), Outcome::Values(vec![1]));
    assert_eq!(d.call("size", &[]), Outcome::Values(vec![2]));
    assert_eq!(d.call("load32", &[65536]), Outcome::Values(vec![0]));
    d.call("store64", &[131064 - 1, u64::MAX]);
    assert_eq!(
        d.call("store64", &[131064, 1]),
        Outcome::Trap(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(d.call("grow", &[2]), Outcome::Values(vec![u32::MAX as u64]));
    assert_eq!(d.call("grow", &[1]), Outcome::Values(vec![2]));
    assert_eq!(d.call("grow", &[0]), Outcome::Values(vec![3]));
    assert_eq!(
        d.call("grow", &[0xffff_ffff]),
        Outcome::Values(vec![u32::MAX as u64])
    );
}

#[test]
fn memory_grown_inside_compiled_code_is_seen_by_it() {
    let wat = r#"(module (memory 0)
      (func $grow (param i32) (result i32) local.get 0 memory.grow)
      ;; Loads before and after a grow in the same function, and after a
      ;; callee grew it.
      (func (export "f") (result i32)
        (drop (call $grow (i32.const 1)))
        (i32.store (i32.const 65532) (i32.const 7))
        (drop (memory.grow (i32.const 1)))
        (i32.store (i32.const 131068) (i32.const 9))
        (i32.add (i32.load (i32.const 65532)) (i32.load (i32.const 131068))))
      (func (export "oob_before_grow") (result i32)
        (i32.load (i32.const 0))))"#;
    let mut d = Diff::new(wat);
    assert_eq!(
        d.call("oob_before_grow", &[]),
        Outcome::Trap(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(d.call("f", &[]), Outcome::Values(vec![16]));
}

#[test]
fn control_flow_with_block_parameters_agrees() {
    let wat = r#"(module
      (type $ii (func (param i32) (result i32 i32)))
      (func (export "br_table") (param i32) (result i32)
        (block $d (result i32)
          (block $c (result i32)
            (block $b (result i32)
              (block $a (result i32)
                (i32.const 100) (local.get 0) (br_table $a $b $c $d $a))
              (return (i32.add (i32.const 1))))
            (return (i32.add (i32.const 2))))
          (return (i32.add (i32.const 3))))
        (i32.add (i32.const 4)))
      ;; A loop with parameters and results: sums 1..n.
      (func (export "loop_params") (param i32) (result i32)
        (local.set 0 (i32.and (local.get 0) (i32.const 1023)))
        (i32.const 0) (local.get 0)
        (loop $l (param i32 i32) (result i32)
          (local.set 0)
          (local.get 0) (i32.add)
          (local.get 0) (i32.const 1) (i32.sub) (local.tee 0)
          (br_if $l (i32.gt_s (local.get 0) (i32.const 0)))
          (drop)))
      (func (export "if_params") (param i32 i32) (result i32 i32)
        (local.get 1) (local.get 0)
        (if (type $ii) (param i32) (result i32 i32)
          (then (i32.const 10) (i32.add) (i32.const 1))
          (else (i32.const 20) (i32.mul) (i32.const 2))))
      (func (export "if_no_else") (param i32) (result i32)
        (i32.const 5)
        (if (param i32) (result i32) (local.get 0) (then (i32.const 6) (i32.mul))))
      (func (export "select") (param i32 i64 i64) (result i64)
        (select (local.get 1) (local.get 2) (local.get 0)))
      (func (export "select_f") (param i32 f64 f64) (result f64)
        (select (result f64) (local.get 1) (local.get 2) (local.get 0)))
      (func (export "nested_br") (param i32) (result i32)
        (block $out (result i32)
          (loop $l
            (local.set 0 (i32.add (local.get 0) (i32.const 3)))
            (br_if $out (local.get 0) (i32.gt_u (local.get 0) (i32.const 50)))
            (br $l))
          (unreachable)))
      (func (export "dead_code") (param i32) (result i32)
        (block (result i32)
          (local.get 0)
          (br 0)
          (i32.const 1) (i32.add) (block (loop (br 1))) (unreachable))
        (return)
        (i32.const 99))
      (func (export "unreachable") (param i32) (result i32)
        (if (local.get 0) (then (unreachable)))
        (i32.const 1))
      (func (export "locals") (param i32) (result i64)
        (local i64 f32 f64 i32)
        (i64.add (local.get 1) (i64.extend_i32_u (local.get 4)))
        (i64.add (i64.reinterpret_f64 (local.get 3)))
        (i64.add (i64.extend_i32_u (i32.reinterpret_f32 (local.get 2))))
        (i64.add (i64.extend_i32_s (local.get 0)))))"#;
    let mut d = diff_all_exports(wat, 300);
    for i in 0..6u64 {
        let expect = 100 + [1, 2, 3, 4, 1, 1][i as usize];
        assert_eq!(d.call("br_table", &[i]), Outcome::Values(vec![expect]));
    }
    assert_eq!(d.call("loop_params", &[10]), Outcome::Values(vec![55]));
    assert_eq!(d.call("if_params", &[1, 5]), Outcome::Values(vec![15, 1]));
    assert_eq!(d.call("if_params", &[0, 5]), Outcome::Values(vec![100, 2]));
    assert_eq!(
        d.call("unreachable", &[1]),
        Outcome::Trap(TrapCode::Unreachable)
    );
}

#[test]
fn calls_recursion_and_many_values_agree() {
    let wat = r#"(module
      (func $fac (export "fac") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.const 1))
          (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
      (func $even (export "even") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
          (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
      (func $odd (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (call $even (i32.sub (local.get 0) (i32.const 1))))))
      (func $three (param i32 i64 f32) (result f32 i64 i32) (local.get 2) (local.get 1) (local.get 0))
      (func (export "swap") (param i32 i64 f32) (result f32 i64 i32)
        (call $three (local.get 0) (local.get 1) (local.get 2)))
      (func $many (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64)
        (result f64 i64 i32 f32 f64 i64 i32 f32 f64 i64 i32 f32)
        (local.get 19) (local.get 17) (local.get 16) (local.get 14) (local.get 11) (local.get 9)
        (local.get 8) (local.get 6) (local.get 3) (local.get 1) (local.get 0) (local.get 2))
      (func (export "many") (param i32 i64 f32 f64) (result f64 i64 i32 f32 f64 i64 i32 f32 f64 i64 i32 f32)
        (call $many (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                    (i32.add (local.get 0) (i32.const 1)) (i64.const 5) (f32.const 1.5) (f64.const 2.5)
                    (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                    (i32.const 7) (i64.const 8) (f32.const 9) (f64.const 10)
                    (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
      ;; A trap deep in a call chain unwinds every frame.
      (func $div (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
      (func (export "div_chain") (param i32 i32) (result i32)
        (i32.add (i32.const 1) (call $div (local.get 0) (local.get 1)))))"#;
    let mut d = diff_all_exports(wat, 200);
    assert_eq!(
        d.call("fac", &[20]),
        Outcome::Values(vec![2432902008176640000])
    );
    assert_eq!(d.call("even", &[1001]), Outcome::Values(vec![0]));
    assert_eq!(
        d.call("div_chain", &[7, 0]),
        Outcome::Trap(TrapCode::IntegerDivideByZero)
    );
    assert_eq!(d.call("div_chain", &[7, 2]), Outcome::Values(vec![4]));
}

#[test]
fn deep_recursion_runs_and_unbounded_recursion_traps() {
    with_big_stack(|| {
        let wat = r#"(module
          (func $down (export "down") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
              (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
          (func $forever (export "forever") (param i32) (result i32)
            (i32.add (i32.const 1) (call $forever (local.get 0)))))"#;
        let mut d = Diff::new(wat);
        // Go-shaped depth: 100,000 nested calls complete.
        assert_eq!(d.call("down", &[100_000]), Outcome::Values(vec![100_000]));
        assert_eq!(
            d.call("forever", &[0]),
            Outcome::Trap(TrapCode::StackExhausted)
        );
        // The depth counter is restored after the trap: a normal call works.
        assert_eq!(d.call("down", &[10]), Outcome::Values(vec![10]));
    });
}

#[test]
fn the_depth_limit_and_the_stack_limit_both_trap_cleanly() {
    use crate::jit::JitCtx;
    let wat = r#"(module (func $f (export "f") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))"#;
    let d = Diff::new(wat);
    let entry = d.batch.entry(0).unwrap();
    let table = super::code_table(&d.batch, 1);
    let run = |depth: u32, budget: usize, n: u64| {
        let mut ctx = JitCtx::new(depth);
        ctx.funcs = table.as_ptr();
        let mut slots = [n];
        // SAFETY: the function touches no memory or globals; the budget is
        // below what the test thread has left (2 MiB default stacks).
        unsafe { entry.call(&mut ctx, &mut slots, budget) }.map(|()| (slots[0], ctx.depth_left))
    };
    assert_eq!(run(11, 1 << 20, 10), Ok((10, 11)));
    assert_eq!(run(10, 1 << 20, 10), Err(TrapCode::StackExhausted));
    // A budget smaller than the red zone leaves no room at all.
    assert_eq!(run(100, 1024, 0), Err(TrapCode::StackExhausted));
    // A tight budget stops deep recursion by the stack pointer check.
    assert_eq!(
        run(u32::MAX, super::super::RED_ZONE + 64 * 1024, 1 << 20),
        Err(TrapCode::StackExhausted)
    );
}

#[test]
fn globals_agree() {
    let wat = r#"(module
      (global $a (mut i32) (i32.const -5))
      (global $b (mut i64) (i64.const 0x123456789))
      (global $c (mut f32) (f32.const 1.5))
      (global $d (mut f64) (f64.const -2.5))
      (global $e i32 (i32.const 42))
      (func (export "bump") (param i32 i64 f32 f64) (result i32)
        (global.set $a (i32.add (global.get $a) (local.get 0)))
        (global.set $b (i64.mul (global.get $b) (local.get 1)))
        (global.set $c (f32.add (global.get $c) (local.get 2)))
        (global.set $d (f64.min (global.get $d) (local.get 3)))
        (i32.add (global.get $a) (global.get $e))))"#;
    diff_all_exports(wat, 200);
}

#[test]
fn only_defined_functions_are_compiled_and_calls_need_no_compiled_callees() {
    let wat = r#"(module (import "m" "host" (func $host)) (table 1 funcref) (memory 1)
      (type $t (func (result i32)))
      (func $ind (export "ind") (result i32) (call_indirect (type $t) (i32.const 0)))
      (func $caller (export "caller") (result i32) (call $ind))
      (func $fill (export "fill") (memory.fill (i32.const 0) (i32.const 0) (i32.const 1)))
      (func $imp (export "imp") (call $host))
      (func $ok (export "ok") (result i32) (i32.const 1)))"#;
    let engine = crate::Engine::new(&crate::Config::default());
    let module = crate::Module::new(&engine, wat).unwrap();
    let compiler = Compiler::new(JitOptions::default()).unwrap();
    // $caller without $ind in the batch: it calls through the code table.
    let batch = compiler
        .compile(&module.inner, &[0, 2, 3, 4, 5, 99])
        .unwrap();
    let why = |f: u32| batch.unsupported.get(&f).cloned().unwrap_or_default();
    assert!(why(0).contains("not a defined function"), "{}", why(0));
    assert!(why(99).contains("not a defined function"));
    assert_eq!(batch.unsupported.len(), 2, "{:?}", batch.unsupported);
    assert_eq!(batch.funcs().collect::<Vec<_>>(), [2, 3, 4, 5]);
    assert_eq!(batch.stats.compiled, 4);
    let addrs: Vec<usize> = batch.funcs().map(|f| batch.code_addr(f).unwrap()).collect();
    assert!(
        addrs.windows(2).all(|w| w[0] < w[1]),
        "distinct code: {addrs:x?}"
    );
    assert_eq!(batch.code_addr(1), None);
}

/// Without SSE4.1, Cranelift calls libcalls for rounding: they must follow
/// the interpreter (NaNs quieted), and their relocations must link.
#[cfg(target_arch = "x86_64")]
#[test]
fn rounding_libcalls_agree_without_sse41() {
    let mut m = String::from("(module\n");
    for ty in ["f32", "f64"] {
        for op in ["ceil", "floor", "trunc", "nearest"] {
            m += &format!(
                "(func (export \"{ty}.{op}\") (param {ty}) (result {ty}) local.get 0 {ty}.{op})\n"
            );
        }
    }
    let m = m + ")";
    let compiler = Compiler::with_isa_flags(
        JitOptions {
            optimize: true,
            verify: true,
        },
        &[("has_sse41", "false"), ("has_avx", "false")],
    );
    let Ok(compiler) = compiler else {
        return; // the flags are not settable on this Cranelift build
    };
    let mut d = Diff::new(&m);
    d.batch = compiler
        .compile(&d.module.inner, &(0..8).collect::<Vec<_>>())
        .unwrap();
    assert!(d.batch.unsupported.is_empty(), "{:?}", d.batch.unsupported);
    for (i, ty) in [(0, crate::ValType::F32), (4, crate::ValType::F64)] {
        for f in i..i + 4 {
            for a in super::interesting(ty) {
                d.call_index(f, &[a]);
            }
        }
    }
}

#[test]
fn unoptimised_code_agrees_too() {
    let wat = binary_module("i32", I32_BIN);
    let mut d = Diff::with(
        wat.as_bytes(),
        super::empty_linker,
        JitOptions {
            optimize: false,
            verify: true,
        },
    )
    .unwrap();
    for f in 0..I32_BIN.len() as u32 {
        for a in super::arg_vectors(&[crate::ValType::I32; 2], 100) {
            d.call_index(f, &a);
        }
    }
}
