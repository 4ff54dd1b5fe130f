//! The interpreter's call path: entering a callee (`do_call`, the lean
//! `fast_call` the call handlers try first), tail calls replacing the frame
//! (`do_tail_call`) and returns (`do_return`). The handlers that use them
//! are in `handlers.rs` and `tail.rs`; the hot state they update is
//! `run.rs`'s `State`.

use super::run::{code_of, HostCall, NativeCall, Op, Signal, State};
use super::tiering::Verdict;
use super::Frame;
use crate::error::TrapCode;
use crate::ir::CompiledFunc;
use crate::store::FuncKind;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Enters store function `callee` with its frame at `new_base`; `ret` is the
/// instruction to resume in the caller. Updates `st`'s hot state.
#[inline(always)]
pub(super) fn do_call(
    st: &mut State,
    callee: u32,
    new_base: usize,
    ret: *const Op,
) -> Result<(), Signal> {
    // SAFETY: `inner` is the store borrowed mutably by `run`.
    let inner = unsafe { &mut *st.inner };
    let ent = inner.func(callee);
    if let FuncKind::Wasm { instance, def, .. } = ent.kind {
        let module = &inner.instances[instance as usize].module.inner;
        if module.tier.on_call(module, def) == Verdict::Native {
            st.native = Some(NativeCall {
                func: module.info.num_imported_funcs + def,
                instance,
                base: new_base,
                params: ent.params as usize,
                results: ent.results as usize,
            });
            st.ip = ret;
            return Err(Signal::Native);
        }
    }
    let (code, instance): (*const CompiledFunc, u32) = match &ent.kind {
        FuncKind::Wasm { instance, def } => {
            let module = &inner.instances[*instance as usize].module.inner;
            match module.compiled[*def as usize].get() {
                Some(code) => (Arc::as_ptr(code), *instance),
                None => match code_of(inner, callee) {
                    Ok((code, instance)) => (Arc::as_ptr(&code), instance),
                    Err(e) => {
                        st.error = Some(e);
                        return Err(Signal::Error);
                    }
                },
            }
        }
        FuncKind::Host(h) => {
            st.host = Some(HostCall {
                host: *h,
                base: new_base,
                params: ent.params as usize,
                results: ent.results as usize,
            });
            st.ip = ret;
            return Err(Signal::Host);
        }
    };
    // SAFETY: the code is owned by the instance's module (an `Arc` in its
    // `compiled` cells, set once and never replaced), which the store keeps.
    let code = unsafe { &*code };
    let end = new_base + code.frame_size as usize;
    if end > inner.stack.slots.len() {
        if let Err(c) = inner.stack.grow(end) {
            st.trap = c;
            return Err(Signal::Trap);
        }
    }
    if inner.stack.frames.len() >= inner.stack.max_frames {
        st.trap = TrapCode::StackExhausted;
        return Err(Signal::Trap);
    }
    inner.stack.frames.push(Frame {
        ret_ip: ret.cast(),
        ret_base: st.base as u32,
        ret_instance: st.cur_inst,
        func: callee,
    });
    let slots = inner.stack.slots.as_mut_ptr();
    // SAFETY: `new_base + frame_size <= slots.len()` was ensured above, and
    // params + locals <= frame_size.
    unsafe {
        zero_locals(
            slots.add(new_base + code.params as usize),
            code.locals as usize,
        );
        st.sp = slots.add(new_base);
    }
    st.base = new_base;
    st.ip = code.instrs.as_ptr();
    if instance != st.cur_inst {
        st.load_instance(instance);
    }
    Ok(())
}

/// `return_call*` to store function `callee` whose arguments are at slot
/// `args` of the current frame: the callee's frame replaces the current one
/// at the same base (the frame record keeps the caller's return point), so
/// a tail-recursive loop runs in constant stack. Returns `Ok(false)` when
/// the callee is a host function or has native code: the caller then makes
/// an ordinary call and returns (bounded: such a callee cannot tail-call
/// back into this frame).
#[inline(never)]
pub(super) fn do_tail_call(st: &mut State, callee: u32, args: usize) -> Result<bool, Signal> {
    // SAFETY: `inner` is the store borrowed mutably by `run`.
    let inner = unsafe { &mut *st.inner };
    let ent = inner.func(callee);
    let params = ent.params as usize;
    let FuncKind::Wasm { instance, def, .. } = ent.kind else {
        return Ok(false);
    };
    let module = &inner.instances[instance as usize].module.inner;
    if module.tier.on_call(module, def) == Verdict::Native {
        return Ok(false);
    }
    let code = match code_of(inner, callee) {
        Ok((code, _)) => code,
        Err(e) => {
            st.error = Some(e);
            return Err(Signal::Error);
        }
    };
    let base = st.base;
    let end = base + code.frame_size as usize;
    if end > inner.stack.slots.len() {
        if let Err(c) = inner.stack.grow(end) {
            st.trap = c;
            return Err(Signal::Trap);
        }
    }
    let slots = inner.stack.slots.as_mut_ptr();
    // SAFETY: the arguments lie within the current frame (translator
    // invariant) and the callee's frame fits (ensured above); `copy`
    // allows the overlap.
    unsafe {
        std::ptr::copy(slots.add(base + args), slots.add(base), params);
        zero_locals(slots.add(base + code.params as usize), code.locals as usize);
        st.sp = slots.add(base);
    }
    if let Some(f) = inner.stack.frames.last_mut() {
        f.func = callee;
    }
    // The function entity keeps its code alive (`code_of` stored it).
    st.ip = code.instrs.as_ptr();
    if instance != st.cur_inst {
        st.load_instance(instance);
    }
    Ok(true)
}

/// Zeroes a callee's declared locals. Go functions have a handful, and a
/// `memset` call costs more than the stores. No call for any count: a call
/// on this path made every call handler save and restore six registers
/// (the `memset` needed them across it), on every call.
///
/// # Safety
/// `p..p + n` must be valid slots.
#[inline(always)]
unsafe fn zero_locals(p: *mut u64, n: usize) {
    for i in 0..n {
        // SAFETY: within the slots the caller vouched for. Volatile keeps
        // the optimiser from turning the loop back into a `memset` call.
        unsafe { std::ptr::write_volatile(p.add(i), 0) };
    }
}

/// The common call: an already translated function of the current instance,
/// with room on both stacks. Returns the callee's first instruction and frame
/// base, or `None` for `do_call` to handle everything else.
#[inline(always)]
pub(super) fn fast_call(
    st: &mut State,
    callee: u32,
    new_base: usize,
    ret: *const Op,
) -> Option<(*const Op, *mut u64)> {
    // SAFETY: `inner` is the store borrowed mutably by `run`.
    let inner = unsafe { &mut *st.inner };
    // A defined function of the current instance: its index minus the
    // instance's first one is below the count (anything else, including
    // host functions, takes the slow path).
    let def = callee.wrapping_sub(st.ctx.def_base);
    if def >= st.ctx.def_len {
        return None;
    }
    // SAFETY: `def` is a defined function of the current instance's module,
    // whose translated-code cells `ctx.code` points at (one per defined function).
    let code: &CompiledFunc = unsafe { (*st.ctx.code.add(def as usize)).get()? };
    let stack = &mut inner.stack;
    let depth = stack.frames.len();
    if new_base + code.frame_size as usize > stack.slots.len()
        || depth == stack.frames.capacity()
        || depth >= stack.max_frames
    {
        return None;
    }
    // Tier-up: count the call down; at 0 the slow path decides (queue the
    // function for compilation, or run its native code). A plain load and
    // store: a lost count only delays the decision.
    // SAFETY: `def` is a defined function of the current instance's module,
    // whose counters `ctx.counters` points at (one per defined function).
    let counter = unsafe { &*st.ctx.counters.add(def as usize) };
    let left = counter.load(Ordering::Relaxed);
    if left == 0 {
        return None;
    }
    counter.store(left - 1, Ordering::Relaxed);
    // SAFETY: `depth < capacity` was checked, so the write stays in the
    // allocation and the new length is initialised.
    unsafe {
        stack.frames.as_mut_ptr().add(depth).write(Frame {
            ret_ip: ret.cast(),
            ret_base: st.base as u32,
            ret_instance: st.cur_inst,
            func: callee,
        });
        stack.frames.set_len(depth + 1);
    }
    // SAFETY: `new_base + frame_size <= slots.len()` was checked, and
    // params + locals <= frame_size.
    let sp = unsafe {
        let sp = stack.slots.as_mut_ptr().add(new_base);
        zero_locals(sp.add(code.params as usize), code.locals as usize);
        sp
    };
    st.base = new_base;
    Some((code.instrs.as_ptr(), sp))
}

/// Pops the current frame into `st`. Returns false when control goes back to the host.
#[inline(always)]
pub(super) fn do_return(st: &mut State) -> bool {
    // SAFETY: `inner` is the store borrowed mutably by `run`.
    let inner = unsafe { &mut *st.inner };
    // SAFETY: every executing function has a frame record (pushed on entry).
    let f = unsafe { inner.stack.frames.pop().unwrap_unchecked() };
    if f.ret_ip.is_null() {
        return false;
    }
    st.ip = f.ret_ip.cast();
    st.base = f.ret_base as usize;
    // SAFETY: the caller's frame base is within `slots` (it was when it called).
    st.sp = unsafe { inner.stack.slots.as_mut_ptr().add(st.base) };
    if f.ret_instance != st.cur_inst {
        st.load_instance(f.ret_instance);
    }
    true
}
