//! The interpreter's SIMD handlers: one per operator, generated from
//! [`for_each_simd!`], plus the v128 memory, lane and global handlers (those
//! of a memory other than a 32-bit memory 0 in `indexed.rs`).
//!
//! A v128 lives in two adjacent slots, low half first (`ir/simd.rs`).
//! Handlers read every operand before writing the result, so a result may
//! overlap its operands. Semantics: `lanes.rs` (integer, bitwise, lanes) and
//! `float.rs` (float lanes, through the scalar NaN rule of `exec/num.rs`).

mod float;
mod indexed;
mod lanes;

#[cfg(test)]
mod tests;

use super::run::{dispatch, get, next, operands, set, trap, Handler, Op, Signal, State};
use crate::error::TrapCode;
use crate::ir::simd::{
    for_each_simd, SimdBin, SimdExtract, SimdLoad, SimdReplace, SimdShift, SimdSplat, SimdTern,
    SimdTest, SimdUn,
};
use crate::ir::{Instr, Slot};
use float::*;
use lanes::*;

/// The v128 in slots `s` and `s + 1`.
///
/// # Safety
/// Both slots are in the current frame (translator invariant).
#[inline(always)]
unsafe fn v(sp: *mut u64, s: Slot) -> u128 {
    // SAFETY: see the function's contract.
    unsafe { *sp.add(s as usize) as u128 | (*sp.add(s as usize + 1) as u128) << 64 }
}

/// Writes `x` to slots `s` and `s + 1`.
///
/// # Safety
/// As [`v`].
#[inline(always)]
unsafe fn put(sp: *mut u64, s: Slot, x: u128) {
    // SAFETY: see the function's contract.
    unsafe {
        *sp.add(s as usize) = x as u64;
        *sp.add(s as usize + 1) = (x >> 64) as u64;
    }
}

/// Effective address of an access of `$n` bytes, or a trap.
macro_rules! ea {
    ($st:ident, $len:ident, $a:expr, $off:expr, $n:expr) => {{
        let ea = ($a as u32 as u64) + ($off as u64);
        if ea + $n as u64 > $len as u64 {
            trap!($st, TrapCode::MemoryOutOfBounds)
        }
        ea as usize
    }};
}

macro_rules! gen_simd {
    (
        bin: [$(($b:ident, $bf:ident)),* $(,)?],
        shift: [$(($s:ident, $sf:ident)),* $(,)?],
        un: [$(($u:ident, $uf:ident)),* $(,)?],
        test: [$(($t:ident, $tf:ident)),* $(,)?],
        splat: [$(($p:ident, $pf:ident)),* $(,)?],
        tern: [$(($r:ident, $rf:ident)),* $(,)?],
        extract: [$(($x:ident, $xf:ident)),* $(,)?],
        replace: [$(($y:ident, $yf:ident)),* $(,)?],
        load: [$(($l:ident, $ln:literal, $lf:ident)),* $(,)?]
    ) => {
        /// One handler per operator, named after it.
        #[allow(non_snake_case)]
        mod h {
            use super::*;
            // SAFETY (all handlers): slot indices (both slots of a v128) are
            // below the frame size (translator invariant); memory accesses
            // are bounds-checked by `ea!`.
            $( pub(super) unsafe fn $b(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128Bin { dst, lhs, rhs, .. });
                put(sp, dst, $bf(v(sp, lhs), v(sp, rhs)));
                next!(ip, sp, mem, len, st)
            } )*
            $( pub(super) unsafe fn $s(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128Shift { dst, lhs, rhs, .. });
                put(sp, dst, $sf(v(sp, lhs), get!(sp, rhs) as u32));
                next!(ip, sp, mem, len, st)
            } )*
            $( pub(super) unsafe fn $u(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128Un { dst, src, .. });
                put(sp, dst, $uf(v(sp, src)));
                next!(ip, sp, mem, len, st)
            } )*
            $( pub(super) unsafe fn $t(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128Test { dst, src, .. });
                set!(sp, dst, $tf(v(sp, src)));
                next!(ip, sp, mem, len, st)
            } )*
            $( pub(super) unsafe fn $p(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128Splat { dst, src, .. });
                put(sp, dst, $pf(get!(sp, src)));
                next!(ip, sp, mem, len, st)
            } )*
            $( pub(super) unsafe fn $r(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128Tern { dst, a, b, c, .. });
                put(sp, dst, $rf(v(sp, a), v(sp, b), v(sp, c)));
                next!(ip, sp, mem, len, st)
            } )*
            $( pub(super) unsafe fn $x(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128Extract { lane, dst, src, .. });
                set!(sp, dst, $xf(v(sp, src), lane));
                next!(ip, sp, mem, len, st)
            } )*
            $( pub(super) unsafe fn $y(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128Replace { lane, dst, src, val, .. });
                put(sp, dst, $yf(v(sp, src), get!(sp, val), lane));
                next!(ip, sp, mem, len, st)
            } )*
            $( pub(super) unsafe fn $l(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128LoadExt { dst, addr, offset, .. });
                let ea = ea!(st, len, get!(sp, addr), offset, $ln);
                let mut bytes = [0u8; 8];
                std::ptr::copy_nonoverlapping(mem.add(ea), bytes.as_mut_ptr(), $ln);
                put(sp, dst, $lf(u64::from_le_bytes(bytes)));
                next!(ip, sp, mem, len, st)
            } )*
        }

        /// The handler of a SIMD instruction (`exec::op_of` hands every
        /// `V128*` instruction here).
        pub(crate) fn handler(i: &Instr) -> Handler {
            match *i {
                Instr::V128Bin { op, .. } => match op { $( SimdBin::$b => h::$b, )* },
                Instr::V128Shift { op, .. } => match op { $( SimdShift::$s => h::$s, )* },
                Instr::V128Un { op, .. } => match op { $( SimdUn::$u => h::$u, )* },
                Instr::V128Test { op, .. } => match op { $( SimdTest::$t => h::$t, )* },
                Instr::V128Splat { op, .. } => match op { $( SimdSplat::$p => h::$p, )* },
                Instr::V128Tern { op, .. } => match op { $( SimdTern::$r => h::$r, )* },
                Instr::V128Extract { op, .. } => match op { $( SimdExtract::$x => h::$x, )* },
                Instr::V128Replace { op, .. } => match op { $( SimdReplace::$y => h::$y, )* },
                Instr::V128LoadExt { op, .. } => match op { $( SimdLoad::$l => h::$l, )* },
                Instr::V128Load { .. } => load,
                Instr::V128Store { .. } => store,
                Instr::V128LoadLane { lane_op, .. } => match lane_op >> 4 {
                    0 => load_lane::<1>,
                    1 => load_lane::<2>,
                    2 => load_lane::<4>,
                    _ => load_lane::<8>,
                },
                Instr::V128StoreLane { lane_op, .. } => match lane_op >> 4 {
                    0 => store_lane::<1>,
                    1 => store_lane::<2>,
                    2 => store_lane::<4>,
                    _ => store_lane::<8>,
                },
                Instr::V128GlobalGet { .. } => global_get,
                Instr::V128GlobalSet { .. } => global_set,
                Instr::V128LoadX { .. } | Instr::V128LoadExtX { .. } | Instr::V128StoreX { .. }
                | Instr::V128LoadLaneX { .. } | Instr::V128StoreLaneX { .. } => indexed::handler(i),
                _ => unreachable!("not a SIMD instruction: {i:?}"),
            }
        }
    };
}
for_each_simd!(gen_simd);

// SAFETY (the handlers below): as for the generated ones.

unsafe fn load(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
    operands!(ip, V128Load { dst, addr, offset });
    let ea = ea!(st, len, get!(sp, addr), offset, 16);
    let mut bytes = [0u8; 16];
    std::ptr::copy_nonoverlapping(mem.add(ea), bytes.as_mut_ptr(), 16);
    put(sp, dst, u128::from_le_bytes(bytes));
    next!(ip, sp, mem, len, st)
}

unsafe fn store(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
    operands!(ip, V128Store { addr, src, offset });
    let ea = ea!(st, len, get!(sp, addr), offset, 16);
    let bytes = v(sp, src).to_le_bytes();
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), mem.add(ea), 16);
    next!(ip, sp, mem, len, st)
}

unsafe fn load_lane<const N: usize>(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> Signal {
    operands!(
        ip,
        V128LoadLane {
            lane_op,
            base,
            offset
        }
    );
    let ea = ea!(st, len, get!(sp, base), offset, N);
    let mut bytes = v(sp, base + 1).to_le_bytes();
    let at = (lane_op & 15) as usize * N;
    std::ptr::copy_nonoverlapping(mem.add(ea), bytes.as_mut_ptr().add(at), N);
    put(sp, base, u128::from_le_bytes(bytes));
    next!(ip, sp, mem, len, st)
}

unsafe fn store_lane<const N: usize>(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> Signal {
    operands!(
        ip,
        V128StoreLane {
            lane_op,
            addr,
            src,
            offset
        }
    );
    let ea = ea!(st, len, get!(sp, addr), offset, N);
    let bytes = v(sp, src).to_le_bytes();
    let at = (lane_op & 15) as usize * N;
    std::ptr::copy_nonoverlapping(bytes.as_ptr().add(at), mem.add(ea), N);
    next!(ip, sp, mem, len, st)
}

unsafe fn global_get(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> Signal {
    operands!(ip, V128GlobalGet { dst, index });
    // The high half follows the value in the `repr(C)` `GlobalEntity`.
    let p = st.global(index);
    put(sp, dst, *p as u128 | (*p.add(1) as u128) << 64);
    next!(ip, sp, mem, len, st)
}

unsafe fn global_set(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> Signal {
    operands!(ip, V128GlobalSet { src, index });
    let p = st.global(index);
    let x = v(sp, src);
    *p = x as u64;
    *p.add(1) = (x >> 64) as u64;
    next!(ip, sp, mem, len, st)
}
