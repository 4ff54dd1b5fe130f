//! [`Instance`] and [`Extern`]: instantiation of a module against resolved imports.
//!
//! Instantiation follows the spec's order: check imports, allocate functions,
//! tables, memories and globals, evaluate initialisers, then run active element
//! and data segments in order (a failing segment traps, leaving earlier writes in
//! place), and finally the start function.

use crate::engine::Stat;
use crate::error::{Error, ErrorKind, Result};
use crate::externs::{Global, Memory, Table};
use crate::func::Func;
use crate::memory::table::TableElems;
use crate::module::canon;
use crate::module::{EntityIndex, Module, SegmentMode};
use crate::store::{
    AsContext, AsContextMut, GlobalEntity, GlobalPtr, InstanceEntity, MemoryEntity, Store, StoreId,
    StoreInner, Stored, TableEntity,
};
use crate::types::{ExternType, GlobalType};
use crate::{TrapCode, TypedFunc, WasmParams, WasmResults};
use std::sync::Arc;

/// An external value: what an import needs and an export provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A global.
    Global(Global),
    /// An exception tag.
    Tag(crate::exception::Tag),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }
    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }

    /// The tag, if this is one.
    pub fn into_tag(self) -> Option<crate::exception::Tag> {
        if let Extern::Tag(t) = self {
            Some(t)
        } else {
            None
        }
    }

    /// The type of the external value.
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty(store)),
            Extern::Table(t) => ExternType::Table(t.ty(store)),
            Extern::Memory(m) => ExternType::Memory(m.ty(store)),
            Extern::Global(g) => ExternType::Global(g.ty(store)),
            Extern::Tag(t) => ExternType::Tag(t.ty(store)),
        }
    }
}

impl Extern {
    /// Does the handle belong to `store`?
    pub(crate) fn belongs_to(&self, store: &StoreInner) -> bool {
        let s = match self {
            Extern::Func(f) => f.0,
            Extern::Table(t) => t.0,
            Extern::Memory(m) => m.0,
            Extern::Global(g) => g.0,
            Extern::Tag(t) => t.0,
        };
        s.belongs_to_id(store.id)
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Self {
        Extern::Func(f)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Self {
        Extern::Memory(m)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Self {
        Extern::Table(t)
    }
}
impl From<crate::exception::Tag> for Extern {
    fn from(t: crate::exception::Tag) -> Self {
        Extern::Tag(t)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Self {
        Extern::Global(g)
    }
}

/// An instantiated module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance(pub(crate) Stored);

impl Instance {
    /// The store index; panics if the handle belongs to another store.
    #[track_caller]
    pub(crate) fn idx(&self, inner: &StoreInner) -> usize {
        self.0.index(inner, "Instance")
    }

    /// Instantiates `module` with `imports` given in the module's import order,
    /// then runs its start function.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let inst = instantiate(store, module, imports)?;
        inst.run_start(store)?;
        Ok(inst)
    }

    pub(crate) fn run_start<T>(self, store: &mut Store<T>) -> Result<()> {
        let start = store.inner.instances[self.idx(&store.inner)]
            .module
            .inner
            .info
            .start;
        if let Some(start) = start {
            let f = store.inner.instances[self.idx(&store.inner)].funcs[start as usize];
            crate::exec::call(store, f, &mut [])?;
        }
        Ok(())
    }

    /// The module this instance was created from.
    pub fn module(&self, store: impl AsContext) -> Module {
        let ctx = store.as_context();
        ctx.0.inner.instances[self.idx(&ctx.0.inner)].module.clone()
    }

    /// An export by name.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let ctx = store.as_context();
        let inst = &ctx.0.inner.instances[self.idx(&ctx.0.inner)];
        let id = ctx.0.inner.id;
        let (_, idx) = inst
            .module
            .inner
            .info
            .exports
            .iter()
            .find(|(n, _)| n == name)?;
        Some(inst.extern_of(*idx, id))
    }

    /// All exports, in order.
    pub fn exports(&self, store: impl AsContext) -> Vec<(String, Extern)> {
        let ctx = store.as_context();
        let inst = &ctx.0.inner.instances[self.idx(&ctx.0.inner)];
        let id = ctx.0.inner.id;
        inst.module
            .inner
            .info
            .exports
            .iter()
            .map(|(n, idx)| (n.clone(), inst.extern_of(*idx, id)))
            .collect()
    }

    /// An exported function by name.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// An exported function with a typed signature.
    pub fn get_typed_func<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<Params, Results>> {
        let f = self.get_func(&store, name).ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                format!("no exported function named `{name}`"),
            )
        })?;
        f.typed(store)
    }

    /// An exported memory by name.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// An exported global by name.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// An exported table by name.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }
}

impl InstanceEntity {
    /// The API handle of entity `idx`, in the store with id `store`.
    pub(crate) fn extern_of(&self, idx: EntityIndex, store: StoreId) -> Extern {
        let s = |i: u32| Stored::new(store, i);
        match idx {
            EntityIndex::Func(i) => Extern::Func(Func(s(self.funcs[i as usize]))),
            EntityIndex::Table(i) => Extern::Table(Table(s(self.tables[i as usize]))),
            EntityIndex::Memory(i) => Extern::Memory(Memory(s(self.memories[i as usize]))),
            EntityIndex::Global(i) => Extern::Global(Global(s(self.globals[i as usize]))),
            EntityIndex::Tag(i) => Extern::Tag(crate::exception::Tag(s(self.tags[i as usize]))),
        }
    }
}

fn link_error(module: &str, name: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Link,
        format!("incompatible import `{module}::{name}`: {msg}"),
    )
}

/// Creates the instance and runs its segments (not the start function),
/// counting the time in the engine's stats.
pub(crate) fn instantiate<T>(
    store: &mut Store<T>,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance> {
    let start = std::time::Instant::now();
    let r = instantiate_timed(store, module, imports);
    let stats = module.inner.engine.counters();
    stats.add(Stat::Instantiations, 1);
    stats.add_time(Stat::InstantiateTime, start.elapsed());
    r
}

fn instantiate_timed<T>(
    store: &mut Store<T>,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance> {
    let info = &module.inner.info;
    let stats = module.inner.engine.counters();
    if !crate::Engine::same(&module.inner.engine, &store.inner.engine) {
        return Err(Error::new(
            ErrorKind::Usage,
            "module and store use different engines",
        ));
    }
    if imports.len() != info.imports.len() {
        return Err(Error::new(
            ErrorKind::Link,
            format!(
                "expected {} imports, got {}",
                info.imports.len(),
                imports.len()
            ),
        ));
    }
    let inst_idx = store.inner.instances.len() as u32;
    let mut funcs = Vec::with_capacity(info.funcs.len());
    let mut tables = Vec::with_capacity(info.tables.len());
    let mut memories = Vec::with_capacity(info.memories.len());
    let mut globals = Vec::with_capacity(info.globals.len());
    let mut tags = Vec::with_capacity(info.tags.len());

    // Check and bind imports.
    for (imp, ext) in info.imports.iter().zip(imports) {
        // A function of this store whose interned type is the import's (as
        // `InstancePre` hands over): no type to build and compare.
        if let (EntityIndex::Func(i), Extern::Func(f)) = (imp.index, ext) {
            let idx = f.0.raw();
            if f.0.belongs_to_id(store.inner.id)
                && store.inner.func(idx).ty == info.type_ids[info.funcs[i as usize] as usize]
            {
                funcs.push(idx);
                continue;
            }
        }
        if !ext.belongs_to(&store.inner) {
            return Err(link_error(
                &imp.module,
                &imp.name,
                "the definition belongs to another store",
            ));
        }
        let actual = ext.ty(&*store);
        let expected = info.entity_type(imp.index);
        match (&expected, &actual, ext) {
            (ExternType::Func(e), ExternType::Func(a), Extern::Func(f)) => {
                // Canonical type identity: the same type, or a declared subtype.
                let actual_id = store.inner.func(f.idx(&store.inner)).ty;
                let expected_id = info.type_ids[info.funcs[i_func(imp.index)] as usize];
                if !store.inner.engine.is_subtype(actual_id, expected_id) {
                    return Err(link_error(
                        &imp.module,
                        &imp.name,
                        format!("expected function {e}, found {a}"),
                    ));
                }
                funcs.push(f.idx(&store.inner));
            }
            (ExternType::Table(e), ExternType::Table(a), Extern::Table(t)) => {
                // Element types must be equal (tables are mutable).
                let engine = &store.inner.engine;
                let (er, ar) = (e.ref_type(), a.ref_type());
                let same = canon::ref_matches(engine, ar, er) && canon::ref_matches(engine, er, ar);
                if e.element != a.element || !same || !a.limits.matches(&e.limits) {
                    return Err(link_error(
                        &imp.module,
                        &imp.name,
                        "table types do not match",
                    ));
                }
                tables.push(t.idx(&store.inner) as u32);
            }
            (ExternType::Memory(e), ExternType::Memory(a), Extern::Memory(m)) => {
                if !a.matches(e) {
                    return Err(link_error(
                        &imp.module,
                        &imp.name,
                        "memory types do not match",
                    ));
                }
                memories.push(m.idx(&store.inner) as u32);
            }
            (ExternType::Global(e), ExternType::Global(a), Extern::Global(g)) => {
                if !global_matches(&store.inner.engine, e, a) {
                    return Err(link_error(
                        &imp.module,
                        &imp.name,
                        "global types do not match",
                    ));
                }
                globals.push(g.idx(&store.inner) as u32);
            }
            (ExternType::Tag(e), ExternType::Tag(a), Extern::Tag(t)) => {
                // Canonical type identity (tags are invariant: no subtyping).
                let actual_id = store.inner.exn.tags[t.0.raw() as usize].type_id;
                let expected_id = match imp.index {
                    EntityIndex::Tag(i) => info.type_ids[info.tags[i as usize] as usize],
                    _ => unreachable!("a tag import"),
                };
                if actual_id != expected_id {
                    return Err(link_error(
                        &imp.module,
                        &imp.name,
                        format!("expected tag {e}, found {a}"),
                    ));
                }
                tags.push(t.0.raw());
            }
            _ => {
                return Err(link_error(
                    &imp.module,
                    &imp.name,
                    format!(
                        "expected a {}, found a {}",
                        expected.kind_name(),
                        actual.kind_name()
                    ),
                ))
            }
        }
    }

    let defined_memories = info.memories.len() - info.num_imported_memories as usize;
    let defined_tables = info.tables.len() - info.num_imported_tables as usize;
    store
        .inner
        .check_counts(1, defined_memories, defined_tables)?;

    // Defined tags: fresh identities for every instantiation.
    for &ty in &info.tags[info.num_imported_tags as usize..] {
        let type_id = info.type_ids[ty as usize];
        let ty = info.types[ty as usize].clone();
        store
            .inner
            .exn
            .tags
            .push(crate::exception::TagEntity { ty, type_id });
        tags.push(store.inner.exn.tags.len() as u32 - 1);
    }

    // Defined functions.
    // Defined functions: consecutive store indices from `def_base`, no
    // per-function entity (`StoreInner::func` makes them from the module's
    // prepared signatures; the code stays in the module). Registered with
    // the instance below.
    let sigs = module.inner.images.sigs(info);
    let def_base = store.inner.next_defined;
    let n_defined = sigs.len() as u32;
    if def_base.checked_add(n_defined).is_none() {
        return Err(Error::new(
            ErrorKind::Usage,
            "resource limit exceeded: the store holds 2^31 defined functions",
        ));
    }
    funcs.extend(def_base..def_base + n_defined);

    let cap = store.inner.engine.config().max_memory_pages;
    // Memory 0's prepared image (a copy-on-write mapping of the data
    // segments), when the module's segments allow one (`memory/image.rs`).
    let first = module.inner.images.first_instantiation();
    let image = match defined_memories {
        0 => None,
        _ => module.inner.images.memory(info, &module.inner.bytes),
    };
    for (k, ty) in info.memories[info.num_imported_memories as usize..]
        .iter()
        .enumerate()
    {
        let max_bytes = MemoryEntity::max_bytes_for(ty, cap);
        let bytes = ty.limits.min.saturating_mul(ty.page_size());
        if bytes > max_bytes {
            return Err(Error::new(
                ErrorKind::Link,
                format!(
                    "memory of {} pages exceeds the limit of {cap} 64 KiB pages",
                    ty.limits.min
                ),
            ));
        }
        let max = ty
            .limits
            .max
            .map(|m| m.saturating_mul(ty.page_size()).min(usize::MAX as u64) as usize);
        if !store
            .inner
            .limiter_allows(|l| l.memory_growing(0, bytes as usize, max))?
        {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "resource limit exceeded: memory of {} pages refused by the store's limiter",
                    ty.limits.min
                ),
            ));
        }
        let img = image.filter(|_| k == 0);
        let limiter = store.inner.limiter.get();
        // Not for the module's first instance, which fills its memory
        // itself with huge pages (`wasp run`'s only one).
        let pool = (!first || img.is_some()).then(|| store.inner.engine.memory_pool());
        let mut entity =
            MemoryEntity::new_in(pool, *ty, max_bytes, img, limiter).ok_or_else(|| {
                Error::new(
                    ErrorKind::Link,
                    format!(
                        "cannot allocate a memory of {} pages on this host",
                        ty.limits.min
                    ),
                )
            })?;
        if first && img.is_none() {
            // The module's first instance fills its memory itself.
            entity.data.advise_huge();
        }
        store.inner.memories.push(entity);
        memories.push(store.inner.memories.len() as u32 - 1);
    }

    // Globals: initialisers may read imported globals, reference functions
    // and allocate GC objects (a trap there fails the instantiation).
    let mut failed = None;
    for (ty, init) in info.globals[info.num_imported_globals as usize..]
        .iter()
        .zip(&info.global_inits)
    {
        let (value, hi) = {
            let inner = &mut store.inner;
            if ty.content == crate::ValType::V128 {
                let v = init.eval_v128(|g| inner.globals[globals[g as usize] as usize].v128());
                (v as u64, (v >> 64) as u64)
            } else {
                let v = eval_init(init, inner, &funcs, &globals, &info.gc_types, &mut failed);
                (v, 0)
            }
        };
        store
            .inner
            .globals
            .push(Box::new(GlobalEntity { value, hi, ty: *ty }));
        globals.push(store.inner.globals.len() as u32 - 1);
    }

    // The tables' contents after the active element segments, prepared
    // once per module and import binding, when the segments allow it.
    let prepared = match defined_tables {
        0 => None,
        _ => module.inner.images.tables(info, &funcs),
    };
    for (k, (ty, init)) in info.tables[info.num_imported_tables as usize..]
        .iter()
        .zip(&info.table_inits)
        .enumerate()
    {
        let (min, max) = (ty.limits.min as usize, ty.limits.max.map(|m| m as usize));
        if !store
            .inner
            .limiter_allows(|l| l.table_growing(0, min, max))?
        {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "resource limit exceeded: table of {min} elements refused by the store's limiter"
                ),
            ));
        }
        let elems = match &prepared {
            Some(p) => TableElems::shared(p.tables[k].clone()),
            None => {
                let value = match init {
                    None => 0,
                    Some(e) => eval_init(
                        e,
                        &mut store.inner,
                        &funcs,
                        &globals,
                        &info.gc_types,
                        &mut failed,
                    ),
                };
                TableElems::from(vec![value; min])
            }
        };
        store.inner.tables.push(TableEntity {
            elems,
            ty: *ty,
            limiter: store.inner.limiter.get(),
        });
        tables.push(store.inner.tables.len() as u32 - 1);
    }

    // Element segments, evaluated to raw references.
    let elem_start = std::time::Instant::now();
    stats.add(Stat::ElemSegments, info.elems.len() as u64);
    let mut elems = Vec::with_capacity(info.elems.len());
    let empty: Arc<[u64]> = Arc::new([]);
    for seg in &info.elems {
        // Segments already applied by the prepared tables, and declared
        // ones, are dropped at the end of instantiation: never evaluated.
        let done = match seg.mode {
            SegmentMode::Active { .. } => prepared.is_some(),
            SegmentMode::Declared => true,
            SegmentMode::Passive => false,
        };
        if done {
            elems.push(empty.clone());
            continue;
        }
        let items: Arc<[u64]> = seg
            .items
            .iter()
            .map(|e| {
                let inner = &mut store.inner;
                eval_init(e, inner, &funcs, &globals, &info.gc_types, &mut failed)
            })
            .collect();
        elems.push(items);
    }

    let elem_time = elem_start.elapsed();
    if let Some(code) = failed {
        return Err(code.into());
    }

    let global_ptrs = globals
        .iter()
        .map(|&g| GlobalPtr(&raw mut store.inner.globals[g as usize].value))
        .collect();
    store.inner.instances.push(InstanceEntity {
        module: module.clone(),
        funcs,
        tables,
        memories,
        globals,
        global_ptrs,
        elems,
        dropped_data: match image {
            // The image holds every active segment: they count as applied.
            Some(img) => img.dropped().clone(),
            None => Arc::new(vec![false; info.datas.len()]),
        },
        tags,
        def_base,
        sigs,
    });
    if n_defined > 0 {
        store.inner.defined.push((def_base, inst_idx));
        store.inner.next_defined = def_base + n_defined;
    }

    // Active segments, in order.
    let elem_start = std::time::Instant::now();
    for (i, seg) in info.elems.iter().enumerate() {
        match &seg.mode {
            SegmentMode::Active { .. } if prepared.is_some() => {}
            SegmentMode::Active { index, offset } => {
                let inst = &store.inner.instances[inst_idx as usize];
                let inner = &store.inner;
                let off = offset.eval(
                    |f| inst.funcs[f as usize] as u64 + 1,
                    |g| inner.globals[inst.globals[g as usize] as usize].value,
                ) as u32;
                let table = inst.tables[*index as usize];
                let items = inst.elems[i].clone();
                let t = &mut store.inner.tables[table as usize];
                let end = off as usize + items.len();
                if end > t.elems.len() {
                    return Err(TrapCode::TableOutOfBounds.into());
                }
                t.elems[off as usize..end].copy_from_slice(&items);
                store.inner.instances[inst_idx as usize].elems[i] = empty.clone();
            }
            SegmentMode::Declared => {
                store.inner.instances[inst_idx as usize].elems[i] = empty.clone();
            }
            SegmentMode::Passive => {}
        }
    }
    stats.add_time(Stat::ElemSegmentTime, elem_time + elem_start.elapsed());
    let data_start = std::time::Instant::now();
    let mut copied = 0;
    if let Some(img) = image {
        // Applied by the image (and marked dropped above).
        copied = img.segments();
    }
    let one_by_one = match image {
        None => &info.datas[..],
        Some(_) => &[],
    };
    // One pass with the instance's entities borrowed once: Go's binaries have
    // ~100,000 segments, so the loop body is the whole cost.
    let inner = &mut store.inner;
    let inst = &mut inner.instances[inst_idx as usize];
    let globals = &inner.globals;
    let memories = &mut inner.memories;
    let bytes = &module.inner.bytes[..];
    for (i, seg) in one_by_one.iter().enumerate() {
        if let SegmentMode::Active { index, offset } = &seg.mode {
            let off = offset.eval(
                |f| inst.funcs[f as usize] as u64 + 1,
                |g| globals[inst.globals[g as usize] as usize].value,
            );
            let src = &bytes[seg.bytes.clone()];
            let m = &mut memories[inst.memories[*index as usize] as usize];
            // A 32-bit memory's offset is an i32 (its slot's low half).
            let off = if m.ty.memory64 {
                off
            } else {
                off as u32 as u64
            };
            let dst = usize::try_from(off)
                .ok()
                .and_then(|off| m.data.get_mut(off..off.checked_add(src.len())?));
            match dst {
                Some(dst) => dst.copy_from_slice(src),
                None => return Err(TrapCode::MemoryOutOfBounds.into()),
            }
            Arc::make_mut(&mut inst.dropped_data)[i] = true;
            copied += 1;
        }
    }
    stats.add(Stat::DataSegments, copied);
    stats.add_time(Stat::DataSegmentTime, data_start.elapsed());
    Ok(Instance(Stored::new(store.inner.id, inst_idx)))
}

/// The function index of an import's entity (a function import).
fn i_func(index: EntityIndex) -> usize {
    match index {
        EntityIndex::Func(i) => i as usize,
        _ => unreachable!("a function import"),
    }
}

/// Does global type `actual` match the import's `expected` type? Mutable
/// globals need equal types, immutable ones a subtype.
fn global_matches(engine: &crate::Engine, expected: &GlobalType, actual: &GlobalType) -> bool {
    if expected.mutability != actual.mutability || expected.content != actual.content {
        return false;
    }
    match (expected.ref_type(), actual.ref_type()) {
        (Some(e), Some(a)) => {
            canon::ref_matches(engine, a, e)
                && (expected.mutability == crate::types::Mutability::Const
                    || canon::ref_matches(engine, e, a))
        }
        (None, None) => true,
        _ => false,
    }
}

/// Evaluates an initialiser (global, table or element item) of an instance
/// being built: `funcs` and `globals` map its module's indices to store
/// ones; GC objects go to the store's heap, the first trap into `failed`.
fn eval_init(
    e: &crate::module::ConstExpr,
    inner: &mut crate::store::StoreInner,
    funcs: &[u32],
    globals: &[u32],
    types: &[Arc<crate::gc::layout::GcType>],
    failed: &mut Option<crate::TrapCode>,
) -> u64 {
    let (gl, heap) = (&inner.globals, &mut inner.gc);
    e.eval_with(
        |f| funcs[f as usize] as u64 + 1,
        |g| gl[globals[g as usize] as usize].value,
        &|g| gl[globals[g as usize] as usize].v128_hi(),
        &mut |op, stack| crate::gc::consts::eval_alloc(heap, types, op, stack, failed),
    )
}
