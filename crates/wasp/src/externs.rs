//! Memory, table and global handles of the public API.

use crate::error::{Error, ErrorKind, Result};
use crate::store::{
    AsContext, AsContextMut, GlobalEntity, MemoryEntity, StoreContext, StoreContextMut, TableEntity,
};
use crate::types::{GlobalType, MemoryType, Mutability, TableType};
use crate::value::Val;

/// A linear memory in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory(pub(crate) u32);

impl Memory {
    /// Creates a memory of type `ty`.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let inner = &mut store.as_context_mut().0.inner;
        let cap = inner.engine.config().max_memory_pages;
        if ty.limits.min > cap.min(65536) || ty.limits.max.is_some_and(|m| m < ty.limits.min) {
            return Err(Error::new(
                ErrorKind::Usage,
                "memory size exceeds the limit",
            ));
        }
        inner.memories.push(MemoryEntity {
            data: vec![0; ty.limits.min as usize * 65536],
            ty,
            max_pages: ty.limits.max.unwrap_or(65536).min(cap),
        });
        Ok(Memory(inner.memories.len() as u32 - 1))
    }

    /// The memory's type (with its current size as minimum).
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let ctx = store.as_context();
        let m = &ctx.0.inner.memories[self.0 as usize];
        MemoryType::new(m.pages(), m.ty.limits.max)
    }

    /// The memory's bytes.
    pub fn data<'a, T: 'a>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        &store.into().0.inner.memories[self.0 as usize].data
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a, T: 'a>(&self, store: impl Into<StoreContextMut<'a, T>>) -> &'a mut [u8] {
        &mut store.into().0.inner.memories[self.0 as usize].data
    }

    /// The memory's bytes and the host state at once (for host functions that
    /// move data between guest memory and their own state).
    pub fn data_and_store_mut<'a, T: 'a>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> (&'a mut [u8], &'a mut T) {
        let s = store.into().0;
        (&mut s.inner.memories[self.0 as usize].data, &mut s.data)
    }

    /// Size in 64 KiB pages.
    pub fn size(&self, store: impl AsContext) -> u32 {
        store.as_context().0.inner.memories[self.0 as usize].pages()
    }

    /// Size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        store.as_context().0.inner.memories[self.0 as usize]
            .data
            .len()
    }

    /// Grows by `delta` pages, returning the old size in pages.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u32) -> Result<u32> {
        store.as_context_mut().0.inner.memories[self.0 as usize]
            .grow(delta)
            .ok_or_else(|| Error::new(ErrorKind::Usage, "failed to grow memory"))
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let ctx = store.as_context();
        let data = &ctx.0.inner.memories[self.0 as usize].data;
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
        let data = &mut ctx.0.inner.memories[self.0 as usize].data;
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
pub struct Global(pub(crate) u32);

impl Global {
    /// Creates a global of type `ty` with initial value `val`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, val: Val) -> Result<Global> {
        let inner = &mut store.as_context_mut().0.inner;
        if val.ty() != ty.content || !val.belongs_to(inner) {
            return Err(Error::new(
                ErrorKind::Usage,
                "global value does not match its type",
            ));
        }
        inner.globals.push(Box::new(GlobalEntity {
            value: val.to_raw(),
            ty,
        }));
        Ok(Global(inner.globals.len() as u32 - 1))
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        store.as_context().0.inner.globals[self.0 as usize].ty
    }

    /// The current value.
    pub fn get(&self, store: impl AsContext) -> Val {
        let ctx = store.as_context();
        let g = &ctx.0.inner.globals[self.0 as usize];
        Val::from_raw(g.value, g.ty.content)
    }

    /// Sets the value of a mutable global.
    pub fn set(&self, mut store: impl AsContextMut, val: Val) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        let ok = val.belongs_to(inner);
        let g = &mut inner.globals[self.0 as usize];
        if g.ty.mutability != Mutability::Var {
            return Err(Error::new(
                ErrorKind::Usage,
                "cannot set an immutable global",
            ));
        }
        if val.ty() != g.ty.content || !ok {
            return Err(Error::new(
                ErrorKind::Usage,
                "value does not match the global's type",
            ));
        }
        g.value = val.to_raw();
        Ok(())
    }
}

/// A table of references in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table(pub(crate) u32);

impl Table {
    /// Creates a table of type `ty` filled with `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let inner = &mut store.as_context_mut().0.inner;
        if init.ty() != ty.element || !init.belongs_to(inner) {
            return Err(Error::new(
                ErrorKind::Usage,
                "table initialiser does not match its type",
            ));
        }
        inner.tables.push(TableEntity {
            elems: vec![init.to_raw(); ty.limits.min as usize],
            ty,
        });
        Ok(Table(inner.tables.len() as u32 - 1))
    }

    /// The table's type (with its current size as minimum).
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let ctx = store.as_context();
        let t = &ctx.0.inner.tables[self.0 as usize];
        TableType::new(t.ty.element, t.elems.len() as u32, t.ty.limits.max)
    }

    /// Number of elements.
    pub fn size(&self, store: impl AsContext) -> u32 {
        store.as_context().0.inner.tables[self.0 as usize]
            .elems
            .len() as u32
    }

    /// The element at `index`, or `None` if out of bounds.
    pub fn get(&self, store: impl AsContext, index: u32) -> Option<Val> {
        let ctx = store.as_context();
        let t = &ctx.0.inner.tables[self.0 as usize];
        t.elems
            .get(index as usize)
            .map(|r| Val::from_raw(*r, t.ty.element))
    }

    /// Sets the element at `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u32, val: Val) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        let ok = val.belongs_to(inner);
        let t = &mut inner.tables[self.0 as usize];
        if val.ty() != t.ty.element || !ok {
            return Err(Error::new(
                ErrorKind::Usage,
                "value does not match the table's type",
            ));
        }
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
        let t = &mut inner.tables[self.0 as usize];
        if init.ty() != t.ty.element {
            return Err(Error::new(
                ErrorKind::Usage,
                "value does not match the table's type",
            ));
        }
        t.grow(delta, init.to_raw())
            .ok_or_else(|| Error::new(ErrorKind::Usage, "failed to grow table"))
    }
}
