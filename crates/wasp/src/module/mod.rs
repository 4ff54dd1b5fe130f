//! [`Module`]: a validated WebAssembly module, ready to instantiate.
//!
//! Loading decodes and validates the whole module with `wasmparser` (so errors
//! surface before anything runs), but function bodies are only *translated* to
//! wasp's register IR on their first call (see `crate::translate`). The
//! translated code is cached in the module and shared by all its instances,
//! and, with a code cache (`load.rs`, `crate::cache`), kept for the next run.

mod body_guard;
mod bytes;
pub(crate) mod canon;
mod const_expr;
mod load;
mod names;
mod parse;
mod validate;

pub use load::{CacheStatus, LoadTimings};

pub(crate) use const_expr::{ConstExpr, ConstOp};

pub(crate) use parse::features;

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::CompiledFunc;
use crate::types::{
    ExportType, ExternType, FuncType, GlobalType, ImportType, MemoryType, TableType, ValType,
};
use crate::value::Val;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// What an import or export refers to: its kind and its index in the
/// module's index space of that kind (imported entities come first in each
/// space). See [`Module::imports_indexed`] and [`Module::exports_indexed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityIndex {
    /// Function `n`.
    Func(u32),
    /// Table `n`.
    Table(u32),
    /// Memory `n`.
    Memory(u32),
    /// Global `n`.
    Global(u32),
    /// Tag `n` (exception handling).
    Tag(u32),
}

impl EntityIndex {
    /// The index within its kind's index space.
    pub fn index(self) -> u32 {
        match self {
            EntityIndex::Func(i)
            | EntityIndex::Table(i)
            | EntityIndex::Memory(i)
            | EntityIndex::Global(i)
            | EntityIndex::Tag(i) => i,
        }
    }
}

/// Where a data or element segment goes (see [`Module::data_segments`] and
/// [`Module::element_segments`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// Copied only on request (`memory.init`, `table.init`).
    Passive,
    /// Copied at instantiation into memory or table `index`.
    Active {
        /// The memory (data) or table (elements) it initialises.
        index: u32,
        /// Where it starts, when the offset expression is a constant
        /// (`None` when it reads a global, known only at instantiation).
        offset: Option<u64>,
    },
    /// Declared only (element segments): the functions `ref.func` may name.
    Declared,
}

/// The initial value of a defined global, as its constant expression gives
/// it (see [`Module::global_init`]).
#[derive(Debug, Clone, PartialEq)]
pub enum GlobalInit {
    /// A constant: `i32.const 5`, `f64.const 1.5`, or `ref.null` (a null
    /// [`Val::FuncRef`] or [`Val::ExternRef`]).
    Value(Val),
    /// `ref.func n`: a reference to function `n`.
    RefFunc(u32),
    /// `global.get n`: the value of (imported) global `n`.
    GlobalGet(u32),
    /// An expression of several operators.
    Expression,
}

#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub module: String,
    pub name: String,
    pub index: EntityIndex,
}

#[derive(Debug, Clone)]
pub(crate) enum SegmentMode {
    Passive,
    Active { index: u32, offset: ConstExpr },
    Declared,
}

#[derive(Debug, Clone)]
pub(crate) struct ElemSegment {
    pub mode: SegmentMode,
    /// Element type (for [`Module::element_segments`]).
    pub ty: ValType,
    pub items: Vec<ConstExpr>,
}

#[derive(Debug, Clone)]
pub(crate) struct DataSegment {
    pub mode: SegmentMode,
    pub bytes: Range<usize>,
}

/// Everything the module declares, decoded once.
#[derive(Debug, Default)]
pub(crate) struct ModuleInfo {
    pub name: Option<String>,
    pub types: Vec<FuncType>,
    /// Engine-wide ids of `types`.
    pub type_ids: Vec<u32>,
    /// The run-time layout of each of `types` (`gc/layout.rs`).
    pub gc_types: Vec<Arc<crate::gc::layout::GcType>>,
    /// Does the module define a struct or array type (so its code may
    /// allocate GC objects)? Such a module is always interpreted.
    pub allocates: bool,
    pub imports: Vec<Import>,
    /// Type index of every function (imported first).
    pub funcs: Vec<u32>,
    pub num_imported_funcs: u32,
    pub tables: Vec<TableType>,
    pub num_imported_tables: u32,
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: u32,
    pub globals: Vec<GlobalType>,
    pub num_imported_globals: u32,
    /// Type index of every tag (imported first).
    pub tags: Vec<u32>,
    pub num_imported_tags: u32,
    /// Initialisers of the defined (non-imported) globals.
    pub global_inits: Vec<ConstExpr>,
    /// Initialisers of defined tables (`None` = null).
    pub table_inits: Vec<Option<ConstExpr>>,
    pub exports: Vec<(String, EntityIndex)>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub datas: Vec<DataSegment>,
    /// Byte range of each defined function's body (locals + code) in `bytes`.
    pub bodies: Vec<Range<usize>>,
    pub func_names: names::FuncNames,
    /// Custom sections: name and byte range of the payload.
    pub customs: Vec<(String, Range<usize>)>,
}

pub(crate) struct ModuleInner {
    pub engine: Engine,
    pub info: ModuleInfo,
    pub bytes: bytes::ModuleBytes,
    /// Translated code of each defined function, filled on first call.
    pub compiled: Box<[OnceLock<Arc<CompiledFunc>>]>,
    /// What loading cost.
    pub load: LoadTimings,
    /// The module's code cache entry, when the engine has a cache.
    pub cache: Option<load::ModuleCache>,
    /// Initial memory and table contents prepared on first instantiation.
    pub images: crate::memory::image::ModuleImages,
    /// Tiered execution: call counters and installed native code.
    pub tier: crate::exec::TierState,
}

/// A validated WebAssembly module. Cheap to clone; shareable across threads and stores.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.inner.info.name)
            .field("funcs", &self.inner.info.funcs.len())
            .finish()
    }
}

impl Module {
    /// Decodes and validates a module from binary bytes or WebAssembly text.
    ///
    /// Errors say what is wrong and where (section, function index, byte offset).
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        if bytes.starts_with(b"\0asm") {
            return Self::load(
                engine,
                bytes.to_vec().into(),
                std::time::Duration::ZERO,
                None,
            );
        }
        Self::new_read(engine, bytes, std::time::Duration::ZERO)
    }

    /// Loads `bytes`, text or binary.
    fn new_read(engine: &Engine, bytes: &[u8], read: std::time::Duration) -> Result<Module> {
        let binary = if bytes.starts_with(b"\0asm") {
            bytes.to_vec()
        } else {
            wat::parse_bytes(bytes)
                .map_err(|e| Error::new(ErrorKind::Malformed, e.to_string()))?
                .into_owned()
        };
        Self::load(engine, binary.into(), read, None)
    }

    /// Decodes and validates a module from binary bytes only.
    pub fn from_binary(engine: &Engine, bytes: Vec<u8>) -> Result<Module> {
        Self::load(engine, bytes.into(), std::time::Duration::ZERO, None)
    }

    /// Reads a module from a file (binary or text).
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module> {
        let path = path.as_ref();
        let start = std::time::Instant::now();
        let cached = engine.config().cache_dir.is_some();
        let load::FileRead { bytes, hash } = load::read_file(path, cached).map_err(|e| {
            Error::new(
                ErrorKind::Usage,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let read = start.elapsed();
        if bytes.starts_with(b"\0asm") {
            return Self::load(engine, bytes, read, hash);
        }
        Self::new_read(engine, &bytes, read)
    }

    /// The engine this module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module name from the `name` section, if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.info.name.as_deref()
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType<'_>> + '_ {
        self.imports_indexed().map(|(imp, _)| imp)
    }

    /// The module's imports, in order, each with the index it takes in its
    /// kind's index space (the second imported memory is memory 1).
    pub fn imports_indexed(
        &self,
    ) -> impl ExactSizeIterator<Item = (ImportType<'_>, EntityIndex)> + '_ {
        self.inner.info.imports.iter().map(|imp| {
            let ty = ImportType {
                module: &imp.module,
                name: &imp.name,
                ty: self.inner.info.entity_type(imp.index),
            };
            (ty, imp.index)
        })
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType<'_>> + '_ {
        self.exports_indexed().map(|(export, _)| export)
    }

    /// The module's exports, in order, each with the entity it refers to
    /// (kind and index: an export of imported function 0 is `Func(0)`).
    pub fn exports_indexed(
        &self,
    ) -> impl ExactSizeIterator<Item = (ExportType<'_>, EntityIndex)> + '_ {
        self.inner.info.exports.iter().map(|(name, idx)| {
            let ty = ExportType {
                name,
                ty: self.inner.info.entity_type(*idx),
            };
            (ty, *idx)
        })
    }

    /// The initial value of global `index` (imported globals first), or
    /// `None` when that global is imported or does not exist.
    pub fn global_init(&self, index: u32) -> Option<GlobalInit> {
        let info = &self.inner.info;
        let expr = info
            .global_inits
            .get(index.checked_sub(info.num_imported_globals)? as usize)?;
        Some(match expr.ops() {
            [ConstOp::Value(v)] => GlobalInit::Value(match info.globals[index as usize].content {
                ValType::I32 => Val::I32(*v as u32 as i32),
                ValType::I64 => Val::I64(*v as i64),
                ValType::F32 => Val::F32(*v as u32),
                ValType::F64 => Val::F64(*v),
                // The only constant reference is `ref.null`.
                ValType::FuncRef => Val::FuncRef(None),
                ValType::ExternRef => Val::ExternRef(None),
                ValType::V128 => Val::V128(*v as u128),
                ValType::ExnRef => Val::ExnRef(None),
                ValType::AnyRef => Val::AnyRef(None),
            }),
            [ConstOp::V128(lo, hi)] => {
                GlobalInit::Value(Val::V128(*lo as u128 | (*hi as u128) << 64))
            }
            [ConstOp::RefFunc(f)] => GlobalInit::RefFunc(*f),
            [ConstOp::GlobalGet(g)] => GlobalInit::GlobalGet(*g),
            _ => GlobalInit::Expression,
        })
    }

    /// The data segments, in order: where each goes and its bytes.
    pub fn data_segments(&self) -> impl ExactSizeIterator<Item = (SegmentKind, &[u8])> + '_ {
        self.inner
            .info
            .datas
            .iter()
            .map(|d| (d.mode.kind(), &self.inner.bytes[d.bytes.clone()]))
    }

    /// The element segments, in order: where each goes, its element type
    /// and its number of items.
    pub fn element_segments(
        &self,
    ) -> impl ExactSizeIterator<Item = (SegmentKind, ValType, usize)> + '_ {
        self.inner
            .info
            .elems
            .iter()
            .map(|e| (e.mode.kind(), e.ty, e.items.len()))
    }

    /// The custom sections: (name, payload bytes), in order.
    pub fn custom_sections(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.inner
            .info
            .customs
            .iter()
            .map(|(n, r)| (n.as_str(), &self.inner.bytes[r.clone()]))
    }

    /// The name of function `index` from the `name` section.
    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.inner.info.func_names.get(&index).map(String::as_str)
    }

    /// The size of the module's binary in bytes.
    pub fn byte_len(&self) -> usize {
        self.inner.bytes.len()
    }

    /// Number of functions (imported and defined).
    pub fn func_count(&self) -> usize {
        self.inner.info.funcs.len()
    }

    /// Total size in bytes of the defined functions' bodies.
    pub fn code_size(&self) -> usize {
        self.inner.info.bodies.iter().map(|r| r.len()).sum()
    }

    /// The start function index, if any.
    pub fn start(&self) -> Option<u32> {
        self.inner.info.start
    }

    /// The memories (imported first).
    pub fn memories(&self) -> &[MemoryType] {
        &self.inner.info.memories
    }

    /// The tables (imported first).
    pub fn tables(&self) -> &[TableType] {
        &self.inner.info.tables
    }

    /// The globals (imported first).
    pub fn globals(&self) -> &[GlobalType] {
        &self.inner.info.globals
    }

    /// The translated IR of function `func_index`, one instruction per line
    /// (for debugging the translator; the format is not stable).
    #[doc(hidden)]
    pub fn debug_ir(&self, func_index: u32) -> Result<String> {
        let def = func_index
            .checked_sub(self.inner.info.num_imported_funcs)
            .ok_or_else(|| Error::new(ErrorKind::Usage, "imported function"))?;
        let code = self.inner.compiled_func(def)?;
        let mut out = format!(
            "params {} locals {} frame {}\n",
            code.params, code.locals, code.frame_size
        );
        for (i, instr) in code.instrs.iter().enumerate() {
            out.push_str(&format!("{i:4}: {instr:?}\n"));
        }
        Ok(out)
    }

    /// How many defined functions have been translated so far (lazy translation).
    pub fn translated_count(&self) -> usize {
        self.inner
            .compiled
            .iter()
            .filter(|c| c.get().is_some())
            .count()
    }
}

impl SegmentMode {
    /// The public view: a constant offset evaluated, one reading a global left unknown.
    fn kind(&self) -> SegmentKind {
        match self {
            SegmentMode::Passive => SegmentKind::Passive,
            SegmentMode::Declared => SegmentKind::Declared,
            SegmentMode::Active { index, offset } => {
                let constant = offset
                    .ops()
                    .iter()
                    .all(|op| !matches!(op, ConstOp::RefFunc(_) | ConstOp::GlobalGet(_)));
                SegmentKind::Active {
                    index: *index,
                    offset: constant.then(|| offset.eval(|_| 0, |_| 0)),
                }
            }
        }
    }
}

impl ModuleInfo {
    pub fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.funcs[func as usize] as usize]
    }

    pub fn entity_type(&self, idx: EntityIndex) -> ExternType {
        match idx {
            EntityIndex::Func(i) => ExternType::Func(self.func_type(i).clone()),
            EntityIndex::Table(i) => ExternType::Table(self.tables[i as usize]),
            EntityIndex::Memory(i) => ExternType::Memory(self.memories[i as usize]),
            EntityIndex::Global(i) => ExternType::Global(self.globals[i as usize]),
            EntityIndex::Tag(i) => {
                ExternType::Tag(self.types[self.tags[i as usize] as usize].clone())
            }
        }
    }
}

impl ModuleInner {
    /// The translated code of defined function `def` (index among defined functions),
    /// translating it on first use.
    pub fn compiled_func(&self, def: u32) -> Result<Arc<CompiledFunc>> {
        let cell = &self.compiled[def as usize];
        if let Some(c) = cell.get() {
            return Ok(c.clone());
        }
        if let Some(code) = self.cached_func(def) {
            let _ = cell.set(Arc::new(code));
            return Ok(cell.get().expect("just set").clone());
        }
        let func_index = self.info.num_imported_funcs + def;
        let range = self.info.bodies[def as usize].clone();
        let start = std::time::Instant::now();
        let compiled = crate::translate::translate(self, func_index, range).map_err(|e| {
            Error::new(
                ErrorKind::Unsupported,
                format!("cannot translate function {func_index}: {e}"),
            )
        })?;
        let stats = self.engine.counters();
        stats.add(crate::engine::Stat::FuncsTranslated, 1);
        stats.add_time(crate::engine::Stat::TranslateTime, start.elapsed());
        self.learned(def);
        let _ = cell.set(Arc::new(compiled));
        Ok(cell.get().expect("just set").clone())
    }
}
