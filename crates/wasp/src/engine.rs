//! [`Engine`] and [`Config`]: the shared, thread-safe context modules are compiled in.
//!
//! The engine owns the type registry that gives every distinct [`FuncType`] a
//! small integer id, so `call_indirect` checks a signature with one comparison,
//! even across modules.

use crate::types::FuncType;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Engine settings. Build one with [`Config::new`] and the builder methods.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) max_memory_pages: u32,
    pub(crate) max_stack_bytes: usize,
    pub(crate) max_call_depth: usize,
    pub(crate) lazy: bool,
    /// Fuel metering ([`Config::consume_fuel`]). **Changes translation**:
    /// code translated with it carries `Fuel` instructions, code translated
    /// without it none, so a cache of translated code must key on it.
    pub(crate) fuel: bool,
}

/// Default wasm stack: 128 MiB of value slots, enough for Go programs (whose own
/// harness asks for an 8 MiB native stack) to recurse more than 100,000 frames deep.
pub const DEFAULT_MAX_STACK_BYTES: usize = 128 << 20;

impl Default for Config {
    fn default() -> Self {
        Config {
            max_memory_pages: 65536,
            max_stack_bytes: DEFAULT_MAX_STACK_BYTES,
            max_call_depth: 2_000_000,
            lazy: true,
            fuel: false,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Caps every linear memory at `pages` 64 KiB pages (at most 65,536);
    /// `memory.grow` beyond the cap returns -1.
    pub fn max_memory_pages(&mut self, pages: u32) -> &mut Self {
        self.max_memory_pages = pages.min(65536);
        self
    }

    /// Caps the wasm stack (value slots of all active frames) at `bytes`.
    /// Exceeding it traps with [`TrapCode::StackExhausted`](crate::TrapCode::StackExhausted).
    pub fn max_stack_bytes(&mut self, bytes: usize) -> &mut Self {
        self.max_stack_bytes = bytes.max(4096);
        self
    }

    /// Caps the number of nested wasm calls.
    pub fn max_call_depth(&mut self, depth: usize) -> &mut Self {
        self.max_call_depth = depth.max(1);
        self
    }

    /// Translate functions on their first call (`true`, the default) or all at load time.
    pub fn lazy_translation(&mut self, lazy: bool) -> &mut Self {
        self.lazy = lazy;
        self
    }

    /// Meters execution with fuel (off by default). When on, every store of
    /// the engine starts with no fuel ([`Store::set_fuel`](crate::Store::set_fuel)
    /// gives it some), each straight-line region of a function costs its
    /// number of wasm operators when it starts (see docs/embedding.md,
    /// "Fuel", for the exact count), and a region that cannot be paid traps
    /// with [`TrapCode::OutOfFuel`](crate::TrapCode::OutOfFuel). Host
    /// functions cost nothing beyond their call operator.
    ///
    /// When off, translated code carries no fuel instructions at all, so it
    /// costs nothing. The setting changes the translation, so it is one per
    /// engine (a module is only instantiated in stores of its own engine):
    /// metered and unmetered code never mix.
    pub fn consume_fuel(&mut self, on: bool) -> &mut Self {
        self.fuel = on;
        self
    }
}

/// The compilation context shared by modules and stores. Cheap to clone; `Send + Sync`.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

#[derive(Debug, Default)]
struct EngineInner {
    config: Config,
    types: Mutex<TypeRegistry>,
}

#[derive(Debug, Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

impl Engine {
    /// Creates an engine with `config`.
    pub fn new(config: &Config) -> Self {
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                types: Mutex::default(),
            }),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Interns a function type, returning its engine-wide id.
    pub(crate) fn intern(&self, ty: &FuncType) -> u32 {
        let mut reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = reg.ids.get(ty) {
            return id;
        }
        let id = reg.types.len() as u32;
        reg.types.push(ty.clone());
        reg.ids.insert(ty.clone(), id);
        id
    }

    /// The function type of an interned id.
    pub(crate) fn func_type(&self, id: u32) -> FuncType {
        let reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        reg.types[id as usize].clone()
    }

    /// Do two handles refer to the same engine?
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }
}
