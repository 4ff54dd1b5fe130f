//! One per-request runner per engine, over each engine's public API: a
//! shared pre-instantiated module, then per request a fresh store,
//! `instantiate`, `_start` with output captured in memory.

use crate::wasi::{self, Id, Mini, Outcome};

/// One engine set up for one module.
pub trait Runner {
    /// A fresh store and instance, kept alive by the returned value.
    fn instantiate(&self) -> Box<dyn std::any::Any>;
    /// A whole request: instantiate, run `_start`, return the output.
    fn request(&self) -> Vec<u8>;
    /// What the engine says about its state (tier-up), for the log.
    fn note(&self) -> String {
        String::new()
    }
    /// A count that grows while the engine still works in the background
    /// (wasp: functions compiled); the warm-up waits until it stops.
    fn background_work(&self) -> u64 {
        0
    }
}

fn raw(v: &[u64; 4], n: usize) -> &[u64] {
    &v[..n]
}

// ---------------------------------------------------------------- wasp

pub struct Wasp {
    engine: wasp::Engine,
    pre: wasp::InstancePre<Mini>,
}

impl Wasp {
    pub fn new(path: &str) -> Wasp {
        let mut config = wasp::Config::new();
        if std::env::var_os("WASP_BENCH_NO_POOL").is_some() {
            // The memory pool off: each request maps and unmaps its memory.
            config.memory_pool(0, 0);
        }
        let engine = wasp::Engine::new(&config);
        let module = wasp::Module::from_file(&engine, path).expect("wasp: load");
        let mut linker = wasp::Linker::new(&engine);
        // A module may import the same function twice (Go does).
        linker.allow_shadowing(true);
        for imp in module.imports() {
            let wasp::ExternType::Func(ty) = imp.ty() else {
                panic!("non-function import {}", imp.name())
            };
            let id = Id::of(imp.name());
            linker
                .func_new(imp.module(), imp.name(), ty.clone(), move |mut caller, params, results| {
                    let mut a = [0u64; 4];
                    for (slot, p) in a.iter_mut().zip(params) {
                        *slot = match p {
                            wasp::Val::I32(v) => *v as u32 as u64,
                            wasp::Val::I64(v) => *v as u64,
                            _ => 0,
                        };
                    }
                    let mem = caller
                        .get_export("memory")
                        .and_then(|e| e.into_memory())
                        .ok_or_else(|| wasp::Error::msg("no memory export"))?;
                    let (data, st) = mem.data_and_store_mut(&mut caller);
                    match wasi::call(id, data, raw(&a, params.len().min(4)), st) {
                        Outcome::Errno(e) => {
                            if let Some(r) = results.first_mut() {
                                *r = wasp::Val::I32(e);
                            }
                            Ok(())
                        }
                        Outcome::Exit(code) => Err(wasp::Error::exit(code)),
                    }
                })
                .unwrap();
        }
        let pre = linker.instantiate_pre(&module).expect("wasp: instantiate_pre");
        Wasp { engine, pre }
    }
}

impl Runner for Wasp {
    fn instantiate(&self) -> Box<dyn std::any::Any> {
        let mut store = wasp::Store::new(&self.engine, Mini::default());
        let inst = self.pre.instantiate(&mut store).expect("wasp: instantiate");
        Box::new((store, inst))
    }

    fn request(&self) -> Vec<u8> {
        let mut store = wasp::Store::new(&self.engine, Mini::default());
        let inst = self.pre.instantiate(&mut store).expect("wasp: instantiate");
        let start = inst
            .get_typed_func::<(), ()>(&store, "_start")
            .expect("wasp: _start");
        if let Err(e) = start.call(&mut store, ()) {
            assert_eq!(e.exit_status(), Some(0), "wasp: {e}");
        }
        std::mem::take(&mut store.data_mut().out)
    }

    fn background_work(&self) -> u64 {
        let s = self.engine.stats();
        s.funcs_compiled + s.funcs_not_compilable
    }

    fn note(&self) -> String {
        let s = self.engine.stats();
        format!(
            "functions translated {}, compiled to native code {} ({} not compilable)",
            s.funcs_translated, s.funcs_compiled, s.funcs_not_compilable
        )
    }
}

// ---------------------------------------------------------------- wasmtime

#[derive(Debug)]
struct Exit(i32);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}
impl std::error::Error for Exit {}

pub struct Wasmtime {
    engine: wasmtime::Engine,
    pre: wasmtime::InstancePre<Mini>,
}

impl Wasmtime {
    pub fn new(path: &str, pooling: bool) -> Wasmtime {
        let mut config = wasmtime::Config::new();
        // The crate builds wasmtime's `gc` feature for `--gc` (`gc.rs`); the
        // per-request guests use no GC, and the runs keep it off as they did
        // before that feature was compiled in.
        config.wasm_gc(false);
        if pooling {
            let mut pool = wasmtime::PoolingAllocationConfig::default();
            pool.total_core_instances(1100)
                .total_memories(1100)
                .total_tables(1100);
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = wasmtime::Engine::new(&config).expect("wasmtime: engine");
        let module = wasmtime::Module::from_file(&engine, path).expect("wasmtime: compile");
        let mut linker = wasmtime::Linker::new(&engine);
        linker.allow_shadowing(true);
        for imp in module.imports() {
            let wasmtime::ExternType::Func(ty) = imp.ty() else {
                panic!("non-function import {}", imp.name())
            };
            let id = Id::of(imp.name());
            linker
                .func_new(imp.module(), imp.name(), ty, move |mut caller, params, results| {
                    let mut a = [0u64; 4];
                    for (slot, p) in a.iter_mut().zip(params) {
                        *slot = match p {
                            wasmtime::Val::I32(v) => *v as u32 as u64,
                            wasmtime::Val::I64(v) => *v as u64,
                            _ => 0,
                        };
                    }
                    let mem = caller
                        .get_export("memory")
                        .and_then(|e| e.into_memory())
                        .ok_or_else(|| wasmtime::Error::msg("no memory export"))?;
                    let (data, st) = mem.data_and_store_mut(&mut caller);
                    match wasi::call(id, data, raw(&a, params.len().min(4)), st) {
                        Outcome::Errno(e) => {
                            if let Some(r) = results.first_mut() {
                                *r = wasmtime::Val::I32(e);
                            }
                            Ok(())
                        }
                        Outcome::Exit(code) => Err(wasmtime::Error::new(Exit(code))),
                    }
                })
                .unwrap();
        }
        let pre = linker.instantiate_pre(&module).expect("wasmtime: instantiate_pre");
        Wasmtime { engine, pre }
    }
}

impl Runner for Wasmtime {
    fn instantiate(&self) -> Box<dyn std::any::Any> {
        let mut store = wasmtime::Store::new(&self.engine, Mini::default());
        let inst = self.pre.instantiate(&mut store).expect("wasmtime: instantiate");
        Box::new((store, inst))
    }

    fn request(&self) -> Vec<u8> {
        let mut store = wasmtime::Store::new(&self.engine, Mini::default());
        let inst = self.pre.instantiate(&mut store).expect("wasmtime: instantiate");
        let start = inst
            .get_typed_func::<(), ()>(&mut store, "_start")
            .expect("wasmtime: _start");
        if let Err(e) = start.call(&mut store, ()) {
            let code = e.downcast_ref::<Exit>().map(|x| x.0);
            assert_eq!(code, Some(0), "wasmtime: {e:?}");
        }
        std::mem::take(&mut store.data_mut().out)
    }
}
