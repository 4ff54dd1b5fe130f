//! `proc_exit`, `proc_raise`.
//!
//! `proc_exit(rval)` flushes in-process stdout/stderr writers and returns
//! [`wasp::Error::exit`] with `rval` as the status: execution unwinds out of
//! the guest and the embedder (`wasp run`) exits with that status. Host fds
//! are unbuffered, so there is nothing else to flush.
//!
//! `proc_raise(sig)` returns `ENOSYS`: delivering a real signal to the wasp
//! process would kill the runtime rather than the guest, and emulating signal
//! dispositions is out of scope. wasi-libc's `abort()` traps with
//! `unreachable` instead of raising, and Go never imports `proc_raise`, so
//! `ENOSYS` (rather than a trap) keeps a guest that probes it alive.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;

/// `proc_exit(rval: exitcode)`: never returns to the guest. The status is
/// the u32 `rval` reinterpreted as i32 (an OS keeps its low 8 bits).
pub fn proc_exit(ctx: &mut WasiCtx, rval: u32) -> wasp::Error {
    ctx.flush();
    wasp::Error::exit(rval as i32)
}

/// `proc_raise(sig: signal) -> errno`: `EINVAL` for a signal number above 30
/// (`sys`), else `ENOSYS`.
pub fn proc_raise(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, sig: u32) -> WasiResult<()> {
    if sig > 30 {
        return Err(Errno::INVAL);
    }
    Err(Errno::NOSYS)
}
