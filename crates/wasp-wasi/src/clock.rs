//! `clock_res_get`, `clock_time_get`: the four preview 1 clocks.
//!
//! | `clockid` | value | host clock |
//! |---|---|---|
//! | `realtime` | 0 | `CLOCK_REALTIME` (ns since 1970-01-01T00:00:00Z) |
//! | `monotonic` | 1 | `CLOCK_MONOTONIC` (never jumps backwards) |
//! | `process_cputime_id` | 2 | `CLOCK_PROCESS_CPUTIME_ID` (CPU time of the wasp process) |
//! | `thread_cputime_id` | 3 | `CLOCK_THREAD_CPUTIME_ID` (CPU time of the calling thread) |
//!
//! Timestamps are u64 nanoseconds written little-endian at the result
//! pointer. Any other clock id gives `EINVAL`.
//!
//! The embedder may replace the realtime and monotonic clocks with its own
//! ([`Clock`], [`WasiCtxBuilder::realtime_clock`](crate::WasiCtxBuilder::realtime_clock),
//! [`WasiCtxBuilder::monotonic_clock`](crate::WasiCtxBuilder::monotonic_clock)),
//! e.g. for reproducible runs; the CPU-time clocks always read the host.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;
use crate::types::{
    self, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME,
};
use rustix::time::ClockId;

/// A clock the embedder gives the guest in place of the host's
/// ([`WasiCtxBuilder::realtime_clock`](crate::WasiCtxBuilder::realtime_clock),
/// [`WasiCtxBuilder::monotonic_clock`](crate::WasiCtxBuilder::monotonic_clock)).
///
/// Any `Fn() -> u64 + Send` closure is one (its result is
/// [`now`](Clock::now), with a resolution of 1 ns).
///
/// A monotonic clock must never go backwards, and should advance: Go's
/// runtime reads it in loops (a timer waits until the clock reaches its
/// deadline) and would spin on a clock that stands still. A clock that
/// advances by a fixed step at each read is deterministic and advances.
pub trait Clock: Send {
    /// The current time in nanoseconds: since 1970-01-01T00:00:00Z for the
    /// realtime clock, since an arbitrary origin for the monotonic one.
    fn now(&self) -> u64;
    /// The resolution `clock_res_get` reports, in nanoseconds (at least 1;
    /// 0 is reported as 1).
    fn resolution(&self) -> u64 {
        1
    }
}

impl<F: Fn() -> u64 + Send> Clock for F {
    fn now(&self) -> u64 {
        self()
    }
}

impl WasiCtx {
    /// The guest's view of clock `id` (a host clock or an injected one), in
    /// nanoseconds; `EINVAL` for an unknown clock.
    pub(crate) fn clock_now(&self, id: u32) -> WasiResult<u64> {
        match (id, &self.realtime, &self.monotonic) {
            (CLOCK_REALTIME, Some(c), _) | (CLOCK_MONOTONIC, _, Some(c)) => Ok(c.now()),
            _ => Ok(now(host_clock(id)?)),
        }
    }
}

/// The host clock for a WASI clock id, or `EINVAL`.
pub(crate) fn host_clock(id: u32) -> WasiResult<ClockId> {
    Ok(match id {
        CLOCK_REALTIME => ClockId::Realtime,
        CLOCK_MONOTONIC => ClockId::Monotonic,
        CLOCK_PROCESS_CPUTIME => ClockId::ProcessCPUTime,
        CLOCK_THREAD_CPUTIME => ClockId::ThreadCPUTime,
        _ => return Err(Errno::INVAL),
    })
}

/// The current value of a host clock in nanoseconds.
pub(crate) fn now(clock: ClockId) -> u64 {
    let t = rustix::time::clock_gettime(clock);
    types::timestamp(t.tv_sec, t.tv_nsec)
}

/// `clock_res_get(id: clockid) -> timestamp`, written as u64 at `res_ptr`.
///
/// The resolution is the host's `clock_getres` (at least 1 ns, as the spec
/// requires a non-zero value).
/// Errors: `EINVAL` for an unknown clock, `EFAULT` for a bad `res_ptr`.
pub fn clock_res_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    res_ptr: u32,
) -> WasiResult<()> {
    let clock = host_clock(id)?;
    mem.check(res_ptr, 8)?;
    let res = match (id, &ctx.realtime, &ctx.monotonic) {
        (CLOCK_REALTIME, Some(c), _) | (CLOCK_MONOTONIC, _, Some(c)) => c.resolution(),
        _ => {
            let r = rustix::time::clock_getres(clock);
            types::timestamp(r.tv_sec, r.tv_nsec)
        }
    };
    mem.write_u64(res_ptr, res.max(1))
}

/// `clock_time_get(id: clockid, precision: timestamp) -> timestamp`, written
/// as u64 at `time_ptr`. `precision` is accepted and ignored (the clock is
/// read directly: the host's, or the one the embedder injected).
/// Errors: `EINVAL` for an unknown clock, `EFAULT` for a bad `time_ptr`.
pub fn clock_time_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    _precision: u64,
    time_ptr: u32,
) -> WasiResult<()> {
    let t = ctx.clock_now(id)?;
    mem.write_u64(time_ptr, t)
}
