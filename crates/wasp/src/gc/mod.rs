//! Garbage-collected objects (WebAssembly 3.0 GC): type layouts, the
//! store's heap and its collector, and the encoding of references.
//!
//! - [`layout`]: what a struct or array type looks like at run time (field
//!   storage, slot offsets, the supertype chain casts read), built once per
//!   engine type when a recursion group is interned.
//! - [`heap`]: the per-store object table, allocation and the mark-sweep
//!   collector; [`roots`]: where a store's roots are.
//! - [`cast`]: `ref.test`/`ref.cast`/`br_on_cast` on raw slot values.
//!
//! # References in slots
//!
//! Values of the `any` and `extern` hierarchies share one encoding, so that
//! `any.convert_extern` and `extern.convert_any` are no-ops:
//!
//! | slot bits                | value                                   |
//! |--------------------------|-----------------------------------------|
//! | `0`                      | null                                    |
//! | `v << 1 \| 1`            | `i31` with the 31-bit payload `v`       |
//! | `(index + 1) << 2`       | heap object `index` (struct or array)   |
//! | `(index + 1) << 2 \| 2`  | host value `index` (`ExternRef::new`)    |
//!
//! Every non-null encoding fits in 32 bits (the heap holds fewer than 2^30
//! objects), so API handles keep the raw bits. Function and exception
//! references keep their own encoding (store index + 1): the hierarchies
//! never mix.

pub(crate) mod cast;
pub(crate) mod consts;
pub(crate) mod heap;
pub(crate) mod layout;
pub(crate) mod roots;

/// Low bits of a non-i31 reference: a heap object.
const TAG_OBJECT: u64 = 0;
/// Low bits of a non-i31 reference: a host value.
const TAG_HOST: u64 = 2;

/// The raw bits of `i31` value `v` (its low 31 bits).
#[inline]
pub(crate) fn i31(v: u32) -> u64 {
    ((v & 0x7fff_ffff) as u64) << 1 | 1
}

/// Is `raw` an `i31`?
#[inline]
pub(crate) fn is_i31(raw: u64) -> bool {
    raw & 1 == 1
}

/// The payload of `i31` raw bits, sign-extended from 31 bits.
#[inline]
pub(crate) fn i31_get_s(raw: u64) -> i32 {
    ((raw as u32) as i32) >> 1
}

/// The payload of `i31` raw bits, zero-extended.
#[inline]
pub(crate) fn i31_get_u(raw: u64) -> u32 {
    (raw as u32) >> 1
}

/// The raw bits of heap object `index`.
#[inline]
pub(crate) fn object(index: u32) -> u64 {
    (index as u64 + 1) << 2 | TAG_OBJECT
}

/// The heap object `raw` refers to, if it is one.
#[inline]
pub(crate) fn object_index(raw: u64) -> Option<u32> {
    (raw != 0 && raw & 3 == TAG_OBJECT && raw <= u32::MAX as u64).then(|| (raw >> 2) as u32 - 1)
}

/// The raw bits of host value `index`.
#[inline]
pub(crate) fn host(index: u32) -> u64 {
    (index as u64 + 1) << 2 | TAG_HOST
}

/// The host value `raw` refers to, if it is one.
#[inline]
pub(crate) fn host_index(raw: u64) -> Option<u32> {
    (raw & 3 == TAG_HOST && raw <= u32::MAX as u64).then(|| (raw >> 2) as u32 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encodings are disjoint, non-null, and round-trip.
    #[test]
    fn encodings_round_trip_and_do_not_overlap() {
        for v in [0u32, 1, 0x3fff_ffff, 0x4000_0000, 0x7fff_ffff, u32::MAX] {
            let r = i31(v);
            assert!(r != 0 && is_i31(r));
            assert_eq!(i31_get_u(r), v & 0x7fff_ffff);
            assert_eq!(i31_get_s(r), ((v << 1) as i32) >> 1);
            assert_eq!(object_index(r), None);
            assert_eq!(host_index(r), None);
        }
        for i in [0u32, 1, 7, (1 << 30) - 2] {
            let o = object(i);
            assert!(o != 0 && !is_i31(o) && o <= u32::MAX as u64);
            assert_eq!(object_index(o), Some(i));
            assert_eq!(host_index(o), None);
            let h = host(i);
            assert!(h != 0 && !is_i31(h) && h <= u32::MAX as u64);
            assert_eq!(host_index(h), Some(i));
            assert_eq!(object_index(h), None);
        }
        assert_eq!(object_index(0), None);
        assert_eq!(host_index(0), None);
        assert_eq!(i31_get_s(i31(0x7fff_ffff)), -1);
        assert_eq!(i31_get_s(i31(0x4000_0000)), -0x4000_0000);
    }
}
