//! A store's GC heap: an object table, allocation, and a mark-sweep
//! collector.
//!
//! Objects live in a table indexed by the reference encoding
//! (`gc/mod.rs`); a freed entry goes on a free list and is reused. Nothing
//! moves, so a reference is an index for the object's whole life.
//!
//! **Roots.** The interpreter's frames are untyped 64-bit slots, so the
//! collector scans them *conservatively*: every slot of the store's value
//! stack below the running frame's end that decodes as a live object's
//! reference keeps it alive. The same goes for globals, table elements,
//! element segments, exception payloads and the references handed to the
//! host (`Heap::root`). A number that happens to look like a reference
//! only keeps an object longer; since objects never move, no reference is
//! ever rewritten, and every real reference is in one of those places,
//! nothing reachable is freed. Within objects tracing is precise: only
//! fields of `any`/`extern` reference type are followed. Compiled code is
//! the one place that could hide a reference (in a register), so a module
//! that allocates is never compiled, and no collection runs while native
//! code is on the stack (the heap grows instead, `Heap::alloc`).
//!
//! **When.** An allocation that would pass `next_gc` collects first (when
//! the caller can say where the roots are); afterwards `next_gc` is twice
//! the surviving bytes, at least [`MIN_GC_BYTES`], at most the limit. An
//! allocation that still does not fit under the limit traps.

use super::layout::{GcType, RefClass, Storage};
use crate::error::TrapCode;
use std::sync::Arc;

/// Bytes an object costs besides its payload (table entry, type pointer,
/// allocation header), for the accounting only.
const OBJECT_OVERHEAD: usize = 40;

/// The heap size below which no collection runs.
pub(crate) const MIN_GC_BYTES: usize = 1 << 20;

/// The default limit of a store's GC heap ([`crate::Config::max_gc_heap`]).
pub const DEFAULT_MAX_GC_HEAP: usize = 1 << 30;

/// Most objects a heap holds (the encoding's bound).
const MAX_OBJECTS: usize = (1 << 30) - 1;

/// A struct or array.
#[derive(Debug)]
pub(crate) struct Obj {
    pub ty: Arc<GcType>,
    /// A struct's fields, or an array's elements, in slots.
    pub data: Box<[u64]>,
}

impl Obj {
    /// An array's length in elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len() / self.ty.slots.max(1) as usize
    }

    fn bytes(&self) -> usize {
        self.data.len() * 8 + OBJECT_OVERHEAD
    }
}

/// What the collector has done (for tests and statistics).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GcStats {
    /// Collections run.
    pub collections: u64,
    /// Objects freed over all collections.
    pub freed: u64,
    /// Objects alive now (allocated and not freed).
    pub live: u64,
    /// Bytes the live objects take (payload plus a fixed per-object cost).
    pub bytes: u64,
}

/// A store's objects.
#[derive(Debug)]
pub(crate) struct Heap {
    objs: Vec<Option<Obj>>,
    free: Vec<u32>,
    bytes: usize,
    next_gc: usize,
    limit: usize,
    /// References the host holds (`Val`s handed out): roots until the
    /// store is dropped.
    host_roots: std::sync::Mutex<Vec<u32>>,
    stats: GcStats,
}

impl Heap {
    /// An empty heap of at most `limit` bytes.
    pub fn new(limit: usize) -> Heap {
        Heap {
            objs: Vec::new(),
            free: Vec::new(),
            bytes: 0,
            next_gc: MIN_GC_BYTES.min(limit),
            limit,
            host_roots: Default::default(),
            stats: GcStats::default(),
        }
    }

    /// The bytes an object of `ty` with `slots` payload slots would take,
    /// or a trap if it can never fit.
    pub fn size_of(&self, slots: usize) -> Result<usize, TrapCode> {
        slots
            .checked_mul(8)
            .and_then(|b| b.checked_add(OBJECT_OVERHEAD))
            .filter(|&b| b <= self.limit)
            .ok_or(TrapCode::GcHeapExhausted)
    }

    /// Should a collection run before allocating `size` bytes?
    #[inline]
    pub fn wants_collection(&self, size: usize) -> bool {
        self.bytes.saturating_add(size) > self.next_gc
    }

    /// Allocates an object of `ty` holding `data`, without collecting.
    pub fn alloc(&mut self, ty: Arc<GcType>, data: Box<[u64]>) -> Result<u32, TrapCode> {
        let obj = Obj { ty, data };
        let size = obj.bytes();
        if self.bytes.saturating_add(size) > self.limit {
            return Err(TrapCode::GcHeapExhausted);
        }
        let index = match self.free.pop() {
            Some(i) => {
                self.objs[i as usize] = Some(obj);
                i
            }
            None if self.objs.len() < MAX_OBJECTS => {
                self.objs.push(Some(obj));
                self.objs.len() as u32 - 1
            }
            None => return Err(TrapCode::GcHeapExhausted),
        };
        self.bytes += size;
        self.stats.live += 1;
        Ok(index)
    }

    /// The object `raw` refers to, if `raw` is a live object's reference.
    #[inline]
    pub fn get(&self, raw: u64) -> Option<&Obj> {
        let i = super::object_index(raw)?;
        self.objs.get(i as usize)?.as_ref()
    }

    /// As [`Heap::get`], mutably.
    #[inline]
    pub fn get_mut(&mut self, raw: u64) -> Option<&mut Obj> {
        let i = super::object_index(raw)?;
        self.objs.get_mut(i as usize)?.as_mut()
    }

    /// Two objects at once (`array.copy`); `None` if either is not live.
    /// The same object twice gives `Err(the object)`.
    #[allow(clippy::type_complexity)]
    pub fn pair_mut(&mut self, a: u64, b: u64) -> Option<Result<(&mut Obj, &Obj), &mut Obj>> {
        let (i, j) = (super::object_index(a)?, super::object_index(b)?);
        if i == j {
            return self.get_mut(a).map(Err);
        }
        let (i, j) = (i as usize, j as usize);
        if i.max(j) >= self.objs.len() {
            return None;
        }
        let (dst, src) = if i < j {
            let (lo, hi) = self.objs.split_at_mut(j);
            (&mut lo[i], &hi[0])
        } else {
            let (lo, hi) = self.objs.split_at_mut(i);
            (&mut hi[0], &lo[j])
        };
        Some(Ok((dst.as_mut()?, src.as_ref()?)))
    }

    /// Keeps the object `raw` refers to (if any) alive for the store's
    /// lifetime: the host holds it.
    pub fn root(&self, raw: u64) {
        if let Some(i) = super::object_index(raw) {
            if self.objs.get(i as usize).is_some_and(Option::is_some) {
                let mut roots = self.host_roots.lock().unwrap_or_else(|e| e.into_inner());
                // A host that keeps passing the same object (a loop calling
                // a function with it) roots it once.
                if roots.last() != Some(&i) {
                    roots.push(i);
                }
            }
        }
    }

    /// The collector's counters.
    pub fn stats(&self) -> GcStats {
        GcStats {
            bytes: self.bytes as u64,
            ..self.stats
        }
    }

    /// Marks everything reachable from `roots` (raw slot values, scanned
    /// conservatively) and the host's references, and frees the rest.
    pub fn collect(&mut self, roots: impl IntoIterator<Item = u64>) {
        fn mark(raw: u64, marks: &mut [bool], work: &mut Vec<u32>, objs: &[Option<Obj>]) {
            if let Some(i) = super::object_index(raw) {
                let i = i as usize;
                if i < objs.len() && !marks[i] && objs[i].is_some() {
                    marks[i] = true;
                    work.push(i as u32);
                }
            }
        }
        let mut marks = vec![false; self.objs.len()];
        let mut work: Vec<u32> = Vec::new();
        for raw in roots {
            mark(raw, &mut marks, &mut work, &self.objs);
        }
        let mut host =
            std::mem::take(&mut *self.host_roots.lock().unwrap_or_else(|e| e.into_inner()));
        host.sort_unstable();
        host.dedup();
        for &i in &host {
            mark(super::object(i), &mut marks, &mut work, &self.objs);
        }
        *self.host_roots.lock().unwrap_or_else(|e| e.into_inner()) = host;
        while let Some(i) = work.pop() {
            let objs = &self.objs;
            let Some(obj) = &objs[i as usize] else {
                continue;
            };
            if !obj.ty.traced {
                continue;
            }
            if obj.ty.kind == crate::module::canon::TypeKind::Array {
                for &v in obj.data.iter() {
                    mark(v, &mut marks, &mut work, objs);
                }
            } else {
                for f in obj.ty.fields.iter() {
                    if f.storage == Storage::Ref(RefClass::Gc) {
                        mark(obj.data[f.offset as usize], &mut marks, &mut work, objs);
                    }
                }
            }
        }
        let mut freed = 0;
        for (i, m) in marks.iter().enumerate() {
            if !m {
                if let Some(obj) = self.objs[i].take() {
                    self.bytes -= obj.bytes();
                    self.free.push(i as u32);
                    freed += 1;
                }
            }
        }
        self.stats.collections += 1;
        self.stats.freed += freed;
        self.stats.live -= freed;
        self.next_gc = self
            .bytes
            .saturating_mul(2)
            .clamp(MIN_GC_BYTES, self.limit.max(MIN_GC_BYTES));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::canon::TypeKind;

    fn pair_type() -> Arc<GcType> {
        Arc::new(GcType::new(
            TypeKind::Struct,
            &[(Storage::Ref(RefClass::Gc), true), (Storage::I64, true)],
            Box::new([0]),
        ))
    }

    /// Unreachable objects are freed and their entries reused; reachable
    /// ones (from a root, through a traced field, or held by the host)
    /// survive; an i64 field that looks like a reference is not traced.
    #[test]
    fn collect_frees_only_the_unreachable() {
        let t = pair_type();
        let mut h = Heap::new(1 << 30);
        let leaf = h.alloc(t.clone(), Box::new([0, 0])).unwrap();
        let fake = h.alloc(t.clone(), Box::new([0, 0])).unwrap();
        let root = h
            .alloc(
                t.clone(),
                Box::new([super::super::object(leaf), super::super::object(fake)]),
            )
            .unwrap();
        let garbage = h.alloc(t.clone(), Box::new([0, 0])).unwrap();
        let held = h.alloc(t.clone(), Box::new([0, 0])).unwrap();
        h.root(super::super::object(held));
        h.collect([super::super::object(root), 12345 << 3 | 1]);
        let live = |h: &Heap, i: u32| h.get(super::super::object(i)).is_some();
        assert!(live(&h, root) && live(&h, leaf) && live(&h, held));
        assert!(!live(&h, fake) && !live(&h, garbage));
        assert_eq!(h.stats().freed, 2);
        assert_eq!(h.stats().live, 3);
        // A freed entry is reused.
        let again = h.alloc(t, Box::new([0, 0])).unwrap();
        assert!(again == fake || again == garbage);
    }

    /// Accounting: the limit traps, collection brings the bytes back.
    #[test]
    fn the_limit_traps_and_collection_reclaims() {
        let t = pair_type();
        let mut h = Heap::new(4096);
        let mut n = 0;
        while h.alloc(t.clone(), Box::new([0, 0])).is_ok() {
            n += 1;
        }
        assert!(n > 10);
        assert_eq!(
            h.alloc(t.clone(), Box::new([0, 0])),
            Err(TrapCode::GcHeapExhausted)
        );
        h.collect([]);
        assert_eq!(h.stats().bytes, 0);
        assert!(h.alloc(t, Box::new([0, 0])).is_ok());
        assert_eq!(h.size_of(1 << 20), Err(TrapCode::GcHeapExhausted));
    }

    #[test]
    fn pair_mut_gives_two_objects_or_one() {
        let t = pair_type();
        let mut h = Heap::new(1 << 20);
        let a = super::super::object(h.alloc(t.clone(), Box::new([1, 1])).unwrap());
        let b = super::super::object(h.alloc(t, Box::new([2, 2])).unwrap());
        for (x, y) in [(a, b), (b, a)] {
            let Some(Ok((dst, src))) = h.pair_mut(x, y) else {
                panic!("two objects")
            };
            dst.data[0] = src.data[0] + 10;
        }
        assert_eq!(h.get(a).unwrap().data[0], 12);
        assert_eq!(h.get(b).unwrap().data[0], 22);
        assert!(matches!(h.pair_mut(a, a), Some(Err(_))));
        assert!(h.pair_mut(a, 0).is_none());
    }
}
