//! Canonical type identity (WebAssembly 3.0 recursive type groups).
//!
//! Two modules' types are the same type when their recursion groups are
//! structurally identical and the type sits at the same position in its group
//! (iso-recursive equivalence). Each group is written as a string key in
//! which a reference to a type of the same group is its position (`r.N`) and
//! a reference to an earlier type is that type's engine id (`e.N`); equal
//! keys mean equal groups, so the engine interns groups by key and hands out
//! one engine id per member (`Engine::intern_group`). A plain function type
//! (a host function's) is the singleton group of one final type without a
//! supertype, so it meets a module's `(type (func ...))` under the same id.

use crate::error::{Error, ErrorKind, Result};
use crate::gc::layout::{RefClass, Storage};
use crate::types::{FuncType, ValType};
use std::fmt::Write;
use wasmparser::{
    AbstractHeapType, CompositeInnerType, FieldType, HeapType, PackedIndex, RecGroup, StorageType,
    SubType, UnpackedIndex,
};

/// What kind of composite type an engine type id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeKind {
    /// A function type.
    Func,
    /// A struct type (GC).
    Struct,
    /// An array type (GC).
    Array,
}

/// The declared supertype of a member of a group being interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SupRef {
    /// No supertype.
    None,
    /// An already interned type.
    Id(u32),
    /// The member at this position of the same group.
    Local(u32),
}

/// One member of a recursion group, as the engine registers it.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    /// Its value-level signature (empty for struct and array types).
    pub ty: FuncType,
    /// Its declared supertype.
    pub sup: SupRef,
    /// Function, struct or array.
    pub kind: TypeKind,
    /// A struct's fields or an array's element: storage and mutability.
    pub fields: Vec<(Storage, bool)>,
}

/// The key of the singleton group holding only the final function type `ty`.
pub(crate) fn func_key(ty: &FuncType) -> String {
    let enc = |v: &[ValType]| {
        v.iter()
            .map(|t| match t {
                ValType::I32 => "i32",
                ValType::I64 => "i64",
                ValType::F32 => "f32",
                ValType::F64 => "f64",
                ValType::V128 => "v128",
                ValType::FuncRef => "null Func",
                ValType::ExternRef => "null Extern",
                ValType::ExnRef => "null Exn",
                ValType::AnyRef => "null Any",
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "[final - func({})->({})]",
        enc(ty.params()),
        enc(ty.results())
    )
}

/// Builds the key and members of `group`, whose first type has module type
/// index `start`; `ids` maps the module's earlier type indices to engine ids
/// (whose kinds `engine` knows).
pub(crate) fn group(
    group: &RecGroup,
    start: u32,
    ids: &[u32],
    engine: &crate::Engine,
) -> Result<(String, Vec<Member>)> {
    let len = group.types().len() as u32;
    let local_kinds = group
        .types()
        .map(|sub| match sub.composite_type.inner {
            CompositeInnerType::Struct(_) => TypeKind::Struct,
            CompositeInnerType::Array(_) => TypeKind::Array,
            _ => TypeKind::Func,
        })
        .collect();
    let enc = Enc {
        start,
        len,
        ids,
        local_kinds,
        engine,
    };
    let mut key = String::from("[");
    let mut members = Vec::new();
    for (i, sub) in group.types().enumerate() {
        if i > 0 {
            key.push(';');
        }
        let (kind, ty, fields) = enc.sub(&mut key, sub)?;
        let sup = match sub.supertype_idxs.first() {
            None => SupRef::None,
            Some(p) => match enc.index(*p)? {
                Ref::Local(l) => SupRef::Local(l),
                Ref::Id(id) => SupRef::Id(id),
            },
        };
        members.push(Member {
            ty,
            sup,
            kind,
            fields,
        });
    }
    key.push(']');
    Ok((key, members))
}

enum Ref {
    Local(u32),
    Id(u32),
}

struct Enc<'a> {
    start: u32,
    len: u32,
    ids: &'a [u32],
    /// The kind of each member of the group.
    local_kinds: Vec<TypeKind>,
    engine: &'a crate::Engine,
}

/// The value type carrying references to a defined type of `kind`.
pub(crate) fn carrier(kind: TypeKind) -> ValType {
    match kind {
        TypeKind::Func => ValType::FuncRef,
        TypeKind::Struct | TypeKind::Array => ValType::AnyRef,
    }
}

/// The storage of a reference carried as `t`.
pub(crate) fn ref_storage(t: ValType) -> Storage {
    Storage::Ref(match t {
        ValType::FuncRef => RefClass::Func,
        ValType::ExnRef => RefClass::Exn,
        _ => RefClass::Gc,
    })
}

fn unsupported(what: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("unsupported feature: {what}"),
    )
}

impl Enc<'_> {
    fn index(&self, p: PackedIndex) -> Result<Ref> {
        self.unpacked(p.unpack())
    }

    fn unpacked(&self, u: UnpackedIndex) -> Result<Ref> {
        match u {
            UnpackedIndex::RecGroup(i) => Ok(Ref::Local(i)),
            UnpackedIndex::Module(i) if i >= self.start && i < self.start + self.len => {
                Ok(Ref::Local(i - self.start))
            }
            UnpackedIndex::Module(i) => self
                .ids
                .get(i as usize)
                .map(|&id| Ref::Id(id))
                .ok_or_else(|| Error::new(ErrorKind::Invalid, "unknown type")),
            UnpackedIndex::Id(_) => Err(unsupported("canonical type id in a module")),
        }
    }

    /// The value type of `t`: a reference to a defined type travels as its
    /// kind's carrier.
    fn val_type(&self, t: wasmparser::ValType) -> Result<ValType> {
        if let wasmparser::ValType::Ref(r) = t {
            if let HeapType::Concrete(u) = r.heap_type() {
                let kind = match self.unpacked(u)? {
                    Ref::Local(l) => self.local_kinds[l as usize],
                    Ref::Id(id) => self.engine.type_kind(id),
                };
                return Ok(carrier(kind));
            }
        }
        ValType::from_wasmparser(t).ok_or_else(|| unsupported(&format!("value type {t:?}")))
    }

    fn storage(&self, f: &FieldType) -> Result<(Storage, bool)> {
        let s = match f.element_type {
            StorageType::I8 => Storage::I8,
            StorageType::I16 => Storage::I16,
            StorageType::Val(v) => match self.val_type(v)? {
                ValType::I32 => Storage::I32,
                ValType::I64 => Storage::I64,
                ValType::F32 => Storage::F32,
                ValType::F64 => Storage::F64,
                ValType::V128 => Storage::V128,
                r => ref_storage(r),
            },
        };
        Ok((s, f.mutable))
    }

    #[allow(clippy::type_complexity)]
    fn sub(
        &self,
        out: &mut String,
        sub: &SubType,
    ) -> Result<(TypeKind, FuncType, Vec<(Storage, bool)>)> {
        out.push_str(if sub.is_final { "final " } else { "open " });
        match sub.supertype_idxs.first() {
            None => out.push('-'),
            Some(p) => self.reference(out, *p)?,
        }
        let ct = &sub.composite_type;
        if ct.shared || ct.descriptor_idx.is_some() || ct.describes_idx.is_some() {
            return Err(unsupported("shared or descriptor types"));
        }
        match &ct.inner {
            CompositeInnerType::Func(f) => {
                out.push_str(" func(");
                self.list(out, f.params())?;
                out.push_str(")->(");
                self.list(out, f.results())?;
                out.push(')');
                let conv = |v: &[wasmparser::ValType]| {
                    v.iter()
                        .map(|t| self.val_type(*t))
                        .collect::<Result<Vec<_>>>()
                };
                Ok((
                    TypeKind::Func,
                    FuncType::new(conv(f.params())?, conv(f.results())?),
                    Vec::new(),
                ))
            }
            CompositeInnerType::Struct(s) => {
                out.push_str(" struct(");
                for f in s.fields.iter() {
                    self.field(out, f)?;
                    out.push(',');
                }
                out.push(')');
                let fields = s
                    .fields
                    .iter()
                    .map(|f| self.storage(f))
                    .collect::<Result<_>>()?;
                Ok((TypeKind::Struct, FuncType::new([], []), fields))
            }
            CompositeInnerType::Array(a) => {
                out.push_str(" array(");
                self.field(out, &a.0)?;
                out.push(')');
                Ok((
                    TypeKind::Array,
                    FuncType::new([], []),
                    vec![self.storage(&a.0)?],
                ))
            }
            CompositeInnerType::Cont(_) => Err(unsupported("continuation types")),
        }
    }

    fn reference(&self, out: &mut String, p: PackedIndex) -> Result<()> {
        match self.index(p)? {
            Ref::Local(l) => write!(out, "r.{l}"),
            Ref::Id(id) => write!(out, "e.{id}"),
        }
        .expect("writing to a string");
        Ok(())
    }

    fn field(&self, out: &mut String, f: &FieldType) -> Result<()> {
        if f.mutable {
            out.push_str("mut ");
        }
        match f.element_type {
            StorageType::I8 => out.push_str("i8"),
            StorageType::I16 => out.push_str("i16"),
            StorageType::Val(v) => self.val(out, v)?,
        }
        Ok(())
    }

    fn list(&self, out: &mut String, v: &[wasmparser::ValType]) -> Result<()> {
        for (i, t) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.val(out, *t)?;
        }
        Ok(())
    }

    fn val(&self, out: &mut String, v: wasmparser::ValType) -> Result<()> {
        use wasmparser::ValType as W;
        match v {
            W::I32 => out.push_str("i32"),
            W::I64 => out.push_str("i64"),
            W::F32 => out.push_str("f32"),
            W::F64 => out.push_str("f64"),
            W::V128 => out.push_str("v128"),
            W::Ref(r) => {
                if r.is_nullable() {
                    out.push_str("null ");
                }
                match r.heap_type() {
                    HeapType::Abstract { shared, ty } => {
                        if shared {
                            out.push_str("shared ");
                        }
                        write!(out, "{}", abstract_name(ty)).expect("writing to a string");
                    }
                    HeapType::Concrete(u) => match self.unpacked(u)? {
                        Ref::Local(l) => write!(out, "r.{l}").expect("writing to a string"),
                        Ref::Id(id) => write!(out, "e.{id}").expect("writing to a string"),
                    },
                    HeapType::Exact(_) => return Err(unsupported("exact reference types")),
                }
            }
        }
        Ok(())
    }
}

/// The name an abstract heap type has in keys (as `Debug` spells it; the
/// plain function key above relies on `Func` and `Extern`).
fn abstract_name(t: AbstractHeapType) -> String {
    format!("{t:?}")
}

/// The public description of reference type `r` of a module whose type
/// indices map to engine ids `ids`.
pub(crate) fn ref_type(r: wasmparser::RefType, ids: &[u32]) -> Result<crate::types::RefType> {
    use crate::types::HeapType as H;
    use AbstractHeapType as A;
    let heap = match r.heap_type() {
        HeapType::Abstract { shared: false, ty } => match ty {
            A::Func => H::Func,
            A::NoFunc => H::NoFunc,
            A::Extern => H::Extern,
            A::NoExtern => H::NoExtern,
            A::Any => H::Any,
            A::Eq => H::Eq,
            A::I31 => H::I31,
            A::Struct => H::Struct,
            A::Array => H::Array,
            A::None => H::None,
            A::Exn => H::Exn,
            A::NoExn => H::NoExn,
            other => return Err(unsupported(&format!("heap type {other:?}"))),
        },
        HeapType::Concrete(UnpackedIndex::Module(i)) => H::Concrete(
            *ids.get(i as usize)
                .ok_or_else(|| Error::new(ErrorKind::Invalid, "unknown type"))?,
        ),
        other => return Err(unsupported(&format!("heap type {other:?}"))),
    };
    Ok(crate::types::RefType {
        nullable: r.is_nullable(),
        heap,
    })
}

/// Is heap type `a` a subtype of `b` in `engine`?
fn heap_matches(
    engine: &crate::Engine,
    a: crate::types::HeapType,
    b: crate::types::HeapType,
) -> bool {
    use crate::types::HeapType as H;
    let kind = |id: u32| engine.type_kind(id);
    match (a, b) {
        _ if a == b => true,
        (H::Concrete(x), H::Concrete(y)) => engine.is_subtype(x, y),
        (H::Concrete(x), H::Func) => kind(x) == TypeKind::Func,
        (H::Concrete(x), H::Struct) => kind(x) == TypeKind::Struct,
        (H::Concrete(x), H::Array) => kind(x) == TypeKind::Array,
        (H::Concrete(x), H::Eq | H::Any) => kind(x) != TypeKind::Func,
        (H::NoFunc, H::Func) => true,
        (H::NoFunc, H::Concrete(y)) => kind(y) == TypeKind::Func,
        (H::None, H::Any | H::Eq | H::I31 | H::Struct | H::Array) => true,
        (H::None, H::Concrete(y)) => kind(y) != TypeKind::Func,
        (H::NoExtern, H::Extern) | (H::NoExn, H::Exn) => true,
        (H::I31 | H::Struct | H::Array, H::Eq | H::Any) | (H::Eq, H::Any) => true,
        _ => false,
    }
}

/// Is reference type `a` a subtype of `b` (import matching)?
pub(crate) fn ref_matches(
    engine: &crate::Engine,
    a: crate::types::RefType,
    b: crate::types::RefType,
) -> bool {
    (b.nullable || !a.nullable) && heap_matches(engine, a.heap, b.heap)
}
