//! The interpreter: threaded handlers over the register IR, and the trampoline
//! that drives them.
//!
//! Every instruction carries a pointer to its handler ([`Op`]). A handler does
//! its work and dispatches the next instruction itself. With the `wasp_tail`
//! backend (optimised builds, see `build.rs`) that dispatch is an indirect tail
//! call, so each handler has its own well-predicted jump and the hot state
//! (`ip`, frame base `sp`, memory base and length) stays in registers. The
//! fallback backend returns to the trampoline loop after every instruction.
//!
//! Rust does not guarantee tail calls, so the tail backend guards the native
//! stack: backward branches, calls and returns compare the stack pointer with
//! a floor and, if a handler was not tail-call optimised and the stack grew,
//! return to the trampoline, which unwinds everything. Every unbounded
//! execution passes through one of those points, so the native stack stays
//! bounded whatever the optimiser did.
//!
//! Slot accesses are unchecked: the translator only emits slot indices below
//! the function's `frame_size`, and a call only enters a function after making
//! sure `base + frame_size` slots exist.

#[cfg(wasp_tail)]
use super::native_sp::native_sp;
use super::num::*;
use super::{ExecState, Exit, Frame};
use crate::error::{Error, TrapCode};
use crate::ir::{for_each_numeric, CompiledFunc, Instr};
use crate::store::{FuncKind, GlobalPtr, StoreInner};
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, OnceLock};

/// An instruction handler.
pub(crate) type Handler =
    unsafe fn(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal;

/// An instruction with its handler.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Op {
    pub handler: Handler,
    pub instr: Instr,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.instr.fmt(f)
    }
}

/// Why a handler chain returned to the trampoline.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Signal {
    /// Continue at `State::ip` (fallback backend, or the stack guard fired).
    Resume,
    Return,
    Host,
    /// A call of a function with native code (`State::native`).
    Native,
    Trap,
    Error,
    /// An exception was thrown (`State::exn`, at `State::ip`): the
    /// trampoline unwinds (`exceptions.rs`).
    Throw,
    /// The frame continues in native code (`State::osr`, `osr.rs`).
    Osr,
}

/// Per-instance state.
#[derive(Clone, Copy)]
pub(super) struct Ctx {
    pub(super) funcs: *const u32,
    pub(super) globals: *const GlobalPtr,
    /// The instance's module's call counters (`TierState::counters`).
    pub(super) counters: *const AtomicU32,
    /// The instance's module's translated code (`ModuleInner::compiled`).
    pub(super) code: *const OnceLock<Arc<CompiledFunc>>,
    /// The store index of the instance's first defined function, and
    /// their number.
    pub(super) def_base: u32,
    pub(super) def_len: u32,
    /// Their signatures (`InstanceEntity::sigs`).
    pub(super) sigs: *const crate::memory::image::FuncSig,
}

/// A call `run` hands to the executor to run natively.
pub(super) struct NativeCall {
    pub func: u32,
    pub instance: u32,
    pub base: usize,
    pub params: usize,
    pub results: usize,
}

/// A host function call `run` hands to the executor.
pub(super) struct HostCall {
    pub host: u32,
    pub base: usize,
    pub params: usize,
    pub results: usize,
}

/// Everything a handler may need beyond the register-passed hot state.
pub(crate) struct State {
    pub(super) inner: *mut StoreInner,
    pub(super) ctx: Ctx,
    pub(super) cur_inst: u32,
    /// Slot index of the current frame base.
    pub(super) base: usize,
    pub(super) ip: *const Op,
    pub(super) sp: *mut u64,
    pub(super) mem: *mut u8,
    pub(super) len: usize,
    #[cfg_attr(not(wasp_tail), allow(dead_code))]
    pub(super) stack_floor: usize,
    /// Requests from other threads (see `attention.rs`); checked at
    /// backward branches, calls and returns.
    pub(super) attention: *const super::attention::Attention,
    /// Fuel left (`Fuel` instructions charge it; only emitted when the
    /// engine consumes fuel). Copied from and back to the store's stack.
    pub(super) fuel: u64,
    pub(super) trap: TrapCode,
    pub(super) host: Option<HostCall>,
    pub(super) native: Option<NativeCall>,
    pub(super) osr: Option<super::osr::OsrCall>,
    pub(super) error: Option<Error>,
    /// The exception being thrown (its store heap index).
    pub(super) exn: u32,
}

impl State {
    /// Reloads the instance context and memory after switching to `inst`.
    #[cold]
    #[inline(never)]
    pub(super) fn load_instance(&mut self, inst: u32) {
        // SAFETY: `inner` is the store borrowed mutably by `run` for the whole execution.
        let inner = unsafe { &mut *self.inner };
        let i = &inner.instances[inst as usize];
        self.ctx = Ctx {
            funcs: i.funcs.as_ptr(),
            globals: i.global_ptrs.as_ptr(),
            counters: i.module.inner.tier.counters.as_ptr(),
            code: i.module.inner.compiled.as_ptr(),
            def_base: i.def_base,
            def_len: i.sigs.len() as u32,
            sigs: i.sigs.as_ptr(),
        };
        self.cur_inst = inst;
        self.reload_memory();
    }

    fn reload_memory(&mut self) {
        // SAFETY: as above.
        let inner = unsafe { &mut *self.inner };
        let i = &inner.instances[self.cur_inst as usize];
        (self.mem, self.len) = match i.memories.first() {
            Some(&m) => {
                let d = &mut inner.memories[m as usize].data;
                (d.as_mut_ptr(), d.len())
            }
            None => (std::ptr::NonNull::dangling().as_ptr(), 0),
        };
    }
}

/// How far a chain of handlers that were not tail-call optimised may grow the
/// native stack before the guard unwinds it.
#[cfg(wasp_tail)]
const STACK_SLACK: usize = 256 * 1024;

/// Translates store function `func` if needed; returns its code and instance.
pub(super) fn code_of(
    inner: &mut StoreInner,
    func: u32,
) -> Result<(Arc<CompiledFunc>, u32), Error> {
    let FuncKind::Wasm { instance, def } = inner.func(func).kind else {
        unreachable!("code_of is only called on wasm functions")
    };
    let code = inner.instances[instance as usize]
        .module
        .inner
        .compiled_func(def)?;
    Ok((code, instance))
}

/// Sets up the frame of wasm function `func` at slot `base` (arguments already
/// in place) as the entry of a new execution.
pub(crate) fn enter(inner: &mut StoreInner, func: u32, base: usize) -> Result<ExecState, Exit> {
    let (code, instance) = code_of(inner, func).map_err(Exit::Error)?;
    let end = base + code.frame_size as usize;
    if end > inner.stack.slots.len() {
        inner.stack.grow(end).map_err(Exit::Trap)?;
    }
    if inner.stack.frames.len() >= inner.stack.max_frames {
        return Err(Exit::Trap(TrapCode::StackExhausted));
    }
    if inner.stack.frames.capacity() == 0 {
        // A fresh store's first call: room for the frames `fast_call`
        // pushes without reallocating.
        inner.stack.frames.reserve(64);
    }
    inner.stack.frames.push(Frame {
        ret_ip: std::ptr::null(),
        ret_base: 0,
        ret_instance: 0,
        func,
    });
    let p = base + code.params as usize;
    inner.stack.slots[p..p + code.locals as usize].fill(0);
    Ok(ExecState {
        ip: code.instrs.as_ptr(),
        base,
        instance,
        throw: None,
    })
}

/// Runs until the outermost frame returns, a host function must be called, or a trap.
pub(crate) fn run(inner: &mut StoreInner, es: &mut ExecState) -> Exit {
    // SAFETY: `es.base` is a frame base set up by `enter` or a call, within `slots`.
    let sp = unsafe { inner.stack.slots.as_mut_ptr().add(es.base) };
    let mut st = State {
        inner,
        ctx: Ctx {
            funcs: std::ptr::null(),
            globals: std::ptr::null(),
            counters: std::ptr::null(),
            code: std::ptr::null(),
            def_base: 0,
            def_len: 0,
            sigs: std::ptr::null(),
        },
        cur_inst: es.instance,
        base: es.base,
        ip: es.ip,
        sp,
        mem: std::ptr::null_mut(),
        len: 0,
        stack_floor: 0,
        attention: std::sync::Arc::as_ptr(&inner.stack.attention),
        fuel: inner.stack.fuel,
        trap: TrapCode::Unreachable,
        host: None,
        native: None,
        osr: None,
        error: None,
        exn: 0,
    };
    st.load_instance(es.instance);
    // An exception a host function (or native code) called from here threw:
    // thrown on at the call, the instruction before the resume point.
    let caught = match es.throw.take() {
        None => true,
        Some(exn) => {
            st.exn = exn;
            // SAFETY: `es.ip` follows the call instruction in the same code.
            let at = unsafe { st.ip.sub(1) };
            super::exceptions::unwind(&mut st, at)
        }
    };
    #[cfg(wasp_tail)]
    {
        st.stack_floor = native_sp().saturating_sub(STACK_SLACK);
    }
    let signal = if !caught {
        Signal::Throw
    } else {
        loop {
            // SAFETY: `st.ip` points at an instruction of the current function and
            // the hot state matches the current frame and instance.
            let s = unsafe { ((*st.ip).handler)(st.ip, st.sp, st.mem, st.len, &mut st) };
            if s != Signal::Resume {
                if s == Signal::Throw {
                    let at = st.ip;
                    if super::exceptions::unwind(&mut st, at) {
                        continue;
                    }
                }
                break s;
            }
            // SAFETY: the word is owned by the store, alive for the whole run.
            if unsafe { &*st.attention }.pending() {
                if let Some(s) = super::attention::attend(&mut st) {
                    break s;
                }
            }
        }
    };
    st.inner().stack.fuel = st.fuel;
    match signal {
        Signal::Return => Exit::Return,
        Signal::Trap => {
            es.base = st.base;
            Exit::Trap(st.trap)
        }
        Signal::Error => Exit::Error(st.error.take().expect("error signal carries an error")),
        Signal::Throw => Exit::Exception(st.exn),
        Signal::Osr => Exit::Osr(st.osr.take().expect("osr signal carries a call")),
        Signal::Host => {
            let h = st.host.take().expect("host signal carries a call");
            es.ip = st.ip;
            es.base = st.base;
            es.instance = st.cur_inst;
            Exit::Host {
                host: h.host,
                base: h.base,
                params: h.params,
                results: h.results,
                instance: st.cur_inst,
            }
        }
        Signal::Native => {
            let n = st.native.take().expect("native signal carries a call");
            es.ip = st.ip;
            es.base = st.base;
            es.instance = st.cur_inst;
            Exit::Native {
                func: n.func,
                instance: n.instance,
                base: n.base,
                params: n.params,
                results: n.results,
            }
        }
        Signal::Resume => unreachable!(),
    }
}

/// Continues with the instruction at `$ip`.
#[cfg(wasp_tail)]
macro_rules! dispatch {
    ($ip:expr, $sp:expr, $mem:expr, $len:expr, $st:expr) => {{
        let ip: *const Op = $ip;
        return ((*ip).handler)(ip, $sp, $mem, $len, $st);
    }};
}
#[cfg(not(wasp_tail))]
macro_rules! dispatch {
    ($ip:expr, $sp:expr, $mem:expr, $len:expr, $st:expr) => {{
        let st: &mut State = $st;
        st.ip = $ip;
        st.sp = $sp;
        st.mem = $mem;
        st.len = $len;
        return Signal::Resume;
    }};
}

/// Returns to the trampoline if the native stack grew past the floor.
#[cfg(wasp_tail)]
macro_rules! guard {
    ($ip:expr, $sp:expr, $mem:expr, $len:expr, $st:expr) => {{
        if $crate::exec::native_sp::native_sp() < $st.stack_floor || (*$st.attention).pending() {
            $st.ip = $ip;
            $st.sp = $sp;
            $st.mem = $mem;
            $st.len = $len;
            return Signal::Resume;
        }
    }};
}
#[cfg(not(wasp_tail))]
macro_rules! guard {
    ($($t:tt)*) => {};
}

macro_rules! operands {
    ($ip:ident, $v:ident { $($f:tt)* }) => {
        let Instr::$v { $($f)* } = (*$ip).instr else {
            // SAFETY: handlers are only installed for their own variant (`op_of`).
            unsafe { std::hint::unreachable_unchecked() }
        };
    };
}

macro_rules! get {
    ($sp:ident, $x:expr) => {
        *$sp.add($x as usize)
    };
}
macro_rules! set {
    ($sp:ident, $x:expr, $v:expr) => {{
        let v = $v;
        *$sp.add($x as usize) = v;
    }};
}
macro_rules! trap {
    ($st:ident, $code:expr) => {{
        return $st.set_trap($code);
    }};
}
macro_rules! next {
    ($ip:ident, $sp:ident, $mem:ident, $len:ident, $st:ident) => {
        dispatch!($ip.add(1), $sp, $mem, $len, $st)
    };
}
macro_rules! jump {
    ($ip:ident, $sp:ident, $mem:ident, $len:ident, $st:ident, $off:expr) => {{
        let off = $off;
        let t = $ip.offset(off as isize);
        if off <= 0 {
            guard!(t, $sp, $mem, $len, $st);
        }
        dispatch!(t, $sp, $mem, $len, $st)
    }};
}
/// Effective address of an access of `$n` bytes, or a trap.
macro_rules! addr {
    ($st:ident, $len:ident, $a:expr, $off:expr, $n:expr) => {{
        let ea = ($a as u32 as u64) + ($off as u64);
        if ea + $n > $len as u64 {
            trap!($st, TrapCode::MemoryOutOfBounds)
        }
        ea as usize
    }};
}

/// Effective address of an access of `$n` bytes at the i64 address `$a`
/// (memory64), or a trap; cannot overflow: the offset is at most
/// `u32::MAX` (larger ones translate to `MemoryTrap`).
macro_rules! addr64 {
    ($st:ident, $len:ident, $a:expr, $off:expr, $n:expr) => {{
        match ($a as u64).checked_add($off as u64 + $n) {
            Some(end) if end <= $len as u64 => (end - $n) as usize,
            _ => trap!($st, TrapCode::MemoryOutOfBounds),
        }
    }};
}

macro_rules! gen_handlers {
    (
        bin: [$(($b:ident, $bi:ident, $bf:ident, $bo:ident, $bp:ident)),* $(,)?],
        bin_trap: [$(($t:ident, $ti:ident, $tf:ident, $to:ident, $tp:ident)),* $(,)?],
        un: [$(($u:ident, $uf:ident, $uo:ident)),* $(,)?],
        un_trap: [$(($ut:ident, $utf:ident, $uto:ident)),* $(,)?],
        cmp: [$(($c:ident, $ci:ident, $cb:ident, $cbi:ident, $cf:ident, $co:ident, $cn:ident, $cni:ident, $cp:ident)),* $(,)?],
        load: [$(($l:ident, $la:ident, $lm:ident, $lw:ident, $ln:literal, $lf:ident)),* $(,)?],
        store: [$(($s:ident, $si:ident, $sm:ident, $sw:ident, $sn:literal)),* $(,)?]
    ) => {
        /// One module per generated handler, named after its instruction.
        #[allow(non_snake_case)]
        mod gen {
            // SAFETY (all handlers): slot indices are below the frame size
            // (translator invariant) and memory accesses are bounds-checked by `addr!`.
            $(
            pub(super) mod $b { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $b { dst, lhs, rhs });
                    set!(sp, dst, $bf(get!(sp, lhs), get!(sp, rhs)));
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $bi { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $bi { dst, lhs, imm });
                    set!(sp, dst, $bf(get!(sp, lhs), imm as i64 as u64));
                    next!(ip, sp, mem, len, st)
                } }
            )*
            $(
            pub(super) mod $t { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $t { dst, lhs, rhs });
                    match $tf(get!(sp, lhs), get!(sp, rhs)) { Ok(v) => set!(sp, dst, v), Err(c) => trap!(st, c) }
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $ti { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $ti { dst, lhs, imm });
                    match $tf(get!(sp, lhs), imm as i64 as u64) { Ok(v) => set!(sp, dst, v), Err(c) => trap!(st, c) }
                    next!(ip, sp, mem, len, st)
                } }
            )*
            $(
            pub(super) mod $u { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $u { dst, src });
                    set!(sp, dst, $uf(get!(sp, src)));
                    next!(ip, sp, mem, len, st)
                } }
            )*
            $(
            pub(super) mod $ut { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $ut { dst, src });
                    match $utf(get!(sp, src)) { Ok(v) => set!(sp, dst, v), Err(c) => trap!(st, c) }
                    next!(ip, sp, mem, len, st)
                } }
            )*
            $(
            pub(super) mod $c { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $c { dst, lhs, rhs });
                    set!(sp, dst, $cf(get!(sp, lhs), get!(sp, rhs)));
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $ci { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $ci { dst, lhs, imm });
                    set!(sp, dst, $cf(get!(sp, lhs), imm as i64 as u64));
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $cb { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $cb { lhs, rhs, offset });
                    if $cf(get!(sp, lhs), get!(sp, rhs)) != 0 { jump!(ip, sp, mem, len, st, offset) }
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $cbi { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $cbi { lhs, imm, offset });
                    if $cf(get!(sp, lhs), imm as i64 as u64) != 0 { jump!(ip, sp, mem, len, st, offset) }
                    next!(ip, sp, mem, len, st)
                } }
            )*
            $(
            pub(super) mod $l { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $l { dst, addr, offset });
                    let ea = addr!(st, len, get!(sp, addr), offset, $ln);
                    set!(sp, dst, $lf(std::ptr::read_unaligned(mem.add(ea) as *const [u8; $ln])));
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $la { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $la { dst, addr });
                    let ea = addr!(st, len, addr, 0u32, $ln);
                    set!(sp, dst, $lf(std::ptr::read_unaligned(mem.add(ea) as *const [u8; $ln])));
                    next!(ip, sp, mem, len, st)
                } }
            )*
            $(
            pub(super) mod $s { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $s { addr, src, offset });
                    let ea = addr!(st, len, get!(sp, addr), offset, $sn);
                    let bytes = get!(sp, src).to_le_bytes();
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), mem.add(ea), $sn);
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $si { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $si { addr, imm, offset });
                    let ea = addr!(st, len, get!(sp, addr), offset, $sn);
                    let bytes = (imm as i64 as u64).to_le_bytes();
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), mem.add(ea), $sn);
                    next!(ip, sp, mem, len, st)
                } }
            )*
            // Accesses of a memory by index (`M`: 32-bit, `W`: memory64):
            // the memory's base and length are looked up per access.
            $(
            pub(super) mod $lm { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $lm { dst, addr, offset, mem: m });
                    let (base, size) = st.memory_view(m);
                    let ea = addr!(st, size, get!(sp, addr), offset, $ln);
                    set!(sp, dst, $lf(std::ptr::read_unaligned(base.add(ea) as *const [u8; $ln])));
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $lw { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $lw { dst, addr, offset, mem: m });
                    let (base, size) = st.memory_view(m);
                    let ea = addr64!(st, size, get!(sp, addr), offset, $ln);
                    set!(sp, dst, $lf(std::ptr::read_unaligned(base.add(ea) as *const [u8; $ln])));
                    next!(ip, sp, mem, len, st)
                } }
            )*
            $(
            pub(super) mod $sm { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $sm { addr, src, offset, mem: m });
                    let (base, size) = st.memory_view(m);
                    let ea = addr!(st, size, get!(sp, addr), offset, $sn);
                    let bytes = get!(sp, src).to_le_bytes();
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(ea), $sn);
                    next!(ip, sp, mem, len, st)
                } }
            pub(super) mod $sw { use super::super::*;
                pub(crate) unsafe fn h(ip: *const Op, sp: *mut u64, mem: *mut u8, len: usize, st: &mut State) -> Signal {
                    operands!(ip, $sw { addr, src, offset, mem: m });
                    let (base, size) = st.memory_view(m);
                    let ea = addr64!(st, size, get!(sp, addr), offset, $sn);
                    let bytes = get!(sp, src).to_le_bytes();
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(ea), $sn);
                    next!(ip, sp, mem, len, st)
                } }
            )*
        }

        /// Pairs an instruction with its handler.
        pub(crate) fn op_of(instr: Instr) -> Op {
            use super::handlers as h;
            let handler: Handler = match instr {
                $( Instr::$b { .. } => gen::$b::h, Instr::$bi { .. } => gen::$bi::h, )*
                $( Instr::$t { .. } => gen::$t::h, Instr::$ti { .. } => gen::$ti::h, )*
                $( Instr::$u { .. } => gen::$u::h, )*
                $( Instr::$ut { .. } => gen::$ut::h, )*
                $( Instr::$c { .. } => gen::$c::h, Instr::$ci { .. } => gen::$ci::h,
                   Instr::$cb { .. } => gen::$cb::h, Instr::$cbi { .. } => gen::$cbi::h, )*
                $( Instr::$l { .. } => gen::$l::h, Instr::$la { .. } => gen::$la::h, )*
                $( Instr::$s { .. } => gen::$s::h, Instr::$si { .. } => gen::$si::h, )*
                $( Instr::$lm { .. } => gen::$lm::h, Instr::$lw { .. } => gen::$lw::h, )*
                $( Instr::$sm { .. } => gen::$sm::h, Instr::$sw { .. } => gen::$sw::h, )*
                Instr::MemorySizeX { .. } => super::mem::memory_size_x,
                Instr::MemoryGrowX { .. } => super::mem::memory_grow_x,
                Instr::MemoryFillX { .. } => super::mem::memory_fill_x,
                Instr::MemoryCopyX { .. } => super::mem::memory_copy_x,
                Instr::MemoryInitX { .. } => super::mem::memory_init_x,
                Instr::MemoryTrap => super::mem::memory_trap,
                Instr::I64Add128 { .. } => super::mem::i64_add128,
                Instr::I64Sub128 { .. } => super::mem::i64_sub128,
                Instr::I64MulWideS { .. } => super::mem::i64_mul_wide_s,
                Instr::I64MulWideU { .. } => super::mem::i64_mul_wide_u,
                Instr::StructNew { .. } => super::gc::struct_new,
                Instr::StructNewDefault { .. } => super::gc::struct_new_default,
                Instr::StructGet { .. } => super::gc::struct_get,
                Instr::StructSet { .. } => super::gc::struct_set,
                Instr::ArrayNew { .. } => super::gc::array_new,
                Instr::ArrayNewDefault { .. } => super::gc::array_new_default,
                Instr::ArrayNewFixed { .. } => super::gc::array_new_fixed,
                Instr::ArrayNewData { .. } => super::gc::array_new_data,
                Instr::ArrayNewElem { .. } => super::gc::array_new_elem,
                Instr::ArrayGet { .. } => super::gc::array_get,
                Instr::ArraySet { .. } => super::gc::array_set,
                Instr::ArrayLen { .. } => super::gc::array_len,
                Instr::ArrayFill { .. } => super::gc::array_fill,
                Instr::ArrayCopy { .. } => super::gc::array_copy,
                Instr::ArrayInitData { .. } => super::gc::array_init_data,
                Instr::ArrayInitElem { .. } => super::gc::array_init_elem,
                Instr::RefI31 { .. } => super::gc::ref_i31,
                Instr::I31Get { .. } => super::gc::i31_get,
                Instr::RefTest { .. } => super::gc::ref_test,
                Instr::RefCast { .. } => super::gc::ref_cast,
                Instr::Unreachable => h::unreachable,
                Instr::Br { .. } => h::br,
                Instr::BrIfNez { .. } => h::br_if_nez,
                Instr::BrIfEqz { .. } => h::br_if_eqz,
                Instr::BrIfNez64 { .. } => h::br_if_nez64,
                Instr::BrIfEqz64 { .. } => h::br_if_eqz64,
                Instr::BrTable { .. } => h::br_table,
                Instr::Return => h::ret,
                Instr::Return1 { .. } => h::ret1,
                Instr::Return1Imm { .. } => h::ret1_imm,
                Instr::Call { .. } => h::call,
                Instr::CallImm { .. } => h::call_imm,
                Instr::CallIndirect { .. } => h::call_indirect,
                Instr::ReturnCall { .. } => super::tail::return_call,
                Instr::ReturnCallIndirect { .. } => super::tail::return_call_indirect,
                Instr::CallRef { .. } => super::tail::call_ref,
                Instr::ReturnCallRef { .. } => super::tail::return_call_ref,
                Instr::RefAsNonNull { .. } => super::tail::ref_as_non_null,
                Instr::Copy { .. } => h::copy,
                Instr::Copy2 { .. } => h::copy2,
                Instr::Const32 { .. } => h::const32,
                Instr::Const64 { .. } => h::const64,
                Instr::Select { .. } => h::select,
                Instr::GlobalGet { .. } => h::global_get,
                Instr::GlobalSet { .. } => h::global_set,
                Instr::MemorySize { .. } => h::memory_size,
                Instr::MemoryGrow { .. } => h::memory_grow,
                Instr::MemoryFill { .. } => h::memory_fill,
                Instr::MemoryCopy { .. } => h::memory_copy,
                Instr::MemoryInit { .. } => h::memory_init,
                Instr::DataDrop { .. } => h::data_drop,
                Instr::TableGet { .. } => h::table_get,
                Instr::TableSet { .. } => h::table_set,
                Instr::TableSize { .. } => h::table_size,
                Instr::TableGrow { .. } => h::table_grow,
                Instr::TableFill { .. } => h::table_fill,
                Instr::TableCopy { .. } => h::table_copy,
                Instr::TableInit { .. } => h::table_init,
                Instr::ElemDrop { .. } => h::elem_drop,
                Instr::RefFunc { .. } => h::ref_func,
                Instr::Fuel { .. } => h::fuel,
                Instr::V128Bin { .. } | Instr::V128Shift { .. } | Instr::V128Un { .. }
                | Instr::V128Test { .. } | Instr::V128Splat { .. } | Instr::V128Tern { .. }
                | Instr::V128Extract { .. } | Instr::V128Replace { .. } | Instr::V128Load { .. }
                | Instr::V128LoadExt { .. } | Instr::V128Store { .. } | Instr::V128LoadLane { .. }
                | Instr::V128StoreLane { .. } | Instr::V128GlobalGet { .. }
                | Instr::V128GlobalSet { .. } | Instr::V128LoadX { .. } | Instr::V128LoadExtX { .. }
                | Instr::V128StoreX { .. } | Instr::V128LoadLaneX { .. }
                | Instr::V128StoreLaneX { .. } => super::simd::handler(&instr),
                Instr::Throw { .. } => super::exceptions::throw,
                Instr::ThrowRef { .. } => super::exceptions::throw_ref,
            };
            Op { handler, instr }
        }
    };
}
for_each_numeric!(gen_handlers);

pub(super) use super::calls::{do_call, do_return, do_tail_call, fast_call};
pub(crate) use {dispatch, get, guard, jump, next, operands, set, trap};

impl State {
    pub(super) fn inner(&mut self) -> &mut StoreInner {
        // SAFETY: `inner` is the store borrowed mutably by `run`.
        unsafe { &mut *self.inner }
    }
    pub(super) fn instance(&mut self) -> &mut crate::store::InstanceEntity {
        let i = self.cur_inst as usize;
        &mut self.inner().instances[i]
    }
    pub(super) fn global(&self, index: u32) -> *mut u64 {
        // SAFETY: `index` is a validated global index of the current instance.
        unsafe { (*self.ctx.globals.add(index as usize)).0 }
    }
    /// The engine type id of store function `callee` (`call_indirect`'s
    /// check): read from the current instance's signatures when it is one
    /// of its defined functions, else from the store.
    #[inline(always)]
    pub(super) fn callee_ty(&self, callee: u32) -> u32 {
        let def = callee.wrapping_sub(self.ctx.def_base);
        if def < self.ctx.def_len {
            // SAFETY: `def` is below the count of the signatures `ctx.sigs`
            // points at (the current instance's, kept alive by its entity).
            return unsafe { (*self.ctx.sigs.add(def as usize)).ty };
        }
        // SAFETY: `inner` is the store borrowed mutably by `run`; this
        // shared use ends before the caller touches the store again.
        unsafe { &*self.inner }.func(callee).ty
    }
    pub(super) fn func(&self, index: u32) -> u32 {
        // SAFETY: `index` is a validated function index of the current instance.
        unsafe { *self.ctx.funcs.add(index as usize) }
    }
    pub(super) fn base_index(&self) -> usize {
        self.base
    }
    /// Records the caller's memory view (so a call that stays in this
    /// instance keeps it) before `do_call`.
    pub(super) fn keep_memory(&mut self, mem: *mut u8, len: usize) {
        (self.mem, self.len) = (mem, len);
    }
    /// The hot state after `do_call`/`do_return` updated it.
    pub(super) fn hot_after_switch(&self) -> (*const Op, *mut u64, *mut u8, usize) {
        (self.ip, self.sp, self.mem, self.len)
    }
    pub(super) fn memory_after_grow(&mut self) -> (*mut u8, usize) {
        self.reload_memory();
        (self.mem, self.len)
    }
    /// Base and length of the current instance's memory `index` (any
    /// memory: the hot state holds only memory 0's).
    pub(super) fn memory_view(&mut self, index: u16) -> (*mut u8, usize) {
        let d = &mut self.memory(index as u32).data;
        (d.as_mut_ptr(), d.len())
    }
    /// The current instance's memory `index`.
    pub(super) fn memory(&mut self, index: u32) -> &mut crate::store::MemoryEntity {
        // SAFETY: `inner` is the store borrowed mutably by `run`.
        let inner = unsafe { &mut *self.inner };
        let m = inner.instances[self.cur_inst as usize].memories[index as usize];
        &mut inner.memories[m as usize]
    }
    /// Continues at `ip` in the current frame (a catch handler): the hot
    /// state is reloaded from the frame base and the instance's memory.
    pub(super) fn resume_at(&mut self, ip: *const Op) {
        // SAFETY: `base` is the current frame's base, within `slots`.
        self.sp = unsafe { self.inner().stack.slots.as_mut_ptr().add(self.base) };
        self.ip = ip;
        self.reload_memory();
    }
    /// Makes the caller's frame (at `base`, of instance `instance`) the
    /// current one while unwinding.
    pub(super) fn switch_frame(&mut self, base: usize, instance: u32) {
        self.base = base;
        if instance != self.cur_inst {
            self.load_instance(instance);
        }
    }
    pub(super) fn set_trap(&mut self, c: TrapCode) -> Signal {
        self.trap = c;
        Signal::Trap
    }
}
