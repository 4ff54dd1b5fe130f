//! Float-lane SIMD semantics: each lane goes through the scalar operator of
//! `exec/num.rs`, so vector lanes follow the interpreter's one NaN rule
//! (RATIONALE.md, "NaN results") exactly as scalar code does.

use super::lanes::{build, cmp, get, map, zip};
use crate::exec::num::*;

macro_rules! f32x4_bin {
    ($($name:ident, $f:ident;)*) => {$(
        pub(crate) fn $name(a: u128, b: u128) -> u128 {
            zip::<u32>(a, b, |x, y| $f(x as u64, y as u64) as u32)
        }
    )*};
}
macro_rules! f64x2_bin {
    ($($name:ident, $f:ident;)*) => {$(
        pub(crate) fn $name(a: u128, b: u128) -> u128 {
            zip::<u64>(a, b, $f)
        }
    )*};
}
macro_rules! f32x4_un {
    ($($name:ident, $f:ident;)*) => {$(
        pub(crate) fn $name(a: u128) -> u128 {
            map::<u32>(a, |x| $f(x as u64) as u32)
        }
    )*};
}
macro_rules! f64x2_un {
    ($($name:ident, $f:ident;)*) => {$(
        pub(crate) fn $name(a: u128) -> u128 {
            map::<u64>(a, $f)
        }
    )*};
}
macro_rules! f32x4_cmp {
    ($($name:ident, $op:tt;)*) => {$(
        pub(crate) fn $name(a: u128, b: u128) -> u128 {
            cmp::<u32>(a, b, |x, y| f32::from_bits(x) $op f32::from_bits(y))
        }
    )*};
}
macro_rules! f64x2_cmp {
    ($($name:ident, $op:tt;)*) => {$(
        pub(crate) fn $name(a: u128, b: u128) -> u128 {
            cmp::<u64>(a, b, |x, y| f64::from_bits(x) $op f64::from_bits(y))
        }
    )*};
}

f32x4_bin! {
    f32x4_add, f32_add; f32x4_sub, f32_sub; f32x4_mul, f32_mul; f32x4_div, f32_div;
    f32x4_min, f32_min; f32x4_max, f32_max;
}
f64x2_bin! {
    f64x2_add, f64_add; f64x2_sub, f64_sub; f64x2_mul, f64_mul; f64x2_div, f64_div;
    f64x2_min, f64_min; f64x2_max, f64_max;
}
f32x4_un! {
    f32x4_ceil, f32_ceil; f32x4_floor, f32_floor; f32x4_trunc, f32_trunc;
    f32x4_nearest, f32_nearest; f32x4_abs, f32_abs; f32x4_neg, f32_neg; f32x4_sqrt, f32_sqrt;
    i32x4_trunc_sat_f32x4_s, i32_trunc_sat_f32_s; i32x4_trunc_sat_f32x4_u, i32_trunc_sat_f32_u;
    f32x4_convert_i32x4_s, f32_convert_i32_s; f32x4_convert_i32x4_u, f32_convert_i32_u;
}
f64x2_un! {
    f64x2_ceil, f64_ceil; f64x2_floor, f64_floor; f64x2_trunc, f64_trunc;
    f64x2_nearest, f64_nearest; f64x2_abs, f64_abs; f64x2_neg, f64_neg; f64x2_sqrt, f64_sqrt;
}
f32x4_cmp! { f32x4_eq, ==; f32x4_ne, !=; f32x4_lt, <; f32x4_gt, >; f32x4_le, <=; f32x4_ge, >=; }
f64x2_cmp! { f64x2_eq, ==; f64x2_ne, !=; f64x2_lt, <; f64x2_gt, >; f64x2_le, <=; f64x2_ge, >=; }

/// `b < a ? b : a`, bits untouched (no NaN rule: the spec defines it exactly).
pub(crate) fn f32x4_pmin(a: u128, b: u128) -> u128 {
    zip::<u32>(a, b, |x, y| {
        if f32::from_bits(y) < f32::from_bits(x) {
            y
        } else {
            x
        }
    })
}
/// `a < b ? b : a`.
pub(crate) fn f32x4_pmax(a: u128, b: u128) -> u128 {
    zip::<u32>(a, b, |x, y| {
        if f32::from_bits(x) < f32::from_bits(y) {
            y
        } else {
            x
        }
    })
}
/// `b < a ? b : a`.
pub(crate) fn f64x2_pmin(a: u128, b: u128) -> u128 {
    zip::<u64>(a, b, |x, y| {
        if f64::from_bits(y) < f64::from_bits(x) {
            y
        } else {
            x
        }
    })
}
/// `a < b ? b : a`.
pub(crate) fn f64x2_pmax(a: u128, b: u128) -> u128 {
    zip::<u64>(a, b, |x, y| {
        if f64::from_bits(x) < f64::from_bits(y) {
            y
        } else {
            x
        }
    })
}

pub(crate) fn i32x4_trunc_sat_f64x2_s_zero(a: u128) -> u128 {
    build::<u32>(|i| {
        if i < 2 {
            i32_trunc_sat_f64_s(get::<u64>(a, i)) as u32
        } else {
            0
        }
    })
}
pub(crate) fn i32x4_trunc_sat_f64x2_u_zero(a: u128) -> u128 {
    build::<u32>(|i| {
        if i < 2 {
            i32_trunc_sat_f64_u(get::<u64>(a, i)) as u32
        } else {
            0
        }
    })
}
pub(crate) fn f64x2_convert_low_i32x4_s(a: u128) -> u128 {
    build::<u64>(|i| f64_convert_i32_s(get::<u32>(a, i) as u64))
}
pub(crate) fn f64x2_convert_low_i32x4_u(a: u128) -> u128 {
    build::<u64>(|i| f64_convert_i32_u(get::<u32>(a, i) as u64))
}
pub(crate) fn f32x4_demote_f64x2_zero(a: u128) -> u128 {
    build::<u32>(|i| {
        if i < 2 {
            f32_demote_f64(get::<u64>(a, i)) as u32
        } else {
            0
        }
    })
}
pub(crate) fn f64x2_promote_low_f32x4(a: u128) -> u128 {
    build::<u64>(|i| f64_promote_f32(get::<u32>(a, i) as u64))
}

/// The NaN rule of a fused multiply-add: the first NaN operand, quieted;
/// an invalid operation on non-NaNs (`0 * inf + c`): the canonical NaN.
macro_rules! fma_lane {
    ($name:ident, $f:ty, $bits:ty, $quiet:expr, $canon:expr) => {
        fn $name(a: $bits, b: $bits, c: $bits) -> $bits {
            let (x, y, z) = (<$f>::from_bits(a), <$f>::from_bits(b), <$f>::from_bits(c));
            let r = x.mul_add(y, z);
            if !r.is_nan() {
                return r.to_bits();
            }
            for (v, bits) in [(x, a), (y, b), (z, c)] {
                if v.is_nan() {
                    return bits | $quiet;
                }
            }
            $canon
        }
    };
}
fma_lane!(fma32, f32, u32, 0x0040_0000, 0x7fc0_0000);
fma_lane!(
    fma64,
    f64,
    u64,
    0x0008_0000_0000_0000,
    0x7ff8_0000_0000_0000
);

/// Relaxed: fused, one rounding (RATIONALE.md, "Relaxed SIMD").
pub(crate) fn f32x4_relaxed_madd(a: u128, b: u128, c: u128) -> u128 {
    build::<u32>(|i| fma32(get(a, i), get(b, i), get(c, i)))
}
/// Relaxed: `-(a * b) + c`, fused.
pub(crate) fn f32x4_relaxed_nmadd(a: u128, b: u128, c: u128) -> u128 {
    build::<u32>(|i| fma32(get::<u32>(a, i) ^ 0x8000_0000, get(b, i), get(c, i)))
}
/// Relaxed: fused, one rounding.
pub(crate) fn f64x2_relaxed_madd(a: u128, b: u128, c: u128) -> u128 {
    build::<u64>(|i| fma64(get(a, i), get(b, i), get(c, i)))
}
/// Relaxed: `-(a * b) + c`, fused.
pub(crate) fn f64x2_relaxed_nmadd(a: u128, b: u128, c: u128) -> u128 {
    build::<u64>(|i| fma64(get::<u64>(a, i) ^ (1 << 63), get(b, i), get(c, i)))
}
