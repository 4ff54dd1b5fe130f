//! The interpreter's GC instructions: allocation, field and element
//! access, bulk array operations, `i31` and casts (`gc/` holds the heap,
//! the layouts and the cast rules; `translate/gc.rs` the translation).
//!
//! Every handler does its work in a safe helper returning the trap, if
//! any. An allocation first asks the heap whether to collect
//! (`gc/roots.rs`): the roots on the value stack reach up to the end of the
//! running frame, which holds the instruction's operands until the result
//! is written, so the values an allocation copies in stay reachable
//! throughout.
//!
//! SAFETY (every handler): handlers are only installed for their own
//! instruction (`op_of`), and slot indices are below the frame size
//! (translator invariant), runs of operands included.

use super::run::{dispatch, get, next, operands, set, trap, Op, Signal, State};
use crate::error::TrapCode;
use crate::gc::layout::{self, GcType, Storage, MODE_V128};
use crate::ir::Instr;
use crate::store::{FuncKind, StoreInner};
use std::sync::Arc;

type R = Signal;

/// The end of the running frame's slots (all slots if it cannot be told).
fn frame_end(inner: &StoreInner, sp: *const u64) -> usize {
    // `sp` points into `slots` (the running frame's base); `collect`
    // clamps the end to the slots there are.
    let base = (sp as usize).wrapping_sub(inner.stack.slots.as_ptr() as usize) / 8;
    let size = inner.stack.frames.last().and_then(|f| {
        let FuncKind::Wasm { instance, def } = inner.func(f.func).kind else {
            return None;
        };
        inner.instances[instance as usize].module.inner.compiled[def as usize]
            .get()
            .map(|c| c.frame_size as usize)
    });
    size.map_or(inner.stack.slots.len(), |s| base.saturating_add(s))
}

/// The run-time type of the current instance's module type `ty`.
fn type_of(st: &mut State, ty: u32) -> Arc<GcType> {
    st.instance().module.inner.info.gc_types[ty as usize].clone()
}

/// Makes room for an object of `slots` payload slots (collecting if the
/// heap wants to), or the trap if it cannot fit.
fn reserve(st: &mut State, sp: *const u64, slots: Option<usize>) -> Result<(), TrapCode> {
    let inner = st.inner();
    let size = inner.gc.size_of(slots.ok_or(TrapCode::GcHeapExhausted)?)?;
    let end = frame_end(inner, sp);
    crate::gc::roots::maybe_collect(inner, size, end);
    Ok(())
}

/// Allocates (after [`reserve`]) and returns the reference's bits.
fn alloc(st: &mut State, ty: Arc<GcType>, data: Box<[u64]>) -> Result<u64, TrapCode> {
    st.inner().gc.alloc(ty, data).map(crate::gc::object)
}

/// Reads `n` consecutive slots from `sp + base`.
///
/// # Safety
/// The slots must lie in the current frame.
unsafe fn run_of(sp: *const u64, base: u16, n: usize) -> Box<[u64]> {
    // SAFETY: the caller vouches for the range.
    unsafe { std::slice::from_raw_parts(sp.add(base as usize), n) }.into()
}

/// Writes a value read with `mode` to `dst` (and `dst + 1` for a `v128`).
///
/// # Safety
/// The slot(s) must lie in the current frame.
unsafe fn put(sp: *mut u64, dst: u16, mode: u8, (lo, hi): (u64, u64)) {
    // SAFETY: the caller vouches for the slots.
    unsafe {
        *sp.add(dst as usize) = lo;
        if mode == MODE_V128 {
            *sp.add(dst as usize + 1) = hi;
        }
    }
}

/// Reads the value at `src` moved with `mode`.
///
/// # Safety
/// The slot(s) must lie in the current frame.
unsafe fn take(sp: *const u64, src: u16, mode: u8) -> (u64, u64) {
    // SAFETY: the caller vouches for the slots.
    unsafe {
        let lo = *sp.add(src as usize);
        let hi = if mode == MODE_V128 {
            *sp.add(src as usize + 1)
        } else {
            0
        };
        (lo, hi)
    }
}

/// Checks `at + n <= len` (array bounds).
fn in_bounds(at: u64, n: u64, len: usize) -> Result<(), TrapCode> {
    if at + n > len as u64 {
        Err(TrapCode::ArrayOutOfBounds)
    } else {
        Ok(())
    }
}

/// Decodes `n` elements of `storage` from `bytes` (little-endian).
fn decode_elems(bytes: &[u8], storage: Storage) -> Box<[u64]> {
    let b = storage.bytes();
    let mut out = Vec::with_capacity(bytes.len() / b * storage.slots() as usize);
    for c in bytes.chunks_exact(b) {
        let mut w = [0u8; 16];
        w[..b].copy_from_slice(c);
        let v = u128::from_le_bytes(w);
        out.push(v as u64);
        if storage == Storage::V128 {
            out.push((v >> 64) as u64);
        }
    }
    out.into()
}

/// The current instance's data segment `seg` (empty once dropped).
fn data_segment(st: &mut State, seg: u32) -> &[u8] {
    let inst = st.instance();
    if inst.dropped_data[seg as usize] {
        return &[];
    }
    let r = inst.module.inner.info.datas[seg as usize].bytes.clone();
    &inst.module.inner.bytes[r]
}

/// The bytes `s..s + n * bytes` of data segment `seg`, or a memory trap.
fn data_range(st: &mut State, seg: u32, s: u64, n: u64, bytes: usize) -> Result<Vec<u8>, TrapCode> {
    let data = data_segment(st, seg);
    let end = n
        .checked_mul(bytes as u64)
        .and_then(|l| l.checked_add(s))
        .filter(|&e| e <= data.len() as u64)
        .ok_or(TrapCode::MemoryOutOfBounds)?;
    Ok(data[s as usize..end as usize].to_vec())
}

/// The items `s..s + n` of element segment `seg`, or a table trap.
fn elem_range(st: &mut State, seg: u32, s: u64, n: u64) -> Result<Vec<u64>, TrapCode> {
    let items = st.instance().elems[seg as usize].clone();
    if s + n > items.len() as u64 {
        return Err(TrapCode::TableOutOfBounds);
    }
    Ok(items[s as usize..(s + n) as usize].to_vec())
}

/// The array `raw` refers to, or the null trap.
fn array_mut(inner: &mut StoreInner, raw: u64) -> Result<&mut crate::gc::heap::Obj, TrapCode> {
    inner.gc.get_mut(raw).ok_or(TrapCode::NullArrayReference)
}

/// The array `raw` refers to and the first slot of its element at the i32
/// `index`, or the null / bounds trap.
fn element(
    inner: &mut StoreInner,
    raw: u64,
    index: u64,
) -> Result<(&mut crate::gc::heap::Obj, usize), TrapCode> {
    let a = array_mut(inner, raw)?;
    let i = index as u32 as u64;
    in_bounds(i, 1, a.len())?;
    let at = i as usize * a.ty.slots as usize;
    Ok((a, at))
}

macro_rules! gc_handler {
    ($(#[$m:meta])* $name:ident, |$ip:ident, $sp:ident, $st:ident| $body:block) => {
        $(#[$m])*
        pub(super) unsafe fn $name(
            ip: *const Op,
            sp: *mut u64,
            mem: *mut u8,
            len: usize,
            st: &mut State,
        ) -> R {
            #[inline(always)]
            unsafe fn body(
                $ip: *const Op,
                $sp: *mut u64,
                $st: &mut State,
            ) -> Result<(), TrapCode> {
                $body
            }
            match body(ip, sp, st) {
                Ok(()) => next!(ip, sp, mem, len, st),
                Err(c) => trap!(st, c),
            }
        }
    };
}

gc_handler!(struct_new, |ip, sp, st| {
    operands!(ip, StructNew { dst, base, ty });
    let t = type_of(st, ty);
    reserve(st, sp, Some(t.slots as usize))?;
    let data = run_of(sp, base, t.slots as usize);
    let r = alloc(st, t, data)?;
    set!(sp, dst, r);
    Ok(())
});

gc_handler!(struct_new_default, |ip, sp, st| {
    operands!(ip, StructNewDefault { dst, ty });
    let t = type_of(st, ty);
    reserve(st, sp, Some(t.slots as usize))?;
    let data = vec![0u64; t.slots as usize].into();
    let r = alloc(st, t, data)?;
    set!(sp, dst, r);
    Ok(())
});

gc_handler!(struct_get, |ip, sp, st| {
    operands!(
        ip,
        StructGet {
            dst,
            obj,
            offset,
            mode
        }
    );
    let o = st
        .inner()
        .gc
        .get(get!(sp, obj))
        .ok_or(TrapCode::NullStructReference)?;
    let v = layout::read(&o.data, offset as usize, mode).ok_or(TrapCode::NullStructReference)?;
    put(sp, dst, mode, v);
    Ok(())
});

gc_handler!(struct_set, |ip, sp, st| {
    operands!(
        ip,
        StructSet {
            obj,
            src,
            offset,
            mode
        }
    );
    let (lo, hi) = take(sp, src, mode);
    let o = st
        .inner()
        .gc
        .get_mut(get!(sp, obj))
        .ok_or(TrapCode::NullStructReference)?;
    if !layout::write(&mut o.data, offset as usize, mode, lo, hi) {
        return Err(TrapCode::NullStructReference);
    }
    Ok(())
});

gc_handler!(array_new, |ip, sp, st| {
    operands!(ip, ArrayNew { dst, base, ty });
    let t = type_of(st, ty);
    let k = t.slots as usize;
    let n = get!(sp, base as usize + k) as u32 as usize;
    reserve(st, sp, n.checked_mul(k))?;
    let init = run_of(sp, base, k);
    let mut data = Vec::with_capacity(n * k);
    for _ in 0..n {
        data.extend_from_slice(&init);
    }
    let r = alloc(st, t, data.into())?;
    set!(sp, dst, r);
    Ok(())
});

gc_handler!(array_new_default, |ip, sp, st| {
    operands!(ip, ArrayNewDefault { dst, len: n, ty });
    let t = type_of(st, ty);
    let slots = (get!(sp, n) as u32 as usize).checked_mul(t.slots as usize);
    reserve(st, sp, slots)?;
    let data = vec![0u64; slots.unwrap_or(0)].into();
    let r = alloc(st, t, data)?;
    set!(sp, dst, r);
    Ok(())
});

gc_handler!(array_new_fixed, |ip, sp, st| {
    operands!(ip, ArrayNewFixed { dst, base, ty, n });
    let t = type_of(st, ty);
    let slots = n as usize * t.slots as usize;
    reserve(st, sp, Some(slots))?;
    let data = run_of(sp, base, slots);
    let r = alloc(st, t, data)?;
    set!(sp, dst, r);
    Ok(())
});

gc_handler!(array_new_data, |ip, sp, st| {
    operands!(ip, ArrayNewData { dst, base, ty, seg });
    let t = type_of(st, ty);
    let (s, n) = (
        get!(sp, base) as u32 as u64,
        get!(sp, base as usize + 1) as u32 as u64,
    );
    let storage = t.elem().storage;
    let bytes = data_range(st, seg, s, n, storage.bytes())?;
    reserve(st, sp, Some(n as usize * t.slots as usize))?;
    let r = alloc(st, t, decode_elems(&bytes, storage))?;
    set!(sp, dst, r);
    Ok(())
});

gc_handler!(array_new_elem, |ip, sp, st| {
    operands!(ip, ArrayNewElem { dst, base, ty, seg });
    let t = type_of(st, ty);
    let (s, n) = (
        get!(sp, base) as u32 as u64,
        get!(sp, base as usize + 1) as u32 as u64,
    );
    let items = elem_range(st, seg, s, n)?;
    reserve(st, sp, Some(items.len()))?;
    let r = alloc(st, t, items.into())?;
    set!(sp, dst, r);
    Ok(())
});

gc_handler!(array_get, |ip, sp, st| {
    operands!(
        ip,
        ArrayGet {
            dst,
            arr,
            index,
            mode
        }
    );
    let (a, at) = element(st.inner(), get!(sp, arr), get!(sp, index))?;
    let v = layout::read(&a.data, at, mode).ok_or(TrapCode::ArrayOutOfBounds)?;
    put(sp, dst, mode, v);
    Ok(())
});

gc_handler!(array_set, |ip, sp, st| {
    operands!(
        ip,
        ArraySet {
            arr,
            index,
            src,
            mode
        }
    );
    let (lo, hi) = take(sp, src, mode);
    let (a, at) = element(st.inner(), get!(sp, arr), get!(sp, index))?;
    if !layout::write(&mut a.data, at, mode, lo, hi) {
        return Err(TrapCode::ArrayOutOfBounds);
    }
    Ok(())
});

gc_handler!(array_len, |ip, sp, st| {
    operands!(ip, ArrayLen { dst, arr });
    let n = array_mut(st.inner(), get!(sp, arr))?.len();
    set!(sp, dst, n as u32 as u64);
    Ok(())
});

gc_handler!(array_fill, |ip, sp, st| {
    operands!(ip, ArrayFill { base, mode });
    let b = base as usize;
    let (arr, d) = (get!(sp, b), get!(sp, b + 1) as u32 as u64);
    let (lo, hi) = take(sp, base + 2, mode);
    let vslots = if mode == MODE_V128 { 2 } else { 1 };
    let n = get!(sp, b + 2 + vslots) as u32 as u64;
    let a = array_mut(st.inner(), arr)?;
    in_bounds(d, n, a.len())?;
    let k = a.ty.slots as usize;
    for i in d..d + n {
        layout::write(&mut a.data, i as usize * k, mode, lo, hi);
    }
    Ok(())
});

gc_handler!(array_copy, |ip, sp, st| {
    operands!(ip, ArrayCopy { base });
    let b = base as usize;
    let (da, d, sa, s, n) = (
        get!(sp, b),
        get!(sp, b + 1) as u32 as u64,
        get!(sp, b + 2),
        get!(sp, b + 3) as u32 as u64,
        get!(sp, b + 4) as u32 as u64,
    );
    match st.inner().gc.pair_mut(da, sa) {
        None => Err(TrapCode::NullArrayReference),
        Some(Err(a)) => {
            in_bounds(d, n, a.len())?;
            in_bounds(s, n, a.len())?;
            let k = a.ty.slots as usize;
            let (d, s, n) = (d as usize * k, s as usize * k, n as usize * k);
            a.data.copy_within(s..s + n, d);
            Ok(())
        }
        Some(Ok((dst, src))) => {
            in_bounds(d, n, dst.len())?;
            in_bounds(s, n, src.len())?;
            let k = dst.ty.slots as usize;
            let (d, s, n) = (d as usize * k, s as usize * k, n as usize * k);
            dst.data[d..d + n].copy_from_slice(&src.data[s..s + n]);
            Ok(())
        }
    }
});

gc_handler!(array_init_data, |ip, sp, st| {
    operands!(ip, ArrayInitData { base, ty, seg });
    let b = base as usize;
    let (arr, d, s, n) = (
        get!(sp, b),
        get!(sp, b + 1) as u32 as u64,
        get!(sp, b + 2) as u32 as u64,
        get!(sp, b + 3) as u32 as u64,
    );
    let storage = type_of(st, ty).elem().storage;
    let len = array_mut(st.inner(), arr)?.len();
    in_bounds(d, n, len)?;
    let bytes = data_range(st, seg, s, n, storage.bytes())?;
    let vals = decode_elems(&bytes, storage);
    let a = array_mut(st.inner(), arr)?;
    let k = a.ty.slots as usize;
    a.data[d as usize * k..d as usize * k + vals.len()].copy_from_slice(&vals);
    Ok(())
});

gc_handler!(array_init_elem, |ip, sp, st| {
    operands!(ip, ArrayInitElem { base, seg });
    let b = base as usize;
    let (arr, d, s, n) = (
        get!(sp, b),
        get!(sp, b + 1) as u32 as u64,
        get!(sp, b + 2) as u32 as u64,
        get!(sp, b + 3) as u32 as u64,
    );
    let len = array_mut(st.inner(), arr)?.len();
    in_bounds(d, n, len)?;
    let items = elem_range(st, seg, s, n)?;
    let a = array_mut(st.inner(), arr)?;
    a.data[d as usize..d as usize + items.len()].copy_from_slice(&items);
    Ok(())
});

gc_handler!(ref_i31, |ip, sp, _st| {
    operands!(ip, RefI31 { dst, src });
    set!(sp, dst, crate::gc::i31(get!(sp, src) as u32));
    Ok(())
});

gc_handler!(i31_get, |ip, sp, _st| {
    operands!(ip, I31Get { dst, src, signed });
    let r = get!(sp, src);
    if r == 0 {
        return Err(TrapCode::NullI31Reference);
    }
    let v = if signed {
        crate::gc::i31_get_s(r) as u32
    } else {
        crate::gc::i31_get_u(r)
    };
    set!(sp, dst, v as u64);
    Ok(())
});

gc_handler!(ref_test, |ip, sp, st| {
    operands!(ip, RefTest { dst, src, id, code });
    let ok = crate::gc::cast::test(st.inner(), get!(sp, src), code, id);
    set!(sp, dst, ok as u64);
    Ok(())
});

gc_handler!(ref_cast, |ip, sp, st| {
    operands!(ip, RefCast { dst, src, id, code });
    let r = get!(sp, src);
    if !crate::gc::cast::test(st.inner(), r, code, id) {
        return Err(TrapCode::CastFailure);
    }
    set!(sp, dst, r);
    Ok(())
});
