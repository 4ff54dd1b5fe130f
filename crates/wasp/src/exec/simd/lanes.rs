//! Lane plumbing and the integer/bitwise SIMD semantics, as plain Rust on
//! `u128` (lane 0 in the low bits, as a v128 is laid out in memory).
//!
//! Every function here is the meaning of one operator (named after it, as
//! listed in `ir/simd.rs`); float lanes are in `float.rs`.

/// A lane type: how to cut it out of and put it into a `u128`.
pub(super) trait Lane: Copy {
    /// Bits per lane.
    const BITS: u32;
    /// The lane held in the low bits of `x`.
    fn from_low(x: u128) -> Self;
    /// The lane's bits, zero-extended.
    fn bits(self) -> u128;
}

macro_rules! lane {
    ($($t:ty, $u:ty, $n:expr;)*) => {$(
        impl Lane for $t {
            const BITS: u32 = $n;
            #[inline(always)]
            fn from_low(x: u128) -> Self { x as $u as $t }
            #[inline(always)]
            fn bits(self) -> u128 { self as $u as u128 }
        }
    )*};
}
lane! {
    i8, u8, 8; u8, u8, 8; i16, u16, 16; u16, u16, 16;
    i32, u32, 32; u32, u32, 32; i64, u64, 64; u64, u64, 64;
}

/// Lane `i` of `v`.
#[inline(always)]
pub(super) fn get<T: Lane>(v: u128, i: usize) -> T {
    T::from_low(v >> (i as u32 * T::BITS))
}

/// A vector built lane by lane.
#[inline(always)]
pub(super) fn build<T: Lane>(f: impl Fn(usize) -> T) -> u128 {
    let n = (128 / T::BITS) as usize;
    let mut v = 0u128;
    for i in 0..n {
        v |= f(i).bits() << (i as u32 * T::BITS);
    }
    v
}

/// `f` applied to every lane.
#[inline(always)]
pub(super) fn map<T: Lane>(a: u128, f: impl Fn(T) -> T) -> u128 {
    build(|i| f(get(a, i)))
}

/// `f` applied to every pair of lanes.
#[inline(always)]
pub(super) fn zip<T: Lane>(a: u128, b: u128, f: impl Fn(T, T) -> T) -> u128 {
    build(|i| f(get(a, i), get(b, i)))
}

/// All ones in lanes where `f` holds, zeros elsewhere.
#[inline(always)]
pub(super) fn cmp<T: Lane>(a: u128, b: u128, f: impl Fn(T, T) -> bool) -> u128 {
    let ones = if T::BITS == 128 {
        u128::MAX
    } else {
        (1u128 << T::BITS) - 1
    };
    let n = (128 / T::BITS) as usize;
    let mut v = 0u128;
    for i in 0..n {
        if f(get(a, i), get(b, i)) {
            v |= ones << (i as u32 * T::BITS);
        }
    }
    v
}

macro_rules! cmps {
    ($t:ty, $eq:ident, $ne:ident, $($name:ident, $lt:ty, $op:tt;)*) => {
        pub(crate) fn $eq(a: u128, b: u128) -> u128 { cmp::<$t>(a, b, |x, y| x == y) }
        pub(crate) fn $ne(a: u128, b: u128) -> u128 { cmp::<$t>(a, b, |x, y| x != y) }
        $( pub(crate) fn $name(a: u128, b: u128) -> u128 { cmp::<$lt>(a, b, |x, y| x $op y) } )*
    };
}
cmps!(u8, i8x16_eq, i8x16_ne, i8x16_lt_s, i8, <; i8x16_lt_u, u8, <; i8x16_gt_s, i8, >;
    i8x16_gt_u, u8, >; i8x16_le_s, i8, <=; i8x16_le_u, u8, <=; i8x16_ge_s, i8, >=; i8x16_ge_u, u8, >=;);
cmps!(u16, i16x8_eq, i16x8_ne, i16x8_lt_s, i16, <; i16x8_lt_u, u16, <; i16x8_gt_s, i16, >;
    i16x8_gt_u, u16, >; i16x8_le_s, i16, <=; i16x8_le_u, u16, <=; i16x8_ge_s, i16, >=; i16x8_ge_u, u16, >=;);
cmps!(u32, i32x4_eq, i32x4_ne, i32x4_lt_s, i32, <; i32x4_lt_u, u32, <; i32x4_gt_s, i32, >;
    i32x4_gt_u, u32, >; i32x4_le_s, i32, <=; i32x4_le_u, u32, <=; i32x4_ge_s, i32, >=; i32x4_ge_u, u32, >=;);
cmps!(u64, i64x2_eq, i64x2_ne, i64x2_lt_s, i64, <; i64x2_gt_s, i64, >; i64x2_le_s, i64, <=;
    i64x2_ge_s, i64, >=;);

pub(crate) fn v128_and(a: u128, b: u128) -> u128 {
    a & b
}
pub(crate) fn v128_andnot(a: u128, b: u128) -> u128 {
    a & !b
}
pub(crate) fn v128_or(a: u128, b: u128) -> u128 {
    a | b
}
pub(crate) fn v128_xor(a: u128, b: u128) -> u128 {
    a ^ b
}
pub(crate) fn v128_not(a: u128) -> u128 {
    !a
}
/// Bits of `a` where `c` is set, of `b` elsewhere (also every `relaxed_laneselect`).
pub(crate) fn v128_bitselect(a: u128, b: u128, c: u128) -> u128 {
    (a & c) | (b & !c)
}

/// Lane `i` of the result is byte `b[i]` of `a`, or 0 when `b[i] >= 16`
/// (also `relaxed_swizzle`).
pub(crate) fn i8x16_swizzle(a: u128, b: u128) -> u128 {
    build::<u8>(|i| {
        let j = get::<u8>(b, i) as usize;
        if j < 16 {
            get::<u8>(a, j)
        } else {
            0
        }
    })
}

/// Byte `i` of the result is byte `mask[i]` of `a ++ b` (validated: < 32).
pub(crate) fn i8x16_shuffle(a: u128, b: u128, mask: u128) -> u128 {
    build::<u8>(|i| {
        let j = get::<u8>(mask, i) as usize & 31;
        if j < 16 {
            get::<u8>(a, j)
        } else {
            get::<u8>(b, j - 16)
        }
    })
}

macro_rules! int_arith {
    ($t:ty, $u:ty, $add:ident, $sub:ident, $neg:ident, $abs:ident, $min_s:ident, $min_u:ident,
     $max_s:ident, $max_u:ident) => {
        pub(crate) fn $add(a: u128, b: u128) -> u128 {
            zip::<$u>(a, b, <$u>::wrapping_add)
        }
        pub(crate) fn $sub(a: u128, b: u128) -> u128 {
            zip::<$u>(a, b, <$u>::wrapping_sub)
        }
        pub(crate) fn $neg(a: u128) -> u128 {
            map::<$t>(a, <$t>::wrapping_neg)
        }
        pub(crate) fn $abs(a: u128) -> u128 {
            map::<$t>(a, <$t>::wrapping_abs)
        }
        pub(crate) fn $min_s(a: u128, b: u128) -> u128 {
            zip::<$t>(a, b, Ord::min)
        }
        pub(crate) fn $min_u(a: u128, b: u128) -> u128 {
            zip::<$u>(a, b, Ord::min)
        }
        pub(crate) fn $max_s(a: u128, b: u128) -> u128 {
            zip::<$t>(a, b, Ord::max)
        }
        pub(crate) fn $max_u(a: u128, b: u128) -> u128 {
            zip::<$u>(a, b, Ord::max)
        }
    };
}
int_arith!(
    i8,
    u8,
    i8x16_add,
    i8x16_sub,
    i8x16_neg,
    i8x16_abs,
    i8x16_min_s,
    i8x16_min_u,
    i8x16_max_s,
    i8x16_max_u
);
int_arith!(
    i16,
    u16,
    i16x8_add,
    i16x8_sub,
    i16x8_neg,
    i16x8_abs,
    i16x8_min_s,
    i16x8_min_u,
    i16x8_max_s,
    i16x8_max_u
);
int_arith!(
    i32,
    u32,
    i32x4_add,
    i32x4_sub,
    i32x4_neg,
    i32x4_abs,
    i32x4_min_s,
    i32x4_min_u,
    i32x4_max_s,
    i32x4_max_u
);

pub(crate) fn i64x2_add(a: u128, b: u128) -> u128 {
    zip::<u64>(a, b, u64::wrapping_add)
}
pub(crate) fn i64x2_sub(a: u128, b: u128) -> u128 {
    zip::<u64>(a, b, u64::wrapping_sub)
}
pub(crate) fn i64x2_mul(a: u128, b: u128) -> u128 {
    zip::<u64>(a, b, u64::wrapping_mul)
}
pub(crate) fn i64x2_neg(a: u128) -> u128 {
    map::<i64>(a, i64::wrapping_neg)
}
pub(crate) fn i64x2_abs(a: u128) -> u128 {
    map::<i64>(a, i64::wrapping_abs)
}
pub(crate) fn i16x8_mul(a: u128, b: u128) -> u128 {
    zip::<u16>(a, b, u16::wrapping_mul)
}
pub(crate) fn i32x4_mul(a: u128, b: u128) -> u128 {
    zip::<u32>(a, b, u32::wrapping_mul)
}

macro_rules! sat_avgr {
    ($t:ty, $u:ty, $wide:ty, $add_s:ident, $add_u:ident, $sub_s:ident, $sub_u:ident, $avgr:ident) => {
        pub(crate) fn $add_s(a: u128, b: u128) -> u128 {
            zip::<$t>(a, b, <$t>::saturating_add)
        }
        pub(crate) fn $add_u(a: u128, b: u128) -> u128 {
            zip::<$u>(a, b, <$u>::saturating_add)
        }
        pub(crate) fn $sub_s(a: u128, b: u128) -> u128 {
            zip::<$t>(a, b, <$t>::saturating_sub)
        }
        pub(crate) fn $sub_u(a: u128, b: u128) -> u128 {
            zip::<$u>(a, b, <$u>::saturating_sub)
        }
        pub(crate) fn $avgr(a: u128, b: u128) -> u128 {
            zip::<$u>(a, b, |x, y| ((x as $wide + y as $wide + 1) >> 1) as $u)
        }
    };
}
sat_avgr!(
    i8,
    u8,
    u16,
    i8x16_add_sat_s,
    i8x16_add_sat_u,
    i8x16_sub_sat_s,
    i8x16_sub_sat_u,
    i8x16_avgr_u
);
sat_avgr!(
    i16,
    u16,
    u32,
    i16x8_add_sat_s,
    i16x8_add_sat_u,
    i16x8_sub_sat_s,
    i16x8_sub_sat_u,
    i16x8_avgr_u
);

pub(crate) fn i8x16_popcnt(a: u128) -> u128 {
    map::<u8>(a, |x| x.count_ones() as u8)
}

/// `(a * b + 0x4000) >> 15`, saturated (also `relaxed_q15mulr_s`).
pub(crate) fn i16x8_q15mulr_sat_s(a: u128, b: u128) -> u128 {
    zip::<i16>(a, b, |x, y| {
        let r = (x as i32 * y as i32 + 0x4000) >> 15;
        r.clamp(i16::MIN as i32, i16::MAX as i32) as i16
    })
}

macro_rules! narrow {
    ($name_s:ident, $name_u:ident, $from:ty, $to_s:ty, $to_u:ty) => {
        pub(crate) fn $name_s(a: u128, b: u128) -> u128 {
            let n = (128 / <$from>::BITS) as usize;
            build::<$to_s>(|i| {
                let x: $from = if i < n { get(a, i) } else { get(b, i - n) };
                x.clamp(<$to_s>::MIN as $from, <$to_s>::MAX as $from) as $to_s
            })
        }
        pub(crate) fn $name_u(a: u128, b: u128) -> u128 {
            let n = (128 / <$from>::BITS) as usize;
            build::<$to_u>(|i| {
                let x: $from = if i < n { get(a, i) } else { get(b, i - n) };
                x.clamp(0, <$to_u>::MAX as $from) as $to_u
            })
        }
    };
}
narrow!(i8x16_narrow_i16x8_s, i8x16_narrow_i16x8_u, i16, i8, u8);
narrow!(i16x8_narrow_i32x4_s, i16x8_narrow_i32x4_u, i32, i16, u16);

macro_rules! extend {
    ($($name:ident, $from:ty, $to:ty, $half:expr;)*) => {$(
        pub(crate) fn $name(a: u128) -> u128 {
            let n = (128 / <$to as Lane>::BITS) as usize;
            build::<$to>(|i| get::<$from>(a, i + $half * n) as $to)
        }
    )*};
}
extend! {
    i16x8_extend_low_i8x16_s, i8, i16, 0; i16x8_extend_high_i8x16_s, i8, i16, 1;
    i16x8_extend_low_i8x16_u, u8, i16, 0; i16x8_extend_high_i8x16_u, u8, i16, 1;
    i32x4_extend_low_i16x8_s, i16, i32, 0; i32x4_extend_high_i16x8_s, i16, i32, 1;
    i32x4_extend_low_i16x8_u, u16, i32, 0; i32x4_extend_high_i16x8_u, u16, i32, 1;
    i64x2_extend_low_i32x4_s, i32, i64, 0; i64x2_extend_high_i32x4_s, i32, i64, 1;
    i64x2_extend_low_i32x4_u, u32, i64, 0; i64x2_extend_high_i32x4_u, u32, i64, 1;
}

macro_rules! extmul {
    ($($name:ident, $from:ty, $to:ty, $half:expr;)*) => {$(
        pub(crate) fn $name(a: u128, b: u128) -> u128 {
            let n = (128 / <$to as Lane>::BITS) as usize;
            build::<$to>(|i| {
                let (x, y) = (get::<$from>(a, i + $half * n), get::<$from>(b, i + $half * n));
                (x as $to).wrapping_mul(y as $to)
            })
        }
    )*};
}
extmul! {
    i16x8_extmul_low_i8x16_s, i8, i16, 0; i16x8_extmul_high_i8x16_s, i8, i16, 1;
    i16x8_extmul_low_i8x16_u, u8, u16, 0; i16x8_extmul_high_i8x16_u, u8, u16, 1;
    i32x4_extmul_low_i16x8_s, i16, i32, 0; i32x4_extmul_high_i16x8_s, i16, i32, 1;
    i32x4_extmul_low_i16x8_u, u16, u32, 0; i32x4_extmul_high_i16x8_u, u16, u32, 1;
    i64x2_extmul_low_i32x4_s, i32, i64, 0; i64x2_extmul_high_i32x4_s, i32, i64, 1;
    i64x2_extmul_low_i32x4_u, u32, u64, 0; i64x2_extmul_high_i32x4_u, u32, u64, 1;
}

macro_rules! extadd {
    ($($name:ident, $from:ty, $to:ty;)*) => {$(
        pub(crate) fn $name(a: u128) -> u128 {
            build::<$to>(|i| (get::<$from>(a, 2 * i) as $to).wrapping_add(get::<$from>(a, 2 * i + 1) as $to))
        }
    )*};
}
extadd! {
    i16x8_extadd_pairwise_i8x16_s, i8, i16; i16x8_extadd_pairwise_i8x16_u, u8, u16;
    i32x4_extadd_pairwise_i16x8_s, i16, i32; i32x4_extadd_pairwise_i16x8_u, u16, u32;
}

pub(crate) fn i32x4_dot_i16x8_s(a: u128, b: u128) -> u128 {
    build::<i32>(|i| {
        let p = |j: usize| get::<i16>(a, j) as i32 * get::<i16>(b, j) as i32;
        p(2 * i).wrapping_add(p(2 * i + 1))
    })
}

/// Relaxed: both operands signed, the pair sums wrapping to 16 bits
/// (RATIONALE.md, "Relaxed SIMD").
pub(crate) fn i16x8_relaxed_dot_i8x16_i7x16_s(a: u128, b: u128) -> u128 {
    build::<i16>(|i| {
        let p = |j: usize| get::<i8>(a, j) as i16 * get::<i8>(b, j) as i16;
        p(2 * i).wrapping_add(p(2 * i + 1))
    })
}

/// Relaxed: the sum of four signed products (each pair summed as
/// `i16x8_relaxed_dot_i8x16_i7x16_s` does), plus `c`, wrapping.
pub(crate) fn i32x4_relaxed_dot_i8x16_i7x16_add_s(a: u128, b: u128, c: u128) -> u128 {
    let d = i16x8_relaxed_dot_i8x16_i7x16_s(a, b);
    build::<i32>(|i| {
        let s = get::<i16>(d, 2 * i) as i32 + get::<i16>(d, 2 * i + 1) as i32;
        s.wrapping_add(get::<i32>(c, i))
    })
}

macro_rules! shifts {
    ($t:ty, $u:ty, $shl:ident, $shr_s:ident, $shr_u:ident) => {
        pub(crate) fn $shl(a: u128, s: u32) -> u128 {
            let s = s % <$u as Lane>::BITS;
            map::<$u>(a, |x| x << s)
        }
        pub(crate) fn $shr_s(a: u128, s: u32) -> u128 {
            let s = s % <$u as Lane>::BITS;
            map::<$t>(a, |x| x >> s)
        }
        pub(crate) fn $shr_u(a: u128, s: u32) -> u128 {
            let s = s % <$u as Lane>::BITS;
            map::<$u>(a, |x| x >> s)
        }
    };
}
shifts!(i8, u8, i8x16_shl, i8x16_shr_s, i8x16_shr_u);
shifts!(i16, u16, i16x8_shl, i16x8_shr_s, i16x8_shr_u);
shifts!(i32, u32, i32x4_shl, i32x4_shr_s, i32x4_shr_u);
shifts!(i64, u64, i64x2_shl, i64x2_shr_s, i64x2_shr_u);

pub(crate) fn v128_any_true(a: u128) -> u64 {
    (a != 0) as u64
}

macro_rules! all_true_bitmask {
    ($($t:ty, $all:ident, $mask:ident;)*) => {$(
        pub(crate) fn $all(a: u128) -> u64 {
            let n = (128 / <$t as Lane>::BITS) as usize;
            (0..n).all(|i| get::<$t>(a, i) != 0) as u64
        }
        pub(crate) fn $mask(a: u128) -> u64 {
            let n = (128 / <$t as Lane>::BITS) as usize;
            (0..n).fold(0, |m, i| m | (((get::<$t>(a, i) < 0) as u64) << i))
        }
    )*};
}
all_true_bitmask! {
    i8, i8x16_all_true, i8x16_bitmask; i16, i16x8_all_true, i16x8_bitmask;
    i32, i32x4_all_true, i32x4_bitmask; i64, i64x2_all_true, i64x2_bitmask;
}

macro_rules! splat_lane {
    ($($t:ty, $splat:ident, $replace:ident;)*) => {$(
        pub(crate) fn $splat(x: u64) -> u128 {
            build::<$t>(|_| x as $t)
        }
        pub(crate) fn $replace(a: u128, x: u64, lane: u8) -> u128 {
            let sh = lane as u32 * <$t as Lane>::BITS;
            let ones = u128::MAX >> (128 - <$t as Lane>::BITS);
            (a & !(ones << sh)) | ((x as $t).bits() << sh)
        }
    )*};
}
splat_lane! {
    u8, i8x16_splat, i8x16_replace_lane; u16, i16x8_splat, i16x8_replace_lane;
    u32, i32x4_splat, i32x4_replace_lane; u64, i64x2_splat, i64x2_replace_lane;
}

pub(crate) fn i8x16_extract_lane_s(a: u128, lane: u8) -> u64 {
    get::<i8>(a, lane as usize) as i32 as u32 as u64
}
pub(crate) fn i8x16_extract_lane_u(a: u128, lane: u8) -> u64 {
    get::<u8>(a, lane as usize) as u64
}
pub(crate) fn i16x8_extract_lane_s(a: u128, lane: u8) -> u64 {
    get::<i16>(a, lane as usize) as i32 as u32 as u64
}
pub(crate) fn i16x8_extract_lane_u(a: u128, lane: u8) -> u64 {
    get::<u16>(a, lane as usize) as u64
}
pub(crate) fn i32x4_extract_lane(a: u128, lane: u8) -> u64 {
    get::<u32>(a, lane as usize) as u64
}
pub(crate) fn i64x2_extract_lane(a: u128, lane: u8) -> u64 {
    get::<u64>(a, lane as usize)
}

macro_rules! load_ext {
    ($($name:ident, $from:ty, $to:ty;)*) => {$(
        /// Widens the lanes of the 8 bytes read (in the low bits of `x`).
        pub(crate) fn $name(x: u64) -> u128 {
            build::<$to>(|i| get::<$from>(x as u128, i) as $to)
        }
    )*};
}
load_ext! {
    load8x8_s, i8, i16; load8x8_u, u8, u16; load16x4_s, i16, i32; load16x4_u, u16, u32;
    load32x2_s, i32, i64; load32x2_u, u32, u64;
}

/// The bytes read, zero-extended to 128 bits.
pub(crate) fn load_zero(x: u64) -> u128 {
    x as u128
}
