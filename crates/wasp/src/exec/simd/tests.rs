//! Unit tests of the SIMD lane semantics: edge cases the spec scripts
//! reach only through constants, and wasp's relaxed-SIMD choices.

use super::float::*;
use super::lanes::*;

/// A vector from its 16 bytes, lane 0 first.
fn bytes(b: [u8; 16]) -> u128 {
    u128::from_le_bytes(b)
}

fn i32x4(l: [i32; 4]) -> u128 {
    build::<u32>(|i| l[i] as u32)
}

fn f32x4(l: [f32; 4]) -> u128 {
    build::<u32>(|i| l[i].to_bits())
}

#[test]
fn lanes_are_little_endian() {
    let v = bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    assert_eq!(i8x16_extract_lane_u(v, 0), 1);
    assert_eq!(i16x8_extract_lane_u(v, 1), 0x0403);
    assert_eq!(i32x4_extract_lane(v, 3), 0x100f0e0d);
    assert_eq!(i64x2_extract_lane(v, 1), 0x100f0e0d0c0b0a09);
    assert_eq!(i8x16_extract_lane_s(i8x16_splat(0x80), 5), 0xffff_ff80);
    assert_eq!(i32x4_replace_lane(0, 7, 2), 7u128 << 64);
}

#[test]
fn shuffle_swizzle_and_shifts() {
    let a = bytes(core::array::from_fn(|i| i as u8));
    let b = bytes(core::array::from_fn(|i| 16 + i as u8));
    let rev = bytes(core::array::from_fn(|i| 31 - i as u8));
    assert_eq!(
        i8x16_shuffle(a, b, rev),
        bytes(core::array::from_fn(|i| 31 - i as u8))
    );
    // Swizzle indices >= 16 give 0 (relaxed_swizzle too: wasp's choice).
    let idx = bytes([0, 15, 16, 255, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(i8x16_extract_lane_u(i8x16_swizzle(a, idx), 1), 15);
    assert_eq!(i8x16_extract_lane_u(i8x16_swizzle(a, idx), 2), 0);
    assert_eq!(i8x16_extract_lane_u(i8x16_swizzle(a, idx), 3), 0);
    // Shift counts are taken modulo the lane width.
    assert_eq!(i8x16_shl(i8x16_splat(1), 9), i8x16_splat(2));
    assert_eq!(i32x4_shr_s(i32x4([-8, 8, 0, 1]), 33), i32x4([-4, 4, 0, 0]));
}

#[test]
fn saturation_narrowing_and_masks() {
    assert_eq!(
        i8x16_add_sat_s(i8x16_splat(100), i8x16_splat(100)),
        i8x16_splat(127)
    );
    assert_eq!(i8x16_sub_sat_u(i8x16_splat(1), i8x16_splat(2)), 0);
    assert_eq!(
        i16x8_q15mulr_sat_s(i16x8_splat(0x8000), i16x8_splat(0x8000)),
        i16x8_splat(0x7fff)
    );
    let n = i8x16_narrow_i16x8_u(i16x8_splat(0xffff), i16x8_splat(300));
    assert_eq!(
        n,
        bytes([0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255])
    );
    assert_eq!(i8x16_bitmask(i8x16_splat(0x80)), 0xffff);
    assert_eq!(i32x4_bitmask(i32x4([-1, 0, -1, 0])), 0b0101);
    assert_eq!(i64x2_all_true(1), 0);
    assert_eq!(v128_any_true(1 << 127), 1);
}

#[test]
fn float_lanes_follow_the_scalar_nan_rule() {
    // add with a NaN operand: the first NaN operand, quieted (as f32.add).
    let snan = f32::from_bits(0x7f80_0001);
    let r = f32x4_add(f32x4([snan, 1.0, 1.0, 1.0]), f32x4([2.0; 4]));
    assert_eq!(r as u32, 0x7fc0_0001);
    // min of -0 and +0 is -0; pmin returns the first operand on equality.
    let m = f32x4_min(f32x4([0.0; 4]), f32x4([-0.0; 4]));
    assert_eq!(m as u32, 0x8000_0000);
    let p = f32x4_pmin(f32x4([0.0; 4]), f32x4([-0.0; 4]));
    assert_eq!(p as u32, 0);
    assert_eq!(
        i32x4_trunc_sat_f32x4_s(f32x4([f32::NAN, 3e9, -3e9, -1.5])),
        i32x4([0, i32::MAX, i32::MIN, -1])
    );
}

#[test]
fn relaxed_choices() {
    // madd is fused: one rounding (0.1 * 10 - 1 is not 0 when fused).
    let a = f32x4([0.1; 4]);
    let r = f32x4_relaxed_madd(a, f32x4([10.0; 4]), f32x4([-1.0; 4]));
    assert_eq!(f32::from_bits(r as u32), 0.1f32.mul_add(10.0, -1.0));
    assert_ne!(f32::from_bits(r as u32), 0.1f32 * 10.0 - 1.0);
    let r = f32x4_relaxed_nmadd(f32x4([2.0; 4]), f32x4([3.0; 4]), f32x4([1.0; 4]));
    assert_eq!(r, f32x4([-5.0; 4]));
    // An invalid fused operation on non-NaNs gives the canonical NaN.
    let r = f64x2_relaxed_madd(0, build::<u64>(|_| f64::INFINITY.to_bits()), 0);
    assert_eq!(r as u64, 0x7ff8_0000_0000_0000);
    // dot: both operands signed; pairs wrap to 16 bits.
    let d = i16x8_relaxed_dot_i8x16_i7x16_s(i8x16_splat(0x80), i8x16_splat(0x80));
    assert_eq!(d, i16x8_splat(0x8000));
    let d = i32x4_relaxed_dot_i8x16_i7x16_add_s(i8x16_splat(2), i8x16_splat(3), i32x4([1; 4]));
    assert_eq!(d, i32x4([25; 4]));
}
