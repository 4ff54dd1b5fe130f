//! Semantics of the numeric operators over raw 64-bit slots.
//!
//! 32-bit operands are read from the low half of a slot (the high half is
//! ignored); results are written zero-extended. Floats travel as bit patterns,
//! so sign and payload operations (`abs`, `neg`, `copysign`) never touch NaNs.

use crate::error::TrapCode;

#[inline(always)]
fn f32v(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
#[inline(always)]
fn f64v(x: u64) -> f64 {
    f64::from_bits(x)
}
#[inline(always)]
fn r32(x: f32) -> u64 {
    x.to_bits() as u64
}
#[inline(always)]
fn r64(x: f64) -> u64 {
    x.to_bits()
}
#[inline(always)]
fn b(x: bool) -> u64 {
    x as u64
}

macro_rules! int_ops {
    ($t:ty, $u:ty, $add:ident, $sub:ident, $mul:ident, $and:ident, $or:ident, $xor:ident,
     $shl:ident, $shr_s:ident, $shr_u:ident, $rotl:ident, $rotr:ident,
     $eq:ident, $ne:ident, $lt_s:ident, $lt_u:ident, $gt_s:ident, $gt_u:ident,
     $le_s:ident, $le_u:ident, $ge_s:ident, $ge_u:ident,
     $div_s:ident, $div_u:ident, $rem_s:ident, $rem_u:ident,
     $clz:ident, $ctz:ident, $popcnt:ident, $eqz:ident) => {
        #[inline(always)]
        pub fn $add(a: u64, b: u64) -> u64 {
            (a as $u).wrapping_add(b as $u) as u64
        }
        #[inline(always)]
        pub fn $sub(a: u64, b: u64) -> u64 {
            (a as $u).wrapping_sub(b as $u) as u64
        }
        #[inline(always)]
        pub fn $mul(a: u64, b: u64) -> u64 {
            (a as $u).wrapping_mul(b as $u) as u64
        }
        #[inline(always)]
        pub fn $and(a: u64, b: u64) -> u64 {
            (a as $u & b as $u) as u64
        }
        #[inline(always)]
        pub fn $or(a: u64, b: u64) -> u64 {
            (a as $u | b as $u) as u64
        }
        #[inline(always)]
        pub fn $xor(a: u64, b: u64) -> u64 {
            (a as $u ^ b as $u) as u64
        }
        #[inline(always)]
        pub fn $shl(a: u64, b: u64) -> u64 {
            (a as $u).wrapping_shl(b as u32) as u64
        }
        #[inline(always)]
        pub fn $shr_s(a: u64, b: u64) -> u64 {
            (a as $u as $t).wrapping_shr(b as u32) as $u as u64
        }
        #[inline(always)]
        pub fn $shr_u(a: u64, b: u64) -> u64 {
            (a as $u).wrapping_shr(b as u32) as u64
        }
        #[inline(always)]
        pub fn $rotl(a: u64, b: u64) -> u64 {
            (a as $u).rotate_left(b as u32) as u64
        }
        #[inline(always)]
        pub fn $rotr(a: u64, b: u64) -> u64 {
            (a as $u).rotate_right(b as u32) as u64
        }
        #[inline(always)]
        pub fn $eq(a: u64, c: u64) -> u64 {
            b(a as $u == c as $u)
        }
        #[inline(always)]
        pub fn $ne(a: u64, c: u64) -> u64 {
            b(a as $u != c as $u)
        }
        #[inline(always)]
        pub fn $lt_s(a: u64, c: u64) -> u64 {
            b((a as $u as $t) < (c as $u as $t))
        }
        #[inline(always)]
        pub fn $lt_u(a: u64, c: u64) -> u64 {
            b((a as $u) < (c as $u))
        }
        #[inline(always)]
        pub fn $gt_s(a: u64, c: u64) -> u64 {
            b((a as $u as $t) > (c as $u as $t))
        }
        #[inline(always)]
        pub fn $gt_u(a: u64, c: u64) -> u64 {
            b((a as $u) > (c as $u))
        }
        #[inline(always)]
        pub fn $le_s(a: u64, c: u64) -> u64 {
            b((a as $u as $t) <= (c as $u as $t))
        }
        #[inline(always)]
        pub fn $le_u(a: u64, c: u64) -> u64 {
            b((a as $u) <= (c as $u))
        }
        #[inline(always)]
        pub fn $ge_s(a: u64, c: u64) -> u64 {
            b((a as $u as $t) >= (c as $u as $t))
        }
        #[inline(always)]
        pub fn $ge_u(a: u64, c: u64) -> u64 {
            b((a as $u) >= (c as $u))
        }
        #[inline(always)]
        pub fn $div_s(a: u64, b: u64) -> Result<u64, TrapCode> {
            let (a, b) = (a as $u as $t, b as $u as $t);
            if b == 0 {
                return Err(TrapCode::IntegerDivideByZero);
            }
            if a == <$t>::MIN && b == -1 {
                return Err(TrapCode::IntegerOverflow);
            }
            Ok((a / b) as $u as u64)
        }
        #[inline(always)]
        pub fn $div_u(a: u64, b: u64) -> Result<u64, TrapCode> {
            let (a, b) = (a as $u, b as $u);
            if b == 0 {
                return Err(TrapCode::IntegerDivideByZero);
            }
            Ok((a / b) as u64)
        }
        #[inline(always)]
        pub fn $rem_s(a: u64, b: u64) -> Result<u64, TrapCode> {
            let (a, b) = (a as $u as $t, b as $u as $t);
            if b == 0 {
                return Err(TrapCode::IntegerDivideByZero);
            }
            Ok(a.wrapping_rem(b) as $u as u64)
        }
        #[inline(always)]
        pub fn $rem_u(a: u64, b: u64) -> Result<u64, TrapCode> {
            let (a, b) = (a as $u, b as $u);
            if b == 0 {
                return Err(TrapCode::IntegerDivideByZero);
            }
            Ok((a % b) as u64)
        }
        #[inline(always)]
        pub fn $clz(a: u64) -> u64 {
            (a as $u).leading_zeros() as u64
        }
        #[inline(always)]
        pub fn $ctz(a: u64) -> u64 {
            (a as $u).trailing_zeros() as u64
        }
        #[inline(always)]
        pub fn $popcnt(a: u64) -> u64 {
            (a as $u).count_ones() as u64
        }
        #[inline(always)]
        pub fn $eqz(a: u64) -> u64 {
            b(a as $u == 0)
        }
    };
}

int_ops!(
    i32, u32, i32_add, i32_sub, i32_mul, i32_and, i32_or, i32_xor, i32_shl, i32_shr_s, i32_shr_u,
    i32_rotl, i32_rotr, i32_eq, i32_ne, i32_lt_s, i32_lt_u, i32_gt_s, i32_gt_u, i32_le_s, i32_le_u,
    i32_ge_s, i32_ge_u, i32_div_s, i32_div_u, i32_rem_s, i32_rem_u, i32_clz, i32_ctz, i32_popcnt,
    i32_eqz
);
int_ops!(
    i64, u64, i64_add, i64_sub, i64_mul, i64_and, i64_or, i64_xor, i64_shl, i64_shr_s, i64_shr_u,
    i64_rotl, i64_rotr, i64_eq, i64_ne, i64_lt_s, i64_lt_u, i64_gt_s, i64_gt_u, i64_le_s, i64_le_u,
    i64_ge_s, i64_ge_u, i64_div_s, i64_div_u, i64_rem_s, i64_rem_u, i64_clz, i64_ctz, i64_popcnt,
    i64_eqz
);

#[inline(always)]
pub fn i32_extend8_s(a: u64) -> u64 {
    a as u8 as i8 as i32 as u32 as u64
}
#[inline(always)]
pub fn i32_extend16_s(a: u64) -> u64 {
    a as u16 as i16 as i32 as u32 as u64
}
#[inline(always)]
pub fn i64_extend8_s(a: u64) -> u64 {
    a as u8 as i8 as i64 as u64
}
#[inline(always)]
pub fn i64_extend16_s(a: u64) -> u64 {
    a as u16 as i16 as i64 as u64
}
#[inline(always)]
pub fn i64_extend32_s(a: u64) -> u64 {
    a as u32 as i32 as i64 as u64
}
#[inline(always)]
pub fn i64_extend_i32_u(a: u64) -> u64 {
    a as u32 as u64
}

/// Rounding a NaN must yield an arithmetic (quiet) NaN; software rounding
/// returns signalling inputs unchanged, so set the quiet bit.
macro_rules! quiet {
    ($x:expr, $f:ty, $r:ident) => {{
        let x = $x;
        if x.is_nan() {
            (x.to_bits() | (1 << (<$f>::MANTISSA_DIGITS - 2))) as u64
        } else {
            $r(x)
        }
    }};
}

/// The result of a float arithmetic operator, with a fixed NaN rule: when the
/// hardware result is a NaN and an operand is one, the first NaN operand,
/// quieted (x86's rule, which wasmtime follows); otherwise the hardware
/// result. Without this the payload would depend on the operand order LLVM
/// picks for a commutative `fadd`/`fmul` in each handler (the immediate
/// forms and constant folding gave the second operand's payload).
macro_rules! arith_nan {
    ($e:expr, $a:expr, $b:expr, $v:ident, $r:ident, $bits:ty, $quiet_bit:expr) => {{
        let x = $e;
        if x.is_nan() {
            if $v($a).is_nan() {
                ($a as $bits | $quiet_bit) as u64
            } else if $v($b).is_nan() {
                ($b as $bits | $quiet_bit) as u64
            } else {
                $r(x)
            }
        } else {
            $r(x)
        }
    }};
}

macro_rules! float_ops {
    ($f:ty, $v:ident, $r:ident, $add:ident, $sub:ident, $mul:ident, $div:ident, $min:ident,
     $max:ident, $copysign:ident, $eq:ident, $ne:ident, $lt:ident, $gt:ident, $le:ident, $ge:ident,
     $abs:ident, $neg:ident, $ceil:ident, $floor:ident, $trunc:ident, $nearest:ident, $sqrt:ident,
     $bits:ty, $sign:expr, $quiet_nan:ident, $quiet_bit:expr) => {
        /// The NaN result of `min`/`max` with a NaN operand: the second
        /// operand if it is a NaN, else the first, with its quiet bit set
        /// (what wasmtime's x86-64 lowering produces, found by the `diff`
        /// fuzzer). One policy for every tier keeps differential tests
        /// bitwise; RATIONALE.md "NaN results".
        #[inline(never)]
        fn $quiet_nan(a: u64, b: u64) -> u64 {
            let n = if $v(b).is_nan() { b } else { a };
            (n as $bits | $quiet_bit) as u64
        }
        #[inline(always)]
        pub fn $add(a: u64, b: u64) -> u64 {
            arith_nan!($v(a) + $v(b), a, b, $v, $r, $bits, $quiet_bit)
        }
        #[inline(always)]
        pub fn $sub(a: u64, b: u64) -> u64 {
            arith_nan!($v(a) - $v(b), a, b, $v, $r, $bits, $quiet_bit)
        }
        #[inline(always)]
        pub fn $mul(a: u64, b: u64) -> u64 {
            arith_nan!($v(a) * $v(b), a, b, $v, $r, $bits, $quiet_bit)
        }
        #[inline(always)]
        pub fn $div(a: u64, b: u64) -> u64 {
            arith_nan!($v(a) / $v(b), a, b, $v, $r, $bits, $quiet_bit)
        }
        #[inline(always)]
        pub fn $min(a: u64, b: u64) -> u64 {
            let (x, y) = ($v(a), $v(b));
            if x.is_nan() || y.is_nan() {
                return $quiet_nan(a, b);
            }
            if x == y {
                return (a as $bits | b as $bits) as u64;
            }
            $r(if x < y { x } else { y })
        }
        #[inline(always)]
        pub fn $max(a: u64, b: u64) -> u64 {
            let (x, y) = ($v(a), $v(b));
            if x.is_nan() || y.is_nan() {
                return $quiet_nan(a, b);
            }
            if x == y {
                return (a as $bits & b as $bits) as u64;
            }
            $r(if x > y { x } else { y })
        }
        #[inline(always)]
        pub fn $copysign(a: u64, b: u64) -> u64 {
            ((a as $bits & !$sign) | (b as $bits & $sign)) as u64
        }
        #[inline(always)]
        pub fn $eq(a: u64, c: u64) -> u64 {
            b($v(a) == $v(c))
        }
        #[inline(always)]
        pub fn $ne(a: u64, c: u64) -> u64 {
            b($v(a) != $v(c))
        }
        #[inline(always)]
        pub fn $lt(a: u64, c: u64) -> u64 {
            b($v(a) < $v(c))
        }
        #[inline(always)]
        pub fn $gt(a: u64, c: u64) -> u64 {
            b($v(a) > $v(c))
        }
        #[inline(always)]
        pub fn $le(a: u64, c: u64) -> u64 {
            b($v(a) <= $v(c))
        }
        #[inline(always)]
        pub fn $ge(a: u64, c: u64) -> u64 {
            b($v(a) >= $v(c))
        }
        #[inline(always)]
        pub fn $abs(a: u64) -> u64 {
            (a as $bits & !$sign) as u64
        }
        #[inline(always)]
        pub fn $neg(a: u64) -> u64 {
            (a as $bits ^ $sign) as u64
        }
        #[inline(always)]
        pub fn $ceil(a: u64) -> u64 {
            quiet!($v(a).ceil(), $f, $r)
        }
        #[inline(always)]
        pub fn $floor(a: u64) -> u64 {
            quiet!($v(a).floor(), $f, $r)
        }
        #[inline(always)]
        pub fn $trunc(a: u64) -> u64 {
            quiet!($v(a).trunc(), $f, $r)
        }
        #[inline(always)]
        pub fn $nearest(a: u64) -> u64 {
            quiet!($v(a).round_ties_even(), $f, $r)
        }
        #[inline(always)]
        pub fn $sqrt(a: u64) -> u64 {
            quiet!($v(a).sqrt(), $f, $r)
        }
    };
}

float_ops!(
    f32,
    f32v,
    r32,
    f32_add,
    f32_sub,
    f32_mul,
    f32_div,
    f32_min,
    f32_max,
    f32_copysign,
    f32_eq,
    f32_ne,
    f32_lt,
    f32_gt,
    f32_le,
    f32_ge,
    f32_abs,
    f32_neg,
    f32_ceil,
    f32_floor,
    f32_trunc,
    f32_nearest,
    f32_sqrt,
    u32,
    0x8000_0000u32,
    f32_nan_result,
    0x0040_0000u32
);
float_ops!(
    f64,
    f64v,
    r64,
    f64_add,
    f64_sub,
    f64_mul,
    f64_div,
    f64_min,
    f64_max,
    f64_copysign,
    f64_eq,
    f64_ne,
    f64_lt,
    f64_gt,
    f64_le,
    f64_ge,
    f64_abs,
    f64_neg,
    f64_ceil,
    f64_floor,
    f64_trunc,
    f64_nearest,
    f64_sqrt,
    u64,
    0x8000_0000_0000_0000u64,
    f64_nan_result,
    0x0008_0000_0000_0000u64
);

#[inline(always)]
pub fn f32_convert_i32_s(a: u64) -> u64 {
    r32(a as u32 as i32 as f32)
}
#[inline(always)]
pub fn f32_convert_i32_u(a: u64) -> u64 {
    r32(a as u32 as f32)
}
#[inline(always)]
pub fn f32_convert_i64_s(a: u64) -> u64 {
    r32(a as i64 as f32)
}
#[inline(always)]
pub fn f32_convert_i64_u(a: u64) -> u64 {
    r32(a as f32)
}
#[inline(always)]
pub fn f32_demote_f64(a: u64) -> u64 {
    r32(f64v(a) as f32)
}
#[inline(always)]
pub fn f64_convert_i32_s(a: u64) -> u64 {
    r64(a as u32 as i32 as f64)
}
#[inline(always)]
pub fn f64_convert_i32_u(a: u64) -> u64 {
    r64(a as u32 as f64)
}
#[inline(always)]
pub fn f64_convert_i64_s(a: u64) -> u64 {
    r64(a as i64 as f64)
}
#[inline(always)]
pub fn f64_convert_i64_u(a: u64) -> u64 {
    r64(a as f64)
}
#[inline(always)]
pub fn f64_promote_f32(a: u64) -> u64 {
    r64(f32v(a) as f64)
}

#[inline(always)]
pub fn i32_trunc_sat_f32_s(a: u64) -> u64 {
    f32v(a) as i32 as u32 as u64
}
#[inline(always)]
pub fn i32_trunc_sat_f32_u(a: u64) -> u64 {
    f32v(a) as u32 as u64
}
#[inline(always)]
pub fn i32_trunc_sat_f64_s(a: u64) -> u64 {
    f64v(a) as i32 as u32 as u64
}
#[inline(always)]
pub fn i32_trunc_sat_f64_u(a: u64) -> u64 {
    f64v(a) as u32 as u64
}
#[inline(always)]
pub fn i64_trunc_sat_f32_s(a: u64) -> u64 {
    f32v(a) as i64 as u64
}
#[inline(always)]
pub fn i64_trunc_sat_f32_u(a: u64) -> u64 {
    f32v(a) as u64
}
#[inline(always)]
pub fn i64_trunc_sat_f64_s(a: u64) -> u64 {
    f64v(a) as i64 as u64
}
#[inline(always)]
pub fn i64_trunc_sat_f64_u(a: u64) -> u64 {
    f64v(a) as u64
}

macro_rules! trunc {
    ($name:ident, $v:ident, $lo:expr, $hi:expr, $to:ty, $raw:ty) => {
        /// Trapping truncation: NaN and out-of-range inputs trap.
        #[inline(always)]
        pub fn $name(a: u64) -> Result<u64, TrapCode> {
            let x = $v(a);
            if x.is_nan() {
                return Err(TrapCode::BadConversionToInteger);
            }
            if !(x > $lo && x < $hi) {
                return Err(TrapCode::IntegerOverflow);
            }
            Ok(x as $to as $raw as u64)
        }
    };
}
trunc!(
    i32_trunc_f32_s,
    f32v,
    -2147483904.0f32,
    2147483648.0f32,
    i32,
    u32
);
trunc!(i32_trunc_f32_u, f32v, -1.0f32, 4294967296.0f32, u32, u32);
trunc!(
    i32_trunc_f64_s,
    f64v,
    -2147483649.0f64,
    2147483648.0f64,
    i32,
    u32
);
trunc!(i32_trunc_f64_u, f64v, -1.0f64, 4294967296.0f64, u32, u32);
trunc!(
    i64_trunc_f32_s,
    f32v,
    -9223373136366403584.0f32,
    9223372036854775808.0f32,
    i64,
    u64
);
trunc!(
    i64_trunc_f32_u,
    f32v,
    -1.0f32,
    18446744073709551616.0f32,
    u64,
    u64
);
trunc!(
    i64_trunc_f64_s,
    f64v,
    -9223372036854777856.0f64,
    9223372036854775808.0f64,
    i64,
    u64
);
trunc!(
    i64_trunc_f64_u,
    f64v,
    -1.0f64,
    18446744073709551616.0f64,
    u64,
    u64
);

/// Little-endian load conversions, from the bytes read to a slot value.
#[inline(always)]
pub fn load_u8(b: [u8; 1]) -> u64 {
    b[0] as u64
}
#[inline(always)]
pub fn load_u16(b: [u8; 2]) -> u64 {
    u16::from_le_bytes(b) as u64
}
#[inline(always)]
pub fn load_u32(b: [u8; 4]) -> u64 {
    u32::from_le_bytes(b) as u64
}
#[inline(always)]
pub fn load_u64(b: [u8; 8]) -> u64 {
    u64::from_le_bytes(b)
}
#[inline(always)]
pub fn load_i8_32(b: [u8; 1]) -> u64 {
    b[0] as i8 as i32 as u32 as u64
}
#[inline(always)]
pub fn load_i16_32(b: [u8; 2]) -> u64 {
    i16::from_le_bytes(b) as i32 as u32 as u64
}
#[inline(always)]
pub fn load_i8_64(b: [u8; 1]) -> u64 {
    b[0] as i8 as i64 as u64
}
#[inline(always)]
pub fn load_i16_64(b: [u8; 2]) -> u64 {
    i16::from_le_bytes(b) as i64 as u64
}
#[inline(always)]
pub fn load_i32_64(b: [u8; 4]) -> u64 {
    i32::from_le_bytes(b) as i64 as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_traps() {
        assert_eq!(i32_div_s(1, 0), Err(TrapCode::IntegerDivideByZero));
        assert_eq!(
            i32_div_s(i32::MIN as u32 as u64, -1i32 as u32 as u64),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(
            i32_rem_s(i32::MIN as u32 as u64, -1i32 as u32 as u64),
            Ok(0)
        );
        assert_eq!(i64_div_u(7, 2), Ok(3));
    }

    #[test]
    fn truncation_bounds() {
        assert_eq!(
            i32_trunc_f32_s((-2147483648.0f32).to_bits() as u64),
            Ok(i32::MIN as u32 as u64)
        );
        assert_eq!(
            i32_trunc_f32_s(2147483648.0f32.to_bits() as u64),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(i32_trunc_f64_u((-0.9f64).to_bits()), Ok(0));
        assert_eq!(
            i64_trunc_f64_s(f64::NAN.to_bits()),
            Err(TrapCode::BadConversionToInteger)
        );
    }

    #[test]
    fn min_max_signed_zero() {
        let pz = 0.0f32.to_bits() as u64;
        let nz = (-0.0f32).to_bits() as u64;
        assert_eq!(f32_min(pz, nz), nz);
        assert_eq!(f32_max(pz, nz), pz);
    }

    #[test]
    fn min_max_propagate_a_nan_operand_quieted() {
        let one = 1.0f32.to_bits() as u64;
        let snan = 0x7f80_0001u64; // signalling, payload 1
        let qnan = 0xffc0_0002u64; // quiet, negative, payload 2
        assert_eq!(f32_min(snan, one), 0x7fc0_0001);
        assert_eq!(f32_max(one, snan), 0x7fc0_0001);
        // Two NaNs: the second, quieted.
        assert_eq!(f32_min(qnan, snan), 0x7fc0_0001);
        assert_eq!(f32_max(snan, qnan), qnan);
        let d_snan = 0x7ff0_0000_0000_0001u64;
        assert_eq!(f64_min(1.0f64.to_bits(), d_snan), 0x7ff8_0000_0000_0001);
        assert_eq!(f64_max(f64::NAN.to_bits(), d_snan), 0x7ff8_0000_0000_0001);
        assert_eq!(f64_max(d_snan, f64::NAN.to_bits()), f64::NAN.to_bits());
    }

    #[test]
    fn arithmetic_nans_follow_one_rule() {
        let (a, b) = (0x7fa0_0000u64, 0x7f90_0000u64); // two signalling NaNs
        for f in [f32_add, f32_sub, f32_mul, f32_div] {
            assert_eq!(f(a, b), 0x7fe0_0000, "the first, quieted");
            assert_eq!(f(1.0f32.to_bits() as u64, b), 0x7fd0_0000);
        }
        let inf = f64::INFINITY.to_bits();
        assert!(
            f64::from_bits(f64_sub(inf, inf)).is_nan(),
            "invalid operations still give a NaN"
        );
        let (c, d) = (0x7ff0_0000_0000_0001u64, 0xfff8_0000_0000_0002u64);
        assert_eq!(f64_mul(c, d), 0x7ff8_0000_0000_0001);
        assert_eq!(f64_add(d, c), d);
    }

    #[test]
    fn garbage_high_bits_are_ignored() {
        let a = 0xdead_beef_0000_0005u64;
        assert_eq!(i32_add(a, 1), 6);
        assert_eq!(i32_eqz(0xffff_ffff_0000_0000), 1);
    }
}
