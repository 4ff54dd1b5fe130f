//! The two engines behind one interface: load a module, instantiate it, and
//! call one exported `(param i32) (result i64)` function.

use std::fmt;
use std::sync::OnceLock;

/// The tier wasp runs the workloads in (`--tier`; default `interp`: the
/// harness compares interpreters).
static WASP_TIER: OnceLock<wasp::Tier> = OnceLock::new();

/// Sets the tier of every wasp engine made after it (once).
pub fn set_wasp_tier(tier: wasp::Tier) {
    let _ = WASP_TIER.set(tier);
}

/// The tier wasp runs in.
pub fn wasp_tier() -> wasp::Tier {
    *WASP_TIER.get().unwrap_or(&wasp::Tier::Interp)
}

/// Which interpreter runs a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// This project's interpreter.
    Wasp,
    /// The reference interpreter.
    Wasmi,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Wasp => "wasp",
            EngineKind::Wasmi => "wasmi",
        })
    }
}

/// An instantiated workload, ready to be called repeatedly.
pub trait Runner {
    /// Calls the workload's export with `arg` and returns its checksum.
    fn call(&mut self, arg: i32) -> Result<i64, String>;
}

/// Compiles `wasm`, instantiates it in a fresh store and looks up `export`.
pub fn prepare(kind: EngineKind, wasm: &[u8], export: &str) -> Result<Box<dyn Runner>, String> {
    match kind {
        EngineKind::Wasp => WaspRunner::new(wasm, export).map(|r| Box::new(r) as Box<dyn Runner>),
        EngineKind::Wasmi => WasmiRunner::new(wasm, export).map(|r| Box::new(r) as Box<dyn Runner>),
    }
}

struct WaspRunner {
    store: wasp::Store<()>,
    func: wasp::TypedFunc<i32, i64>,
}

impl WaspRunner {
    fn new(wasm: &[u8], export: &str) -> Result<Self, String> {
        let engine = wasp::Engine::new(wasp::Config::new().tier(wasp_tier()));
        let module = wasp::Module::new(&engine, wasm).map_err(|e| format!("compile: {e}"))?;
        let mut store = wasp::Store::new(&engine, ());
        let instance = wasp::Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| format!("instantiate: {e}"))?;
        let func = instance
            .get_typed_func::<i32, i64>(&store, export)
            .map_err(|e| format!("export {export}: {e}"))?;
        Ok(WaspRunner { store, func })
    }
}

impl Runner for WaspRunner {
    fn call(&mut self, arg: i32) -> Result<i64, String> {
        self.func
            .call(&mut self.store, arg)
            .map_err(|e| e.to_string())
    }
}

struct WasmiRunner {
    store: wasmi::Store<()>,
    func: wasmi::TypedFunc<i32, i64>,
}

impl WasmiRunner {
    fn new(wasm: &[u8], export: &str) -> Result<Self, String> {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, wasm).map_err(|e| format!("compile: {e}"))?;
        let mut store = wasmi::Store::new(&engine, ());
        let instance = wasmi::Linker::<()>::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| format!("instantiate: {e}"))?;
        let func = instance
            .get_typed_func::<i32, i64>(&store, export)
            .map_err(|e| format!("export {export}: {e}"))?;
        Ok(WasmiRunner { store, func })
    }
}

impl Runner for WasmiRunner {
    fn call(&mut self, arg: i32) -> Result<i64, String> {
        self.func
            .call(&mut self.store, arg)
            .map_err(|e| e.to_string())
    }
}
