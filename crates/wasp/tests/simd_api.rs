//! `v128` values through the embedding API and the translator's value
//! plumbing: `Val::V128` in `Func::call`, host functions (`Func::new`),
//! globals, and vectors mixed with scalars in parameters, locals, block
//! results, branches, calls, `select` and `drop` (a v128 takes two slots).

use wasp::{
    Engine, Func, FuncType, Global, GlobalType, Linker, Module, Mutability, Store, Val, ValType,
};

const X: u128 = 0x0f0e0d0c_0b0a0908_07060504_03020100;
const Y: u128 = 0xfffefdfc_fbfaf9f8_f7f6f5f4_f3f2f1f0;

fn setup(wat: &str) -> (Store<()>, wasp::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let swap = Func::new(
        &mut store,
        FuncType::new(
            [ValType::I32, ValType::V128, ValType::V128],
            [ValType::V128, ValType::I32, ValType::V128],
        ),
        |_, args, out| {
            out[0] = args[2];
            out[1] = Val::I32(args[0].i32().unwrap() + 1);
            out[2] = args[1];
            Ok(())
        },
    );
    linker.define("host", "swap", swap).unwrap();
    let g = Global::new(
        &mut store,
        GlobalType::new(ValType::V128, Mutability::Var),
        Val::V128(X),
    )
    .unwrap();
    linker.define("host", "g", g).unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    (store, inst)
}

fn call(
    store: &mut Store<()>,
    inst: &wasp::Instance,
    name: &str,
    args: &[Val],
    n: usize,
) -> Vec<Val> {
    let f = inst.get_func(&*store, name).unwrap();
    let mut out = vec![Val::I32(0); n];
    f.call(&mut *store, args, &mut out).unwrap();
    out
}

const WAT: &str = r#"(module
  (import "host" "swap" (func $swap (param i32 v128 v128) (result v128 i32 v128)))
  (import "host" "g" (global $g (mut v128)))
  (global $h (mut v128) (v128.const i64x2 7 8))
  (func $mix (export "mix") (param $a i32) (param $v v128) (param $b i64) (param $w v128)
        (result i64 v128 i32)
    (local $t v128) (local $i i32)
    (local.set $t (i8x16.add (local.get $v) (local.get $w)))
    (local.set $i (i32.add (local.get $a) (i32.wrap_i64 (local.get $b))))
    (i64.extend_i32_u (local.get $i))
    (local.get $t)
    (local.get $a))
  (func (export "blocks") (param $c i32) (param $v v128) (param $w v128) (result v128)
    (block $out (result v128)
      (local.get $v)
      (br_if $out (local.get $c))
      (drop)
      (if (result v128) (i32.eq (local.get $c) (i32.const 0))
        (then (local.get $w))
        (else (v128.const i64x2 1 2)))))
  (func (export "sel") (param $c i32) (param $v v128) (param $w v128) (result v128 i32)
    (select (local.get $v) (local.get $w) (local.get $c))
    (select (i32.const 10) (i32.const 20) (local.get $c)))
  (func (export "calls") (param $v v128) (param $w v128) (result v128 i32 v128 i64)
    (call $swap (i32.const 41) (local.get $v) (local.get $w))
    (call $mix (i32.const 1) (v128.const i64x2 0 0) (i64.const 2) (v128.const i64x2 0 0))
    (drop) (drop))
  (func (export "globals") (param $v v128) (result v128 v128)
    (global.get $g)
    (global.set $g (local.get $v))
    (global.get $h)
    (global.set $h (i64x2.add (global.get $h) (global.get $h))))
)"#;

#[test]
fn v128_params_locals_and_results_mix_with_scalars() {
    let (mut store, inst) = setup(WAT);
    let args = [Val::I32(3), Val::V128(X), Val::I64(4), Val::V128(Y)];
    let out = call(&mut store, &inst, "mix", &args, 3);
    let sum = u128::from_le_bytes(core::array::from_fn(|i| {
        X.to_le_bytes()[i].wrapping_add(Y.to_le_bytes()[i])
    }));
    assert_eq!(out, [Val::I64(7), Val::V128(sum), Val::I32(3)]);
}

#[test]
fn v128_through_blocks_branches_and_select() {
    let (mut store, inst) = setup(WAT);
    let b = |s: &mut Store<()>, c| {
        call(
            s,
            &inst,
            "blocks",
            &[Val::I32(c), Val::V128(X), Val::V128(Y)],
            1,
        )
    };
    assert_eq!(b(&mut store, 1), [Val::V128(X)]);
    assert_eq!(b(&mut store, 0), [Val::V128(Y)]);
    assert_eq!(b(&mut store, -0), [Val::V128(Y)]);
    let s = |s: &mut Store<()>, c| {
        call(
            s,
            &inst,
            "sel",
            &[Val::I32(c), Val::V128(X), Val::V128(Y)],
            2,
        )
    };
    assert_eq!(s(&mut store, 1), [Val::V128(X), Val::I32(10)]);
    assert_eq!(s(&mut store, 0), [Val::V128(Y), Val::I32(20)]);
}

#[test]
fn v128_through_host_and_wasm_calls() {
    let (mut store, inst) = setup(WAT);
    let out = call(&mut store, &inst, "calls", &[Val::V128(X), Val::V128(Y)], 4);
    assert_eq!(out, [Val::V128(Y), Val::I32(42), Val::V128(X), Val::I64(3)]);
}

#[test]
fn v128_globals_from_wasm_and_the_api() {
    let (mut store, inst) = setup(WAT);
    let out = call(&mut store, &inst, "globals", &[Val::V128(Y)], 2);
    assert_eq!(out, [Val::V128(X), Val::V128(7 | 8 << 64)]);
    let out = call(&mut store, &inst, "globals", &[Val::V128(1)], 2);
    assert_eq!(out, [Val::V128(Y), Val::V128(14 | 16 << 64)]);
    let g = inst.get_global(&store, "nothing");
    assert!(g.is_none());
}

/// A SIMD load or store naming another memory reads and writes that
/// memory, not memory 0 (it read and wrote memory 0 once, then was refused
/// when its function was translated; `simd_memories.rs` covers every
/// operator).
#[test]
fn simd_access_to_another_memory_uses_that_memory() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (memory $a (export "a") 1)
            (memory $b (export "b") 1)
            (data (memory $b) (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
            (func (export "ld1") (result i32)
              (i8x16.extract_lane_u 3 (v128.load $b (i32.const 0))))
            (func (export "st1")
              (v128.store $b (i32.const 16) (v128.const i32x4 7 7 7 7)))
            (func (export "ld0") (result i32)
              (v128.store $a (i32.const 32) (v128.const i32x4 9 9 9 9))
              (i8x16.extract_lane_u 4 (v128.load $a (i32.const 32)))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let ld1 = inst.get_typed_func::<(), i32>(&store, "ld1").unwrap();
    assert_eq!(ld1.call(&mut store, ()).unwrap(), 4);
    let st1 = inst.get_typed_func::<(), ()>(&store, "st1").unwrap();
    st1.call(&mut store, ()).unwrap();
    let mem0 = inst.get_memory(&store, "a").unwrap();
    assert!(
        mem0.data(&store)[..32].iter().all(|&b| b == 0),
        "memory 0 untouched"
    );
    let mem1 = inst.get_memory(&store, "b").unwrap();
    assert_eq!(mem1.data(&store)[16..32], [7, 0, 0, 0].repeat(4)[..]);
    let ld0 = inst.get_typed_func::<(), i32>(&store, "ld0").unwrap();
    assert_eq!(ld0.call(&mut store, ()).unwrap(), 9);
}
