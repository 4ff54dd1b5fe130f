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
//!   call returns gets an event, in subscription order (so `nsubscriptions`
//!   subscriptions on one pipe give `nsubscriptions` events).
//! - Clocks: `realtime` and `monotonic`, relative or absolute (an absolute
//!   deadline is converted to the host's monotonic clock once, at entry,
//!   from the guest's view of its clock: an injected clock if the embedder
//!   gave one, else the host's). Relative timeouts last their host duration.
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
//! - Interrupts and deadlines: a call that blocks also polls the store's
//!   [`InterruptWaker`](wasp::InterruptWaker); when the store is
//!   interrupted or its deadline passes, the wait ends and the call traps
//!   (`interrupted`, `deadline exceeded`) instead of returning: a Go
//!   `time.Sleep(30 * time.Second)` stops at once (`wake.rs`).
//!
//! # Bounds
//!
//! Host memory per call does not grow with `nsubscriptions` (up to 89 M
//! fit in a 4 GiB memory): the subscriptions are read twice, in chunks of
//! 1,024, straight from guest memory — once to find what to wait for, once
//! after waiting to write the events — and `poll(2)` gets one entry per
//! distinct host fd (its interests merged), so its size is bounded by the
//! open descriptors, never by the subscriptions: 20,000 subscriptions on one
//! pipe are one `pollfd`, far below `RLIMIT_NOFILE` (past which the kernel
//! refuses the whole `poll` with `EINVAL`). Should `poll(2)` itself fail,
//! its errno goes into the events of the subscriptions that waited on it.
//!
//! # Errors
//!
//! `EINVAL` for `nsubscriptions == 0` or an unknown subscription tag,
//! `EFAULT` if `in` (`n × 48` bytes), `out` (`n × 32` bytes) or
//! `nevents_ptr` is out of bounds. `out` may overlap `in` when it starts at
//! most 16 KiB after it (`out == in`, writing the events over the
//! subscriptions, is fine), or with at most 1,024 subscriptions; else events
//! could overwrite subscriptions not read yet, and an overlap is `EINVAL`.
//! Per-subscription problems are reported in the events, never as the
//! call's errno (Go kills the program on any errno but `EINTR`).

use crate::clock::now;
use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;
use crate::table::{FdTable, Kind};
use crate::types::*;
use rustix::event::{PollFd, PollFlags};
use rustix::time::ClockId;
use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

/// Size of a `subscription` record.
const SUB_SIZE: u32 = 48;
/// Size of an `event` record.
const EVENT_SIZE: u32 = 32;
/// Subscriptions read from guest memory at a time (48 KiB of host memory).
const CHUNK: u32 = 1024;

/// One decoded subscription.
struct Sub {
    userdata: u64,
    kind: SubKind,
}

enum SubKind {
    Clock { id: u32, timeout: u64, flags: u16 },
    Fd { ty: u8, fd: u32 },
}

impl Sub {
    /// Decodes a 48-byte record; `EINVAL` for an unknown tag.
    fn decode(b: &[u8]) -> WasiResult<Sub> {
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let kind = match b[8] {
            EVENTTYPE_CLOCK => SubKind::Clock {
                id: u32_at(16),
                timeout: u64_at(24),
                flags: u16_at(40),
            },
            ty @ (EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE) => SubKind::Fd { ty, fd: u32_at(16) },
            _ => return Err(Errno::INVAL),
        };
        Ok(Sub {
            userdata: u64_at(0),
            kind,
        })
    }

    fn ty(&self) -> u8 {
        match self.kind {
            SubKind::Clock { .. } => EVENTTYPE_CLOCK,
            SubKind::Fd { ty, .. } => ty,
        }
    }
}

/// When a subscription is ready.
enum Readiness<'t> {
    /// Now: an error, or an fd that never blocks (a regular file, whose
    /// `nbytes` is reported, a directory, an in-process stream).
    Now {
        error: Errno,
        file: Option<BorrowedFd<'t>>,
    },
    /// At this deadline on the monotonic clock (ns).
    At(u64),
    /// When `poll(2)` says so for this host fd.
    Wait(BorrowedFd<'t>),
}

/// The clocks read once at entry, so both passes compute the same deadlines:
/// the host's monotonic clock (what the wait is measured on) and the guest's
/// view of its two clocks (the same, unless the embedder injected clocks).
struct Clocks {
    monotonic: u64,
    guest_monotonic: u64,
    guest_realtime: u64,
}

fn readiness<'t>(table: &'t FdTable, clocks: &Clocks, sub: &Sub) -> Readiness<'t> {
    let now = |error| Readiness::Now { error, file: None };
    match sub.kind {
        SubKind::Clock { id, timeout, flags } => {
            if flags & !SUBCLOCKFLAGS_ABSTIME != 0 {
                return now(Errno::INVAL);
            }
            let abs = flags & SUBCLOCKFLAGS_ABSTIME != 0;
            let start = clocks.monotonic;
            match (id, abs) {
                (CLOCK_REALTIME | CLOCK_MONOTONIC, false) => {
                    Readiness::At(start.saturating_add(timeout))
                }
                (CLOCK_MONOTONIC, true) => Readiness::At(
                    start.saturating_add(timeout.saturating_sub(clocks.guest_monotonic)),
                ),
                (CLOCK_REALTIME, true) => Readiness::At(
                    start.saturating_add(timeout.saturating_sub(clocks.guest_realtime)),
                ),
                (CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME, _) => now(Errno::NOTSUP),
                _ => now(Errno::INVAL),
            }
        }
        SubKind::Fd { fd, .. } => match table.get(fd) {
            Err(err) => now(err),
            Ok(entry) => match &entry.kind {
                Kind::File(f) => Readiness::Now {
                    error: Errno::SUCCESS,
                    file: Some(f.file.as_fd()),
                },
                Kind::Dir(_) => now(Errno::SUCCESS),
                kind => match kind.host_fd() {
                    None => now(Errno::SUCCESS),
                    Some(host) => Readiness::Wait(host),
                },
            },
        },
    }
}

/// Calls `f` with every subscription in order, reading them from guest
/// memory `CHUNK` at a time into `buf` (so `f` may write guest memory).
fn each_sub(
    mem: &mut GuestMemory<'_>,
    in_ptr: u32,
    n: u32,
    buf: &mut [u8],
    mut f: impl FnMut(&mut GuestMemory<'_>, Sub) -> WasiResult<()>,
) -> WasiResult<()> {
    let mut first = 0;
    while first < n {
        let len = CHUNK.min(n - first);
        let bytes = (len * SUB_SIZE) as usize;
        buf[..bytes].copy_from_slice(mem.slice(in_ptr + first * SUB_SIZE, len * SUB_SIZE)?);
        for rec in buf[..bytes].chunks_exact(SUB_SIZE as usize) {
            f(mem, Sub::decode(rec)?)?;
        }
        first += len;
    }
    Ok(())
}

/// The host fds to wait on, one `pollfd` per distinct fd.
#[derive(Default)]
struct Waits<'t> {
    /// Host fd → index in `fds`.
    index: HashMap<RawFd, usize>,
    fds: Vec<(BorrowedFd<'t>, PollFlags)>,
}

impl<'t> Waits<'t> {
    fn add(&mut self, fd: BorrowedFd<'t>, ty: u8) {
        let flags = if ty == EVENTTYPE_FD_READ {
            PollFlags::IN
        } else {
            PollFlags::OUT
        };
        let next = self.fds.len();
        let i = *self.index.entry(fd.as_raw_fd()).or_insert(next);
        if i == next {
            self.fds.push((fd, flags));
        } else {
            self.fds[i].1 |= flags;
        }
    }
}

/// Bytes left to read in a regular file (size − position), 0 on error.
fn file_remaining(fd: BorrowedFd<'_>) -> u64 {
    let size = rustix::fs::fstat(fd).map(|s| s.st_size as u64).unwrap_or(0);
    let pos = rustix::fs::seek(fd, rustix::fs::SeekFrom::Current(0)).unwrap_or(size);
    size.saturating_sub(pos)
}

fn timespec(ns: u64) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as _,
    }
}

/// An event record.
fn event(userdata: u64, ty: u8, error: Errno, nbytes: u64, flags: u16) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8..10].copy_from_slice(&error.raw().to_le_bytes());
    b[10] = ty;
    b[16..24].copy_from_slice(&nbytes.to_le_bytes());
    b[24..26].copy_from_slice(&flags.to_le_bytes());
    b
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
    let in_len = n as u64 * SUB_SIZE as u64;
    mem.check(in_ptr, in_len)?;
    mem.check(out_ptr, n as u64 * EVENT_SIZE as u64)?;
    mem.check(nevents_ptr, 4)?;
    // Events are written while later chunks are still unread: refuse an
    // `out` that could overwrite them (see "Errors").
    let (ip, op) = (in_ptr as u64, out_ptr as u64);
    if n > CHUNK && op > ip + 16 * CHUNK as u64 && op < ip + in_len {
        return Err(Errno::INVAL);
    }

    let table = &ctx.table;
    let monotonic = now(ClockId::Monotonic);
    let clocks = Clocks {
        monotonic,
        guest_monotonic: match &ctx.monotonic {
            Some(c) => c.now(),
            None => monotonic,
        },
        guest_realtime: ctx.clock_now(CLOCK_REALTIME)?,
    };
    let mut buf = vec![0u8; (CHUNK.min(n) * SUB_SIZE) as usize];

    // Pass 1: what to wait for.
    let mut waits = Waits::default();
    let mut earliest: Option<u64> = None;
    let mut immediate = false;
    each_sub(mem, in_ptr, n, &mut buf, |_, sub| {
        match readiness(table, &clocks, &sub) {
            Readiness::Now { .. } => immediate = true,
            Readiness::At(d) => earliest = Some(earliest.map_or(d, |e| e.min(d))),
            Readiness::Wait(fd) => waits.add(fd, sub.ty()),
        }
        Ok(())
    })?;

    // Wait until something is ready, or the store must stop. The waker's
    // entry, if any, follows the guest's fds (`nfds` of them).
    let mut pollfds: Vec<PollFd<'_>> = waits
        .fds
        .iter()
        .map(|(fd, flags)| PollFd::from_borrowed_fd(*fd, *flags))
        .collect();
    let nfds = pollfds.len();
    let may_block = !immediate && earliest.is_none_or(|d| d > clocks.monotonic);
    let waker = ctx.waker.as_ref().filter(|_| may_block);
    if let Some(fd) = crate::wake::arm(waker)? {
        pollfds.push(PollFd::from_borrowed_fd(fd, PollFlags::IN));
    }
    let mut poll_error = None;
    let after = loop {
        let timeout = if immediate {
            Some(0)
        } else {
            earliest.map(|d| d.saturating_sub(now(ClockId::Monotonic)))
        };
        if !pollfds.is_empty() || timeout != Some(0) {
            match rustix::event::poll(&mut pollfds, timeout.map(timespec).as_ref()) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => {
                    // Reported in the events of the subscriptions that waited.
                    poll_error = Some(Errno::from(e));
                }
            }
        }
        crate::wake::woke(waker, pollfds.get(nfds))?;
        let t = now(ClockId::Monotonic);
        let fd_ready =
            poll_error.is_some() || pollfds[..nfds].iter().any(|p| !p.revents().is_empty());
        if immediate || fd_ready || earliest.is_some_and(|d| d <= t) {
            break t;
        }
    };

    // Pass 2: one event per ready subscription, in order.
    let mut fionread: Vec<Option<u64>> = vec![None; nfds];
    let mut count: u32 = 0;
    each_sub(mem, in_ptr, n, &mut buf, |mem, sub| {
        let ty = sub.ty();
        let ev = match readiness(table, &clocks, &sub) {
            Readiness::Now { error, file } => {
                let nbytes = match file {
                    Some(f) if ty == EVENTTYPE_FD_READ => file_remaining(f),
                    _ => 0,
                };
                Some(event(sub.userdata, ty, error, nbytes, 0))
            }
            Readiness::At(d) => (d <= after).then(|| event(sub.userdata, ty, Errno::SUCCESS, 0, 0)),
            Readiness::Wait(fd) => {
                let i = waits.index[&fd.as_raw_fd()];
                let wanted = if ty == EVENTTYPE_FD_READ {
                    PollFlags::IN
                } else {
                    PollFlags::OUT
                };
                let rev = pollfds[i].revents();
                let bad = PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL;
                if let Some(e) = poll_error {
                    Some(event(sub.userdata, ty, e, 0, 0))
                } else if rev.intersects(wanted | bad) {
                    let flags = if rev.intersects(PollFlags::HUP) {
                        EVENTRWFLAGS_HANGUP
                    } else {
                        0
                    };
                    let error = if rev.intersects(PollFlags::NVAL) {
                        Errno::BADF
                    } else if rev.intersects(PollFlags::ERR) {
                        Errno::IO
                    } else {
                        Errno::SUCCESS
                    };
                    let nbytes = if ty == EVENTTYPE_FD_READ && error == Errno::SUCCESS {
                        *fionread[i]
                            .get_or_insert_with(|| rustix::io::ioctl_fionread(fd).unwrap_or(0))
                    } else {
                        0
                    };
                    Some(event(sub.userdata, ty, error, nbytes, flags))
                } else {
                    None
                }
            }
        };
        if let Some(ev) = ev {
            mem.write_bytes(out_ptr + count * EVENT_SIZE, &ev)?;
            count += 1;
        }
        Ok(())
    })?;
    mem.write_u32(nevents_ptr, count)
}
