//! Handlers of the memory instructions that name a memory by index or use a
//! memory64 or custom-page-size memory (`MemorySizeX` … `MemoryInitX`,
//! `MemoryTrap`), and of the wide-arithmetic operators. The common case — a
//! 32-bit memory 0 of 64 KiB pages — keeps its own handlers in
//! `handlers.rs`, which these do not slow down.
//!
//! A 32-bit memory's addresses and lengths are the low halves of their
//! slots; a memory64 memory's use the whole slot. Which one a memory is comes
//! from its type, checked here per instruction (validation guarantees the
//! operand types match it).
//!
//! SAFETY (for every handler here): as in `handlers.rs`; in addition the
//! memory indices were validated against the module, so the current
//! instance has those memories.

use super::run::{dispatch, get, next, operands, set, trap, Op, Signal, State};
use crate::error::TrapCode;
use crate::ir::Instr;

type R = Signal;

/// A slot read as an address or length of a memory: i64 for memory64.
fn operand(v: u64, memory64: bool) -> u64 {
    if memory64 {
        v
    } else {
        v as u32 as u64
    }
}

/// `start..start + n` within `len` bytes, as usize bounds.
fn range(start: u64, n: u64, len: usize) -> Option<(usize, usize)> {
    let end = start.checked_add(n)?;
    (end <= len as u64).then_some((start as usize, n as usize))
}

pub(super) unsafe fn memory_size_x(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, MemorySizeX { dst, mem: m });
    set!(sp, dst, st.memory(m).pages64());
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_grow_x(
    ip: *const Op,
    sp: *mut u64,
    _: *mut u8,
    _: usize,
    st: &mut State,
) -> R {
    operands!(ip, MemoryGrowX { dst, delta, mem: m });
    let e = st.memory(m);
    let delta = operand(get!(sp, delta), e.ty.memory64);
    // -1 in every bit: the i32 result reads the low half.
    let r = e.grow64(delta).unwrap_or(u64::MAX);
    set!(sp, dst, r);
    let (mem, len) = st.memory_after_grow();
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_fill_x(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        MemoryFillX {
            dst,
            val,
            len: n,
            mem: m
        }
    );
    let (w, base, size) = {
        let e = st.memory(m as u32);
        (e.ty.memory64, e.data.as_mut_ptr(), e.data.len())
    };
    let (d, n) = (operand(get!(sp, dst), w), operand(get!(sp, n), w));
    let Some((d, n)) = range(d, n, size) else {
        trap!(st, TrapCode::MemoryOutOfBounds)
    };
    std::ptr::write_bytes(base.add(d), get!(sp, val) as u8, n);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_copy_x(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        MemoryCopyX {
            dst,
            src,
            len: n,
            dst_mem,
            src_mem
        }
    );
    let (dw, dbase, dlen) = {
        let e = st.memory(dst_mem as u32);
        (e.ty.memory64, e.data.as_mut_ptr(), e.data.len())
    };
    let (sw, sbase, slen) = {
        let e = st.memory(src_mem as u32);
        (e.ty.memory64, e.data.as_mut_ptr(), e.data.len())
    };
    // The length has the narrower of the two index types.
    let n = operand(get!(sp, n), dw && sw);
    let d = range(operand(get!(sp, dst), dw), n, dlen);
    let s = range(operand(get!(sp, src), sw), n, slen);
    let (Some((d, n)), Some((s, _))) = (d, s) else {
        trap!(st, TrapCode::MemoryOutOfBounds)
    };
    // `copy` (memmove): the memories may be the same.
    std::ptr::copy(sbase.add(s), dbase.add(d), n);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_init_x(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        MemoryInitX {
            dst,
            src,
            len: n,
            seg_mem
        }
    );
    let (seg, m) = (seg_mem & 0xff_ffff, seg_mem >> 24);
    let (w, base, size) = {
        let e = st.memory(m);
        (e.ty.memory64, e.data.as_mut_ptr(), e.data.len())
    };
    let (s, n) = (get!(sp, src) as u32 as u64, get!(sp, n) as u32 as u64);
    let inst = st.instance();
    let data: &[u8] = if inst.dropped_data[seg as usize] {
        &[]
    } else {
        let r = inst.module.inner.info.datas[seg as usize].bytes.clone();
        &inst.module.inner.bytes[r]
    };
    let d = range(operand(get!(sp, dst), w), n, size);
    let (Some((d, n)), Some((s, _))) = (d, range(s, n, data.len())) else {
        trap!(st, TrapCode::MemoryOutOfBounds)
    };
    std::ptr::copy_nonoverlapping(data.as_ptr().add(s), base.add(d), n);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_trap(
    _: *const Op,
    _: *mut u64,
    _: *mut u8,
    _: usize,
    st: &mut State,
) -> R {
    trap!(st, TrapCode::MemoryOutOfBounds)
}

/// Writes the 128-bit `v` as two i64 results at `dst` (low) and `dst + 1`.
macro_rules! set128 {
    ($sp:ident, $dst:ident, $v:expr) => {{
        let v: u128 = $v;
        set!($sp, $dst, v as u64);
        set!($sp, $dst + 1, (v >> 64) as u64);
    }};
}

/// Two i64 slots as one 128-bit value (low first).
macro_rules! get128 {
    ($sp:ident, $lo:ident, $hi:ident) => {
        (get!($sp, $lo) as u128) | ((get!($sp, $hi) as u128) << 64)
    };
}

pub(super) unsafe fn i64_add128(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        I64Add128 {
            dst,
            a_lo,
            a_hi,
            b_lo,
            b_hi
        }
    );
    let (a, b) = (get128!(sp, a_lo, a_hi), get128!(sp, b_lo, b_hi));
    set128!(sp, dst, a.wrapping_add(b));
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn i64_sub128(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        I64Sub128 {
            dst,
            a_lo,
            a_hi,
            b_lo,
            b_hi
        }
    );
    let (a, b) = (get128!(sp, a_lo, a_hi), get128!(sp, b_lo, b_hi));
    set128!(sp, dst, a.wrapping_sub(b));
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn i64_mul_wide_s(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, I64MulWideS { dst, lhs, rhs });
    let p = (get!(sp, lhs) as i64 as i128) * (get!(sp, rhs) as i64 as i128);
    set128!(sp, dst, p as u128);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn i64_mul_wide_u(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, I64MulWideU { dst, lhs, rhs });
    let p = (get!(sp, lhs) as u128) * (get!(sp, rhs) as u128);
    set128!(sp, dst, p);
    next!(ip, sp, mem, len, st)
}
