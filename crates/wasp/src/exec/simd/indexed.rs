//! The SIMD memory handlers of a memory by index (`V128LoadX` …
//! `V128StoreLaneX`): any memory but a 32-bit memory 0, whose SIMD
//! instructions address it through the hot state (`mod.rs`) and are not
//! slowed down by these.
//!
//! As the scalar `M`/`W` loads and stores (`exec/run.rs`), each access looks
//! the memory's base and length up. Every handler is generic over the
//! memory's index type (`W`: memory64, the address is the whole slot; else
//! its low 32 bits), chosen when the instruction is paired with its handler,
//! so none tests it at run time. The whole access is bounds-checked before a
//! byte moves: a store that traps writes nothing.

use super::*;

/// The first byte of an access of `n` bytes at `a + offset` in a memory of
/// `size` bytes, or `None` if any of it is out of bounds (including an
/// address whose sum with the offset overflows 64 bits).
#[inline(always)]
fn ea<const W: bool>(a: u64, offset: u32, n: u64, size: usize) -> Option<usize> {
    let a = if W { a } else { a as u32 as u64 };
    let end = a.checked_add(u64::from(offset) + n)?;
    (end <= size as u64).then_some((end - n) as usize)
}

/// Pointer to the `$n` bytes at the address in slot `$a` plus `$off` of
/// memory `$m`, or a trap.
macro_rules! at {
    ($st:ident, $sp:ident, $m:expr, $a:expr, $off:expr, $n:expr) => {{
        let (base, size) = $st.memory_view($m);
        match ea::<W>(get!($sp, $a), $off, $n as u64, size) {
            Some(e) => base.add(e),
            None => trap!($st, TrapCode::MemoryOutOfBounds),
        }
    }};
}

macro_rules! gen_indexed {
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
        /// The widening, splatting and zero-filling loads, one per operator.
        #[allow(non_snake_case)]
        mod hx {
            use super::*;
            // SAFETY (all): slot indices are below the frame size
            // (translator invariant), the memory index was validated, and
            // `at!` bounds-checks the access.
            $( pub(super) unsafe fn $l<const W: bool>(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                operands!(ip, V128LoadExtX { dst, addr, offset, mem: m, .. });
                let p = at!(st, sp, m, addr, offset, $ln);
                let mut bytes = [0u8; 8];
                std::ptr::copy_nonoverlapping(p, bytes.as_mut_ptr(), $ln);
                put(sp, dst, $lf(u64::from_le_bytes(bytes)));
                next!(ip, sp, mem, len, st)
            } )*
        }

        /// The handler of a `V128…X` instruction.
        pub(super) fn handler(i: &Instr) -> Handler {
            match *i {
                Instr::V128LoadX { wide, .. } => if wide { load::<true> } else { load::<false> },
                Instr::V128StoreX { wide, .. } => if wide { store::<true> } else { store::<false> },
                Instr::V128LoadExtX { op, wide, .. } => match op {
                    $( SimdLoad::$l => if wide { hx::$l::<true> } else { hx::$l::<false> }, )*
                },
                Instr::V128LoadLaneX { lane_op, wide, .. } => match lane_op >> 4 {
                    0 => if wide { load_lane::<1, true> } else { load_lane::<1, false> },
                    1 => if wide { load_lane::<2, true> } else { load_lane::<2, false> },
                    2 => if wide { load_lane::<4, true> } else { load_lane::<4, false> },
                    _ => if wide { load_lane::<8, true> } else { load_lane::<8, false> },
                },
                Instr::V128StoreLaneX { lane_op, wide, .. } => match lane_op >> 4 {
                    0 => if wide { store_lane::<1, true> } else { store_lane::<1, false> },
                    1 => if wide { store_lane::<2, true> } else { store_lane::<2, false> },
                    2 => if wide { store_lane::<4, true> } else { store_lane::<4, false> },
                    _ => if wide { store_lane::<8, true> } else { store_lane::<8, false> },
                },
                _ => unreachable!("not an indexed SIMD memory instruction: {i:?}"),
            }
        }
    };
}
for_each_simd!(gen_indexed);

// SAFETY (the handlers below): as for the generated ones.

unsafe fn load<const W: bool>(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> Signal {
    operands!(
        ip,
        V128LoadX {
            dst,
            addr,
            offset,
            mem: m,
            ..
        }
    );
    let p = at!(st, sp, m, addr, offset, 16);
    put(
        sp,
        dst,
        u128::from_le_bytes(std::ptr::read_unaligned(p as *const [u8; 16])),
    );
    next!(ip, sp, mem, len, st)
}

unsafe fn store<const W: bool>(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> Signal {
    operands!(
        ip,
        V128StoreX {
            addr,
            src,
            offset,
            mem: m,
            ..
        }
    );
    let p = at!(st, sp, m, addr, offset, 16);
    let bytes = v(sp, src).to_le_bytes();
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, 16);
    next!(ip, sp, mem, len, st)
}

unsafe fn load_lane<const N: usize, const W: bool>(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> Signal {
    operands!(
        ip,
        V128LoadLaneX {
            lane_op,
            base,
            offset,
            mem: m,
            ..
        }
    );
    let p = at!(st, sp, m, base, offset, N);
    let mut bytes = v(sp, base + 1).to_le_bytes();
    let lane = (lane_op & 15) as usize * N;
    std::ptr::copy_nonoverlapping(p, bytes.as_mut_ptr().add(lane), N);
    put(sp, base, u128::from_le_bytes(bytes));
    next!(ip, sp, mem, len, st)
}

unsafe fn store_lane<const N: usize, const W: bool>(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> Signal {
    operands!(
        ip,
        V128StoreLaneX {
            lane_op,
            addr,
            src,
            offset,
            mem: m,
            ..
        }
    );
    let p = at!(st, sp, m, addr, offset, N);
    let bytes = v(sp, src).to_le_bytes();
    let lane = (lane_op & 15) as usize * N;
    std::ptr::copy_nonoverlapping(bytes.as_ptr().add(lane), p, N);
    next!(ip, sp, mem, len, st)
}

#[cfg(test)]
mod tests {
    use super::ea;

    #[test]
    fn effective_addresses_check_the_whole_access() {
        // 32-bit: the high half of the slot is ignored.
        assert_eq!(ea::<false>(0xffff_ffff_0000_0010, 0, 16, 64), Some(16));
        assert_eq!(ea::<false>(48, 0, 16, 64), Some(48));
        assert_eq!(ea::<false>(49, 0, 16, 64), None);
        assert_eq!(ea::<false>(0xffff_fff0, 0xffff_ffff, 16, 64), None);
        // memory64: the whole slot, and no wrap-around near 2^64.
        assert_eq!(ea::<true>(0xffff_ffff_0000_0010, 0, 16, 64), None);
        assert_eq!(ea::<true>(u64::MAX - 15, 0, 16, 64), None);
        assert_eq!(ea::<true>(u64::MAX, 1, 1, 64), None);
        assert_eq!(ea::<true>(40, 8, 16, 64), Some(48));
        assert_eq!(ea::<true>(40, 9, 16, 64), None);
    }
}
