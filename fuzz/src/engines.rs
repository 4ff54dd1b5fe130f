//! wasp, wasmtime and wasmi behind one small interface, so targets can run
//! the same module on all three and compare what they see: call outcomes
//! (values as bit patterns, trap kinds) and the exported state (memory bytes,
//! global values, table entries' null-ness).

use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A value type the harness can pass and compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// i32
    I32,
    /// i64
    I64,
    /// f32
    F32,
    /// f64
    F64,
    /// funcref
    FuncRef,
    /// externref
    ExternRef,
    /// v128
    V128,
    /// A nullable reference of the `any` hierarchy (GC).
    AnyRef,
}

/// A value, engine-neutral: numbers as bit patterns, references as "is null".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V {
    /// i32 bits
    I32(u32),
    /// i64 bits
    I64(u64),
    /// f32 bits
    F32(u32),
    /// f64 bits
    F64(u64),
    /// funcref; `true` if null
    FuncRef(bool),
    /// externref; `true` if null
    ExternRef(bool),
    /// v128 bits (lane 0 in the low bits)
    V128(u128),
    /// an `any` reference, as far as every engine can tell it apart
    AnyRef(AnyV),
}

/// What an `anyref` value is: null, an `i31` and its payload, or an object
/// of some kind (objects have no identity the harness could compare).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyV {
    /// null
    Null,
    /// `i31` with this (zero-extended) payload
    I31(u32),
    /// a struct
    Struct,
    /// an array
    Array,
    /// a host value seen from `any`
    Host,
}

impl fmt::Display for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            V::I32(x) => write!(f, "i32:{x:#x}"),
            V::I64(x) => write!(f, "i64:{x:#x}"),
            V::F32(x) => write!(f, "f32:{x:#010x}({:e})", f32::from_bits(x)),
            V::F64(x) => write!(f, "f64:{x:#018x}({:e})", f64::from_bits(x)),
            V::FuncRef(n) => write!(f, "funcref:{}", if n { "null" } else { "non-null" }),
            V::ExternRef(n) => write!(f, "externref:{}", if n { "null" } else { "non-null" }),
            V::V128(x) => write!(f, "v128:{x:#034x}"),
            V::AnyRef(a) => write!(f, "anyref:{a:?}"),
        }
    }
}

/// Why a call stopped early, mapped onto one vocabulary for all engines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// `unreachable`
    Unreachable,
    /// memory access out of bounds
    MemoryOutOfBounds,
    /// table access out of bounds (including `call_indirect` past the end)
    TableOutOfBounds,
    /// `call_indirect` to a null entry
    IndirectCallToNull,
    /// `call_indirect` signature mismatch
    BadSignature,
    /// integer division by zero
    DivideByZero,
    /// integer overflow
    IntegerOverflow,
    /// float-to-int conversion of NaN
    BadConversion,
    /// null reference
    NullReference,
    /// the engine's own call-stack limit
    StackOverflow,
    /// stopped by the harness's watchdog
    Interrupted,
    /// wasmtime's fuel ran out (the harness's safety net)
    OutOfFuel,
    /// array access out of bounds (GC)
    ArrayOutOfBounds,
    /// `ref.cast` failed (GC)
    CastFailure,
    /// an allocation beyond the engine's own GC heap limit
    GcOom,
    /// any other trap, by its engine's name
    Other(String),
}

/// What one call (or instantiation) did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Returned these values.
    Values(Vec<V>),
    /// Trapped.
    Trap(TrapKind),
    /// Failed without a trap (compile error, unsupported feature, ...).
    Error(String),
}

/// The exported state of an instance after a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Every exported memory: name and bytes.
    pub memories: Vec<(String, Vec<u8>)>,
    /// Every exported global: name and value.
    pub globals: Vec<(String, V)>,
    /// Every exported table: name and, per entry, whether it is null.
    pub tables: Vec<(String, Vec<bool>)>,
}

impl State {
    /// Sorts every list by export name (engines list exports in different orders).
    fn sorted(mut self) -> State {
        self.memories.sort_by(|a, b| a.0.cmp(&b.0));
        self.globals.sort_by(|a, b| a.0.cmp(&b.0));
        self.tables.sort_by(|a, b| a.0.cmp(&b.0));
        self
    }
}

/// Limits shared by all engines of one run.
#[derive(Clone, Debug)]
pub struct Limits {
    /// wasp's `Config::max_call_depth` and wasmi's recursion depth.
    pub max_call_depth: usize,
    /// wasmtime fuel per call (`None`: fuel off).
    pub wasmtime_fuel: Option<u64>,
    /// wasp's per-call watchdog deadline.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_call_depth: 10_000,
            wasmtime_fuel: None,
            deadline: Duration::from_secs(10),
        }
    }
}

/// One instantiated module on one engine.
pub trait Instance {
    /// The engine's name, for reports.
    fn engine(&self) -> &'static str;
    /// Calls the exported function `name` with `args`.
    fn call(&mut self, name: &str, args: &[V]) -> Outcome;
    /// Reads every exported memory, global and table.
    fn state(&mut self) -> State;
    /// Sets the exported mutable global `name`.
    fn set_global(&mut self, name: &str, v: V);
}

/// An engine that can instantiate modules with no imports.
pub type Instantiate = fn(&[u8], &Limits) -> Result<Box<dyn Instance>, Outcome>;

/// What the differential targets generate and compare: WebAssembly 2.0
/// (with SIMD) plus tail calls, extended constant expressions and GC (with
/// the typed function references it builds on), which wasp and wasmtime
/// run the same way (wasmi sits out GC, SIMD and tail calls). Not relaxed
/// SIMD (its results are implementation-defined), nor exceptions or what
/// the engines run with different limits (memory64, multi-memory).
pub fn diff_features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    F::WASM2 | F::TAIL_CALL | F::EXTENDED_CONST | F::FUNCTION_REFERENCES | F::GC
}

/// What wasp's default `Config` accepts (`crates/wasp/src/module/parse.rs`
/// `features()`): the load target's reference, all of it run (GC included).
pub fn wasp_features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    F::WASM2
        | F::RELAXED_SIMD
        | F::MEMORY64
        | F::MULTI_MEMORY
        | F::CUSTOM_PAGE_SIZES
        | F::WIDE_ARITHMETIC
        | F::TAIL_CALL
        | F::FUNCTION_REFERENCES
        | F::EXTENDED_CONST
        | F::GC
        | F::EXCEPTIONS
}

// ---------------------------------------------------------------- watchdog

/// A background thread that interrupts a wasp store whose call runs past its
/// deadline (wasp has no fuel; this bounds a miscompiled infinite loop).
struct Watchdog {
    state: Mutex<Armed>,
    cv: Condvar,
}

#[derive(Default)]
struct Armed {
    generation: u64,
    /// Armed calls (any thread): generation, deadline, store handle.
    targets: Vec<(u64, Instant, wasp::InterruptHandle)>,
}

fn watchdog() -> &'static Arc<Watchdog> {
    static W: std::sync::OnceLock<Arc<Watchdog>> = std::sync::OnceLock::new();
    W.get_or_init(|| {
        let w = Arc::new(Watchdog {
            state: Mutex::new(Armed::default()),
            cv: Condvar::new(),
        });
        let w2 = w.clone();
        std::thread::spawn(move || w2.watch());
        w
    })
}

impl Watchdog {
    fn watch(&self) {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            g.targets.retain(|(_, deadline, handle)| {
                if now >= *deadline {
                    handle.interrupt();
                    false
                } else {
                    true
                }
            });
            g = match g.targets.iter().map(|t| t.1).min() {
                None => self.cv.wait(g).unwrap_or_else(|e| e.into_inner()),
                Some(next) => {
                    self.cv
                        .wait_timeout(g, next - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// Arms the watchdog for one call; returns the generation to disarm.
    fn arm(&self, handle: wasp::InterruptHandle, d: Duration) -> u64 {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        g.generation += 1;
        let gen = g.generation;
        g.targets.push((gen, Instant::now() + d, handle));
        self.cv.notify_all();
        gen
    }

    fn disarm(&self, gen: u64) {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        g.targets.retain(|t| t.0 != gen);
    }
}

// -------------------------------------------------------------------- wasp

struct Wasp {
    store: wasp::Store<()>,
    inst: wasp::Instance,
    deadline: Duration,
}

fn wasp_trap(e: &wasp::Error) -> Outcome {
    use wasp::TrapCode as C;
    match e.trap_code() {
        Some(c) => Outcome::Trap(match c {
            C::Unreachable => TrapKind::Unreachable,
            C::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
            C::TableOutOfBounds | C::UndefinedElement => TrapKind::TableOutOfBounds,
            C::IndirectCallToNull => TrapKind::IndirectCallToNull,
            C::BadSignature => TrapKind::BadSignature,
            C::IntegerDivideByZero => TrapKind::DivideByZero,
            C::IntegerOverflow => TrapKind::IntegerOverflow,
            C::BadConversionToInteger => TrapKind::BadConversion,
            C::NullReference
            | C::NullFunctionReference
            | C::NullStructReference
            | C::NullArrayReference
            | C::NullI31Reference => TrapKind::NullReference,
            C::ArrayOutOfBounds => TrapKind::ArrayOutOfBounds,
            C::CastFailure => TrapKind::CastFailure,
            C::GcHeapExhausted => TrapKind::GcOom,
            C::StackExhausted => TrapKind::StackOverflow,
            C::Interrupted => TrapKind::Interrupted,
            other => TrapKind::Other(format!("{other:?}")),
        }),
        None => Outcome::Error(format!("wasp: {e}")),
    }
}

fn to_wasp(v: V) -> wasp::Val {
    match v {
        V::I32(x) => wasp::Val::I32(x as i32),
        V::I64(x) => wasp::Val::I64(x as i64),
        V::F32(x) => wasp::Val::F32(x),
        V::F64(x) => wasp::Val::F64(x),
        V::FuncRef(_) => wasp::Val::FuncRef(None),
        V::ExternRef(_) => wasp::Val::ExternRef(None),
        V::V128(x) => wasp::Val::V128(x),
        V::AnyRef(_) => wasp::Val::AnyRef(None),
    }
}

fn from_wasp(v: &wasp::Val, store: &wasp::Store<()>) -> V {
    match *v {
        wasp::Val::I32(x) => V::I32(x as u32),
        wasp::Val::I64(x) => V::I64(x as u64),
        wasp::Val::F32(x) => V::F32(x),
        wasp::Val::F64(x) => V::F64(x),
        wasp::Val::FuncRef(f) => V::FuncRef(f.is_none()),
        wasp::Val::ExternRef(r) => V::ExternRef(r.is_none()),
        wasp::Val::V128(x) => V::V128(x),
        // Only the load target meets these (in globals; it ignores values):
        // the differential generators do not enable exceptions.
        wasp::Val::ExnRef(r) => V::ExternRef(r.is_none()),
        wasp::Val::AnyRef(None) => V::AnyRef(AnyV::Null),
        wasp::Val::AnyRef(Some(r)) => V::AnyRef(match r.kind(store) {
            wasp::AnyKind::I31(v) => AnyV::I31(v),
            wasp::AnyKind::Struct => AnyV::Struct,
            wasp::AnyKind::Array => AnyV::Array,
            wasp::AnyKind::Host => AnyV::Host,
        }),
    }
}

/// Instantiates `bytes` on wasp (no imports), in its default tier.
pub fn wasp(bytes: &[u8], limits: &Limits) -> Result<Box<dyn Instance>, Outcome> {
    wasp_in(bytes, limits, None)
}

/// Instantiates `bytes` on wasp (no imports) running in `tier` (`None`: the default).
pub fn wasp_in(
    bytes: &[u8],
    limits: &Limits,
    tier: Option<wasp::Tier>,
) -> Result<Box<dyn Instance>, Outcome> {
    let mut cfg = wasp::Config::new();
    cfg.max_call_depth(limits.max_call_depth);
    // Large enough for any fixed-seed module, small enough that a random
    // `array.new` length fails fast (`TrapKind::GcOom`, inconclusive).
    cfg.max_gc_heap(256 << 20);
    if let Some(t) = tier {
        cfg.tier(t);
    }
    let engine = wasp::Engine::new(&cfg);
    let module = wasp::Module::from_binary(&engine, bytes.to_vec())
        .map_err(|e| Outcome::Error(format!("wasp: {e}")))?;
    let mut store = wasp::Store::new(&engine, ());
    let linker = wasp::Linker::new(&engine);
    let w = watchdog();
    let gen = w.arm(store.interrupt_handle(), limits.deadline);
    let inst = linker.instantiate(&mut store, &module);
    w.disarm(gen);
    let inst = inst.map_err(|e| wasp_trap(&e))?;
    Ok(Box::new(Wasp {
        store,
        inst,
        deadline: limits.deadline,
    }))
}

impl Instance for Wasp {
    fn engine(&self) -> &'static str {
        "wasp"
    }

    fn call(&mut self, name: &str, args: &[V]) -> Outcome {
        let Some(f) = self.inst.get_func(&self.store, name) else {
            return Outcome::Error(format!("wasp: no function export {name}"));
        };
        let n = f.ty(&self.store).results().len();
        let args: Vec<_> = args.iter().map(|v| to_wasp(*v)).collect();
        let mut out = vec![wasp::Val::I32(0); n];
        let w = watchdog();
        let gen = w.arm(self.store.interrupt_handle(), self.deadline);
        let r = f.call(&mut self.store, &args, &mut out);
        w.disarm(gen);
        match r {
            Ok(()) => Outcome::Values(out.iter().map(|v| from_wasp(v, &self.store)).collect()),
            Err(e) => wasp_trap(&e),
        }
    }

    fn state(&mut self) -> State {
        let mut s = State::default();
        for (name, ext) in self.inst.exports(&self.store) {
            match ext {
                wasp::Extern::Memory(m) => s.memories.push((name, m.data(&self.store).to_vec())),
                wasp::Extern::Global(g) => {
                    let v = from_wasp(&g.get(&self.store), &self.store);
                    s.globals.push((name, v))
                }
                wasp::Extern::Table(t) => {
                    let n = t.size(&self.store);
                    let e = (0..n)
                        .map(|i| match t.get(&self.store, i) {
                            Some(wasp::Val::FuncRef(f)) => f.is_none(),
                            Some(wasp::Val::ExternRef(r)) => r.is_none(),
                            Some(wasp::Val::AnyRef(r)) => r.is_none(),
                            _ => true,
                        })
                        .collect();
                    s.tables.push((name, e));
                }
                _ => {}
            }
        }
        s.sorted()
    }

    fn set_global(&mut self, name: &str, v: V) {
        if let Some(g) = self.inst.get_global(&self.store, name) {
            let _ = g.set(&mut self.store, to_wasp(v));
        }
    }
}

// ---------------------------------------------------------------- wasmtime

struct Wasmtime {
    store: wasmtime::Store<()>,
    inst: wasmtime::Instance,
    fuel: Option<u64>,
}

fn wasmtime_engine(fuel: bool) -> &'static wasmtime::Engine {
    static PLAIN: std::sync::OnceLock<wasmtime::Engine> = std::sync::OnceLock::new();
    static FUEL: std::sync::OnceLock<wasmtime::Engine> = std::sync::OnceLock::new();
    let cell = if fuel { &FUEL } else { &PLAIN };
    cell.get_or_init(|| {
        let mut c = wasmtime::Config::new();
        c.wasm_features(wasmtime::WasmFeatures::all(), false);
        c.wasm_features(
            wasmtime::WasmFeatures::WASM2
                | wasmtime::WasmFeatures::TAIL_CALL
                | wasmtime::WasmFeatures::EXTENDED_CONST
                | wasmtime::WasmFeatures::FUNCTION_REFERENCES
                | wasmtime::WasmFeatures::GC,
            true,
        );
        // SIMD, but not relaxed SIMD (implementation-defined results).
        c.wasm_simd(true).wasm_relaxed_simd(false);
        // No constant folding: every float result comes from the hardware,
        // as in wasp.
        c.cranelift_opt_level(wasmtime::OptLevel::None);
        c.consume_fuel(fuel);
        c.memory_reservation(1 << 32);
        wasmtime::Engine::new(&c).expect("wasmtime config")
    })
}

/// The engine the load target validates with (same features as wasp).
pub fn wasmtime_validator() -> &'static wasmtime::Engine {
    wasmtime_engine(false)
}

fn wasmtime_trap(e: &wasmtime::Error) -> Outcome {
    use wasmtime::Trap as T;
    match e.downcast_ref::<T>() {
        Some(t) => Outcome::Trap(match t {
            T::UnreachableCodeReached => TrapKind::Unreachable,
            T::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
            T::TableOutOfBounds => TrapKind::TableOutOfBounds,
            T::IndirectCallToNull => TrapKind::IndirectCallToNull,
            T::BadSignature => TrapKind::BadSignature,
            T::IntegerDivisionByZero => TrapKind::DivideByZero,
            T::IntegerOverflow => TrapKind::IntegerOverflow,
            T::BadConversionToInteger => TrapKind::BadConversion,
            T::NullReference => TrapKind::NullReference,
            T::ArrayOutOfBounds => TrapKind::ArrayOutOfBounds,
            T::CastFailure => TrapKind::CastFailure,
            T::AllocationTooLarge => TrapKind::GcOom,
            T::StackOverflow => TrapKind::StackOverflow,
            T::Interrupt => TrapKind::Interrupted,
            T::OutOfFuel => TrapKind::OutOfFuel,
            other => TrapKind::Other(format!("{other:?}")),
        }),
        None if e.is::<wasmtime::GcHeapOutOfMemory<()>>() => Outcome::Trap(TrapKind::GcOom),
        None => Outcome::Error(format!("wasmtime: {e:?}")),
    }
}

fn to_wasmtime(v: V) -> wasmtime::Val {
    match v {
        V::I32(x) => wasmtime::Val::I32(x as i32),
        V::I64(x) => wasmtime::Val::I64(x as i64),
        V::F32(x) => wasmtime::Val::F32(x),
        V::F64(x) => wasmtime::Val::F64(x),
        V::FuncRef(_) => wasmtime::Val::FuncRef(None),
        V::ExternRef(_) => wasmtime::Val::ExternRef(None),
        V::V128(x) => wasmtime::Val::V128(x.into()),
        V::AnyRef(_) => wasmtime::Val::AnyRef(None),
    }
}

fn from_wasmtime(v: &wasmtime::Val, store: &wasmtime::Store<()>) -> V {
    match v {
        wasmtime::Val::I32(x) => V::I32(*x as u32),
        wasmtime::Val::I64(x) => V::I64(*x as u64),
        wasmtime::Val::F32(x) => V::F32(*x),
        wasmtime::Val::F64(x) => V::F64(*x),
        wasmtime::Val::FuncRef(f) => V::FuncRef(f.is_none()),
        wasmtime::Val::ExternRef(r) => V::ExternRef(r.is_none()),
        wasmtime::Val::V128(x) => V::V128(x.as_u128()),
        wasmtime::Val::AnyRef(None) => V::AnyRef(AnyV::Null),
        wasmtime::Val::AnyRef(Some(r)) => V::AnyRef(if let Ok(Some(i)) = r.as_i31(store) {
            AnyV::I31(i.get_u32())
        } else if r.is_struct(store).unwrap_or(false) {
            AnyV::Struct
        } else if r.is_array(store).unwrap_or(false) {
            AnyV::Array
        } else {
            AnyV::Host
        }),
        other => panic!("wasmtime value outside the differential features: {other:?}"),
    }
}

/// Instantiates `bytes` on wasmtime (no imports).
pub fn wasmtime(bytes: &[u8], limits: &Limits) -> Result<Box<dyn Instance>, Outcome> {
    let engine = wasmtime_engine(limits.wasmtime_fuel.is_some());
    let module = wasmtime::Module::new(engine, bytes)
        .map_err(|e| Outcome::Error(format!("wasmtime: {e:?}")))?;
    let mut store = wasmtime::Store::new(engine, ());
    if let Some(f) = limits.wasmtime_fuel {
        store.set_fuel(f).expect("fuel enabled");
    }
    let inst = wasmtime::Instance::new(&mut store, &module, &[]).map_err(|e| wasmtime_trap(&e))?;
    Ok(Box::new(Wasmtime {
        store,
        inst,
        fuel: limits.wasmtime_fuel,
    }))
}

impl Instance for Wasmtime {
    fn engine(&self) -> &'static str {
        "wasmtime"
    }

    fn call(&mut self, name: &str, args: &[V]) -> Outcome {
        let Some(f) = self.inst.get_func(&mut self.store, name) else {
            return Outcome::Error(format!("wasmtime: no function export {name}"));
        };
        if let Some(fuel) = self.fuel {
            self.store.set_fuel(fuel).expect("fuel enabled");
        }
        let n = f.ty(&self.store).results().len();
        let args: Vec<_> = args.iter().map(|v| to_wasmtime(*v)).collect();
        let mut out = vec![wasmtime::Val::I32(0); n];
        match f.call(&mut self.store, &args, &mut out) {
            Ok(()) => Outcome::Values(out.iter().map(|v| from_wasmtime(v, &self.store)).collect()),
            Err(e) => wasmtime_trap(&e),
        }
    }

    fn state(&mut self) -> State {
        let mut s = State::default();
        let exports: Vec<(String, wasmtime::Extern)> = self
            .inst
            .exports(&mut self.store)
            .map(|e| (e.name().to_string(), e.into_extern()))
            .collect();
        for (name, ext) in exports {
            match ext {
                wasmtime::Extern::Memory(m) => {
                    s.memories.push((name, m.data(&self.store).to_vec()))
                }
                wasmtime::Extern::Global(g) => {
                    let v = g.get(&mut self.store);
                    s.globals.push((name, from_wasmtime(&v, &self.store)))
                }
                wasmtime::Extern::Table(t) => {
                    let n = t.size(&self.store);
                    let e = (0..n)
                        .map(|i| t.get(&mut self.store, i).is_none_or(|r| r.is_null()))
                        .collect();
                    s.tables.push((name, e));
                }
                _ => {}
            }
        }
        s.sorted()
    }

    fn set_global(&mut self, name: &str, v: V) {
        if let Some(g) = self.inst.get_global(&mut self.store, name) {
            let _ = g.set(&mut self.store, to_wasmtime(v));
        }
    }
}

// ------------------------------------------------------------------- wasmi

struct Wasmi {
    store: wasmi::Store<()>,
    inst: wasmi::Instance,
}

fn wasmi_trap(e: &wasmi::Error) -> Outcome {
    use wasmi::TrapCode as T;
    match e.as_trap_code() {
        Some(t) => Outcome::Trap(match t {
            T::UnreachableCodeReached => TrapKind::Unreachable,
            T::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
            T::TableOutOfBounds => TrapKind::TableOutOfBounds,
            T::IndirectCallToNull => TrapKind::IndirectCallToNull,
            T::BadSignature => TrapKind::BadSignature,
            T::IntegerDivisionByZero => TrapKind::DivideByZero,
            T::IntegerOverflow => TrapKind::IntegerOverflow,
            T::BadConversionToInteger => TrapKind::BadConversion,
            T::StackOverflow => TrapKind::StackOverflow,
            T::OutOfFuel => TrapKind::OutOfFuel,
            other => TrapKind::Other(format!("{other:?}")),
        }),
        None => Outcome::Error(format!("wasmi: {e}")),
    }
}

fn to_wasmi(v: V) -> wasmi::Val {
    match v {
        V::I32(x) => wasmi::Val::I32(x as i32),
        V::I64(x) => wasmi::Val::I64(x as i64),
        V::F32(x) => wasmi::Val::F32(wasmi::F32::from_bits(x)),
        V::F64(x) => wasmi::Val::F64(wasmi::F64::from_bits(x)),
        V::FuncRef(_) => wasmi::Val::FuncRef(wasmi::Nullable::Null),
        // wasmi runs no GC module: an anyref never reaches it.
        V::ExternRef(_) | V::AnyRef(_) => wasmi::Val::ExternRef(wasmi::Nullable::Null),
        V::V128(x) => wasmi::Val::V128(x.into()),
    }
}

fn from_wasmi(v: &wasmi::Val) -> V {
    match v {
        wasmi::Val::I32(x) => V::I32(*x as u32),
        wasmi::Val::I64(x) => V::I64(*x as u64),
        wasmi::Val::F32(x) => V::F32(x.to_bits()),
        wasmi::Val::F64(x) => V::F64(x.to_bits()),
        wasmi::Val::FuncRef(f) => V::FuncRef(f.is_null()),
        wasmi::Val::ExternRef(r) => V::ExternRef(r.is_null()),
        wasmi::Val::V128(x) => V::V128(x.as_u128()),
    }
}

/// Instantiates `bytes` on wasmi (no imports).
pub fn wasmi(bytes: &[u8], limits: &Limits) -> Result<Box<dyn Instance>, Outcome> {
    let mut c = wasmi::Config::default();
    // WebAssembly 2.0 without SIMD only: with SIMD and tail calls enabled,
    // wasmi 2.0.0 jumped to address 0 (diff seed 236591) and trapped with
    // DivideByZero where wasmtime and wasp agreed. Modules using them fail
    // wasmi's validation, and the harness compares wasp with wasmtime alone.
    c.wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_multi_memory(false)
        .wasm_wide_arithmetic(false)
        .wasm_custom_page_sizes(false)
        .set_max_recursion_depth(limits.max_call_depth);
    let engine = wasmi::Engine::new(&c);
    let module =
        wasmi::Module::new(&engine, bytes).map_err(|e| Outcome::Error(format!("wasmi: {e}")))?;
    let mut store = wasmi::Store::new(&engine, ());
    let linker = wasmi::Linker::<()>::new(&engine);
    let inst = linker
        .instantiate_and_start(&mut store, &module)
        .map_err(|e| wasmi_trap(&e))?;
    Ok(Box::new(Wasmi { store, inst }))
}

impl Instance for Wasmi {
    fn engine(&self) -> &'static str {
        "wasmi"
    }

    fn call(&mut self, name: &str, args: &[V]) -> Outcome {
        let Some(f) = self.inst.get_func(&self.store, name) else {
            return Outcome::Error(format!("wasmi: no function export {name}"));
        };
        let n = f.ty(&self.store).results().len();
        let args: Vec<_> = args.iter().map(|v| to_wasmi(*v)).collect();
        let mut out = vec![wasmi::Val::I32(0); n];
        match f.call(&mut self.store, &args, &mut out) {
            Ok(()) => Outcome::Values(out.iter().map(from_wasmi).collect()),
            Err(e) => wasmi_trap(&e),
        }
    }

    fn state(&mut self) -> State {
        let mut s = State::default();
        let exports: Vec<(String, wasmi::Extern)> = self
            .inst
            .exports(&self.store)
            .map(|e| (e.name().to_string(), e.into_extern()))
            .collect();
        for (name, ext) in exports {
            match ext {
                wasmi::Extern::Memory(m) => s.memories.push((name, m.data(&self.store).to_vec())),
                wasmi::Extern::Global(g) => s.globals.push((name, from_wasmi(&g.get(&self.store)))),
                wasmi::Extern::Table(t) => {
                    let n = t.size(&self.store);
                    let e = (0..n)
                        .map(|i| t.get(&self.store, i).is_none_or(|r| r.is_null()))
                        .collect();
                    s.tables.push((name, e));
                }
                _ => {}
            }
        }
        s.sorted()
    }

    fn set_global(&mut self, name: &str, v: V) {
        if let Some(g) = self.inst.get_global(&self.store, name) {
            let _ = g.set(&mut self.store, to_wasmi(v));
        }
    }
}

// ------------------------------------------------------------- signatures

/// An exported function and its signature.
#[derive(Clone, Debug)]
pub struct FuncExport {
    /// Export name.
    pub name: String,
    /// Parameter types.
    pub params: Vec<Ty>,
    /// Result types.
    pub results: Vec<Ty>,
}

/// The harness type of `t`; `kinds` holds the kind of every type index
/// seen so far (`true`: a function type) and `group` the first index of
/// the recursion group being read. A parameter must be nullable (the
/// harness passes null references only).
fn ty_of(t: &wasmparser::ValType, kinds: &[bool], group: usize, param: bool) -> Option<Ty> {
    use wasmparser::{AbstractHeapType as A, HeapType as H, UnpackedIndex as U, ValType as W};
    Some(match t {
        W::I32 => Ty::I32,
        W::I64 => Ty::I64,
        W::F32 => Ty::F32,
        W::F64 => Ty::F64,
        W::V128 => Ty::V128,
        W::Ref(r) if param && !r.is_nullable() => return None,
        W::Ref(r) => match r.heap_type() {
            H::Abstract { shared: false, ty } => match ty {
                A::Func | A::NoFunc => Ty::FuncRef,
                A::Extern | A::NoExtern => Ty::ExternRef,
                A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None => Ty::AnyRef,
                _ => return None,
            },
            H::Concrete(u) => {
                let i = match u {
                    U::Module(i) => i as usize,
                    U::RecGroup(i) => group + i as usize,
                    U::Id(_) => return None,
                };
                if *kinds.get(i)? {
                    Ty::FuncRef
                } else {
                    Ty::AnyRef
                }
            }
            _ => return None,
        },
    })
}

/// The exported functions of a valid module, with their signatures (read
/// with wasmparser, independent of the engines). Functions whose signature
/// uses a type outside WebAssembly 2.0 are left out.
pub fn func_exports(bytes: &[u8]) -> Vec<FuncExport> {
    use wasmparser::{Parser, Payload, TypeRef};
    let mut types: Vec<Option<(Vec<Ty>, Vec<Ty>)>> = Vec::new();
    let mut kinds: Vec<bool> = Vec::new();
    let mut funcs: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut parser = Parser::new(0);
    parser.set_features(diff_features());
    for payload in parser.parse_all(bytes) {
        let Ok(payload) = payload else { break };
        match payload {
            Payload::TypeSection(r) => {
                for group in r.into_iter().flatten() {
                    let start = kinds.len();
                    let subs: Vec<wasmparser::SubType> = group.types().cloned().collect();
                    for sub in &subs {
                        kinds.push(matches!(
                            sub.composite_type.inner,
                            wasmparser::CompositeInnerType::Func(_)
                        ));
                    }
                    for sub in &subs {
                        types.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(ft) => {
                                let p: Option<Vec<_>> = ft
                                    .params()
                                    .iter()
                                    .map(|t| ty_of(t, &kinds, start, true))
                                    .collect();
                                let q: Option<Vec<_>> = ft
                                    .results()
                                    .iter()
                                    .map(|t| ty_of(t, &kinds, start, false))
                                    .collect();
                                p.zip(q)
                            }
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports().flatten() {
                    if let TypeRef::Func(t) = imp.ty {
                        funcs.push(t);
                    }
                }
            }
            Payload::FunctionSection(r) => funcs.extend(r.into_iter().flatten()),
            Payload::ExportSection(r) => {
                for e in r.into_iter().flatten() {
                    if e.kind != wasmparser::ExternalKind::Func {
                        continue;
                    }
                    let sig = funcs
                        .get(e.index as usize)
                        .and_then(|t| types.get(*t as usize).cloned().flatten());
                    if let Some((params, results)) = sig {
                        out.push(FuncExport {
                            name: e.name.to_string(),
                            params,
                            results,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}
