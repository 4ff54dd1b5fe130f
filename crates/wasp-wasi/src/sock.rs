//! `sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown`.
//!
//! Sockets come from [`WasiCtxBuilder::preopened_listener`](crate::WasiCtxBuilder::preopened_listener)
//! (crate::WasiCtxBuilder::preopened_listener) and from `sock_accept` on
//! such a listener. Their host fds are always `O_NONBLOCK`; a guest that did
//! not ask for `fdflags::nonblock` gets blocking behaviour by waiting in
//! `poll(2)` and retrying, so a guest-visible `EAGAIN` happens only when the
//! guest asked for non-blocking I/O. Sends use `MSG_NOSIGNAL`: a peer that
//! went away gives `EPIPE`, never a `SIGPIPE` that would kill wasp.
//!
//! `fd_read`/`fd_write`/`poll_oneoff` work on accepted sockets too (Go uses
//! those rather than `sock_recv`/`sock_send`).
//!
//! A blocking operation's wait also ends when the store is interrupted or
//! its deadline passes (`EINTR`, which the glue turns into the trap; see
//! `wake.rs`).

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;
use crate::stdio::wait;
use crate::table::{Entry, FdTable, Kind};
use crate::types::*;
use rustix::event::PollFlags;
use rustix::net::{RecvFlags, SendFlags};
use std::io::IoSlice;
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};

/// Runs a socket operation on a non-blocking host fd: retries on `EINTR`;
/// on `EAGAIN`, returns it if `nonblock`, else waits for `events` (or for
/// `waker`, which ends the wait with `EINTR`) and retries.
pub(crate) fn io<T>(
    fd: BorrowedFd<'_>,
    nonblock: bool,
    events: PollFlags,
    waker: Option<&wasp::InterruptWaker>,
    mut op: impl FnMut() -> rustix::io::Result<T>,
) -> WasiResult<T> {
    loop {
        match op() {
            Ok(v) => return Ok(v),
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::AGAIN) if !nonblock => wait(fd, events, waker)?,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Sends the parts in order. Blocking mode sends everything; non-blocking
/// mode sends what fits now (`EAGAIN` only if nothing fit).
pub(crate) fn send_parts(
    s: &TcpStream,
    parts: &[IoSlice<'_>],
    nonblock: bool,
    waker: Option<&wasp::InterruptWaker>,
) -> WasiResult<usize> {
    let mut total = 0usize;
    for part in parts {
        let mut off = 0;
        while off < part.len() {
            let r = io(s.as_fd(), nonblock, PollFlags::OUT, waker, || {
                rustix::net::send(s, &part[off..], SendFlags::NOSIGNAL)
            });
            match r {
                Ok(n) => {
                    off += n;
                    total += n;
                }
                Err(Errno::AGAIN) if total > 0 => return Ok(total),
                Err(e) if total > 0 && e != Errno::AGAIN => return Ok(total),
                Err(e) => return Err(e),
            }
        }
    }
    Ok(total)
}

/// `sock_accept(fd, flags: fdflags) -> fd`, the new fd written as u32 at
/// `fd_ptr`.
///
/// Accepts a connection on a preopened listener. `flags` may contain only
/// `nonblock` (the new socket's initial flags). Without `nonblock` on the
/// listener the call blocks until a client connects.
/// Errors: `EBADF`, `ENOTSOCK` for a non-socket, `EINVAL` for a connected
/// socket or flags other than `nonblock`, `EAGAIN` (non-blocking listener and
/// no pending connection), `EFAULT`, `EMFILE`.
pub fn sock_accept(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    fd_ptr: u32,
) -> WasiResult<()> {
    let e = ctx.table.get(fd)?;
    if flags & !(FDFLAGS_NONBLOCK as u32) != 0 {
        return Err(Errno::INVAL);
    }
    let l = match &e.kind {
        Kind::Listener(l) => l,
        Kind::Socket(_) => return Err(Errno::INVAL),
        _ => return Err(Errno::NOTSOCK),
    };
    mem.check(fd_ptr, 4)?;
    let conn = io(
        l.as_fd(),
        e.nonblock(),
        PollFlags::IN,
        ctx.waker.as_ref(),
        || {
            rustix::net::accept_with(
                l,
                rustix::net::SocketFlags::NONBLOCK | rustix::net::SocketFlags::CLOEXEC,
            )
        },
    )?;
    let stream = TcpStream::from(conn);
    let new = ctx
        .table
        .insert(Entry::new(Kind::Socket(stream), flags as u16))?;
    mem.write_u32(fd_ptr, new)
}

fn socket(table: &FdTable, fd: u32) -> WasiResult<(&TcpStream, bool)> {
    let e = table.get(fd)?;
    match &e.kind {
        Kind::Socket(s) => Ok((s, e.nonblock())),
        Kind::Listener(_) => Err(Errno::NOTCONN),
        _ => Err(Errno::NOTSOCK),
    }
}

/// `sock_recv(fd, ri_data: iovec_array, ri_flags: riflags) -> (size, roflags)`:
/// the byte count is written as u32 at `ro_datalen_ptr` and the `roflags`
/// (always 0 for TCP) as u16 at `ro_flags_ptr`. `ri_flags`: `recv_peek` (1)
/// leaves the data queued, `recv_waitall` (2) waits for the full amount.
/// Errors: `EBADF`, `ENOTSOCK`, `ENOTCONN` (listener), `EINVAL` (undefined
/// flags), `EAGAIN` (non-blocking, nothing queued), `EFAULT`.
#[allow(clippy::too_many_arguments)]
pub fn sock_recv(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    ri_data: u32,
    ri_data_len: u32,
    ri_flags: u32,
    ro_datalen_ptr: u32,
    ro_flags_ptr: u32,
) -> WasiResult<()> {
    let (s, nonblock) = socket(&ctx.table, fd)?;
    if ri_flags & !((RIFLAGS_RECV_PEEK | RIFLAGS_RECV_WAITALL) as u32) != 0 {
        return Err(Errno::INVAL);
    }
    let iovs = mem.iovecs(ri_data, ri_data_len)?;
    mem.check(ro_datalen_ptr, 4)?;
    mem.check(ro_flags_ptr, 2)?;
    let mut flags = RecvFlags::empty();
    if ri_flags & RIFLAGS_RECV_PEEK as u32 != 0 {
        flags |= RecvFlags::PEEK;
    }
    if ri_flags & RIFLAGS_RECV_WAITALL as u32 != 0 {
        flags |= RecvFlags::WAITALL;
    }
    let n = mem.read_into(&iovs, |buf| {
        io(
            s.as_fd(),
            nonblock,
            PollFlags::IN,
            ctx.waker.as_ref(),
            || rustix::net::recv(s, &mut *buf, flags).map(|(n, _)| n),
        )
    })?;
    mem.write_u32(ro_datalen_ptr, n as u32)?;
    mem.write_u16(ro_flags_ptr, 0)
}

/// `sock_send(fd, si_data: ciovec_array, si_flags: siflags) -> size`, the
/// byte count written as u32 at `so_datalen_ptr`. `si_flags` must be 0.
/// Errors: `EBADF`, `ENOTSOCK`, `ENOTCONN`, `EINVAL` (non-zero flags),
/// `EAGAIN`, `EPIPE` (peer gone), `EFAULT`.
pub fn sock_send(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    si_data: u32,
    si_data_len: u32,
    si_flags: u32,
    so_datalen_ptr: u32,
) -> WasiResult<()> {
    let (s, nonblock) = socket(&ctx.table, fd)?;
    if si_flags != 0 {
        return Err(Errno::INVAL);
    }
    let iovs = mem.iovecs(si_data, si_data_len)?;
    mem.check(so_datalen_ptr, 4)?;
    let parts = mem.gather(&iovs);
    let n = send_parts(s, &parts, nonblock, ctx.waker.as_ref())?;
    mem.write_u32(so_datalen_ptr, n as u32)
}

/// `sock_shutdown(fd, how: sdflags) -> errno`: `rd` (1) stops receiving, `wr`
/// (2) sends FIN, both (3) do both.
/// Errors: `EBADF`, `ENOTSOCK`, `EINVAL` (`how` 0 or undefined bits),
/// `ENOTCONN` (listener or peer gone).
pub fn sock_shutdown(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    how: u32,
) -> WasiResult<()> {
    let (s, _) = socket(&ctx.table, fd)?;
    let how = match how {
        1 => rustix::net::Shutdown::Read,
        2 => rustix::net::Shutdown::Write,
        3 => rustix::net::Shutdown::Both,
        _ => return Err(Errno::INVAL),
    };
    rustix::net::shutdown(s, how).map_err(Errno::from)
}
