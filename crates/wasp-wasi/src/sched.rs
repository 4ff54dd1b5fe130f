//! `sched_yield`: a no-op that succeeds.
//!
//! A guest is single-threaded, so there is nothing inside the instance to
//! yield to, and the host kernel preempts wasp anyway. The call must be cheap:
//! Go's runtime calls it in spin loops (an idle program with `signal.Notify`
//! busy-waits on it), and a real `sched_yield(2)` costs ~0.6 µs against
//! ~0.05 µs for the whole no-op host call, without lowering the CPU such a
//! loop burns.

use crate::ctx::WasiCtx;
use crate::errno::WasiResult;
use crate::mem::GuestMemory;

/// `sched_yield() -> errno`. Always succeeds.
pub fn sched_yield(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>) -> WasiResult<()> {
    Ok(())
}
