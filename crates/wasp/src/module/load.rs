//! Loading a module, through the code cache when the engine has one, and
//! what loading cost ([`LoadTimings`]).

use super::bytes::ModuleBytes;
use super::{parse, Module, ModuleInner};
use crate::cache::{self, Cache, Entry, Lookup};
use crate::engine::{Engine, Stat};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::CompiledFunc;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
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
    /// Reading the file ([`Module::from_file`] only; with a cache, this
    /// includes hashing it, done block by block as it is read).
    pub read: Duration,
    /// Hashing the bytes for the cache key (zero without a cache); for a
    /// file, the part of `read` spent hashing on the busiest thread.
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
    /// Hashing and the cache lookup ran on another thread while the
    /// sections were decoded (large modules): their times overlap `decode`.
    pub overlapped: bool,
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
    /// Functions translated by this module, in order.
    translated: Mutex<Vec<u32>>,
}

/// A hit with at least this many functions decodes them on another thread
/// ahead of the guest's first calls.
const PREFETCH_MIN: usize = 16;

thread_local! {
    /// Is this thread a prefetcher (for the stats)?
    static PREFETCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Is `bytes` large enough for decoding on one core while hashing on
/// another to pay for the thread (and are there two cores)?
fn speculate(bytes: &[u8]) -> bool {
    bytes.len() >= 256 << 10 && speculate_threads()
}

/// Is there a second core for work done ahead of need?
fn speculate_threads() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// A file read by [`read_file`].
pub(super) struct FileRead {
    pub bytes: ModuleBytes,
    /// The content hash ([`cache::content_hash`]) when asked for, and the
    /// time spent hashing (on the thread that hashed the most).
    pub hash: Option<([u8; 32], Duration)>,
}

/// Reads the file at `path`, and computes its content hash if `hash`.
///
/// A large regular file is read in two halves by two threads, each hashing
/// its 1 MiB blocks right after reading them (while they are in the CPU's
/// cache): the page faults of the fresh buffer, the copy out of the page
/// cache and the hash are shared by both cores. Anything else (a pipe, a
/// file that changes size while read) is read the ordinary way.
pub(super) fn read_file(path: &std::path::Path, hash: bool) -> std::io::Result<FileRead> {
    #[cfg(unix)]
    if let Some(read) = read_in_blocks(path, hash)? {
        return Ok(read);
    }
    let bytes = ModuleBytes::from(std::fs::read(path)?);
    let hash = hash.then(|| {
        let start = Instant::now();
        (cache::content_hash(&bytes), start.elapsed())
    });
    Ok(FileRead { bytes, hash })
}

/// [`read_file`] of a regular file, `None` when it is none (or it changed size).
#[cfg(unix)]
fn read_in_blocks(path: &std::path::Path, hash: bool) -> std::io::Result<Option<FileRead>> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let Ok(len) = usize::try_from(meta.len()) else {
        return Ok(None);
    };
    if !meta.is_file() || len == 0 {
        return Ok(None);
    }
    // Zeroed, but untouched until read into (huge pages: `bytes.rs`).
    let mut bytes = ModuleBytes::zeroed(len);
    let mut hashes = vec![[0u8; 32]; len.div_ceil(cache::HASH_BLOCK)];
    // Blocks of `part` from byte `offset` on, each hashed as read.
    let read_part = |part: &mut [u8], sums: &mut [[u8; 32]], offset: usize| {
        let mut hashing = Duration::ZERO;
        for (i, block) in part.chunks_mut(cache::HASH_BLOCK).enumerate() {
            file.read_exact_at(block, (offset + i * cache::HASH_BLOCK) as u64)?;
            if hash {
                let start = Instant::now();
                sums[i] = cache::block_hash(block);
                hashing += start.elapsed();
            }
        }
        Ok::<_, std::io::Error>(hashing)
    };
    let blocks = hashes.len();
    let read = if blocks >= 4 && speculate_threads() {
        // An even number of blocks: the halves meet at a huge page's edge.
        let mid = (blocks / 2) & !1;
        let (a, b) = bytes.split_at_mut(mid * cache::HASH_BLOCK);
        let (ha, hb) = hashes.split_at_mut(mid);
        std::thread::scope(|s| {
            let read_part = &read_part;
            let second = s.spawn(move || read_part(b, hb, mid * cache::HASH_BLOCK));
            let first = read_part(a, ha, 0);
            let second = second
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            Ok::<_, std::io::Error>(first?.max(second?))
        })
    } else {
        read_part(&mut bytes, &mut hashes, 0)
    };
    let hashing = match read {
        Ok(t) => t,
        // Shorter than it said: it changed while read.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    };
    // Longer than it said: the same.
    if file.read_at(&mut [0u8], len as u64)? != 0 {
        return Ok(None);
    }
    let hash = hash.then(|| (cache::combine_blocks(len, &hashes), hashing));
    Ok(Some(FileRead { bytes, hash }))
}

impl Module {
    /// Decodes (through the cache) and validates `bytes`, a binary module.
    /// `content` is its content hash with the time taken, when the reader
    /// already computed it.
    pub(super) fn load(
        engine: &Engine,
        bytes: ModuleBytes,
        read: Duration,
        content: Option<([u8; 32], Duration)>,
    ) -> Result<Module> {
        let stats = engine.counters();
        let cache = Cache::of(engine.config());
        let mut t = LoadTimings {
            read,
            ..LoadTimings::default()
        };
        let mut found = None;
        let mut decoded = None;
        let mut speculated = false;
        let key = cache.as_ref().map(|c| {
            let look = || {
                let start = Instant::now();
                let (content, hash) =
                    content.unwrap_or_else(|| (cache::content_hash(&bytes), start.elapsed()));
                let key = cache::key(engine.config(), &content);
                let start = Instant::now();
                let lookup = c.load(&key);
                (key, hash, lookup, start.elapsed())
            };
            // Hashing and reading the entry overlap with decoding the
            // sections as if the entry said "valid" (what it says on every
            // run after the first); on a miss that decoding is thrown away.
            let (key, hash, lookup, load) = if speculate(&bytes) {
                speculated = true;
                std::thread::scope(|s| {
                    let looking = s.spawn(look);
                    let start = Instant::now();
                    decoded = parse::parse(engine, &bytes, false)
                        .ok()
                        .map(|p| (p, start.elapsed()));
                    looking
                        .join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p))
                })
            } else {
                look()
            };
            t.hash = hash;
            t.cache_load = load;
            t.overlapped = speculated;
            t.cache = match lookup {
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
            key
        });
        let (info, cost) = match decoded.filter(|_| found.is_some()) {
            Some((parsed, took)) => {
                t.decode = took;
                parsed
            }
            None => {
                let start = Instant::now();
                // A hit whose speculative decoding failed validates too:
                // the error it reports is then the validator's.
                let validate = found.is_none() || speculated;
                let (info, cost) = parse::parse(engine, &bytes, validate)?;
                t.decode = start.elapsed().saturating_sub(cost.tail);
                (info, cost)
            }
        };
        t.validate = cost.validate;
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
                tier: crate::exec::TierState::new(
                    info.funcs.len(),
                    info.num_imported_funcs,
                    engine.config(),
                    info.allocates,
                ),
                info,
                bytes,
                compiled,
                load: t,
                cache: cache.zip(key).map(|(cache, key)| ModuleCache {
                    cache,
                    key,
                    entry: found,
                    dirty: AtomicBool::new(miss),
                    translated: Mutex::default(),
                }),
                images: Default::default(),
            }),
        };
        if !engine.config().lazy {
            for i in 0..module.inner.info.bodies.len() {
                module.inner.compiled_func(i as u32)?;
            }
        }
        module.prefetch();
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

    /// On a hit, decodes the entry's functions on another thread, in the
    /// order an earlier run first called them, so the guest mostly finds
    /// them ready. The thread holds no strong reference: it stops when
    /// the module is dropped.
    fn prefetch(&self) {
        let Some(entry) = self.inner.cache.as_ref().and_then(|c| c.entry.as_ref()) else {
            return;
        };
        if entry.order().len() < PREFETCH_MIN || !speculate_threads() {
            return;
        }
        let n = entry.order().len();
        let weak = Arc::downgrade(&self.inner);
        let _ = std::thread::Builder::new()
            .name("wasp-cache-prefetch".into())
            .spawn(move || {
                PREFETCHING.set(true);
                for i in 0..n {
                    let Some(inner) = weak.upgrade() else { return };
                    let entry = inner.cache.as_ref().and_then(|c| c.entry.as_ref());
                    let Some(&def) = entry.and_then(|e| e.order().get(i)) else {
                        return;
                    };
                    if (def as usize) < inner.compiled.len() {
                        let _ = inner.compiled_func(def);
                    }
                }
            });
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
        // First use first: what earlier runs recorded, then this run's.
        let translated = mc
            .translated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut seen = std::collections::HashSet::new();
        let order: Vec<u32> = [mc.entry.as_ref(), on_disk.as_ref()]
            .into_iter()
            .flatten()
            .flat_map(|e| e.order().iter().copied())
            .chain(translated)
            .filter(|d| blobs.contains_key(d) && seen.insert(*d))
            .collect();
        mc.cache
            .store(&mc.key, &cache::encode(&mc.key, true, &list, &order))
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
        if PREFETCHING.get() {
            stats.add(Stat::FuncsPrefetched, 1);
            stats.add_time(Stat::PrefetchTime, start.elapsed());
        } else {
            stats.add(Stat::FuncsFromCache, 1);
            stats.add_time(Stat::CacheDecodeTime, start.elapsed());
        }
        Some(code)
    }

    /// Notes that defined function `def` was translated: the entry lacks it.
    pub(super) fn learned(&self, def: u32) {
        if let Some(mc) = &self.cache {
            mc.dirty.store(true, Ordering::Release);
            mc.translated
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(def);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file read in blocks (two threads past 4 MiB) gives its exact bytes
    /// and the content hash the same bytes give from memory.
    #[test]
    fn files_read_in_blocks_give_their_bytes_and_hash() {
        let dir = std::env::temp_dir().join(format!("wasp-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for len in [1, cache::HASH_BLOCK, 5 * cache::HASH_BLOCK + 3] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 253) as u8).collect();
            let path = dir.join("m.bin");
            std::fs::write(&path, &data).unwrap();
            let read = read_file(&path, true).unwrap();
            assert!(*read.bytes == data[..], "{len} bytes");
            assert_eq!(read.hash.unwrap().0, cache::content_hash(&data), "{len}");
            assert!(read_file(&path, false).unwrap().hash.is_none());
        }
        // Not a regular file: read the ordinary way.
        #[cfg(unix)]
        {
            let empty = read_file(std::path::Path::new("/dev/null"), true).unwrap();
            assert!(empty.bytes.is_empty());
            assert_eq!(empty.hash.unwrap().0, cache::content_hash(&[]));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
