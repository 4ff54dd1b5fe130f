//! Hand-written instruction handlers: control flow, calls, globals, and the
//! memory, table and reference instructions. (Numeric, load and store
//! handlers are generated in `run.rs` from the operator list.)
//!
//! SAFETY (for every handler here): handlers are only ever installed for
//! their own instruction (`op_of`), slot indices are below the frame size
//! (translator invariant), and `mem`/`len` describe the current instance's
//! memory, reloaded after anything that can move it.

use super::run::{
    dispatch, do_call, do_return, fast_call, get, guard, jump, next, operands, set, trap, Op,
    Signal, State,
};
use crate::error::TrapCode;
use crate::ir::Instr;
use std::sync::Arc;

type R = Signal;

/// Pops the current frame and continues in the caller (or returns to the host).
macro_rules! return_to_caller {
    ($st:ident) => {{
        if !do_return($st) {
            return Signal::Return;
        }
        let (ip, sp, mem, len) = $st.hot_after_switch();
        guard!(ip, sp, mem, len, $st);
        dispatch!(ip, sp, mem, len, $st)
    }};
}

/// Enters `callee` with its frame at `new_base`: the lean path when it
/// applies, otherwise `call_slow`.
macro_rules! enter_callee {
    ($ip:ident, $mem:ident, $len:ident, $st:ident, $callee:expr, $new_base:expr) => {{
        let (callee, new_base) = ($callee, $new_base);
        if let Some((ip, sp)) = fast_call($st, callee, new_base, $ip.add(1)) {
            guard!(ip, sp, $mem, $len, $st);
            dispatch!(ip, sp, $mem, $len, $st)
        }
        call_slow($ip, $mem, $len, $st, callee, new_base)
    }};
}
pub(super) use enter_callee;

pub(super) unsafe fn unreachable(
    _: *const Op,
    _: *mut u64,
    _: *mut u8,
    _: usize,
    st: &mut State,
) -> R {
    st.set_trap(TrapCode::Unreachable)
}

pub(super) unsafe fn br(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, Br { offset });
    jump!(ip, sp, mem, len, st, offset)
}

/// A branch handler taken when `$taken` holds for the i32/i64 in `cond`.
macro_rules! cond_branch {
    ($name:ident, $variant:ident, |$v:ident| $taken:expr) => {
        pub(super) unsafe fn $name(
            ip: *const Op,
            sp: *mut u64,
            mem: *mut u8,
            len: usize,
            st: &mut State,
        ) -> R {
            operands!(ip, $variant { cond, offset });
            let $v = get!(sp, cond);
            if $taken {
                jump!(ip, sp, mem, len, st, offset)
            }
            next!(ip, sp, mem, len, st)
        }
    };
}
cond_branch!(br_if_nez, BrIfNez, |v| v as u32 != 0);
cond_branch!(br_if_eqz, BrIfEqz, |v| v as u32 == 0);
cond_branch!(br_if_nez64, BrIfNez64, |v| v != 0);
cond_branch!(br_if_eqz64, BrIfEqz64, |v| v == 0);

pub(super) unsafe fn br_table(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, BrTable { index, len: n });
    let i = (get!(sp, index) as u32).min(n);
    // The jump list of `Br`s follows; each handles its own backward guard.
    dispatch!(ip.add(1 + i as usize), sp, mem, len, st)
}

pub(super) unsafe fn ret(_: *const Op, _: *mut u64, _: *mut u8, _: usize, st: &mut State) -> R {
    return_to_caller!(st)
}

pub(super) unsafe fn ret1(ip: *const Op, sp: *mut u64, _: *mut u8, _: usize, st: &mut State) -> R {
    operands!(ip, Return1 { src });
    set!(sp, 0, get!(sp, src));
    return_to_caller!(st)
}

pub(super) unsafe fn ret1_imm(
    ip: *const Op,
    sp: *mut u64,
    _: *mut u8,
    _: usize,
    st: &mut State,
) -> R {
    operands!(ip, Return1Imm { val });
    set!(sp, 0, val as u64);
    return_to_caller!(st)
}

pub(super) unsafe fn call(
    ip: *const Op,
    _: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, Call { func, base });
    let callee = st.func(func);
    let new_base = st.base_index() + base as usize;
    enter_callee!(ip, mem, len, st, callee, new_base)
}

pub(super) unsafe fn call_imm(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, CallImm { func, base, val });
    set!(sp, base, val as u64);
    let callee = st.func(func);
    let new_base = st.base_index() + base as usize;
    enter_callee!(ip, mem, len, st, callee, new_base)
}

/// Calls that leave the fast path: first call (translation), another
/// instance, a host function, stack growth, or a trap.
#[cold]
#[inline(never)]
pub(super) unsafe fn call_slow(
    ip: *const Op,
    mem: *mut u8,
    len: usize,
    st: &mut State,
    callee: u32,
    new_base: usize,
) -> R {
    st.keep_memory(mem, len);
    if let Err(s) = do_call(st, callee, new_base, ip.add(1)) {
        return s;
    }
    let (ip, sp, mem, len) = st.hot_after_switch();
    guard!(ip, sp, mem, len, st);
    dispatch!(ip, sp, mem, len, st)
}

pub(super) unsafe fn call_indirect(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        CallIndirect {
            ty,
            index,
            base,
            table
        }
    );
    let i = get!(sp, index) as u32 as usize;
    let t = st.instance().tables[table as usize];
    let inner = st.inner();
    let elems = &inner.tables[t as usize].elems;
    if i >= elems.len() {
        trap!(st, TrapCode::UndefinedElement)
    }
    let r = elems[i];
    if r == 0 {
        trap!(st, TrapCode::IndirectCallToNull)
    }
    let callee = (r - 1) as u32;
    let actual = st.callee_ty(callee);
    // A single compare for the exact type; declared subtypes on mismatch.
    if actual != ty && !st.inner().engine.is_subtype(actual, ty) {
        trap!(st, TrapCode::BadSignature)
    }
    let new_base = st.base_index() + base as usize;
    enter_callee!(ip, mem, len, st, callee, new_base)
}

pub(super) unsafe fn copy(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, Copy { dst, src });
    set!(sp, dst, get!(sp, src));
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn copy2(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        Copy2 {
            dst0,
            src0,
            dst1,
            src1
        }
    );
    set!(sp, dst0, get!(sp, src0));
    set!(sp, dst1, get!(sp, src1));
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn const32(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, Const32 { dst, val });
    set!(sp, dst, val as u64);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn const64(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, Const64 { dst, lo, hi });
    set!(sp, dst, lo as u64 | (hi as u64) << 32);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn select(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, Select { dst, cond, a, b });
    set!(
        sp,
        dst,
        if get!(sp, cond) as u32 != 0 {
            get!(sp, a)
        } else {
            get!(sp, b)
        }
    );
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn global_get(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, GlobalGet { dst, index });
    set!(sp, dst, *st.global(index));
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn global_set(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, GlobalSet { src, index });
    *st.global(index) = get!(sp, src);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_size(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, MemorySize { dst });
    set!(sp, dst, (len / 65536) as u64);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_grow(
    ip: *const Op,
    sp: *mut u64,
    _: *mut u8,
    _: usize,
    st: &mut State,
) -> R {
    operands!(ip, MemoryGrow { dst, delta });
    let m = st.instance().memories[0];
    let r = st.inner().memories[m as usize].grow(get!(sp, delta) as u32);
    set!(sp, dst, r.map_or(u32::MAX, |old| old) as u64);
    let (mem, len) = st.memory_after_grow();
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_fill(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, MemoryFill { dst, val, len: n });
    let (d, n) = (get!(sp, dst) as u32 as usize, get!(sp, n) as u32 as usize);
    if d + n > len {
        trap!(st, TrapCode::MemoryOutOfBounds)
    }
    std::ptr::write_bytes(mem.add(d), get!(sp, val) as u8, n);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_copy(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, MemoryCopy { dst, src, len: n });
    let (d, s, n) = (
        get!(sp, dst) as u32 as usize,
        get!(sp, src) as u32 as usize,
        get!(sp, n) as u32 as usize,
    );
    if d + n > len || s + n > len {
        trap!(st, TrapCode::MemoryOutOfBounds)
    }
    std::ptr::copy(mem.add(s), mem.add(d), n);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn memory_init(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        MemoryInit {
            dst,
            src,
            len: n,
            seg
        }
    );
    let (d, s, n) = (
        get!(sp, dst) as u32 as usize,
        get!(sp, src) as u32 as usize,
        get!(sp, n) as u32 as usize,
    );
    let inst = st.instance();
    let data: &[u8] = if inst.dropped_data[seg as usize] {
        &[]
    } else {
        let r = inst.module.inner.info.datas[seg as usize].bytes.clone();
        &inst.module.inner.bytes[r]
    };
    if d + n > len || s + n > data.len() {
        trap!(st, TrapCode::MemoryOutOfBounds)
    }
    std::ptr::copy_nonoverlapping(data.as_ptr().add(s), mem.add(d), n);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn data_drop(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, DataDrop { seg });
    std::sync::Arc::make_mut(&mut st.instance().dropped_data)[seg as usize] = true;
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn table_get(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, TableGet { dst, index, table });
    let t = st.instance().tables[table as usize];
    match st.inner().tables[t as usize]
        .elems
        .get(get!(sp, index) as u32 as usize)
    {
        Some(v) => set!(sp, dst, *v),
        None => trap!(st, TrapCode::TableOutOfBounds),
    }
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn table_set(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, TableSet { index, val, table });
    let t = st.instance().tables[table as usize];
    let v = get!(sp, val);
    match st.inner().tables[t as usize]
        .elems
        .get_mut(get!(sp, index) as u32 as usize)
    {
        Some(slot) => *slot = v,
        None => trap!(st, TrapCode::TableOutOfBounds),
    }
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn table_size(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, TableSize { dst, table });
    let t = st.instance().tables[table as usize];
    set!(sp, dst, st.inner().tables[t as usize].elems.len() as u64);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn table_grow(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        TableGrow {
            dst,
            init,
            delta,
            table
        }
    );
    let t = st.instance().tables[table as usize];
    let r = st.inner().tables[t as usize].grow(get!(sp, delta) as u32, get!(sp, init));
    set!(sp, dst, r.map_or(u32::MAX, |old| old) as u64);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn table_fill(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        TableFill {
            dst,
            val,
            len: n,
            table
        }
    );
    let t = st.instance().tables[table as usize];
    let (d, v, n) = (
        get!(sp, dst) as u32 as usize,
        get!(sp, val),
        get!(sp, n) as u32 as usize,
    );
    let elems = &mut st.inner().tables[t as usize].elems;
    if d + n > elems.len() {
        trap!(st, TrapCode::TableOutOfBounds)
    }
    elems[d..d + n].fill(v);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn table_copy(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        TableCopy {
            dst,
            src,
            len: n,
            dst_table,
            src_table
        }
    );
    let inst = st.instance();
    let (dt, stb) = (
        inst.tables[dst_table as usize] as usize,
        inst.tables[src_table as usize] as usize,
    );
    let (d, s, n) = (
        get!(sp, dst) as u32 as usize,
        get!(sp, src) as u32 as usize,
        get!(sp, n) as u32 as usize,
    );
    let tables = &mut st.inner().tables;
    if d + n > tables[dt].elems.len() || s + n > tables[stb].elems.len() {
        trap!(st, TrapCode::TableOutOfBounds)
    }
    if dt == stb {
        tables[dt].elems.copy_within(s..s + n, d);
    } else {
        let tmp: Vec<u64> = tables[stb].elems[s..s + n].to_vec();
        tables[dt].elems[d..d + n].copy_from_slice(&tmp);
    }
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn table_init(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        TableInit {
            dst,
            src,
            len: n,
            table,
            seg
        }
    );
    let inst = st.instance();
    let t = inst.tables[table as usize] as usize;
    let items = inst.elems[seg as usize].clone();
    let (d, s, n) = (
        get!(sp, dst) as u32 as usize,
        get!(sp, src) as u32 as usize,
        get!(sp, n) as u32 as usize,
    );
    let elems = &mut st.inner().tables[t].elems;
    if s + n > items.len() || d + n > elems.len() {
        trap!(st, TrapCode::TableOutOfBounds)
    }
    elems[d..d + n].copy_from_slice(&items[s..s + n]);
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn elem_drop(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, ElemDrop { seg });
    st.instance().elems[seg as usize] = Arc::from(Vec::new());
    next!(ip, sp, mem, len, st)
}

pub(super) unsafe fn ref_func(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, RefFunc { dst, func });
    set!(sp, dst, st.func(func) as u64 + 1);
    next!(ip, sp, mem, len, st)
}

/// Charges a fuel region's cost before it runs (`translate/fuel.rs`); when
/// fewer units are left, traps without consuming them.
pub(super) unsafe fn fuel(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, Fuel { amount });
    let amount = u64::from(amount);
    if st.fuel < amount {
        trap!(st, TrapCode::OutOfFuel)
    }
    st.fuel -= amount;
    next!(ip, sp, mem, len, st)
}
