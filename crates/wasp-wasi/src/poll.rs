//! `poll_oneoff`: wait for clocks and fd readiness.
//!
//! # Layout
//!
//! `in` holds `nsubscriptions` 48-byte `subscription`s: `userdata` u64 @0,
//! tag u8 @8 (0 `clock`, 1 `fd_read`, 2 `fd_write`), then for a clock `id`
//! u32 @16, `timeout` u64 @24, `precision` u64 @32, `flags` u16 @40
//! (`subscription_clock_abstime` = 1), and for an fd `file_descriptor` u32
//! @16. `out` receives up to `nsubscriptions` 32-byte `event`s: `userdata`
//! u64 @0, `error` u16 @8, `type` u8 @10, `nbytes` u64 @16, `flags` u16 @24
//! (`fd_readwrite_hangup` = 1); padding zeroed. The event count goes to
//! `nevents_ptr` as u32.
//!
//! # Semantics
//!
//! - Level-triggered and complete: every subscription that is ready when the
//!   call returns gets an event, in subscription order.
//! - Clocks: `realtime` and `monotonic`, relative or absolute (an absolute
//!   realtime deadline is converted to the monotonic clock once, at entry).
//!   A clock event has `error` 0 and `nbytes` 0. CPU-time clocks give an
//!   immediate event with `error = ENOTSUP`; unknown clock ids or flags give
//!   `error = EINVAL`. `precision` is ignored.
//! - Fds: regular files and directories are always ready (`nbytes` = bytes
//!   left to read, 0 for writes); in-process stdio streams are always ready;
//!   host streams (stdin, pipes, ttys) and sockets are waited on with
//!   `poll(2)`. `nbytes` for those is `FIONREAD` (reads) or 0 (writes).
//!   A hang-up sets `fd_readwrite_hangup`; `POLLERR` sets `error = EIO`; an
//!   unknown fd gives an immediate event with `error = EBADF` (the call
//!   itself succeeds).
//! - Blocking: when nothing is ready at once, one `poll(2)` call sleeps until
//!   an fd becomes ready or the earliest clock deadline passes (no spinning;
//!   `time.Sleep` costs no CPU). Without clocks it blocks until an fd is
//!   ready. `EINTR` is retried with the remaining time.
//!
//! # Errors
//!
//! `EINVAL` for `nsubscriptions == 0` or an unknown subscription tag,
//! `EFAULT` if `in` (`n × 48` bytes), `out` (`n × 32` bytes) or
//! `nevents_ptr` is out of bounds. Per-subscription problems are reported in
//! the events, never as the call's errno (Go kills the program on any errno
//! but `EINTR`).

use crate::clock::now;
use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;
use crate::table::Kind;
use crate::types::*;
use rustix::event::{PollFd, PollFlags};
use rustix::time::ClockId;

/// Size of a `subscription` record.
const SUB_SIZE: u32 = 48;
/// Size of an `event` record.
const EVENT_SIZE: u32 = 32;

struct Event {
    index: usize,
    userdata: u64,
    error: Errno,
    ty: u8,
    nbytes: u64,
    flags: u16,
}

impl Event {
    fn to_bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&self.error.raw().to_le_bytes());
        b[10] = self.ty;
        b[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&self.flags.to_le_bytes());
        b
    }
}

struct ClockSub {
    index: usize,
    userdata: u64,
    /// Deadline on the monotonic clock, in ns.
    deadline: u64,
}

struct FdSub {
    index: usize,
    userdata: u64,
    ty: u8,
    fd: u32,
}

fn event(index: usize, userdata: u64, ty: u8, error: Errno) -> Event {
    Event {
        index,
        userdata,
        error,
        ty,
        nbytes: 0,
        flags: 0,
    }
}

fn timespec(ns: u64) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as _,
    }
}

/// Bytes left to read in a regular file (size − position), 0 on error.
fn file_remaining(fd: std::os::fd::BorrowedFd<'_>) -> u64 {
    let size = rustix::fs::fstat(fd).map(|s| s.st_size as u64).unwrap_or(0);
    let pos = rustix::fs::seek(fd, rustix::fs::SeekFrom::Current(0)).unwrap_or(size);
    size.saturating_sub(pos)
}

/// `poll_oneoff(in: *const subscription, out: *mut event, nsubscriptions:
/// size) -> size`; see the module docs.
pub fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    in_ptr: u32,
    out_ptr: u32,
    nsubscriptions: u32,
    nevents_ptr: u32,
) -> WasiResult<()> {
    if nsubscriptions == 0 {
        return Err(Errno::INVAL);
    }
    let n = nsubscriptions;
    mem.check(in_ptr, n as u64 * SUB_SIZE as u64)?;
    mem.check(out_ptr, n as u64 * EVENT_SIZE as u64)?;
    mem.check(nevents_ptr, 4)?;

    let start = now(ClockId::Monotonic);
    let mut ready: Vec<Event> = Vec::new();
    let mut clocks: Vec<ClockSub> = Vec::new();
    let mut fds: Vec<FdSub> = Vec::new();
    for i in 0..n {
        let at = in_ptr + i * SUB_SIZE;
        let index = i as usize;
        let userdata = mem.read_u64(at)?;
        match mem.read_u8(at + 8)? {
            EVENTTYPE_CLOCK => {
                let id = mem.read_u32(at + 16)?;
                let timeout = mem.read_u64(at + 24)?;
                let flags = mem.read_u16(at + 40)?;
                if flags & !SUBCLOCKFLAGS_ABSTIME != 0 {
                    ready.push(event(index, userdata, EVENTTYPE_CLOCK, Errno::INVAL));
                    continue;
                }
                let abs = flags & SUBCLOCKFLAGS_ABSTIME != 0;
                let deadline = match (id, abs) {
                    (CLOCK_REALTIME | CLOCK_MONOTONIC, false) => start.saturating_add(timeout),
                    (CLOCK_MONOTONIC, true) => timeout,
                    (CLOCK_REALTIME, true) => {
                        let real = now(ClockId::Realtime);
                        start.saturating_add(timeout.saturating_sub(real))
                    }
                    (CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME, _) => {
                        ready.push(event(index, userdata, EVENTTYPE_CLOCK, Errno::NOTSUP));
                        continue;
                    }
                    _ => {
                        ready.push(event(index, userdata, EVENTTYPE_CLOCK, Errno::INVAL));
                        continue;
                    }
                };
                clocks.push(ClockSub {
                    index,
                    userdata,
                    deadline,
                });
            }
            ty @ (EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE) => {
                let fd = mem.read_u32(at + 16)?;
                fds.push(FdSub {
                    index,
                    userdata,
                    ty,
                    fd,
                });
            }
            _ => return Err(Errno::INVAL),
        }
    }

    // Split fd subscriptions into always-ready ones and ones to poll.
    let mut polled: Vec<&FdSub> = Vec::new();
    let mut pollfds: Vec<PollFd<'_>> = Vec::new();
    for s in &fds {
        let entry = match ctx.table.get(s.fd) {
            Ok(e) => e,
            Err(err) => {
                ready.push(event(s.index, s.userdata, s.ty, err));
                continue;
            }
        };
        match &entry.kind {
            Kind::File(f) => {
                let mut ev = event(s.index, s.userdata, s.ty, Errno::SUCCESS);
                if s.ty == EVENTTYPE_FD_READ {
                    use std::os::fd::AsFd;
                    ev.nbytes = file_remaining(f.file.as_fd());
                }
                ready.push(ev);
            }
            Kind::Dir(_) => ready.push(event(s.index, s.userdata, s.ty, Errno::SUCCESS)),
            kind => match kind.host_fd() {
                None => ready.push(event(s.index, s.userdata, s.ty, Errno::SUCCESS)),
                Some(host) => {
                    let flags = if s.ty == EVENTTYPE_FD_READ {
                        PollFlags::IN
                    } else {
                        PollFlags::OUT
                    };
                    pollfds.push(PollFd::from_borrowed_fd(host, flags));
                    polled.push(s);
                }
            },
        }
    }

    let earliest = clocks.iter().map(|c| c.deadline).min();
    loop {
        let timeout = if !ready.is_empty() {
            Some(0)
        } else {
            earliest.map(|d| d.saturating_sub(now(ClockId::Monotonic)))
        };
        if !pollfds.is_empty() || timeout.is_some_and(|t| t > 0) || timeout.is_none() {
            let ts = timeout.map(timespec);
            match rustix::event::poll(&mut pollfds, ts.as_ref()) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        for (pfd, s) in pollfds.iter().zip(&polled) {
            let rev = pfd.revents();
            if rev.is_empty() {
                continue;
            }
            let mut ev = event(s.index, s.userdata, s.ty, Errno::SUCCESS);
            if rev.intersects(PollFlags::HUP) {
                ev.flags |= EVENTRWFLAGS_HANGUP;
            }
            if rev.intersects(PollFlags::NVAL) {
                ev.error = Errno::BADF;
            } else if rev.intersects(PollFlags::ERR) {
                ev.error = Errno::IO;
            }
            if s.ty == EVENTTYPE_FD_READ && ev.error == Errno::SUCCESS {
                ev.nbytes = rustix::io::ioctl_fionread(pfd).unwrap_or(0);
            }
            ready.push(ev);
        }
        let t = now(ClockId::Monotonic);
        for c in &clocks {
            if c.deadline <= t {
                ready.push(event(c.index, c.userdata, EVENTTYPE_CLOCK, Errno::SUCCESS));
            }
        }
        if !ready.is_empty() {
            break;
        }
    }

    ready.sort_by_key(|e| e.index);
    for (k, ev) in ready.iter().enumerate() {
        mem.write_bytes(out_ptr + k as u32 * EVENT_SIZE, &ev.to_bytes())?;
    }
    mem.write_u32(nevents_ptr, ready.len() as u32)
}
