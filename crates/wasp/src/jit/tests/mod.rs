//! Differential tests of the compiling tier against the interpreter.
//!
//! A module is instantiated twice, in two stores: the interpreter runs a call
//! in one (through the public API, `Func::call`), compiled code runs it in
//! the other (through the runtime, `jit::invoke_with`, on that store). Results
//! (bit patterns), trap codes, memory bytes and global values must be equal
//! after every call. `cases.rs` holds hand-written edge cases, `spec.rs`
//! replays the spec scripts' invocations, `speed.rs` measures compilation.

mod cases;
mod runtime;
mod spec;
mod speed;

use super::{Batch, Compiler, JitOptions};
use crate::error::TrapCode;
use crate::types::ValType;
use crate::{Config, Engine, Func, Instance, Linker, Module, Store, Val};
use std::sync::atomic::AtomicUsize;

/// Native stack of the threads `with_big_stack` starts.
const STACK: usize = 256 << 20;

/// Runs `f` on a thread with a `STACK`-byte stack (deep recursion).
pub(super) fn with_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(s, f)
            .expect("spawn a test thread")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// What one call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Raw result bits (32-bit values zero-extended).
    Values(Vec<u64>),
    Trap(TrapCode),
    /// A non-trap error (the interpreter only).
    Error(String),
}

/// The outcome of a call's result.
fn outcome(r: Result<Vec<u64>, crate::Error>) -> Outcome {
    match r {
        Ok(v) => Outcome::Values(v),
        Err(e) => match e.trap_code() {
            Some(code) => Outcome::Trap(code),
            None => Outcome::Error(e.to_string()),
        },
    }
}

/// The raw bits of a value (a reference: its store index + 1, equal in both
/// stores, which create their entities in the same order).
pub(super) fn raw(v: Val) -> u64 {
    v.to_raw()
}

/// The value of raw bits of type `ty`.
pub(super) fn val(bits: u64, ty: ValType) -> Val {
    match ty {
        ValType::I32 => Val::I32(bits as u32 as i32),
        ValType::I64 => Val::I64(bits as i64),
        ValType::F32 => Val::F32(bits as u32),
        ValType::F64 => Val::F64(bits),
        _ => panic!("reference type in a numeric test"),
    }
}

/// One side of a differential run: a store and its instance.
pub(super) struct Side {
    pub store: Store<()>,
    pub instance: Instance,
}

impl Side {
    pub fn new(
        linker: impl Fn(&mut Store<()>) -> Linker<()>,
        engine: &Engine,
        module: &Module,
    ) -> Result<Side, String> {
        let mut store = Store::new(engine, ());
        let linker = linker(&mut store);
        let instance = linker
            .instantiate(&mut store, module)
            .map_err(|e| e.to_string())?;
        Ok(Side { store, instance })
    }

    /// Runs `func` in the interpreter.
    pub fn interpret(&mut self, func: Func, args: &[u64]) -> Outcome {
        outcome(self.interpret_raw(func, args))
    }

    /// Runs `func` in the interpreter, with the error as it is.
    pub fn interpret_raw(&mut self, func: Func, args: &[u64]) -> Result<Vec<u64>, crate::Error> {
        let ty = func.ty(&self.store);
        let params: Vec<Val> = args
            .iter()
            .zip(ty.params())
            .map(|(&a, &t)| val(a, t))
            .collect();
        let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
        func.call(&mut self.store, &params, &mut results)?;
        Ok(results.into_iter().map(raw).collect())
    }

    /// Runs compiled function `index` of the instance's module through
    /// the runtime (`jit::invoke_with`), on the interpreter's slots, with
    /// `batch`'s code as the module's code table.
    pub fn run_compiled(
        &mut self,
        batch: &Batch,
        index: u32,
        args: &[u64],
        results: usize,
    ) -> Outcome {
        outcome(self.run_compiled_raw(batch, index, args, results))
    }

    /// `run_compiled` with the error as it is.
    pub fn run_compiled_raw(
        &mut self,
        batch: &Batch,
        index: u32,
        args: &[u64],
        results: usize,
    ) -> Result<Vec<u64>, crate::Error> {
        let table = code_table(batch, self.instance.module_funcs(&self.store));
        let inner = &mut self.store.inner;
        let instance = self.instance.idx(inner) as u32;
        let base = inner.stack.top;
        let n = args.len().max(results);
        if inner.stack.slots.len() < base + n {
            inner.stack.grow(base + n).expect("room for the arguments");
        }
        inner.stack.slots[base..base + args.len()].copy_from_slice(args);
        inner.stack.top = base + n;
        let r = super::invoke_with(&mut self.store, instance, index, base, table.as_ptr());
        let inner = &mut self.store.inner;
        inner.stack.top = base;
        r?;
        Ok(inner.stack.slots[base..base + results].to_vec())
    }

    /// The instance's memory bytes and global values (raw, typed width).
    pub fn state(&self) -> (Vec<u8>, Vec<u64>) {
        let inner = &self.store.inner;
        let inst = &inner.instances[self.instance.idx(inner)];
        let memory = inst
            .memories
            .first()
            .map(|&m| inner.memories[m as usize].data.to_vec())
            .unwrap_or_default();
        let globals = inst
            .globals
            .iter()
            .map(|&g| {
                let g = &inner.globals[g as usize];
                match g.ty.content {
                    ValType::I32 | ValType::F32 => g.value & 0xffff_ffff,
                    _ => g.value,
                }
            })
            .collect();
        (memory, globals)
    }
}

/// A code table (`TierState::code`) with `batch`'s functions installed.
pub(super) fn code_table(batch: &Batch, funcs: usize) -> Vec<AtomicUsize> {
    (0..funcs as u32)
        .map(|f| AtomicUsize::new(batch.code_addr(f).unwrap_or(0)))
        .collect()
}

impl Instance {
    /// The number of functions of the instance's module.
    fn module_funcs(&self, store: &Store<()>) -> usize {
        let inner = &store.inner;
        inner.instances[self.idx(inner)]
            .module
            .inner
            .info
            .funcs
            .len()
    }
}

/// A module instantiated for both tiers, with its compiled batch.
pub(super) struct Diff {
    pub module: Module,
    pub interp: Side,
    pub jit: Side,
    pub batch: Batch,
}

/// An engine that never tiers up by itself: the reference side stays
/// interpreted, and the compiled side runs exactly the batch under test
/// (its call-outs into uncompiled functions are interpreted).
pub(super) fn interp_engine() -> Engine {
    let mut config = Config::default();
    config.tier(crate::Tier::Interp);
    Engine::new(&config)
}

/// A linker with nothing defined.
pub(super) fn empty_linker(store: &mut Store<()>) -> Linker<()> {
    Linker::new(store.engine())
}

impl Diff {
    /// Compiles every defined function of `wat` and instantiates it twice.
    pub fn new(wat: &str) -> Diff {
        Self::with(
            wat.as_bytes(),
            empty_linker,
            JitOptions {
                optimize: true,
                verify: true,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn with(
        bytes: &[u8],
        linker: impl Fn(&mut Store<()>) -> Linker<()>,
        options: JitOptions,
    ) -> Result<Diff, String> {
        let engine = interp_engine();
        let module = Module::new(&engine, bytes).map_err(|e| e.to_string())?;
        let info = &module.inner.info;
        let funcs: Vec<u32> = (info.num_imported_funcs..info.funcs.len() as u32).collect();
        let compiler = Compiler::new(options)?;
        let batch = compiler.compile(&module.inner, &funcs)?;
        let interp = Side::new(&linker, &engine, &module)?;
        let jit = Side::new(&linker, &engine, &module)?;
        Ok(Diff {
            module,
            interp,
            jit,
            batch,
        })
    }

    /// The function index of export `name`.
    pub fn export(&self, name: &str) -> u32 {
        self.module
            .exports_indexed()
            .find_map(|(e, idx)| match idx {
                crate::EntityIndex::Func(f) if e.name() == name => Some(f),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no exported function {name}"))
    }

    /// Calls function `index` on both tiers (compiled if the batch has it,
    /// else interpreted on both) and checks that they agree; returns the
    /// outcome.
    pub fn call_index(&mut self, index: u32, args: &[u64]) -> Outcome {
        let func = self.func_handle(index);
        let expected = self.interp.interpret(func.0, args);
        let got = if self.batch.contains(index) {
            self.jit.run_compiled(&self.batch, index, args, func.1)
        } else {
            self.jit.interpret(func.2, args)
        };
        assert_eq!(
            got, expected,
            "function {index} with arguments {args:x?}: compiled vs interpreted"
        );
        let (m1, g1) = self.interp.state();
        let (m2, g2) = self.jit.state();
        assert_eq!(g2, g1, "globals after function {index}({args:x?})");
        if m1 != m2 {
            let at = m1.iter().zip(&m2).position(|(a, b)| a != b);
            panic!(
                "memory after function {index}({args:x?}) differs: sizes {} vs {}, first difference at {at:?}",
                m1.len(),
                m2.len()
            );
        }
        got
    }

    /// Calls export `name` on both tiers and checks that they agree.
    pub fn call(&mut self, name: &str, args: &[u64]) -> Outcome {
        let index = self.export(name);
        assert!(
            self.batch.contains(index),
            "{name} is not compiled: {:?}",
            self.batch.unsupported.get(&index)
        );
        self.call_index(index, args)
    }

    /// Handles for function `index` in each store, and its result count.
    pub fn func_handle(&self, index: u32) -> (Func, usize, Func) {
        let get = |side: &Side| {
            let inner = &side.store.inner;
            let store_index = inner.instances[side.instance.idx(inner)].funcs[index as usize];
            Func(crate::store::Stored::new(inner.id, store_index))
        };
        let results = self.module.inner.info.func_type(index).results().len();
        (get(&self.interp), results, get(&self.jit))
    }
}

/// Values worth trying for a parameter of type `ty`.
pub(super) fn interesting(ty: ValType) -> Vec<u64> {
    let f32s = [
        0.0f32,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        3.0e9,
        -3.0e9,
        2147483648.0,
        -2147483904.0,
        4294967296.0,
        1e20,
        f32::MAX,
        f32::MIN_POSITIVE,
        1e-45,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    let f64s = [
        0.0f64,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        3.0e9,
        -2147483649.0,
        2147483648.0,
        -2147483648.9,
        4294967295.9,
        9223372036854775808.0,
        -9223372036854777856.0,
        1e300,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    match ty {
        ValType::I32 => [
            0u32,
            1,
            2,
            7,
            31,
            32,
            33,
            63,
            64,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0xfffe,
            0x1_0000,
            0xdead_beef,
        ]
        .iter()
        .map(|&x| x as u64)
        .collect(),
        ValType::I64 => [
            0u64,
            1,
            2,
            31,
            32,
            63,
            64,
            65,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            i64::MAX as u64,
            i64::MIN as u64,
            u64::MAX,
            0xdead_beef_cafe_f00d,
        ]
        .to_vec(),
        ValType::F32 => f32s
            .iter()
            .map(|x| x.to_bits() as u64)
            .chain([
                0x7fc0_0000,
                0xffc0_0000,
                0x7f80_0001,
                0xff80_1234,
                0x7fa0_0005,
            ])
            .collect(),
        ValType::F64 => f64s
            .iter()
            .map(|x| x.to_bits())
            .chain([
                0x7ff8_0000_0000_0000,
                0xfff8_0000_0000_0000,
                0x7ff0_0000_0000_0001,
                0xfff4_0000_0000_1234,
            ])
            .collect(),
        _ => vec![0],
    }
}

/// A small deterministic generator (xorshift) for argument vectors.
pub(super) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Argument vectors for a function with `params`: every combination of
/// interesting values for up to two parameters, a fixed-seed sample beyond.
pub(super) fn arg_vectors(params: &[ValType], max: usize) -> Vec<Vec<u64>> {
    let pools: Vec<Vec<u64>> = params.iter().map(|&t| interesting(t)).collect();
    let total: usize = pools.iter().map(Vec::len).product();
    let mut out = Vec::new();
    if total <= max {
        let mut idx = vec![0usize; pools.len()];
        loop {
            out.push(idx.iter().zip(&pools).map(|(&i, p)| p[i]).collect());
            let mut k = 0;
            loop {
                if k == idx.len() {
                    return out;
                }
                idx[k] += 1;
                if idx[k] < pools[k].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..max {
        out.push(
            pools
                .iter()
                .map(|p| p[rng.next() as usize % p.len()])
                .collect(),
        );
    }
    out
}

/// Calls every exported function of `wat` with `arg_vectors` of its type,
/// on both tiers (on a big stack: arguments may mean deep recursion); every
/// export must compile.
pub(super) fn diff_all_exports(wat: &str, max_args: usize) -> Diff {
    with_big_stack(|| diff_exports_here(wat, max_args))
}

fn diff_exports_here(wat: &str, max_args: usize) -> Diff {
    let mut d = Diff::new(wat);
    let exports: Vec<(String, u32)> = d
        .module
        .exports_indexed()
        .filter_map(|(e, idx)| match idx {
            crate::EntityIndex::Func(f) => Some((e.name().to_string(), f)),
            _ => None,
        })
        .collect();
    for (name, f) in exports {
        let params = d.module.inner.info.func_type(f).params().to_vec();
        for args in arg_vectors(&params, max_args) {
            d.call(&name, &args);
        }
    }
    d
}
