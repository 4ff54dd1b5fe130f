//! Waits that an interrupt or the store's deadline ends.
//!
//! Every place where a WASI call can block in the host — `poll_oneoff`, a
//! blocking read of a host stream (stdin, a pipe), a socket operation
//! waiting for readiness — waits in `poll(2)`, and adds the store's
//! [`InterruptWaker`] descriptor to the set (it is readable once
//! [`InterruptHandle::interrupt`](wasp::InterruptHandle::interrupt) is
//! called or the store's deadline passes). When it fires, the call gives up
//! with `EINTR`, and [`stop`] (run by the linker glue on every call's
//! outcome) turns that into the store's trap (`interrupted` or `deadline
//! exceeded`), so the guest never sees the errno: its execution ends right
//! there, with a backtrace of the wasm that made the call.
//!
//! The waker is the one of the store whose guest made the call; the glue
//! puts it in the context for the duration of the call. Calls made without
//! a store ([`WasiCtx::call`](crate::WasiCtx::call)) have none and wait as
//! before.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use rustix::event::PollFd;
use std::os::fd::BorrowedFd;
use wasp::InterruptWaker;

/// Before a blocking wait: `EINTR` if a stop is already requested, else the
/// waker's descriptor to add to the `poll(2)` set (none without a waker).
pub(crate) fn arm(waker: Option<&InterruptWaker>) -> WasiResult<Option<BorrowedFd<'_>>> {
    let Some(w) = waker else { return Ok(None) };
    let fd = w.fd().map_err(Errno::from)?;
    if w.stop_requested().is_some() {
        return Err(Errno::INTR);
    }
    Ok(Some(fd))
}

/// After `poll(2)` returned with the waker's entry `entry` (if armed):
/// `EINTR` if it fired for a requested stop; a stale wake-up is reset and
/// the wait goes on.
pub(crate) fn woke(waker: Option<&InterruptWaker>, entry: Option<&PollFd<'_>>) -> WasiResult<()> {
    let (Some(w), Some(p)) = (waker, entry) else {
        return Ok(());
    };
    if p.revents().is_empty() {
        return Ok(());
    }
    if w.stop_requested().is_some() {
        return Err(Errno::INTR);
    }
    w.rearm();
    Ok(())
}

/// The outcome of a call made through the linker: an `EINTR` that a
/// requested stop caused becomes the store's trap.
pub(crate) fn stop(ctx: &WasiCtx, r: wasp::Result<i32>) -> wasp::Result<i32> {
    match (&r, &ctx.waker) {
        (Ok(e), Some(w)) if *e == i32::from(Errno::INTR.raw()) => {
            w.check()?;
            r
        }
        _ => r,
    }
}
