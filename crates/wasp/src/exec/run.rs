//! The interpreter loop over the register IR.
//!
//! Hot state lives in locals: the instruction pointer `ip`, the frame base
//! pointer `sp`, and the current instance's function table, global map and
//! memory base/length (`Ctx`). They are reloaded after anything that may move
//! them: a call or return into another instance, `memory.grow`, stack growth.
//!
//! Slot accesses are unchecked: the translator only emits slot indices below
//! the function's `frame_size`, and a call only enters a function after making
//! sure `base + frame_size` slots exist.

use super::num::*;
use super::{ExecState, Exit, Frame};
use crate::error::TrapCode;
use crate::ir::{for_each_numeric, CompiledFunc, Instr};
use crate::store::{FuncKind, GlobalEntity, StoreInner};
use std::sync::Arc;

/// Per-instance state cached in locals.
#[derive(Clone, Copy)]
struct Ctx {
    funcs: *const u32,
    globals: *const u32,
    gbase: *mut GlobalEntity,
    mem: *mut u8,
    mem_len: usize,
}

impl Ctx {
    fn load(inner: &mut StoreInner, inst: u32) -> Ctx {
        let i = &inner.instances[inst as usize];
        let funcs = i.funcs.as_ptr();
        let globals = i.globals.as_ptr();
        let mem_idx = i.memories.first().copied();
        let (mem, mem_len) = match mem_idx {
            Some(m) => {
                let d = &mut inner.memories[m as usize].data;
                (d.as_mut_ptr(), d.len())
            }
            None => (std::ptr::NonNull::dangling().as_ptr(), 0),
        };
        Ctx {
            funcs,
            globals,
            gbase: inner.globals.as_mut_ptr(),
            mem,
            mem_len,
        }
    }
}

/// Translates store function `func` if needed; returns its code and instance.
fn code_of(inner: &mut StoreInner, func: u32) -> Result<(Arc<CompiledFunc>, u32), Exit> {
    let (instance, def) = match &inner.funcs[func as usize].kind {
        FuncKind::Wasm {
            instance,
            code: Some(code),
            ..
        } => return Ok((code.clone(), *instance)),
        FuncKind::Wasm { instance, def, .. } => (*instance, *def),
        FuncKind::Host(_) => unreachable!("code_of is only called on wasm functions"),
    };
    let module = inner.instances[instance as usize].module.clone();
    let code = module.inner.compiled_func(def).map_err(Exit::Error)?;
    if let FuncKind::Wasm { code: slot, .. } = &mut inner.funcs[func as usize].kind {
        *slot = Some(code.clone());
    }
    Ok((code, instance))
}

/// Sets up the frame of wasm function `func` at slot `base` (arguments already
/// in place) as the entry of a new execution.
pub(crate) fn enter(inner: &mut StoreInner, func: u32, base: usize) -> Result<ExecState, Exit> {
    let (code, instance) = code_of(inner, func)?;
    let end = base + code.frame_size as usize;
    if end > inner.stack.slots.len() {
        inner.stack.grow(end).map_err(Exit::Trap)?;
    }
    if inner.stack.frames.len() >= inner.stack.max_frames {
        return Err(Exit::Trap(TrapCode::StackExhausted));
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
    })
}

macro_rules! gen_run {
    (
        bin: [$(($b:ident, $bi:ident, $bf:ident, $bo:ident)),* $(,)?],
        bin_trap: [$(($t:ident, $ti:ident, $tf:ident, $to:ident)),* $(,)?],
        un: [$(($u:ident, $uf:ident, $uo:ident)),* $(,)?],
        un_trap: [$(($ut:ident, $utf:ident, $uto:ident)),* $(,)?],
        cmp: [$(($c:ident, $ci:ident, $cb:ident, $cbi:ident, $cf:ident, $co:ident, $cn:ident, $cni:ident)),* $(,)?],
        load: [$(($l:ident, $la:ident, $ln:literal, $lf:ident)),* $(,)?],
        store: [$(($s:ident, $si:ident, $sn:literal)),* $(,)?]
    ) => {
/// Runs until the outermost frame returns, a host function must be called, or a trap.
#[allow(unused_unsafe)]
pub(crate) fn run(inner: &mut StoreInner, st: &mut ExecState) -> Exit {
    let mut ip = st.ip;
    let mut base = st.base;
    let mut cur_inst = st.instance;
    // SAFETY: `base` is a frame base set up by `enter` or a call, within `slots`.
    let mut sp: *mut u64 = unsafe { inner.stack.slots.as_mut_ptr().add(base) };
    let mut ctx = Ctx::load(inner, cur_inst);

    // SAFETY (for all slot accesses below): slot indices come from the
    // translator, which keeps them below the function's frame_size, and the
    // frame [base, base + frame_size) is inside `slots` (checked on entry).
    macro_rules! get { ($x:expr) => { unsafe { *sp.add($x as usize) } }; }
    macro_rules! set { ($x:expr, $v:expr) => {{ let v = $v; unsafe { *sp.add($x as usize) = v; } }}; }
    macro_rules! trap { ($code:expr) => {{ return Exit::Trap($code); }}; }
    macro_rules! next { () => {{ ip = unsafe { ip.add(1) }; continue; }}; }
    // SAFETY: branch offsets are computed by the translator and land on an
    // instruction of the same function.
    macro_rules! jump { ($off:expr) => {{ ip = unsafe { ip.offset($off as isize) }; continue; }}; }
    macro_rules! addr {
        ($a:expr, $off:expr, $n:expr) => {{
            let ea = ($a as u32 as u64) + ($off as u64);
            if ea + $n > ctx.mem_len as u64 { trap!(TrapCode::MemoryOutOfBounds) }
            ea as usize
        }};
    }
    // SAFETY: `ea + N <= mem_len` was checked by `addr!`, and `mem`/`mem_len`
    // describe the current instance's memory (reloaded whenever it can change).
    macro_rules! load { ($ea:expr, $n:literal) => { unsafe { std::ptr::read_unaligned(ctx.mem.add($ea) as *const [u8; $n]) } }; }
    macro_rules! store { ($ea:expr, $n:literal, $v:expr) => {{
        let bytes = ($v as u64).to_le_bytes();
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ctx.mem.add($ea), $n) }
    }}; }
    macro_rules! global { ($i:expr) => { unsafe { &mut *ctx.gbase.add(*ctx.globals.add($i as usize) as usize) } }; }
    macro_rules! inst { () => { &inner.instances[cur_inst as usize] }; }

    loop {
        // SAFETY: `ip` always points into the current function's code, which
        // ends with a return, so the loop never runs past it.
        let instr = unsafe { *ip };
        match instr {
            $( Instr::$b { dst, lhs, rhs } => { set!(dst, $bf(get!(lhs), get!(rhs))); next!() }
               Instr::$bi { dst, lhs, imm } => { set!(dst, $bf(get!(lhs), imm as i64 as u64)); next!() } )*
            $( Instr::$t { dst, lhs, rhs } => {
                   match $tf(get!(lhs), get!(rhs)) { Ok(v) => set!(dst, v), Err(c) => trap!(c) } next!() }
               Instr::$ti { dst, lhs, imm } => {
                   match $tf(get!(lhs), imm as i64 as u64) { Ok(v) => set!(dst, v), Err(c) => trap!(c) } next!() } )*
            $( Instr::$u { dst, src } => { set!(dst, $uf(get!(src))); next!() } )*
            $( Instr::$ut { dst, src } => { match $utf(get!(src)) { Ok(v) => set!(dst, v), Err(c) => trap!(c) } next!() } )*
            $( Instr::$c { dst, lhs, rhs } => { set!(dst, $cf(get!(lhs), get!(rhs))); next!() }
               Instr::$ci { dst, lhs, imm } => { set!(dst, $cf(get!(lhs), imm as i64 as u64)); next!() }
               Instr::$cb { lhs, rhs, offset } => { if $cf(get!(lhs), get!(rhs)) != 0 { jump!(offset) } next!() }
               Instr::$cbi { lhs, imm, offset } => { if $cf(get!(lhs), imm as i64 as u64) != 0 { jump!(offset) } next!() } )*
            $( Instr::$l { dst, addr, offset } => {
                   let ea = addr!(get!(addr), offset, $ln); set!(dst, $lf(load!(ea, $ln))); next!() }
               Instr::$la { dst, addr } => {
                   let ea = addr!(addr, 0u32, $ln); set!(dst, $lf(load!(ea, $ln))); next!() } )*
            $( Instr::$s { addr, src, offset } => {
                   let ea = addr!(get!(addr), offset, $sn); store!(ea, $sn, get!(src)); next!() }
               Instr::$si { addr, imm, offset } => {
                   let ea = addr!(get!(addr), offset, $sn); store!(ea, $sn, imm as i64); next!() } )*

            Instr::Unreachable => trap!(TrapCode::Unreachable),
            Instr::Br { offset } => jump!(offset),
            Instr::BrIfNez { cond, offset } => { if get!(cond) as u32 != 0 { jump!(offset) } next!() }
            Instr::BrIfEqz { cond, offset } => { if get!(cond) as u32 == 0 { jump!(offset) } next!() }
            Instr::BrIfNez64 { cond, offset } => { if get!(cond) != 0 { jump!(offset) } next!() }
            Instr::BrIfEqz64 { cond, offset } => { if get!(cond) == 0 { jump!(offset) } next!() }
            Instr::BrTable { index, len } => {
                let i = (get!(index) as u32).min(len);
                jump!(1 + i as isize)
            }
            Instr::Copy { dst, src } => { set!(dst, get!(src)); next!() }
            Instr::Const32 { dst, val } => { set!(dst, val as u64); next!() }
            Instr::Const64 { dst, lo, hi } => { set!(dst, lo as u64 | (hi as u64) << 32); next!() }
            Instr::Select { dst, cond, a, b } => {
                set!(dst, if get!(cond) as u32 != 0 { get!(a) } else { get!(b) }); next!()
            }
            Instr::GlobalGet { dst, index } => { set!(dst, global!(index).value); next!() }
            Instr::GlobalSet { src, index } => { global!(index).value = get!(src); next!() }
            Instr::Return1 { src } => {
                set!(0, get!(src));
                match ret(inner, &mut ip, &mut base, &mut sp, &mut cur_inst, &mut ctx) {
                    true => continue,
                    false => return Exit::Return,
                }
            }
            Instr::Return => {
                match ret(inner, &mut ip, &mut base, &mut sp, &mut cur_inst, &mut ctx) {
                    true => continue,
                    false => return Exit::Return,
                }
            }
            Instr::Call { func, base: b } => {
                // SAFETY: `func` indexes the instance's function table (validated).
                let callee = unsafe { *ctx.funcs.add(func as usize) };
                ip = unsafe { ip.add(1) };
                let new_base = base + b as usize;
                if let Some(exit) = call(inner, callee, new_base, &mut ip, &mut base, &mut sp, &mut cur_inst, &mut ctx) {
                    if let Exit::Host { .. } = exit { *st = ExecState { ip, base, instance: cur_inst }; }
                    return exit;
                }
            }
            Instr::CallIndirect { ty, index, base: b, table } => {
                let t = inst!().tables[table as usize];
                let i = get!(index) as u32 as usize;
                let elems = &inner.tables[t as usize].elems;
                if i >= elems.len() { trap!(TrapCode::UndefinedElement) }
                let r = elems[i];
                if r == 0 { trap!(TrapCode::IndirectCallToNull) }
                let callee = (r - 1) as u32;
                if inner.funcs[callee as usize].ty != ty { trap!(TrapCode::BadSignature) }
                ip = unsafe { ip.add(1) };
                let new_base = base + b as usize;
                if let Some(exit) = call(inner, callee, new_base, &mut ip, &mut base, &mut sp, &mut cur_inst, &mut ctx) {
                    if let Exit::Host { .. } = exit { *st = ExecState { ip, base, instance: cur_inst }; }
                    return exit;
                }
            }
            Instr::MemorySize { dst } => { set!(dst, (ctx.mem_len / 65536) as u64); next!() }
            Instr::MemoryGrow { dst, delta } => {
                let m = inst!().memories[0];
                let r = inner.memories[m as usize].grow(get!(delta) as u32);
                set!(dst, r.map_or(u32::MAX, |old| old) as u64);
                ctx = Ctx::load(inner, cur_inst);
                next!()
            }
            Instr::MemoryFill { dst, val, len } => {
                let (d, n) = (get!(dst) as u32 as usize, get!(len) as u32 as usize);
                if d + n > ctx.mem_len { trap!(TrapCode::MemoryOutOfBounds) }
                // SAFETY: bounds checked just above.
                unsafe { std::ptr::write_bytes(ctx.mem.add(d), get!(val) as u8, n) }
                next!()
            }
            Instr::MemoryCopy { dst, src, len } => {
                let (d, s, n) = (get!(dst) as u32 as usize, get!(src) as u32 as usize, get!(len) as u32 as usize);
                if d + n > ctx.mem_len || s + n > ctx.mem_len { trap!(TrapCode::MemoryOutOfBounds) }
                // SAFETY: both ranges checked just above; `copy` allows overlap.
                unsafe { std::ptr::copy(ctx.mem.add(s), ctx.mem.add(d), n) }
                next!()
            }
            Instr::MemoryInit { dst, src, len, seg } => {
                let (d, s, n) = (get!(dst) as u32 as usize, get!(src) as u32 as usize, get!(len) as u32 as usize);
                let inst = inst!();
                let data: &[u8] = if inst.dropped_data[seg as usize] { &[] } else {
                    let r = inst.module.inner.info.datas[seg as usize].bytes.clone();
                    &inst.module.inner.bytes[r]
                };
                if d + n > ctx.mem_len || s + n > data.len() { trap!(TrapCode::MemoryOutOfBounds) }
                // SAFETY: destination range checked just above; source is a slice.
                unsafe { std::ptr::copy_nonoverlapping(data.as_ptr().add(s), ctx.mem.add(d), n) }
                next!()
            }
            Instr::DataDrop { seg } => {
                inner.instances[cur_inst as usize].dropped_data[seg as usize] = true;
                next!()
            }
            Instr::TableGet { dst, index, table } => {
                let t = inst!().tables[table as usize];
                match inner.tables[t as usize].elems.get(get!(index) as u32 as usize) {
                    Some(v) => set!(dst, *v),
                    None => trap!(TrapCode::TableOutOfBounds),
                }
                next!()
            }
            Instr::TableSet { index, val, table } => {
                let t = inst!().tables[table as usize];
                let v = get!(val);
                match inner.tables[t as usize].elems.get_mut(get!(index) as u32 as usize) {
                    Some(slot) => *slot = v,
                    None => trap!(TrapCode::TableOutOfBounds),
                }
                next!()
            }
            Instr::TableSize { dst, table } => {
                let t = inst!().tables[table as usize];
                set!(dst, inner.tables[t as usize].elems.len() as u64);
                next!()
            }
            Instr::TableGrow { dst, init, delta, table } => {
                let t = inst!().tables[table as usize];
                let r = inner.tables[t as usize].grow(get!(delta) as u32, get!(init));
                set!(dst, r.map_or(u32::MAX, |old| old) as u64);
                next!()
            }
            Instr::TableFill { dst, val, len, table } => {
                let t = inst!().tables[table as usize];
                let (d, v, n) = (get!(dst) as u32 as usize, get!(val), get!(len) as u32 as usize);
                let elems = &mut inner.tables[t as usize].elems;
                if d + n > elems.len() { trap!(TrapCode::TableOutOfBounds) }
                elems[d..d + n].fill(v);
                next!()
            }
            Instr::TableCopy { dst, src, len, dst_table, src_table } => {
                let inst = inst!();
                let (dt, stb) = (inst.tables[dst_table as usize] as usize, inst.tables[src_table as usize] as usize);
                let (d, s, n) = (get!(dst) as u32 as usize, get!(src) as u32 as usize, get!(len) as u32 as usize);
                if d + n > inner.tables[dt].elems.len() || s + n > inner.tables[stb].elems.len() {
                    trap!(TrapCode::TableOutOfBounds)
                }
                if dt == stb {
                    inner.tables[dt].elems.copy_within(s..s + n, d);
                } else {
                    let tmp: Vec<u64> = inner.tables[stb].elems[s..s + n].to_vec();
                    inner.tables[dt].elems[d..d + n].copy_from_slice(&tmp);
                }
                next!()
            }
            Instr::TableInit { dst, src, len, table, seg } => {
                let inst = inst!();
                let t = inst.tables[table as usize] as usize;
                let items = inst.elems[seg as usize].clone();
                let (d, s, n) = (get!(dst) as u32 as usize, get!(src) as u32 as usize, get!(len) as u32 as usize);
                if s + n > items.len() || d + n > inner.tables[t].elems.len() {
                    trap!(TrapCode::TableOutOfBounds)
                }
                inner.tables[t].elems[d..d + n].copy_from_slice(&items[s..s + n]);
                next!()
            }
            Instr::ElemDrop { seg } => {
                inner.instances[cur_inst as usize].elems[seg as usize] = Arc::from(Vec::new());
                next!()
            }
            Instr::RefFunc { dst, func } => {
                // SAFETY: `func` indexes the instance's function table (validated).
                set!(dst, unsafe { *ctx.funcs.add(func as usize) } as u64 + 1);
                next!()
            }
        }
    }
}
    };
}
for_each_numeric!(gen_run);

/// Pops the current frame. Returns false when control goes back to the host.
#[inline(always)]
fn ret(
    inner: &mut StoreInner,
    ip: &mut *const Instr,
    base: &mut usize,
    sp: &mut *mut u64,
    cur_inst: &mut u32,
    ctx: &mut Ctx,
) -> bool {
    // SAFETY: every executing function has a frame record (pushed on entry).
    let f = unsafe { inner.stack.frames.pop().unwrap_unchecked() };
    if f.ret_ip.is_null() {
        return false;
    }
    *ip = f.ret_ip;
    *base = f.ret_base as usize;
    // SAFETY: the caller's frame base is within `slots` (it was when it called).
    *sp = unsafe { inner.stack.slots.as_mut_ptr().add(*base) };
    if f.ret_instance != *cur_inst {
        *cur_inst = f.ret_instance;
        *ctx = Ctx::load(inner, *cur_inst);
    }
    true
}

/// Calls store function `callee` with its frame at `new_base`. `ip` already
/// points past the call. Returns `Some(exit)` to leave the loop.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn call(
    inner: &mut StoreInner,
    callee: u32,
    new_base: usize,
    ip: &mut *const Instr,
    base: &mut usize,
    sp: &mut *mut u64,
    cur_inst: &mut u32,
    ctx: &mut Ctx,
) -> Option<Exit> {
    // SAFETY: `callee` comes from an instance's function table or a checked table entry.
    let ent = unsafe { inner.funcs.get_unchecked(callee as usize) };
    let (code, instance): (*const CompiledFunc, u32) = match &ent.kind {
        FuncKind::Wasm {
            instance,
            code: Some(code),
            ..
        } => (Arc::as_ptr(code), *instance),
        FuncKind::Wasm { .. } => match code_of(inner, callee) {
            Ok((code, instance)) => (Arc::as_ptr(&code), instance),
            Err(exit) => return Some(exit),
        },
        FuncKind::Host(h) => {
            return Some(Exit::Host {
                host: *h,
                base: new_base,
                params: ent.params as usize,
                results: ent.results as usize,
                instance: *cur_inst,
            })
        }
    };
    // SAFETY: the code is owned by the function entity (an `Arc` the store keeps).
    let code = unsafe { &*code };
    let end = new_base + code.frame_size as usize;
    if end > inner.stack.slots.len() {
        if let Err(c) = inner.stack.grow(end) {
            return Some(Exit::Trap(c));
        }
    }
    if inner.stack.frames.len() >= inner.stack.max_frames {
        return Some(Exit::Trap(TrapCode::StackExhausted));
    }
    inner.stack.frames.push(Frame {
        ret_ip: *ip,
        ret_base: *base as u32,
        ret_instance: *cur_inst,
        func: callee,
    });
    let slots = inner.stack.slots.as_mut_ptr();
    // SAFETY: `new_base + frame_size <= slots.len()` was ensured above, and
    // params + locals <= frame_size.
    unsafe {
        std::ptr::write_bytes(
            slots.add(new_base + code.params as usize),
            0,
            code.locals as usize,
        );
        *sp = slots.add(new_base);
    }
    *base = new_base;
    *ip = code.instrs.as_ptr();
    if instance != *cur_inst {
        *cur_inst = instance;
        *ctx = Ctx::load(inner, instance);
    }
    None
}
