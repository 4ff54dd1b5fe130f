//! Exception handling in the interpreter: the `throw` and `throw_ref`
//! handlers and the unwinder.
//!
//! A throw allocates the exception in the store's heap (`exception.rs`) and
//! leaves the handler chain with `Signal::Throw`; the trampoline (`run.rs`)
//! calls [`unwind`], which walks the interpreter frames of the current
//! execution from the innermost outwards. In each frame it looks up the
//! function's handler table (`CompiledFunc::handlers`, built by
//! `translate/exceptions.rs`: empty unless the function has a `try_table`)
//! for the ranges holding the frame's current instruction (the throw, or the
//! call a callee's exception came out of), innermost first, and their catch
//! clauses in order. The first clause that matches gets the payload (and
//! the `exnref`) in its label's slots and execution continues there. With
//! no match anywhere, the exception leaves the execution (`Exit::Exception`)
//! and `exec/mod.rs` either throws it on in the wasm that called the host
//! function this execution ran under, or hands it to the embedder as an
//! error.
//!
//! Nothing here runs unless an exception is thrown: calls, returns and the
//! handlers of code without exceptions are unchanged.

use super::run::{operands, trap, Op, Signal, State};
use crate::error::TrapCode;
use crate::ir::Instr;
use crate::store::FuncKind;

/// `throw`: a new exception of the instance's tag `tag`, payload at `base`.
pub(super) unsafe fn throw(
    ip: *const Op,
    sp: *mut u64,
    _: *mut u8,
    _: usize,
    st: &mut State,
) -> Signal {
    operands!(ip, Throw { tag, base });
    let inst = st.cur_inst as usize;
    let inner = st.inner();
    let t = inner.instances[inst].tags[tag as usize];
    let n = inner.exn.tags[t as usize].ty.param_slots();
    // SAFETY: the payload is `n` slots of the frame (translator invariant).
    let payload: Vec<u64> = (0..n)
        .map(|i| unsafe { *sp.add(base as usize + i) })
        .collect();
    st.exn = inner.exn.alloc(t, &payload);
    st.ip = ip;
    Signal::Throw
}

/// `throw_ref`: throws the exception `src` refers to again.
pub(super) unsafe fn throw_ref(
    ip: *const Op,
    sp: *mut u64,
    _: *mut u8,
    _: usize,
    st: &mut State,
) -> Signal {
    operands!(ip, ThrowRef { src });
    // SAFETY: `src` is a slot of the frame (translator invariant).
    let r = unsafe { *sp.add(src as usize) };
    if r == 0 {
        trap!(st, TrapCode::NullReference)
    }
    st.exn = (r - 1) as u32;
    st.ip = ip;
    Signal::Throw
}

/// Unwinds exception `st.exn` thrown at instruction `at` of the current
/// frame. Returns true if a handler caught it (`st` then describes the
/// handler's frame and instruction), false if it left the execution (its
/// frames are popped).
pub(super) fn unwind(st: &mut State, mut at: *const Op) -> bool {
    let exn = st.exn;
    loop {
        let inst = st.cur_inst as usize;
        let inner = st.inner();
        let frame = *inner
            .stack
            .frames
            .last()
            .expect("an executing function has a frame");
        let code = match inner.func(frame.func).kind {
            FuncKind::Wasm { instance, def } => {
                inner.instances[instance as usize].module.inner.compiled[def as usize]
                    .get()
                    .expect("an executing function is translated")
                    .clone()
            }
            FuncKind::Host(_) => unreachable!("an executing function is wasm"),
        };
        let base = st.base_index();
        let inner = st.inner();
        if !code.handlers.is_empty() {
            // SAFETY: `at` points into this function's instructions.
            let idx = unsafe { at.offset_from(code.instrs.as_ptr()) } as u32;
            let tag = inner.exn.heap[exn as usize].tag;
            let tags = &inner.instances[inst].tags;
            let hit = code
                .handlers
                .iter()
                .filter(|r| r.start <= idx && idx < r.end)
                .flat_map(|r| r.catches.iter())
                .find(|c| c.tag.is_none_or(|t| tags[t as usize] == tag))
                .copied();
            if let Some(c) = hit {
                let base = base + c.dst as usize;
                let e = &mut inner.exn.heap[exn as usize];
                // `catch_all` and `catch_all_ref` deliver no payload.
                let n = if c.tag.is_some() { e.payload.len() } else { 0 };
                inner.stack.slots[base..base + n].copy_from_slice(&e.payload[..n]);
                if c.with_ref {
                    e.exposed = true;
                    inner.stack.slots[base + n] = exn as u64 + 1;
                } else {
                    inner.exn.caught_without_ref(exn);
                }
                // SAFETY: the target is an instruction of this function.
                let ip = unsafe { code.instrs.as_ptr().add(c.target as usize) };
                st.resume_at(ip);
                return true;
            }
        }
        let inner = st.inner();
        let f = inner.stack.frames.pop().expect("checked above");
        if f.ret_ip.is_null() {
            return false;
        }
        // SAFETY: a frame's return address follows the call instruction in
        // the caller's code.
        at = unsafe { f.ret_ip.cast::<Op>().sub(1) };
        st.switch_frame(f.ret_base as usize, f.ret_instance);
    }
}
