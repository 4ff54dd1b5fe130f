//! Loading a module, through the code cache when the engine has one, and
//! what loading cost ([`LoadTimings`]).

use super::{parse, Module, ModuleInner};
use crate::cache::{self, Cache, Entry, Lookup};
use crate::engine::{Engine, Stat};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::CompiledFunc;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// What the code cache did for a module's load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheStatus {
    /// The engine has no cache.
    #[default]
    Off,
    /// No entry: the module was validated (and its entry written).
    Miss,
    /// An entry said the module is valid: its function bodies were not
    /// validated again, and its translated functions are used.
    Hit,
    /// An entry failed its checks (truncated, corrupt, another format): it
    /// was deleted and the module was loaded as on a miss.
    Rejected,
}

/// What loading one module cost ([`Module::load_timings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadTimings {
    /// Reading the file ([`Module::from_file`] only).
    pub read: Duration,
    /// Hashing the bytes for the cache key (zero without a cache).
    pub hash: Duration,
    /// Reading and checking the cache entry.
    pub cache_load: Duration,
    /// Decoding the sections (and validating all but the function bodies).
    pub decode: Duration,
    /// Validating the function bodies (zero on a cache hit).
    pub validate: Duration,
    /// Function bodies validated (zero on a cache hit).
    pub funcs_validated: u64,
    /// What the cache did.
    pub cache: CacheStatus,
    /// Translated functions the cache entry holds.
    pub cached_funcs: usize,
    /// Why the entry was rejected ([`CacheStatus::Rejected`]), e.g. "checksum mismatch".
    pub rejected: Option<&'static str>,
}

/// A module's link to its cache entry.
#[derive(Debug)]
pub(crate) struct ModuleCache {
    cache: Cache,
    key: [u8; 32],
    /// The entry found at load (a hit).
    entry: Option<Entry>,
    /// Has the module learned something its entry lacks?
    dirty: AtomicBool,
}

impl Module {
    /// Decodes (through the cache) and validates `bytes`, a binary module.
    pub(super) fn load(engine: &Engine, bytes: Vec<u8>, read: Duration) -> Result<Module> {
        let stats = engine.counters();
        let cache = Cache::of(engine.config());
        let mut t = LoadTimings {
            read,
            ..LoadTimings::default()
        };
        let mut found = None;
        let key = cache.as_ref().map(|c| {
            let start = Instant::now();
            let key = cache::key(engine.config(), &bytes);
            t.hash = start.elapsed();
            let start = Instant::now();
            t.cache = match c.load(&key) {
                Lookup::Hit(e) => {
                    found = Some(e);
                    CacheStatus::Hit
                }
                Lookup::Miss => CacheStatus::Miss,
                Lookup::Rejected(why) => {
                    t.rejected = Some(why);
                    CacheStatus::Rejected
                }
            };
            t.cache_load = start.elapsed();
            key
        });
        let start = Instant::now();
        let (info, cost) = parse::parse(engine, &bytes, found.is_none())?;
        let total = start.elapsed();
        t.validate = cost.validate;
        t.decode = total.saturating_sub(cost.validate);
        t.funcs_validated = cost.funcs_validated;
        t.cached_funcs = found.as_ref().map_or(0, Entry::func_count);

        stats.add(Stat::ModulesLoaded, 1);
        stats.add_time(Stat::HashTime, t.hash);
        stats.add_time(Stat::CacheLoadTime, t.cache_load);
        stats.add_time(Stat::DecodeTime, t.decode);
        stats.add_time(Stat::ValidateTime, t.validate);
        stats.add(Stat::FuncsValidated, t.funcs_validated);
        match t.cache {
            CacheStatus::Off => {}
            CacheStatus::Hit => stats.add(Stat::CacheHits, 1),
            CacheStatus::Miss => stats.add(Stat::CacheMisses, 1),
            CacheStatus::Rejected => {
                stats.add(Stat::CacheMisses, 1);
                stats.add(Stat::CacheRejected, 1);
            }
        }

        let miss = found.is_none();
        let compiled = (0..info.bodies.len()).map(|_| OnceLock::new()).collect();
        let module = Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info,
                bytes,
                compiled,
                load: t,
                cache: cache.zip(key).map(|(cache, key)| ModuleCache {
                    cache,
                    key,
                    entry: found,
                    dirty: AtomicBool::new(miss),
                }),
            }),
        };
        if !engine.config().lazy {
            for i in 0..module.inner.info.bodies.len() {
                module.inner.compiled_func(i as u32)?;
            }
        }
        if miss {
            // The verdict at least: the next load skips validation. The
            // cache is an optimisation: failing to write it is no error.
            let _ = module.save_to_cache();
        }
        Ok(module)
    }

    /// What loading this module cost: reading, hashing, cache lookup,
    /// decoding and validation, and what the code cache did.
    pub fn load_timings(&self) -> LoadTimings {
        self.inner.load
    }

    /// Adds what this module learned since it was loaded (the functions
    /// translated so far) to its code cache entry, merged with what the entry
    /// already holds (also what other processes added meanwhile). Returns
    /// whether an entry was written: `false` without a cache
    /// ([`Config::cache_dir`](crate::Config::cache_dir)) or when the entry
    /// already holds everything. `wasp run` calls it when the guest is done.
    pub fn save_to_cache(&self) -> Result<bool> {
        let inner = &*self.inner;
        let Some(mc) = &inner.cache else {
            return Ok(false);
        };
        if !mc.dirty.swap(false, Ordering::AcqRel) {
            return Ok(false);
        }
        let start = Instant::now();
        let written = self.write_entry(mc);
        if written.is_err() {
            mc.dirty.store(true, Ordering::Release);
        }
        let stats = inner.engine.counters();
        stats.add_time(Stat::CacheStoreTime, start.elapsed());
        written.map_err(|e| Error::new(ErrorKind::Usage, format!("code cache: {e}")))?;
        stats.add(Stat::CacheWrites, 1);
        Ok(true)
    }

    fn write_entry(&self, mc: &ModuleCache) -> std::io::Result<()> {
        let inner = &*self.inner;
        // Engine type id -> the module's first type index with that id.
        let mut to_module = HashMap::new();
        for (i, &id) in inner.info.type_ids.iter().enumerate().rev() {
            to_module.insert(id, i as u32);
        }
        let on_disk = match mc.cache.load(&mc.key) {
            Lookup::Hit(e) => Some(e),
            _ => None,
        };
        let mut blobs: BTreeMap<u32, Cow<'_, [u8]>> = BTreeMap::new();
        for e in [on_disk.as_ref(), mc.entry.as_ref()].into_iter().flatten() {
            for (def, blob) in e.funcs() {
                blobs.entry(def).or_insert(Cow::Borrowed(blob));
            }
        }
        for (def, cell) in inner.compiled.iter().enumerate() {
            let def = def as u32;
            if let (Some(code), false) = (cell.get(), blobs.contains_key(&def)) {
                if let Some(blob) = cache::encode_func(code, |t| to_module.get(&t).copied()) {
                    blobs.insert(def, Cow::Owned(blob));
                }
            }
        }
        let list: Vec<(u32, &[u8])> = blobs.iter().map(|(d, b)| (*d, &**b)).collect();
        mc.cache
            .store(&mc.key, &cache::encode(&mc.key, true, &list))
    }
}

impl ModuleInner {
    /// The translation of defined function `def` from the cache entry, if
    /// it holds a well-formed one.
    pub(super) fn cached_func(&self, def: u32) -> Option<CompiledFunc> {
        let blob = self.cache.as_ref()?.entry.as_ref()?.func(def)?;
        let start = Instant::now();
        let types = &self.info.type_ids;
        let code = cache::decode_func(blob, |i| types.get(i as usize).copied())?;
        let params = self
            .info
            .func_type(self.info.num_imported_funcs + def)
            .params()
            .len();
        if code.params as usize != params
            || (code.frame_size as usize) < params + code.locals as usize
        {
            return None;
        }
        let stats = self.engine.counters();
        stats.add(Stat::FuncsFromCache, 1);
        stats.add_time(Stat::CacheDecodeTime, start.elapsed());
        Some(code)
    }

    /// Notes that a function was translated: the entry lacks it.
    pub(super) fn learned(&self) {
        if let Some(mc) = &self.cache {
            mc.dirty.store(true, Ordering::Release);
        }
    }
}
