//! Run-time type tests of references: `ref.test`, `ref.cast`,
//! `br_on_cast` and `br_on_cast_fail` (which translate to a test and a
//! branch).
//!
//! The target type is encoded in an instruction as a code byte and an
//! engine type id ([`target`]): the code names an abstract heap type or
//! says the id is a defined struct/array or function type; its top bit
//! says whether null passes.

use crate::module::canon::TypeKind;
use crate::store::StoreInner;
use wasmparser::{AbstractHeapType as A, HeapType};

/// The code bit that lets null pass.
pub(crate) const NULLABLE: u8 = 0x80;
/// Codes of the heap types (low 7 bits of a code).
const ANY: u8 = 0;
const EQ: u8 = 1;
const I31: u8 = 2;
const STRUCT: u8 = 3;
const ARRAY: u8 = 4;
const NONE: u8 = 5;
const FUNC: u8 = 6;
const NOFUNC: u8 = 7;
const EXTERN: u8 = 8;
const NOEXTERN: u8 = 9;
const EXN: u8 = 10;
const NOEXN: u8 = 11;
/// The id is a defined struct or array type.
const CONCRETE_GC: u8 = 12;
/// The id is a defined function type.
const CONCRETE_FUNC: u8 = 13;

/// The `(code, id)` of reference type `r` in a module whose types have
/// engine ids `ids` and kinds `kind(i)`; `None` for types wasp does not run
/// (shared or exact heap types).
pub(crate) fn target(
    r: wasmparser::RefType,
    ids: &[u32],
    kind: impl Fn(u32) -> TypeKind,
) -> Option<(u8, u32)> {
    let null = if r.is_nullable() { NULLABLE } else { 0 };
    let (code, id) = match r.heap_type() {
        HeapType::Abstract { shared: false, ty } => (
            match ty {
                A::Any => ANY,
                A::Eq => EQ,
                A::I31 => I31,
                A::Struct => STRUCT,
                A::Array => ARRAY,
                A::None => NONE,
                A::Func => FUNC,
                A::NoFunc => NOFUNC,
                A::Extern => EXTERN,
                A::NoExtern => NOEXTERN,
                A::Exn => EXN,
                A::NoExn => NOEXN,
                _ => return None,
            },
            0,
        ),
        HeapType::Concrete(wasmparser::UnpackedIndex::Module(i)) => {
            let id = *ids.get(i as usize)?;
            match kind(i) {
                TypeKind::Func => (CONCRETE_FUNC, id),
                _ => (CONCRETE_GC, id),
            }
        }
        _ => return None,
    };
    Some((code | null, id))
}

/// Does the reference with raw bits `raw` have the target type `(code, id)`?
pub(crate) fn test(inner: &StoreInner, raw: u64, code: u8, id: u32) -> bool {
    if raw == 0 {
        return code & NULLABLE != 0;
    }
    let obj = || inner.gc.get(raw);
    match code & !NULLABLE {
        ANY | FUNC | EXTERN | EXN => true,
        NONE | NOFUNC | NOEXTERN | NOEXN => false,
        EQ => super::is_i31(raw) || obj().is_some(),
        I31 => super::is_i31(raw),
        STRUCT => obj().is_some_and(|o| o.ty.kind == TypeKind::Struct),
        ARRAY => obj().is_some_and(|o| o.ty.kind == TypeKind::Array),
        CONCRETE_GC => obj().is_some_and(|o| o.ty.is_subtype_of(id)),
        CONCRETE_FUNC => {
            let f = inner.func((raw - 1) as u32);
            f.ty == id || inner.engine.is_subtype(f.ty, id)
        }
        _ => false,
    }
}
