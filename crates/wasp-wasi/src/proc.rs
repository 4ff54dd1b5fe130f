//! `proc_exit`, `proc_raise`.
//!
//! `proc_exit(rval)` flushes in-process stdout/stderr writers and, for a
//! status from 0 to 125, returns [`wasp::Error::exit`] with it: execution
//! unwinds out of the guest, [`wasp::Error::exit_status`] is `Some(rval)`,
//! and the embedder (`wasp run`) exits with that status. Host fds are
//! unbuffered, so there is nothing else to flush.
//!
//! A status of 126 or more (as the unsigned `exitcode`, so every negative
//! `i32` too) is refused: the WASI preview 1 specification says such a call
//! "behaves as if it were implemented by an `unreachable` instruction", and
//! wasmtime refuses it with an error. The call unwinds with an error that is
//! neither an exit (`exit_status()` is `None`, so nobody can mistake 256 for
//! 0 or 134 for a trap's status) nor a wasm trap (there is no wasm
//! backtrace); its message names the status. `wasp run` exits 134 for it,
//! as after a trap (RATIONALE.md, "Exit statuses").
//!
//! `proc_raise(sig)` returns `ENOSYS`: delivering a real signal to the wasp
//! process would kill the runtime rather than the guest, and emulating signal
//! dispositions is out of scope. wasi-libc's `abort()` traps with
//! `unreachable` instead of raising, and Go never imports `proc_raise`, so
//! `ENOSYS` (rather than a trap) keeps a guest that probes it alive.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;
use std::fmt;

/// The largest status `proc_exit` accepts (WASI: "less than 126").
const MAX_EXIT_STATUS: u32 = 125;

/// A `proc_exit` status of 126 or more: the call unwinds with this error
/// (as with `unreachable`), not with an exit.
#[derive(Debug)]
struct InvalidExitStatus(u32);

impl fmt::Display for InvalidExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wasi: proc_exit({}): invalid exit status (WASI allows 0 to {MAX_EXIT_STATUS})",
            self.0
        )
    }
}

impl std::error::Error for InvalidExitStatus {}

/// `proc_exit(rval: exitcode)`: never returns to the guest. A status from 0
/// to 125 exits with it; 126 and above (as a u32) fail the call with an
/// error that is not an exit (see the module docs).
pub fn proc_exit(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, rval: u32) -> wasp::Error {
    ctx.flush();
    if rval > MAX_EXIT_STATUS {
        return wasp::Error::host(InvalidExitStatus(rval));
    }
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
