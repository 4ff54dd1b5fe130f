//! The native stack pointer, read by the stack guard of threaded dispatch
//! (`run.rs`): a chain of handlers that were not tail-call optimised grows
//! the host stack, and the guard unwinds it before it can overflow.

#[cfg(all(wasp_tail, target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn native_sp() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register; no memory access.
    unsafe {
        std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    sp
}

#[cfg(all(wasp_tail, target_arch = "aarch64"))]
#[inline(always)]
pub(crate) fn native_sp() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register; no memory access.
    unsafe { std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}
