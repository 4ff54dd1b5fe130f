//! Handlers of WebAssembly 3.0's call instructions: tail calls
//! (`return_call`, `return_call_indirect`, `return_call_ref`), `call_ref`
//! and `ref.as_non_null`.
//!
//! A tail call replaces the current frame in place (`calls::do_tail_call`):
//! the arguments move to the frame base, the frame record keeps the
//! caller's return point, and the callee's code runs at once, so the value
//! stack and the frame list stay the same size however long the chain. A
//! callee that is a host function or has native code is instead called
//! normally by the instructions that follow (the translator emits a plain
//! call and return after each tail call).
//!
//! SAFETY (for every handler here): as in `handlers.rs`.

use super::handlers::{call_slow, enter_callee};
use super::run::{
    dispatch, do_tail_call, fast_call, get, guard, next, operands, trap, Op, Signal, State,
};
use crate::error::TrapCode;
use crate::ir::{Instr, Slot};

type R = Signal;

/// Tail-calls `callee` with its arguments at slot `args`, or falls through
/// to the ordinary call that follows.
#[inline(always)]
unsafe fn tail(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
    callee: u32,
    args: Slot,
) -> R {
    st.keep_memory(mem, len);
    match do_tail_call(st, callee, args as usize) {
        Ok(true) => {
            let (ip, sp, mem, len) = st.hot_after_switch();
            guard!(ip, sp, mem, len, st);
            dispatch!(ip, sp, mem, len, st)
        }
        Ok(false) => next!(ip, sp, mem, len, st),
        Err(s) => s,
    }
}

pub(super) unsafe fn return_call(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, ReturnCall { func, base });
    let callee = st.func(func);
    tail(ip, sp, mem, len, st, callee, base)
}

/// The callee of an indirect call through `table` at the index in `index`,
/// checked against engine type `ty` (or the trap).
#[inline(always)]
unsafe fn indirect_callee(
    sp: *mut u64,
    st: &mut State,
    ty: u32,
    index: Slot,
    table: u16,
) -> Result<u32, TrapCode> {
    let i = get!(sp, index) as u32 as usize;
    let t = st.instance().tables[table as usize];
    let inner = st.inner();
    let elems = &inner.tables[t as usize].elems;
    if i >= elems.len() {
        return Err(TrapCode::UndefinedElement);
    }
    let r = elems[i];
    if r == 0 {
        return Err(TrapCode::IndirectCallToNull);
    }
    let callee = (r - 1) as u32;
    let actual = st.callee_ty(callee);
    if actual != ty && !st.inner().engine.is_subtype(actual, ty) {
        return Err(TrapCode::BadSignature);
    }
    Ok(callee)
}

pub(super) unsafe fn return_call_indirect(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(
        ip,
        ReturnCallIndirect {
            ty,
            index,
            base,
            table
        }
    );
    match indirect_callee(sp, st, ty, index, table) {
        Ok(callee) => tail(ip, sp, mem, len, st, callee, base),
        Err(c) => trap!(st, c),
    }
}

pub(super) unsafe fn call_ref(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, CallRef { func, base });
    let r = get!(sp, func);
    if r == 0 {
        trap!(st, TrapCode::NullFunctionReference)
    }
    let new_base = st.base_index() + base as usize;
    enter_callee!(ip, mem, len, st, (r - 1) as u32, new_base)
}

pub(super) unsafe fn return_call_ref(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, ReturnCallRef { func, base });
    let r = get!(sp, func);
    if r == 0 {
        trap!(st, TrapCode::NullFunctionReference)
    }
    tail(ip, sp, mem, len, st, (r - 1) as u32, base)
}

pub(super) unsafe fn ref_as_non_null(
    ip: *const Op,
    sp: *mut u64,
    mem: *mut u8,
    len: usize,
    st: &mut State,
) -> R {
    operands!(ip, RefAsNonNull { src });
    if get!(sp, src) == 0 {
        trap!(st, TrapCode::NullReference)
    }
    next!(ip, sp, mem, len, st)
}
