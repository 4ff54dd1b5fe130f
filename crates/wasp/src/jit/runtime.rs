//! The runtime glue of compiled code: running a compiled function of a
//! store's instance ([`invoke`]), and the call-outs compiled code makes for
//! everything it does not do itself (calls of uncompiled functions and
//! imports, `call_indirect`'s checks, tables, bulk memory, segments,
//! `ref.func`, attention requests).
//!
//! - A [`JitCtx`] is built per `invoke` on the host stack: memory 0 of the
//!   instance, its global pointer array (`InstanceEntity::global_ptrs`, used
//!   in place), the module's code table (`TierState::code`), the store's
//!   attention word, the stack limit and the call depth left. Nothing needs
//!   caching beyond that: building it is a handful of loads.
//! - Call-outs re-enter the normal execution path: a wasm callee through
//!   `exec::call` (which may run native code again through the tier hook),
//!   a host function directly with `Caller { instance: Some(..) }`. While
//!   one runs, the outer interpreter frames are hidden (an empty frame vector
//!   is swapped in, `max_frames` lowered to the depth left), so a trap's
//!   backtrace from the nested execution holds only its own frames; compiled
//!   frames append themselves on the way out, and `invoke` appends the
//!   interpreter frames below it. An error is kept in the runtime state
//!   (`Status::Pending`) while compiled frames unwind.
//! - Memory base and length are refreshed in the context after every
//!   call-out (a host function or the interpreter may have grown memory).
//! - The native stack: compiled code runs on a 1 GiB lazily committed stack
//!   per thread (`stack.rs`), whatever stack the embedder calls from;
//!   prologues check `JitCtx::stack_limit` (its low end plus a margin for
//!   host functions and the interpreter called from compiled code; the
//!   thread's own bounds if it could not be mapped); the call depth is
//!   shared with the interpreter (`Stack::max_frames`).
//! - Fuel: a store that consumes fuel never runs compiled code (nothing is
//!   compiled, `jit/tier.rs`), since compiled code does not count it.

use super::abi::{trap_of_status, JitCtx, RtOp, Status};
use crate::error::{Error, FrameInfo, Result, Trap, TrapCode};
use crate::exec::{Frame, HOT, OSR, SAMPLE};
use crate::func::Caller;
use crate::store::{FuncKind, Store};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Stack below the limit compiled code checks, for what runs past it: the
/// prologue's own frame (`RED_ZONE`), host functions and the interpreter's
/// entry called from compiled code.
const STACK_MARGIN: usize = super::RED_ZONE + 256 * 1024;

/// The state call-outs work on, on `invoke`'s stack frame.
struct Rt<T> {
    store: *mut Store<T>,
    instance: u32,
    /// The module's code table.
    code: *const AtomicUsize,
    /// The error compiled frames are unwinding with (`Status::Pending`).
    pending: Option<Error>,
    /// A frame vector swapped in during call-outs (keeps its capacity).
    spare: Vec<Frame>,
    /// A panic of a host function, carried across the compiled frames (a
    /// panic must not unwind through them) and resumed by `invoke`.
    panic: Option<Box<dyn std::any::Any + Send>>,
}

/// `extern "C" fn(ctx, slots, code) -> status`: see `abi.rs`.
type Trampoline = unsafe extern "C" fn(*mut JitCtx, *mut u64, *const u8) -> u32;

/// Runs compiled function `func` (a function index of the module of store
/// instance `instance`, with native code in its module's code table) on the
/// frame slots at `slots_base`: arguments there, results written back
/// there. Slots from `slots_base + max(params, results)` on
/// (`stack.top`, which the caller sets) are free for nested executions.
pub(crate) fn invoke<T>(
    store: &mut Store<T>,
    instance: u32,
    func: u32,
    slots_base: usize,
) -> Result<()> {
    #[cfg(test)]
    INVOKES.with(|n| n.set(n.get() + 1));
    let code = store.inner.instances[instance as usize]
        .module
        .inner
        .tier
        .code
        .as_ptr();
    invoke_with(store, instance, func, slots_base, code)
}

#[cfg(test)]
thread_local! {
    /// Calls of [`invoke`] on this thread (tests check the tier hook uses it).
    pub(super) static INVOKES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// `call_indirect` call-outs on this thread (tests check the cache
    /// spares them).
    pub(crate) static CALL_INDIRECT_OUTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// [`invoke`] with the code table given (tests bind their own batches).
pub(crate) fn invoke_with<T>(
    store: &mut Store<T>,
    instance: u32,
    func: u32,
    slots_base: usize,
    code: *const AtomicUsize,
) -> Result<()> {
    let inner = &mut store.inner;
    let inst = &inner.instances[instance as usize];
    let info = &inst.module.inner.info;
    if func as usize >= info.funcs.len() {
        return Err(Error::msg(format!("no function {func}")));
    }
    let ty = info.func_type(func);
    let (params, results) = (ty.params().len(), ty.results().len());
    // SAFETY: the code table has one entry per function index (checked above).
    let addr = unsafe { &*code.add(func as usize) }.load(Ordering::Acquire);
    if addr == 0 {
        return Err(Error::msg(format!("function {func} has no native code")));
    }
    run_code(store, instance, addr, code, slots_base, params, results)
}

/// Runs the on-stack replacement entry at `addr` (`TierState::osr_entry`)
/// of compiled function `func` (module index) of store instance `instance`
/// on the frame slots at `slots_base`: its `locals` locals there (the
/// interpreted frame it continues), its results written back there.
pub(crate) fn invoke_osr<T>(
    store: &mut Store<T>,
    instance: u32,
    func: u32,
    addr: usize,
    slots_base: usize,
    locals: usize,
) -> Result<()> {
    let module = &store.inner.instances[instance as usize].module.inner;
    let code = module.tier.code.as_ptr();
    let results = module.info.func_type(func).results().len();
    run_code(store, instance, addr, code, slots_base, locals, results)
}

/// Runs the compiled code at `addr` (installed, preceded by its
/// trampoline's header) on `params` values at `slots_base`; its `results`
/// go back there.
fn run_code<T>(
    store: &mut Store<T>,
    instance: u32,
    addr: usize,
    code: *const AtomicUsize,
    slots_base: usize,
    params: usize,
    results: usize,
) -> Result<()> {
    let inner = &mut store.inner;
    let inst = &inner.instances[instance as usize];
    // SAFETY: installed code is preceded by the header `link` writes: the
    // address of its type's trampoline (extern "C", the `Trampoline`
    // signature), in the same published batch, which lives while installed.
    let trampoline = unsafe {
        let header = (addr - super::HEADER) as *const usize;
        std::mem::transmute::<usize, Trampoline>(header.read())
    };
    let depth = inner
        .stack
        .max_frames
        .saturating_sub(inner.stack.frames.len())
        .min(u32::MAX as usize) as u32;
    let mut ctx = JitCtx::new(depth);
    // `GlobalPtr` is `repr(transparent)` over `*mut u64`.
    ctx.globals = inst.global_ptrs.as_ptr().cast();
    ctx.funcs = code;
    ctx.attention = inner.stack.attention.word();
    ctx.attend = attend::<T>;
    ctx.call_out = call_out::<T>;
    ctx.call_indirect = call_indirect::<T>;
    ctx.runtime_op = runtime_op::<T>;
    if let Some(&m) = inst.memories.first() {
        ctx.set_memory(&mut inner.memories[m as usize]);
    }
    super::icache::attach(&mut ctx, inner, instance);
    let n = params.max(results);
    let mut small = [0u64; 16];
    let mut large;
    let io: &mut [u64] = if n <= 16 {
        &mut small[..n]
    } else {
        large = vec![0u64; n];
        &mut large
    };
    // Copied out: nested executions may reallocate the slots.
    io[..params].copy_from_slice(&inner.stack.slots[slots_base..slots_base + params]);
    let mut rt = Rt {
        store,
        instance,
        code,
        pending: None,
        spare: Vec::new(),
        panic: None,
    };
    ctx.rt = (&mut rt as *mut Rt<T>).cast();
    // Below: `ctx` describes the instance whose module's code this is
    // (memory, globals, code table, live for the call); the store is only
    // reached through `rt.store` until the call returns; `io` holds the
    // arguments and room for the results.
    let status = super::stack::on_big_stack(|low| {
        ctx.stack_limit = match low {
            Some(low) => low + STACK_MARGIN,
            None => stack_limit(),
        };
        // SAFETY: as above; the limit leaves the margin on the stack this
        // runs on.
        unsafe { trampoline(&mut ctx, io.as_mut_ptr(), addr as *const u8) }
    });
    let pending = rt.pending.take();
    if let Some(p) = rt.panic.take() {
        std::panic::resume_unwind(p);
    }
    // SAFETY: compiled code and call-outs are done with the store.
    let store = unsafe { &mut *rt.store };
    if status == 0 {
        store.inner.stack.slots[slots_base..slots_base + results].copy_from_slice(&io[..results]);
        return Ok(());
    }
    Err(unwound(store, instance, &ctx, status, pending))
}

/// The error of a trap that unwound compiled frames: the nested part of its
/// backtrace (from a call-out), the compiled frames, then the interpreter's
/// frames below `invoke`, at most 64 in all.
fn unwound<T>(
    store: &Store<T>,
    instance: u32,
    ctx: &JitCtx,
    status: u32,
    pending: Option<Error>,
) -> Error {
    let (code, mut frames) = match pending {
        Some(e) => match e.trap() {
            Some(t) => (t.code(), t.backtrace().to_vec()),
            None => return e,
        },
        None => (trap_of_status(status), Vec::new()),
    };
    let inner = &store.inner;
    let info = &inner.instances[instance as usize].module.inner.info;
    let nested = frames.is_empty();
    for (i, (&f, locals)) in ctx.traced().iter().zip(ctx.traced_locals()).enumerate() {
        let n = (locals[2] as usize).min(2);
        let position =
            crate::profile::compiled_position(inner, instance, f, &locals[..n], nested && i == 0);
        frames.push(FrameInfo {
            func_index: f,
            func_name: info.func_names.get(&f).cloned(),
            module_name: info.name.clone(),
            position,
        });
    }
    // The interpreter's frames below called the compiled code: none of
    // them is the running frame.
    let below = crate::profile::frames(inner, inner.stack.native_caller_base, 64);
    for p in crate::profile::positioned(inner, &below, 64, false) {
        let instance = p.wasm.map_or(instance, |w| below[w].instance);
        let info = &inner.instances[instance as usize].module.inner.info;
        frames.push(FrameInfo {
            func_index: p.func_index,
            func_name: info.func_names.get(&p.func_index).cloned(),
            module_name: info.name.clone(),
            position: p.position,
        });
    }
    frames.truncate(64);
    Trap::with_backtrace(code, frames).into()
}

/// The lowest address compiled code may push to on this thread.
fn stack_limit() -> usize {
    thread_local! {
        static LOW: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    let low = LOW.with(|l| {
        if l.get() == 0 {
            l.set(stack_low().unwrap_or_else(|| {
                // Unknown bounds: 1 MiB below here, which every thread has.
                let here = 0u8;
                (std::hint::black_box(&here) as *const u8 as usize).saturating_sub(1 << 20)
            }));
        }
        l.get()
    });
    low.saturating_add(STACK_MARGIN)
}

/// The low end of this thread's stack, from the thread library.
#[cfg(target_os = "linux")]
fn stack_low() -> Option<usize> {
    // SAFETY: `attr` is initialised by `pthread_getattr_np` before it is
    // read and destroyed once; the out-pointers are valid locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (r == 0 && !addr.is_null()).then_some(addr as usize)
    }
}

/// The low end of this thread's stack, from the thread library.
#[cfg(target_os = "macos")]
fn stack_low() -> Option<usize> {
    // SAFETY: both calls only read the current thread's descriptor.
    unsafe {
        let t = libc::pthread_self();
        let top = libc::pthread_get_stackaddr_np(t) as usize;
        let size = libc::pthread_get_stacksize_np(t);
        top.checked_sub(size)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn stack_low() -> Option<usize> {
    None
}

/// The runtime state and store behind `ctx`.
///
/// # Safety
/// `ctx` is the context of a running `invoke::<T>` (its `rt` points at that
/// call's `Rt<T>`), and no other reference to the store is in use.
unsafe fn rt<'a, T>(ctx: *mut JitCtx) -> (&'a mut JitCtx, &'a mut Rt<T>, &'a mut Store<T>) {
    // SAFETY: the caller's contract.
    unsafe {
        let ctx = &mut *ctx;
        let rt = &mut *ctx.rt.cast::<Rt<T>>();
        let store = &mut *rt.store;
        (ctx, rt, store)
    }
}

/// Points `ctx` at the instance's memory again (it may have grown or moved).
fn refresh<T>(ctx: &mut JitCtx, store: &mut Store<T>, instance: u32) {
    let inner = &mut store.inner;
    if let Some(&m) = inner.instances[instance as usize].memories.first() {
        ctx.set_memory(&mut inner.memories[m as usize]);
    }
    super::icache::refresh(ctx, inner, instance);
}

/// The status a call-out returns for `r`, keeping an error in `rt`.
fn status_of<T>(rt: &mut Rt<T>, r: Result<()>) -> u32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            rt.pending = Some(e);
            Status::Pending as u32
        }
    }
}

/// Calls store function `callee` with `args` (slot layout, at least
/// max(params, results) long), hiding the outer interpreter frames.
///
/// # Safety
/// `args` points at that many u64s.
unsafe fn call_store_func<T>(
    ctx: &mut JitCtx,
    rt: &mut Rt<T>,
    store: &mut Store<T>,
    callee: u32,
    args: *mut u64,
) -> u32 {
    let ent = store.inner.func(callee);
    let n = (ent.params as usize).max(ent.results as usize);
    // SAFETY: the caller's contract.
    let io = unsafe { std::slice::from_raw_parts_mut(args, n) };
    let stack = &mut store.inner.stack;
    std::mem::swap(&mut stack.frames, &mut rt.spare);
    let max_frames = std::mem::replace(&mut stack.max_frames, ctx.depth_left as usize);
    let kind = match ent.kind {
        FuncKind::Host(h) => Some(h),
        FuncKind::Wasm { .. } => None,
    };
    let instance = rt.instance;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match kind {
        Some(h) => {
            let f = store.host_funcs[h as usize].func.clone();
            f(
                Caller {
                    store: &mut *store,
                    instance: Some(instance),
                },
                io,
            )
        }
        None => crate::exec::call(store, callee, io),
    }));
    let stack = &mut store.inner.stack;
    stack.max_frames = max_frames;
    std::mem::swap(&mut stack.frames, &mut rt.spare);
    rt.spare.clear();
    refresh(ctx, store, rt.instance);
    match r {
        Ok(r) => status_of(rt, r),
        Err(p) => {
            rt.panic = Some(p);
            Status::Pending as u32
        }
    }
}

/// `JitCtx::call_out`: calls function `func` of the instance.
///
/// # Safety
/// See [`rt`]; `args` holds max(params, results) u64s.
unsafe extern "C" fn call_out<T>(ctx: *mut JitCtx, func: u32, args: *mut u64) -> u32 {
    // SAFETY: the caller's contract.
    let (ctx, rt, store) = unsafe { rt::<T>(ctx) };
    let callee = store.inner.instances[rt.instance as usize].funcs[func as usize];
    // SAFETY: `args` is as long as the callee needs (same type as `func`).
    unsafe { call_store_func(ctx, rt, store, callee, args) }
}

/// `JitCtx::call_indirect`: see `abi::CallIndirect`.
///
/// # Safety
/// See [`rt`]; `args` holds max(params, results) u64s of type `type_id`.
unsafe extern "C" fn call_indirect<T>(
    ctx: *mut JitCtx,
    table: u32,
    type_id: u32,
    index: u32,
    args: *mut u64,
) -> usize {
    #[cfg(test)]
    CALL_INDIRECT_OUTS.with(|n| n.set(n.get() + 1));
    // SAFETY: the caller's contract.
    let (ctx, rt, store) = unsafe { rt::<T>(ctx) };
    let inner = &store.inner;
    let t = inner.instances[rt.instance as usize].tables[table as usize];
    let elems = &inner.tables[t as usize].elems;
    let Some(&r) = elems.get(index as usize) else {
        return Status::UndefinedElement as usize;
    };
    if r == 0 {
        return Status::IndirectCallToNull as usize;
    }
    let callee = (r - 1) as u32;
    let ent = inner.func(callee);
    if ent.ty != type_id && !inner.engine.is_subtype(ent.ty, type_id) {
        return Status::BadSignature as usize;
    }
    if let FuncKind::Wasm { instance, def, .. } = ent.kind {
        if instance == rt.instance {
            let imported = inner.instances[instance as usize]
                .module
                .inner
                .info
                .num_imported_funcs;
            // SAFETY: the table has an entry per function index.
            let addr = unsafe { &*rt.code.add((imported + def) as usize) }.load(Ordering::Acquire);
            if addr != 0 {
                if table == 0 {
                    super::icache::fill(ctx, r, type_id, addr);
                }
                return addr;
            }
        }
    }
    // SAFETY: `args` fits the callee (its type is `type_id`).
    unsafe { call_store_func(ctx, rt, store, callee, args) as usize }
}

/// `JitCtx::attend`: the interpreter's semantics (`exec/run.rs`): a profile
/// sample is taken and execution goes on; an interrupt or a passed
/// deadline stops it.
///
/// # Safety
/// See [`rt`].
unsafe extern "C" fn attend<T>(ctx: *mut JitCtx, func: u32) -> u32 {
    // SAFETY: the caller's contract.
    let (_, rt, store) = unsafe { rt::<T>(ctx) };
    let instance = rt.instance;
    let a = Arc::clone(&store.inner.stack.attention);
    if a.bits() & HOT != 0 && a.take(HOT) {
        // Charged to the interpreted caller of this compiled code; if that
        // one is native already, the executor asks it to continue natively
        // once this code returns to it (`exec/osr.rs`).
        if super::ticks::on_tick(&store.inner) {
            crate::exec::want_osr(&mut store.inner.stack, true);
        }
    }
    if a.bits() & OSR != 0 && a.take(OSR) {
        // For the interpreter (raised before it called this code): kept
        // for when control is back there.
        crate::exec::want_osr(&mut store.inner.stack, false);
    }
    if a.bits() & SAMPLE != 0 && a.take(SAMPLE) {
        // The compiled frames between `func` and the interpreter's are not
        // recorded: the sample has the innermost one and the interpreted
        // callers below `invoke`.
        crate::profile::sample_with_leaf(&mut store.inner, None, Some((instance, func)));
    }
    match a.stop_code().and_then(Status::of_trap) {
        Some(s) => s as u32,
        None => 0,
    }
}

/// `JitCtx::runtime_op`: see [`RtOp`] for the operands.
///
/// # Safety
/// See [`rt`]; `args` holds the operator's operands (at least one u64).
unsafe extern "C" fn runtime_op<T>(ctx: *mut JitCtx, op: u32, imm: u64, args: *mut u64) -> u32 {
    // SAFETY: the caller's contract.
    let (ctx, rt, store) = unsafe { rt::<T>(ctx) };
    // SAFETY: three operands at most, in a buffer of at least that many.
    let a = |i: usize| unsafe { args.add(i).read() };
    let set = |v: u64| {
        // SAFETY: as above.
        unsafe { args.write(v) }
    };
    let Some(op) = RtOp::from_u32(op) else {
        return Status::Unreachable as u32;
    };
    let r = rt_op(store, rt.instance, op, imm, [a(0), a(1), a(2)]);
    // Table operators may grow (move) table 0.
    super::icache::refresh(ctx, &store.inner, rt.instance);
    match r {
        Ok(Some(v)) => {
            set(v);
            0
        }
        Ok(None) => 0,
        Err(c) => Status::of_trap(c).unwrap_or(Status::Unreachable) as u32,
    }
}

/// One runtime operator, with the interpreter's semantics (`exec/handlers.rs`).
fn rt_op<T>(
    store: &mut Store<T>,
    instance: u32,
    op: RtOp,
    imm: u64,
    args: [u64; 3],
) -> std::result::Result<Option<u64>, TrapCode> {
    type Result<V, E> = std::result::Result<V, E>;
    let inner = &mut store.inner;
    let i = instance as usize;
    let u = |i: usize| args[i] as u32 as usize;
    let (lo, hi) = (imm as u32 as usize, (imm >> 32) as usize);
    let oob = TrapCode::MemoryOutOfBounds;
    let tob = TrapCode::TableOutOfBounds;
    let mem0 = inner.instances[i].memories.first().copied();
    let table = |inner: &crate::store::StoreInner, t: usize| inner.instances[i].tables[t] as usize;
    /// Memory 0's bytes (validation guarantees one; without, fail like an access).
    fn mem(inner: &mut crate::store::StoreInner, m: Option<u32>) -> Result<&mut [u8], TrapCode> {
        Ok(&mut inner.memories[m.ok_or(TrapCode::MemoryOutOfBounds)? as usize].data[..])
    }
    match op {
        RtOp::MemoryFill => {
            let data = mem(inner, mem0)?;
            let (d, n) = (u(0), u(2));
            if d + n > data.len() {
                return Err(oob);
            }
            data[d..d + n].fill(args[1] as u8);
        }
        RtOp::MemoryCopy => {
            let data = mem(inner, mem0)?;
            let (d, s, n) = (u(0), u(1), u(2));
            if d + n > data.len() || s + n > data.len() {
                return Err(oob);
            }
            data.copy_within(s..s + n, d);
        }
        RtOp::MemoryInit => {
            let inst = &inner.instances[i];
            let module = inst.module.clone();
            let seg: &[u8] = if inst.dropped_data[lo] {
                &[]
            } else {
                &module.inner.bytes[module.inner.info.datas[lo].bytes.clone()]
            };
            let data = mem(inner, mem0)?;
            let (d, s, n) = (u(0), u(1), u(2));
            if d + n > data.len() || s + n > seg.len() {
                return Err(oob);
            }
            data[d..d + n].copy_from_slice(&seg[s..s + n]);
        }
        RtOp::DataDrop => Arc::make_mut(&mut inner.instances[i].dropped_data)[lo] = true,
        RtOp::ElemDrop => inner.instances[i].elems[lo] = Arc::from(Vec::new()),
        RtOp::RefFunc => return Ok(Some(inner.instances[i].funcs[lo] as u64 + 1)),
        RtOp::TableGet => {
            let t = table(inner, lo);
            return inner.tables[t].elems.get(u(0)).map(|&v| Some(v)).ok_or(tob);
        }
        RtOp::TableSet => {
            let t = table(inner, lo);
            *inner.tables[t].elems.get_mut(u(0)).ok_or(tob)? = args[1];
        }
        RtOp::TableSize => {
            let t = table(inner, lo);
            return Ok(Some(inner.tables[t].elems.len() as u64));
        }
        RtOp::TableGrow => {
            let t = table(inner, lo);
            let r = inner.tables[t].grow(args[1] as u32, args[0]);
            return Ok(Some(r.unwrap_or(u32::MAX) as u64));
        }
        RtOp::TableFill => {
            let t = table(inner, lo);
            let elems = &mut inner.tables[t].elems;
            let (d, n) = (u(0), u(2));
            if d + n > elems.len() {
                return Err(tob);
            }
            elems[d..d + n].fill(args[1]);
        }
        RtOp::TableCopy => {
            let (dt, st) = (table(inner, lo), table(inner, hi));
            let (d, s, n) = (u(0), u(1), u(2));
            let tables = &mut inner.tables;
            if d + n > tables[dt].elems.len() || s + n > tables[st].elems.len() {
                return Err(tob);
            }
            if dt == st {
                tables[dt].elems.copy_within(s..s + n, d);
            } else {
                let tmp: Vec<u64> = tables[st].elems[s..s + n].to_vec();
                tables[dt].elems[d..d + n].copy_from_slice(&tmp);
            }
        }
        RtOp::TableInit => {
            let t = table(inner, lo);
            let items = inner.instances[i].elems[hi].clone();
            let (d, s, n) = (u(0), u(1), u(2));
            let elems = &mut inner.tables[t].elems;
            if s + n > items.len() || d + n > elems.len() {
                return Err(tob);
            }
            elems[d..d + n].copy_from_slice(&items[s..s + n]);
        }
    }
    Ok(None)
}
