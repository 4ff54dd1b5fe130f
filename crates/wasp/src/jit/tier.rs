//! Tiered execution: which functions of a module have native code, when the
//! interpreter asks for it, and the background thread that compiles it.
//!
//! Every module carries a [`TierState`]:
//! - `code`: one word per function index (imports included, always 0): 0
//!   while the function is interpreted, else the address of its native code
//!   (the internal signature of `abi.rs`). Compiled code reads it through
//!   `JitCtx::funcs` to call compiled callees directly; the interpreter reads
//!   it to divert a call to native code. A word is written once, with
//!   `Release`, after the batch that owns the code is published and kept.
//! - `counters`: one per defined function, the calls left before the
//!   interpreter takes its slow path for it (`exec/run.rs` counts down on
//!   its fast call path; a plain load and store, no locked instruction).
//!   At 0 the slow path decides ([`TierState::on_call`]): queue the function
//!   for compilation, or run its native code. The compiling thread sets a
//!   counter to 0 when it installs the function's code (the next call
//!   diverts) and to `u32::MAX` when the function cannot be compiled.
//!
//! - `osr`: the on-stack replacement entries asked for, per (defined
//!   function, wasm offset of the point): queued, failed, or the address of
//!   the entry (`jit/func.rs`, `translate_osr`), compiled on demand by the
//!   same thread, one per batch (never cached on disk: like all native
//!   code, they are compiled afresh in each process); one in flight and
//!   [`OSR_PER_FUNC`] at most per function.
//!
//! One compiling thread per [`Engine`](crate::Engine), started on first use,
//! takes queued functions in batches (whatever is queued when it wakes up,
//! per module); execution never waits for it. [`Tier::Jit`] instead compiles
//! every defined function of a module the first time one of them is called,
//! in parallel on the available cores, before running it.

use super::{Batch, Compiler, JitOptions};
use crate::engine::{Config, Stat, Tier};
use crate::module::ModuleInner;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

/// Not queued yet.
const IDLE: u8 = 0;
/// In the compiling thread's queue.
const QUEUED: u8 = 1;
/// Native code installed.
const NATIVE: u8 = 2;
/// Cannot be compiled (stays interpreted).
const FAILED: u8 = 3;

/// `TierState::osr`: being compiled.
const OSR_QUEUED: usize = 0;
/// `TierState::osr`: cannot be compiled.
const OSR_FAILED: usize = 1;
/// OSR entries compiled per function at most (tests enter at every point).
const OSR_PER_FUNC: usize = if cfg!(test) { 64 } else { 4 };

/// Calls between two looks at a queued function's state (a counter the
/// compiling thread's store raced with still comes back this soon).
const RECHECK: u32 = 4096;

/// The tier state of one module (see the file header).
pub(crate) struct TierState {
    /// Native code address per function index (0 = interpreted).
    pub code: Box<[AtomicUsize]>,
    /// Calls left before the slow path, per defined function.
    pub counters: Box<[AtomicU32]>,
    /// `IDLE`/`QUEUED`/`NATIVE`/`FAILED` per defined function.
    state: Box<[AtomicU8]>,
    /// The batches that own installed code (kept for the module's lifetime).
    batches: Mutex<Vec<Arc<Batch>>>,
    /// OSR entries by (defined function, wasm offset): [`OSR_QUEUED`],
    /// [`OSR_FAILED`] or the entry's code address.
    osr: Mutex<HashMap<(u32, u32), usize>>,
    /// `Tier::Jit`: the whole module compiled (once).
    all: OnceLock<()>,
    tier: Tier,
    imported: u32,
}

/// What the slow path of a call should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Interpret it.
    Interpret,
    /// Run its native code.
    Native,
}

impl TierState {
    /// The state of a module with `funcs` functions, `imported` of them imports.
    pub fn new(funcs: usize, imported: u32, config: &Config, interp_only: bool) -> TierState {
        // A module that allocates GC objects is never compiled: the
        // collector cannot see references in native registers (`gc/heap.rs`).
        let tier = if interp_only {
            Tier::Interp
        } else {
            config.effective_tier()
        };
        let defined = funcs.saturating_sub(imported as usize);
        let start = match tier {
            Tier::Interp => u32::MAX,
            Tier::Tiered => config.tier_up_threshold.saturating_sub(1),
            Tier::Jit => 0,
        };
        TierState {
            code: (0..funcs).map(|_| AtomicUsize::new(0)).collect(),
            counters: (0..defined).map(|_| AtomicU32::new(start)).collect(),
            state: (0..defined).map(|_| AtomicU8::new(IDLE)).collect(),
            batches: Mutex::default(),
            osr: Mutex::default(),
            all: OnceLock::new(),
            tier,
            imported,
        }
    }

    /// Does defined function `def` have native code?
    #[inline]
    pub fn is_native(&self, def: u32) -> bool {
        self.code[(self.imported + def) as usize].load(Ordering::Acquire) != 0
    }

    /// The slow path of a call of defined function `def` of `module`: counts
    /// the call and decides whether to run native code; queues the function
    /// when it became hot (or, under `Tier::Jit`, compiles the module first).
    pub fn on_call(&self, module: &Arc<ModuleInner>, def: u32) -> Verdict {
        let d = def as usize;
        if self.is_native(def) {
            self.counters[d].store(0, Ordering::Relaxed);
            return Verdict::Native;
        }
        let counter = &self.counters[d];
        let c = counter.load(Ordering::Relaxed);
        if c != 0 {
            counter.store(c - 1, Ordering::Relaxed);
            return Verdict::Interpret;
        }
        match self.tier {
            Tier::Interp => {
                counter.store(u32::MAX, Ordering::Relaxed);
                return Verdict::Interpret;
            }
            Tier::Jit => {
                self.compile_all(module);
                if self.is_native(def) {
                    return Verdict::Native;
                }
                counter.store(u32::MAX, Ordering::Relaxed);
                return Verdict::Interpret;
            }
            Tier::Tiered => {}
        }
        self.queue(module, def);
        Verdict::Interpret
    }

    /// Queues defined function `def` for compilation unless it is queued,
    /// compiled or failed already (its counter reached 0 under
    /// `Tier::Tiered`).
    fn queue(&self, module: &Arc<ModuleInner>, def: u32) {
        let d = def as usize;
        let counter = &self.counters[d];
        match self.state[d].load(Ordering::Acquire) {
            IDLE => {
                // The counter first: the compiling thread's store of 0 on
                // install must come after it.
                counter.store(RECHECK, Ordering::Relaxed);
                if self.state[d]
                    .compare_exchange(IDLE, QUEUED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    enqueue(module, self.imported + def, None);
                }
            }
            QUEUED => counter.store(RECHECK, Ordering::Relaxed),
            _ => counter.store(u32::MAX, Ordering::Relaxed),
        }
    }

    /// A tick found defined function `def` running (`ticks.rs`): counts it
    /// as `calls` calls, queueing the function when that reaches the
    /// threshold. Only under `Tier::Tiered`, for a function still idle.
    pub fn heat(&self, module: &Arc<ModuleInner>, def: u32, calls: u32) {
        let d = def as usize;
        if self.tier != Tier::Tiered || self.state[d].load(Ordering::Relaxed) != IDLE {
            return;
        }
        let counter = &self.counters[d];
        let c = counter.load(Ordering::Relaxed);
        if c > calls {
            counter.store(c - calls, Ordering::Relaxed);
        } else {
            self.queue(module, def);
        }
    }

    /// The on-stack replacement entry of defined function `def` (which has
    /// native code) at the wasm operator at byte offset `point`: its code
    /// address once compiled; until then `None`, and the first ask queues
    /// it for the compiling thread (or, under `Tier::Jit`, compiles it now).
    pub fn osr_entry(&self, module: &Arc<ModuleInner>, def: u32, point: u32) -> Option<usize> {
        let key = (def, point);
        {
            let mut map = self.osr.lock().unwrap_or_else(|e| e.into_inner());
            match map.get(&key) {
                Some(&OSR_QUEUED | &OSR_FAILED) => return None,
                Some(&addr) => return Some(addr),
                None => {
                    // Each entry compiles the whole function again: one in
                    // flight per function, and a few per function at most
                    // (a Go frame is at another case label at every tick).
                    let mine = map.iter().filter(|(k, _)| k.0 == def);
                    let (mut n, mut busy) = (0, false);
                    for (_, &v) in mine {
                        n += 1;
                        busy |= v == OSR_QUEUED;
                    }
                    if busy || n >= OSR_PER_FUNC {
                        return None;
                    }
                    map.insert(key, OSR_QUEUED);
                }
            }
        }
        match self.tier {
            Tier::Jit => {
                compile_osr_and_install(module, self.imported + def, point);
                self.osr
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&key)
                    .copied()
                    .filter(|&a| a > OSR_FAILED)
            }
            _ => {
                enqueue(module, self.imported + def, Some(point));
                None
            }
        }
    }

    /// Records the OSR entry of function `f` at `point` from `compiled`.
    fn install_osr(
        &self,
        module: &ModuleInner,
        f: u32,
        point: u32,
        compiled: Result<Batch, String>,
    ) {
        let key = (f - self.imported, point);
        let addr = match compiled {
            Ok(batch) => match batch.code_addr(f) {
                Some(addr) => {
                    module.engine.counters().add(Stat::OsrCompiled, 1);
                    self.batches
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Arc::new(batch));
                    addr
                }
                None => OSR_FAILED,
            },
            Err(_) => OSR_FAILED,
        };
        self.osr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, addr);
    }

    /// Compiles every defined function (`Tier::Jit`), once per module, in
    /// parallel on the available cores; returns when all are installed.
    pub fn compile_all(&self, module: &Arc<ModuleInner>) {
        self.all.get_or_init(|| {
            let defined = self.counters.len() as u32;
            let all: Vec<u32> = (0..defined).map(|d| self.imported + d).collect();
            let threads = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .clamp(1, 8)
                .min(all.len().max(1));
            let chunk = all.len().div_ceil(threads).max(1);
            std::thread::scope(|s| {
                for part in all.chunks(chunk) {
                    s.spawn(move || compile_and_install(module, part));
                }
            });
        });
    }

    /// Installs the compiled functions of `batch` and marks the rest of
    /// `funcs` as not compilable.
    fn install(&self, module: &ModuleInner, batch: Batch, funcs: &[u32]) {
        let stats = module.engine.counters();
        stats.add(Stat::JitCompiled, batch.stats.compiled as u64);
        stats.add(Stat::JitUnsupported, batch.unsupported.len() as u64);
        let batch = Arc::new(batch);
        self.batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(batch.clone());
        for &f in funcs {
            let d = (f - self.imported) as usize;
            match native_addr(&batch, f) {
                Some(addr) => {
                    self.code[f as usize].store(addr, Ordering::Release);
                    self.state[d].store(NATIVE, Ordering::Release);
                    self.counters[d].store(0, Ordering::Relaxed);
                }
                None => self.fail(f),
            }
        }
    }

    /// Marks function `f` as staying interpreted.
    fn fail(&self, f: u32) {
        let d = (f - self.imported) as usize;
        self.state[d].store(FAILED, Ordering::Release);
        self.counters[d].store(u32::MAX, Ordering::Relaxed);
    }

    /// How many functions have native code (tests).
    #[cfg(test)]
    pub fn native_count(&self) -> usize {
        self.code
            .iter()
            .filter(|c| c.load(Ordering::Acquire) != 0)
            .count()
    }
}

/// The address `code[f]` gets for a compiled function of `batch`.
fn native_addr(batch: &Batch, f: u32) -> Option<usize> {
    batch.code_addr(f)
}

/// Compiles `funcs` of `module` in one batch and installs the result.
fn compile_and_install(module: &ModuleInner, funcs: &[u32]) {
    let tier = &module.tier;
    let start = Instant::now();
    let compiled = compiler().and_then(|c| c.compile(module, funcs));
    module
        .engine
        .counters()
        .add_time(Stat::JitCompileTime, start.elapsed());
    match compiled {
        Ok(batch) => tier.install(module, batch, funcs),
        Err(_) => funcs.iter().for_each(|&f| tier.fail(f)),
    }
}

/// Compiles the OSR entry of function `func` of `module` at `point` and
/// records it.
fn compile_osr_and_install(module: &ModuleInner, func: u32, point: u32) {
    let start = Instant::now();
    let compiled = compiler().and_then(|c| c.compile_osr(module, func, point));
    module
        .engine
        .counters()
        .add_time(Stat::JitCompileTime, start.elapsed());
    module.tier.install_osr(module, func, point, compiled);
}

/// The process's code generator (created on first use). A `Compiler` holds
/// only the target ISA (immutable, `Sync`): one serves every thread.
fn compiler() -> Result<&'static Compiler, String> {
    static SHARED: OnceLock<Result<Compiler, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| Compiler::new(JitOptions::default()))
        .as_ref()
        .map_err(|e| e.clone())
}

/// A function index of a module, queued for compilation.
#[derive(Debug)]
pub(crate) struct Job {
    module: Weak<ModuleInner>,
    func: u32,
    /// The OSR entry at this wasm offset rather than the function.
    osr: Option<u32>,
}

/// Sends function index `func` of `module` (its OSR entry at `osr`, if
/// given) to its engine's compiling thread (started on first use).
fn enqueue(module: &Arc<ModuleInner>, func: u32, osr: Option<u32>) {
    let job = Job {
        module: Arc::downgrade(module),
        func,
        osr,
    };
    let queue = module.engine.tier_queue().get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("wasp-jit".into())
            .spawn(move || compile_loop(rx));
        if spawned.is_err() {
            // No thread: nothing is ever compiled; the receiver is gone,
            // so every send below fails and the functions stay interpreted.
        }
        tx
    });
    if let Err(e) = queue.send(job) {
        if let Some(m) = e.0.module.upgrade() {
            match e.0.osr {
                None => m.tier.fail(e.0.func),
                Some(p) => m.tier.install_osr(&m, e.0.func, p, Err("no thread".into())),
            }
        }
    }
}

/// The nice value of the compiling thread (Linux; 0 is the default, 19 the
/// lowest priority): at 10 a busy guest thread gets ~10x its CPU share.
#[cfg(target_os = "linux")]
const COMPILE_NICE: i32 = 10;

/// The compiling thread: takes what is queued, per module, compiles it in
/// one batch, installs it; ends when the engine (the sender) is gone.
fn compile_loop(rx: Receiver<Job>) {
    // Compiling is speculative work for later: it yields the CPU to the
    // threads running guests (on a 2-core host, a Go binary's start-up also
    // runs the cache-prefetch thread). On Linux the nice value is per thread
    // and `None` names the calling one; failure leaves the default.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(None, COMPILE_NICE);
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        jobs.extend(rx.try_iter());
        while !jobs.is_empty() {
            let module = jobs[0].module.clone();
            let (mine, rest): (Vec<Job>, Vec<Job>) = jobs
                .into_iter()
                .partition(|j| Weak::ptr_eq(&j.module, &module));
            jobs = rest;
            let Some(module) = module.upgrade() else {
                continue;
            };
            let funcs: Vec<u32> = mine
                .iter()
                .filter(|j| j.osr.is_none())
                .map(|j| j.func)
                .collect();
            if !funcs.is_empty() {
                compile_and_install(&module, &funcs);
            }
            for j in mine.iter().filter(|j| j.osr.is_some()) {
                compile_osr_and_install(&module, j.func, j.osr.unwrap_or_default());
            }
        }
    }
}

/// The queue of an engine's compiling thread.
pub(crate) type Queue = OnceLock<Sender<Job>>;
