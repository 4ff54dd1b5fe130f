//! Per-store resource limits: the [`ResourceLimiter`] policy trait and the
//! ready-made [`StoreLimits`] (built with [`StoreLimitsBuilder`]), installed
//! with [`Store::limiter`](crate::Store::limiter), in wasmtime's shape.
//!
//! A store consults its limiter when a memory or table is created (growing
//! from 0 to its initial size) or grows (`memory.grow`, `table.grow`, or the
//! host API), and before it creates an instance, memory or table. One
//! [`Engine`](crate::Engine) can thus serve tenants with different caps,
//! one store each.

use crate::error::Result;

/// Default cap on instances per store ([`ResourceLimiter::instances`]).
pub const DEFAULT_INSTANCE_LIMIT: usize = 10_000;
/// Default cap on tables per store ([`ResourceLimiter::tables`]).
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// Default cap on memories per store ([`ResourceLimiter::memories`]).
pub const DEFAULT_MEMORY_LIMIT: usize = 10_000;

/// A policy deciding whether a store's memories and tables may grow and how
/// many instances, memories and tables the store may hold.
///
/// A refusal (`Ok(false)`) makes `memory.grow` / `table.grow` return -1, as
/// the spec allows, and makes [`Memory::grow`](crate::Memory::grow),
/// [`Table::grow`](crate::Table::grow) and instantiation (for the initial
/// size) fail with an error. An `Err` is returned as the error of the host
/// API call or the instantiation; inside wasm code it also reads as -1.
pub trait ResourceLimiter {
    /// A memory wants to grow from `current` to `desired` bytes; `maximum`
    /// is its declared maximum in bytes, if any. Called with `current` 0
    /// when a memory is created.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// A table wants to grow from `current` to `desired` elements;
    /// `maximum` is its declared maximum, if any. Called with `current` 0
    /// when a table is created.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// The most instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_INSTANCE_LIMIT
    }

    /// The most tables (defined or created by the host) the store may hold.
    fn tables(&self) -> usize {
        DEFAULT_TABLE_LIMIT
    }

    /// The most memories (defined or created by the host) the store may hold.
    fn memories(&self) -> usize {
        DEFAULT_MEMORY_LIMIT
    }
}

/// Fixed caps for one store: bytes per linear memory, elements per table,
/// and counts of instances, tables and memories. Build with
/// [`StoreLimitsBuilder`]; keep it in the store's data and install it with
/// `store.limiter(|data| &mut data.limits)`.
#[derive(Debug, Clone)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimitsBuilder::new().build()
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> Result<bool> {
        Ok(self.memory_size.is_none_or(|m| desired <= m))
    }

    fn table_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> Result<bool> {
        Ok(self.table_elements.is_none_or(|m| desired <= m))
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// Builds [`StoreLimits`]; every limit not set is unlimited (counts: the
/// `DEFAULT_*_LIMIT` constants).
#[derive(Debug, Clone)]
pub struct StoreLimitsBuilder(StoreLimits);

impl Default for StoreLimitsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl StoreLimitsBuilder {
    /// No limits beyond the default counts.
    pub fn new() -> Self {
        StoreLimitsBuilder(StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: DEFAULT_INSTANCE_LIMIT,
            tables: DEFAULT_TABLE_LIMIT,
            memories: DEFAULT_MEMORY_LIMIT,
        })
    }

    /// The most bytes any one linear memory may hold (its initial size
    /// included: a module needing more fails to instantiate).
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most elements any one table may hold.
    pub fn table_elements(mut self, elements: usize) -> Self {
        self.0.table_elements = Some(elements);
        self
    }

    /// The most instances the store may hold.
    pub fn instances(mut self, n: usize) -> Self {
        self.0.instances = n;
        self
    }

    /// The most tables the store may hold.
    pub fn tables(mut self, n: usize) -> Self {
        self.0.tables = n;
        self
    }

    /// The most memories the store may hold.
    pub fn memories(mut self, n: usize) -> Self {
        self.0.memories = n;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}
