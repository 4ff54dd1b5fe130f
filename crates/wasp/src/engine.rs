//! [`Engine`] and [`Config`]: the shared, thread-safe context modules are compiled in.
//!
//! The engine owns the type registry that gives every distinct [`FuncType`] a
//! small integer id, so `call_indirect` checks a signature with one comparison,
//! even across modules. It also counts the work it does ([`EngineStats`]: the
//! start-up breakdown `wasp run --timings` prints) and carries the code cache
//! settings ([`Config::cache_dir`]).

use crate::module::canon::{Member, SupRef, TypeKind};
use crate::types::FuncType;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// Multiple memories accepted ([`Config::wasm_multi_memory`]). Changes
    /// what is valid, so cache keys include it.
    pub(crate) multi_memory: bool,
    /// Where the code cache lives (`None`: no cache).
    pub(crate) cache_dir: Option<PathBuf>,
    /// Upper bound of the cache directory's size in bytes.
    pub(crate) cache_max_bytes: u64,
    /// Stands for wasp's version in cache keys (tests simulate an upgrade).
    pub(crate) cache_version: String,
    /// How functions run ([`Config::tier`]).
    pub(crate) tier: Tier,
    /// Calls of a function before it is queued for compilation (`Tier::Tiered`).
    pub(crate) tier_up_threshold: u32,
    /// Whether time spent in a function counts towards its tier-up
    /// ([`Config::tier_up_by_time`]).
    pub(crate) tier_up_by_time: bool,
    /// Bytes a store's GC heap may hold ([`Config::max_gc_heap`]).
    pub(crate) max_gc_heap: usize,
    /// Bounds of the engine's pool of released memory regions
    /// ([`Config::memory_pool`]): regions, resident bytes.
    pub(crate) memory_pool: (usize, usize),
}

/// How wasm functions run ([`Config::tier`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Only the interpreter: nothing is ever compiled.
    Interp,
    /// Start interpreted; a function called [`Config::tier_up_threshold`]
    /// times is compiled to native code on a background thread (execution
    /// never waits for it), and its calls after that run the native code.
    Tiered,
    /// Compile every function of a module before the first of them runs
    /// (in parallel on the available cores), then run native code wherever
    /// the compiler supports the function.
    Jit,
}

impl Tier {
    /// The default: [`Tier::Tiered`] where the compiling tier is built in and
    /// supports the host (x86_64 and aarch64 Unix, cargo feature `jit`),
    /// else [`Tier::Interp`].
    pub const fn default_for_host() -> Tier {
        if JIT_AVAILABLE {
            Tier::Tiered
        } else {
            Tier::Interp
        }
    }

    /// The name the CLI uses: `interp`, `tiered` or `jit`.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Interp => "interp",
            Tier::Tiered => "tiered",
            Tier::Jit => "jit",
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = String;

    /// Parses `interp`, `tiered` or `jit`.
    fn from_str(s: &str) -> Result<Tier, String> {
        match s {
            "interp" => Ok(Tier::Interp),
            "tiered" => Ok(Tier::Tiered),
            "jit" => Ok(Tier::Jit),
            _ => Err(format!(
                "unknown tier `{s}` (expected interp, tiered or jit)"
            )),
        }
    }
}

/// Is the compiling tier built in for this host?
pub(crate) const JIT_AVAILABLE: bool = cfg!(all(
    feature = "jit",
    unix,
    any(target_arch = "x86_64", target_arch = "aarch64")
));

/// Default [`Config::tier_up_threshold`]: calls before a function is compiled.
pub const DEFAULT_TIER_UP_THRESHOLD: u32 = 1000;

/// Default bound of the code cache's size: 512 MiB.
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 512 << 20;

/// Default wasm stack: 128 MiB of value slots, enough for Go programs (whose own
/// harness asks for an 8 MiB native stack) to recurse more than 100,000 frames deep.
pub const DEFAULT_MAX_STACK_BYTES: usize = 128 << 20;

/// Default bound of the memory pool's regions ([`Config::memory_pool`]).
pub const DEFAULT_MEMORY_POOL_REGIONS: usize = 32;

/// Default bound of the memory pool's resident bytes ([`Config::memory_pool`]).
pub const DEFAULT_MEMORY_POOL_BYTES: usize = 128 << 20;

impl Default for Config {
    fn default() -> Self {
        Config {
            max_memory_pages: 65536,
            max_stack_bytes: DEFAULT_MAX_STACK_BYTES,
            max_call_depth: 2_000_000,
            lazy: true,
            fuel: false,
            multi_memory: true,
            cache_dir: None,
            cache_max_bytes: DEFAULT_CACHE_MAX_BYTES,
            cache_version: env!("CARGO_PKG_VERSION").to_string(),
            tier: Tier::default_for_host(),
            tier_up_threshold: DEFAULT_TIER_UP_THRESHOLD,
            tier_up_by_time: true,
            max_gc_heap: crate::gc::heap::DEFAULT_MAX_GC_HEAP,
            memory_pool: (DEFAULT_MEMORY_POOL_REGIONS, DEFAULT_MEMORY_POOL_BYTES),
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

    /// Caps each store's GC heap (structs and arrays, WebAssembly 3.0 GC)
    /// at `bytes` (default [`DEFAULT_MAX_GC_HEAP`](crate::DEFAULT_MAX_GC_HEAP),
    /// 1 GiB). Unreachable objects are collected before the heap would pass
    /// it; an allocation that still does not fit traps with
    /// [`TrapCode::GcHeapExhausted`](crate::TrapCode::GcHeapExhausted).
    pub fn max_gc_heap(&mut self, bytes: usize) -> &mut Self {
        self.max_gc_heap = bytes;
        self
    }

    /// Caps the number of nested wasm calls.
    pub fn max_call_depth(&mut self, depth: usize) -> &mut Self {
        self.max_call_depth = depth.max(1);
        self
    }

    /// Bounds the engine's pool of released linear memories (default on:
    /// [`DEFAULT_MEMORY_POOL_REGIONS`] regions keeping at most
    /// [`DEFAULT_MEMORY_POOL_BYTES`] resident).
    ///
    /// When a store is dropped, each memory its instances defined is reset
    /// in place to what a fresh memory holds (the module's data-segment
    /// image and zeros) and kept for the next instance of the same module:
    /// a per-request server then skips the `mmap`, `mprotect` and `munmap`
    /// calls of each request, the TLB flushes `munmap` sends to the
    /// process's other threads, and — while the pages the instance wrote
    /// fit in `max_bytes` — the page faults on them, as the reset rewrites
    /// those pages and keeps them resident instead of returning them. A
    /// reused memory behaves exactly like a new one: initial contents, size,
    /// growth, limits and out-of-bounds traps.
    ///
    /// The pool keeps at most `max_regions` memories (past that the oldest
    /// is unmapped) holding at most `max_bytes` resident in all (a memory
    /// whose written pages do not fit is kept with none: its pages are
    /// returned to the system). Kept memories also hold address space
    /// (their reservation, up to 4 GiB each) and page tables.
    /// `max_regions` 0 turns pooling off; `max_bytes` 0 keeps no pages.
    /// Linux only (elsewhere memories are always unmapped).
    pub fn memory_pool(&mut self, max_regions: usize, max_bytes: usize) -> &mut Self {
        self.memory_pool = (max_regions, max_bytes);
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

    /// Accepts modules with more than one memory (the multi-memory
    /// proposal, part of WebAssembly 3.0; on by default). Off, such modules
    /// are invalid and memory indices must be encoded as a zero byte, as
    /// before WebAssembly 3.0 (the memory64 proposal's own tests expect this).
    pub fn wasm_multi_memory(&mut self, on: bool) -> &mut Self {
        self.multi_memory = on;
        self
    }

    /// Keeps a code cache in `dir` (`None`, the library's default: no cache;
    /// `wasp run` turns it on in [`Config::default_cache_dir`]).
    ///
    /// An entry is keyed by a BLAKE3 hash of the module's bytes, wasp's version
    /// and build, the cache format and every setting that changes translated
    /// code ([`Config::consume_fuel`]). It holds the validation verdict (a module
    /// loaded from a hit decodes its sections but does not validate its function
    /// bodies again: the same bytes were validated before) and the translated
    /// functions, which [`Module::save_to_cache`](crate::Module::save_to_cache)
    /// adds. Entries are written atomically (a temporary file renamed into
    /// place) and checked when read (header, key and checksum): a truncated or
    /// corrupt entry is deleted and rebuilt. The directory is trusted like the
    /// wasp binary itself: a checked entry's code is run as it is.
    pub fn cache_dir(&mut self, dir: Option<impl Into<PathBuf>>) -> &mut Self {
        self.cache_dir = dir.map(Into::into);
        self
    }

    /// Bounds the cache directory at `bytes` (default [`DEFAULT_CACHE_MAX_BYTES`]):
    /// after each write, the least recently used entries are removed until
    /// the rest fits.
    pub fn cache_max_bytes(&mut self, bytes: u64) -> &mut Self {
        self.cache_max_bytes = bytes;
        self
    }

    /// The version string cache keys use in place of wasp's own (tests of
    /// the cache simulate an upgrade with it).
    #[doc(hidden)]
    pub fn cache_version(&mut self, version: &str) -> &mut Self {
        self.cache_version = version.to_string();
        self
    }

    /// How functions run: [`Tier::Interp`], [`Tier::Tiered`] (the default
    /// where the compiling tier supports the host) or [`Tier::Jit`]. Asking
    /// for a compiling tier where there is none (another architecture, or a
    /// build without the `jit` feature) runs the interpreter. With fuel
    /// ([`Config::consume_fuel`]) everything is interpreted: compiled code
    /// does not meter fuel.
    ///
    /// Compiled and interpreted functions call each other freely; results,
    /// traps, memory and globals are the same in every tier.
    pub fn tier(&mut self, tier: Tier) -> &mut Self {
        self.tier = tier;
        self
    }

    /// Under [`Tier::Tiered`], a function is queued for compilation at its
    /// `calls`-th call (at least 1: 1 compiles on the first call; default
    /// [`DEFAULT_TIER_UP_THRESHOLD`]). Calls before its code is installed run
    /// in the interpreter.
    pub fn tier_up_threshold(&mut self, calls: u32) -> &mut Self {
        self.tier_up_threshold = calls.max(1);
        self
    }

    /// Under [`Tier::Tiered`], whether a function that keeps running counts
    /// towards its tier-up as well as its calls (default on): a ticker
    /// charges the running interpreted function every few milliseconds, so a
    /// function called rarely but looping long is compiled too. Off, tier-up
    /// depends on call counts only, which makes it deterministic (the same
    /// calls compile the same functions whatever the machine's speed).
    pub fn tier_up_by_time(&mut self, on: bool) -> &mut Self {
        self.tier_up_by_time = on;
        self
    }

    /// The tier functions really run in: [`Config::tier`], unless the host
    /// has no compiling tier or fuel is metered ([`Tier::Interp`] then).
    pub fn effective_tier(&self) -> Tier {
        if !JIT_AVAILABLE || self.fuel {
            Tier::Interp
        } else {
            self.tier
        }
    }

    /// The per-user cache directory `wasp run` uses: `$XDG_CACHE_HOME/wasp`,
    /// else `$HOME/.cache/wasp` (`None` when neither variable is set to an
    /// absolute path).
    pub fn default_cache_dir() -> Option<PathBuf> {
        let abs = |v: &str| {
            std::env::var_os(v)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        abs("XDG_CACHE_HOME")
            .or_else(|| abs("HOME").map(|h| h.join(".cache")))
            .map(|d| d.join("wasp"))
    }
}

/// What an engine has done so far: the start-up breakdown (`wasp run
/// --timings`). Times are wall-clock, summed over all modules and stores of
/// the engine; see [`Engine::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Modules loaded (from bytes, with or without a cache hit).
    pub modules_loaded: u64,
    /// Hashing module bytes for the cache key.
    pub hash_time: Duration,
    /// Decoding sections (and validating all but the function bodies).
    pub decode_time: Duration,
    /// Function bodies validated (none for a module found in the cache).
    pub funcs_validated: u64,
    /// Validating function bodies (in parallel: wall-clock time).
    pub validate_time: Duration,
    /// Loads that found a valid cache entry.
    pub cache_hits: u64,
    /// Loads that found none (or one that failed its checks: see `cache_rejected`).
    pub cache_misses: u64,
    /// Entries that were truncated, corrupt or of another format: deleted, rebuilt.
    pub cache_rejected: u64,
    /// Reading and checking cache entries.
    pub cache_load_time: Duration,
    /// Writing cache entries (and bounding the directory's size).
    pub cache_store_time: Duration,
    /// Cache entries written.
    pub cache_writes: u64,
    /// Functions translated from their bytecode.
    pub funcs_translated: u64,
    /// Translating them.
    pub translate_time: Duration,
    /// Functions whose translation came from the cache instead.
    pub funcs_from_cache: u64,
    /// Decoding those, on the thread that needed them.
    pub cache_decode_time: Duration,
    /// Functions decoded from the cache ahead of need, on another thread
    /// (a hit with many functions).
    pub funcs_prefetched: u64,
    /// Decoding those (off the guest's thread).
    pub prefetch_time: Duration,
    /// Instances created.
    pub instantiations: u64,
    /// Instantiating (imports, entities, segments; not the start function).
    pub instantiate_time: Duration,
    /// Active data segments copied into memories.
    pub data_segments: u64,
    /// Copying them (part of `instantiate_time`).
    pub data_segment_time: Duration,
    /// Element segments evaluated.
    pub elem_segments: u64,
    /// Evaluating and copying them (part of `instantiate_time`).
    pub elem_segment_time: Duration,
    /// Functions compiled to native code (and installed).
    pub funcs_compiled: u64,
    /// Functions the compiler was asked for but does not support (they
    /// stay interpreted).
    pub funcs_not_compilable: u64,
    /// Compiling (summed over the threads that compile).
    pub compile_time: Duration,
    /// On-stack replacement entries compiled (one per function and loop
    /// point an interpreted frame asked for).
    pub osr_compiled: u64,
    /// Interpreted frames that continued in native code at a loop point
    /// (on-stack replacement).
    pub osr_entries: u64,
}

/// An [`EngineStats`] counter (see `Stats::add`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stat {
    ModulesLoaded,
    HashTime,
    DecodeTime,
    FuncsValidated,
    ValidateTime,
    CacheHits,
    CacheMisses,
    CacheRejected,
    CacheLoadTime,
    CacheStoreTime,
    CacheWrites,
    FuncsTranslated,
    TranslateTime,
    FuncsFromCache,
    CacheDecodeTime,
    FuncsPrefetched,
    PrefetchTime,
    Instantiations,
    InstantiateTime,
    DataSegments,
    DataSegmentTime,
    ElemSegments,
    ElemSegmentTime,
    JitCompiled,
    JitUnsupported,
    JitCompileTime,
    OsrCompiled,
    OsrEntries,
}

const STAT_COUNT: usize = Stat::OsrEntries as usize + 1;

/// The engine's counters: counts, and times in nanoseconds.
#[derive(Debug, Default)]
pub(crate) struct Stats([AtomicU64; STAT_COUNT]);

impl Stats {
    pub(crate) fn add(&self, stat: Stat, n: u64) {
        self.0[stat as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_time(&self, stat: Stat, d: Duration) {
        self.add(stat, d.as_nanos().min(u64::MAX as u128) as u64);
    }

    fn snapshot(&self) -> EngineStats {
        let n = |s: Stat| self.0[s as usize].load(Ordering::Relaxed);
        let t = |s: Stat| Duration::from_nanos(n(s));
        EngineStats {
            modules_loaded: n(Stat::ModulesLoaded),
            hash_time: t(Stat::HashTime),
            decode_time: t(Stat::DecodeTime),
            funcs_validated: n(Stat::FuncsValidated),
            validate_time: t(Stat::ValidateTime),
            cache_hits: n(Stat::CacheHits),
            cache_misses: n(Stat::CacheMisses),
            cache_rejected: n(Stat::CacheRejected),
            cache_load_time: t(Stat::CacheLoadTime),
            cache_store_time: t(Stat::CacheStoreTime),
            cache_writes: n(Stat::CacheWrites),
            funcs_translated: n(Stat::FuncsTranslated),
            translate_time: t(Stat::TranslateTime),
            funcs_from_cache: n(Stat::FuncsFromCache),
            cache_decode_time: t(Stat::CacheDecodeTime),
            funcs_prefetched: n(Stat::FuncsPrefetched),
            prefetch_time: t(Stat::PrefetchTime),
            instantiations: n(Stat::Instantiations),
            instantiate_time: t(Stat::InstantiateTime),
            data_segments: n(Stat::DataSegments),
            data_segment_time: t(Stat::DataSegmentTime),
            elem_segments: n(Stat::ElemSegments),
            elem_segment_time: t(Stat::ElemSegmentTime),
            funcs_compiled: n(Stat::JitCompiled),
            funcs_not_compilable: n(Stat::JitUnsupported),
            compile_time: t(Stat::JitCompileTime),
            osr_compiled: n(Stat::OsrCompiled),
            osr_entries: n(Stat::OsrEntries),
        }
    }
}

/// The compilation context shared by modules and stores. Cheap to clone; `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default())
    }
}

#[derive(Debug)]
struct EngineInner {
    config: Config,
    /// Released linear memories kept for the next instances (`memory/pool.rs`).
    memory_pool: Arc<crate::memory::pool::MemoryPool>,
    types: Mutex<TypeRegistry>,
    stats: Stats,
    /// The queue of the engine's compiling thread (started on first use).
    #[cfg(all(
        feature = "jit",
        unix,
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    tier_queue: crate::jit::tier::Queue,
}

/// The engine's types: every recursion group interned once (`module/canon.rs`).
#[derive(Debug, Default)]
struct TypeRegistry {
    /// Canonical key of a group → engine id of its first member.
    groups: HashMap<String, u32>,
    /// Per engine id: the value-level signature (empty for struct/array types).
    types: Vec<FuncType>,
    /// Per engine id: kind, run-time layout and supertype chain
    /// (`gc/layout.rs`).
    gc: Vec<Arc<crate::gc::layout::GcType>>,
}

impl Engine {
    /// Creates an engine with `config`.
    pub fn new(config: &Config) -> Self {
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                memory_pool: Arc::new(crate::memory::pool::MemoryPool::new(
                    config.memory_pool.0,
                    config.memory_pool.1,
                )),
                types: Mutex::default(),
                stats: Stats::default(),
                #[cfg(all(
                    feature = "jit",
                    unix,
                    any(target_arch = "x86_64", target_arch = "aarch64")
                ))]
                tier_queue: Default::default(),
            }),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The queue of the engine's compiling thread.
    #[cfg(all(
        feature = "jit",
        unix,
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    pub(crate) fn tier_queue(&self) -> &crate::jit::tier::Queue {
        &self.inner.tier_queue
    }

    /// The engine's pool of released linear memories.
    pub(crate) fn memory_pool(&self) -> &Arc<crate::memory::pool::MemoryPool> {
        &self.inner.memory_pool
    }

    /// The engine's counters (crate-internal side of [`Engine::stats`]).
    pub(crate) fn counters(&self) -> &Stats {
        &self.inner.stats
    }

    /// What the engine has done so far: modules loaded, validated and found
    /// in the cache, functions translated, instances created, and the time
    /// each took.
    pub fn stats(&self) -> EngineStats {
        self.inner.stats.snapshot()
    }

    /// Interns a function type (final, without supertype: a host
    /// function's), returning its engine-wide id.
    pub(crate) fn intern(&self, ty: &FuncType) -> u32 {
        let member = Member {
            ty: ty.clone(),
            sup: SupRef::None,
            kind: TypeKind::Func,
            fields: Vec::new(),
        };
        self.intern_group(crate::module::canon::func_key(ty), vec![member])
    }

    /// Interns a recursion group by its canonical `key`; returns the engine id
    /// of its first member (the others follow in order).
    pub(crate) fn intern_group(&self, key: String, members: Vec<Member>) -> u32 {
        let mut reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = reg.groups.get(&key) {
            return id;
        }
        let first = reg.types.len() as u32;
        for m in members {
            let id = reg.types.len() as u32;
            reg.types.push(m.ty);
            let sup = match m.sup {
                SupRef::None => None,
                SupRef::Id(id) => Some(id),
                SupRef::Local(l) => Some(first + l),
            };
            // A supertype is declared before its subtypes, so its chain exists.
            let mut chain = vec![id];
            if let Some(parent) = sup.and_then(|s| reg.gc.get(s as usize)) {
                chain.extend_from_slice(&parent.supers);
            }
            let gc = crate::gc::layout::GcType::new(m.kind, &m.fields, chain.into());
            reg.gc.push(Arc::new(gc));
        }
        reg.groups.insert(key, first);
        first
    }

    /// Is engine type `a` the same as, or a declared subtype of, type `b`?
    pub(crate) fn is_subtype(&self, a: u32, b: u32) -> bool {
        if a == b {
            return true;
        }
        let reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        reg.gc.get(a as usize).is_some_and(|t| t.is_subtype_of(b))
    }

    /// Whether engine type `id` is a function, struct or array type.
    pub(crate) fn type_kind(&self, id: u32) -> TypeKind {
        let reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        reg.gc.get(id as usize).map_or(TypeKind::Func, |t| t.kind)
    }

    /// The run-time layout of an interned id.
    pub(crate) fn gc_type(&self, id: u32) -> Arc<crate::gc::layout::GcType> {
        let reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        reg.gc[id as usize].clone()
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
