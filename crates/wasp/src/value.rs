//! [`Val`]: a WebAssembly value as the API sees it, and its raw slot encoding.

use crate::func::Func;
use crate::store::{StoreId, StoreInner, Stored};
use crate::types::ValType;
use std::any::Any;

/// A reference of the `extern` hierarchy, owned by a store: a host value
/// (`ExternRef::new`), or a value of the `any` hierarchy converted with
/// `extern.convert_any` (see [`ExternRef::to_any`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternRef(pub(crate) Stored);

impl ExternRef {
    /// Stores `value` in the store and returns a reference to it.
    pub fn new<T: Any + Send + Sync>(mut store: impl crate::AsContextMut, value: T) -> ExternRef {
        let inner = &mut store.as_context_mut().0.inner;
        inner.externs.push(Box::new(value));
        let raw = crate::gc::host(inner.externs.len() as u32 - 1);
        ExternRef(Stored::new(inner.id, raw as u32))
    }

    /// The host value behind the reference; `None` if it is a converted
    /// `any` value (an `i31` or a GC object), which has none.
    pub fn data<'a, T: 'a>(
        &self,
        store: impl Into<crate::StoreContext<'a, T>>,
    ) -> Option<&'a (dyn Any + Send + Sync)> {
        let inner = &store.into().0.inner;
        let raw = self.0.index(inner, "ExternRef") as u64;
        let i = crate::gc::host_index(raw)?;
        Some(&*inner.externs[i as usize])
    }

    /// The same reference as an `anyref` (`any.convert_extern`).
    pub fn to_any(self) -> AnyRef {
        AnyRef(self.0)
    }
}

/// A reference of the `any` hierarchy (WebAssembly 3.0 GC), owned by a
/// store: an `i31`, a struct or array allocated by wasm, or a host value
/// converted with `any.convert_extern`.
///
/// A reference handed to the host (a call's result, a host function's
/// argument, a global's or table's value) keeps its object alive for the
/// rest of the store's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnyRef(pub(crate) Stored);

/// What an [`AnyRef`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyKind {
    /// An `i31` with this (zero-extended) payload.
    I31(u32),
    /// A struct.
    Struct,
    /// An array.
    Array,
    /// A host value (converted from an `externref`).
    Host,
}

impl AnyRef {
    /// The `i31` reference holding the low 31 bits of `value` (`ref.i31`).
    pub fn from_i31(store: impl crate::AsContext, value: u32) -> AnyRef {
        let id = store.as_context().0.inner.id;
        AnyRef(Stored::new(id, crate::gc::i31(value) as u32))
    }

    /// What the reference refers to.
    pub fn kind(&self, store: impl crate::AsContext) -> AnyKind {
        let inner = &store.as_context().0.inner;
        let raw = self.0.index(inner, "AnyRef") as u64;
        if crate::gc::is_i31(raw) {
            return AnyKind::I31(crate::gc::i31_get_u(raw));
        }
        match inner.gc.get(raw) {
            Some(o) if o.ty.kind == crate::module::canon::TypeKind::Array => AnyKind::Array,
            Some(_) => AnyKind::Struct,
            None => AnyKind::Host,
        }
    }

    /// An array's length, or a struct's number of fields; `None` for
    /// other references.
    pub fn len(&self, store: impl crate::AsContext) -> Option<usize> {
        let inner = &store.as_context().0.inner;
        let o = inner.gc.get(self.0.index(inner, "AnyRef") as u64)?;
        Some(match o.ty.kind {
            crate::module::canon::TypeKind::Array => o.len(),
            _ => o.ty.fields.len(),
        })
    }

    /// The same reference as an `externref` (`extern.convert_any`).
    pub fn to_extern(self) -> ExternRef {
        ExternRef(self.0)
    }
}

/// Keeps the objects the raw values `raw` of types `tys` refer to alive:
/// they are handed to the host.
pub(crate) fn root_refs(inner: &StoreInner, raw: &[u64], tys: &[ValType]) {
    let mut i = 0;
    for t in tys {
        if matches!(t, ValType::AnyRef | ValType::ExternRef) {
            inner.gc.root(raw[i]);
        }
        i += t.slots();
    }
}

/// A WebAssembly value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// An i32.
    I32(i32),
    /// An i64.
    I64(i64),
    /// An f32, as its bit pattern (so NaN payloads survive).
    F32(u32),
    /// An f64, as its bit pattern.
    F64(u64),
    /// A function reference: `funcref` and every typed function reference
    /// (`(ref null? $t)`, `(ref null? func)`, `nullfuncref`). `None` is
    /// null. Validation guarantees that wasm never puts `None` where a
    /// non-nullable type (`(ref $t)`) is expected; values a host passes in
    /// are not checked for it at the call boundary (see the precise types
    /// in [`RefType`](crate::RefType)).
    FuncRef(Option<Func>),
    /// An extern reference (`externref`, `(ref null? extern)`, `nullexternref`).
    ExternRef(Option<ExternRef>),
    /// A 128-bit vector, lane 0 in the low bits (little-endian, as in memory).
    V128(u128),
    /// A nullable exception reference.
    ExnRef(Option<crate::exception::ExnRef>),
    /// A reference of the `any` hierarchy (GC): `anyref`, `eqref`,
    /// `i31ref`, struct and array references, `nullref`.
    AnyRef(Option<AnyRef>),
}

impl Val {
    /// The type of the value.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::V128(_) => ValType::V128,
            Val::ExnRef(_) => ValType::ExnRef,
            Val::AnyRef(_) => ValType::AnyRef,
        }
    }

    /// The zero value (or null) of a type.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
            ValType::V128 => Val::V128(0),
            ValType::ExnRef => Val::ExnRef(None),
            ValType::AnyRef => Val::AnyRef(None),
        }
    }

    /// The v128, if this is one.
    pub fn v128(&self) -> Option<u128> {
        if let Val::V128(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The i32, if this is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The i64, if this is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The f32, if this is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }

    /// The f64, if this is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }

    /// The raw slot bits. References must have been checked with
    /// [`Val::belongs_to`] against the store they are used with. A `v128`
    /// gives its low half (see [`Val::v128_high`]; it takes two slots).
    pub(crate) fn to_raw(self) -> u64 {
        match self {
            Val::V128(v) => v as u64,
            Val::I32(v) => v as u32 as u64,
            Val::I64(v) => v as u64,
            Val::F32(v) => v as u64,
            Val::F64(v) => v,
            Val::FuncRef(f) => f.map_or(0, |f| f.0.raw() as u64 + 1),
            Val::ExternRef(e) => e.map_or(0, |e| e.0.raw() as u64),
            Val::AnyRef(e) => e.map_or(0, |e| e.0.raw() as u64),
            Val::ExnRef(e) => e.map_or(0, |e| e.0.raw() as u64 + 1),
        }
    }

    /// The value of raw slot bits; references become handles of `store`.
    pub(crate) fn from_raw(raw: u64, ty: ValType, store: StoreId) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw),
            ValType::FuncRef => Val::FuncRef(
                raw.checked_sub(1)
                    .map(|i| Func(Stored::new(store, i as u32))),
            ),
            ValType::ExternRef => {
                Val::ExternRef((raw != 0).then(|| ExternRef(Stored::new(store, raw as u32))))
            }
            ValType::AnyRef => {
                Val::AnyRef((raw != 0).then(|| AnyRef(Stored::new(store, raw as u32))))
            }
            ValType::V128 => Val::V128(raw as u128),
            ValType::ExnRef => Val::ExnRef(
                raw.checked_sub(1)
                    .map(|i| crate::exception::ExnRef(Stored::new(store, i as u32))),
            ),
        }
    }

    /// The high half of a `v128`'s bits (0 for other values).
    pub(crate) fn v128_high(self) -> u64 {
        match self {
            Val::V128(v) => (v >> 64) as u64,
            _ => 0,
        }
    }

    /// Writes `vals` into frame slots (a `v128` takes two, low half first).
    pub(crate) fn write_slots(vals: &[Val], out: &mut [u64]) {
        let mut i = 0;
        for v in vals {
            out[i] = v.to_raw();
            i += 1;
            if let Val::V128(x) = v {
                out[i] = (x >> 64) as u64;
                i += 1;
            }
        }
    }

    /// Reads values of types `tys` from frame slots written as [`Val::write_slots`] does.
    pub(crate) fn read_slots<'a>(
        raw: &'a [u64],
        tys: &'a [ValType],
        store: StoreId,
    ) -> impl Iterator<Item = Val> + 'a {
        let mut i = 0;
        tys.iter().map(move |&t| {
            let v = if t == ValType::V128 {
                Val::V128(raw[i] as u128 | (raw[i + 1] as u128) << 64)
            } else {
                Val::from_raw(raw[i], t, store)
            };
            i += t.slots();
            v
        })
    }

    /// Checks that the value has type `ty` and, if a reference, belongs to
    /// `store`; the error names `what` (an argument, a global, a table).
    pub(crate) fn check(&self, ty: ValType, store: &StoreInner, what: &str) -> crate::Result<()> {
        use crate::error::{Error, ErrorKind};
        if !self.belongs_to(store) {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("{what}: the reference belongs to another store"),
            ));
        }
        if self.ty() != ty {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("{what}: expected {ty}, got {}", self.ty()),
            ));
        }
        Ok(())
    }

    /// Is the value usable in `store` (references must belong to it)?
    pub(crate) fn belongs_to(&self, store: &StoreInner) -> bool {
        self.belongs_to_id(store.id)
    }

    /// Is the value usable in the store with id `id`?
    pub(crate) fn belongs_to_id(&self, id: StoreId) -> bool {
        match self {
            Val::FuncRef(Some(f)) => f.0.belongs_to_id(id),
            Val::ExternRef(Some(e)) => e.0.belongs_to_id(id),
            Val::ExnRef(Some(e)) => e.0.belongs_to_id(id),
            Val::AnyRef(Some(e)) => e.0.belongs_to_id(id),
            _ => true,
        }
    }
}

impl From<u128> for Val {
    fn from(v: u128) -> Val {
        Val::V128(v)
    }
}
impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}
impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}
