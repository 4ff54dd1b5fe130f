//! Where a store's GC roots are, and the entry point that collects.
//!
//! See `heap.rs` for why roots are scanned conservatively. The roots of a
//! store are: its value stack up to the end of the running frame, every
//! global, every table element, the instances' element segments (passive
//! segments may hold objects that `array.new_elem` copies later), the
//! payloads of its exceptions, and the host's references.

use crate::store::StoreInner;

/// Collects `inner`'s heap if it wants to before allocating `size` bytes
/// and no native code is running (compiled code may hold references in
/// registers); `stack_end` is the end of the running frame's slots.
pub(crate) fn maybe_collect(inner: &mut StoreInner, size: usize, stack_end: usize) {
    if inner.gc.wants_collection(size) && inner.stack.native_depth == 0 {
        collect(inner, stack_end);
    }
}

/// Collects `inner`'s heap now.
pub(crate) fn collect(inner: &mut StoreInner, stack_end: usize) {
    let StoreInner {
        gc,
        stack,
        globals,
        tables,
        instances,
        exn,
        ..
    } = inner;
    let end = stack_end.min(stack.slots.len());
    let roots = stack.slots[..end]
        .iter()
        .copied()
        .chain(globals.iter().map(|g| g.value))
        .chain(tables.iter().flat_map(|t| t.elems.iter().copied()))
        .chain(
            instances
                .iter()
                .flat_map(|i| i.elems.iter().flat_map(|e| e.iter().copied())),
        )
        .chain(exn.heap.iter().flat_map(|e| e.payload.iter().copied()));
    gc.collect(roots);
}
