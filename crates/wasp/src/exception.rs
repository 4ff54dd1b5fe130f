//! Exception handling, API and store side: tags ([`Tag`]), exceptions held
//! as references ([`ExnRef`]), and an exception that escapes to the
//! embedder ([`Exception`], inside an [`Error`]).
//!
//! The store keeps every tag in `ExnStore::tags` (a tag's identity is its
//! store index: each instantiation of a module defining a tag allocates a
//! fresh one, an import shares the exporter's) and every live exception in
//! `ExnStore::heap` (a thrown exception's tag and payload slots). An
//! `exnref` in a slot is `heap index + 1`, 0 for null, like `funcref`.
//!
//! Lifetime: an exception that was never seen as a reference (thrown and
//! caught by `catch`/`catch_all`, which deliver the payload only) is freed
//! as soon as it is caught and its slot reused. One that became a reference
//! (`catch_ref`/`catch_all_ref`, or an [`Exception`] handed to the embedder)
//! lives as long as the store, like externrefs: there is no collector that
//! could prove a reference dead (see RATIONALE.md).

use crate::error::{Error, ErrorKind, Result};
use crate::store::{AsContext, AsContextMut, StoreId, StoreInner, Stored};
use crate::types::FuncType;
use crate::value::Val;

/// A tag in the store.
pub(crate) struct TagEntity {
    pub ty: FuncType,
    /// The engine's canonical id of the tag's type: an import matches only
    /// a tag of the same type (rec-group identity, not just the signature).
    pub type_id: u32,
}

/// An exception in the store's heap.
pub(crate) struct ExnEntity {
    /// Store index of its tag.
    pub tag: u32,
    /// The payload, raw slot bits in the tag's parameter order.
    pub payload: Box<[u64]>,
    /// Seen as a reference: never freed while the store lives.
    pub exposed: bool,
}

/// The store's tags and exceptions.
#[derive(Default)]
pub(crate) struct ExnStore {
    pub tags: Vec<TagEntity>,
    pub heap: Vec<ExnEntity>,
    /// Free heap slots (exceptions caught without a reference).
    free: Vec<u32>,
}

impl ExnStore {
    /// Allocates a (not yet exposed) exception of tag `tag`.
    pub fn alloc(&mut self, tag: u32, payload: &[u64]) -> u32 {
        let e = ExnEntity {
            tag,
            payload: payload.into(),
            exposed: false,
        };
        match self.free.pop() {
            Some(i) => {
                self.heap[i as usize] = e;
                i
            }
            None => {
                self.heap.push(e);
                self.heap.len() as u32 - 1
            }
        }
    }

    /// The exception was caught by a handler that delivers no reference:
    /// if no reference to it was ever made, its slot is free again.
    pub fn caught_without_ref(&mut self, exn: u32) {
        let e = &mut self.heap[exn as usize];
        if !e.exposed {
            e.payload = Box::new([]);
            self.free.push(exn);
        }
    }

    /// Number of exceptions held (live or free slots): for tests.
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.heap.len() - self.free.len()
    }
}

/// An exception tag: the identity `throw` and `catch` match on, with the
/// types of the payload its exceptions carry.
///
/// Each instantiation of a module that defines a tag creates a new one
/// (two instances of a module do not catch each other's exceptions unless
/// one imports the other's tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(pub(crate) Stored);

impl Tag {
    /// Creates a tag whose exceptions carry values of `ty`'s parameter
    /// types (`ty` must have no results), e.g. to define an import.
    pub fn new(mut store: impl AsContextMut, ty: FuncType) -> Result<Tag> {
        if !ty.results().is_empty() {
            return Err(Error::new(
                ErrorKind::Usage,
                "a tag's function type must have no results",
            ));
        }
        let inner = &mut store.as_context_mut().0.inner;
        let type_id = inner.engine.intern(&ty);
        inner.exn.tags.push(TagEntity { ty, type_id });
        Ok(Tag(Stored::new(inner.id, inner.exn.tags.len() as u32 - 1)))
    }

    /// The tag's type: its parameters are the payload types.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let ctx = store.as_context();
        let inner = &ctx.0.inner;
        inner.exn.tags[self.0.index(inner, "Tag")].ty.clone()
    }
}

/// A reference to an exception (`exnref`), owned by a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExnRef(pub(crate) Stored);

impl ExnRef {
    /// The exception's tag.
    pub fn tag(&self, store: impl AsContext) -> Tag {
        let ctx = store.as_context();
        let inner = &ctx.0.inner;
        let e = &inner.exn.heap[self.0.index(inner, "ExnRef")];
        Tag(Stored::new(inner.id, e.tag))
    }

    /// The exception's payload values.
    pub fn payload(&self, store: impl AsContext) -> Vec<Val> {
        let ctx = store.as_context();
        let inner = &ctx.0.inner;
        payload_of(inner, self.0.index(inner, "ExnRef") as u32)
    }
}

fn payload_of(inner: &StoreInner, exn: u32) -> Vec<Val> {
    let e = &inner.exn.heap[exn as usize];
    let ty = &inner.exn.tags[e.tag as usize].ty;
    crate::value::root_refs(inner, &e.payload, ty.params());
    Val::read_slots(&e.payload, ty.params(), inner.id).collect()
}

/// A WebAssembly exception outside wasm: one that escaped to the embedder
/// (an [`Error`] of kind [`ErrorKind::Exception`], see [`Error::exception`]),
/// or one a host function throws (return it as the error: `Err(exc.into())`)
/// for its wasm caller to catch.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    exn: ExnRef,
    tag: Tag,
    payload: Vec<Val>,
}

impl Exception {
    /// A new exception of `tag` carrying `payload` (which must match the
    /// tag's parameter types).
    pub fn new(mut store: impl AsContextMut, tag: Tag, payload: &[Val]) -> Result<Exception> {
        let inner = &mut store.as_context_mut().0.inner;
        let t = tag.0.index(inner, "Tag");
        let ty = inner.exn.tags[t].ty.clone();
        if ty.params().len() != payload.len() {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "tag of type {ty} takes {} values, got {}",
                    ty.params().len(),
                    payload.len()
                ),
            ));
        }
        for (v, &t) in payload.iter().zip(ty.params()) {
            v.check(t, inner, "exception payload")?;
        }
        // Slots, as `throw` stores them (a `v128` takes two).
        let mut raw = vec![0; ty.param_slots()];
        Val::write_slots(payload, &mut raw);
        let exn = inner.exn.alloc(t as u32, &raw);
        Ok(Exception::of(inner, exn))
    }

    /// The API view of heap exception `exn` (which becomes exposed).
    pub(crate) fn of(inner: &mut StoreInner, exn: u32) -> Exception {
        inner.exn.heap[exn as usize].exposed = true;
        let tag = inner.exn.heap[exn as usize].tag;
        Exception {
            exn: ExnRef(Stored::new(inner.id, exn)),
            tag: Tag(Stored::new(inner.id, tag)),
            payload: payload_of(inner, exn),
        }
    }

    /// The heap index of the exception, if it belongs to store `id`.
    pub(crate) fn index_in(&self, id: StoreId) -> Option<u32> {
        self.exn.0.belongs_to_id(id).then(|| self.exn.0.raw())
    }

    /// The exception's tag.
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The payload values, in the order of the tag's parameters.
    pub fn payload(&self) -> &[Val] {
        &self.payload
    }

    /// A reference to the exception (what `catch_ref` would deliver).
    pub fn exn_ref(&self) -> ExnRef {
        self.exn
    }
}

impl From<Exception> for Error {
    fn from(e: Exception) -> Error {
        let message = format!("uncaught exception (payload {:?})", e.payload);
        Error::new(ErrorKind::Exception(Box::new(e)), message)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Linker, Module, Store};

    /// A loop that throws and catches without a reference 10,000 times
    /// reuses one heap slot; exceptions caught with `catch_ref` stay.
    #[test]
    fn exceptions_caught_without_ref_are_freed() {
        let engine = Engine::default();
        let mut store = Store::new(&engine, ());
        let module = Module::new(
            &engine,
            r#"(module
                (tag $e (param i32))
                (func $throw (param i32) (throw $e (local.get 0)))
                (func (export "loop") (param i32) (result i32)
                  (local $sum i32)
                  (loop $l
                    (block $h (result i32)
                      (try_table (catch $e $h) (call $throw (local.get 0)))
                      (unreachable))
                    (local.set $sum (i32.add (local.get $sum)))
                    (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
                  (local.get $sum))
                (func (export "keep") (result exnref)
                  (block $h (result i32 exnref)
                    (try_table (catch_ref $e $h) (call $throw (i32.const 3)))
                    (unreachable))
                  (return)))"#,
        )
        .unwrap();
        let inst = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let f = inst.get_typed_func::<i32, i32>(&store, "loop").unwrap();
        assert_eq!(f.call(&mut store, 10_000).unwrap(), 50_005_000);
        assert_eq!(store.inner.exn.live(), 0);
        assert_eq!(store.inner.exn.heap.len(), 1);
        let keep = inst.get_func(&store, "keep").unwrap();
        let mut out = [crate::Val::ExnRef(None)];
        for n in 1..=3 {
            keep.call(&mut store, &[], &mut out).unwrap();
            assert_eq!(store.inner.exn.live(), n);
        }
    }
}
