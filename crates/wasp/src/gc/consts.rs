//! Allocation in constant expressions (global initialisers, table
//! initialisers and element segment items may build structs and arrays).
//!
//! No collection runs during instantiation: the values an expression has
//! built so far live on its evaluation stack, which is no root.

use super::heap::Heap;
use super::layout::GcType;
use crate::error::TrapCode;
use crate::module::ConstOp;
use std::sync::Arc;

/// Runs allocating operator `op` of a constant expression on `stack`
/// (`ConstExpr::eval_with`), with module types `types`; the first trap is
/// kept in `failed` (and null pushed).
pub(crate) fn eval_alloc(
    heap: &mut Heap,
    types: &[Arc<GcType>],
    op: ConstOp,
    stack: &mut Vec<u64>,
    failed: &mut Option<TrapCode>,
) {
    match alloc(heap, types, op, stack) {
        Ok(r) => stack.push(r),
        Err(c) => {
            failed.get_or_insert(c);
            stack.push(0);
        }
    }
}

fn pop_n(stack: &mut Vec<u64>, n: usize) -> Vec<u64> {
    let at = stack.len().saturating_sub(n);
    stack.split_off(at)
}

fn alloc(
    heap: &mut Heap,
    types: &[Arc<GcType>],
    op: ConstOp,
    stack: &mut Vec<u64>,
) -> Result<u64, TrapCode> {
    let ty = |t: u32| types[t as usize].clone();
    let (t, data): (Arc<GcType>, Vec<u64>) = match op {
        ConstOp::StructNew(i) => {
            let t = ty(i);
            let d = pop_n(stack, t.slots as usize);
            (t, d)
        }
        ConstOp::StructNewDefault(i) => {
            let t = ty(i);
            let n = t.slots as usize;
            (t, vec![0; n])
        }
        ConstOp::ArrayNew(i) => {
            let t = ty(i);
            let n = stack.pop().unwrap_or(0) as u32 as usize;
            let init = pop_n(stack, t.slots as usize);
            let slots = n.checked_mul(t.slots as usize);
            heap.size_of(slots.ok_or(TrapCode::GcHeapExhausted)?)?;
            (t, init.repeat(n))
        }
        ConstOp::ArrayNewDefault(i) => {
            let t = ty(i);
            let n = stack.pop().unwrap_or(0) as u32 as usize;
            let slots = n
                .checked_mul(t.slots as usize)
                .ok_or(TrapCode::GcHeapExhausted)?;
            heap.size_of(slots)?;
            (t, vec![0; slots])
        }
        ConstOp::ArrayNewFixed(i, n) => {
            let t = ty(i);
            let d = pop_n(stack, n as usize * t.slots as usize);
            (t, d)
        }
        _ => return Ok(0),
    };
    heap.alloc(t, data.into()).map(super::object)
}
