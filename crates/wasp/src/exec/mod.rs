//! The executor: the wasm stack, calls from the host into wasm, and the
//! hand-off to host functions.
//!
//! Wasm-to-wasm calls never recurse on the host stack: the interpreter loop
//! (`run.rs`) pushes a [`Frame`] record and continues in the callee. Calling a
//! host function leaves the loop (saving its state), runs the generic host
//! closure here, and re-enters the loop, so the loop itself is compiled once,
//! independent of the store's data type `T`.

mod attention;
mod calls;
mod exceptions;
mod gc;
mod handlers;
mod mem;
#[cfg(wasp_tail)]
mod native_sp;
pub(crate) mod num;
mod osr;
#[cfg(all(
    test,
    feature = "jit",
    unix,
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod osr_tests;
pub(crate) mod run;
mod simd;
mod tail;
#[cfg(all(
    test,
    feature = "jit",
    unix,
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod tier_tests;
mod tiering;
mod timer;

use crate::engine::Config;
use crate::error::{Error, FrameInfo, Result, Trap, TrapCode};
use crate::func::Caller;
use crate::store::{FuncKind, Store, StoreInner};
/// Taken by the compiling tier's ticker (`jit/ticks.rs`); unused without it.
#[allow(unused_imports)]
pub(crate) use attention::HOT;
pub(crate) use attention::{to_ns, Attention, INTERRUPT, SAMPLE};
pub(crate) use run::{op_of, Op};
pub(crate) use tiering::TierState;
pub(crate) use timer::schedule as schedule_deadline;
/// Taken by compiled code's `attend` (`jit/runtime.rs`); unused without it.
#[allow(unused_imports)]
pub(crate) use {attention::OSR, osr::want as want_osr};

/// A record of an active wasm call: where to return and whose frame it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    /// Instruction to resume in the caller; null when returning to the host.
    pub ret_ip: *const Op,
    /// The caller's frame base (slot index).
    pub ret_base: u32,
    /// The caller's instance.
    pub ret_instance: u32,
    /// The store index of the function this frame executes (for backtraces).
    pub func: u32,
}

/// The value slots and call frames shared by all executions in a store.
pub(crate) struct Stack {
    pub slots: Vec<u64>,
    pub frames: Vec<Frame>,
    pub max_slots: usize,
    pub max_frames: usize,
    /// First slot not in use by an active execution (nested calls start here).
    pub top: usize,
    /// Requests from other threads (an `InterruptHandle`'s interrupt, the
    /// deadline watchdog).
    pub attention: std::sync::Arc<attention::Attention>,
    /// Executions in progress (calls from the host, nested ones included):
    /// the outermost call is the one that starts at 0.
    pub active: u32,
    /// Fuel left ([`Config::consume_fuel`]); the interpreter keeps a copy
    /// while it runs and writes it back whenever it leaves the loop.
    pub fuel: u64,
    /// On-stack replacement is asked for (`osr.rs`): served at the
    /// interpreter's next check point, or raised as `OSR` for it when
    /// compiled code returns to it.
    pub osr_wanted: bool,
    /// Check points the current OSR request may still try.
    pub osr_tries: u32,
    /// The first slot of the interpreted frame whose call (or replaced
    /// callee) the running compiled code serves: a trap's backtrace gives
    /// that frame the position of its call, as for any caller.
    pub native_caller_base: Option<usize>,
    /// Native (compiled) calls in progress: while there are any, the GC
    /// heap is not collected (`gc/roots.rs`).
    pub native_depth: u32,
}

// SAFETY: the raw `ret_ip` pointers point into `CompiledFunc`s owned (through
// `Arc`s) by the same store's function entities; they are only dereferenced
// by the executor while it holds `&mut` access to the store, so moving the
// store to another thread moves them along with their owners.
unsafe impl Send for Stack {}
// SAFETY: as above; `&Stack` exposes no pointer dereferences.
unsafe impl Sync for Stack {}

/// Value slots a store's stack gets on its first call.
pub(crate) const INITIAL_SLOTS: usize = 1 << 10;

impl Stack {
    pub fn new(config: &Config) -> Self {
        let max_slots = config.max_stack_bytes / 8;
        Stack {
            // Empty to start: a store that never runs costs nothing here
            // (per-request embedders keep thousands of idle stores); the
            // first call makes room for `INITIAL_SLOTS` and `grow` doubles
            // on demand.
            slots: Vec::new(),
            frames: Vec::new(),
            max_slots,
            max_frames: config.max_call_depth,
            top: 0,
            attention: tiering::attention_for(config),
            active: 0,
            fuel: 0,
            osr_wanted: false,
            osr_tries: 0,
            native_caller_base: None,
            native_depth: 0,
        }
    }

    /// Makes sure `slots.len() >= needed`, growing geometrically up to the limit.
    #[cold]
    pub fn grow(&mut self, needed: usize) -> Result<(), TrapCode> {
        if needed > self.max_slots {
            return Err(TrapCode::StackExhausted);
        }
        let new_len = needed
            .max(self.slots.len() * 2)
            .max(INITIAL_SLOTS)
            .min(self.max_slots);
        self.slots
            .try_reserve_exact(new_len - self.slots.len())
            .map_err(|_| TrapCode::StackExhausted)?;
        self.slots.resize(new_len, 0);
        Ok(())
    }
}

/// Why the interpreter loop stopped.
pub(crate) enum Exit {
    /// The outermost frame returned to the host.
    Return,
    /// A host function must be called: `host` indexes `Store::host_funcs`, its
    /// arguments start at slot `base`.
    Host {
        host: u32,
        base: usize,
        params: usize,
        results: usize,
        instance: u32,
    },
    /// A function with native code must be called: `func` is its index in
    /// the module of store instance `instance`, its arguments start at slot
    /// `base`, its results go there.
    Native {
        func: u32,
        instance: u32,
        base: usize,
        params: usize,
        results: usize,
    },
    /// A trap.
    Trap(TrapCode),
    /// A non-trap failure (e.g. a function that cannot be translated).
    Error(Error),
    /// An exception (store heap index) no handler of the execution caught.
    Exception(u32),
    /// The innermost frame continues in native code (`osr.rs`).
    Osr(osr::OsrCall),
}

/// Where the loop resumes.
pub(crate) struct ExecState {
    pub ip: *const Op,
    pub base: usize,
    pub instance: u32,
    /// An exception to throw at the call before `ip` on resuming (one a
    /// host function or native code called from there threw).
    pub throw: Option<u32>,
}

/// Calls store function `func` with arguments in `io` (len >= max(params, results));
/// results are written back to the front of `io`.
///
/// The outermost call (no other execution in progress) drops an interrupt
/// raised before it started and one raised too late to stop it (see
/// `attention.rs`); any call traps at once if a stop is already requested
/// (a passed deadline, or an interrupt of the executions it nests in).
pub(crate) fn call<T>(store: &mut Store<T>, func: u32, io: &mut [u64]) -> Result<()> {
    let stack = &mut store.inner.stack;
    let outermost = stack.active == 0;
    if outermost {
        stack.attention.clear_interrupt();
    }
    if stack.attention.pending() {
        if let Some(code) = stack.attention.stop_code() {
            return Err(Trap::new(code).into());
        }
    }
    stack.active += 1;
    let r = call_in(store, func, io);
    let stack = &mut store.inner.stack;
    stack.active -= 1;
    if outermost {
        stack.attention.clear_interrupt();
    }
    r
}

fn call_in<T>(store: &mut Store<T>, func: u32, io: &mut [u64]) -> Result<()> {
    let entity = store.inner.func(func);
    let (params, results) = (entity.params as usize, entity.results as usize);
    let (instance, def) = match entity.kind {
        FuncKind::Host(h) => return call_host(store, h, None, io),
        FuncKind::Wasm { instance, def, .. } => (instance, def),
    };
    let base = store.inner.stack.top;
    let module = &store.inner.instances[instance as usize].module.inner;
    if module.tier.on_call(module, def) == tiering::Verdict::Native {
        let index = module.info.num_imported_funcs + def;
        let n = params.max(results);
        if base + n > store.inner.stack.slots.len() {
            store.inner.stack.grow(base + n).map_err(Error::from)?;
        }
        store.inner.stack.slots[base..base + params].copy_from_slice(&io[..params]);
        run_native(store, instance, index, base, n)?;
        io[..results].copy_from_slice(&store.inner.stack.slots[base..base + results]);
        return Ok(());
    }
    let depth = store.inner.stack.frames.len();
    let needed = base + params.max(results);
    if needed > store.inner.stack.slots.len() {
        store.inner.stack.grow(needed).map_err(Error::from)?;
    }
    store.inner.stack.slots[base..base + params].copy_from_slice(&io[..params]);
    let result = execute(store, func, base);
    let stack = &mut store.inner.stack;
    stack.frames.truncate(depth);
    stack.top = base;
    result?;
    io[..results].copy_from_slice(&stack.slots[base..base + results]);
    Ok(())
}

fn execute<T>(store: &mut Store<T>, func: u32, base: usize) -> Result<()> {
    let mut state = match run::enter(&mut store.inner, func, base) {
        Ok(s) => s,
        Err(exit) => return finish(store, exit, None).map(|_| ()),
    };
    loop {
        let exit = run::run(&mut store.inner, &mut state);
        match exit {
            Exit::Host {
                host,
                base,
                params,
                results,
                instance,
            } => {
                let n = params.max(results);
                let mut small = [0u64; 16];
                let mut large;
                let buf: &mut [u64] = if n <= 16 {
                    &mut small[..n]
                } else {
                    large = vec![0u64; n];
                    &mut large
                };
                buf[..params].copy_from_slice(&store.inner.stack.slots[base..base + params]);
                let saved_top = store.inner.stack.top;
                store.inner.stack.top = base + n;
                let r = call_host(store, host, Some(instance), buf);
                store.inner.stack.top = saved_top;
                if let Some(exn) = thrown(store, &r) {
                    state.throw = Some(exn);
                    continue;
                }
                // A trap a host function returns (e.g. a WASI call woken by an
                // interrupt) gets the backtrace of the wasm that called it.
                r.map_err(|mut e| {
                    e.fill_backtrace(|| backtrace(&store.inner, Some(state.base)));
                    e
                })?;
                store.inner.stack.slots[base..base + results].copy_from_slice(&buf[..results]);
                // A sample requested during the host call charges its time
                // to the wasm that made it.
                if store.inner.stack.attention.pending() && store.inner.stack.attention.take(SAMPLE)
                {
                    crate::profile::sample(&mut store.inner, Some(state.base));
                }
            }
            Exit::Native {
                func,
                instance,
                base,
                params,
                results,
            } => {
                let saved = store.inner.stack.native_caller_base.replace(state.base);
                let r = run_native(store, instance, func, base, params.max(results));
                store.inner.stack.native_caller_base = saved;
                if let Some(exn) = thrown(store, &r) {
                    state.throw = Some(exn);
                    continue;
                }
                r.map_err(|mut e| {
                    e.fill_backtrace(|| backtrace(&store.inner, Some(state.base)));
                    e
                })?;
                osr::raise_wanted(&mut store.inner.stack);
                if store.inner.stack.attention.pending() && store.inner.stack.attention.take(SAMPLE)
                {
                    crate::profile::sample(&mut store.inner, Some(state.base));
                }
            }
            Exit::Osr(call) => {
                // Native code continues the frame: the executor returns
                // from it on its behalf (results at its base, as a return).
                let frame = store.inner.stack.frames.pop().expect("the replaced frame");
                let caller = (!frame.ret_ip.is_null()).then_some(frame.ret_base as usize);
                let saved = std::mem::replace(&mut store.inner.stack.native_caller_base, caller);
                store.inner.stack.native_depth += 1;
                let r = osr::run(store, &call);
                store.inner.stack.native_depth -= 1;
                store.inner.stack.native_caller_base = saved;
                if frame.ret_ip.is_null() {
                    return r;
                }
                state = ExecState {
                    ip: frame.ret_ip,
                    base: frame.ret_base as usize,
                    instance: frame.ret_instance,
                    throw: thrown(store, &r),
                };
                if state.throw.is_none() {
                    r?;
                }
            }
            other => return finish(store, other, Some(state.base)),
        }
    }
}

/// Ends an execution; `base` is the first slot of the innermost frame, if known.
fn finish<T>(store: &mut Store<T>, exit: Exit, base: Option<usize>) -> Result<()> {
    match exit {
        Exit::Return => Ok(()),
        Exit::Trap(code) => Err(Trap::with_backtrace(code, backtrace(&store.inner, base)).into()),
        Exit::Error(e) => Err(e),
        Exit::Exception(exn) => Err(crate::exception::Exception::of(&mut store.inner, exn).into()),
        Exit::Host { .. } | Exit::Native { .. } | Exit::Osr(_) => {
            unreachable!("host and native calls are handled by the caller")
        }
    }
}

/// The store heap index of the exception `r` failed with, if it is one of
/// this store's: it is thrown on in the wasm caller.
fn thrown<T>(store: &Store<T>, r: &Result<()>) -> Option<u32> {
    match r {
        Err(e) => e.exception()?.index_in(store.inner.id),
        Ok(()) => None,
    }
}

/// Runs native function `func` (an index in the module of store instance
/// `instance`) on the `n` slots at `base` (arguments in, results out);
/// executions it starts (calls out of native code) use the slots above.
fn run_native<T>(
    store: &mut Store<T>,
    instance: u32,
    func: u32,
    base: usize,
    n: usize,
) -> Result<()> {
    let saved_top = store.inner.stack.top;
    store.inner.stack.top = base + n;
    store.inner.stack.native_depth += 1;
    let r = tiering::invoke(store, instance, func, base);
    store.inner.stack.native_depth -= 1;
    store.inner.stack.top = saved_top;
    r
}

fn call_host<T>(
    store: &mut Store<T>,
    host: u32,
    instance: Option<u32>,
    io: &mut [u64],
) -> Result<()> {
    let f = store.host_funcs[host as usize].func.clone();
    f(Caller { store, instance }, io)
}

/// The wasm frames of the current execution, innermost first (at most 64),
/// with positions from the store's probe; `base` is the innermost frame's
/// first slot, if known.
fn backtrace(inner: &StoreInner, base: Option<usize>) -> Vec<FrameInfo> {
    let frames = crate::profile::frames(inner, base, 64);
    let mut out = Vec::with_capacity(frames.len());
    let mut instance = 0;
    for f in crate::profile::positioned(inner, &frames, 64, true) {
        // A hidden caller (from the probe) belongs to the wasm frame above it.
        if let Some(w) = f.wasm {
            instance = frames[w].instance;
        }
        let info = &inner.instances[instance as usize].module.inner.info;
        out.push(FrameInfo {
            func_index: f.func_index,
            func_name: info.func_names.get(&f.func_index).cloned(),
            module_name: info.name.clone(),
            position: f.position,
        });
    }
    out
}

#[cfg(test)]
mod stack_tests {
    use super::*;

    /// An idle store's value stack is small (per-request embedders keep
    /// thousands of stores), and grows on demand to the configured limit.
    #[test]
    fn stack_starts_small_and_grows_to_the_limit() {
        let stack = Stack::new(&Config::default());
        assert!(stack.slots.len() * 8 <= 8 * 1024, "{}", stack.slots.len());
        let mut config = Config::default();
        config.max_stack_bytes(8 << 20);
        let mut stack = Stack::new(&config);
        stack.grow(100_000).unwrap();
        assert!(stack.slots.len() >= 100_000);
        assert!(stack.slots[..100_000].iter().all(|&s| s == 0));
        let max = config.max_stack_bytes / 8;
        stack.grow(max).unwrap();
        assert_eq!(stack.slots.len(), max);
        assert_eq!(stack.grow(max + 1), Err(TrapCode::StackExhausted));
    }
}
