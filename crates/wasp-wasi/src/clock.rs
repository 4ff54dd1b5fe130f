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

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;
use crate::types::{
    self, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME,
};
use rustix::time::ClockId;

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
    _ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    res_ptr: u32,
) -> WasiResult<()> {
    let clock = host_clock(id)?;
    mem.check(res_ptr, 8)?;
    let r = rustix::time::clock_getres(clock);
    mem.write_u64(res_ptr, types::timestamp(r.tv_sec, r.tv_nsec).max(1))
}

/// `clock_time_get(id: clockid, precision: timestamp) -> timestamp`, written
/// as u64 at `time_ptr`. `precision` is accepted and ignored (the host clock
/// is read directly).
/// Errors: `EINVAL` for an unknown clock, `EFAULT` for a bad `time_ptr`.
pub fn clock_time_get(
    _ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    _precision: u64,
    time_ptr: u32,
) -> WasiResult<()> {
    let clock = host_clock(id)?;
    mem.write_u64(time_ptr, now(clock))
}
