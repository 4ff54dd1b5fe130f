//! [`Store`]: owns every runtime entity (functions, memories, tables, globals,
//! instances), the host state `T`, and the wasm stack that executions share.
//!
//! Handles such as [`Func`](crate::Func) or [`Memory`](crate::Memory) are
//! indices into the store that created them, tagged with that store's
//! [`StoreId`]: every API entry checks the tag, so a handle used with another
//! store panics with a message naming the mistake instead of acting on an
//! unrelated entity of that store.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result, Trap, TrapCode};
use crate::exec::Stack;
use crate::func::HostFunc;
use crate::limits::ResourceLimiter;
use crate::memory::image::MemoryImage;
use crate::memory::table::TableElems;
use crate::memory::LinearMemory;
use crate::module::Module;
use crate::types::{GlobalType, MemoryType, TableType};
use std::any::Any;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Store function indices from here on are the instances' defined
/// functions (see [`StoreInner::func`]); below it, `StoreInner::funcs`.
pub(crate) const DEFINED_BASE: u32 = 1 << 31;

/// A function in the store: an entry of `StoreInner::funcs` (host
/// functions), or made on demand for a defined function by
/// [`StoreInner::func`].
#[derive(Clone, Copy)]
pub(crate) struct FuncEntity {
    /// Engine-wide type id.
    pub ty: u32,
    pub params: u16,
    pub results: u16,
    pub kind: FuncKind,
}

#[derive(Clone, Copy)]
pub(crate) enum FuncKind {
    /// A defined function of instance `instance`. Its translated code
    /// lives in the module (`ModuleInner::compiled`, shared by every
    /// instance in every store): the entity holds no reference to count.
    Wasm {
        instance: u32,
        /// Index among the module's defined functions.
        def: u32,
    },
    /// Index into `Store::host_funcs`.
    Host(u32),
}

pub(crate) struct MemoryEntity {
    /// The bytes: `data.len()` is the current size, `data.as_mut_ptr()` a
    /// base that compiled code and the interpreter reload after each grow.
    pub data: LinearMemory,
    pub ty: MemoryType,
    /// Effective maximum in bytes (the declared maximum capped by the engine
    /// config's `max_memory_pages`, so never above 4 GiB, memory64 or not).
    pub max_bytes: u64,
    /// The store's limiter, consulted on growth.
    pub limiter: LimiterRef,
}

impl MemoryEntity {
    /// A memory of `ty`'s minimum size growing to at most `max_bytes`, its
    /// first bytes from `image`; `None` if the host has no room.
    pub fn new(
        ty: MemoryType,
        max_bytes: u64,
        image: Option<&MemoryImage>,
        limiter: LimiterRef,
    ) -> Option<MemoryEntity> {
        Self::new_in(None, ty, max_bytes, image, limiter)
    }

    /// [`new`](Self::new), its region taken from (and returned at drop to)
    /// `pool` when given (`memory/pool.rs`).
    pub fn new_in(
        pool: Option<&Arc<crate::memory::pool::MemoryPool>>,
        ty: MemoryType,
        max_bytes: u64,
        image: Option<&MemoryImage>,
        limiter: LimiterRef,
    ) -> Option<MemoryEntity> {
        let len = usize::try_from(ty.limits.min.checked_mul(ty.page_size())?).ok()?;
        let max = usize::try_from(max_bytes).ok()?;
        let data = match pool {
            Some(pool) => LinearMemory::pooled(pool, len, max, image)?,
            None => LinearMemory::with_image(len, max, image)?,
        };
        Some(MemoryEntity {
            data,
            ty,
            max_bytes,
            limiter,
        })
    }

    /// The effective maximum in bytes of a memory of type `ty` under an
    /// engine cap of `cap_pages` 64 KiB pages.
    pub fn max_bytes_for(ty: &MemoryType, cap_pages: u32) -> u64 {
        let cap = u64::from(cap_pages) * 65536;
        let declared = ty
            .limits
            .max
            .unwrap_or(ty.max_addressable_pages())
            .saturating_mul(ty.page_size());
        declared.min(cap)
    }

    /// The size in pages of the memory's own page size.
    pub fn pages64(&self) -> u64 {
        (self.data.len() as u64) >> self.ty.page_size_log2
    }

    /// Grows by `delta` 64 KiB pages; returns the old size or `None` on
    /// failure (over the maximum, refused by the store's limiter, or no host
    /// memory). Only for memories of the default page size.
    pub fn grow(&mut self, delta: u32) -> Option<u32> {
        self.try_grow(delta).ok().flatten()
    }

    /// [`grow`](Self::grow), with the limiter's error kept.
    pub fn try_grow(&mut self, delta: u32) -> Result<Option<u32>> {
        Ok(self.try_grow64(delta.into())?.map(|old| old as u32))
    }

    /// Grows by `delta` pages of the memory's page size; returns the old
    /// size in those pages or `None` on failure.
    pub fn grow64(&mut self, delta: u64) -> Option<u64> {
        self.try_grow64(delta).ok().flatten()
    }

    /// [`grow64`](Self::grow64), with the limiter's error kept.
    pub fn try_grow64(&mut self, delta: u64) -> Result<Option<u64>> {
        let old = self.pages64();
        let shift = self.ty.page_size_log2;
        let Some(new) = old.checked_add(delta) else {
            return Ok(None);
        };
        if new > (self.max_bytes >> shift) {
            return Ok(None);
        }
        if delta == 0 {
            return Ok(Some(old));
        }
        let (cur, want) = (self.data.len(), (new << shift) as usize);
        let max = self
            .ty
            .limits
            .max
            .map(|m| m.saturating_mul(self.ty.page_size()).min(usize::MAX as u64) as usize);
        if !self.limiter.allows(|l| l.memory_growing(cur, want, max))? {
            return Ok(None);
        }
        Ok(self.data.grow_to(want).then_some(old))
    }
}

pub(crate) struct TableEntity {
    /// The elements; shared with the module's prepared tables until the
    /// first write (`memory/table.rs`).
    pub elems: TableElems,
    pub ty: TableType,
    /// The store's limiter, consulted on growth.
    pub limiter: LimiterRef,
}

impl TableEntity {
    pub fn grow(&mut self, delta: u32, init: u64) -> Option<u32> {
        self.try_grow(delta, init).ok().flatten()
    }

    /// [`grow`](Self::grow), with the limiter's error kept.
    pub fn try_grow(&mut self, delta: u32, init: u64) -> Result<Option<u32>> {
        let old = self.elems.len() as u32;
        let Some(new) = old.checked_add(delta) else {
            return Ok(None);
        };
        if new > self.ty.limits.max.unwrap_or(u32::MAX) || new > 10_000_000 {
            return Ok(None);
        }
        if delta > 0 {
            let max = self.ty.limits.max.map(|m| m as usize);
            if !self
                .limiter
                .allows(|l| l.table_growing(old as usize, new as usize, max))?
            {
                return Ok(None);
            }
        }
        if self.elems.try_reserve(delta as usize).is_err() {
            return Ok(None);
        }
        self.elems.resize(new as usize, init);
        Ok(Some(old))
    }
}

/// Reaches a store's [`ResourceLimiter`] from one of its memories or tables
/// (which grow from wasm code with no access to the store): a pointer to the
/// store's [`LimiterCell`], or nothing while the store has no limiter.
#[derive(Clone, Copy, Default)]
pub(crate) struct LimiterRef(Option<NonNull<LimiterCell>>);

// SAFETY: the cell is owned by the store that owns the entity holding this
// pointer; it is only dereferenced through `&mut` access to that entity,
// i.e. by the thread that has the store exclusively.
unsafe impl Send for LimiterRef {}
// SAFETY: shared access never dereferences it.
unsafe impl Sync for LimiterRef {}

impl LimiterRef {
    /// Asks the limiter (`true` when there is none).
    pub fn allows(
        &mut self,
        ask: impl FnOnce(&mut dyn ResourceLimiter) -> Result<bool>,
    ) -> Result<bool> {
        let Some(cell) = self.0 else {
            return Ok(true);
        };
        // SAFETY: the cell lives in a heap allocation owned by the store
        // (`LimiterOwner`), freed only when the store is dropped, after its
        // entities; the caller has exclusive access to the store (it holds
        // `&mut` to one of its entities), so nothing else uses the cell.
        let cell = unsafe { &mut *cell.as_ptr() };
        match cell.hook.as_mut() {
            Some(h) => ask(h.limiter()),
            None => Ok(true),
        }
    }
}

/// The store's installed limiter, type-erased (see [`Store::limiter`]).
pub(crate) struct LimiterCell {
    hook: Option<Box<dyn LimiterHook>>,
}

trait LimiterHook {
    fn limiter(&mut self) -> &mut dyn ResourceLimiter;
}

/// The user's accessor and a pointer to the store's (heap-allocated) data.
struct Hook<T> {
    data: NonNull<T>,
    get: Box<dyn (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync>,
}

impl<T> LimiterHook for Hook<T> {
    fn limiter(&mut self) -> &mut dyn ResourceLimiter {
        // SAFETY: `data` is the store's boxed `T`, alive as long as the store
        // (which owns this hook). The limiter is asked only during store
        // operations that hold the store exclusively and no `&T`/`&mut T`
        // from `Store::data`/`data_mut` can be live across them (those
        // borrow the store), so this is the only reference.
        let data = unsafe { &mut *self.data.as_ptr() };
        (self.get)(data)
    }
}

/// Owns the store's [`LimiterCell`] at a stable heap address.
pub(crate) struct LimiterOwner(Option<NonNull<LimiterCell>>);

// SAFETY: as for `LimiterRef`: the owning store's thread alone uses it. The
// hook inside may point at the store's `T`, but the store is only `Send`
// when `T` is (through `DataBox<T>`), and the hook's closure is `Send + Sync`.
unsafe impl Send for LimiterOwner {}
// SAFETY: shared access never dereferences it.
unsafe impl Sync for LimiterOwner {}

impl LimiterOwner {
    /// The reference entities keep (nothing until a limiter is installed).
    pub fn get(&self) -> LimiterRef {
        LimiterRef(self.0)
    }
}

impl Drop for LimiterOwner {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            // SAFETY: `p` came from `Box::into_raw` in `Store::limiter` and is
            // freed once, here; the entities that copied it are fields of the
            // same store and never use it while the store is being dropped.
            drop(unsafe { Box::from_raw(p.as_ptr()) });
        }
    }
}

/// The store's host data, boxed so that its address survives moves of the
/// store (the limiter hook points at it).
pub(crate) struct DataBox<T>(NonNull<T>);

// SAFETY: `DataBox<T>` owns its `T` like `Box<T>`.
unsafe impl<T: Send> Send for DataBox<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for DataBox<T> {}

impl<T> DataBox<T> {
    fn new(data: T) -> Self {
        DataBox(NonNull::from(Box::leak(Box::new(data))))
    }

    fn into_inner(self) -> T {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: the pointer came from `Box::leak` and `this` is never
        // dropped, so the box is reclaimed exactly once.
        *unsafe { Box::from_raw(this.0.as_ptr()) }
    }
}

impl<T> std::ops::Deref for DataBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: we own the allocation; `&self` gives shared access.
        unsafe { self.0.as_ref() }
    }
}

impl<T> std::ops::DerefMut for DataBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: we own the allocation; `&mut self` gives unique access.
        unsafe { self.0.as_mut() }
    }
}

impl<T> Drop for DataBox<T> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::leak`; dropped once.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

/// `repr(C)`: a `v128` global's high half sits right after `value`, so
/// the interpreter reads both through one [`GlobalPtr`].
#[repr(C)]
pub(crate) struct GlobalEntity {
    pub value: u64,
    /// The high half of a `v128` value (0 for other types).
    pub hi: u64,
    pub ty: GlobalType,
}

impl GlobalEntity {
    /// The value as the API sees it.
    pub fn get(&self, store: StoreId) -> crate::Val {
        match self.ty.content {
            crate::ValType::V128 => crate::Val::V128(self.v128()),
            t => crate::Val::from_raw(self.value, t, store),
        }
    }

    /// The high half of a `v128` global's value (`None` for other types).
    pub fn v128_hi(&self) -> Option<u64> {
        (self.ty.content == crate::ValType::V128).then_some(self.hi)
    }

    /// Both halves as one `v128`.
    pub fn v128(&self) -> u128 {
        self.value as u128 | (self.hi as u128) << 64
    }
}

/// A pointer to a global's value inside its boxed [`GlobalEntity`].
/// Transparent: compiled code reads an instance's `global_ptrs` as an array
/// of `*mut u64` (`jit/runtime.rs`).
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct GlobalPtr(pub *mut u64);

// SAFETY: a `GlobalPtr` points into a `Box<GlobalEntity>` owned by the same
// store as the instance holding it; boxes are never freed or moved while the
// store lives, and the pointer is only dereferenced by the executor while it
// has `&mut` access to that store.
unsafe impl Send for GlobalPtr {}
// SAFETY: as above; shared access never dereferences it.
unsafe impl Sync for GlobalPtr {}

pub(crate) struct InstanceEntity {
    pub module: Module,
    /// Store indices of the instance's functions, tables, memories, globals.
    pub funcs: Vec<u32>,
    pub tables: Vec<u32>,
    pub memories: Vec<u32>,
    pub globals: Vec<u32>,
    /// The value of each of `globals`, resolved once for the interpreter.
    pub global_ptrs: Box<[GlobalPtr]>,
    /// Element segments (raw refs); emptied by `elem.drop`.
    pub elems: Vec<Arc<[u64]>>,
    /// Whether each data segment was dropped.
    /// Shared with the module's memory image (which drops every active
    /// segment) until a `data.drop` makes the instance's own copy: Go's
    /// hello has ~28,000 segments.
    pub dropped_data: Arc<Vec<bool>>,
    /// Store indices of the instance's tags.
    pub tags: Vec<u32>,
    /// The store index of the instance's first defined function (the
    /// others follow in order), and their signatures (shared by every
    /// instance of the module).
    pub def_base: u32,
    pub sigs: Arc<[crate::memory::image::FuncSig]>,
}

/// The identity of a store: unique in the process, never reused. Opaque;
/// it appears in the hidden methods of [`WasmTy`](crate::WasmTy).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreId(u64);

impl StoreId {
    /// The id as a number (unique in the process, never 0): the compiling
    /// tier's `call_indirect` cache tag (unused without it).
    #[allow(dead_code)]
    pub(crate) fn raw(self) -> u64 {
        self.0
    }

    fn fresh() -> StoreId {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        StoreId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// An entity index tagged with the store that owns the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Stored {
    store: StoreId,
    index: u32,
}

impl Stored {
    pub(crate) fn new(store: StoreId, index: u32) -> Stored {
        Stored { store, index }
    }

    /// The entity's index in `inner`; panics if the handle (a `what`) belongs
    /// to another store. Mixing stores is a bug in the embedder, as in
    /// wasmtime and wasmi, and must never act on the wrong entity.
    #[track_caller]
    pub(crate) fn index(self, inner: &StoreInner, what: &str) -> usize {
        assert!(
            self.store == inner.id,
            "wasp: {what} used with a store other than the one that created it"
        );
        self.index as usize
    }

    /// Does the handle belong to the store with id `id`?
    pub(crate) fn belongs_to_id(self, id: StoreId) -> bool {
        self.store == id
    }

    /// The index without the store check, for values already checked.
    pub(crate) fn raw(self) -> u32 {
        self.index
    }
}

/// The non-generic part of a store.
pub(crate) struct StoreInner {
    pub id: StoreId,
    pub engine: Engine,
    /// Host functions (store indices below [`DEFINED_BASE`]).
    pub funcs: Vec<FuncEntity>,
    /// The instances with defined functions, by increasing `def_base`:
    /// `(def_base, instance)`. The defined functions take no per-function
    /// memory in the store: [`StoreInner::func`] makes their entities.
    pub defined: Vec<(u32, u32)>,
    /// The next free index for defined functions.
    pub next_defined: u32,
    pub tables: Vec<TableEntity>,
    pub memories: Vec<MemoryEntity>,
    /// Boxed so that their addresses are stable: instances point at them.
    #[allow(clippy::vec_box)] // the boxes keep addresses stable as the Vec grows
    pub globals: Vec<Box<GlobalEntity>>,
    pub instances: Vec<InstanceEntity>,
    pub externs: Vec<Box<dyn Any + Send + Sync>>,
    /// Tags and the exception heap (`exception.rs`).
    pub exn: crate::exception::ExnStore,
    /// Structs and arrays (`gc/`).
    pub gc: crate::gc::heap::Heap,
    pub stack: Stack,
    /// The position probe and a running profiler (`profile.rs`).
    pub observers: crate::profile::Observers,
    /// The installed resource limiter, if any (`Store::limiter`).
    pub limiter: LimiterOwner,
}

impl StoreInner {
    /// The function with store index `idx` (a host function's entry, or a
    /// defined function's entity made from its instance's signatures).
    #[inline]
    pub fn func(&self, idx: u32) -> FuncEntity {
        if idx < DEFINED_BASE {
            return self.funcs[idx as usize];
        }
        let k = self.defined.partition_point(|&(base, _)| base <= idx);
        let (base, instance) = self.defined[k.checked_sub(1).expect("a defined function index")];
        let def = idx - base;
        let s = self.instances[instance as usize].sigs[def as usize];
        FuncEntity {
            ty: s.ty,
            params: s.params,
            results: s.results,
            kind: FuncKind::Wasm { instance, def },
        }
    }

    /// Asks the limiter (`true` when there is none).
    pub fn limiter_allows(
        &mut self,
        ask: impl FnOnce(&mut dyn ResourceLimiter) -> Result<bool>,
    ) -> Result<bool> {
        self.limiter.get().allows(ask)
    }

    /// The limiter's count caps: (instances, memories, tables).
    pub fn count_limits(&mut self) -> (usize, usize, usize) {
        let mut caps = (usize::MAX, usize::MAX, usize::MAX);
        let _ = self.limiter.get().allows(|l| {
            caps = (l.instances(), l.memories(), l.tables());
            Ok(true)
        });
        caps
    }

    /// Fails if adding `instances`, `memories` and `tables` would exceed the
    /// limiter's caps.
    pub fn check_counts(&mut self, instances: usize, memories: usize, tables: usize) -> Result<()> {
        let (i, m, t) = self.count_limits();
        let over = |what: &str, have: usize, add: usize, cap: usize| {
            if add > 0 && have.saturating_add(add) > cap {
                Err(Error::new(
                    ErrorKind::Usage,
                    format!("resource limit exceeded: the store may hold at most {cap} {what}"),
                ))
            } else {
                Ok(())
            }
        };
        over("instances", self.instances.len(), instances, i)?;
        over("memories", self.memories.len(), memories, m)?;
        over("tables", self.tables.len(), tables, t)
    }
}

/// Owns all WebAssembly state and the host data `T`.
///
/// Everything instantiated in a store lives as long as the store.
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) host_funcs: Vec<HostFunc<T>>,
    pub(crate) data: DataBox<T>,
}

impl<T> Store<T> {
    /// Creates a store with host state `data`.
    pub fn new(engine: &Engine, data: T) -> Self {
        Store {
            inner: StoreInner {
                id: StoreId::fresh(),
                engine: engine.clone(),
                funcs: Vec::new(),
                defined: Vec::new(),
                next_defined: DEFINED_BASE,
                tables: Vec::new(),
                memories: Vec::new(),
                globals: Vec::new(),
                instances: Vec::new(),
                externs: Vec::new(),
                exn: Default::default(),
                gc: crate::gc::heap::Heap::new(engine.config().max_gc_heap),
                stack: Stack::new(engine.config()),
                observers: Default::default(),
                limiter: LimiterOwner(None),
            },
            host_funcs: Vec::new(),
            data: DataBox::new(data),
        }
    }

    /// The engine of this store.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Collects the store's GC heap now (unreachable structs and arrays
    /// are freed; wasm also collects by itself as it allocates). Does
    /// nothing while compiled code is running in the store.
    pub fn gc(&mut self) {
        if self.inner.stack.native_depth == 0 {
            let end = self.inner.stack.top;
            crate::gc::roots::collect(&mut self.inner, end);
        }
    }

    /// What the store's GC heap holds and its collector has done.
    pub fn gc_stats(&self) -> crate::GcStats {
        self.inner.gc.stats()
    }

    /// The host state.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// A handle that stops wasm code running in this store from any thread:
    /// the calls in progress trap with
    /// [`TrapCode::Interrupted`](crate::TrapCode::Interrupted) at their next
    /// loop iteration, call or return, and a WASI call blocked in the host
    /// (`poll_oneoff`, a read) returns at once with the same trap. The
    /// store stays usable: an interrupt applies to the executions in
    /// progress when it is raised, and is dropped when the outermost call
    /// returns (or when the next one starts, if it was raised while nothing
    /// ran), so it never traps a later call. For a time limit that holds
    /// whenever code runs, use [`Store::set_deadline`].
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle(self.inner.stack.attention.clone())
    }

    /// Sets the store's deadline: once `at` has passed, every execution in
    /// the store traps with
    /// [`TrapCode::DeadlineExceeded`](crate::TrapCode::DeadlineExceeded) at
    /// its next check (as for an interrupt, including WASI calls blocked in
    /// the host), and so does every later call, until the deadline is
    /// replaced or cleared. The deadline applies to the store, not to one
    /// call; for a per-call limit, set it before each call. A deadline in
    /// the past takes effect at once.
    ///
    /// Costs nothing while code runs: one watchdog thread for the whole
    /// process (started by the first deadline) raises the store's attention
    /// word when the time comes; the interpreter never reads the clock.
    pub fn set_deadline(&mut self, at: Instant) {
        let ns = crate::exec::to_ns(at);
        let attention = &self.inner.stack.attention;
        if attention.set_deadline(Some(ns)) {
            crate::exec::schedule_deadline(ns, attention);
        }
    }

    /// Sets the deadline `timeout` from now ([`Store::set_deadline`]); a
    /// timeout too large to represent means no deadline.
    pub fn set_timeout(&mut self, timeout: Duration) {
        match Instant::now().checked_add(timeout) {
            Some(at) => self.set_deadline(at),
            None => self.clear_deadline(),
        }
    }

    /// Removes the deadline: code runs without a time limit again.
    pub fn clear_deadline(&mut self) {
        self.inner.stack.attention.set_deadline(None);
    }

    /// The deadline, if one is set (passed or not).
    pub fn deadline(&self) -> Option<Instant> {
        self.inner.stack.attention.deadline()
    }

    /// Sets the fuel left to `fuel` units. Fails unless the engine meters
    /// fuel ([`Config::consume_fuel`](crate::Config::consume_fuel)).
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.fuel_enabled()?;
        self.inner.stack.fuel = fuel;
        Ok(())
    }

    /// The fuel left. A call that ran out of fuel leaves what it could not
    /// spend (less than the cost of the region it stopped at). Fails unless
    /// the engine meters fuel.
    pub fn get_fuel(&self) -> Result<u64> {
        self.fuel_enabled()?;
        Ok(self.inner.stack.fuel)
    }

    fn fuel_enabled(&self) -> Result<()> {
        if self.inner.engine.config().fuel {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Usage,
                "fuel is not enabled: build the engine with Config::consume_fuel(true)",
            ))
        }
    }

    /// Installs a resource limiter: `get` returns it from the host state
    /// (e.g. `store.limiter(|data| &mut data.limits)` with a
    /// [`StoreLimits`](crate::StoreLimits) field). From then on the store
    /// asks it before every memory or table growth, including `memory.grow`
    /// and `table.grow` in wasm code, and before creating instances,
    /// memories and tables (see [`ResourceLimiter`]). Replaces any limiter
    /// installed before.
    pub fn limiter(
        &mut self,
        get: impl (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync + 'static,
    ) where
        T: 'static,
    {
        let hook: Box<dyn LimiterHook> = Box::new(Hook {
            data: self.data.0,
            get: Box::new(get),
        });
        let inner = &mut self.inner;
        match inner.limiter.0 {
            Some(cell) => {
                // SAFETY: the store's own cell (see `LimiterOwner`); `&mut
                // self` means no growth is asking it now.
                unsafe { (*cell.as_ptr()).hook = Some(hook) };
            }
            None => {
                let cell = Box::new(LimiterCell { hook: Some(hook) });
                inner.limiter.0 = Some(NonNull::from(Box::leak(cell)));
                let r = inner.limiter.get();
                for m in &mut inner.memories {
                    m.limiter = r;
                }
                for t in &mut inner.tables {
                    t.limiter = r;
                }
            }
        }
    }

    /// Consumes the store, returning the host state.
    pub fn into_data(self) -> T {
        self.data.into_inner()
    }
}

impl<T> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("funcs", &self.inner.funcs.len())
            .field("instances", &self.inner.instances.len())
            .finish()
    }
}

/// Stops wasm execution in a store from another thread; see
/// [`Store::interrupt_handle`].
#[derive(Clone, Debug)]
pub struct InterruptHandle(std::sync::Arc<crate::exec::Attention>);

impl InterruptHandle {
    /// Requests the store's running wasm code (and a host function blocked
    /// through an [`InterruptWaker`]) to stop with `Interrupted`. If nothing
    /// is running, the request is dropped: it never traps a later call.
    pub fn interrupt(&self) {
        self.0.raise(crate::exec::INTERRUPT);
    }
}

/// Lets a host function that blocks in the host (a `poll(2)`, a read) be
/// woken by an [`InterruptHandle::interrupt`] or the store's deadline; get
/// one with [`Caller::interrupt_waker`](crate::Caller::interrupt_waker).
///
/// The protocol (what `wasp-wasi`'s `poll_oneoff` and blocking reads do):
/// 1. take the descriptor with [`fd`](InterruptWaker::fd) (created on
///    first use, per store),
/// 2. call [`check`](InterruptWaker::check)`()?` (a stop requested before
///    the wait must not be missed),
/// 3. wait in `poll(2)` on your descriptors plus this one, for reading,
/// 4. if it is readable: [`check`](InterruptWaker::check)`()?` again — the
///    host function returns that error, which ends the execution with the
///    trap ([`TrapCode::Interrupted`] or [`TrapCode::DeadlineExceeded`]) and
///    a backtrace of the wasm that called it — else
///    [`rearm`](InterruptWaker::rearm) (the wake-up was stale) and wait again.
#[derive(Clone, Debug)]
pub struct InterruptWaker(pub(crate) Arc<crate::exec::Attention>);

impl InterruptWaker {
    /// The trap the execution must stop with, if a stop is requested: an
    /// interrupt of the executions in progress, or a deadline that passed.
    pub fn stop_requested(&self) -> Option<TrapCode> {
        self.0.stop_code()
    }

    /// `Err` with the trap if a stop is requested ([`stop_requested`](Self::stop_requested)).
    pub fn check(&self) -> Result<()> {
        match self.stop_requested() {
            Some(code) => Err(Trap::new(code).into()),
            None => Ok(()),
        }
    }

    /// A descriptor that becomes readable when a stop may be requested:
    /// add it to a `poll(2)` set for reading. Created on first use (two
    /// descriptors per store); fails if the host cannot create it.
    #[cfg(unix)]
    pub fn fd(&self) -> std::io::Result<std::os::fd::BorrowedFd<'_>> {
        Ok(self.0.waker()?.fd())
    }

    /// Resets the descriptor after it woke a wait without a stop requested.
    pub fn rearm(&self) {
        self.0.rearm();
    }
}

/// A shared borrow of a store, used by read-only API methods.
pub struct StoreContext<'a, T>(pub(crate) &'a Store<T>);

/// An exclusive borrow of a store, used by mutating API methods.
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut Store<T>);

impl<'a, T> StoreContext<'a, T> {
    /// The host state.
    pub fn data(&self) -> &'a T {
        &self.0.data
    }
}

impl<'a, T> StoreContextMut<'a, T> {
    /// The host state.
    pub fn data(&self) -> &T {
        &self.0.data
    }
    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.0.data
    }
}

/// Types that give shared access to a [`Store`]: the store itself, `&Store`,
/// `&mut Store`, a [`Caller`](crate::Caller) and store contexts.
pub trait AsContext {
    /// The host state type.
    type Data;
    /// Borrows the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Types that give exclusive access to a [`Store`].
pub trait AsContextMut: AsContext {
    /// Borrows the store mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self)
    }
}
impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self)
    }
}
impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}
impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}
impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}
impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}
impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}
impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}

impl<'a, T: 'a, C: AsContext<Data = T> + ?Sized> From<&'a C> for StoreContext<'a, T> {
    fn from(c: &'a C) -> Self {
        c.as_context()
    }
}
impl<'a, T: 'a, C: AsContextMut<Data = T> + ?Sized> From<&'a mut C> for StoreContextMut<'a, T> {
    fn from(c: &'a mut C) -> Self {
        c.as_context_mut()
    }
}
