//! Per-module initial state prepared once and reused by every instance: the
//! contents of memory 0 after the active data segments ([`MemoryImage`]), and
//! the contents of the defined tables after the active element segments
//! ([`TablePlan`], resolved to store references once per import binding).
//!
//! The table plan is computed on the module's first instantiation. The
//! memory image waits for the second (or for [`ModuleImages::prepare`], which
//! `InstancePre` calls): building it costs a copy of every segment into the
//! image and another into the memory file, so a module instantiated once
//! (`wasp run`) copies its segments straight into its memory instead. Both
//! exist only when the result cannot depend on the instance: segment offsets are
//! constants (no `global.get`), segments target memories/tables the module
//! defines, and every segment is in bounds of the initial size. Otherwise
//! (or when a segment would trap) instantiation takes the ordinary path,
//! which applies the segments one by one and reports the trap.

use crate::module::{ModuleInfo, SegmentMode};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::WASM_PAGE;

/// Below this many bytes an image is copied into a fresh memory; at or
/// above it (on Linux) the image is a memory file mapped copy-on-write.
pub(crate) const FILE_IMAGE_MIN: usize = 64 * 1024;

/// A module's prepared state, computed on first use (see the module docs).
#[derive(Default)]
pub(crate) struct ModuleImages {
    memory: OnceLock<Option<Arc<MemoryImage>>>,
    tables: OnceLock<Option<TablePlan>>,
    /// The tables resolved for the last import binding seen.
    resolved: Mutex<Option<Arc<ResolvedTables>>>,
    /// Whether an instantiation already asked for the memory image.
    asked: AtomicBool,
    /// Engine type id and parameter/result slots of each defined function.
    sigs: OnceLock<Arc<[FuncSig]>>,
}

/// What a store's function entity needs of a defined function's type,
/// computed once per module ([`ModuleImages::sigs`]).
#[derive(Clone, Copy)]
pub(crate) struct FuncSig {
    pub ty: u32,
    pub params: u16,
    pub results: u16,
}

impl std::fmt::Debug for ModuleImages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleImages").finish_non_exhaustive()
    }
}

impl ModuleImages {
    /// Memory 0's image for an instantiation, if the data segments allow one
    /// and the module is instantiated more than once: the first call returns
    /// `None` without building it (that instance applies its segments one by
    /// one), later calls build it once and share it.
    pub fn memory(&self, info: &ModuleInfo, bytes: &[u8]) -> Option<&MemoryImage> {
        if let Some(img) = self.memory.get() {
            return img.as_deref();
        }
        if !self.asked.swap(true, Ordering::Relaxed) {
            return None;
        }
        self.prepare(info, bytes)
    }

    /// Whether no instantiation has asked for the memory image yet: the
    /// instance about to be made is the module's first.
    pub fn first_instantiation(&self) -> bool {
        !self.asked.load(Ordering::Relaxed) && self.memory.get().is_none()
    }

    /// Builds memory 0's image now (if the data segments allow one), for a
    /// module that is going to be instantiated many times.
    pub fn prepare(&self, info: &ModuleInfo, bytes: &[u8]) -> Option<&MemoryImage> {
        self.memory
            .get_or_init(|| plan_memory(info, bytes).map(Arc::new))
            .as_deref()
    }

    /// Each defined function's engine type id and slot counts, computed on
    /// first use: instantiation then copies them instead of walking types.
    pub fn sigs(&self, info: &ModuleInfo) -> Arc<[FuncSig]> {
        self.sigs
            .get_or_init(|| {
                let imported = info.num_imported_funcs as usize;
                info.funcs[imported..]
                    .iter()
                    .map(|&ty_idx| {
                        let ty = &info.types[ty_idx as usize];
                        FuncSig {
                            ty: info.type_ids[ty_idx as usize],
                            params: ty.param_slots() as u16,
                            results: ty.result_slots() as u16,
                        }
                    })
                    .collect()
            })
            .clone()
    }

    /// The defined tables' initial contents as store references, given the
    /// instance's function mapping `funcs` (module index → store index), if
    /// the element segments allow a plan.
    pub fn tables(&self, info: &ModuleInfo, funcs: &[u32]) -> Option<Arc<ResolvedTables>> {
        let plan = self.tables.get_or_init(|| plan_tables(info)).as_ref()?;
        // Defined functions have consecutive store indices, so the imports'
        // indices and the first defined one determine the whole mapping.
        let n = (info.num_imported_funcs as usize + 1).min(funcs.len());
        let key = &funcs[..n];
        let mut slot = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = slot.as_ref().filter(|r| *r.key == *key) {
            return Some(r.clone());
        }
        let resolve = |v: u32| match v {
            0 => 0,
            f => funcs[f as usize - 1] as u64 + 1,
        };
        let r = Arc::new(ResolvedTables {
            key: key.into(),
            tables: plan
                .tables
                .iter()
                .map(|t| t.iter().map(|&v| resolve(v)).collect::<Vec<u64>>().into())
                .collect(),
        });
        *slot = Some(r.clone());
        Some(r)
    }
}

/// The initial contents of memory 0: `len` bytes, in a memory file (mapped
/// into each instance copy-on-write) or in a buffer (copied).
pub(crate) struct MemoryImage {
    /// Unique in the process: pooled memories remember which image they map.
    id: u64,
    len: usize,
    /// Number of active data segments the image stands for.
    segments: u64,
    /// Each data segment's dropped flag after instantiation with the image
    /// (the active ones are applied, hence dropped).
    dropped: Arc<Vec<bool>>,
    bytes: Box<[u8]>,
    #[cfg(target_os = "linux")]
    file: Option<std::os::fd::OwnedFd>,
    /// The memory file mapped read-only, for pooled regions to restore
    /// written pages from (`resident.rs`).
    #[cfg(target_os = "linux")]
    source: Option<Arc<super::resident::Source>>,
}

impl MemoryImage {
    /// An image of `bytes` standing for `segments` data segments.
    pub fn new(bytes: Vec<u8>, segments: u64) -> MemoryImage {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut img = MemoryImage {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            len: bytes.len(),
            segments,
            dropped: Arc::new(Vec::new()),
            bytes: bytes.into_boxed_slice(),
            #[cfg(target_os = "linux")]
            file: None,
            #[cfg(target_os = "linux")]
            source: None,
        };
        #[cfg(target_os = "linux")]
        if img.len >= FILE_IMAGE_MIN {
            if let Some((fd, len)) = memory_file(&img.bytes) {
                use std::os::fd::AsFd;
                img.source = super::resident::Source::map(fd.as_fd(), len).map(Arc::new);
                img.file = Some(fd);
                img.len = len;
                img.bytes = Box::new([]);
            }
        }
        img
    }

    /// The image's identity, unique in the process and never 0.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Bytes the image covers (page-rounded for a memory file).
    pub fn len(&self) -> usize {
        self.len
    }

    /// How many active data segments the image applies.
    pub fn segments(&self) -> u64 {
        self.segments
    }

    /// The instance's initial dropped flag of each data segment.
    pub fn dropped(&self) -> &Arc<Vec<bool>> {
        &self.dropped
    }

    /// Whether the image is a memory file (mapped copy-on-write).
    #[cfg(test)]
    pub fn is_file(&self) -> bool {
        self.file().is_some()
    }

    /// The memory file and its (page-aligned) length, if the image has one.
    #[cfg(unix)]
    pub fn file(&self) -> Option<(std::os::fd::BorrowedFd<'_>, usize)> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsFd;
            self.file.as_ref().map(|f| (f.as_fd(), self.len))
        }
        #[cfg(not(target_os = "linux"))]
        None
    }

    /// The memory file's read-only mapping, if the image has one.
    #[cfg(target_os = "linux")]
    pub(super) fn source(&self) -> Option<&Arc<super::resident::Source>> {
        self.source.as_ref()
    }

    /// Drops the read-only mapping (as when it could not be made).
    #[cfg(all(test, target_os = "linux"))]
    pub fn forget_source(&mut self) {
        self.source = None;
    }

    /// Writes the image into the start of `dst` (≥ `len` bytes); `false` if
    /// the memory file could not be read.
    #[must_use]
    pub fn copy_into(&self, dst: &mut [u8]) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(f) = &self.file {
            let mut done = 0;
            while done < self.len {
                match rustix::io::pread(f, &mut dst[done..self.len], done as u64) {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => done += n,
                }
            }
            return true;
        }
        dst[..self.bytes.len()].copy_from_slice(&self.bytes);
        true
    }
}

/// A sealed-size memory file holding `bytes`, rounded up to host pages.
#[cfg(target_os = "linux")]
fn memory_file(bytes: &[u8]) -> Option<(std::os::fd::OwnedFd, usize)> {
    use rustix::fs::MemfdFlags;
    use std::io::Write;
    let page = rustix::param::page_size();
    if page > WASM_PAGE {
        return None;
    }
    let len = bytes.len().div_ceil(page) * page;
    let fd = rustix::fs::memfd_create("wasp-memory-image", MemfdFlags::CLOEXEC).ok()?;
    let mut file = std::fs::File::from(fd);
    file.set_len(len as u64).ok()?;
    file.write_all(bytes).ok()?;
    Some((file.into(), len))
}

/// A constant expression's value, or `None` if it reads a global or
/// references a function.
fn constant(e: &crate::module::ConstExpr) -> Option<u64> {
    let other = Cell::new(false);
    let v = e.eval(|_| (other.set(true), 0).1, |_| (other.set(true), 0).1);
    (!other.get()).then_some(v)
}

/// Memory 0's contents after the active data segments, when they are all
/// constant, target memory 0 defined by the module, and fit its initial size.
/// Only for a 32-bit memory 0 of 64 KiB pages: memory64 and custom page
/// sizes apply their segments one by one (no image).
fn plan_memory(info: &ModuleInfo, bytes: &[u8]) -> Option<MemoryImage> {
    if info.num_imported_memories != 0 || info.memories.is_empty() {
        return None;
    }
    if info.memories[0].memory64 || info.memories[0].page_size_log2 != 16 {
        return None;
    }
    let size = info.memories[0].limits.min as usize * WASM_PAGE;
    let mut segs = Vec::new();
    let mut end = 0;
    for seg in &info.datas {
        if let SegmentMode::Active { index, offset } = &seg.mode {
            if *index != 0 {
                return None;
            }
            let off = constant(offset)? as u32 as usize;
            let e = off.checked_add(seg.bytes.len())?;
            if e > size {
                return None;
            }
            end = end.max(e);
            segs.push((off, seg.bytes.clone()));
        }
    }
    if segs.is_empty() {
        return None;
    }
    let mut image = vec![0u8; end];
    for (off, range) in &segs {
        image[*off..*off + range.len()].copy_from_slice(&bytes[range.clone()]);
    }
    let mut img = MemoryImage::new(image, segs.len() as u64);
    img.dropped = info
        .datas
        .iter()
        .map(|d| matches!(d.mode, SegmentMode::Active { .. }))
        .collect::<Vec<bool>>()
        .into();
    Some(img)
}

/// The defined tables' contents after the active element segments, as
/// module function references: 0 is null, `f + 1` is function `f`.
pub(crate) struct TablePlan {
    tables: Vec<Box<[u32]>>,
}

/// A [`TablePlan`] resolved to store references for one function mapping.
pub(crate) struct ResolvedTables {
    key: Box<[u32]>,
    /// Initial elements of each defined table.
    /// Shared by the instances until one writes its table (`TableElems`).
    pub tables: Vec<Arc<[u64]>>,
}

/// A reference-valued constant as a plan entry: `ref.null` or `ref.func`
/// (`None` for anything else: a global, or a GC value such as an `i31`
/// or an object, which is no function index to resolve).
fn reference(e: &crate::module::ConstExpr) -> Option<u32> {
    use crate::module::ConstOp;
    match e.ops() {
        [ConstOp::Value(0)] => Some(0),
        [ConstOp::RefFunc(f)] => f.checked_add(1),
        _ => None,
    }
}

fn plan_tables(info: &ModuleInfo) -> Option<TablePlan> {
    let first = info.num_imported_tables as usize;
    let mut tables = Vec::with_capacity(info.tables.len() - first);
    for (ty, init) in info.tables[first..].iter().zip(&info.table_inits) {
        let v = match init {
            None => 0,
            Some(e) => reference(e)?,
        };
        tables.push(vec![v; ty.limits.min as usize].into_boxed_slice());
    }
    let mut any = false;
    for seg in &info.elems {
        if let SegmentMode::Active { index, offset } = &seg.mode {
            let t = (*index as usize).checked_sub(first)?;
            let off = constant(offset)? as u32 as usize;
            let table = tables.get_mut(t)?;
            let end = off.checked_add(seg.items.len())?;
            if end > table.len() {
                return None;
            }
            for (slot, item) in table[off..end].iter_mut().zip(&seg.items) {
                *slot = reference(item)?;
            }
            any = true;
        }
    }
    any.then_some(TablePlan { tables })
}
