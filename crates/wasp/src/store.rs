//! [`Store`]: owns every runtime entity (functions, memories, tables, globals,
//! instances), the host state `T`, and the wasm stack that executions share.
//!
//! Handles such as [`Func`](crate::Func) or [`Memory`](crate::Memory) are
//! indices into the store that created them, tagged with that store's
//! [`StoreId`]: every API entry checks the tag, so a handle used with another
//! store panics with a message naming the mistake instead of acting on an
//! unrelated entity of that store.

use crate::engine::Engine;
use crate::exec::Stack;
use crate::func::HostFunc;
use crate::ir::CompiledFunc;
use crate::module::Module;
use crate::types::{GlobalType, MemoryType, TableType};
use std::any::Any;
use std::sync::Arc;

/// A function in the store.
pub(crate) struct FuncEntity {
    /// Engine-wide type id.
    pub ty: u32,
    pub params: u16,
    pub results: u16,
    pub kind: FuncKind,
}

pub(crate) enum FuncKind {
    Wasm {
        instance: u32,
        /// Index among the module's defined functions.
        def: u32,
        /// Filled on first call (lazy translation).
        code: Option<Arc<CompiledFunc>>,
    },
    /// Index into `Store::host_funcs`.
    Host(u32),
}

pub(crate) struct MemoryEntity {
    pub data: Vec<u8>,
    pub ty: MemoryType,
    /// Effective maximum in pages (declared max capped by the engine config).
    pub max_pages: u32,
}

impl MemoryEntity {
    pub fn pages(&self) -> u32 {
        (self.data.len() / 65536) as u32
    }

    /// Grows by `delta` pages; returns the old size or `None` on failure.
    pub fn grow(&mut self, delta: u32) -> Option<u32> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        if delta > 0 {
            let bytes = new as usize * 65536;
            self.data.try_reserve_exact(bytes - self.data.len()).ok()?;
            self.data.resize(bytes, 0);
        }
        Some(old)
    }
}

pub(crate) struct TableEntity {
    pub elems: Vec<u64>,
    pub ty: TableType,
}

impl TableEntity {
    pub fn grow(&mut self, delta: u32, init: u64) -> Option<u32> {
        let old = self.elems.len() as u32;
        let new = old.checked_add(delta)?;
        if new > self.ty.limits.max.unwrap_or(u32::MAX) || new > 10_000_000 {
            return None;
        }
        self.elems.try_reserve(delta as usize).ok()?;
        self.elems.resize(new as usize, init);
        Some(old)
    }
}

pub(crate) struct GlobalEntity {
    pub value: u64,
    pub ty: GlobalType,
}

/// A pointer to a global's value inside its boxed [`GlobalEntity`].
#[derive(Clone, Copy)]
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
    pub dropped_data: Vec<bool>,
}

/// The identity of a store: unique in the process, never reused. Opaque;
/// it appears in the hidden methods of [`WasmTy`](crate::WasmTy).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreId(u64);

impl StoreId {
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
    pub funcs: Vec<FuncEntity>,
    pub tables: Vec<TableEntity>,
    pub memories: Vec<MemoryEntity>,
    /// Boxed so that their addresses are stable: instances point at them.
    #[allow(clippy::vec_box)] // the boxes keep addresses stable as the Vec grows
    pub globals: Vec<Box<GlobalEntity>>,
    pub instances: Vec<InstanceEntity>,
    pub externs: Vec<Box<dyn Any + Send + Sync>>,
    pub stack: Stack,
}

/// Owns all WebAssembly state and the host data `T`.
///
/// Everything instantiated in a store lives as long as the store.
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) host_funcs: Vec<HostFunc<T>>,
    pub(crate) data: T,
}

impl<T> Store<T> {
    /// Creates a store with host state `data`.
    pub fn new(engine: &Engine, data: T) -> Self {
        Store {
            inner: StoreInner {
                id: StoreId::fresh(),
                engine: engine.clone(),
                funcs: Vec::new(),
                tables: Vec::new(),
                memories: Vec::new(),
                globals: Vec::new(),
                instances: Vec::new(),
                externs: Vec::new(),
                stack: Stack::new(engine.config()),
            },
            host_funcs: Vec::new(),
            data,
        }
    }

    /// The engine of this store.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The host state.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// A handle that stops wasm code running in this store from any thread
    /// (e.g. on a deadline): the running call traps with
    /// [`TrapCode::Interrupted`](crate::TrapCode::Interrupted) at its next
    /// loop iteration, call or return. The store stays usable.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle(self.inner.stack.attention.clone())
    }

    /// Consumes the store, returning the host state.
    pub fn into_data(self) -> T {
        self.data
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
    /// Requests the store's running wasm code to trap with `Interrupted`.
    /// If nothing is running, the next execution traps at its first check.
    pub fn interrupt(&self) {
        self.0.raise(crate::exec::INTERRUPT);
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
