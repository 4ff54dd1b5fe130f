//! The native stack compiled code runs on: one large, lazily committed
//! mapping per thread (reserved on the thread's first `invoke`, a guard
//! page at its low end), switched to by the outermost `invoke` and kept
//! for nested ones. Wasm's deep recursion (Go's 100k frames by default)
//! then never depends on the stack of the thread the embedder calls from;
//! the call-depth limit and the prologues' stack-limit check bound it.

use std::cell::Cell;

/// Bytes reserved per thread. Untouched pages cost nothing; a 2M-deep
/// recursion (the default depth limit) of ~80-byte frames needs ~160 MB,
/// host functions and the interpreter's entries between them more.
const SIZE: usize = 1 << 30;

/// The stack of this thread: (low end, high end), or (0, 0) before use or
/// when it could not be mapped.
struct Big {
    low: Cell<usize>,
    high: Cell<usize>,
}

impl Drop for Big {
    fn drop(&mut self) {
        if self.low.get() != 0 {
            let page = rustix::param::page_size();
            // SAFETY: unmaps exactly the mapping `reserve` made (guard page
            // included); nothing runs on it once its thread is exiting.
            let _ = unsafe { rustix::mm::munmap((self.low.get() - page) as *mut _, SIZE + page) };
        }
    }
}

thread_local! {
    static BIG: Big = const { Big { low: Cell::new(0), high: Cell::new(0) } };
}

/// Maps the stack: a guard page, then `SIZE` bytes read-write.
fn reserve() -> Option<(usize, usize)> {
    use rustix::mm::{MapFlags, MprotectFlags, ProtFlags};
    let page = rustix::param::page_size();
    // SAFETY: a fresh private anonymous mapping aliases nothing.
    let p = unsafe {
        rustix::mm::mmap_anonymous(
            std::ptr::null_mut(),
            SIZE + page,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    }
    .ok()? as usize;
    // SAFETY: the guard page is the first page of our own mapping.
    unsafe { rustix::mm::mprotect(p as *mut _, page, MprotectFlags::empty()) }.ok()?;
    Some((p + page, p + page + SIZE))
}

/// The current stack pointer (approximately: an address in this frame).
fn sp() -> usize {
    let here = 0u8;
    std::hint::black_box(&here) as *const u8 as usize
}

/// Runs `f` on this thread's big stack (switching to it unless already on
/// it); `f` gets the stack's low end. Without a big stack (the mapping
/// failed), `f` runs here and gets `None`.
pub(super) fn on_big_stack<R>(f: impl FnOnce(Option<usize>) -> R) -> R {
    let (low, high) = BIG.with(|b| {
        if b.low.get() == 0 {
            if let Some((l, h)) = reserve() {
                b.low.set(l);
                b.high.set(h);
            }
        }
        (b.low.get(), b.high.get())
    });
    if low == 0 {
        return f(None);
    }
    let here = sp();
    if (low..high).contains(&here) {
        return f(Some(low));
    }
    let mut f = Some(f);
    let mut out: Option<R> = None;
    let mut run = || {
        let f = f.take().expect("runs once");
        out = Some(f(Some(low)));
    };
    let mut dynf: &mut dyn FnMut() = &mut run;
    // SAFETY: `high` is the 16-byte aligned top of a mapping of `SIZE`
    // read-write bytes no other code uses (this thread's, and we are not
    // on it); `call_on` restores the stack pointer before returning, and
    // `enter` cannot unwind (it is `extern "C"`; a panic aborts, and the
    // only code run there, the compiled code's trampoline and call-outs,
    // catches host panics itself).
    unsafe { call_on(high, (&mut dynf as *mut &mut dyn FnMut()).cast()) };
    out.expect("the closure ran")
}

/// Calls the `&mut dyn FnMut()` at `data`.
extern "C" fn enter(data: *mut u8) {
    // SAFETY: `data` is the `&mut &mut dyn FnMut()` `on_big_stack` passed.
    let f = unsafe { &mut *data.cast::<&mut dyn FnMut()>() };
    f();
}

/// Calls `enter(data)` with the stack pointer at `top`.
///
/// # Safety
/// `top` is the 16-byte aligned end of a free, writable stack large enough
/// for what `enter` runs.
#[cfg(target_arch = "x86_64")]
unsafe fn call_on(top: usize, data: *mut u8) {
    // SAFETY: the caller's contract; r12 (callee-saved, so `enter` keeps
    // it) holds the old stack pointer across the call.
    unsafe {
        std::arch::asm!(
            "mov r12, rsp",
            "mov rsp, {top}",
            "call {enter}",
            "mov rsp, r12",
            top = in(reg) top,
            enter = sym enter,
            in("rdi") data,
            out("r12") _,
            clobber_abi("C"),
        )
    }
}

/// Calls `enter(data)` with the stack pointer at `top`.
///
/// # Safety
/// As for the x86_64 version.
#[cfg(target_arch = "aarch64")]
unsafe fn call_on(top: usize, data: *mut u8) {
    // SAFETY: the caller's contract; x20 (callee-saved) holds the old
    // stack pointer across the call.
    unsafe {
        std::arch::asm!(
            "mov x20, sp",
            "mov sp, {top}",
            "bl {enter}",
            "mov sp, x20",
            top = in(reg) top,
            enter = sym enter,
            in("x0") data,
            out("x20") _,
            clobber_abi("C"),
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn closures_run_on_the_big_stack_once_and_nest_without_switching() {
        let outer = super::sp();
        let (low, inner, nested) = super::on_big_stack(|low| {
            let inner = super::sp();
            let nested = super::on_big_stack(|l| (l, super::sp()));
            (low, inner, nested)
        });
        let low = low.expect("the big stack is mapped");
        assert!(inner > low && inner < low + super::SIZE, "on the big stack");
        assert!(!(low..low + super::SIZE).contains(&outer));
        assert_eq!(nested.0, Some(low));
        assert!(
            (low..low + super::SIZE).contains(&nested.1),
            "nested: no switch"
        );
    }
}
