//! The `fd_*` functions: operations on open descriptors.
//!
//! What each descriptor kind supports (anything else gives the errno shown):
//!
//! | call | file | directory | stream (stdio) | socket | listener |
//! |---|---|---|---|---|---|
//! | read / write | yes | `EISDIR` / `EBADF` | stdin reads, stdout/stderr write; `EBADF` the other way | yes | `ENOTCONN` |
//! | pread / pwrite | yes | `EISDIR` | `ESPIPE` | `ESPIPE` | `ESPIPE` |
//! | seek / tell | yes | `EBADF` | `ESPIPE` | `ESPIPE` | `ESPIPE` |
//! | advise / allocate / set_size | yes | `EBADF` / `EBADF` / `EISDIR` | `ESPIPE` / `EBADF` / `EBADF` | `ESPIPE` / `ESPIPE` / `EINVAL` | same as socket |
//! | filestat_set_times | yes | yes | `EBADF` | host `futimens` | same as socket |
//! | readdir | `ENOTDIR` | yes | `ENOTDIR` | `ENOTDIR` | `ENOTDIR` |
//!
//! # Rights
//!
//! On files and directories each call needs the right of its own name
//! (`fd_read` for `fd_read`, `fd_readdir` for `fd_readdir`, ...;
//! `fd_pread`/`fd_pwrite` also need `fd_seek`, and `fd_tell` is satisfied by
//! `fd_tell` or `fd_seek`); without it the call is `ENOTCAPABLE` (`EROFS`
//! beneath a read-only preopen, where mutating rights are never granted).
//! `fd_close`, `fd_renumber`, `fd_fdstat_get`, `fd_fdstat_set_rights` and
//! `fd_prestat_*` need none. See `Entry::require` for streams and sockets.
//!
//! # Standard streams never reach the host file behind them
//!
//! Fds 0-2 may be backed by host files the embedder opened (a terminal, a
//! redirected file, a pipe), shared with other processes. Only the stream
//! operations touch them: `fd_read` (stdin only) and `fd_write` (stdout and
//! stderr only; the other direction is `EBADF` even when the host fd was
//! opened read-write), `poll_oneoff` readiness, and `fstat` for
//! `fd_fdstat_get`/`fd_filestat_get` (read-only metadata). Everything that
//! would change the host file is refused without a host call:
//! `fd_filestat_set_times`, `fd_filestat_set_size` and `fd_allocate` give
//! `EBADF` (stream rights do not include them; wasmtime answers the same);
//! `fd_seek`/`fd_tell`/`fd_pread`/`fd_pwrite`/`fd_advise` give `ESPIPE` as
//! for a pipe; `fd_fdstat_set_flags` only records `nonblock` (never
//! `F_SETFL` on the shared description) and refuses `append`;
//! `fd_sync`/`fd_datasync` flush in-process writers only.
//!
//! An unknown fd is `EBADF` everywhere. Result pointers are bounds-checked
//! *before* the operation, so an `EFAULT` never loses data already consumed.
//! On descriptors beneath a read-only preopen, mutations fail with `EROFS`.
//!
//! Reads and writes take the guest's iovecs as one bounded batch (at most
//! `IOV_MAX` = 1,024 iovecs and `u32::MAX` bytes, see [`crate::mem`]): a
//! guest asking for more gets a short read or write. Reads scatter into the
//! iovecs: one non-empty iovec is read into directly; several are read into a
//! host buffer (at most 1 MiB, a short read) and copied out, because
//! overlapping guest buffers cannot be borrowed mutably at once.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::{GuestMemory, IoVec};
use crate::sock;
use crate::table::{DirDesc, DirListEntry, Entry, FdTable, FileDesc, Kind};
use crate::types::{self, Filestat, *};
use rustix::event::PollFlags;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStringExt;

/// What `fd_read`, `fd_pread`, `fd_write` and `fd_pwrite` start with: the
/// descriptor holding `right` (see [`Entry::require`]), the guest's iovecs
/// as one bounded batch (see [`GuestMemory::iovecs`]) and the result pointer
/// checked, in that order.
fn io_start<'c>(
    table: &'c mut FdTable,
    mem: &GuestMemory<'_>,
    fd: u32,
    right: u64,
    iovs: u32,
    iovs_len: u32,
    result_ptr: u32,
) -> WasiResult<(&'c mut Entry, Vec<IoVec>)> {
    let e = table.get_mut(fd)?;
    e.require(right)?;
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.check(result_ptr, 4)?;
    Ok((e, iovs))
}

/// The file behind a positioned read or write (`fd_pread`/`fd_pwrite`):
/// directories give `EISDIR` (`EROFS` first for a write beneath a read-only
/// preopen), other kinds `ESPIPE`, an offset above 2⁶³−1 `EINVAL`.
fn positioned(e: &Entry, offset: u64, write: bool) -> WasiResult<&FileDesc> {
    let f = match &e.kind {
        Kind::File(f) if write && f.read_only => return Err(Errno::ROFS),
        Kind::File(f) => f,
        Kind::Dir(d) if write => return d.writable().and(Err(Errno::ISDIR)),
        Kind::Dir(_) => return Err(Errno::ISDIR),
        _ => return Err(Errno::SPIPE),
    };
    if offset > i64::MAX as u64 {
        return Err(Errno::INVAL);
    }
    Ok(f)
}

fn retry<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> WasiResult<T> {
    loop {
        match f() {
            Ok(v) => return Ok(v),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// `fd_advise(fd, offset: filesize, len: filesize, advice) -> errno`
///
/// Passes the advice to `posix_fadvise` for files; `len` 0 means "to the
/// end". Errors: `EINVAL` for an advice above 5 (`noreuse`), `EBADF` for an
/// unknown fd or a directory, `ESPIPE` for streams and sockets.
pub fn fd_advise(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: u64,
    len: u64,
    advice: u32,
) -> WasiResult<()> {
    let e = ctx.table.get_with(fd, rights::FD_ADVISE)?;
    if advice > ADVICE_MAX as u32 {
        return Err(Errno::INVAL);
    }
    use rustix::fs::Advice;
    let advice = match advice {
        0 => Advice::Normal,
        1 => Advice::Sequential,
        2 => Advice::Random,
        3 => Advice::WillNeed,
        4 => Advice::DontNeed,
        _ => Advice::NoReuse,
    };
    match &e.kind {
        Kind::File(f) => {
            retry(|| rustix::fs::fadvise(&f.file, offset, std::num::NonZeroU64::new(len), advice))
        }
        Kind::Dir(_) => Err(Errno::BADF),
        _ => Err(Errno::SPIPE),
    }
}

/// `fd_allocate(fd, offset: filesize, len: filesize) -> errno`
///
/// Ensures the file has space for `[offset, offset + len)`, growing it if
/// needed (`posix_fallocate`; when the host filesystem cannot preallocate,
/// the file is extended with `ftruncate`).
/// Errors: `EINVAL` if `len` is 0 or the range overflows, `EROFS` beneath a
/// read-only preopen, `EBADF` for an unknown fd, a directory or a standard
/// stream, `ESPIPE` for sockets.
pub fn fd_allocate(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: u64,
    len: u64,
) -> WasiResult<()> {
    let e = ctx.table.get_with(fd, rights::FD_ALLOCATE)?;
    let f = match &e.kind {
        Kind::File(f) => f,
        Kind::Dir(d) => return d.writable().and(Err(Errno::BADF)),
        Kind::Stream(_) => return Err(Errno::BADF),
        _ => return Err(Errno::SPIPE),
    };
    if f.read_only {
        return Err(Errno::ROFS);
    }
    let end = offset.checked_add(len).filter(|e| *e <= i64::MAX as u64);
    if len == 0 || end.is_none() {
        return Err(Errno::INVAL);
    }
    match retry(|| rustix::fs::fallocate(&f.file, rustix::fs::FallocateFlags::empty(), offset, len))
    {
        Err(Errno::NOTSUP) => {
            let size = rustix::fs::fstat(&f.file)?.st_size as u64;
            if end.unwrap() > size {
                retry(|| rustix::fs::ftruncate(&f.file, end.unwrap()))?;
            }
            Ok(())
        }
        r => r,
    }
}

/// `fd_close(fd) -> errno`: closes the descriptor (preopens included).
/// Errors: `EBADF` for an unknown fd.
pub fn fd_close(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> WasiResult<()> {
    let mut e = ctx.table.remove(fd)?;
    if let Kind::Stream(s) = &mut e.kind {
        s.flush();
    }
    Ok(())
}

fn sync(ctx: &mut WasiCtx, fd: u32, data_only: bool) -> WasiResult<()> {
    let right = if data_only {
        rights::FD_DATASYNC
    } else {
        rights::FD_SYNC
    };
    let e = ctx.table.get_mut_with(fd, right)?;
    match &mut e.kind {
        Kind::File(f) => {
            if data_only {
                retry(|| rustix::fs::fdatasync(&f.file))
            } else {
                retry(|| rustix::fs::fsync(&f.file))
            }
        }
        Kind::Dir(d) => {
            // Directory handles may be `O_PATH`; fsync a readable handle to ".".
            let flags = rustix::fs::OFlags::RDONLY
                | rustix::fs::OFlags::DIRECTORY
                | rustix::fs::OFlags::CLOEXEC;
            let fd = retry(|| rustix::fs::openat(&d.dir, ".", flags, rustix::fs::Mode::empty()))?;
            retry(|| rustix::fs::fsync(&fd))
        }
        Kind::Stream(s) => {
            s.flush();
            Ok(())
        }
        Kind::Socket(_) | Kind::Listener(_) => Err(Errno::INVAL),
    }
}

/// `fd_datasync(fd) -> errno`: `fdatasync` on files, `fsync` on
/// directories; flushes in-process stdout/stderr.
/// Errors: `EBADF` for an unknown fd, `EINVAL` for sockets, host errors.
pub fn fd_datasync(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> WasiResult<()> {
    sync(ctx, fd, true)
}

/// `fd_sync(fd) -> errno`: like `fd_datasync` with `fsync`.
pub fn fd_sync(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> WasiResult<()> {
    sync(ctx, fd, false)
}

/// `fd_fdstat_get(fd) -> fdstat`, written at `buf` (24 bytes:
/// `fs_filetype` u8 @0, `fs_flags` u16 @2, `fs_rights_base` u64 @8,
/// `fs_rights_inheriting` u64 @16, padding zeroed).
///
/// File types: `regular_file`, `directory`, `socket_stream` (listeners and
/// connections), `character_device` (ttys and in-process stdio), `unknown`
/// (pipes). Errors: `EBADF`, `EFAULT`.
pub fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    let e = ctx.table.get(fd)?;
    mem.check(buf, Fdstat::SIZE as u64)?;
    mem.write_bytes(buf, &e.fdstat().to_bytes())
}

/// `fd_fdstat_set_flags(fd, flags: fdflags) -> errno`
///
/// `nonblock` may be set or cleared on every descriptor: it makes reads,
/// writes and accepts on streams and sockets return `EAGAIN` instead of
/// blocking (writes to stdio streams always complete). `append` may be
/// toggled on files. Changing `dsync`, `rsync` or `sync` is `ENOTSUP`.
/// Errors: `EBADF`, `EINVAL` for undefined bits, `EROFS` for `append` beneath
/// a read-only preopen, `ENOTSUP`.
pub fn fd_fdstat_set_flags(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
) -> WasiResult<()> {
    let e = ctx.table.get_mut_with(fd, rights::FD_FDSTAT_SET_FLAGS)?;
    if flags & !(FDFLAGS_ALL as u32) != 0 {
        return Err(Errno::INVAL);
    }
    let flags = flags as u16;
    let changed = flags ^ e.flags;
    if changed & (FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC) != 0 {
        return Err(Errno::NOTSUP);
    }
    if changed & FDFLAGS_APPEND != 0 {
        match &e.kind {
            Kind::File(f) => {
                if f.read_only {
                    return Err(Errno::ROFS);
                }
                let mut fl = rustix::fs::fcntl_getfl(&f.file)?;
                fl.set(rustix::fs::OFlags::APPEND, flags & FDFLAGS_APPEND != 0);
                rustix::fs::fcntl_setfl(&f.file, fl)?;
            }
            _ => return Err(Errno::NOTSUP),
        }
    }
    e.flags = flags;
    Ok(())
}

/// `fd_fdstat_set_rights(fd, fs_rights_base, fs_rights_inheriting) -> errno`
///
/// Narrows the descriptor's rights (enforced on files and directories, see
/// the module docs); rights can only shrink.
/// Errors: `EBADF`, `ENOTCAPABLE` when asked to add a right.
pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> WasiResult<()> {
    let e = ctx.table.get_mut(fd)?;
    if base & !e.rights_base != 0 || inheriting & !e.rights_inheriting != 0 {
        return Err(Errno::NOTCAPABLE);
    }
    e.rights_base = base;
    e.rights_inheriting = inheriting;
    Ok(())
}

/// The `filestat` of a descriptor (in-process streams: a zeroed
/// `character_device`).
pub(crate) fn entry_filestat(e: &Entry) -> WasiResult<Filestat> {
    match e.kind.host_fd() {
        Some(fd) => Ok(types::filestat_from_stat(&rustix::fs::fstat(fd)?)),
        None => Ok(Filestat {
            filetype: FILETYPE_CHARACTER_DEVICE,
            ..Filestat::default()
        }),
    }
}

/// `fd_filestat_get(fd) -> filestat`, written at `buf` (64 bytes: `dev` u64
/// @0, `ino` u64 @8, `filetype` u8 @16, `nlink` u64 @24, `size` u64 @32,
/// `atim` @40, `mtim` @48, `ctim` @56, ns since the epoch).
/// Errors: `EBADF`, `EFAULT`, host `fstat` errors.
pub fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    let e = ctx.table.get_with(fd, rights::FD_FILESTAT_GET)?;
    mem.check(buf, Filestat::SIZE as u64)?;
    entry_filestat(e)?.write(mem, buf)
}

/// `fd_filestat_set_size(fd, size: filesize) -> errno`: `ftruncate`; new
/// bytes read as zeros.
/// Errors: `EBADF` (also for standard streams), `EROFS` beneath a read-only
/// preopen, `EISDIR` for a directory, `EINVAL` for sockets or a size above
/// 2⁶³−1.
pub fn fd_filestat_set_size(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    size: u64,
) -> WasiResult<()> {
    let e = ctx.table.get_with(fd, rights::FD_FILESTAT_SET_SIZE)?;
    match &e.kind {
        Kind::File(f) if f.read_only => Err(Errno::ROFS),
        Kind::File(_) if size > i64::MAX as u64 => Err(Errno::INVAL),
        Kind::File(f) => retry(|| rustix::fs::ftruncate(&f.file, size)),
        Kind::Dir(d) => d.writable().and(Err(Errno::ISDIR)),
        Kind::Stream(_) => Err(Errno::BADF),
        _ => Err(Errno::INVAL),
    }
}

/// Decodes `fstflags` + times into host timestamps (`UTIME_OMIT` for
/// untouched fields). `EINVAL` for undefined bits or `X` with `X_NOW`.
pub(crate) fn timestamps(
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> WasiResult<rustix::fs::Timestamps> {
    if fst_flags & !0xf != 0 {
        return Err(Errno::INVAL);
    }
    let f = fst_flags as u16;
    let one = |t: u64, set: u16, now: u16| -> WasiResult<rustix::time::Timespec> {
        match (f & set != 0, f & now != 0) {
            (true, true) => Err(Errno::INVAL),
            (true, false) => Ok(rustix::time::Timespec {
                tv_sec: (t / 1_000_000_000) as i64,
                tv_nsec: (t % 1_000_000_000) as _,
            }),
            (false, true) => Ok(rustix::time::Timespec {
                tv_sec: 0,
                tv_nsec: rustix::fs::UTIME_NOW,
            }),
            (false, false) => Ok(rustix::time::Timespec {
                tv_sec: 0,
                tv_nsec: rustix::fs::UTIME_OMIT,
            }),
        }
    };
    Ok(rustix::fs::Timestamps {
        last_access: one(atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW)?,
        last_modification: one(mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW)?,
    })
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags: fstflags) -> errno`
///
/// `fstflags`: `atim` (1) sets the access time to `atim`, `atim_now` (2) to
/// the current time, `mtim` (4) / `mtim_now` (8) likewise for the
/// modification time; unset fields are left alone (`futimens`).
/// Errors: `EBADF` (also for standard streams), `EINVAL` (bad flags), `EROFS`
/// beneath a read-only preopen.
pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> WasiResult<()> {
    let e = ctx.table.get_with(fd, rights::FD_FILESTAT_SET_TIMES)?;
    let ts = timestamps(atim, mtim, fst_flags)?;
    match &e.kind {
        Kind::File(f) if f.read_only => return Err(Errno::ROFS),
        // Never the times of the host file behind a standard stream.
        Kind::Stream(_) => return Err(Errno::BADF),
        Kind::Dir(d) => {
            d.writable()?;
            // Directory handles may be `O_PATH`, which `futimens` rejects.
            let at = rustix::fs::AtFlags::empty();
            return retry(|| rustix::fs::utimensat(&d.dir, ".", &ts, at));
        }
        _ => {}
    }
    let host = e.kind.host_fd().ok_or(Errno::BADF)?;
    retry(|| rustix::fs::futimens(host, &ts))
}

/// `fd_pread(fd, iovs: iovec_array, offset: filesize) -> size`, the byte
/// count written as u32 at `nread_ptr`. Reads at `offset` without moving the
/// file position.
/// Errors: `EBADF`, `EFAULT`, `EISDIR` for directories, `ESPIPE` for
/// streams and sockets, `EINVAL` for an offset above 2⁶³−1.
pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread_ptr: u32,
) -> WasiResult<()> {
    let right = rights::FD_READ | rights::FD_SEEK;
    let (e, iovs) = io_start(&mut ctx.table, mem, fd, right, iovs, iovs_len, nread_ptr)?;
    let f = positioned(e, offset, false)?;
    let n = mem.read_into(&iovs, |buf| {
        retry(|| rustix::io::pread(&f.file, &mut *buf, offset))
    })?;
    mem.write_u32(nread_ptr, n as u32)
}

/// `fd_pwrite(fd, iovs: ciovec_array, offset: filesize) -> size`, the byte
/// count written as u32 at `nwritten_ptr`. Writes at `offset` without moving
/// the file position (on an `append` file the host appends instead, as
/// Linux `pwrite` does).
/// Errors: `EBADF`, `EFAULT`, `EROFS` beneath a read-only preopen, `EISDIR`,
/// `ESPIPE` for streams and sockets, `EINVAL` for an offset above 2⁶³−1.
pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten_ptr: u32,
) -> WasiResult<()> {
    let right = rights::FD_WRITE | rights::FD_SEEK;
    let (e, iovs) = io_start(&mut ctx.table, mem, fd, right, iovs, iovs_len, nwritten_ptr)?;
    let f = positioned(e, offset, true)?;
    let parts = mem.gather(&iovs);
    let n = if parts.is_empty() {
        0
    } else {
        retry(|| rustix::io::pwritev(&f.file, &parts, offset))?
    };
    mem.write_u32(nwritten_ptr, n as u32)
}

/// `fd_prestat_get(fd) -> prestat`, written at `buf` (8 bytes: tag u8 @0 =
/// 0 for `dir`, `pr_name_len` u32 @4 = the exact byte length of the guest
/// name, no NUL).
///
/// Errors: `EBADF` for every fd that is not a preopened directory — unknown
/// fds, stdio, opened files and preopened sockets alike. Both Go (which stops
/// its scan at `EBADF`) and wasi-libc (which aborts on any other errno) then
/// find every directory, because listeners are numbered after them.
/// `EFAULT` for a bad `buf`.
pub fn fd_prestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    let name = preopen_name(ctx, fd)?;
    mem.check(buf, 8)?;
    let mut b = [0u8; 8];
    b[0] = PREOPENTYPE_DIR;
    b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
    mem.write_bytes(buf, &b)
}

fn preopen_name(ctx: &WasiCtx, fd: u32) -> WasiResult<&[u8]> {
    match &ctx.table.get(fd)?.kind {
        Kind::Dir(DirDesc {
            preopen: Some(name),
            ..
        }) => Ok(name),
        _ => Err(Errno::BADF),
    }
}

/// `fd_prestat_dir_name(fd, path: *mut u8, path_len: size) -> errno`
///
/// Copies the preopen's guest name (no NUL) to `path`. A `path_len` larger
/// than the name is fine (only the name's bytes are written).
/// Errors: `EBADF` as for `fd_prestat_get`, `ENAMETOOLONG` if `path_len` is
/// smaller than the name, `EFAULT`.
pub fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> WasiResult<()> {
    let name = preopen_name(ctx, fd)?;
    if (path_len as usize) < name.len() {
        return Err(Errno::NAMETOOLONG);
    }
    mem.write_bytes(path, name)
}

/// `fd_read(fd, iovs: iovec_array) -> size`, the byte count written as u32 at
/// `nread_ptr`; 0 means end of file.
///
/// Streams and sockets with `nonblock` give `EAGAIN` when nothing is ready;
/// without it, a read that waits for input ends when the store is
/// interrupted or its deadline passes (the call traps, `wake.rs`).
/// Errors: `EBADF`, `EFAULT`, `EISDIR` for directories, `ENOTCONN` for
/// listeners, `EAGAIN`, host errors.
pub fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nread_ptr: u32,
) -> WasiResult<()> {
    let (e, iovs) = io_start(
        &mut ctx.table,
        mem,
        fd,
        rights::FD_READ,
        iovs,
        iovs_len,
        nread_ptr,
    )?;
    let nonblock = e.nonblock();
    let waker = ctx.waker.as_ref();
    let n = match &mut e.kind {
        Kind::File(f) => {
            mem.read_into(&iovs, |buf| retry(|| rustix::io::read(&f.file, &mut *buf)))?
        }
        Kind::Stream(s) => mem.read_into(&iovs, |buf| s.read(buf, nonblock, waker))?,
        Kind::Socket(s) => {
            let s = &*s;
            mem.read_into(&iovs, |buf| {
                sock::io(s.as_fd(), nonblock, PollFlags::IN, waker, || {
                    rustix::net::recv(s, &mut *buf, rustix::net::RecvFlags::empty()).map(|(n, _)| n)
                })
            })?
        }
        Kind::Dir(_) => return Err(Errno::ISDIR),
        Kind::Listener(_) => return Err(Errno::NOTCONN),
    };
    mem.write_u32(nread_ptr, n as u32)
}

/// `fd_write(fd, iovs: ciovec_array) -> size`, the byte count written as u32
/// at `nwritten_ptr`.
///
/// Writes to streams (stdout, stderr) always complete and never give
/// `EAGAIN`. Sockets with `nonblock` give `EAGAIN` when no byte can be sent;
/// writes to sockets never raise `SIGPIPE` (`EPIPE` instead).
/// Errors: `EBADF` (unknown fd, directory, stdin), `EFAULT`, `EROFS` beneath a
/// read-only preopen, `ENOTCONN` for listeners, `EAGAIN`, host errors.
pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten_ptr: u32,
) -> WasiResult<()> {
    let (e, iovs) = io_start(
        &mut ctx.table,
        mem,
        fd,
        rights::FD_WRITE,
        iovs,
        iovs_len,
        nwritten_ptr,
    )?;
    let nonblock = e.nonblock();
    let waker = ctx.waker.as_ref();
    let parts = mem.gather(&iovs);
    let n = match &mut e.kind {
        Kind::Stream(s) => s.write_all(&parts, waker)?,
        Kind::File(f) if f.read_only => return Err(Errno::ROFS),
        Kind::File(_) | Kind::Socket(_) if parts.is_empty() => 0,
        Kind::File(f) => retry(|| rustix::io::writev(&f.file, &parts))?,
        Kind::Socket(s) => sock::send_parts(s, &parts, nonblock, waker)?,
        Kind::Dir(d) => return d.writable().and(Err(Errno::BADF)),
        Kind::Listener(_) => return Err(Errno::NOTCONN),
    };
    mem.write_u32(nwritten_ptr, n as u32)
}

/// `fd_renumber(fd, to) -> errno`: atomically moves `fd` to number `to`,
/// closing what `to` held; `fd` is then free. `fd == to` is a no-op.
/// Errors: `EBADF` unless both `fd` and `to` are open.
pub fn fd_renumber(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    to: u32,
) -> WasiResult<()> {
    ctx.table.renumber(fd, to)
}

/// `fd_seek(fd, offset: filedelta, whence) -> filesize`, the new position
/// written as u64 at `newoffset_ptr`. `whence`: 0 `set`, 1 `cur`, 2 `end`.
/// Errors: `EBADF` (unknown fd or directory), `EINVAL` (bad `whence` or a
/// negative result), `ESPIPE` for streams and sockets, `EFAULT`.
pub fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: i64,
    whence: u32,
    newoffset_ptr: u32,
) -> WasiResult<()> {
    let e = ctx.table.get(fd)?;
    // `fd_tell` (a zero move from the current position) needs `fd_tell` or
    // `fd_seek` (which implies it); any other move needs `fd_seek`.
    let tell = offset == 0 && whence == WHENCE_CUR as u32;
    if !(tell && e.rights_base & rights::FD_TELL != 0) {
        e.require(rights::FD_SEEK)?;
    }
    let pos = match whence {
        0 => {
            if offset < 0 {
                return Err(Errno::INVAL);
            }
            rustix::fs::SeekFrom::Start(offset as u64)
        }
        1 => rustix::fs::SeekFrom::Current(offset),
        2 => rustix::fs::SeekFrom::End(offset),
        _ => return Err(Errno::INVAL),
    };
    mem.check(newoffset_ptr, 8)?;
    let f = match &e.kind {
        Kind::File(f) => f,
        Kind::Dir(_) => return Err(Errno::BADF),
        _ => return Err(Errno::SPIPE),
    };
    let n = retry(|| rustix::fs::seek(&f.file, pos))?;
    mem.write_u64(newoffset_ptr, n)
}

/// `fd_tell(fd) -> filesize`, the current position written as u64 at
/// `offset_ptr`. Errors as for `fd_seek`.
pub fn fd_tell(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset_ptr: u32,
) -> WasiResult<()> {
    fd_seek(ctx, mem, fd, 0, WHENCE_CUR as u32, offset_ptr)
}

pub(crate) fn map_filetype(ft: cap_std::fs::FileType) -> u8 {
    use cap_std::fs::FileTypeExt;
    if ft.is_dir() {
        FILETYPE_DIRECTORY
    } else if ft.is_file() {
        FILETYPE_REGULAR_FILE
    } else if ft.is_symlink() {
        FILETYPE_SYMBOLIC_LINK
    } else if ft.is_char_device() {
        FILETYPE_CHARACTER_DEVICE
    } else if ft.is_block_device() {
        FILETYPE_BLOCK_DEVICE
    } else if ft.is_socket() {
        FILETYPE_SOCKET_STREAM
    } else {
        FILETYPE_UNKNOWN
    }
}

/// Reads the whole directory: `.`, `..`, then the host's entries in host
/// order. `..` of a preopen reports inode 0 (its parent is outside the
/// sandbox and is not looked at).
fn build_listing(d: &DirDesc) -> WasiResult<Vec<DirListEntry>> {
    use cap_std::fs::MetadataExt;
    use std::os::unix::fs::DirEntryExt;
    let self_ino = rustix::fs::fstat(&d.dir)?.st_ino as u64;
    let parent_ino = if d.preopen.is_some() {
        0
    } else {
        d.dir.metadata("..").map(|m| m.ino()).unwrap_or(0)
    };
    let mut out = vec![
        DirListEntry {
            name: b".".to_vec(),
            ino: self_ino,
            filetype: FILETYPE_DIRECTORY,
        },
        DirListEntry {
            name: b"..".to_vec(),
            ino: parent_ino,
            filetype: FILETYPE_DIRECTORY,
        },
    ];
    for entry in d.dir.entries()? {
        let entry = entry?;
        out.push(DirListEntry {
            name: entry.file_name().into_vec(),
            ino: entry.ino(),
            filetype: entry
                .file_type()
                .map(map_filetype)
                .unwrap_or(FILETYPE_UNKNOWN),
        });
    }
    Ok(out)
}

/// `fd_readdir(fd, buf: *mut u8, buf_len: size, cookie: dircookie) -> size`,
/// the number of bytes used written as u32 at `bufused_ptr`.
///
/// Fills `buf` with consecutive entries, each a 24-byte `dirent` (`d_next`
/// u64 @0 = the cookie of the next entry, `d_ino` u64 @8, `d_namlen` u32
/// @16, `d_type` u8 @20) followed by `d_namlen` name bytes (no NUL, no
/// padding). The listing starts with `.` and `..`. The last entry is
/// truncated if it does not fit, so `bufused == buf_len` means "there may be
/// more"; `bufused < buf_len` means the end was reached.
///
/// Cookies: entry `i` (0-based) of the listing has `d_next = i + 1`, and
/// `cookie = c` resumes at entry `c`. Cookie 0 re-reads the directory from
/// the host and caches the listing on the descriptor; later cookies are
/// served from that cache, so each call costs only the entries it returns
/// (linear in the directory size overall, whatever the buffer size). A
/// cookie past the end returns 0 bytes.
///
/// Errors: `EBADF`, `ENOTDIR` for non-directories, `EFAULT`, host errors.
pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused_ptr: u32,
) -> WasiResult<()> {
    let e = ctx.table.get_mut_with(fd, rights::FD_READDIR)?;
    let d = match &mut e.kind {
        Kind::Dir(d) => d,
        _ => return Err(Errno::NOTDIR),
    };
    mem.check(bufused_ptr, 4)?;
    let out = mem.slice_mut(buf, buf_len)?;
    if cookie == 0 || d.listing.is_none() {
        d.listing = Some(build_listing(d)?);
    }
    let listing = d.listing.as_ref().expect("listing built above");
    let mut used = 0usize;
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, ent) in listing.iter().enumerate().skip(start) {
        let mut rec = [0u8; 24];
        rec[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        rec[8..16].copy_from_slice(&ent.ino.to_le_bytes());
        rec[16..20].copy_from_slice(&(ent.name.len() as u32).to_le_bytes());
        rec[20] = ent.filetype;
        for part in [&rec[..], &ent.name[..]] {
            let k = part.len().min(out.len() - used);
            out[used..used + k].copy_from_slice(&part[..k]);
            used += k;
        }
        if used == out.len() {
            break;
        }
    }
    mem.write_u32(bufused_ptr, used as u32)
}
