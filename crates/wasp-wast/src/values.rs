//! Conversion of script values to wasp [`Val`]s and matching of results
//! against `assert_return` expectations.
//!
//! Floats are compared by bit pattern; `nan:canonical` and `nan:arithmetic`
//! patterns are checked on the bits as the spec defines them. `ref.extern N`
//! values are host references whose payload is the `u32` `N`, so results
//! compare by payload; `ref.host N` is the same host value seen from the
//! `any` hierarchy (wasp's `any` and `extern` share their encoding). A
//! null argument takes the parameter's type (`ref.null $t` names a type
//! index the script cannot resolve).

use std::collections::HashMap;
use wasp::{AnyKind, ExternRef, Store, Val, ValType};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// Host references made for `ref.extern N`, one per `N` and store.
#[derive(Default)]
pub(crate) struct ExternRefs {
    refs: HashMap<u32, ExternRef>,
}

impl ExternRefs {
    /// The reference for `ref.extern n`, created on first use.
    pub fn get<T>(&mut self, store: &mut Store<T>, n: u32) -> ExternRef {
        *self
            .refs
            .entry(n)
            .or_insert_with(|| ExternRef::new(store, n))
    }
}

/// Which kind of reference a heap type names, if it is one wasp knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    Func,
    Extern,
    Exn,
    Any,
    /// A defined type: a function, struct or array type.
    Concrete,
}

fn ref_kind(ty: &HeapType<'_>) -> Option<RefKind> {
    match ty {
        HeapType::Abstract { ty, .. } => match ty {
            AbstractHeapType::Func | AbstractHeapType::NoFunc => Some(RefKind::Func),
            AbstractHeapType::Extern | AbstractHeapType::NoExtern => Some(RefKind::Extern),
            AbstractHeapType::Exn | AbstractHeapType::NoExn => Some(RefKind::Exn),
            AbstractHeapType::Any
            | AbstractHeapType::Eq
            | AbstractHeapType::I31
            | AbstractHeapType::Struct
            | AbstractHeapType::Array
            | AbstractHeapType::None => Some(RefKind::Any),
            _ => None,
        },
        HeapType::Concrete(_) | HeapType::Exact(_) => Some(RefKind::Concrete),
    }
}

/// Converts an `invoke` argument.
pub(crate) fn arg<T>(
    arg: &WastArg<'_>,
    store: &mut Store<T>,
    externs: &mut ExternRefs,
) -> Result<Val, String> {
    let core = match arg {
        WastArg::Core(core) => core,
        _ => return Err("component-model values are not supported".into()),
    };
    Ok(match core {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::RefNull(ty) => match ref_kind(ty) {
            Some(RefKind::Func | RefKind::Concrete) => Val::FuncRef(None),
            Some(RefKind::Extern) => Val::ExternRef(None),
            Some(RefKind::Exn) => Val::ExnRef(None),
            Some(RefKind::Any) => Val::AnyRef(None),
            None => return Err(format!("unsupported null reference type {ty:?}")),
        },
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(externs.get(store, *n))),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefHost(n) => Val::AnyRef(Some(externs.get(store, *n).to_any())),
    })
}

fn canonical_f32(bits: u32) -> bool {
    bits & 0x7fff_ffff == 0x7fc0_0000
}

fn arithmetic_f32(bits: u32) -> bool {
    bits & 0x7fc0_0000 == 0x7fc0_0000
}

fn canonical_f64(bits: u64) -> bool {
    bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000
}

fn arithmetic_f64(bits: u64) -> bool {
    bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000
}

/// `v` as an argument of type `ty`: a null takes the parameter's type.
pub(crate) fn coerce_null(v: Val, ty: ValType) -> Val {
    let null = matches!(
        v,
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None)
    );
    if null && ty.is_ref() {
        Val::default_for(ty)
    } else {
        v
    }
}

/// The host payload `N` of a `ref.extern N` / `ref.host N` value.
fn host_payload<T>(r: ExternRef, store: &Store<T>) -> Option<u32> {
    r.data(store)?.downcast_ref::<u32>().copied()
}

/// Does `actual` match the expectation `expected`?
pub(crate) fn matches<T>(actual: &Val, expected: &WastRet<'_>, store: &Store<T>) -> bool {
    match expected {
        WastRet::Core(core) => matches_core(actual, core, store),
        _ => false,
    }
}

fn matches_core<T>(actual: &Val, expected: &WastRetCore<'_>, store: &Store<T>) -> bool {
    match (expected, actual) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(p), Val::F32(bits)) => match p {
            NanPattern::CanonicalNan => canonical_f32(*bits),
            NanPattern::ArithmeticNan => arithmetic_f32(*bits),
            NanPattern::Value(v) => v.bits == *bits,
        },
        (WastRetCore::F64(p), Val::F64(bits)) => match p {
            NanPattern::CanonicalNan => canonical_f64(*bits),
            NanPattern::ArithmeticNan => arithmetic_f64(*bits),
            NanPattern::Value(v) => v.bits == *bits,
        },
        (WastRetCore::RefNull(ty), Val::FuncRef(None)) => matches!(
            ty.as_ref().and_then(ref_kind).unwrap_or(RefKind::Func),
            RefKind::Func | RefKind::Concrete
        ),
        (WastRetCore::RefNull(ty), Val::AnyRef(None)) => matches!(
            ty.as_ref().and_then(ref_kind).unwrap_or(RefKind::Any),
            RefKind::Any | RefKind::Concrete
        ),
        (WastRetCore::RefNull(ty), Val::ExternRef(None)) => {
            ty.as_ref().and_then(ref_kind).unwrap_or(RefKind::Extern) == RefKind::Extern
        }
        (WastRetCore::RefNull(ty), Val::ExnRef(None)) => {
            ty.as_ref().and_then(ref_kind).unwrap_or(RefKind::Exn) == RefKind::Exn
        }
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => {
            host_payload(*r, store) == Some(*n)
        }
        (WastRetCore::RefHost(n), Val::AnyRef(Some(r))) => {
            host_payload(r.to_extern(), store) == Some(*n)
        }
        (WastRetCore::RefAny, Val::AnyRef(Some(_))) => true,
        (WastRetCore::RefEq, Val::AnyRef(Some(r))) => matches!(
            r.kind(store),
            AnyKind::I31(_) | AnyKind::Struct | AnyKind::Array
        ),
        (WastRetCore::RefI31, Val::AnyRef(Some(r))) => matches!(r.kind(store), AnyKind::I31(_)),
        (WastRetCore::RefStruct, Val::AnyRef(Some(r))) => r.kind(store) == AnyKind::Struct,
        (WastRetCore::RefArray, Val::AnyRef(Some(r))) => r.kind(store) == AnyKind::Array,
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::V128(p), Val::V128(v)) => matches_v128(p, *v),
        (WastRetCore::Either(options), _) => options.iter().any(|e| matches_core(actual, e, store)),
        _ => false,
    }
}

/// Does vector `v` match pattern `p` lane by lane (float lanes may be NaN patterns)?
fn matches_v128(p: &V128Pattern, v: u128) -> bool {
    let lane = |i: usize, bits: u32| (v >> (i as u32 * bits)) as u64;
    match p {
        V128Pattern::I8x16(e) => e
            .iter()
            .enumerate()
            .all(|(i, &x)| lane(i, 8) as u8 == x as u8),
        V128Pattern::I16x8(e) => e
            .iter()
            .enumerate()
            .all(|(i, &x)| lane(i, 16) as u16 == x as u16),
        V128Pattern::I32x4(e) => e
            .iter()
            .enumerate()
            .all(|(i, &x)| lane(i, 32) as u32 == x as u32),
        V128Pattern::I64x2(e) => e.iter().enumerate().all(|(i, &x)| lane(i, 64) == x as u64),
        V128Pattern::F32x4(e) => e.iter().enumerate().all(|(i, p)| {
            let bits = lane(i, 32) as u32;
            match p {
                NanPattern::CanonicalNan => canonical_f32(bits),
                NanPattern::ArithmeticNan => arithmetic_f32(bits),
                NanPattern::Value(x) => x.bits == bits,
            }
        }),
        V128Pattern::F64x2(e) => e.iter().enumerate().all(|(i, p)| {
            let bits = lane(i, 64);
            match p {
                NanPattern::CanonicalNan => canonical_f64(bits),
                NanPattern::ArithmeticNan => arithmetic_f64(bits),
                NanPattern::Value(x) => x.bits == bits,
            }
        }),
    }
}

/// A readable rendering of a result value.
pub(crate) fn show_val<T>(v: &Val, store: &Store<T>) -> String {
    match v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(b) => format!("f32:{} (0x{b:08x})", f32::from_bits(*b)),
        Val::F64(b) => format!("f64:{} (0x{b:016x})", f64::from_bits(*b)),
        Val::FuncRef(None) => "ref.null func".into(),
        Val::FuncRef(Some(_)) => "ref.func".into(),
        Val::ExternRef(None) => "ref.null extern".into(),
        Val::ExternRef(Some(r)) => match host_payload(*r, store) {
            Some(n) => format!("ref.extern {n}"),
            None => "ref.extern <converted any value>".into(),
        },
        Val::AnyRef(None) => "ref.null any".into(),
        Val::AnyRef(Some(r)) => match r.kind(store) {
            AnyKind::I31(v) => format!("ref.i31 {v}"),
            AnyKind::Struct => "ref.struct".into(),
            AnyKind::Array => "ref.array".into(),
            AnyKind::Host => match host_payload(r.to_extern(), store) {
                Some(n) => format!("ref.host {n}"),
                None => "ref.host <host value>".into(),
            },
        },
        Val::V128(x) => format!("v128:0x{x:032x}"),
        Val::ExnRef(None) => "ref.null exn".into(),
        Val::ExnRef(Some(_)) => "ref.exn".into(),
    }
}

/// A list of values, rendered as `[a, b]`.
pub(crate) fn show_vals<T>(vals: &[Val], store: &Store<T>) -> String {
    let items: Vec<String> = vals.iter().map(|v| show_val(v, store)).collect();
    format!("[{}]", items.join(", "))
}

fn show_ret_core(r: &WastRetCore<'_>) -> String {
    let nan = |p: &NanPattern<String>| match p {
        NanPattern::CanonicalNan => "nan:canonical".to_string(),
        NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
        NanPattern::Value(s) => s.clone(),
    };
    match r {
        WastRetCore::I32(x) => format!("i32:{x}"),
        WastRetCore::I64(x) => format!("i64:{x}"),
        WastRetCore::F32(p) => {
            let p = match p {
                NanPattern::CanonicalNan => NanPattern::CanonicalNan,
                NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
                NanPattern::Value(v) => {
                    NanPattern::Value(format!("{} (0x{:08x})", f32::from_bits(v.bits), v.bits))
                }
            };
            format!("f32:{}", nan(&p))
        }
        WastRetCore::F64(p) => {
            let p = match p {
                NanPattern::CanonicalNan => NanPattern::CanonicalNan,
                NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
                NanPattern::Value(v) => {
                    NanPattern::Value(format!("{} (0x{:016x})", f64::from_bits(v.bits), v.bits))
                }
            };
            format!("f64:{}", nan(&p))
        }
        WastRetCore::RefNull(Some(ty)) => match ref_kind(ty) {
            Some(RefKind::Func) => "ref.null func".into(),
            Some(RefKind::Extern) => "ref.null extern".into(),
            Some(RefKind::Exn) => "ref.null exn".into(),
            Some(RefKind::Any) => "ref.null any".into(),
            _ => format!("ref.null {ty:?}"),
        },
        WastRetCore::RefNull(None) => "ref.null".into(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        WastRetCore::Either(options) => {
            let items: Vec<String> = options.iter().map(show_ret_core).collect();
            format!("(either {})", items.join(" "))
        }
        other => format!("{other:?}"),
    }
}

/// A list of expectations, rendered as `[a, b]`.
pub(crate) fn show_rets(rets: &[WastRet<'_>]) -> String {
    let items: Vec<String> = rets
        .iter()
        .map(|r| match r {
            WastRet::Core(c) => show_ret_core(c),
            _ => "<component value>".into(),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns() {
        assert!(canonical_f32(0x7fc0_0000));
        assert!(canonical_f32(0xffc0_0000));
        assert!(!canonical_f32(0x7fc0_0001));
        assert!(arithmetic_f32(0x7fc0_0001));
        assert!(!arithmetic_f32(0x7f80_0001));
        assert!(canonical_f64(0xfff8_0000_0000_0000));
        assert!(!canonical_f64(0x7ff8_0000_0000_0001));
        assert!(arithmetic_f64(0x7ff8_0000_0000_0001));
        assert!(!arithmetic_f64(0x7ff0_0000_0000_0001));
    }
}
