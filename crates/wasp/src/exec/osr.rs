//! On-stack replacement: an interpreted frame whose function has native
//! code continues in native code from a loop point, and the executor
//! returns from the frame on its behalf.
//!
//! - **Where.** The translator lists a function's OSR points
//!   (`CompiledFunc::osr`): instructions where the operand stack is empty
//!   and which stand for a wasm `loop` without parameters or the `end` of a
//!   block without results, so every value the frame holds is a local in
//!   its slot. The compiling tier builds an entry per point on demand
//!   (`TierState::osr_entry`, `jit/func.rs` `translate_osr`): load the
//!   locals from the slots, jump to that point of the function's code.
//! - **When.** Only at the executor's check points (backward branches,
//!   calls and returns, where the attention word is read anyway), and only
//!   when asked: a hotness tick (`jit/ticks.rs`) that finds the innermost
//!   interpreted frame's function native already. A tick served by
//!   compiled code called from that frame is kept in `Stack::osr_wanted`
//!   and raised as [`OSR`] when control is back in the interpreter
//!   (`exec/mod.rs`). A request tries the next [`TRIES`] check points (the
//!   entry may still be compiling, the point may not be an OSR point), then
//!   waits for the next tick: nothing is spent where OSR does not apply.
//! - **How.** The interpreter leaves its loop with `Exit::Osr`; the
//!   executor pops the frame record, runs the entry on the frame's slots
//!   (`tiering::invoke_osr`: results to the frame base, where a return
//!   puts them) and continues in the caller at the frame's return point,
//!   or returns from the execution if the frame was its entry. A trap's
//!   backtrace is the compiled frame's and the callers' below, as for a
//!   call of native code; an exception is thrown on in the caller.

use super::attention::OSR;
use super::run::State;
use super::Stack;
use crate::engine::Stat;
use crate::store::{FuncKind, Store};

/// Check points one request tries. The threaded backend checks only at
/// backward branches, calls and returns; the fallback backend (unoptimised
/// builds) after every instruction, so it needs far more to reach a loop.
pub(crate) const TRIES: u32 = if cfg!(wasp_tail) { 256 } else { 100_000 };

#[cfg(test)]
thread_local! {
    /// OSR points to pass by before one is taken (tests pick where a frame
    /// switches to native code).
    pub(crate) static SKIP: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// An interpreted frame to continue in native code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OsrCall {
    /// The frame's store instance.
    pub instance: u32,
    /// Its function (index in the instance's module).
    pub func: u32,
    /// The OSR entry's code address.
    pub entry: usize,
    /// The frame base (slot index).
    pub base: usize,
    /// Its locals (slots from `base`) and results.
    pub locals: usize,
    pub results: usize,
}

/// A tick found the innermost interpreted frame's function native: ask the
/// interpreter to try OSR (`renew`: with a fresh budget of tries).
pub(crate) fn want(stack: &mut Stack, renew: bool) {
    stack.osr_wanted = true;
    if renew {
        stack.osr_tries = TRIES;
    }
}

/// Raises [`OSR`] for the interpreter if compiled code kept a request.
pub(crate) fn raise_wanted(stack: &mut Stack) {
    if stack.osr_wanted {
        stack.osr_wanted = false;
        stack.attention.raise_quiet(OSR);
    }
}

/// Serves a request at the interpreter's check point in `st`: the OSR
/// entry to run if the current instruction is an OSR point of a native
/// function whose entry is compiled (else queues the entry, and asks again
/// at a later check point while tries are left).
pub(super) fn attempt(st: &mut State) -> Option<OsrCall> {
    let at = st.ip;
    let (base, cur) = (st.base_index(), st.cur_inst);
    let inner = st.inner();
    inner.stack.osr_wanted = false;
    let found = find(inner, at, base, cur);
    if found.is_none() && inner.stack.osr_tries > 0 {
        inner.stack.osr_tries -= 1;
        inner.stack.attention.raise_quiet(OSR);
    }
    found
}

/// The OSR entry for the innermost frame of `inner` at instruction `at`.
fn find(
    inner: &crate::store::StoreInner,
    at: *const super::Op,
    base: usize,
    cur: u32,
) -> Option<OsrCall> {
    let frame = inner.stack.frames.last()?;
    let FuncKind::Wasm { instance, def } = inner.func(frame.func).kind else {
        return None;
    };
    let module = &inner.instances[instance as usize].module.inner;
    // The frame is running, so its code is translated already.
    let code = module.compiled[def as usize].get()?;
    if instance != cur || code.osr.is_empty() {
        return None;
    }
    let start = code.instrs.as_ptr() as usize;
    let off = (at as usize).checked_sub(start)? / std::mem::size_of::<super::Op>();
    if off >= code.instrs.len() {
        return None;
    }
    let k = code.osr.binary_search_by_key(&(off as u32), |e| e.0).ok()?;
    let point = code.osr[k].1;
    #[cfg(test)]
    if SKIP.with(|s| s.replace(s.get().saturating_sub(1))) > 0 {
        return None;
    }
    if !module.tier.is_native(def) {
        return None;
    }
    let entry = module.tier.osr_entry(module, def, point)?;
    let func = module.info.num_imported_funcs + def;
    module.engine.counters().add(Stat::OsrEntries, 1);
    Some(OsrCall {
        instance,
        func,
        entry,
        base,
        locals: code.params as usize + code.locals as usize,
        results: module.info.func_type(func).results().len(),
    })
}

/// Runs `call`'s entry on its frame's slots; nested executions (calls out
/// of native code) use the slots above its locals and results.
pub(super) fn run<T>(store: &mut Store<T>, call: &OsrCall) -> crate::Result<()> {
    let saved_top = store.inner.stack.top;
    store.inner.stack.top = call.base + call.locals.max(call.results);
    let r = super::tiering::invoke_osr(
        store,
        call.instance,
        call.func,
        call.entry,
        call.base,
        call.locals,
    );
    store.inner.stack.top = saved_top;
    r
}
