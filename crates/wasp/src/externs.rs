//! Memory, table and global handles of the public API.

use crate::error::{Error, ErrorKind, Result};
use crate::store::{
    AsContext, AsContextMut, GlobalEntity, MemoryEntity, StoreContext, StoreContextMut, StoreInner,
    Stored, TableEntity,
};
use crate::types::{GlobalType, MemoryType, Mutability, TableType};
use crate::value::Val;

/// A linear memory in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory(pub(crate) Stored);

impl Memory {
    /// The store index; panics if the handle belongs to another store.
    #[track_caller]
    pub(crate) fn idx(&self, inner: &StoreInner) -> usize {
        self.0.index(inner, "Memory")
    }

    /// Creates a memory of type `ty`.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let inner = &mut store.as_context_mut().0.inner;
        let cap = inner.engine.config().max_memory_pages;
        let max_bytes = MemoryEntity::max_bytes_for(&ty, cap);
        let bytes = ty.limits.min.saturating_mul(ty.page_size());
        if bytes > max_bytes
            || ty.limits.max.is_some_and(|m| m < ty.limits.min)
            || !matches!(ty.page_size_log2, 0 | 16)
        {
            return Err(Error::new(
                ErrorKind::Usage,
                "memory size exceeds the limit",
            ));
        }
        inner.check_counts(0, 1, 0)?;
        let max = ty
            .limits
            .max
            .map(|m| m.saturating_mul(ty.page_size()).min(usize::MAX as u64) as usize);
        if !inner.limiter_allows(|l| l.memory_growing(0, bytes as usize, max))? {
            return Err(Error::new(
                ErrorKind::Usage,
                "resource limit exceeded: memory refused by the store's limiter",
            ));
        }
        let entity = MemoryEntity::new(ty, max_bytes, None, inner.limiter.get())
            .ok_or_else(|| Error::new(ErrorKind::Usage, "cannot allocate the memory"))?;
        inner.memories.push(entity);
        Ok(Memory(Stored::new(
            inner.id,
            inner.memories.len() as u32 - 1,
        )))
    }

    /// The memory's type (with its current size as minimum).
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let ctx = store.as_context();
        let m = &ctx.0.inner.memories[self.idx(&ctx.0.inner)];
        let mut ty = m.ty;
        ty.limits.min = m.pages64();
        ty
    }

    /// The memory's bytes.
    pub fn data<'a, T: 'a>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        let inner = &store.into().0.inner;
        &inner.memories[self.idx(inner)].data
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a, T: 'a>(&self, store: impl Into<StoreContextMut<'a, T>>) -> &'a mut [u8] {
        let inner = &mut store.into().0.inner;
        let i = self.idx(inner);
        &mut inner.memories[i].data
    }

    /// The memory's bytes and the host state at once (for host functions that
    /// move data between guest memory and their own state).
    pub fn data_and_store_mut<'a, T: 'a>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> (&'a mut [u8], &'a mut T) {
        let s = store.into().0;
        let i = self.idx(&s.inner);
        (&mut s.inner.memories[i].data, &mut s.data)
    }

    /// Size in pages of the memory's page size (64 KiB unless its type
    /// says otherwise), saturated at `u32::MAX`; see [`size64`](Self::size64).
    pub fn size(&self, store: impl AsContext) -> u32 {
        self.size64(store).min(u32::MAX.into()) as u32
    }

    /// Size in pages of the memory's page size.
    pub fn size64(&self, store: impl AsContext) -> u64 {
        let ctx = store.as_context();
        ctx.0.inner.memories[self.idx(&ctx.0.inner)].pages64()
    }

    /// Size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        let ctx = store.as_context();
        ctx.0.inner.memories[self.idx(&ctx.0.inner)].data.len()
    }

    /// Grows by `delta` pages, returning the old size in pages (saturated
    /// at `u32::MAX`; see [`grow64`](Self::grow64)).
    pub fn grow(&self, store: impl AsContextMut, delta: u32) -> Result<u32> {
        self.grow64(store, delta.into())
            .map(|old| old.min(u32::MAX.into()) as u32)
    }

    /// Grows by `delta` pages of the memory's page size, returning the old
    /// size in pages.
    pub fn grow64(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let ctx = store.as_context_mut();
        let inner = &mut ctx.0.inner;
        let i = self.idx(inner);
        inner.memories[i]
            .try_grow64(delta)?
            .ok_or_else(|| Error::new(ErrorKind::Usage, "failed to grow memory"))
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let ctx = store.as_context();
        let data = &ctx.0.inner.memories[self.idx(&ctx.0.inner)].data;
        let src = offset
            .checked_add(buf.len())
            .and_then(|end| data.get(offset..end))
            .ok_or_else(|| Error::from(crate::TrapCode::MemoryOutOfBounds))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    /// Copies `buf` into memory at `offset`.
    pub fn write(&self, mut store: impl AsContextMut, offset: usize, buf: &[u8]) -> Result<()> {
        let ctx = store.as_context_mut();
        let i = self.idx(&ctx.0.inner);
        let data = &mut ctx.0.inner.memories[i].data;
        let dst = offset
            .checked_add(buf.len())
            .and_then(|end| data.get_mut(offset..end))
            .ok_or_else(|| Error::from(crate::TrapCode::MemoryOutOfBounds))?;
        dst.copy_from_slice(buf);
        Ok(())
    }
}

/// A global variable in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Global(pub(crate) Stored);

impl Global {
    /// The store index; panics if the handle belongs to another store.
    #[track_caller]
    pub(crate) fn idx(&self, inner: &StoreInner) -> usize {
        self.0.index(inner, "Global")
    }

    /// Creates a global of type `ty` with initial value `val`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, val: Val) -> Result<Global> {
        let inner = &mut store.as_context_mut().0.inner;
        val.check(ty.content, inner, "global initial value")?;
        inner.globals.push(Box::new(GlobalEntity {
            value: val.to_raw(),
            hi: val.v128_high(),
            ty,
        }));
        Ok(Global(Stored::new(
            inner.id,
            inner.globals.len() as u32 - 1,
        )))
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        let ctx = store.as_context();
        ctx.0.inner.globals[self.idx(&ctx.0.inner)].ty
    }

    /// The current value.
    pub fn get(&self, store: impl AsContext) -> Val {
        let ctx = store.as_context();
        let g = &ctx.0.inner.globals[self.idx(&ctx.0.inner)];
        crate::value::root_refs(&ctx.0.inner, &[g.value], &[g.ty.content]);
        g.get(ctx.0.inner.id)
    }

    /// Sets the value of a mutable global.
    pub fn set(&self, mut store: impl AsContextMut, val: Val) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        let i = self.idx(inner);
        val.check(inner.globals[i].ty.content, inner, "global value")?;
        let g = &mut inner.globals[i];
        if g.ty.mutability != Mutability::Var {
            return Err(Error::new(
                ErrorKind::Usage,
                "cannot set an immutable global",
            ));
        }
        g.value = val.to_raw();
        g.hi = val.v128_high();
        Ok(())
    }
}

/// A table of references in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table(pub(crate) Stored);

impl Table {
    /// The store index; panics if the handle belongs to another store.
    #[track_caller]
    pub(crate) fn idx(&self, inner: &StoreInner) -> usize {
        self.0.index(inner, "Table")
    }

    /// Creates a table of type `ty` filled with `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let inner = &mut store.as_context_mut().0.inner;
        init.check(ty.element, inner, "table initialiser")?;
        inner.check_counts(0, 0, 1)?;
        let (min, max) = (ty.limits.min as usize, ty.limits.max.map(|m| m as usize));
        if !inner.limiter_allows(|l| l.table_growing(0, min, max))? {
            return Err(Error::new(
                ErrorKind::Usage,
                "resource limit exceeded: table refused by the store's limiter",
            ));
        }
        let mut elems = Vec::new();
        elems
            .try_reserve_exact(min)
            .map_err(|_| Error::new(ErrorKind::Usage, "cannot allocate the table"))?;
        elems.resize(min, init.to_raw());
        inner.tables.push(TableEntity {
            elems: elems.into(),
            ty,
            limiter: inner.limiter.get(),
        });
        Ok(Table(Stored::new(inner.id, inner.tables.len() as u32 - 1)))
    }

    /// The table's type (with its current size as minimum).
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let ctx = store.as_context();
        let t = &ctx.0.inner.tables[self.idx(&ctx.0.inner)];
        TableType::new(t.ty.element, t.elems.len() as u32, t.ty.limits.max)
            .with_ref_type(t.ty.ref_type())
    }

    /// Number of elements.
    pub fn size(&self, store: impl AsContext) -> u32 {
        let ctx = store.as_context();
        ctx.0.inner.tables[self.idx(&ctx.0.inner)].elems.len() as u32
    }

    /// The element at `index`, or `None` if out of bounds.
    pub fn get(&self, store: impl AsContext, index: u32) -> Option<Val> {
        let ctx = store.as_context();
        let t = &ctx.0.inner.tables[self.idx(&ctx.0.inner)];
        let r = *t.elems.get(index as usize)?;
        crate::value::root_refs(&ctx.0.inner, &[r], &[t.ty.element]);
        Some(Val::from_raw(r, t.ty.element, ctx.0.inner.id))
    }

    /// Sets the element at `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u32, val: Val) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        let i = self.idx(inner);
        val.check(inner.tables[i].ty.element, inner, "table element")?;
        let t = &mut inner.tables[i];
        let slot = t
            .elems
            .get_mut(index as usize)
            .ok_or_else(|| Error::from(crate::TrapCode::TableOutOfBounds))?;
        *slot = val.to_raw();
        Ok(())
    }

    /// Grows by `delta` elements filled with `init`, returning the old size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u32, init: Val) -> Result<u32> {
        let inner = &mut store.as_context_mut().0.inner;
        let i = self.idx(inner);
        init.check(inner.tables[i].ty.element, inner, "table element")?;
        let t = &mut inner.tables[i];
        t.try_grow(delta, init.to_raw())?
            .ok_or_else(|| Error::new(ErrorKind::Usage, "failed to grow table"))
    }
}
