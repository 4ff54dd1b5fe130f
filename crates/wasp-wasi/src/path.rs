//! The `path_*` functions: operations on paths beneath a directory fd.
//!
//! # Sandbox
//!
//! Every path is resolved by `cap-std` relative to the directory fd's host
//! handle, never by string checks: on Linux ≥ 5.6 with `openat2(2)` and
//! `RESOLVE_BENEATH`, elsewhere by cap-std's component-by-component
//! resolver. `..` past the directory, absolute paths, absolute symlinks and
//! relative symlinks that lead outside (directly or through a chain) all fail
//! with `ENOTCAPABLE`; dangling symlinks give `ENOENT`; symlink loops give
//! `ELOOP`; a trailing `/` on a non-directory gives `ENOTDIR`. Each directory
//! fd is its own root: a directory opened from a preopen cannot reach its
//! parent either. `path_symlink` refuses absolute targets (`ENOTCAPABLE`) so
//! a guest cannot plant links that would mislead host programs; relative
//! targets that point outside may be created but never resolve.
//!
//! # Read-only preopens
//!
//! Beneath a [`DirPerms::ReadOnly`](crate::DirPerms::ReadOnly) preopen every
//! mutation fails with `EROFS` before the host is touched: `path_open` with
//! `creat`, `trunc`, `append` or the `fd_write` right, `path_create_directory`,
//! `path_filestat_set_times`, `path_link` (either side), `path_rename`
//! (either side), `path_remove_directory`, `path_symlink`,
//! `path_unlink_file`. Files and directories opened from it inherit the
//! restriction.
//!
//! # Errors common to all
//!
//! `EBADF` for an unknown fd, `ENOTDIR` when the fd is not a directory,
//! `EFAULT` for a path or result outside memory, `EINVAL` for a path with a
//! NUL byte or undefined flag bits, plus the host's errors (`ENOENT`,
//! `EEXIST`, `ENOTEMPTY`, `EACCES`, ...).

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::fd::map_filetype;
use crate::mem::GuestMemory;
use crate::table::{DirDesc, Entry, FileDesc, Kind};
use crate::types::{self, rights, Filestat, *};
use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
    SystemTimeSpec,
};
use cap_std::fs::OpenOptionsExt;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The descriptor `fd` and its directory: `EBADF` if unknown, `ENOTDIR` if
/// not a directory.
fn dir_entry(ctx: &WasiCtx, fd: u32) -> WasiResult<(&Entry, &DirDesc)> {
    let e = ctx.table.get(fd)?;
    match &e.kind {
        Kind::Dir(d) => Ok((e, d)),
        _ => Err(Errno::NOTDIR),
    }
}

/// What every path call starts with: the directory behind `fd` holding
/// `right` (`ENOTCAPABLE`, or `EROFS` for a mutation beneath a read-only
/// preopen; see `Entry::require`), then the guest path.
fn dir_path<'c>(
    ctx: &'c WasiCtx,
    mem: &GuestMemory<'_>,
    fd: u32,
    right: u64,
    (ptr, len): (u32, u32),
) -> WasiResult<(&'c DirDesc, PathBuf)> {
    let (e, d) = dir_entry(ctx, fd)?;
    e.require(right)?;
    Ok((d, path(mem, ptr, len)?))
}

/// Reads a guest path (`ptr`, `len`).
fn path(mem: &GuestMemory<'_>, ptr: u32, len: u32) -> WasiResult<PathBuf> {
    Ok(PathBuf::from(OsStr::from_bytes(mem.path_bytes(ptr, len)?)))
}

/// One side of a two-directory call: the directory fd, the right it needs
/// and the guest path (`ptr`, `len`).
type Side = (u32, u64, (u32, u32));

/// What `path_link` and `path_rename` start with: both sides through
/// [`dir_path`], then both directories writable (a link or a move between
/// a read-only and a writable tree would make the file writable).
fn two_dir_paths<'c>(
    ctx: &'c WasiCtx,
    mem: &GuestMemory<'_>,
    (old_fd, old_right, old): Side,
    (new_fd, new_right, new): Side,
) -> WasiResult<[(&'c DirDesc, PathBuf); 2]> {
    let old = dir_path(ctx, mem, old_fd, old_right, old)?;
    let new = dir_path(ctx, mem, new_fd, new_right, new)?;
    old.0.writable()?;
    new.0.writable()?;
    Ok([old, new])
}

fn lookup_follow(flags: u32) -> WasiResult<bool> {
    if flags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::INVAL);
    }
    Ok(flags & LOOKUP_SYMLINK_FOLLOW != 0)
}

/// A `filestat` from cap-std metadata.
fn filestat(m: &cap_std::fs::Metadata) -> Filestat {
    use cap_std::fs::MetadataExt;
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: map_filetype(m.file_type()),
        nlink: m.nlink(),
        size: m.size(),
        atim: types::timestamp(m.atime(), m.atime_nsec()),
        mtim: types::timestamp(m.mtime(), m.mtime_nsec()),
        ctim: types::timestamp(m.ctime(), m.ctime_nsec()),
    }
}

/// `path_create_directory(fd, path: string) -> errno` (`mkdirat`, mode 0777
/// before umask).
/// Errors: see the module docs; `EEXIST` if the path exists, `EROFS`.
pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path_ptr: u32,
    path_len: u32,
) -> WasiResult<()> {
    let (d, p) = dir_path(
        ctx,
        mem,
        fd,
        rights::PATH_CREATE_DIRECTORY,
        (path_ptr, path_len),
    )?;
    d.writable()?;
    d.dir.create_dir(p).map_err(Errno::from)
}

/// `path_filestat_get(fd, flags: lookupflags, path: string) -> filestat`,
/// the 64-byte `filestat` written at `buf` (layout in `fd_filestat_get`).
/// With `symlink_follow` (1) a final symlink is followed, else the link
/// itself is described (`filetype` 7, `size` = target length).
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path_ptr: u32,
    path_len: u32,
    buf: u32,
) -> WasiResult<()> {
    let (d, p) = dir_path(
        ctx,
        mem,
        fd,
        rights::PATH_FILESTAT_GET,
        (path_ptr, path_len),
    )?;
    let follow = lookup_follow(flags)?;
    mem.check(buf, Filestat::SIZE as u64)?;
    let m = if follow {
        d.dir.metadata(p)
    } else {
        d.dir.symlink_metadata(p)
    }?;
    filestat(&m).write(mem, buf)
}

fn time_spec(t: u64, flags: u16, set: u16, now: u16) -> WasiResult<Option<SystemTimeSpec>> {
    match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(Errno::INVAL),
        (true, false) => {
            let st = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(t);
            Ok(Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(st),
            )))
        }
        (false, true) => Ok(Some(SystemTimeSpec::SymbolicNow)),
        (false, false) => Ok(None),
    }
}

/// `path_filestat_set_times(fd, flags: lookupflags, path: string, atim,
/// mtim, fst_flags: fstflags) -> errno` (`utimensat`); `fstflags` as in
/// `fd_filestat_set_times`. Without `symlink_follow` a final symlink's own
/// times are set.
/// Errors: see the module docs; `EINVAL` for bad `fstflags`, `EROFS`.
#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path_ptr: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> WasiResult<()> {
    let right = rights::PATH_FILESTAT_SET_TIMES;
    let (d, p) = dir_path(ctx, mem, fd, right, (path_ptr, path_len))?;
    let follow = lookup_follow(flags)?;
    if fst_flags & !0xf != 0 {
        return Err(Errno::INVAL);
    }
    let f = fst_flags as u16;
    let a = time_spec(atim, f, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW)?;
    let m = time_spec(mtim, f, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW)?;
    d.writable()?;
    if follow {
        d.dir.set_times(p, a, m)
    } else {
        d.dir.set_symlink_times(p, a, m)
    }
    .map_err(Errno::from)
}

/// `path_link(old_fd, old_flags: lookupflags, old_path: string, new_fd,
/// new_path: string) -> errno` (`linkat`): a hard link `new_path` to the
/// file `old_path`. A final symlink in `old_path` is linked itself;
/// `symlink_follow` is not supported (`EINVAL`).
/// Errors: see the module docs; `EROFS` if either directory is read-only
/// (a link would let the file be written through the other tree), `EEXIST`,
/// `EPERM` for directories, `EXDEV` across filesystems.
#[allow(clippy::too_many_arguments)]
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old_ptr: u32,
    old_len: u32,
    new_fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> WasiResult<()> {
    if lookup_follow(old_flags)? {
        return Err(Errno::INVAL);
    }
    let [(old_dir, old), (new_dir, new)] = two_dir_paths(
        ctx,
        mem,
        (old_fd, rights::PATH_LINK_SOURCE, (old_ptr, old_len)),
        (new_fd, rights::PATH_LINK_TARGET, (new_ptr, new_len)),
    )?;
    old_dir
        .dir
        .hard_link(old, &new_dir.dir, new)
        .map_err(Errno::from)
}

/// `path_open(fd, dirflags: lookupflags, path: string, oflags, fs_rights_base,
/// fs_rights_inheriting, fdflags) -> fd`, the new fd written as u32 at
/// `fd_ptr` (the lowest free number).
///
/// - `oflags`: `creat` (1), `directory` (2), `excl` (4), `trunc` (8).
/// - Access: the file is opened for writing if the granted rights have
///   `fd_write`, or `fdflags` has `append`, or `oflags` has `creat` or
///   `trunc`; for reading if they have `fd_read` or `fd_readdir`, or when it
///   would otherwise be opened for nothing.
/// - `dirflags` `symlink_follow` (1): follow a final symlink; without it a
///   final symlink gives `ELOOP` (`ENOTDIR` with `directory`).
/// - A directory opens with or without `oflags::directory` (one or more
///   trailing slashes are fine); asking to write it (`fd_write`, `append`,
///   `trunc`) gives `EISDIR`, `directory` with `creat` gives `EINVAL`. A
///   non-directory with a trailing slash gives `ENOTDIR`.
/// - `fdflags`: `append`, `dsync`, `rsync`, `sync` go to the host open;
///   `nonblock` is recorded (regular files are always ready).
/// - Rights: the directory needs `path_open`, plus `path_create_file` for
///   `creat` and `path_filestat_set_size` for `trunc` (`ENOTCAPABLE`). The
///   new fd gets the requested rights that apply to its type, bounded by
///   the directory's inheriting rights (minus mutating rights beneath a
///   read-only preopen); asking for more is not an error, the extra rights
///   are simply not granted. A new directory also gets
///   `path_filestat_set_size` when it is asked for in inheriting (Go asks
///   only there).
///
/// Errors: see the module docs; `EROFS` for any write access beneath a
/// read-only preopen, `EEXIST` (`creat|excl`), `ENOENT`, `EISDIR`, `ENOTDIR`,
/// `ELOOP`, `EMFILE`.
#[allow(clippy::too_many_arguments)]
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    dirflags: u32,
    path_ptr: u32,
    path_len: u32,
    oflags: u32,
    rights_base: u64,
    rights_inheriting: u64,
    fdflags: u32,
    fd_ptr: u32,
) -> WasiResult<()> {
    dir_entry(ctx, fd)?;
    let follow = lookup_follow(dirflags)?;
    if oflags & !(OFLAGS_ALL as u32) != 0 || fdflags & !(FDFLAGS_ALL as u32) != 0 {
        return Err(Errno::INVAL);
    }
    let (oflags, fdflags) = (oflags as u16, fdflags as u16);
    let creat = oflags & OFLAGS_CREAT != 0;
    let excl = oflags & OFLAGS_EXCL != 0;
    let trunc = oflags & OFLAGS_TRUNC != 0;
    let append = fdflags & FDFLAGS_APPEND != 0;
    let mut need = rights::PATH_OPEN;
    if creat {
        need |= rights::PATH_CREATE_FILE;
    }
    if trunc {
        need |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let (d, p) = dir_path(ctx, mem, fd, need, (path_ptr, path_len))?;
    let inherited = ctx.table.get(fd)?.rights_inheriting;
    mem.check(fd_ptr, 4)?;

    if d.read_only && (rights_base & rights::FD_WRITE != 0 || append) {
        return Err(Errno::ROFS);
    }
    // The host access follows the rights granted (asked for, bounded by the
    // directory's inheriting rights).
    let granted = rights_base & inherited;
    let write = granted & rights::FD_WRITE != 0 || append || creat || trunc;
    let read = granted & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;
    let read_only = d.read_only;

    let kind = if oflags & OFLAGS_DIRECTORY != 0 {
        if creat {
            return Err(Errno::INVAL);
        }
        if write {
            return Err(Errno::ISDIR);
        }
        let sub = if follow {
            d.dir.open_dir(&p)
        } else {
            d.dir.open_dir_nofollow(&p)
        }?;
        Kind::Dir(DirDesc {
            dir: sub,
            preopen: None,
            read_only,
            listing: None,
        })
    } else {
        let mut opts = cap_std::fs::OpenOptions::new();
        // `append` goes in as a raw `O_APPEND`: std's (and cap-std's)
        // `append(true)` refuses `truncate(true)` with EINVAL, and wasi-libc
        // asks for both on `open(O_CREAT|O_TRUNC|O_WRONLY|O_APPEND)`.
        let raw_append = if append {
            rustix::fs::OFlags::APPEND.bits() as i32
        } else {
            0
        };
        opts.read(read)
            .write(write)
            .custom_flags(raw_append)
            .truncate(trunc)
            .create(creat && !excl)
            .create_new(creat && excl)
            .maybe_dir(true)
            .follow(if follow {
                FollowSymlinks::Yes
            } else {
                FollowSymlinks::No
            })
            .sync(fdflags & FDFLAGS_SYNC != 0)
            .dsync(fdflags & FDFLAGS_DSYNC != 0)
            .rsync(fdflags & FDFLAGS_RSYNC != 0);
        let file = d.dir.open_with(&p, &opts)?.into_std();
        let st = rustix::fs::fstat(&file)?;
        if types::filetype_from_mode(st.st_mode as u32) == FILETYPE_DIRECTORY {
            // Opened read-only (a directory opened for writing is EISDIR
            // from the host): it serves as a directory handle as it is.
            Kind::Dir(DirDesc {
                dir: cap_std::fs::Dir::from_std_file(file),
                preopen: None,
                read_only,
                listing: None,
            })
        } else {
            Kind::File(FileDesc { file, read_only })
        }
    };
    let mut entry = Entry::new(kind, fdflags);
    let mut base = rights_base;
    if let Kind::Dir(_) = entry.kind {
        // Go (syscall/fs_wasip1.go) counts `path_filestat_set_size` among
        // the write rights, so it never asks for it on a directory (always
        // opened read-only) but does in inheriting; granting it from there
        // keeps `os.Root.Create` (`O_TRUNC` beneath such a directory) working.
        base |= rights_inheriting & rights::PATH_FILESTAT_SET_SIZE;
    }
    entry.rights_base &= base & inherited;
    entry.rights_inheriting &= rights_inheriting & inherited;
    let new = ctx.table.insert(entry)?;
    mem.write_u32(fd_ptr, new)
}

/// `path_readlink(fd, path: string, buf: *mut u8, buf_len: size) -> size`,
/// the byte count written as u32 at `nread_ptr`.
///
/// Copies the link's target (no NUL). If `buf_len` is too small the first
/// `buf_len` bytes are written and `nread == buf_len` (callers retry with a
/// larger buffer). Errors: see the module docs; `EINVAL` if the path is not
/// a symlink.
#[allow(clippy::too_many_arguments)]
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path_ptr: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    nread_ptr: u32,
) -> WasiResult<()> {
    let (d, p) = dir_path(ctx, mem, fd, rights::PATH_READLINK, (path_ptr, path_len))?;
    mem.check(buf, buf_len as u64)?;
    mem.check(nread_ptr, 4)?;
    let target = d.dir.read_link_contents(p)?;
    let bytes = target.as_os_str().as_bytes();
    let n = bytes.len().min(buf_len as usize);
    mem.write_bytes(buf, &bytes[..n])?;
    mem.write_u32(nread_ptr, n as u32)
}

/// `path_remove_directory(fd, path: string) -> errno` (`unlinkat` with
/// `AT_REMOVEDIR`).
/// Errors: see the module docs; `ENOTEMPTY`, `ENOTDIR`, `EROFS`.
pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path_ptr: u32,
    path_len: u32,
) -> WasiResult<()> {
    let (d, p) = dir_path(
        ctx,
        mem,
        fd,
        rights::PATH_REMOVE_DIRECTORY,
        (path_ptr, path_len),
    )?;
    d.writable()?;
    d.dir.remove_dir(p).map_err(Errno::from)
}

/// `path_rename(fd, old_path: string, new_fd, new_path: string) -> errno`
/// (`renameat`): an existing `new_path` is replaced as POSIX allows.
/// Errors: see the module docs; `EROFS` if either directory is read-only,
/// `EXDEV`, `ENOTEMPTY`, `EISDIR`, `ENOTDIR`.
#[allow(clippy::too_many_arguments)]
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    old_ptr: u32,
    old_len: u32,
    new_fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> WasiResult<()> {
    let [(old_dir, old), (new_dir, new)] = two_dir_paths(
        ctx,
        mem,
        (fd, rights::PATH_RENAME_SOURCE, (old_ptr, old_len)),
        (new_fd, rights::PATH_RENAME_TARGET, (new_ptr, new_len)),
    )?;
    old_dir
        .dir
        .rename(old, &new_dir.dir, new)
        .map_err(Errno::from)
}

/// `path_symlink(old_path: string, fd, new_path: string) -> errno`
/// (`symlinkat`): creates `new_path` pointing at the text `old_path`.
/// Errors: see the module docs; `ENOTCAPABLE` for an absolute `old_path`,
/// `EEXIST`, `EROFS`.
pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_ptr: u32,
    old_len: u32,
    fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> WasiResult<()> {
    let (d, new) = dir_path(ctx, mem, fd, rights::PATH_SYMLINK, (new_ptr, new_len))?;
    let old = path(mem, old_ptr, old_len)?;
    d.writable()?;
    d.dir.symlink(old, new).map_err(Errno::from)
}

/// `path_unlink_file(fd, path: string) -> errno` (`unlinkat`): removes a
/// file or symlink (a final symlink is removed, not followed).
/// Errors: see the module docs; `EISDIR` for a directory, `ENOTDIR` for a
/// trailing `/`, `EROFS`.
pub fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path_ptr: u32,
    path_len: u32,
) -> WasiResult<()> {
    let (d, p) = dir_path(ctx, mem, fd, rights::PATH_UNLINK_FILE, (path_ptr, path_len))?;
    d.writable()?;
    d.dir.remove_file_or_symlink(p).map_err(Errno::from)
}
