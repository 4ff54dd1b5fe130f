//! `sched_yield`: gives the host CPU to other threads/processes.
//!
//! A guest is single-threaded, so there is nothing inside the instance to
//! yield to; the call does one `sched_yield(2)` (well under a microsecond) so
//! a guest that busy-waits on it (Go with `signal.Notify` when idle) lets
//! other host processes run.

use crate::ctx::WasiCtx;
use crate::errno::WasiResult;
use crate::mem::GuestMemory;

/// `sched_yield() -> errno`. Always succeeds.
pub fn sched_yield(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>) -> WasiResult<()> {
    std::thread::yield_now();
    Ok(())
}
